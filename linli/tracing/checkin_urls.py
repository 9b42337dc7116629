from django.urls import path

from linli.tracing import views

# Short, because it is printed as a QR code on a poster at every public place: /c/<token>/.
app_name = "checkin"
urlpatterns = [
    path("<str:token>/", views.scan, name="scan"),
]
