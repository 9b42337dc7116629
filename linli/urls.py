from django.contrib import admin
from django.urls import include, path

from linli.api import api

urlpatterns = [
    path("", include("linli.core.urls")),
    path("accounts/", include("linli.accounts.urls")),
    path("registry/", include("linli.residents.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
    path("api/v1/", api.urls),
]
