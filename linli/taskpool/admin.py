from django.contrib import admin

from linli.taskpool.models import DispatchProposal, Task, TaskEvent, TaskRequest


class RequestInline(admin.TabularInline):
    model = TaskRequest
    extra = 0
    readonly_fields = ["source", "requested_by", "note", "created_at"]


class EventInline(admin.TabularInline):
    model = TaskEvent
    extra = 0
    readonly_fields = [
        "action",
        "from_status",
        "to_status",
        "actor",
        "worker",
        "note",
        "created_at",
    ]


@admin.register(Task)
class TaskAdmin(admin.ModelAdmin):
    list_display = ["id", "title", "kind", "status", "priority", "due_at", "assignee"]
    list_filter = ["status", "kind", "priority"]
    search_fields = ["title", "target_key"]
    raw_id_fields = ["resident", "household", "building", "place", "grid", "assignee"]
    readonly_fields = ["status", "target_key"]  # states move only through the services
    inlines = [RequestInline, EventInline]


@admin.register(DispatchProposal)
class DispatchProposalAdmin(admin.ModelAdmin):
    list_display = ["id", "community", "created_at", "total_cost", "baseline_cost", "seconds"]
