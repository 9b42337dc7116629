from django.urls import path

from linli.workforce import public_views

app_name = "volunteer"
urlpatterns = [
    path("signup", public_views.signup, name="signup"),
    path("status", public_views.status, name="status"),
    path("status/training", public_views.acknowledge_training, name="training"),
]
