"""Writes for places."""

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from linli.core.errors import ApplicationError
from linli.places.models import Building, Entrance, Household


def floor_of(room: str) -> int:
    """Room 301 is on floor 3, 1202 on floor 12; anything else counts as floor 1."""
    digits = "".join(ch for ch in room if ch.isdigit())
    return max(int(digits[:-2]), 1) if len(digits) >= 3 else 1


def household_get_or_create(*, building: Building, entrance: int, room: str) -> Household:
    """The household at building-entrance-room, creating the entrance and household if new.
    Safe when two imports or two workers create the same household at once."""
    room = str(room).strip()
    if not room or len(room) > 20:
        raise ApplicationError(
            _("Please correct the marked fields."),
            fields={"room": [_("is required, at most 20 characters")]},
        )
    if not 1 <= entrance <= 99:
        raise ApplicationError(
            _("Please correct the marked fields."),
            fields={"entrance": [_("must be a number from 1 to 99")]},
        )
    for _attempt in range(2):
        try:
            with transaction.atomic():
                entrance_obj, _c = Entrance.objects.get_or_create(
                    building=building, number=entrance
                )
                household, _c = Household.objects.get_or_create(
                    entrance=entrance_obj,
                    room=room,
                    defaults={"building": building, "floor": floor_of(room)},
                )
                return household
        except IntegrityError:
            continue  # another transaction created it between our read and write: read again
    return Household.objects.get(entrance__building=building, entrance__number=entrance, room=room)
