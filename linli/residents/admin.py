from django.contrib import admin

from linli.residents.models import ImportBatch, Resident, ResidentTag, Verification


class TagInline(admin.TabularInline):
    model = ResidentTag
    extra = 0


@admin.register(Resident)
class ResidentAdmin(admin.ModelAdmin):
    list_display = ["name", "sex", "birth_date", "household", "id_number_masked", "verified_at"]
    search_fields = ["name", "name_pinyin", "phone", "id_last4"]
    list_select_related = ["household__building", "household__entrance"]
    raw_id_fields = ["household", "verified_by"]
    readonly_fields = ["id_number_masked", "name_pinyin", "name_initials"]
    inlines = [TagInline]


@admin.register(Verification)
class VerificationAdmin(admin.ModelAdmin):
    list_display = ["resident", "verified_at", "method", "verified_by"]
    raw_id_fields = ["resident", "verified_by"]


@admin.register(ImportBatch)
class ImportBatchAdmin(admin.ModelAdmin):
    list_display = ["filename", "community", "status", "total_rows", "valid_rows", "created_at"]
    exclude = ["content"]
