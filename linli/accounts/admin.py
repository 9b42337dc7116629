from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin

from linli.accounts.models import ApiToken, RoleGrant, User


class GrantInline(admin.TabularInline):
    model = RoleGrant
    extra = 0
    raw_id_fields = ["community", "grid", "building"]


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    fieldsets = (
        *BaseUserAdmin.fieldsets,
        ("Linli", {"fields": ("display_name", "phone", "resident")}),
    )
    raw_id_fields = ["resident"]
    inlines = [GrantInline]
    list_display = ["username", "display_name", "is_active", "is_superuser"]


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    list_display = ["user", "prefix", "created_at", "expires_at", "last_used_at"]
    readonly_fields = ["key_hash", "prefix"]
