from django.urls import path

from linli.taskpool import dispatch_views as views

app_name = "dispatch"
urlpatterns = [
    path("", views.index, name="index"),
    path("propose/", views.propose, name="propose"),
    path("proposals/<int:pk>/", views.proposal_view, name="proposal"),
    path("proposals/<int:pk>/accept/", views.accept, name="accept"),
]
