"""Admin for tracing. Whereabouts and review decisions change only through the services,
which audit them and apply the health rules, so most fields here are read-only."""

from django.contrib import admin

from linli.tracing.models import (
    CheckIn,
    CrossCheck,
    CrossCheckMatch,
    CrossCheckRow,
    DirectContact,
    TraceContact,
    TracingRun,
)


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(CheckIn)
class CheckInAdmin(ReadOnlyAdmin):
    list_display = ["resident", "place", "entered_at", "left_at", "source", "recorded_by"]
    list_filter = ["source"]
    date_hierarchy = "entered_at"
    raw_id_fields = ["resident", "place", "recorded_by"]
    list_select_related = ["resident", "place", "recorded_by"]


@admin.register(DirectContact)
class DirectContactAdmin(ReadOnlyAdmin):
    list_display = ["resident", "other", "at", "note", "recorded_by"]
    raw_id_fields = ["resident", "other", "recorded_by"]
    list_select_related = ["resident", "other", "recorded_by"]


class TraceContactInline(admin.TabularInline):
    model = TraceContact
    extra = 0
    fields = ["resident", "source", "hop", "kind", "place", "exposure_at", "review"]
    readonly_fields = fields
    can_delete = False
    show_change_link = True


@admin.register(TracingRun)
class TracingRunAdmin(ReadOnlyAdmin):
    list_display = ["id", "community", "period_start", "period_end", "status", "contacts_found"]
    list_filter = ["status", "second_hop"]
    raw_id_fields = ["community", "index_cases", "job", "created_by"]
    inlines = [TraceContactInline]


@admin.register(TraceContact)
class TraceContactAdmin(ReadOnlyAdmin):
    list_display = ["resident", "source", "run", "hop", "kind", "exposure_at", "review"]
    list_filter = ["review", "hop", "kind"]
    raw_id_fields = ["run", "resident", "source", "place", "reviewed_by"]
    list_select_related = ["resident", "source", "run"]


@admin.register(CrossCheck)
class CrossCheckAdmin(ReadOnlyAdmin):
    list_display = ["filename", "community", "list_kind", "status", "row_count", "matched_rows"]
    list_filter = ["status", "list_kind"]
    raw_id_fields = ["community", "job", "created_by"]


@admin.register(CrossCheckRow)
class CrossCheckRowAdmin(ReadOnlyAdmin):
    list_display = ["crosscheck", "number", "matched"]
    list_filter = ["matched"]
    raw_id_fields = ["crosscheck"]


@admin.register(CrossCheckMatch)
class CrossCheckMatchAdmin(ReadOnlyAdmin):
    list_display = ["crosscheck", "row", "resident", "probability", "review"]
    list_filter = ["review"]
    raw_id_fields = ["crosscheck", "row", "resident", "reviewed_by"]
    list_select_related = ["resident", "row", "crosscheck"]
