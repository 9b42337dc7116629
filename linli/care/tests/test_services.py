"""Psychological support services and selectors: what a screening sets off, cases and their
sessions, the priority list with its reasons, the figures, the daily follow-up round, and the
audited reading of notes."""

import datetime as dt
from datetime import date

import pytest
from django.conf import settings
from django.utils import timezone

from linli.accounts.choices import Role
from linli.accounts.services import grant_role
from linli.care import selectors, services
from linli.care.choices import FOLLOW_UP_DAYS, PriorityReason, Risk
from linli.care.models import CareCase, CareSession, Screening
from linli.core.crypto import decrypt
from linli.core.errors import ApplicationError, Conflict
from linli.core.models import AuditEvent
from linli.health import services as health
from linli.health.choices import HealthStatus, QuarantineKind
from linli.notices.choices import Channel
from linli.notices.models import Notification
from linli.places.models import Community
from linli.places.services import household_get_or_create
from linli.residents.idnumber import make_id_number
from linli.residents.services import resident_create
from linli.taskpool.choices import Priority, TaskKind
from linli.taskpool.models import Task
from linli.testing import make_user
from linli.workforce.models import HoursEntry
from linli.workforce.testing import make_worker

R = PriorityReason
NOTES = "她说母亲走后每晚都睡不着，白天一个人在家时常哭。"
# PHQ-9 answers: totals 4 (minimal), 10 (moderate), 20 (severe), and 1 with item 9 answered.
MINIMAL = [1, 1, 1, 1, 0, 0, 0, 0, 0]
MODERATE = [2, 2, 2, 2, 1, 1, 0, 0, 0]
SEVERE = [3, 3, 3, 3, 2, 2, 2, 2, 0]
SELF_HARM = [0, 0, 0, 0, 0, 0, 0, 0, 1]


@pytest.fixture
def care(world):
    """Two counsellors and a care supervisor for the world's community, and a counsellor of
    another community who must hear nothing of this one."""
    users = {}
    for name, role in (
        ("counsellor", Role.COUNSELLOR),
        ("counsellor2", Role.COUNSELLOR),
        ("care_supervisor", Role.CARE_SUPERVISOR),
    ):
        users[name] = make_user(name)
        grant_role(user=users[name], role=role, community=world.community)
    elsewhere = Community.objects.create(name="别的社区", code="other", width=100, height=100)
    users["counsellor_elsewhere"] = make_user("counsellor_elsewhere")
    grant_role(user=users["counsellor_elsewhere"], role=Role.COUNSELLOR, community=elsewhere)
    return users


def newcomer(world, name, seq, *, room, birth=date(1980, 1, 1)):
    """Another resident of grid A (a household of their own)."""
    household = household_get_or_create(building=world.building_a2, entrance=2, room=room)
    return resident_create(
        actor=None,
        household=household,
        values={"name": name, "id_number": make_id_number("420106", birth, seq)},
    )


def submit(world, who, answers, *, actor="resident", instrument="phq9", **kwargs):
    actor = world.user(actor) if isinstance(actor, str) else actor
    return services.screening_submit(
        actor=actor,
        resident=world.residents[who] if isinstance(who, str) else who,
        instrument=instrument,
        answers=answers,
        **kwargs,
    )


def counselling(resident):
    return Task.objects.filter(kind=TaskKind.COUNSELLING, resident=resident)


# ------------------------------------------------------------------------- screening


def test_item9_sets_off_an_urgent_call_within_the_hour_and_tells_the_counsellors(world, care):
    before = timezone.now()
    outcome = submit(world, "zhang", SELF_HARM)
    zhang = world.residents["zhang"]
    assert outcome.urgent and outcome.hotline == settings.LINLI_CRISIS_HOTLINE
    assert outcome.screening.total == 1 and outcome.screening.self_harm
    assert outcome.screening.risk == Risk.HIGH
    (task,) = counselling(zhang)
    assert task.priority == Priority.URGENT
    assert before < task.due_at <= timezone.now() + dt.timedelta(hours=1)
    assert outcome.case.risk == Risk.HIGH and outcome.case.status == "open"
    assert outcome.screening.case == outcome.case
    # In the app, to this community's counsellors and nobody else; the answers are not said.
    told = Notification.objects.filter(channel=Channel.IN_APP)
    assert {n.user for n in told} == {care["counsellor"], care["counsellor2"]}
    assert all(f"#{task.pk}" in n.body and "1" not in n.title for n in told)


def test_item9_on_an_assigned_case_tells_its_counsellor_only(world, care):
    zhang = world.residents["zhang"]
    case = services.case_open(actor=care["counsellor"], resident=zhang, risk="moderate", reason="x")
    services.case_assign(actor=care["counsellor"], case=case, counsellor=care["counsellor2"])
    outcome = submit(world, "zhang", SELF_HARM)
    assert outcome.case == case
    case.refresh_from_db()
    assert case.risk == Risk.HIGH
    told = Notification.objects.filter(channel=Channel.IN_APP)
    assert [n.user for n in told] == [care["counsellor2"]]


def test_item9_after_a_moderate_screening_makes_the_live_task_urgent(world, care):
    submit(world, "chen", MODERATE)
    outcome = submit(world, "chen", SELF_HARM)
    # The pool keeps one task per need: the live one takes the urgent priority and due time.
    (task,) = counselling(world.residents["chen"])
    assert task.priority == Priority.URGENT
    assert task.due_at <= timezone.now() + dt.timedelta(hours=1)
    assert outcome.case.risk == Risk.HIGH and CareCase.objects.count() == 1


def test_moderate_opens_a_moderate_case_and_a_counselling_task(world, care):
    outcome = submit(world, "chen", MODERATE, actor=care["counsellor"], source="counsellor")
    assert not outcome.urgent
    assert outcome.screening.band == "moderate" and outcome.screening.by == care["counsellor"]
    assert outcome.case.risk == Risk.MODERATE
    assert outcome.case.follow_up_days == FOLLOW_UP_DAYS[Risk.MODERATE]
    (task,) = counselling(world.residents["chen"])
    assert task.priority == Priority.NORMAL
    assert not Notification.objects.exists()


def test_gad7_severe_opens_a_high_risk_case(world, care):
    outcome = submit(world, "chen", [3, 3, 3, 3, 3, 0, 0], instrument="gad7")
    assert outcome.screening.band == "severe" and not outcome.urgent
    assert outcome.case.risk == Risk.HIGH
    assert counselling(world.residents["chen"]).get().priority == Priority.HIGH


def test_low_keeps_the_screening_and_opens_no_case(world, care):
    outcome = submit(world, "zhang", MINIMAL)
    assert outcome.case is None and not outcome.urgent
    assert Screening.objects.get().band == "minimal"
    assert not CareCase.objects.exists() and not counselling(world.residents["zhang"]).exists()


def test_a_second_screening_raises_the_open_case_never_lowers_it(world, care):
    first = submit(world, "chen", MODERATE)
    second = submit(world, "chen", SEVERE)
    assert second.case == first.case
    case = CareCase.objects.get()
    assert case.risk == Risk.HIGH and case.follow_up_days == 1
    third = submit(world, "chen", MODERATE)
    fourth = submit(world, "chen", MINIMAL)
    case.refresh_from_db()
    assert third.case == case and fourth.case is None
    assert case.risk == Risk.HIGH
    assert CareCase.objects.count() == 1
    # The repeat calls joined the one live counselling task.
    assert counselling(world.residents["chen"]).count() == 1


def test_bad_answers_are_refused_with_the_field_named_and_nothing_kept(world, care):
    with pytest.raises(ApplicationError) as refused:
        submit(world, "zhang", [0] * 8)
    assert set(refused.value.fields) == {"answers"}
    with pytest.raises(ApplicationError) as refused:
        submit(world, "zhang", [0, 0, True, 0, 0, 0, 0, 0, 0])
    assert set(refused.value.fields) == {"answers.3"}
    with pytest.raises(ApplicationError) as refused:
        submit(world, "zhang", MINIMAL, source="neighbour")
    assert set(refused.value.fields) == {"source"}
    assert not Screening.objects.exists()


# ------------------------------------------------------------------------- cases


def open_case(world, care, who="chen", risk="moderate"):
    return services.case_open(
        actor=care["counsellor"],
        resident=world.residents[who],
        risk=risk,
        reason="丧亲",
        counsellor=care["counsellor"],
    )


def test_a_session_encrypts_its_notes_and_moves_the_next_follow_up(world, care):
    case = open_case(world, care)
    assert case.next_due == timezone.localdate()  # first contact today
    held = timezone.now() - dt.timedelta(days=2)
    session = services.session_record(
        actor=care["counsellor"], case=case, mode="phone", minutes=35, notes=NOTES, at=held
    )
    stored = CareSession.objects.filter(pk=session.pk).values_list("notes_encrypted", flat=True)
    assert NOTES not in stored[0] and "母亲" not in stored[0]
    assert decrypt(stored[0]) == NOTES
    case.refresh_from_db()
    assert case.next_due == timezone.localdate(held) + dt.timedelta(days=7)
    event = AuditEvent.objects.get(action="care.session")
    assert NOTES not in str(event.detail)


def test_a_session_refuses_bad_fields_by_name(world, care):
    case = open_case(world, care)
    with pytest.raises(ApplicationError) as refused:
        services.session_record(
            actor=care["counsellor"],
            case=case,
            mode="letter",
            minutes=0,
            at=timezone.now() + dt.timedelta(days=1),
        )
    assert set(refused.value.fields) == {"mode", "minutes", "at"}
    assert not CareSession.objects.exists()


def test_closing_needs_an_outcome_and_then_stops_sessions(world, care):
    case = open_case(world, care)
    for outcome in ("", "better"):
        with pytest.raises(ApplicationError) as refused:
            services.case_close(actor=care["counsellor"], case=case, outcome=outcome)
        assert set(refused.value.fields) == {"outcome"}
    case.refresh_from_db()
    assert case.status == "open"
    services.case_close(actor=care["counsellor"], case=case, outcome="improved")
    case.refresh_from_db()
    assert (case.status, case.outcome, case.next_due) == ("closed", "improved", None)
    assert case.closed_at is not None
    with pytest.raises(Conflict):
        services.session_record(actor=care["counsellor"], case=case, mode="phone", minutes=10)


def test_one_open_case_per_person(world, care):
    first = open_case(world, care)
    with pytest.raises(Conflict) as refused:
        open_case(world, care, risk="high")
    assert refused.value.code == "case_open"
    assert CareCase.objects.count() == 1
    services.case_close(actor=care["counsellor"], case=first, outcome="stable")
    assert open_case(world, care).pk != first.pk  # a new case once the old one is closed


def test_only_a_counsellor_of_the_community_is_assigned(world, care):
    case = open_case(world, care)
    for user in (care["counsellor_elsewhere"], world.user("grid_a")):
        with pytest.raises(ApplicationError) as refused:
            services.case_assign(actor=care["counsellor"], case=case, counsellor=user)
        assert set(refused.value.fields) == {"counsellor"}


# ------------------------------------------------------------------------- the list


def test_the_priority_list_explains_each_person(world, care):
    """One person per reason: a confirmed case, a quarantine, a death in the family, an old
    woman living alone, a moderate screening, a staff flag, a volunteer over their hour cap."""
    staff = world.user("staff")
    health.status_change(
        actor=staff, resident=world.residents["chen"], to_status="confirmed", reason="确诊"
    )
    quarantined = newcomer(world, "钱进", 51, room="101")
    health.quarantine_start(
        actor=staff, resident=quarantined, kind=QuarantineKind.HOME, reason="外地返汉"
    )
    health.status_change(
        actor=staff, resident=world.residents["zhang"], to_status=HealthStatus.DECEASED, reason="x"
    )
    screened = newcomer(world, "刘洋", 52, room="102")
    submit(world, screened, MODERATE, actor=care["counsellor"], source="counsellor")
    flagged = newcomer(world, "孙丽", 53, room="103")
    services.priority_flag_add(actor=staff, resident=flagged, reason="邻居说她几天没出门")
    volunteer = newcomer(world, "周勇", 54, room="104")
    worker = make_worker(world.user("volunteer"), resident=volunteer, weekly_hour_cap=20)
    HoursEntry.objects.create(worker=worker, day=timezone.localdate(), minutes=21 * 60)

    rows = selectors.priority_list(user=care["counsellor"], community=world.community)
    got = {row["resident"].name: row["reasons"] for row in rows}
    assert got == {
        "陈明": [R.CASE],
        "钱进": [R.QUARANTINE],
        "李芳": [R.BEREAVED],  # zhang's widow
        "王秀英": [R.ALONE],  # over 60, alone; the infant living alone is not listed
        "刘洋": [R.SCREENED],
        "孙丽": [R.STAFF],
        "周勇": [R.WORKER],
    }
    by_name = {row["resident"].name: row for row in rows}
    assert by_name["孙丽"]["notes"] == {R.STAFF: "邻居说她几天没出门"}
    assert by_name["刘洋"]["case"] is not None and by_name["陈明"]["case"] is None
    # Every reason has its words for the page.
    assert all(str(R(reason).label) for row in rows for reason in row["reasons"])


def test_more_reasons_come_first(world, care):
    wang = world.residents["wang"]
    services.priority_flag_add(actor=world.user("staff"), resident=wang, reason="独居，不接电话")
    submit(world, "chen", MODERATE)
    rows = selectors.priority_list(user=care["counsellor"], community=world.community)
    assert rows[0]["resident"] == wang and rows[0]["reasons"] == [R.ALONE, R.STAFF]


def test_a_grid_worker_gets_no_priority_list(world, care):
    submit(world, "chen", MODERATE)
    assert selectors.priority_list(user=world.user("grid_b"), community=world.community) == []


# ------------------------------------------------------------------------- figures


def test_figures_suppress_small_counts_and_name_nobody(world, care):
    for _ in range(6):
        submit(world, "zhang", MINIMAL)
    submit(world, "chen", MODERATE)
    submit(world, "wang", SEVERE)
    shown = selectors.figures(communities=[world.community])
    (week,) = shown["screenings"]
    assert week["instrument"] == "phq9"
    assert week["bands"] == {"minimal": 6, "moderate": "<5", "severe": "<5"}
    assert shown["open_by_risk"] == {"moderate": "<5", "high": "<5"}
    assert shown["follow_ups_on_time"] == "<5" and shown["follow_ups_late"] == 0
    text = str(shown)
    assert not any(resident.name in text for resident in world.residents.values())
    assert set(shown) == {
        "screenings",
        "open_by_risk",
        "follow_ups_on_time",
        "follow_ups_late",
        "suppress_below",
    }


# ------------------------------------------------------------------------- follow-ups


def test_followups_due_make_one_task_per_due_case_and_no_duplicate(world, care):
    due = [open_case(world, care, who) for who in ("chen", "wang")]
    later = open_case(world, care, "zhang_wife")
    services.session_record(actor=care["counsellor"], case=later, mode="visit", minutes=20)
    closed = open_case(world, care, "zhang")
    services.case_close(actor=care["counsellor"], case=closed, outcome="declined")

    assert services.followups_due() == 2
    tasks = Task.objects.filter(kind=TaskKind.COUNSELLING)
    assert {t.resident_id for t in tasks} == {c.resident_id for c in due}
    assert services.followups_due() == 0
    assert tasks.count() == 2
    # A week on, the visited case is due too.
    assert services.followups_due(today=timezone.localdate() + dt.timedelta(days=7)) == 1


# ------------------------------------------------------------------------- notes


def test_reading_notes_is_audited(world, care):
    case = open_case(world, care)
    session = services.session_record(
        actor=care["counsellor"], case=case, mode="video", minutes=50, notes=NOTES
    )
    assert selectors.session_notes(user=care["care_supervisor"], session=session) == NOTES
    event = AuditEvent.objects.get(action="care.notes_read")
    assert event.actor == care["care_supervisor"]
    assert (event.target_type, event.target_id) == ("care.carecase", str(case.pk))
    assert event.community_id == world.community.pk
    assert event.detail == {"session": session.pk}


def test_a_session_without_notes_stores_nothing_to_read(world, care):
    case = open_case(world, care)
    session = services.session_record(actor=care["counsellor"], case=case, mode="phone", minutes=5)
    assert session.notes_encrypted == ""
    assert selectors.session_notes(user=care["counsellor"], session=session) == ""


def test_task_titles_say_a_call_is_due_never_why(world, care):
    """Everyone working the area reads the task pool: the title names the call, not the answer
    that caused it (issue 7: grid workers see that a person has support, never what was said)."""
    submit(world, "zhang", [0, 0, 0, 0, 0, 0, 0, 0, 2])
    submit(
        world, "chen", [2, 2, 2, 2, 1, 1, 1, 1, 0], actor=care["counsellor"], source="counsellor"
    )
    titles = " ".join(counselling(world.residents["zhang"]).values_list("title", flat=True))
    titles += " ".join(counselling(world.residents["chen"]).values_list("title", flat=True))
    for word in ("self-harm", "screening", "severe", "moderate", "PHQ", "GAD"):
        assert word not in titles


def test_a_live_call_that_becomes_urgent_is_retitled(world, care):
    submit(world, "zhang", [2, 2, 2, 2, 1, 1, 1, 1, 0])  # moderate: a normal call
    submit(world, "zhang", [0, 0, 0, 0, 0, 0, 0, 0, 1])  # then thoughts of self-harm
    task = counselling(world.residents["zhang"]).get()
    assert task.priority == Priority.URGENT
    assert task.title.startswith("Urgent counselling call")
