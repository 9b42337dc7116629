"""Psychological support (issue 7, "Done when"): a resident's self-screening on a phone that
triggers an urgent task.

张伟 opens the wellbeing check from the menu, chooses PHQ-9 and answers "not at all" to
everything but item 9 (thoughts of self-harm: "several days"). A low total must not reassure:
the result page shows the crisis hotline at once and that a counsellor will call within the
hour; an urgent counselling task due within the hour is in the pool, the community's counsellor
is told in the app, and a high-risk case is open. The counsellor then finds both at their desk.
Before that, a questionnaire with a question left out is refused, naming it, and stores nothing.

Selectors follow the page structure (form actions, names, ids), not words: the pages open in
Chinese, whatever translations are added later. The few sentences checked are looked up
through gettext in the page's language.
"""

import datetime as dt
import re
from pathlib import Path

from django.conf import settings
from django.utils import timezone, translation
from django.utils.translation import gettext
from playwright.sync_api import expect

from linli.accounts.choices import Role
from linli.accounts.services import grant_role
from linli.care.choices import CaseStatus, Instrument, Risk, ScreeningSource
from linli.care.models import CareCase, Screening
from linli.notices.choices import Channel
from linli.notices.models import Notification
from linli.taskpool.choices import Priority, Status, TaskKind
from linli.taskpool.models import Task
from linli.testing import PASSWORD, make_user
from linli.workforce.choices import Force, Skill
from linli.workforce.models import Worker

ARTIFACTS = Path(__file__).parent / "artifacts"
PHQ9_ITEMS = 9
SELF_HARM_ITEM = 9
LEFT_OUT = 4  # the question skipped on the first try


def fits_the_screen(page) -> bool:
    """Nothing wider than the phone: no sideways scrolling."""
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")


def in_page_language(text: str) -> str:
    # The browser asks for zh-CN, which Django serves as its default language.
    with translation.override(settings.LANGUAGE_CODE):
        return gettext(text)


def counsellor_of(world):
    """A counsellor of the community, on the roster as a volunteer who counsels (as in the
    demo): the roster is what shows a worker the open tasks they can take."""
    user = make_user("counsellor", display_name="郑心怡")
    grant_role(user=user, role=Role.COUNSELLOR, community=world.community)
    Worker.objects.create(
        user=user,
        community=world.community,
        force=Force.VOLUNTEER,
        name="郑心怡",
        phone="13900000077",
        skills=[Skill.COUNSELLING],
    )
    return user


def log_in(page, live_server, username: str, next_path: str) -> None:
    # Straight to the page wanted: the home page is the registry's, which a counsellor may
    # not read (it answers 404 to them).
    page.goto(f"{live_server.url}/accounts/login/?next={next_path}")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("form.stack button.primary")


def answer(form, answers: dict[int, int]) -> None:
    for number, value in answers.items():
        form.locator(f"input[name=q{number}][value='{value}']").check()


def test_a_residents_self_screening_with_thoughts_of_self_harm_raises_an_urgent_call(
    world, page, phone, live_server, console_errors
):
    zhang = world.residents["zhang"]
    counsellor = counsellor_of(world)

    # 1. 张伟 logs in on his phone and opens the wellbeing check from the menu.
    log_in(phone, live_server, "resident", "/")
    phone.locator("nav.main a[href$='/care/screen/']").click()
    expect(phone).to_have_url(re.compile(r"/care/screen/$"))
    # For himself by default; his wife is offered too.
    expect(phone.locator("select[name=resident]")).to_have_value(str(zhang.pk))
    expect(phone.locator("select[name=resident] option")).to_have_count(2)
    phone.locator(f"button[name=instrument][value={Instrument.PHQ9}]").click()
    form = phone.locator("main form.stack")
    expect(form.locator("fieldset")).to_have_count(PHQ9_ITEMS)
    assert fits_the_screen(phone)

    # 2. One question left out: refused, the question named and linked, nothing stored.
    answers = {n: 0 for n in range(1, PHQ9_ITEMS + 1)} | {SELF_HARM_ITEM: 1}
    answer(form, {n: v for n, v in answers.items() if n != LEFT_OUT})
    form.locator("button.primary").click()
    refusal = phone.locator("main > p.error")
    expect(refusal.locator("a")).to_have_count(1)
    expect(refusal.locator(f"a[href='#q{LEFT_OUT}']")).to_be_visible()
    expect(phone.locator("fieldset.invalid")).to_have_count(1)
    expect(phone.locator(f"fieldset#q{LEFT_OUT}")).to_have_class(re.compile(r"\binvalid\b"))
    assert not Screening.objects.exists()
    assert not CareCase.objects.exists()
    assert not Task.objects.exists()
    assert not Notification.objects.exists()
    # The answers given are kept on the page: only the missing one needs a tap.
    expect(form.locator(f"input[name=q{SELF_HARM_ITEM}][value='1']")).to_be_checked()

    # 3. Answered in full and sent: the hotline and the promised call, at once, on top.
    answer(form, {LEFT_OUT: 0})
    form.locator("button.primary").click()
    expect(phone).to_have_url(re.compile(r"/care/screenings/\d+/$"))
    crisis = phone.locator("section#crisis")
    expect(crisis).to_be_in_viewport()
    hotline = crisis.locator(f"a[href='tel:{settings.LINLI_CRISIS_HOTLINE}']")
    expect(hotline).to_be_visible()
    expect(hotline).to_contain_text(settings.LINLI_CRISIS_HOTLINE)
    expect(crisis).to_contain_text(in_page_language("A counsellor will call you within the hour."))
    assert fits_the_screen(phone)
    ARTIFACTS.mkdir(exist_ok=True)
    phone.screenshot(path=ARTIFACTS / "care-urgent-phone.png", full_page=True)

    # What was stored: a minimal total, high risk all the same.
    screening = Screening.objects.get()
    assert (screening.resident, screening.source, screening.by) == (
        zhang,
        ScreeningSource.SELF,
        world.user("resident"),
    )
    assert (screening.total, screening.self_harm, screening.risk) == (1, True, Risk.HIGH)
    assert screening.answers == [answers[n] for n in range(1, PHQ9_ITEMS + 1)]
    task = Task.objects.get(resident=zhang)
    assert (task.kind, task.priority, task.status) == (
        TaskKind.COUNSELLING,
        Priority.URGENT,
        Status.OPEN,
    )
    assert screening.at < task.due_at <= screening.at + dt.timedelta(hours=1)
    assert task.due_at <= timezone.now() + dt.timedelta(hours=1)
    told = Notification.objects.get(user=counsellor)
    assert told.channel == Channel.IN_APP
    assert f"#{task.pk}" in told.body
    case = CareCase.objects.get(resident=zhang)
    assert (case.risk, case.status, screening.case) == (Risk.HIGH, CaseStatus.OPEN, case)

    # 4. The counsellor at their desk: told in the menu, the urgent task among the open tasks
    # they can take, and the case among the open ones.
    log_in(page, live_server, "counsellor", "/tasks/mine/")
    expect(page.locator("nav.main a[href$='/notices/'] b.badge")).to_have_text("1")
    card = page.locator("li.taskcard", has=page.locator(f"a[href$='/tasks/{task.pk}/']"))
    expect(card).to_have_count(1)
    expect(card).to_have_class(re.compile(rf"\bprio-{Priority.URGENT}\b"))
    expect(card.locator(f"form[action$='/tasks/{task.pk}/claim/']")).to_have_count(1)

    # "Mine" (the default) includes the cases nobody has taken yet, as this urgent one.
    page.goto(f"{live_server.url}/care/cases/")
    row = page.locator(
        "table.list tbody tr", has=page.locator(f"a[href$='/care/cases/{case.pk}/']")
    )
    expect(row).to_have_count(1)
    expect(row).to_contain_text(zhang.name)
    expect(row).to_have_class(re.compile(r"\bprio-1\b"))  # high risk
    assert console_errors == []
