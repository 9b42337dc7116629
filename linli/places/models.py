from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from linli.places.choices import PlaceKind


class Coordinates(models.Model):
    """A position on the community's site plan, in metres from its south-west corner, with an
    optional latitude/longitude for when a real map becomes available."""

    x = models.FloatField(_("x (m)"), default=0)
    y = models.FloatField(_("y (m)"), default=0)
    latitude = models.DecimalField(
        _("latitude"), max_digits=9, decimal_places=6, null=True, blank=True
    )
    longitude = models.DecimalField(
        _("longitude"), max_digits=9, decimal_places=6, null=True, blank=True
    )

    class Meta:
        abstract = True


class Community(models.Model):
    """A residents' committee's community (社区), the unit that runs Linli."""

    name = models.CharField(_("name"), max_length=100)
    code = models.SlugField(_("code"), max_length=32, unique=True)
    street = models.CharField(_("street office"), max_length=100, blank=True)
    district = models.CharField(_("district"), max_length=100, blank=True)
    city = models.CharField(_("city"), max_length=100, blank=True)
    # Size of the site plan, in metres.
    width = models.FloatField(_("site width (m)"), default=1000)
    height = models.FloatField(_("site height (m)"), default=1000)

    class Meta:
        ordering = ["name"]
        verbose_name = _("community")
        verbose_name_plural = _("communities")

    def __str__(self):
        return self.name


class Grid(models.Model):
    """A grid (网格) of 300-500 households, the area one grid worker answers for."""

    community = models.ForeignKey(Community, on_delete=models.PROTECT, related_name="grids")
    number = models.PositiveSmallIntegerField(_("number"))
    name = models.CharField(_("name"), max_length=100)

    class Meta:
        ordering = ["community", "number"]
        verbose_name = _("grid")
        verbose_name_plural = _("grids")
        constraints = [
            models.UniqueConstraint(fields=["community", "number"], name="grid_unique_number")
        ]

    def __str__(self):
        return self.name


class Building(Coordinates):
    """A residential building (楼栋) on the site plan."""

    community = models.ForeignKey(
        Community, on_delete=models.PROTECT, related_name="buildings", verbose_name=_("community")
    )
    grid = models.ForeignKey(
        Grid, on_delete=models.PROTECT, related_name="buildings", verbose_name=_("grid")
    )
    number = models.CharField(_("number"), max_length=20)
    estate = models.CharField(_("estate"), max_length=100, blank=True)
    floors = models.PositiveSmallIntegerField(_("floors"), default=6)
    has_lift = models.BooleanField(_("has a lift"), default=False)

    class Meta:
        ordering = ["community", "grid__number", "number"]
        verbose_name = _("building")
        verbose_name_plural = _("buildings")
        constraints = [
            models.UniqueConstraint(fields=["community", "number"], name="building_unique_number")
        ]

    def __str__(self):
        return _("Building %(number)s") % {"number": self.number}


class Entrance(models.Model):
    """An entrance or stairwell (单元) of a building."""

    building = models.ForeignKey(Building, on_delete=models.CASCADE, related_name="entrances")
    number = models.PositiveSmallIntegerField(_("number"))

    class Meta:
        ordering = ["building", "number"]
        verbose_name = _("entrance")
        verbose_name_plural = _("entrances")
        constraints = [
            models.UniqueConstraint(fields=["building", "number"], name="entrance_unique_number")
        ]

    def __str__(self):
        return _("%(building)s entrance %(number)s") % {
            "building": self.building,
            "number": self.number,
        }


class Household(models.Model):
    """A household (户): the flat at one room number of one entrance."""

    building = models.ForeignKey(
        Building, on_delete=models.PROTECT, related_name="households", verbose_name=_("building")
    )
    entrance = models.ForeignKey(
        Entrance, on_delete=models.PROTECT, related_name="households", verbose_name=_("entrance")
    )
    room = models.CharField(_("room"), max_length=20)
    floor = models.PositiveSmallIntegerField(_("floor"), default=1)
    note = models.CharField(_("note"), max_length=200, blank=True)

    class Meta:
        ordering = ["building", "entrance__number", "room"]
        verbose_name = _("household")
        verbose_name_plural = _("households")
        constraints = [
            models.UniqueConstraint(fields=["entrance", "room"], name="household_unique_room")
        ]

    def __str__(self):
        return f"{self.building.number}-{self.entrance.number}-{self.room}"

    @property
    def address(self) -> str:
        return _("Building %(b)s, entrance %(e)s, room %(r)s") % {
            "b": self.building.number,
            "e": self.entrance.number,
            "r": self.room,
        }


class PublicPlace(Coordinates):
    """A shared place: gate, pickup point, shop, clinic, square, bin station."""

    community = models.ForeignKey(Community, on_delete=models.CASCADE, related_name="places")
    grid = models.ForeignKey(
        Grid, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    kind = models.CharField(_("kind"), max_length=20, choices=PlaceKind.choices)
    name = models.CharField(_("name"), max_length=100)

    class Meta:
        ordering = ["community", "kind", "name"]
        verbose_name = _("public place")
        verbose_name_plural = _("public places")
        constraints = [
            models.CheckConstraint(condition=Q(x__gte=0) & Q(y__gte=0), name="place_on_plan")
        ]

    def __str__(self):
        return self.name
