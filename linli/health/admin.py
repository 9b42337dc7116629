"""The health records in the admin: read only. Every change goes through the services, which
keep the history, the audit trail and the tasks a change causes (a write here would skip them)."""

from django.contrib import admin

from linli.health.models import (
    HealthRecord,
    HealthReport,
    HealthStatusChange,
    LabResult,
    Quarantine,
    QuarantineExtension,
)


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(HealthRecord)
class HealthRecordAdmin(ReadOnlyAdmin):
    list_display = ["resident", "status", "since", "updated_at"]
    list_filter = ["status"]
    search_fields = ["resident__name"]
    raw_id_fields = ["resident"]


@admin.register(HealthStatusChange)
class HealthStatusChangeAdmin(ReadOnlyAdmin):
    list_display = ["resident", "from_status", "to_status", "source", "changed_by", "changed_at"]
    list_filter = ["to_status", "source"]
    search_fields = ["resident__name", "reason"]
    raw_id_fields = ["resident", "changed_by"]
    date_hierarchy = "changed_at"


@admin.register(HealthReport)
class HealthReportAdmin(ReadOnlyAdmin):
    list_display = ["resident", "date", "temperature", "source", "reported_by", "reported_at"]
    list_filter = ["date", "source"]
    search_fields = ["resident__name"]
    raw_id_fields = ["resident", "reported_by"]


@admin.register(LabResult)
class LabResultAdmin(ReadOnlyAdmin):
    list_display = ["resident", "kind", "outcome", "sampled_on", "place", "imported"]
    list_filter = ["kind", "outcome", "imported"]
    search_fields = ["resident__name", "place"]
    raw_id_fields = ["resident", "recorded_by"]


class QuarantineExtensionInline(admin.TabularInline):
    model = QuarantineExtension
    extra = 0
    fields = ["old_end", "new_end", "reason", "by", "at"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Quarantine)
class QuarantineAdmin(ReadOnlyAdmin):
    list_display = ["resident", "kind", "starts_on", "ends_on", "released_on", "location"]
    list_filter = ["kind", "released_on"]
    search_fields = ["resident__name", "location"]
    raw_id_fields = ["resident", "started_by", "released_by"]
    inlines = [QuarantineExtensionInline]
