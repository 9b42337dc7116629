from django.urls import path

from linli.delivery import views

app_name = "delivery"
urlpatterns = [
    path("", views.index, name="index"),
    path("eligible/", views.eligible, name="eligible"),
    path("overrides/", views.override_add, name="override_add"),
    path("overrides/<int:pk>/end/", views.override_end, name="override_end"),
    path("rounds/<int:round_id>/plan/", views.plan_new, name="plan_new"),
    path("plans/<int:pk>/", views.plan_detail, name="plan"),
    path("routes/<int:pk>/", views.route_sheet, name="route"),
    path("households/<int:household_id>/preference/", views.preference, name="preference"),
]
