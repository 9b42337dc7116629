"""The demo community's psychological support: a priority list, two weeks of screenings, cases
with encrypted notes, the urgent calls of two self-harm screenings, and a group for the
bereaved. The plan itself (pure) is checked first, without the database."""

import re
from collections import Counter
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core.management import call_command
from django.db import transaction
from django.test import override_settings
from django.utils import timezone

from linli.accounts.models import User
from linli.care import scoring
from linli.care.access import can_read_notes
from linli.care.choices import FOLLOW_UP_DAYS, PriorityReason
from linli.care.models import CareCase, CareSession, GroupSession, PriorityFlag, Screening
from linli.care.selectors import priority_list
from linli.core.crypto import decrypt
from linli.demo import care, engine, epidemic, roster
from linli.notices.models import Notification
from linli.places.models import Community
from linli.residents.models import ResidentTag
from linli.taskpool.choices import LIVE
from linli.taskpool.models import Task

SMALL = 300
AS_OF = date(2026, 3, 2)
CHINESE = re.compile(r"[\u4e00-\u9fff]")
R = PriorityReason


# ------------------------------------------------------------------------- the plan (pure)


def draw(seed=2020, households=SMALL):
    now = datetime(2026, 3, 2, 9, 40, tzinfo=ZoneInfo("Asia/Shanghai"))
    plan = engine.generate(seed=seed, households=households, today=now.date())
    avoid = {roster.resident1_person(plan)}
    epi = epidemic.generate_epidemic(plan, seed=seed, now=now, avoid=avoid)
    return plan, epi, care.generate_care(plan, epi, seed=seed, now=now, avoid=avoid), now


def test_the_plan_is_the_same_for_the_same_seed_and_keeps_the_services_rules():
    plan, epi, first, now = draw()
    assert draw()[2] == first
    assert care.FOLLOW_UP_DAYS == {str(k): v for k, v in FOLLOW_UP_DAYS.items()}
    assert 55 <= len(first.screenings) <= 65
    assert all(now - timedelta(days=14) <= s.at <= now for s in first.screenings)
    for index, case in enumerate(first.cases):
        linked = [s.score.risk for s in first.screenings if s.case == index]
        # Opened by a screening at moderate or worse, at the highest risk screened.
        assert linked and case.risk == max(linked, key=["low", "moderate", "high"].index)
        assert case.sessions and all(case.opened < x.at < now for x in case.sessions)
        assert all(CHINESE.search(x.notes) for x in case.sessions)
    people = {s.person for s in first.screenings} | {c.person for c in first.cases}
    calm = roster.resident1_person(plan)
    household = plan.people[calm].household
    assert not any(plan.people[p].household == household for p in people)


def test_every_flag_and_group_names_someone_without_a_case():
    _plan, _epi, drawn, _now = draw(seed=7)
    on_case = {c.person for c in drawn.cases}
    assert len(drawn.flags) == 3 and not on_case & {f.person for f in drawn.flags}
    assert len({f.reason for f in drawn.flags}) == 3
    (group,) = drawn.groups
    assert set(group.attended) <= set(group.invited) and group.attended


# ------------------------------------------------------------------------- the loaded demo


@pytest.fixture(scope="module")
def seeded(django_db_setup, django_db_blocker):
    """The demo once for the module, rolled back at its end (as in test_seed_demo.py)."""
    fast = override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"])
    with django_db_blocker.unblock(), transaction.atomic(), fast:
        call_command("seed_demo", households=SMALL, as_of=AS_OF, verbosity=0)
        yield
        transaction.set_rollback(True)


@pytest.fixture
def demo(seeded, db):
    return Community.objects.get()


def counsellor1():
    return User.objects.get(username="counsellor1")


def test_the_priority_list_explains_several_reasons(demo):
    rows = priority_list(user=counsellor1(), community=demo)
    reasons = Counter(reason for row in rows for reason in row["reasons"])
    assert {R.CASE, R.QUARANTINE, R.BEREAVED, R.ALONE, R.SCREENED, R.STAFF} <= set(reasons)
    flagged = [row for row in rows if R.STAFF in row["reasons"]]
    assert len(flagged) == 3 == PriorityFlag.objects.count()
    assert all(CHINESE.search(row["notes"][R.STAFF]) for row in flagged)
    assert sum(row["case"] is not None for row in rows) >= 10


def test_screenings_span_two_weeks_and_several_bands(demo):
    screenings = list(Screening.objects.all())
    assert 55 <= len(screenings) <= 65
    assert len({s.band for s in screenings}) >= 4
    assert {s.instrument for s in screenings} == {"phq9", "gad7"}
    assert {s.source for s in screenings} == {"self", "counsellor"}
    for s in screenings:
        result = scoring.score(s.instrument, s.answers)
        assert (s.total, s.band, s.risk, s.self_harm) == (
            result.total,
            result.band,
            result.risk,
            result.self_harm,
        )
        assert s.at >= timezone.now() - timedelta(days=15)
        assert (s.case_id is not None) == (s.risk != "low")
    assert sum(s.self_harm for s in screenings) == 2


def test_cases_have_counsellor1_sessions_and_encrypted_notes(demo):
    opened = CareCase.objects.filter(status="open")
    assert opened.count() == care.OPEN_CASES
    assert set(opened.values_list("counsellor__username", flat=True)) == {"counsellor1"}
    assert {"high", "moderate"} <= set(opened.values_list("risk", flat=True))
    closed = CareCase.objects.filter(status="closed")
    assert sorted(closed.values_list("outcome", flat=True)) == ["improved", "referred"]
    sessions = list(CareSession.objects.select_related("case"))
    per_case = Counter(s.case_id for s in sessions)
    assert all(1 <= n <= 4 for n in per_case.values())
    # Every case but the one opened as the demo loaded has been called.
    assert len(per_case) == CareCase.objects.count() - 1
    for session in sessions:
        assert session.notes_encrypted and not CHINESE.search(session.notes_encrypted)
        assert CHINESE.search(decrypt(session.notes_encrypted))


def test_notes_are_for_the_counsellor_not_the_grid_worker(demo):
    case = CareCase.objects.filter(sessions__isnull=False).first()
    assert can_read_notes(counsellor1(), case)
    assert not can_read_notes(User.objects.get(username="grid1"), case)


def test_both_self_harm_screenings_have_their_urgent_call(demo):
    harmed = set(Screening.objects.filter(self_harm=True).values_list("resident_id", flat=True))
    urgent = Task.objects.filter(kind="counselling", priority=1, resident__in=harmed)
    assert urgent.count() == 2
    done = urgent.get(status="done")
    assert done.assignee.user == counsellor1()
    assert done.done_at - done.created_at < timedelta(hours=1) and done.due_at >= done.done_at
    live = urgent.exclude(status="done").get()
    assert live.status == "open" and timezone.now() < live.due_at <= timezone.now() + timedelta(
        hours=1
    )
    # The counsellor on the case was told in the app; the alert names the task, not answers.
    assert Notification.objects.filter(
        user=counsellor1(), channel="in_app", body__contains=f"#{live.pk}"
    ).exists()
    assert CareCase.objects.get(resident=live.resident_id, status="open").risk == "high"


def test_follow_ups_due_today_are_in_the_pool(demo):
    """The daily round ran as the demo loaded: every case called before and due today or
    earlier has a live counselling task."""
    due = CareCase.objects.filter(
        status="open", next_due__lte=timezone.localdate(), sessions__isnull=False
    ).distinct()
    live = Task.objects.filter(kind="counselling", status__in=LIVE)
    assert due.exists()
    assert set(due.values_list("resident_id", flat=True)) <= set(
        live.values_list("resident_id", flat=True)
    )
    assert live.filter(source="plan").exists()


def test_the_bereaved_met_as_a_group(demo):
    group = GroupSession.objects.get(audience="bereaved")
    invited = list(group.attendance.all())
    assert invited and any(a.attended for a in invited)
    bereaved = set(ResidentTag.objects.filter(tag="bereaved").values_list("resident_id", flat=True))
    assert {a.resident_id for a in invited} <= bereaved
