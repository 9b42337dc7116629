from django.urls import path

from linli.core import views

app_name = "core"
urlpatterns = [
    path("", views.home, name="home"),
    path("preferences/large-type", views.toggle_large_type, name="large_type"),
    path("jobs/<int:pk>", views.job_detail, name="job"),
    path("healthz", views.healthz, name="healthz"),
]
