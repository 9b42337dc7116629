from django.urls import path

from linli.tracing import crosscheck_views as views

app_name = "crosscheck"
urlpatterns = [
    path("", views.crosscheck_list, name="list"),
    path("new/", views.crosscheck_new, name="new"),
    path("<int:pk>/", views.crosscheck_detail, name="detail"),
    path("<int:pk>/map/", views.crosscheck_map, name="map"),
    path("<int:pk>/unmatched/", views.crosscheck_unmatched, name="unmatched"),
    path("<int:pk>/accept-all/", views.accept_all, name="accept_all"),
    path("matches/<int:pk>/accept/", views.match_accept, name="accept"),
    path("matches/<int:pk>/reject/", views.match_reject, name="reject"),
]
