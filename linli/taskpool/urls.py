from django.urls import path

from linli.taskpool import views

app_name = "taskpool"
urlpatterns = [
    path("", views.task_list_view, name="list"),
    path("new/", views.task_new, name="new"),
    path("mine/", views.my_tasks, name="mine"),
    path("request/", views.resident_request, name="request"),
    path("<int:pk>/", views.task_detail, name="detail"),
    path("<int:pk>/photo", views.task_photo, name="photo"),
    path("<int:pk>/<slug:action>/", views.task_action, name="action"),
]
