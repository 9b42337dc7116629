from django.urls import path

from linli.tracing import views

app_name = "tracing"
urlpatterns = [
    path("places", views.places, name="places"),
    path("places/posters", views.posters, name="posters"),
    path("places/<int:pk>/poster", views.poster, name="poster"),
    path("places/<int:pk>/record", views.record, name="record"),
    path("residents/<int:pk>/trajectory", views.trajectory, name="trajectory"),
    path("residents/<int:pk>/contacts", views.contact_add, name="contact_add"),
    path("runs", views.runs, name="runs"),
    path("runs/new", views.run_new, name="run_new"),
    path("runs/<int:pk>", views.run_detail, name="run"),
    path("runs/<int:pk>/confirm-all", views.run_confirm_all, name="run_confirm_all"),
    path("contacts/<int:pk>/confirm", views.contact_confirm, name="contact_confirm"),
    path("contacts/<int:pk>/dismiss", views.contact_dismiss, name="contact_dismiss"),
]
