from django.urls import path

from linli.taskpool import supervision_views as views

app_name = "supervision"
urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("coverage/", views.coverage_view, name="coverage"),
    path("workers/", views.workers_view, name="workers"),
    path("workers.xlsx", views.workers_export, name="workers_export"),
    path("cadres/", views.cadres_view, name="cadres"),
    path("cadres.xlsx", views.cadres_export, name="cadres_export"),
    path("daily.xlsx", views.daily_export, name="daily"),
]
