from django.urls import path

from linli.notices import views

app_name = "notices"
urlpatterns = [
    path("", views.my_notifications, name="mine"),
    path("<int:pk>/read/", views.mark_read, name="read"),
    path("read-all/", views.mark_all_read, name="read_all"),
]
