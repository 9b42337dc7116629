"""Open information (信息公开): public, no login. Mounted at /open/."""

from django.urls import path

from linli.notices import public_views

app_name = "public"
urlpatterns = [
    path("", public_views.summary_page, name="summary"),
    path("summary.csv", public_views.summary_csv, name="summary_csv"),
]
