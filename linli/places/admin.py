from django.contrib import admin

from linli.places.models import Building, Community, Entrance, Grid, Household, PublicPlace


@admin.register(Community)
class CommunityAdmin(admin.ModelAdmin):
    list_display = ["name", "code", "street", "district"]


@admin.register(Grid)
class GridAdmin(admin.ModelAdmin):
    list_display = ["name", "community", "number"]


@admin.register(Building)
class BuildingAdmin(admin.ModelAdmin):
    list_display = ["number", "estate", "grid", "floors", "x", "y"]
    list_filter = ["grid"]
    search_fields = ["number", "estate"]


@admin.register(Entrance)
class EntranceAdmin(admin.ModelAdmin):
    list_display = ["building", "number"]
    raw_id_fields = ["building"]


@admin.register(Household)
class HouseholdAdmin(admin.ModelAdmin):
    list_display = ["__str__", "building", "floor"]
    raw_id_fields = ["building", "entrance"]
    search_fields = ["room", "building__number"]


@admin.register(PublicPlace)
class PublicPlaceAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "community", "x", "y"]
    list_filter = ["kind"]
