from django.contrib import admin

from linli.notices.models import Notification


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    list_display = ["created_at", "channel", "title", "user", "household", "status", "read_at"]
    list_filter = ["channel", "status"]
    search_fields = ["title", "body"]
    raw_id_fields = ["user", "household"]
    readonly_fields = ["created_at", "sent_at", "read_at"]
