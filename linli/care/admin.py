"""Psychological support in the admin: read only, and never the notes. Every change goes
through the services (audit, follow-up plan, tasks); the session notes are read only on the
case page by the counsellor on the case and the care supervisor, each read audited, so the
admin shows sessions without them."""

from django.contrib import admin

from linli.care.models import (
    CareCase,
    CareSession,
    GroupAttendance,
    GroupSession,
    PriorityFlag,
    Screening,
)


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(PriorityFlag)
class PriorityFlagAdmin(ReadOnlyAdmin):
    list_display = ["resident", "reason", "added_by", "added_at", "ended_at"]
    raw_id_fields = ["resident", "added_by"]
    search_fields = ["resident__name"]


@admin.register(Screening)
class ScreeningAdmin(ReadOnlyAdmin):
    list_display = ["resident", "instrument", "total", "band", "risk", "source", "at"]
    list_filter = ["instrument", "band", "risk", "source"]
    # The answers stay out of the admin: the score and band say what a worker needs.
    fields = ["resident", "instrument", "total", "band", "self_harm", "risk", "source", "by", "at"]
    raw_id_fields = ["resident", "by", "case"]
    search_fields = ["resident__name"]


@admin.register(CareCase)
class CareCaseAdmin(ReadOnlyAdmin):
    list_display = ["resident", "risk", "status", "counsellor", "next_due", "opened_at"]
    list_filter = ["status", "risk", "referral", "outcome"]
    raw_id_fields = ["resident", "counsellor", "opened_by"]
    search_fields = ["resident__name"]


@admin.register(CareSession)
class CareSessionAdmin(ReadOnlyAdmin):
    list_display = ["case", "at", "mode", "minutes", "counsellor"]
    list_filter = ["mode"]
    fields = ["case", "at", "mode", "minutes", "counsellor", "created_at"]
    readonly_fields = fields
    raw_id_fields = ["case", "counsellor"]


@admin.register(GroupSession)
class GroupSessionAdmin(ReadOnlyAdmin):
    list_display = ["title", "community", "audience", "at", "mode", "counsellor"]
    list_filter = ["audience", "mode"]


@admin.register(GroupAttendance)
class GroupAttendanceAdmin(ReadOnlyAdmin):
    list_display = ["session", "resident", "attended"]
    raw_id_fields = ["session", "resident"]
