"""Volunteer sign-up on the public phone page (S11), and the volunteer's own status page."""

from datetime import date

import pytest
from django.test import Client

from linli.accounts.models import RoleGrant, User
from linli.core.models import AuditEvent
from linli.places.models import Community
from linli.residents.idnumber import make_id_number
from linli.workforce.models import Worker

# 张伟 of building 1, room 301, is in the registry of the test world.
ZHANG_ID = make_id_number("420106", date(1950, 3, 8), 11)


def form(**changes):
    data = {
        "name": "张伟",
        "phone": "13912345678",
        "id_number": ZHANG_ID,
        "building": "1",
        "room": "301",
        "skills": ["driving", "dialect"],
        "availability": ["mon-am", "sat-ev"],
        "organisation": "",
        "username": "zhangwei_v",
        "password": "Kite-Lantern-42",
        "password2": "Kite-Lantern-42",
    }
    data.update(changes)
    return data


def test_signup_creates_a_login_without_role_and_a_pending_volunteer(world):
    client = Client()
    response = client.post("/volunteer/signup", form())
    assert response.status_code == 302 and response.url == "/volunteer/status"
    worker = Worker.objects.get(phone="13912345678")
    assert worker.force == "volunteer" and worker.status == "pending"
    assert worker.weekly_hour_cap == 20
    assert worker.community == world.community
    assert worker.home_building == world.building_a1 and worker.home_room == "301"
    assert worker.skills == ["driving", "dialect"]
    assert worker.availability == ["mon-am", "sat-ev"]
    # The registry record found by the keyed hash is linked for staff to compare...
    assert worker.resident == world.residents["zhang"]
    assert worker.identity_checked_at is None  # ...but staff still have to confirm it.
    user = worker.user
    assert user.check_password("Kite-Lantern-42")
    assert not RoleGrant.objects.filter(user=user).exists()
    # The volunteer is logged in and sees their screening.
    status = client.get("/volunteer/status")
    assert status.status_code == 200
    assert "I have read the safety training" in status.content.decode()


def test_the_id_number_is_not_kept_anywhere(world):
    Client().post("/volunteer/signup", form())
    worker = Worker.objects.get(phone="13912345678")
    stored = " ".join(str(v) for v in Worker.objects.filter(pk=worker.pk).values().first().values())
    assert ZHANG_ID not in stored and ZHANG_ID[-6:] not in stored
    event = AuditEvent.objects.get(action="volunteer.signup")
    assert ZHANG_ID not in str(event.detail)
    assert event.detail == {"registry_record_found": True}


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("id_number", ZHANG_ID[:-1] + ("0" if ZHANG_ID[-1] != "0" else "1"), "check digit"),
        ("id_number", "12345", "18 characters"),
        ("building", "99", "no such building"),
        ("phone", "call me", "phone number"),
        ("password2", "something-else", "differ"),
        ("password", "123", "too short"),
    ],
)
def test_bad_input_is_refused_naming_the_field_and_nothing_is_created(world, field, value, message):
    data = form(**{field: value})
    if field == "password":
        data["password2"] = value
    response = Client().post("/volunteer/signup", data)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not Worker.objects.exists()
    assert not User.objects.filter(username="zhangwei_v").exists()


def test_a_double_submit_creates_one_volunteer(world):
    first, second = Client(), Client()
    assert first.post("/volunteer/signup", form()).status_code == 302
    response = second.post("/volunteer/signup", form())
    assert response.status_code == 400
    assert "already signed up" in response.content.decode()
    # Same phone with another login name is the same person signing up twice.
    again = Client().post("/volunteer/signup", form(username="other_name"))
    assert again.status_code == 400
    assert Worker.objects.count() == 1
    assert User.objects.filter(username__in=["zhangwei_v", "other_name"]).count() == 1


def test_a_login_name_already_taken_is_refused(world):
    response = Client().post("/volunteer/signup", form(username="staff"))
    assert response.status_code == 400
    assert "already taken" in response.content.decode()
    assert not Worker.objects.exists()


def test_someone_not_in_the_registry_may_sign_up_and_staff_will_see_no_record(world):
    stranger = make_id_number("110101", date(1990, 1, 1), 7)
    assert Client().post("/volunteer/signup", form(id_number=stranger)).status_code == 302
    assert Worker.objects.get().resident is None


def test_with_several_communities_the_volunteer_chooses_one(world):
    other = Community.objects.create(name="另一社区", code="another")
    page = Client().get("/volunteer/signup").content.decode()
    assert "另一社区" in page and 'name="community"' in page
    # A poster's link names the community: no choice is shown.
    poster = Client().get("/volunteer/signup?community=another").content.decode()
    assert "测试社区" not in poster
    # Building 1 exists only in the test community.
    response = Client().post("/volunteer/signup", form(community=other.pk))
    assert response.status_code == 400 and "no such building" in response.content.decode()
    ok = Client().post("/volunteer/signup", form(community=world.community.pk))
    assert ok.status_code == 302


def test_the_volunteer_acknowledges_the_training_once(world):
    client = Client()
    client.post("/volunteer/signup", form())
    worker = Worker.objects.get()
    page = client.get("/volunteer/status").content.decode()
    for topic in ("Masks", "Hand hygiene", "Contact-free handover", "If you feel feverish"):
        assert topic in page
    assert client.post("/volunteer/status/training").status_code == 302
    worker.refresh_from_db()
    first = worker.training_acknowledged_at
    assert first is not None
    client.post("/volunteer/status/training")
    worker.refresh_from_db()
    assert worker.training_acknowledged_at == first
    assert AuditEvent.objects.filter(action="volunteer.training_acknowledged").count() == 1
    assert "I have read the safety training" not in client.get("/volunteer/status").content.decode()


def test_a_pending_volunteer_sees_the_roster_nowhere(world):
    client = Client()
    client.post("/volunteer/signup", form())
    assert client.get("/workforce/").status_code == 404
    assert client.get("/api/v1/workers").status_code == 403


@pytest.mark.django_db(transaction=True)
def test_simultaneous_double_submits_create_one_volunteer(world):
    """Five taps on "sign up" reaching the server at once: one volunteer, four refusals."""
    import threading
    import time

    from django.db import OperationalError, connection

    from linli.core.errors import ApplicationError
    from linli.workforce.services import volunteer_signup

    barrier = threading.Barrier(5)
    results = []

    def submit(i):
        try:
            barrier.wait()
            for _attempt in range(200):
                try:
                    volunteer_signup(
                        community=world.community,
                        name="张伟",
                        phone="13912345678",
                        id_number=ZHANG_ID,
                        building_number="1",
                        room="301",
                        username=f"zw{i}",
                        password="Kite-Lantern-42",
                    )
                    results.append("ok")
                    return
                except ApplicationError as exc:
                    results.append(exc.code)
                    return
                except OperationalError:  # SQLite's shared test database: "table is locked"
                    time.sleep(0.005)
        finally:
            connection.close()

    threads = [threading.Thread(target=submit, args=(i,)) for i in range(5)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(results) == ["already_signed_up"] * 4 + ["ok"]
    assert Worker.objects.filter(phone="13912345678").count() == 1
    assert User.objects.filter(username__startswith="zw").count() == 1
