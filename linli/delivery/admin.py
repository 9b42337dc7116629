from django.contrib import admin

from linli.delivery.models import (
    DeliveryPreference,
    DoorDeliveryOverride,
    Route,
    RoutePlan,
    RouteStop,
)


@admin.register(DoorDeliveryOverride)
class DoorDeliveryOverrideAdmin(admin.ModelAdmin):
    list_display = ["household", "include", "reason", "by", "at", "ended_at"]
    list_filter = ["include"]
    raw_id_fields = ["household", "by", "ended_by"]
    # Overrides change only through the services, which audit them.
    readonly_fields = ["household", "include", "reason", "by", "at", "ended_at", "ended_by"]


@admin.register(DeliveryPreference)
class DeliveryPreferenceAdmin(admin.ModelAdmin):
    list_display = ["household", "earliest", "latest", "updated_at"]
    raw_id_fields = ["household", "updated_by"]


class RouteStopInline(admin.TabularInline):
    model = RouteStop
    extra = 0
    fields = ["sequence", "trip", "household", "order", "bags", "arrives_at"]
    readonly_fields = fields


class RouteInline(admin.TabularInline):
    model = Route
    extra = 0
    fields = ["number", "worker", "task", "distance_m", "bags", "starts_at", "ends_at"]
    readonly_fields = fields


@admin.register(RoutePlan)
class RoutePlanAdmin(admin.ModelAdmin):
    list_display = ["id", "round", "status", "created_at", "distance_m", "orders"]
    list_filter = ["status"]
    readonly_fields = ["status", "job", "worker_ids", "unplanned", "distance_m", "solve_seconds"]
    inlines = [RouteInline]


@admin.register(Route)
class RouteAdmin(admin.ModelAdmin):
    list_display = ["id", "plan", "number", "worker", "bags", "distance_m"]
    raw_id_fields = ["worker", "task"]
    inlines = [RouteStopInline]
