from django.contrib import admin

from linli.workforce.models import HoursEntry, PpeItem, PpeMovement, Worker


@admin.register(Worker)
class WorkerAdmin(admin.ModelAdmin):
    list_display = ["name", "force", "status", "community", "phone", "weekly_hour_cap"]
    list_filter = ["force", "status", "community"]
    search_fields = ["name", "phone", "organisation", "user__username"]
    raw_id_fields = ["user", "community", "home_building", "grid", "resident", "decided_by"]
    # Screening decisions go through the screening page, which audits them.
    readonly_fields = [
        "status",
        "identity_checked_at",
        "test_date",
        "training_acknowledged_at",
        "decided_by",
        "decided_at",
        "rejection_reason",
        "created_at",
    ]


@admin.register(HoursEntry)
class HoursEntryAdmin(admin.ModelAdmin):
    list_display = ["worker", "day", "minutes", "task", "note"]
    list_filter = ["day"]
    search_fields = ["worker__name"]
    raw_id_fields = ["worker", "task", "recorded_by"]


@admin.register(PpeItem)
class PpeItemAdmin(admin.ModelAdmin):
    list_display = ["community", "kind", "stock", "unit", "low_threshold"]
    list_filter = ["kind", "community"]
    # Stock moves only through receive/issue, which keep the ledger and the audit log.
    readonly_fields = ["stock"]


@admin.register(PpeMovement)
class PpeMovementAdmin(admin.ModelAdmin):
    list_display = ["item", "quantity", "worker", "by", "created_at"]
    raw_id_fields = ["item", "worker", "by"]

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
