"""The hours ledger (from finished tasks and from staff) and the printable service certificate."""

from datetime import timedelta

import pytest
from django.utils import timezone

from linli.core.errors import ApplicationError
from linli.core.models import AuditEvent
from linli.taskpool.models import Task
from linli.taskpool.services import task_claim, task_complete, task_create
from linli.workforce import selectors, services
from linli.workforce.models import HoursEntry


def finish_task(world, worker, building, title):
    task, _merged = task_create(
        actor=world.user("staff"), kind="delivery", title=title, building=building
    )
    task_claim(actor=worker.user, worker=worker, task=task)
    task_complete(actor=worker.user, worker=worker, task=task, note="left at the door")
    return task


def test_a_finished_task_writes_hours_and_staff_add_more(world, crew, as_user):
    li = crew["li"]
    finish_task(world, li, world.building_a1, "Rice")
    assert HoursEntry.objects.get(worker=li).minutes == 30  # the delivery estimate
    today = timezone.localdate()
    response = as_user("staff").post(
        f"/workforce/{li.pk}/hours/",
        {"day": today.isoformat(), "hours": "1.5", "note": "gate duty"},
    )
    assert response.status_code == 302
    entry = HoursEntry.objects.get(worker=li, task=None)
    assert (entry.minutes, entry.note, entry.recorded_by) == (90, "gate duty", world.user("staff"))
    assert AuditEvent.objects.get(action="hours.add").detail["minutes"] == 90
    page = as_user("volunteer").get(f"/workforce/{crew['volunteer'].pk}/hours/")
    assert page.status_code == 200
    own = as_user("staff").get(f"/workforce/{li.pk}/hours/").content.decode()
    assert "gate duty" in own and "Task" in own


def test_manual_hours_are_checked(world, crew):
    li, staff = crew["li"], world.user("staff")
    today = timezone.localdate()
    with pytest.raises(ApplicationError) as exc:
        services.hours_add(actor=staff, worker=li, day=today + timedelta(days=1), minutes=60)
    assert "day" in exc.value.fields
    with pytest.raises(ApplicationError) as exc:
        services.hours_add(actor=staff, worker=li, day=today, minutes=0)
    assert "hours" in exc.value.fields
    services.hours_add(actor=staff, worker=li, day=today, minutes=20 * 60)
    with pytest.raises(ApplicationError) as exc:
        services.hours_add(actor=staff, worker=li, day=today, minutes=5 * 60)
    assert "more than 24 hours" in exc.value.fields["hours"][0]
    assert HoursEntry.objects.filter(worker=li).count() == 1


def test_certificate_totals_count_the_period_only(world, crew, as_user):
    li, staff = crew["li"], world.user("staff")
    today = timezone.localdate()
    services.hours_add(actor=staff, worker=li, day=today - timedelta(days=40), minutes=600)
    services.hours_add(actor=staff, worker=li, day=today - timedelta(days=3), minutes=120)
    services.hours_add(actor=staff, worker=li, day=today - timedelta(days=3), minutes=45)
    finish_task(world, li, world.building_a1, "Rice")
    finish_task(world, li, world.building_a2, "Medicine")
    old = finish_task(world, li, world.building_b1, "Old one")
    Task.objects.filter(pk=old.pk).update(done_at=timezone.now() - timedelta(days=40))

    figures = selectors.certificate(li, start=today - timedelta(days=7), end=today)
    # 120 + 45 + two deliveries of 30 minutes (the one from 40 days ago still logs today)
    assert figures["minutes"] == 120 + 45 + 3 * 30
    assert figures["hours"] == 4.2
    assert figures["tasks_done"] == 2
    assert figures["days"] == 2

    everything = selectors.certificate(li, start=today - timedelta(days=60), end=today)
    assert everything["minutes"] == 600 + 120 + 45 + 90 and everything["tasks_done"] == 3

    start = (today - timedelta(days=7)).isoformat()
    page = as_user("staff").get(f"/workforce/{li.pk}/certificate?start={start}&end={today}")
    html = page.content.decode()
    assert page.status_code == 200
    for text in ("李强", "武汉大学校友会", "测试社区", start, ">4.2<", 'class="tasks">2<'):
        assert text in html, text
    assert "<svg" in html and 'class="segno"' in html  # the QR code, inline
    assert "<script" not in html.split("<main>")[1]


def test_a_reversed_period_is_refused_and_the_default_is_used(world, crew, as_user):
    page = as_user("staff").get(
        f"/workforce/{crew['li'].pk}/certificate?start=2026-02-01&end=2026-01-01"
    )
    assert page.status_code == 200
    assert "The period must start before it ends." in page.content.decode()
