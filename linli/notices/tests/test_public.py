"""Open information (信息公开): the public page, its JSON and CSV show cases and supply figures
by day and grid without login, and never a count from 1 to 4."""

import csv
import io
import json
import re
from datetime import date

import pytest
from django.test import Client
from django.utils import timezone

from linli.health.choices import HealthStatus
from linli.health.services import status_change
from linli.notices.public import SUPPRESSED, public_summary, suppress
from linli.places.services import household_get_or_create
from linli.residents.idnumber import make_id_number
from linli.residents.services import resident_create
from linli.supplies.choices import OrderStatus, RoundStatus
from linli.supplies.models import Order, Round
from linli.supplies.testing import make_round

PAGE = "/open/"
CSV_URL = "/open/summary.csv"
API = "/api/v1/public/summary"
COUNT_KEYS = {
    "confirmed",
    "suspected",
    "quarantine",
    "recovered",
    "quarantines_in_force",
    "rounds_held",
    "households_served",
}


def move(world, name, to_status, resident=None):
    status_change(
        actor=world.user("doctor"),
        resident=resident or world.residents[name],
        to_status=to_status,
        reason="test",
    )


@pytest.fixture
def small_world(world):
    """Grid A: 2 confirmed, 1 suspected; 2 households served by a closed round today."""
    move(world, "zhang", HealthStatus.CONFIRMED)
    move(world, "zhang_wife", HealthStatus.CONFIRMED)
    move(world, "wang", HealthStatus.SUSPECTED)
    round_ = make_round(world)
    Round.objects.filter(pk=round_.pk).update(status=RoundStatus.CLOSED, closed_at=timezone.now())
    for name in ("zhang", "wang"):
        Order.objects.create(
            round=round_,
            household=world.residents[name].household,
            status=OrderStatus.COLLECTED,
            collected_at=timezone.now(),
        )
    return world


def counts(data):
    """Every count value in the summary, wherever it is."""
    for key in ("now",):
        yield from ((key, k, v) for k, v in data[key].items() if k in COUNT_KEYS)
    for section in ("daily", "grids", "daily_by_grid"):
        for row in data[section]:
            yield from ((section, k, v) for k, v in row.items() if k in COUNT_KEYS)


def test_suppress_hides_one_to_four_only():
    assert [suppress(n) for n in range(7)] == [0, SUPPRESSED, "<5", "<5", "<5", 5, 6]


def test_the_page_loads_without_login_in_chinese_and_english(world):
    client = Client()
    response = client.get(PAGE)
    assert response.status_code == 200
    page = response.content.decode()
    assert 'lang="zh-hans"' in page and "测试社区" in page and "第一网格" in page
    assert "public" in response["Cache-Control"] and "max-age=300" in response["Cache-Control"]
    # Nothing tied to a visitor may sit in a publicly cached page.
    assert "csrfmiddlewaretoken" not in page and not response.cookies
    response = client.get(PAGE + "?lang=en")
    page = response.content.decode()
    assert 'lang="en"' in page and "Open information" in page and "<svg" in page
    assert 'href="?community=test&amp;lang=zh-hans"' in page


def test_a_logged_in_visitor_sees_no_menu_of_theirs(world, as_user):
    page = as_user("staff").get(PAGE + "?lang=en").content.decode()
    assert "staff" not in page and "Log out" not in page and "Residents" not in page


def test_an_unknown_community_is_not_found(world):
    client = Client()
    assert client.get(PAGE + "?community=nowhere").status_code == 404
    assert client.get(CSV_URL + "?community=nowhere").status_code == 404
    response = client.get(API + "?community=nowhere")
    assert response.status_code == 404 and response.json()["error"]["code"] == "not_found"


def test_small_counts_show_as_under_five_in_json(small_world):
    response = Client().get(API + "?community=test")
    assert response.status_code == 200
    assert "public" in response["Cache-Control"]
    data = response.json()
    today = timezone.localdate().isoformat()
    assert data["community"] == {"code": "test", "name": "测试社区"}
    assert data["to"] == today and len(data["daily"]) == 14 and data["threshold"] == 5
    assert data["now"] == {
        "confirmed": "<5",
        "suspected": "<5",
        "quarantine": 0,
        "recovered": 0,
        "quarantines_in_force": 0,
    }
    assert data["daily"][-1] == {
        "date": today,
        "confirmed": "<5",
        "suspected": "<5",
        "quarantine": 0,
        "recovered": 0,
        "rounds_held": "<5",
        "households_served": "<5",
    }
    assert all(row["confirmed"] == 0 for row in data["daily"][:-1])
    grid_a, grid_b = data["grids"]
    assert grid_a["grid"] == "第一网格" and grid_a["confirmed"] == "<5"
    assert grid_a["households_served"] == "<5" and grid_a["rounds_held"] == "<5"
    assert grid_b["confirmed"] == 0 and grid_b["households_served"] == 0
    assert len(data["daily_by_grid"]) == 28
    seen = [value for _s, _k, value in counts(data)]
    assert "<5" in seen
    assert not [c for c in counts(data) if isinstance(c[2], int) and 1 <= c[2] <= 4]
    # Nothing personal: no name, room or phone anywhere in the answer.
    text = json.dumps(data, ensure_ascii=False)
    for secret in ("张伟", "李芳", "王秀英", "301", "13800000011"):
        assert secret not in text


def test_small_counts_never_appear_on_the_page_or_in_the_csv(small_world):
    client = Client()
    page = client.get(PAGE + "?lang=en").content.decode()
    assert "&lt;5" in page
    # A count is the whole text of a cell, card figure or chart label: none may be 1 to 4.
    assert re.findall(r">\s*[1-4]\s*<", page) == []
    assert 'class="suppressed"' in page
    response = client.get(CSV_URL)
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    assert "max-age=300" in response["Cache-Control"]
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[0] == [
        "date",
        "grid_number",
        "grid",
        "confirmed",
        "suspected",
        "quarantine",
        "recovered",
        "rounds_held",
        "households_served",
    ]
    assert len(rows) == 1 + 14 * 2
    today = timezone.localdate().isoformat()
    assert rows[-2] == [today, "1", "第一网格", "<5", "<5", "0", "0", "<5", "<5"]
    assert rows[-1] == [today, "2", "第二网格", "0", "0", "0", "0", "0", "0"]
    for row in rows[1:]:
        assert all(cell not in {"1", "2", "3", "4"} for cell in row[3:]), row


def test_five_or_more_are_shown_as_they_are(world):
    a2 = world.building_a2
    extra = []
    for i in range(3):
        household = household_get_or_create(building=a2, entrance=1, room=f"60{i}")
        extra.append(
            resident_create(
                actor=None,
                household=household,
                values={
                    "name": "住户" + "甲乙丙"[i],
                    "id_number": make_id_number("420106", date(1990, 1, 1), 60 + i),
                },
            )
        )
    for name in ("zhang", "zhang_wife", "wang"):
        move(world, name, HealthStatus.SUSPECTED)
    for resident in extra:
        move(world, "", HealthStatus.SUSPECTED, resident=resident)
    data = public_summary(community=world.community)
    assert data["now"]["suspected"] == 6
    assert data["daily"][-1]["suspected"] == 6
    assert data["grids"][0]["suspected"] == 6
    assert data["daily_by_grid"][-2]["suspected"] == 6


def test_quarantine_entries_and_quarantines_in_force_are_counted(world):
    for name in ("zhang", "zhang_wife", "wang", "chen", "single"):
        move(world, name, HealthStatus.HOME_QUARANTINE)
    data = public_summary(community=world.community)
    assert data["now"]["quarantine"] == 5 and data["now"]["quarantines_in_force"] == 5
    assert data["daily"][-1]["quarantine"] == 5
    # Per grid they are 3 and 2: still hidden.
    assert [g["quarantines_in_force"] for g in data["grids"]] == ["<5", "<5"]
