from django.urls import path

from linli.health import views

app_name = "health"
urlpatterns = [
    path("", views.overview, name="overview"),
    path("report/", views.report, name="report"),
    path("missing/", views.missing, name="missing"),
    path("missing/tasks/", views.missing_tasks, name="missing_tasks"),
    path("residents/<int:pk>/", views.person, name="person"),
    path("residents/<int:pk>/status/", views.status_change, name="status_change"),
    path("residents/<int:pk>/quarantine/", views.quarantine_start, name="quarantine_start"),
    path("residents/<int:pk>/tests/", views.lab_record, name="lab_record"),
    path("quarantines/<int:pk>/extend/", views.quarantine_extend, name="quarantine_extend"),
    path("quarantines/<int:pk>/release/", views.quarantine_release, name="quarantine_release"),
    path("labs/import/", views.lab_import_upload, name="lab_import"),
    path("labs/import/<int:pk>/", views.lab_import_job, name="lab_import_job"),
]
