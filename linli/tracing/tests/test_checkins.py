"""Check-ins: the place token, the resident's scan (idempotent, closes the visit left open
elsewhere), leaving, a worker's record with its checks, the poster, the phone page, the
worker's recording page, and POST /api/v1/checkins."""

import datetime as dt
from xml.etree import ElementTree

import pytest
from django.test import Client
from django.utils import timezone

from linli.core.errors import ApplicationError
from linli.core.models import AuditEvent
from linli.places.choices import PlaceKind
from linli.places.models import Community, PublicPlace
from linli.tracing import qr, services
from linli.tracing.choices import CheckInSource
from linli.tracing.models import CheckIn

pytestmark = pytest.mark.django_db


def parse(svg: str):
    return ElementTree.fromstring(svg)  # noqa: S314 (our own output)


def make_place(community, name="便民超市", kind=PlaceKind.SHOP, x=100, y=100):
    return PublicPlace.objects.create(community=community, name=name, kind=kind, x=x, y=y)


def other_community_place():
    other = Community.objects.create(name="别的社区", code="other")
    return make_place(other, name="别处药店", kind=PlaceKind.CLINIC)


@pytest.fixture
def shop(world):
    return make_place(world.community)


@pytest.fixture
def clinic(world):
    return make_place(world.community, name="社区诊所", kind=PlaceKind.CLINIC, x=200, y=150)


# ------------------------------------------------------------------------- token


def test_token_names_the_place_and_refuses_a_counted_id(shop):
    token = qr.place_token(shop.pk)
    assert qr.place_id_from_token(token) == shop.pk
    number, _sep, signature = token.partition("-")
    assert qr.place_id_from_token(f"{int(number) + 1}-{signature}") is None
    assert qr.place_id_from_token(str(shop.pk)) is None
    assert qr.place_id_from_token("abc-def") is None
    assert qr.place_token(shop.pk) == token  # stable: printed posters stay valid


# ------------------------------------------------------------------------- services


def test_a_second_tap_within_minutes_is_the_same_visit(world, shop):
    zhang = world.residents["zhang"]
    now = timezone.now()
    ((first, created),) = services.checkin_scan(
        actor=world.user("resident"), place=shop, residents=[zhang], at=now
    )
    ((again, created_again),) = services.checkin_scan(
        actor=world.user("resident"),
        place=shop,
        residents=[zhang],
        at=now + dt.timedelta(minutes=2),
    )
    assert created and not created_again and again.pk == first.pk
    assert CheckIn.objects.count() == 1 and first.source == CheckInSource.SCAN


def test_a_scan_elsewhere_closes_the_open_visit_at_the_new_entry(world, shop, clinic):
    zhang = world.residents["zhang"]
    start = timezone.now() - dt.timedelta(minutes=50)
    ((at_shop, _c),) = services.checkin_scan(actor=None, place=shop, residents=[zhang], at=start)
    later = start + dt.timedelta(minutes=40)
    ((at_clinic, created),) = services.checkin_scan(
        actor=None, place=clinic, residents=[zhang], at=later
    )
    at_shop.refresh_from_db()
    assert created and at_shop.left_at == later and at_clinic.left_at is None


def test_a_visit_left_open_for_hours_keeps_its_default_stay(world, shop, clinic):
    zhang = world.residents["zhang"]
    old = timezone.now() - dt.timedelta(hours=services.OPEN_VISIT_HOURS + 1)
    ((forgotten, _c),) = services.checkin_scan(actor=None, place=shop, residents=[zhang], at=old)
    services.checkin_scan(actor=None, place=clinic, residents=[zhang])
    forgotten.refresh_from_db()
    assert forgotten.left_at is None  # not stretched into a stay of five hours


def test_leaving_records_the_exit_once(world, shop):
    zhang = world.residents["zhang"]
    entered = timezone.now() - dt.timedelta(minutes=20)
    ((checkin, _c),) = services.checkin_scan(actor=None, place=shop, residents=[zhang], at=entered)
    (left,) = services.checkin_leave(actor=None, checkins=[checkin])
    first_exit = left.left_at
    (again,) = services.checkin_leave(actor=None, checkins=[checkin])
    assert first_exit is not None and again.left_at == first_exit


@pytest.mark.parametrize(
    ("entered", "left", "field", "words"),
    [
        (dt.timedelta(hours=1), None, "entered_at", "future"),
        (dt.timedelta(days=-15), None, "entered_at", "14 days"),
        (dt.timedelta(hours=-2), dt.timedelta(hours=-3), "left_at", "after the entry"),
        (dt.timedelta(hours=-2), dt.timedelta(hours=1), "left_at", "future"),
    ],
)
def test_worker_record_names_the_field_it_refuses(world, shop, entered, left, field, words):
    now = timezone.now()
    with pytest.raises(ApplicationError) as caught:
        services.checkin_record(
            actor=world.user("property"),
            place=shop,
            resident=world.residents["wang"],
            entered_at=now + entered,
            left_at=now + left if left is not None else None,
        )
    assert field in caught.value.fields and words in caught.value.fields[field][0]
    assert not CheckIn.objects.exists()


def test_worker_record_is_audited_and_a_resend_is_the_same_entry(world, shop):
    entered = timezone.now() - dt.timedelta(hours=1)
    checkin, created = services.checkin_record(
        actor=world.user("property"),
        place=shop,
        resident=world.residents["wang"],
        entered_at=entered,
    )
    same, created_again = services.checkin_record(
        actor=world.user("property"),
        place=shop,
        resident=world.residents["wang"],
        entered_at=entered + dt.timedelta(minutes=1),
        left_at=entered + dt.timedelta(minutes=30),
    )
    assert created and not created_again and same.pk == checkin.pk
    assert same.left_at == entered + dt.timedelta(minutes=30)
    assert checkin.source == CheckInSource.WORKER
    assert AuditEvent.objects.filter(action="tracing.checkin_record").count() == 1


def test_direct_contact_needs_two_people(world):
    zhang = world.residents["zhang"]
    with pytest.raises(ApplicationError) as caught:
        services.direct_contact_record(actor=None, resident=zhang, other=zhang, at=timezone.now())
    assert "other" in caught.value.fields


# ------------------------------------------------------------------------- pages


def test_poster_shows_the_place_and_a_qr_code_of_its_short_url(world, shop, as_user):
    response = as_user("staff").get(f"/tracing/places/{shop.pk}/poster")
    html = response.content.decode()
    assert response.status_code == 200 and shop.name in html
    start = html.index("<svg")
    svg = html[start : html.index("</svg>", start) + len("</svg>")]
    parse(svg.replace("<svg ", '<svg xmlns="http://www.w3.org/2000/svg" ', 1))
    assert f"/c/{qr.place_token(shop.pk)}/" in html


def test_all_posters_print_on_one_page(world, shop, clinic, as_user):
    html = as_user("property").get("/tracing/places/posters").content.decode()
    assert html.count('class="segno"') == 2
    listing = as_user("property").get("/tracing/places").content.decode()
    assert shop.name in listing and f"/tracing/places/{clinic.pk}/record" in listing


def test_places_and_posters_are_refused_to_outsiders_and_residents(world, shop, as_user):
    for name in ["outsider", "resident", "supervisor"]:
        client = as_user(name)
        assert client.get("/tracing/places").status_code == 403, name
        assert client.get(f"/tracing/places/{shop.pk}/poster").status_code == 404, name
    assert (
        as_user("staff").get(f"/tracing/places/{other_community_place().pk}/poster").status_code
        == 404
    )


def test_scan_page_sends_a_visitor_to_log_in_and_back(world, shop):
    url = f"/c/{qr.place_token(shop.pk)}/"
    response = Client().get(url)
    assert response.status_code == 302 and "next=" + url in response["Location"]


def test_forged_token_is_not_found(world, shop, as_user):
    assert as_user("resident").get(f"/c/{shop.pk}-AAAAAAAAAAAAAAAA/").status_code == 404


def test_resident_checks_in_with_a_child_and_leaves(world, shop, as_user):
    client = as_user("resident")
    url = f"/c/{qr.place_token(shop.pk)}/"
    page = client.get(url).content.decode()
    assert "I am entering" in page and world.residents["zhang_wife"].name in page
    people = [world.residents["zhang"].pk, world.residents["zhang_wife"].pk]
    response = client.post(url, {"action": "enter", "people": people}, follow=True)
    assert "Checked in" in response.content.decode()
    response = client.post(url, {"action": "enter", "people": people[:1]}, follow=True)
    assert "the same visit" in response.content.decode()
    assert CheckIn.objects.count() == 2
    visits = list(CheckIn.objects.values_list("pk", flat=True))
    page = client.get(url).content.decode()
    assert "I am leaving" in page
    response = client.post(url, {"action": "leave", "checkins": visits}, follow=True)
    assert "Goodbye" in response.content.decode()
    assert not CheckIn.objects.filter(left_at__isnull=True).exists()


def test_resident_cannot_check_in_someone_outside_the_household(world, shop, as_user):
    url = f"/c/{qr.place_token(shop.pk)}/"
    as_user("resident").post(url, {"action": "enter", "people": [world.residents["wang"].pk]})
    assert not CheckIn.objects.exists()


def test_a_worker_scanning_the_code_is_sent_to_the_recording_page(world, shop, as_user):
    html = as_user("property").get(f"/c/{qr.place_token(shop.pk)}/").content.decode()
    assert f"/tracing/places/{shop.pk}/record" in html
    response = as_user("property").post(f"/c/{qr.place_token(shop.pk)}/", {"action": "enter"})
    assert response.status_code == 403


def test_property_staff_record_an_entry_and_its_exit(world, shop, as_user):
    client = as_user("property")
    url = f"/tracing/places/{shop.pk}/record"
    wang = world.residents["wang"]
    page = client.get(url, {"q": wang.phone[-4:]}).content.decode()
    assert wang.name in page
    response = client.post(url, {"q": wang.phone[-4:], "action": "record", "resident": wang.pk})
    assert response.status_code == 302
    checkin = CheckIn.objects.get()
    assert checkin.resident == wang and checkin.recorded_by == world.user("property")
    assert wang.name in client.get(url).content.decode()  # today's list
    client.post(url, {"action": "leave", "checkin": checkin.pk})
    checkin.refresh_from_db()
    assert checkin.left_at is not None


def test_record_page_names_the_refused_field(world, shop, as_user):
    wang = world.residents["wang"]
    future = (timezone.localtime() + dt.timedelta(hours=3)).strftime("%Y-%m-%dT%H:%M")
    response = as_user("property").post(
        f"/tracing/places/{shop.pk}/record",
        {"q": wang.name, "action": "record", "resident": wang.pk, "entered_at": future},
    )
    assert response.status_code == 400
    assert "cannot be in the future" in response.content.decode()
    assert not CheckIn.objects.exists()


def test_record_page_is_refused_outside_the_area(world, shop, as_user):
    for name in ["outsider", "resident", "doctor", "supervisor"]:
        assert as_user(name).get(f"/tracing/places/{shop.pk}/record").status_code == 404, name
    place = other_community_place()
    assert as_user("property").get(f"/tracing/places/{place.pk}/record").status_code == 404


def test_grid_worker_finds_only_the_people_of_their_grid(world, shop, as_user):
    page = as_user("grid_b").get(f"/tracing/places/{shop.pk}/record", {"q": "wang"})
    assert world.residents["wang"].name not in page.content.decode()  # wang lives in grid A


# ------------------------------------------------------------------------- API


def test_api_resident_checks_in_by_token_idempotently(world, shop, as_user):
    client = as_user("resident")
    body = {"token": qr.place_token(shop.pk)}
    first = client.post("/api/v1/checkins", body, content_type="application/json")
    again = client.post("/api/v1/checkins", body, content_type="application/json")
    assert first.status_code == 201 and again.status_code == 200, first.content
    assert first.json()["id"] == again.json()["id"]
    assert first.json()["resident_id"] == world.residents["zhang"].pk
    assert first.json()["inferred_left_at"]
    leave = client.post(
        f"/api/v1/checkins/{first.json()['id']}/leave", {}, content_type="application/json"
    )
    assert leave.status_code == 200 and leave.json()["left_at"]


def test_api_worker_records_by_place_id(world, shop, as_user):
    response = as_user("property").post(
        "/api/v1/checkins",
        {"place_id": shop.pk, "resident_id": world.residents["wang"].pk},
        content_type="application/json",
    )
    assert response.status_code == 201, response.content
    assert response.json()["source"] == CheckInSource.WORKER


def test_api_refuses_places_and_people_outside_the_area(world, shop, as_user):
    place = other_community_place()
    staff = as_user("staff")
    response = staff.post(
        "/api/v1/checkins",
        {"place_id": place.pk, "resident_id": world.residents["wang"].pk},
        content_type="application/json",
    )
    assert response.status_code == 404 and response.json()["error"]["code"] == "not_found"
    # A resident may not use place ids (they could check in anywhere by counting).
    response = as_user("resident").post(
        "/api/v1/checkins", {"place_id": shop.pk}, content_type="application/json"
    )
    assert response.status_code == 404
    # Nor check in someone of another household.
    response = as_user("resident").post(
        "/api/v1/checkins",
        {"token": qr.place_token(shop.pk), "resident_id": world.residents["wang"].pk},
        content_type="application/json",
    )
    assert response.status_code == 404
    response = as_user("grid_b").post(
        "/api/v1/checkins",
        {"place_id": shop.pk, "resident_id": world.residents["wang"].pk},
        content_type="application/json",
    )
    assert response.status_code == 404
    assert Client().post("/api/v1/checkins", {}, content_type="application/json").status_code == 401
    assert not CheckIn.objects.exists()


def test_api_names_the_field_of_a_bad_record(world, shop, as_user):
    response = as_user("property").post(
        "/api/v1/checkins",
        {
            "place_id": shop.pk,
            "resident_id": world.residents["wang"].pk,
            "entered_at": (timezone.now() + dt.timedelta(hours=2)).isoformat(),
        },
        content_type="application/json",
    )
    assert response.status_code == 400 and "entered_at" in response.json()["error"]["fields"]
