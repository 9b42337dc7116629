from django.db import models
from django.utils.translation import gettext_lazy as _


class PlaceKind(models.TextChoices):
    GATE = "gate", _("Gate")
    PICKUP_POINT = "pickup_point", _("Pickup point")
    SHOP = "shop", _("Shop")
    CLINIC = "clinic", _("Clinic")
    SQUARE = "square", _("Square")
    BIN_STATION = "bin_station", _("Bin station")
    OFFICE = "office", _("Committee office")
    OTHER = "other", _("Other")
