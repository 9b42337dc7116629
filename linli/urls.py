from django.contrib import admin
from django.urls import include, path

from linli.api import api

urlpatterns = [
    path("", include("linli.core.urls")),
    path("accounts/", include("linli.accounts.urls")),
    path("registry/", include("linli.residents.urls")),
    path("tasks/", include("linli.taskpool.urls")),
    path("dispatch/", include("linli.taskpool.dispatch_urls")),
    path("supervision/", include("linli.taskpool.supervision_urls")),
    path("workforce/", include("linli.workforce.urls")),
    path("volunteer/", include("linli.workforce.public_urls")),
    path("supplies/", include("linli.supplies.urls")),
    path("pickup/", include("linli.supplies.pickup_urls")),
    path("notices/", include("linli.notices.urls")),
    path("delivery/", include("linli.delivery.urls")),
    path("health/", include("linli.health.urls")),
    path("tracing/", include("linli.tracing.urls")),
    path("crosschecks/", include("linli.tracing.crosscheck_urls")),
    path("care/", include("linli.care.urls")),
    # Open information (信息公开): public, no login.
    path("open/", include("linli.notices.public_urls")),
    # Short, because it is printed as a QR code on a poster at every public place.
    path("c/", include("linli.tracing.checkin_urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
    path("api/v1/", api.urls),
]
