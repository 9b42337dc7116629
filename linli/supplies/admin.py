"""Admin for support staff: reading rounds and orders, fixing a supplier's record. Everyday work
goes through the pages, whose services keep stock and the audit log right; so the admin shows
stock, orders and stored answers read-only."""

from django.contrib import admin

from linli.supplies.models import (
    IdempotentResponse,
    Order,
    OrderLine,
    Package,
    PickupAssignment,
    PickupPlan,
    PickupPoint,
    Round,
    RoundItem,
    Supplier,
    SupplierStaff,
)


class SupplierStaffInline(admin.TabularInline):
    model = SupplierStaff
    extra = 0


class PackageInline(admin.TabularInline):
    model = Package
    extra = 0


@admin.register(Supplier)
class SupplierAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "community", "contact", "phone", "active"]
    list_filter = ["kind", "active", "community"]
    search_fields = ["name", "contact", "phone"]
    inlines = [SupplierStaffInline, PackageInline]


class RoundItemInline(admin.TabularInline):
    model = RoundItem
    extra = 0
    can_delete = False
    readonly_fields = ["package", "price_fen", "stock", "per_household"]

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Round)
class RoundAdmin(admin.ModelAdmin):
    list_display = ["title", "community", "supplier", "status", "opens_at", "closes_at"]
    list_filter = ["status", "community"]
    search_fields = ["title"]
    date_hierarchy = "opens_at"
    raw_id_fields = ["supplier", "pickup_plan", "created_by"]
    filter_horizontal = ["buildings"]
    readonly_fields = ["status", "created_by", "created_at", "closed_at"]
    inlines = [RoundItemInline]


class OrderLineInline(admin.TabularInline):
    model = OrderLine
    extra = 0
    can_delete = False
    readonly_fields = ["item", "quantity", "price_fen"]

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Order)
class OrderAdmin(admin.ModelAdmin):
    list_display = ["pk", "round", "household", "status", "payment", "total_fen", "slot_start"]
    list_filter = ["status", "payment", "door_delivery"]
    list_select_related = ["round", "household__building", "household__entrance"]
    search_fields = ["pickup_code", "idempotency_key"]
    raw_id_fields = ["round", "household", "placed_by", "pickup_point", "collected_by"]
    readonly_fields = [
        "round",
        "household",
        "status",
        "placed_by",
        "idempotency_key",
        "total_fen",
        "pickup_code",
        "created_at",
        "updated_at",
        "collected_at",
        "collected_by",
    ]
    inlines = [OrderLineInline]

    def has_add_permission(self, request):
        return False


@admin.register(PickupPoint)
class PickupPointAdmin(admin.ModelAdmin):
    list_display = ["name", "community", "place", "building", "capacity"]
    list_filter = ["community"]
    raw_id_fields = ["place", "building"]


class PickupAssignmentInline(admin.TabularInline):
    model = PickupAssignment
    extra = 0
    raw_id_fields = ["building", "point"]


@admin.register(PickupPlan)
class PickupPlanAdmin(admin.ModelAdmin):
    list_display = ["pk", "community", "k", "cost", "method", "gap", "created_at"]
    list_filter = ["method", "community"]
    raw_id_fields = ["created_by"]
    inlines = [PickupAssignmentInline]


@admin.register(IdempotentResponse)
class IdempotentResponseAdmin(admin.ModelAdmin):
    list_display = ["created_at", "user", "scope", "key", "status_code"]
    search_fields = ["key", "scope"]
    readonly_fields = ["user", "key", "scope", "status_code", "body", "created_at"]

    def has_add_permission(self, request):
        return False
