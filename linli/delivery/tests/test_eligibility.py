"""Who gets door delivery: the registry's rule, the quarantine hook, and staff overrides."""

import pytest
from django.utils import timezone

from linli.core.errors import ApplicationError
from linli.core.models import AuditEvent
from linli.delivery.eligibility import (
    door_delivery_households,
    quarantined_household_ids,
    registry_reasons,
)
from linli.delivery.models import DoorDeliveryOverride
from linli.delivery.services import override_end, override_set
from linli.delivery.tests.conftest import person, years_old
from linli.places.services import household_get_or_create
from linli.residents.choices import Tag

pytestmark = pytest.mark.django_db


def _home(world, room):
    return household_get_or_create(building=world.building_b1, entrance=3, room=room)


def test_the_registry_rule_case_by_case(world):
    cases = {
        # room: (members as (age, tags, disability), eligible?)
        "101": ([(70, (), None)], True),  # 70 and alone
        "102": ([(69, (), None)], False),  # 69 and alone
        "103": ([(75, (), None), (40, (), None)], False),  # 75 but not alone
        "104": ([(30, (Tag.DISABLED,), None), (32, (), None)], True),  # disabled tag
        "105": ([(50, (), 4), (52, (), None)], True),  # a recorded disability grade
        "106": ([(60, (Tag.CHRONIC,), None), (58, (), None)], False),  # chronic alone: collects
        "107": ([(81, (Tag.CHRONIC,), None), (79, (), None)], True),  # chronic and 80+
        "108": ([(45, (Tag.DIALYSIS,), 2), (40, (), None)], True),  # dialysis with disability
        "109": ([(28, (Tag.PREGNANT,), None), (30, (), None)], True),  # pregnant
        "110": ([(79, (), None), (85, (), None)], False),  # old couple, both able
    }
    homes = {}
    for room, (members, _expected) in cases.items():
        homes[room] = _home(world, room)
        for age, tags, disability in members:
            person(homes[room], years_old(age), tags=tags, disability=disability)
    eligible = door_delivery_households(world.community)
    for room, (_members, expected) in cases.items():
        assert (homes[room].pk in eligible) is expected, room


def test_reasons_name_the_member_and_the_rule(world):
    home = _home(world, "201")
    frail = person(home, years_old(82), tags=[Tag.CHRONIC], disability=1)
    reasons = {(rid, reason) for hh, rid, reason in registry_reasons(world.community)}
    assert (frail.pk, "disabled") in reasons and (frail.pk, "chronic") in reasons
    # Wang Xiuying (born 1938) lives alone in the world's building A2.
    assert (world.residents["wang"].pk, "aged_alone") in reasons


def test_a_member_who_moved_out_does_not_count(world):
    home = _home(world, "301")
    person(home, years_old(72))
    person(home, years_old(40), moved_out=timezone.localdate())
    # The one still living there is 72 and now alone.
    assert home.pk in door_delivery_households(world.community)
    other = _home(world, "302")
    person(other, years_old(30), tags=[Tag.PREGNANT], moved_out=timezone.localdate())
    assert other.pk not in door_delivery_households(world.community)


def test_quarantine_hook_is_empty_until_the_health_app(world):
    assert quarantined_household_ids(world.community) == set()


def test_staff_override_adds_and_removes_with_a_reason_on_record(world):
    wang_home = world.residents["wang"].household
    chen_home = world.residents["chen"].household
    staff = world.user("staff")
    assert wang_home.pk in door_delivery_households(world.community)
    assert chen_home.pk not in door_delivery_households(world.community)

    override_set(actor=staff, household=chen_home, include=True, reason="broken leg, in a cast")
    override_set(actor=staff, household=wang_home, include=False, reason="daughter moved in")
    eligible = door_delivery_households(world.community)
    assert chen_home.pk in eligible and wang_home.pk not in eligible

    events = AuditEvent.objects.filter(action="delivery.override_set").order_by("id")
    assert [e.detail["reason"] for e in events] == ["broken leg, in a cast", "daughter moved in"]
    assert all(e.actor == staff and e.community_id == world.community.pk for e in events)


def test_an_override_needs_a_reason_and_nothing_is_written_without_one(world):
    with pytest.raises(ApplicationError) as exc:
        override_set(
            actor=world.user("staff"),
            household=world.residents["chen"].household,
            include=True,
            reason="   ",
        )
    assert "reason" in exc.value.fields
    assert not DoorDeliveryOverride.objects.exists()
    assert not AuditEvent.objects.filter(action__startswith="delivery.").exists()


def test_a_new_override_ends_the_one_in_force_and_ending_needs_a_reason(world):
    home = world.residents["chen"].household
    staff = world.user("staff")
    first = override_set(actor=staff, household=home, include=True, reason="surgery")
    second = override_set(actor=staff, household=home, include=False, reason="recovered")
    first.refresh_from_db()
    assert first.ended_at is not None and "recovered" in first.end_reason
    assert (
        DoorDeliveryOverride.objects.filter(household=home, ended_at__isnull=True).get() == second
    )
    with pytest.raises(ApplicationError):
        override_end(actor=staff, override=second, reason="")
    override_end(actor=staff, override=second, reason="follow the registry")
    assert not DoorDeliveryOverride.objects.filter(ended_at__isnull=True).exists()
    assert AuditEvent.objects.filter(
        action="delivery.override_end", detail__reason="follow the registry"
    ).exists()
    assert home.pk not in door_delivery_households(world.community)
