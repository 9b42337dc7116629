from django.urls import path

from linli.supplies import views

app_name = "supplies"
urlpatterns = [
    path("", views.home, name="home"),
    path("suppliers/", views.supplier_list, name="suppliers"),
    path("suppliers/new/", views.supplier_new, name="supplier_new"),
    path("suppliers/<int:pk>/", views.supplier_detail, name="supplier"),
    path("suppliers/<int:pk>/edit/", views.supplier_edit, name="supplier_edit"),
    path("suppliers/<int:pk>/staff/new/", views.staff_new, name="staff_new"),
    path("suppliers/<int:pk>/packages/new/", views.package_new, name="package_new"),
    path("staff/<int:pk>/edit/", views.staff_edit, name="staff_edit"),
    path("packages/<int:pk>/edit/", views.package_edit, name="package_edit"),
    path("rounds/", views.round_list, name="rounds"),
    path("rounds/new/", views.round_new, name="round_new"),
    path("rounds/<int:pk>/", views.round_detail, name="round"),
    path("rounds/<int:pk>/open/", views.round_open_view, name="round_open"),
    path("rounds/<int:pk>/close/", views.round_close_view, name="round_close"),
    path("rounds/<int:pk>/order/", views.order_edit, name="order"),
    path("rounds/<int:pk>/for/", views.order_for, name="order_for"),
    path("orders/<int:pk>/", views.order_detail, name="order_detail"),
    path("orders/<int:pk>/cancel/", views.order_cancel, name="order_cancel"),
]
