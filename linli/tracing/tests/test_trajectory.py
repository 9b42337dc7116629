"""A person's trajectory: the timeline with recorded and inferred exits, direct contacts, the
site plan, the audit event every read leaves, and who may not read it."""

import datetime as dt
from xml.etree import ElementTree

import pytest
from django.utils import timezone

from linli.core.models import AuditEvent
from linli.tracing import services
from linli.tracing.models import DirectContact
from linli.tracing.tests.test_checkins import make_place

pytestmark = pytest.mark.django_db


def parse(svg: str):
    return ElementTree.fromstring(svg)  # noqa: S314 (our own output)


@pytest.fixture
def visits(world):
    shop = make_place(world.community)
    clinic = make_place(world.community, name="社区诊所", kind="clinic", x=300, y=60)
    zhang = world.residents["zhang"]
    base = timezone.now().replace(microsecond=0) - dt.timedelta(days=2)
    services.checkin_record(
        actor=world.user("staff"),
        place=shop,
        resident=zhang,
        entered_at=base,
        left_at=base + dt.timedelta(minutes=25),
    )
    services.checkin_record(
        actor=world.user("staff"),
        place=clinic,
        resident=zhang,
        entered_at=base + dt.timedelta(hours=2),
    )
    services.direct_contact_record(
        actor=world.user("staff"),
        resident=zhang,
        other=world.residents["chen"],
        at=base + dt.timedelta(hours=5),
        note="shared a taxi",
    )
    return shop, clinic


def _svgs(html: str) -> list[str]:
    found, start = [], html.find("<svg")
    while start >= 0:
        end = html.index("</svg>", start) + len("</svg>")
        found.append(html[start:end])
        start = html.find("<svg", end)
    return found


def test_trajectory_shows_places_times_and_contacts_and_is_audited(world, visits, as_user):
    zhang = world.residents["zhang"]
    response = as_user("doctor").get(f"/tracing/residents/{zhang.pk}/trajectory")
    html = response.content.decode()
    assert response.status_code == 200
    shop, clinic = visits
    assert shop.name in html and clinic.name in html
    assert "(inferred)" in html  # the clinic visit has no exit: the default stay is shown
    assert "shared a taxi" in html and world.residents["chen"].name in html
    for svg in _svgs(html):
        parse(svg)  # the site plan is well-formed
    event = AuditEvent.objects.get(action="tracing.trajectory_read")
    assert event.target_id == str(zhang.pk) and event.actor == world.user("doctor")


def test_period_outside_the_visits_shows_none(world, visits, as_user):
    zhang = world.residents["zhang"]
    html = (
        as_user("staff")
        .get(
            f"/tracing/residents/{zhang.pk}/trajectory",
            {"since": "2020-01-01", "until": "2020-01-14"},
        )
        .content.decode()
    )
    assert "No check-ins in this period." in html


def test_trajectory_is_refused_to_those_who_do_not_trace(world, visits, as_user):
    zhang, chen = world.residents["zhang"], world.residents["chen"]
    # Grid A sees Zhang in the registry but may not read his whereabouts.
    assert as_user("grid_a").get(f"/tracing/residents/{zhang.pk}/trajectory").status_code == 403
    for name in ["outsider", "volunteer", "property", "grid_b", "supervisor"]:
        response = as_user(name).get(f"/tracing/residents/{zhang.pk}/trajectory")
        assert response.status_code in (403, 404), name
    assert as_user("resident").get(f"/tracing/residents/{chen.pk}/trajectory").status_code == 404
    assert not AuditEvent.objects.filter(action="tracing.trajectory_read").exists()


def test_staff_record_a_direct_contact_by_phone(world, as_user):
    zhang, wang = world.residents["zhang"], world.residents["wang"]
    at = (timezone.localtime() - dt.timedelta(hours=3)).strftime("%Y-%m-%dT%H:%M")
    response = as_user("staff").post(
        f"/tracing/residents/{zhang.pk}/contacts", {"other": wang.phone, "at": at, "note": "visit"}
    )
    assert response.status_code == 302
    contact = DirectContact.objects.get()
    assert (contact.resident, contact.other) == (zhang, wang)


def test_direct_contact_with_an_ambiguous_name_is_refused(world, as_user):
    zhang = world.residents["zhang"]
    at = (timezone.localtime() - dt.timedelta(hours=3)).strftime("%Y-%m-%dT%H:%M")
    response = as_user("staff").post(
        f"/tracing/residents/{zhang.pk}/contacts", {"other": "1380000", "at": at}, follow=True
    )
    assert "people match" in response.content.decode()
    assert not DirectContact.objects.exists()
    response = as_user("volunteer").post(
        f"/tracing/residents/{zhang.pk}/contacts", {"other": "13800000022", "at": at}
    )
    assert response.status_code == 404 and not DirectContact.objects.exists()
