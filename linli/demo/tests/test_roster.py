"""The demo's workforce and task pool on their own: no database, just the plan drawn."""

from collections import Counter
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from linli.demo import engine, roster
from linli.taskpool import choices as task_choices
from linli.workforce.choices import WEEKDAYS, DayPart, Force, PpeKind, Skill, WorkerStatus

TODAY = date(2026, 3, 1)
NOW = datetime(2026, 3, 1, 10, 30, tzinfo=ZoneInfo("Asia/Shanghai"))
VULNERABLE_TAGS = {"disabled", "dialysis", "without_family", "pregnant", "bereaved", "chronic"}


@pytest.fixture(scope="module")
def plan():
    return engine.generate(seed=2020, today=TODAY)


@pytest.fixture(scope="module")
def work(plan):
    return roster.generate_work(plan, seed=2020, now=NOW)


@pytest.fixture(scope="module")
def small():
    small_plan = engine.generate(seed=7, households=300, today=TODAY)
    return small_plan, roster.generate_work(small_plan, seed=7, now=NOW)


def by_force(work):
    return Counter(w.force for w in work.workers)


def test_choice_values_stay_in_step_with_the_apps(work):
    assert {w.force for w in work.workers} == set(Force.values)
    assert {s for w in work.workers for s in w.skills} <= set(Skill.values)
    assert {w.status for w in work.workers} <= set(WorkerStatus.values)
    slots = {f"{d}-{p}" for d in WEEKDAYS for p in DayPart.values}
    assert {a for w in work.workers for a in w.availability} <= slots
    assert roster.KINDS == list(task_choices.TaskKind.values)
    assert roster.STATES == list(task_choices.Status.values)
    assert roster.LIVE == set(task_choices.LIVE)
    assert roster.KIND_SKILL == dict(task_choices.KIND_SKILL)
    assert roster.KIND_MINUTES == dict(task_choices.KIND_MINUTES)
    assert {t.source for t in work.tasks} <= set(task_choices.Source.values)
    assert {t.priority for t in work.tasks} <= set(task_choices.Priority.values)
    assert set(roster.PPE) == set(PpeKind.values)


def test_the_full_roster_has_every_force(work, plan):
    forces = by_force(work)
    # Fourteen community staff, five of whom work a grid each.
    assert forces["staff"] + forces["grid_worker"] == 14
    assert forces["grid_worker"] == 5
    assert sorted(w.grid for w in work.workers if w.force == "grid_worker") == [1, 2, 3, 4, 5]
    assert forces["cadre"] == 40 and forces["property"] == 20 and forces["volunteer"] == 150
    assert 0.75 * len(plan.buildings) <= forces["building_leader"] <= len(plan.buildings)
    usernames = [w.username for w in work.workers]
    assert len(set(usernames)) == len(usernames)
    index = work.by_username()
    expected = {
        "staff1": "staff",
        "grid1": "grid_worker",
        "grid2": "grid_worker",
        "cadre1": "cadre",
        "property1": "property",
        "volunteer1": "volunteer",
        "driver1": "volunteer",
        "leader1": "building_leader",
    }
    for username, force in expected.items():
        worker = work.workers[index[username]]
        assert worker.force == force and worker.existing, username
    assert work.workers[index["grid2"]].grid == 2
    assert work.workers[index["leader1"]].home_building == roster.leader_building(plan)
    # The other logins get the role of their force; the demo logins keep theirs.
    assert all(w.role == w.force for w in work.workers if not w.existing)


def test_cadres_come_from_their_units_and_property_staff_from_two_companies(work):
    cadres = [w for w in work.workers if w.force == "cadre"]
    units = Counter(w.organisation for w in cadres)
    assert {"武昌区财政局", "武昌区教育局", "中华路街道办事处"} <= set(units)
    assert all(units.values())
    companies = {w.organisation for w in work.workers if w.force == "property"}
    assert 1 <= len(companies) <= 2
    assert all("disinfection" in w.skills for w in work.workers if w.force == "property")


def test_volunteers_are_mostly_residents_and_screened(work, plan):
    volunteers = [w for w in work.workers if w.force == "volunteer"]
    statuses = Counter(w.status for w in volunteers)
    assert statuses["pending"] == 8 and statuses["rejected"] == 2
    assert statuses["approved"] >= 135
    residents = [w for w in volunteers if w.resident is not None]
    assert len(residents) >= 0.9 * len(volunteers)
    for w in residents:
        person = plan.people[w.resident]
        household = plan.households[person.household]
        assert (w.name, w.home_building, w.home_room) == (
            person.name,
            household.building,
            household.room,
        )
        assert 18 <= person.age(TODAY) <= 64
    assert len({w.resident for w in residents}) == len(residents)
    for w in volunteers:
        if w.status == "approved":
            # Screened (S11): identity, a negative test within a week, training.
            assert w.identity_checked_at and w.training_acknowledged_at and w.decided_by
            assert NOW.date() - timedelta(days=7) <= w.test_date <= NOW.date()
            assert w.resident is not None or w.existing
        if w.status == "rejected":
            assert w.rejection_reason and w.decided_at
        if w.status == "pending":
            assert w.decided_at is None and w.test_date is None
            assert w.identity_checked_at is None or w.resident is not None
    skills = Counter(s for w in volunteers if w.status == "approved" for s in w.skills)
    assert skills["driving"] >= 10
    assert skills["counselling"] >= 2 and skills["medical"] >= 2


def test_building_leaders_live_in_the_building_they_lead(work, plan):
    leaders = [w for w in work.workers if w.force == "building_leader"]
    buildings = [w.home_building for w in leaders]
    assert len(set(buildings)) == len(buildings)
    for w in leaders:
        if w.resident is not None:
            household = plan.households[plan.people[w.resident].household]
            assert household.building == w.home_building
            assert w.name == plan.people[w.resident].name
    volunteer_people = {w.resident for w in work.workers if w.force == "volunteer"}
    assert not volunteer_people & {w.resident for w in leaders if w.resident is not None}


def test_tasks_come_in_every_kind_and_every_state(work):
    assert 300 <= len(work.tasks) <= 500
    pairs = Counter((t.kind, t.status) for t in work.tasks)
    for kind in roster.KINDS:
        for state in roster.STATES:
            assert pairs[(kind, state)] >= 1, (kind, state)


def test_one_live_task_per_need_and_target(work):
    live = [(t.kind, t.target) for t in work.tasks if t.status in roster.LIVE]
    assert len(live) == len(set(live))
    # Nor were two tasks for one need ever live at the same time (they would have merged).
    spans: dict = {}
    for t in work.tasks:
        end = NOW if t.status in roster.LIVE else t.events[-1].at
        ended = [e.at for e in t.events if e.to_status in ("done", "failed", "cancelled")]
        spans.setdefault((t.kind, t.target), []).append((t.created, ended[0] if ended else end))
    for key, intervals in spans.items():
        intervals.sort()
        for (_s1, e1), (s2, _e2) in zip(intervals, intervals[1:], strict=False):
            assert e1 <= s2, key


def test_owners_and_fields_follow_the_state(work):
    for t in work.tasks:
        if t.status == "open":
            assert t.assignee is None
        elif t.status != "cancelled":
            assert t.assignee is not None
        assert (t.status == "failed") == bool(t.failure_reason)
        assert (t.done is not None) == (t.status in ("done", "failed"))
        if t.status == "done":
            assert t.started <= t.done and 5 <= t.minutes <= 8 * 60
        if t.rating is not None:
            assert t.status == "done" and 1 <= t.rating <= 5 and t.confirmed <= NOW
        skill = roster.KIND_SKILL.get(t.kind)
        if skill and t.assignee is not None:
            assert skill in work.workers[t.assignee].skills
        if t.assignee is not None:
            assert work.workers[t.assignee].status == "approved"


def test_events_replay_to_the_state_with_allowed_transitions(work):
    for t in work.tasks:
        events = t.events
        assert events[0].action == "create" and events[0].to_status == "open"
        assert [e.at for e in events] == sorted(e.at for e in events)
        assert events[0].at == t.created and events[-1].at <= NOW
        state = "open"
        for e in events[1:]:
            assert e.from_status == state, (t.title, e.action)
            if e.action in task_choices.TRANSITIONS:
                assert e.from_status in task_choices.TRANSITIONS[e.action]
                assert e.to_status == task_choices.TARGET_STATUS[e.action]
            else:
                assert e.action in ("merge", "escalate", "confirm") and e.to_status == state
            state = e.to_status
        assert state == t.status
        assert (t.escalated is not None) == any(e.action == "escalate" for e in events)


def test_requests_and_merges(work):
    merged = [t for t in work.tasks if len(t.requests) >= 2]
    assert len(merged) >= 0.1 * len(work.tasks)
    copies = [t for t in work.tasks if not t.requests]
    assert len(copies) == 4  # merged by hand: cancelled, their request moved
    for t in work.tasks:
        merges = [e for e in t.events if e.action == "merge"]
        assert len(t.requests) == (0 if t in copies else 1 + len(merges))
        assert [r.at for r in t.requests] == sorted(r.at for r in t.requests)
    for copy in copies:
        assert copy.status == "cancelled" and copy.household is not None
        cancel = copy.events[-1]
        into = work.tasks[cancel.ref]
        assert into.resident is not None and into.kind == copy.kind
        assert any(e.ref is not None and work.tasks[e.ref] is copy for e in into.events)


def test_tasks_are_mostly_for_vulnerable_residents_and_places(work, plan):
    size = Counter(p.household for p in plan.people)
    targets = Counter(t.target.split(":")[0] for t in work.tasks)
    assert targets["building"] + targets["place"] >= 50
    people = [plan.people[t.resident] for t in work.tasks if t.resident is not None]

    def vulnerable(p):
        alone = size[p.household] == 1
        return p.age(TODAY) >= 60 and alone or p.age(TODAY) >= 75 or set(p.tags) & VULNERABLE_TAGS

    assert sum(bool(vulnerable(p)) for p in people) >= 0.95 * len(people)
    assert {t.kind for t in work.tasks if t.place is not None or t.building is not None} <= {
        "disinfection",
        "stray_animal",
        "pest",
    }


def test_due_times_are_around_now_and_some_are_overdue(work):
    live = [t for t in work.tasks if t.status in roster.LIVE]
    overdue = [t for t in live if t.due < NOW]
    assert 0.1 * len(live) <= len(overdue) <= 0.6 * len(live)
    assert all(t.escalated for t in overdue if t.due + timedelta(minutes=30) < NOW)
    assert all(NOW - timedelta(days=14) < t.created < NOW for t in work.tasks)
    assert any(t.due > NOW for t in live)


def test_volunteer1_and_driver1_have_work_in_every_live_state(work):
    index = work.by_username()
    for username in ("volunteer1", "driver1"):
        mine = Counter(t.status for t in work.tasks if t.assignee == index[username])
        for state in ("assigned", "accepted", "in_progress", "done"):
            assert mine[state] >= 1, (username, state)
    driver = work.workers[index["driver1"]]
    assert "driving" in driver.skills
    assert work.workers[index["volunteer1"]].status == "approved"


def test_worker_care_shifts_and_protective_equipment(work):
    days = Counter((s.worker, s.day) for s in work.shifts)
    assert max(days.values()) == 1 and all(0 < s.minutes <= 12 * 60 for s in work.shifts)
    assert {work.workers[s.worker].force for s in work.shifts} == {"staff", "grid_worker", "cadre"}
    stock = Counter()
    for m in work.ppe_movements:
        stock[m.kind] += m.quantity
        assert (m.quantity < 0) == (m.worker is not None)
    items = {i.kind: i for i in work.ppe_items}
    assert all(stock[k] == items[k].stock >= 0 for k in items)
    assert [k for k, i in items.items() if i.stock < i.low_threshold] == ["gown"]
    assert sum(m.quantity < 0 for m in work.ppe_movements) >= 15


def test_the_same_seed_and_time_give_the_same_work(plan, work):
    again = roster.generate_work(plan, seed=2020, now=NOW)
    assert again == work
    other = roster.generate_work(plan, seed=2021, now=NOW)
    assert [t.title for t in other.tasks] != [t.title for t in work.tasks]
    # A later load shifts every time by the same amount and changes nothing else.
    later = roster.generate_work(plan, seed=2020, now=NOW + timedelta(hours=5))
    assert [(t.kind, t.status, t.target) for t in later.tasks] == [
        (t.kind, t.status, t.target) for t in work.tasks
    ]
    assert later.tasks[0].created - work.tasks[0].created == timedelta(hours=5)


def test_a_small_community_still_has_every_force_kind_and_state(small):
    plan, work = small
    forces = by_force(work)
    assert forces["staff"] + forces["grid_worker"] == 14
    assert forces["cadre"] >= 6 and forces["property"] >= 4 and forces["volunteer"] >= 24
    assert {(t.kind, t.status) for t in work.tasks} == {
        (k, s) for k in roster.KINDS for s in roster.STATES
    }
    live = [(t.kind, t.target) for t in work.tasks if t.status in roster.LIVE]
    assert len(live) == len(set(live))
