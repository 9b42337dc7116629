from django.urls import path

from linli.workforce import views

app_name = "workforce"
urlpatterns = [
    path("", views.roster, name="roster"),
    path("new/", views.worker_new, name="new"),
    path("me/", views.me, name="me"),
    path("<int:pk>/", views.worker_detail, name="detail"),
    path("<int:pk>/edit/", views.worker_edit, name="edit"),
    path("<int:pk>/hours/", views.worker_hours, name="hours"),
    path("<int:pk>/certificate", views.worker_certificate, name="certificate"),
    path("screening/", views.screening_queue, name="screening"),
    path("screening/<int:pk>/", views.screening_detail, name="screening_detail"),
    path("screening/<int:pk>/lookup/", views.screening_lookup, name="screening_lookup"),
    path("screening/<int:pk>/confirm/", views.screening_confirm, name="screening_confirm"),
    path("screening/<int:pk>/test/", views.screening_test, name="screening_test"),
    path("screening/<int:pk>/approve/", views.screening_approve, name="screening_approve"),
    path("screening/<int:pk>/reject/", views.screening_reject, name="screening_reject"),
    path("care/", views.care, name="care"),
    path("ppe/", views.ppe, name="ppe"),
    path("ppe/receive/", views.ppe_receive, name="ppe_receive"),
    path("ppe/issue/", views.ppe_issue, name="ppe_issue"),
    path("ppe/threshold/", views.ppe_threshold, name="ppe_threshold"),
]
