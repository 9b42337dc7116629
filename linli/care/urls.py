from django.urls import path

from linli.care import views

app_name = "care"
urlpatterns = [
    path("screen/", views.screen, name="screen"),
    path("screenings/<int:pk>/", views.screening_result, name="screening"),
    path("priority/", views.priority, name="priority"),
    path("priority/add/", views.flag_add, name="flag_add"),
    path("priority/<int:resident_id>/remove/", views.flag_end, name="flag_end"),
    path("cases/", views.cases, name="cases"),
    path("cases/open/", views.case_open, name="case_open"),
    path("cases/<int:pk>/", views.case_detail, name="case"),
    path("cases/<int:pk>/notes/", views.case_notes, name="case_notes"),
    path("cases/<int:pk>/risk/", views.case_risk, name="case_risk"),
    path("cases/<int:pk>/assign/", views.case_assign, name="case_assign"),
    path("cases/<int:pk>/sessions/", views.session_add, name="session_add"),
    path("cases/<int:pk>/refer/", views.case_refer, name="case_refer"),
    path("cases/<int:pk>/close/", views.case_close, name="case_close"),
    path("groups/", views.groups, name="groups"),
    path("groups/new/", views.group_new, name="group_new"),
    path("groups/<int:pk>/", views.group_detail, name="group"),
    path("figures/", views.figures, name="figures"),
]
