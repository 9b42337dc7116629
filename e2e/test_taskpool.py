"""A volunteer's way in, on a phone (issue 3, "Done when"): sign up on the public page, log in
and acknowledge the safety training; community staff screen the sign-up (identity against the
registry, a recent negative test) and approve it; the volunteer claims an open task near home,
starts it and completes it with a note; the task shows done, for them and for staff.

Selectors follow the page structure (form actions, classes), not words: the pages open in
Chinese, whatever translations are added later.
"""

import re
from datetime import date

from django.utils import timezone
from playwright.sync_api import expect

from linli.accounts.choices import Role
from linli.residents.idnumber import make_id_number
from linli.taskpool.choices import Status, TaskKind
from linli.taskpool.models import Task, TaskEvent
from linli.taskpool.services import task_create
from linli.workforce.choices import WorkerStatus
from linli.workforce.models import HoursEntry, Worker

# 陈明 of building 3, room 501, in linli.testing's registry.
CHEN_ID = make_id_number("420106", date(1985, 11, 2), 31)
USERNAME = "chenming"
PASSWORD = "Lindao-volunteer-2026"  # noqa: S105 (a test volunteer's)
TITLE = "为独居老人送菜上门"
NOTE = "已送到门口，老人已取件"


def fits_the_screen(page) -> bool:
    """Nothing wider than the phone: no sideways scrolling."""
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")


def phone_login(phone, live_server, username, password):
    phone.goto(f"{live_server.url}/volunteer/status")
    expect(phone).to_have_url(re.compile(r"/accounts/login/\?next="))
    phone.fill("input[name=username]", username)
    phone.fill("input[name=password]", password)
    phone.click("form.stack button.primary")
    expect(phone).to_have_url(re.compile(r"/volunteer/status$"))


def test_a_volunteer_signs_up_is_screened_and_completes_a_task_on_a_phone(
    world, page, phone, live_server, login, console_errors
):
    staff = world.user("staff")
    delivery, _merged = task_create(
        actor=staff, kind=TaskKind.DELIVERY, title=TITLE, resident=world.residents["wang"]
    )
    trip, _merged = task_create(
        actor=staff, kind=TaskKind.ESCORT, title="接送透析", resident=world.residents["zhang"]
    )

    # 1. Sign-up on the public page, on a phone.
    phone.goto(f"{live_server.url}/volunteer/signup")
    assert fits_the_screen(phone)
    form = phone.locator("main form.stack")
    form.locator("input[name=name]").fill("陈明")
    form.locator("input[name=phone]").fill("13912345678")
    form.locator("input[name=id_number]").fill(CHEN_ID)
    form.locator("input[name=building]").fill("3")
    form.locator("input[name=room]").fill("501")
    form.locator("input[name=skills][value=heavy_lifting]").check()
    form.locator("input[name=availability][value=sat-am]").check()
    form.locator("input[name=availability][value=sun-pm]").check()
    form.locator("input[name=username]").fill(USERNAME)
    form.locator("input[name=password]").fill(PASSWORD)
    form.locator("input[name=password2]").fill(PASSWORD)
    form.locator("button.primary").click()

    expect(phone).to_have_url(re.compile(r"/volunteer/status$"))
    volunteer = Worker.objects.select_related("user").get(user__username=USERNAME)
    assert volunteer.status == WorkerStatus.PENDING
    # Found in the registry by the ID number, which itself is not kept.
    assert volunteer.resident == world.residents["chen"]
    assert (volunteer.skills, volunteer.availability) == (["heavy_lifting"], ["sat-am", "sun-pm"])
    assert not volunteer.user.grants.exists()  # no role before screening
    expect(phone.locator("ol.steps li")).to_have_count(3)
    expect(phone.locator("ol.steps li.done")).to_have_count(0)

    # 2. Log in again (as on another day) and acknowledge the training.
    phone.locator("form[action$='/accounts/logout/'] button").click()
    phone_login(phone, live_server, USERNAME, PASSWORD)
    phone.locator("form[action$='/volunteer/status/training'] button").click()
    expect(phone.locator("ol.steps li.done")).to_have_count(1)
    assert fits_the_screen(phone)
    volunteer.refresh_from_db()
    assert volunteer.training_acknowledged_at is not None
    # Not screened yet: no task is offered, and the screening pages are not for volunteers.
    phone.goto(f"{live_server.url}/tasks/mine/")
    expect(phone.locator("p.flash.error")).to_be_visible()
    expect(phone.locator("form[action$='/claim/']")).to_have_count(0)
    assert phone.goto(f"{live_server.url}/workforce/screening/").status in (403, 404)

    # 3. Staff screen the sign-up at their desk: identity, test date, approval.
    login("staff")
    page.goto(f"{live_server.url}/workforce/screening/")
    page.locator(f"a[href$='/workforce/screening/{volunteer.pk}/']").click()
    expect(page).to_have_url(re.compile(rf"/workforce/screening/{volunteer.pk}/$"))
    approve = page.locator("form[action$='/approve/'] button")
    expect(approve).to_be_disabled()
    page.locator("form[action$='/confirm/'] button").click()
    expect(page.locator("form[action$='/confirm/']")).to_have_count(0)
    page.locator("form[action$='/test/'] input[name=test_date]").fill(
        timezone.localdate().isoformat()
    )
    page.locator("form[action$='/test/'] button").click()
    expect(page.locator("section.step.done")).to_have_count(3)
    expect(approve).to_be_enabled()
    approve.click()
    expect(page).to_have_url(re.compile(r"/workforce/screening/$"))
    volunteer.refresh_from_db()
    assert volunteer.status == WorkerStatus.APPROVED
    assert volunteer.decided_by == staff
    assert [g.role for g in volunteer.user.grants.all()] == [Role.VOLUNTEER]

    # 4. On the phone: the open task near home, claimed with one tap. The driving task is not
    #    offered to someone who does not drive.
    phone.goto(f"{live_server.url}/tasks/mine/")
    expect(phone.locator("p.flash.error")).to_have_count(0)
    offered = phone.locator("li.taskcard", has=phone.locator("form[action$='/claim/']"))
    expect(offered.filter(has_text=TITLE)).to_have_count(1)
    expect(phone.locator(f"form[action$='/tasks/{trip.pk}/claim/']")).to_have_count(0)
    assert fits_the_screen(phone)
    phone.locator(f"form[action$='/tasks/{delivery.pk}/claim/'] button").click()

    expect(phone).to_have_url(re.compile(r"/tasks/mine/$"))
    delivery.refresh_from_db()
    assert (delivery.status, delivery.assignee) == (Status.ACCEPTED, volunteer)
    # Now it is theirs, with the name and address the open list did not show.
    mine = phone.locator("li.taskcard", has=phone.locator(f"a[href$='/tasks/{delivery.pk}/']"))
    expect(mine.first).to_contain_text("王秀英")

    # 5. Start, then complete with a note on the task's page.
    phone.locator(f"form[action$='/tasks/{delivery.pk}/start/'] button").click()
    expect(phone.locator(f"form[action$='/tasks/{delivery.pk}/start/']")).to_have_count(0)
    assert Task.objects.get(pk=delivery.pk).status == Status.IN_PROGRESS
    phone.goto(f"{live_server.url}/tasks/{delivery.pk}/")
    done = phone.locator("form[action$='/complete/']")
    done.locator("[name=note]").fill(NOTE)
    done.locator("button.primary").click()

    expect(phone.locator("h1 + p .status.status-done")).to_be_visible()
    expect(phone.locator("main")).to_contain_text(NOTE)
    assert fits_the_screen(phone)
    delivery.refresh_from_db()
    assert (delivery.status, delivery.result_note) == (Status.DONE, NOTE)
    assert HoursEntry.objects.get(task=delivery).worker == volunteer
    actions = list(TaskEvent.objects.filter(task=delivery).values_list("action", flat=True))
    assert actions == ["create", "claim", "start", "complete"]

    # 6. Staff see it done too.
    page.goto(f"{live_server.url}/tasks/{delivery.pk}/")
    expect(page.locator("h1 + p .status.status-done")).to_be_visible()
    assert console_errors == []
