from django.urls import path

from linli.residents import import_views, views

app_name = "residents"
urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("residents/", views.resident_list_view, name="list"),
    path("residents/new/", views.resident_new, name="new"),
    path("residents/export.xlsx", views.resident_export, name="export"),
    path("residents/<int:pk>/", views.resident_detail, name="detail"),
    path("residents/<int:pk>/edit/", views.resident_edit, name="edit"),
    path("residents/<int:pk>/verify/", views.resident_verify_view, name="verify"),
    path("residents/<int:pk>/reveal-id/", views.resident_reveal_view, name="reveal"),
    path("households/<int:pk>/", views.household_detail, name="household"),
    path("households/<int:pk>/add/", views.household_add_member, name="household_add"),
    path("buildings/<int:pk>/", views.building_detail, name="building"),
    path("verification/", views.verification_view, name="verification"),
    path("import/", import_views.import_upload, name="import"),
    path("import/template.xlsx", import_views.import_template, name="import_template"),
    path("import/<int:pk>/", import_views.import_batch, name="import_batch"),
    path("import/<int:pk>/confirm/", import_views.import_confirm, name="import_confirm"),
    path("import/<int:pk>/discard/", import_views.import_discard, name="import_discard"),
]
