from django.urls import path

from linli.supplies import pickup_views as views

app_name = "pickup"
urlpatterns = [
    path("", views.index, name="index"),
    path("plan/", views.plan_new, name="plan_new"),
    path("plan/jobs/<int:pk>/", views.plan_job, name="plan_job"),
    path("plans/<int:pk>/", views.plan_view, name="plan"),
    path("rounds/<int:pk>/", views.round_view, name="round"),
    path("rounds/<int:pk>/close/", views.close, name="close"),
    path("rounds/<int:pk>/no-shows/", views.no_shows, name="no_shows"),
    path("rounds/<int:pk>/points/<int:point_pk>/", views.point_view, name="point"),
    path("rounds/<int:pk>/purchase/", views.purchase_list, name="purchase_list"),
    path("rounds/<int:pk>/packing/", views.packing, name="packing"),
]
