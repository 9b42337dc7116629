"""The daily report page (a resident for their household, a worker for a building) and the
list of who has not reported, with its "create check-on tasks" button."""

import datetime as dt

import pytest
from django.utils import timezone

from linli.health.models import HealthReport
from linli.taskpool.models import Task

pytestmark = pytest.mark.django_db


def send(client, resident, url="/health/report/", **values):
    data = {"resident": resident.pk, f"r{resident.pk}-temperature": "36.5"}
    data |= {f"r{resident.pk}-{k}": v for k, v in values.items()}
    return client.post(url, data)


def test_a_resident_sees_one_card_per_member_of_their_household(world, as_user):
    page = as_user("resident").get("/health/report/").content.decode()
    assert "张伟" in page and "李芳" in page and "王秀英" not in page
    assert f'name="r{world.residents["zhang_wife"].pk}-temperature"' in page
    assert "Dry cough" in page  # the symptom list


def test_a_resident_reports_and_sees_reported_today(world, as_user):
    client = as_user("resident")
    wife = world.residents["zhang_wife"]
    response = send(client, wife, symptoms=["cough"], note="a little tired")
    assert response.status_code == 302 and response["Location"].endswith(f"#r{wife.pk}")
    report = HealthReport.objects.get(resident=wife)
    assert report.source == "self" and report.symptoms == ["cough"]
    page = client.get("/health/report/").content.decode()
    assert "Reported today" in page and "Correct today's report" in page


def test_a_double_tap_keeps_one_report(world, as_user):
    client = as_user("resident")
    zhang = world.residents["zhang"]
    send(client, zhang)
    send(client, zhang, temperature="36.7")
    assert HealthReport.objects.filter(resident=zhang).count() == 1
    assert str(HealthReport.objects.get(resident=zhang).temperature) == "36.7"


def test_a_bad_temperature_is_shown_on_the_card_and_nothing_is_saved(world, as_user):
    response = send(as_user("resident"), world.residents["zhang"], temperature="63")
    assert response.status_code == 200
    assert "Temperature (°C): must be between 34.0 and 43.0 °C" in response.content.decode()
    assert not HealthReport.objects.exists()


def test_a_building_leader_reports_for_the_people_of_their_building(world, as_user):
    client = as_user("leader_a1")
    assert client.get("/health/report/")["Location"].endswith(f"?building={world.building_a1.pk}")
    url = f"/health/report/?building={world.building_a1.pk}"
    page = client.get(url).content.decode()
    assert "张伟" in page and "李芳" in page and "王秀英" not in page
    assert send(client, world.residents["zhang"], url=url).status_code == 302
    assert HealthReport.objects.get(resident=world.residents["zhang"]).source == "worker"


def test_a_grid_worker_chooses_a_building_of_their_grid(world, as_user):
    page = as_user("grid_a").get("/health/report/").content.decode()
    assert f"?building={world.building_a1.pk}" in page
    assert f"?building={world.building_a2.pk}" in page
    assert f"?building={world.building_b1.pk}" not in page


def test_reporting_outside_ones_area_is_not_found(world, as_user):
    leader = as_user("leader_a1")
    assert leader.get(f"/health/report/?building={world.building_a2.pk}").status_code == 404
    assert send(leader, world.residents["chen"]).status_code == 404
    assert send(as_user("resident"), world.residents["wang"]).status_code == 404
    assert not HealthReport.objects.exists()


@pytest.mark.parametrize("persona", ["volunteer", "outsider", "supervisor", "property"])
def test_the_report_page_refuses_those_without_the_role(world, as_user, persona):
    client = as_user(persona)
    assert client.get("/health/report/").status_code == 403
    assert send(client, world.residents["zhang"]).status_code in {403, 404}
    assert not HealthReport.objects.exists()


# Who has not reported.


def test_the_missing_list_names_the_people_of_the_area_not_yet_reported(world, as_user):
    client = as_user("grid_a")
    send(as_user("resident"), world.residents["zhang"])
    page = client.get("/health/missing/").content.decode()
    assert "李芳" in page and "王秀英" in page
    assert "张伟" not in page  # reported
    assert "陈明" not in page  # grid B
    assert f"/health/report/?resident={world.residents['wang'].pk}" in page


def test_a_building_leader_sees_only_their_building(world, as_user):
    page = as_user("leader_a1").get("/health/missing/").content.decode()
    assert "李芳" in page and "王秀英" not in page
    assert "Create check-on tasks now" not in page


@pytest.mark.parametrize("persona", ["resident", "doctor", "volunteer", "supervisor", "outsider"])
def test_the_missing_list_refuses_those_without_the_role(as_user, persona):
    assert as_user(persona).get("/health/missing/").status_code == 403


def at_local(hour: int):
    fixed = timezone.make_aware(dt.datetime.combine(timezone.localdate(), dt.time(hour, 30)))
    return lambda: fixed


def test_check_on_tasks_wait_for_the_reporting_hour(world, as_user, settings, monkeypatch):
    settings.LINLI_HEALTH_REPORT_HOUR = 10
    client = as_user("staff")
    monkeypatch.setattr(timezone, "now", at_local(9))
    response = client.post("/health/missing/tasks/", {"community": world.community.pk}, follow=True)
    assert "Nothing was made: check-on tasks start at 10:00" in response.content.decode()
    assert not Task.objects.exists()

    monkeypatch.setattr(timezone, "now", at_local(11))
    response = client.post("/health/missing/tasks/", {"community": world.community.pk}, follow=True)
    assert "4 new check-on tasks are in the pool" in response.content.decode()
    assert Task.objects.count() == 4  # households: zhang's, wang's, chen's, single's


def test_check_on_tasks_are_for_staff_and_grid_workers(world, as_user):
    for persona in ["cadre", "leader_a1", "resident"]:
        response = as_user(persona).post("/health/missing/tasks/", {})
        assert response.status_code == 403
    assert not Task.objects.exists()
