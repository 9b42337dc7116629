"""Who gets door delivery (proposal S4: "everyone able-bodied collects downstairs; door delivery
only for the old, weak, sick and disabled"), derived from the registry, never typed.

A household is eligible when any active member is
- aged 70 or more AND living alone (the only active member of the household);
- disabled: the "disabled" special group, or any recorded disability grade (1-4);
- bedridden or chronically ill: the "chronic illness" (or "on dialysis") group together with a
  disability or an age of 80 or more. Chronic illness alone does not qualify: most people with
  high blood pressure or diabetes can walk downstairs, and door delivery must stay small
  enough for the volunteers to reach everyone who cannot;
- pregnant (the registry does not record the term, so every pregnancy counts);
or the household is under home quarantine (`quarantined_household_ids`).
Staff overrides (DoorDeliveryOverride) then add or remove single households, with a reason.
Everyone else collects at their pickup point.
"""

from datetime import date

from django.db.models import Q
from django.utils import timezone

from linli.delivery.choices import Reason
from linli.delivery.constants import AGED_ALONE_YEARS, CHRONIC_FRAIL_YEARS
from linli.residents.choices import Tag
from linli.residents.models import Resident
from linli.residents.selectors import tag_q, years_ago


def rules(today: date) -> dict[str, Q]:
    """One filter on residents per reason."""
    disabled = tag_q(Tag.DISABLED, today=today) | Q(disability_level__isnull=False)
    chronic = tag_q(Tag.CHRONIC, today=today) | tag_q(Tag.DIALYSIS, today=today)
    return {
        Reason.AGED_ALONE: Q(birth_date__lte=years_ago(today, AGED_ALONE_YEARS))
        & tag_q(Tag.LIVING_ALONE, today=today),
        Reason.DISABLED: disabled,
        Reason.CHRONIC: chronic
        & (disabled | Q(birth_date__lte=years_ago(today, CHRONIC_FRAIL_YEARS))),
        Reason.PREGNANT: tag_q(Tag.PREGNANT, today=today),
    }


def quarantined_household_ids(community) -> set[int]:
    """Households with someone under home quarantine (the health app's record)."""
    from linli.health.selectors import quarantined_household_ids as quarantined

    return quarantined(community)


def registry_reasons(community, *, today: date | None = None, residents=None) -> list[tuple]:
    """(household id, resident id, reason) for every active resident of `community` who makes
    their household eligible. `residents` narrows the residents looked at (a user's area)."""
    today = today or timezone.localdate()
    base = residents if residents is not None else Resident.objects.all()
    base = base.active().filter(household__building__community=community)
    rows = []
    for reason, q in rules(today).items():
        rows += [(hh, rid, reason) for hh, rid in base.filter(q).values_list("household_id", "id")]
    return rows


def overrides_in_force(community) -> dict[int, bool]:
    from linli.delivery.models import DoorDeliveryOverride

    return dict(
        DoorDeliveryOverride.objects.filter(community=community, ended_at__isnull=True).values_list(
            "household_id", "include"
        )
    )


def door_delivery_households(community, *, today: date | None = None) -> set[int]:
    """The households of `community` whose orders are brought to the door: the registry's
    rule, plus quarantined households, then staff overrides. Used when a round closes to set
    Order.door_delivery; everyone else collects."""
    eligible = {hh for hh, _rid, _reason in registry_reasons(community, today=today)}
    eligible |= quarantined_household_ids(community)
    for household_id, include in overrides_in_force(community).items():
        if include:
            eligible.add(household_id)
        else:
            eligible.discard(household_id)
    return eligible
