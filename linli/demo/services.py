"""Writes for the demo community: load it (in one transaction) and remove it again.

The plan comes from `linli.demo.engine` (the community and its registry), `linli.demo.roster`
(the workforce, the task pool and protective equipment) and `linli.demo.groupbuy` (suppliers,
catalogue and group-purchase rounds); this module turns them into rows, in bulk, through the
registry's own `resident_apply_fields` so the demo's residents carry the same derived keys
(pinyin, encrypted, hashed and masked ID number) as imported ones, and runs the supplies and
delivery apps' own planning on them (pickup points, slots, door delivery, routes).
"""

import os
from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal

from django.contrib.auth.hashers import make_password
from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from linli.accounts.choices import Role
from linli.accounts.models import User
from linli.accounts.services import grant_role
from linli.care.models import CareCase, GroupSession
from linli.core.errors import ApplicationError, Conflict
from linli.core.models import Job
from linli.core.services import audit_record
from linli.delivery import services as delivery
from linli.delivery.eligibility import door_delivery_households
from linli.delivery.models import DeliveryPreference, DoorDeliveryOverride, RoutePlan, RouteStop
from linli.demo import engine, epidemic, groupbuy, roster
from linli.demo.care import generate_care
from linli.demo.care_load import load_care_support
from linli.health import services as health
from linli.health.choices import HealthStatus, ReportSource
from linli.health.models import (
    HealthRecord,
    HealthReport,
    HealthStatusChange,
    LabResult,
    Quarantine,
    QuarantineExtension,
)
from linli.notices.choices import Channel, NoticeStatus
from linli.notices.models import Notification
from linli.places.models import Building, Community, Entrance, Grid, Household, PublicPlace
from linli.residents.choices import Tag
from linli.residents.models import Resident, ResidentTag, Verification
from linli.residents.services import resident_apply_fields
from linli.supplies import pickup, placement_engine
from linli.supplies import services as supplies
from linli.supplies.choices import OrderStatus, RoundStatus
from linli.supplies.models import (
    Order,
    OrderLine,
    Package,
    PickupPlan,
    PickupPoint,
    Round,
    RoundItem,
    Supplier,
    SupplierStaff,
)
from linli.taskpool.choices import KIND_MINUTES, KIND_SKILL
from linli.taskpool.models import DispatchProposal, Task, TaskEvent, TaskRequest
from linli.taskpool.services import task_target
from linli.tracing.choices import CheckInSource
from linli.tracing.models import CheckIn, CrossCheck, DirectContact, TracingRun
from linli.workforce.choices import Force, WorkerStatus
from linli.workforce.models import HoursEntry, PpeItem, PpeMovement, Worker

BATCH = 2000
DEFAULT_PASSWORD = "linli-demo"  # noqa: S105 (the published demo password)
COMMUNITY_CODE = engine.COMMUNITY["code"]


@dataclass(frozen=True)
class DemoUser:
    username: str
    display_name: str
    role: str | None  # None: a resident's login, tied to a registry record instead
    area: str  # "all", "community", "grid1", "grid2", "building" or "household"


DEMO_USERS = [
    DemoUser("admin", "系统管理员", Role.ADMIN, "all"),
    DemoUser("staff1", "周静", Role.STAFF, "community"),
    DemoUser("grid1", "陈刚", Role.GRID_WORKER, "grid1"),
    DemoUser("grid2", "黄丽", Role.GRID_WORKER, "grid2"),
    DemoUser("cadre1", "吴建军", Role.CADRE, "community"),
    DemoUser("property1", "赵国庆", Role.PROPERTY, "community"),
    DemoUser("volunteer1", "杨帆", Role.VOLUNTEER, "community"),
    DemoUser("leader1", "胡德明", Role.BUILDING_LEADER, "building"),
    DemoUser("resident1", "", None, "household"),  # named after their registry record
    DemoUser("counsellor1", "郑心怡", Role.COUNSELLOR, "community"),
    DemoUser("doctor1", "孙晓梅", Role.DOCTOR, "community"),
    DemoUser("driver1", "马强", Role.DRIVER, "community"),
    DemoUser("supervisor1", "林峰", Role.SUPERVISOR, "all"),
]
DEMO_USERNAMES = [u.username for u in DEMO_USERS]


def demo_password() -> str:
    return os.environ.get("LINLI_DEMO_PASSWORD") or DEFAULT_PASSWORD


def demo_exists() -> bool:
    return Community.objects.filter(code=COMMUNITY_CODE).exists()


@transaction.atomic
def demo_seed(
    *,
    seed: int = 2020,
    households: int = engine.FULL_HOUSEHOLDS,
    today: date | None = None,
    password: str | None = None,
) -> dict:
    """Load Xinmin Road community, its 13 demo logins, the roster of every force (each with a
    login sharing the demo password), the task pool with its history, worker care (duty
    hours, protective equipment), and food and supplies: suppliers and their catalogue, a
    pickup-point plan, a round being collected (points, slots, codes, door-delivery routes)
    and a round open for orders. All or nothing: any failure rolls the whole load back.
    Refuses if the community or any demo or roster username already exists."""
    if demo_exists():
        raise Conflict(
            _("The demo community already exists. Use --reset to rebuild it."),
            code="demo_exists",
        )
    taken = list(
        User.objects.filter(username__in=DEMO_USERNAMES).values_list("username", flat=True)
    )
    if taken:
        raise Conflict(
            _("These demo usernames are already taken: %(names)s. Use --reset to replace them.")
            % {"names": ", ".join(sorted(taken))},
            code="demo_users_exist",
        )
    if households < 10:
        raise ApplicationError(
            _("Please correct the marked fields."),
            fields={"households": [_("must be at least 10")]},
        )
    today = today or timezone.localdate()
    plan = engine.generate(seed=seed, households=households, today=today)
    # The task pool's and the rounds' times are around the real now (overdue, open and the
    # supplier staff's tests are measured against it), in the community's time zone; ages are
    # counted to `today`.
    now = timezone.localtime()
    work = roster.generate_work(plan, seed=seed, now=now)
    resident1 = roster.resident1_person(plan)
    shop = groupbuy.generate_shop(
        plan, work, seed=seed, now=now, logins={plan.people[resident1].household: "resident1"}
    )
    roster_names = [w.username for w in work.workers if not w.existing]
    taken = list(User.objects.filter(username__in=roster_names).values_list("username", flat=True))
    if taken:
        raise Conflict(
            _("These usernames of the demo roster are already taken: %(names)s.")
            % {"names": ", ".join(sorted(taken)[:10])},
            code="demo_users_exist",
        )

    community = Community.objects.create(**plan.community, width=plan.width, height=plan.height)
    grids = {
        g.number: g
        for g in Grid.objects.bulk_create(
            [Grid(community=community, number=g.number, name=g.name) for g in plan.grids]
        )
    }
    buildings = Building.objects.bulk_create(
        [
            Building(
                community=community,
                grid=grids[b.grid],
                number=b.number,
                estate=b.estate,
                floors=b.floors,
                has_lift=b.has_lift,
                x=b.x,
                y=b.y,
            )
            for b in plan.buildings
        ],
        batch_size=BATCH,
    )
    entrances = {
        (e.building_id, e.number): e
        for e in Entrance.objects.bulk_create(
            [
                Entrance(building=building, number=n)
                for building, spec in zip(buildings, plan.buildings, strict=True)
                for n in range(1, spec.entrances + 1)
            ],
            batch_size=BATCH,
        )
    }
    flats = Household.objects.bulk_create(
        [
            Household(
                building=buildings[h.building],
                entrance=entrances[(buildings[h.building].pk, h.entrance)],
                room=h.room,
                floor=h.floor,
            )
            for h in plan.households
        ],
        batch_size=BATCH,
    )
    places = PublicPlace.objects.bulk_create(
        [
            PublicPlace(
                community=community, grid=grids[p.grid], kind=p.kind, name=p.name, x=p.x, y=p.y
            )
            for p in plan.places
        ]
    )

    # One hash for every demo login: they share the published demo password, and hashing it
    # once per login would cost seconds of a one-minute budget for no security at all.
    hashed = make_password(password or demo_password())
    users = _create_users(community, grids, hashed)
    residents = []
    for person in plan.people:
        resident = Resident(household=flats[person.household])
        resident_apply_fields(
            resident,
            {
                "name": person.name,
                "sex": person.sex,
                "birth_date": person.birth_date,
                "phone": person.phone,
                "relation": person.relation,
                "resident_type": person.resident_type,
                "note": person.note,
                "disability_level": person.disability_level,
                "id_number": person.id_number,
            },
        )
        if person.verification:
            resident.verified_at = person.verification.at
            resident.verified_by = users[person.verification.by]
        residents.append(resident)
    Resident.objects.bulk_create(residents, batch_size=BATCH)
    ResidentTag.objects.bulk_create(
        [
            ResidentTag(resident=resident, tag=tag)
            for resident, person in zip(residents, plan.people, strict=True)
            for tag in dict.fromkeys(person.tags)
        ],
        batch_size=BATCH,
    )
    Verification.objects.bulk_create(
        [
            Verification(
                resident=resident,
                verified_by=users[person.verification.by],
                verified_at=person.verification.at,
                method=person.verification.method,
            )
            for resident, person in zip(residents, plan.people, strict=True)
            if person.verification
        ],
        batch_size=BATCH,
    )
    leader_building = _place_leader_and_resident(users, buildings, plan, residents, resident1)
    rows = _Rows(
        community=community,
        grids=grids,
        buildings=buildings,
        flats=flats,
        places=places,
        residents=residents,
        users=users,
    )
    workers = _load_roster(rows, work, hashed)
    _load_tasks(rows, work, workers)
    _load_care(rows, work, workers)
    # Health before supplies: households under home quarantine get their food at the door.
    epi = epidemic.generate_epidemic(plan, seed=seed, now=now, avoid={resident1})
    health_summary = _load_epidemic(rows, epi, now=now)
    # Psychological support after the outbreak: it reads who is bereaved and quarantined.
    care_summary = load_care_support(
        rows,
        plan,
        epi,
        generate_care(plan, epi, seed=seed, now=now, avoid={resident1}),
        now=now,
    )
    supplies_summary = _load_shop(rows, plan, shop, workers, now=now)

    summary = {
        "seed": seed,
        "today": today.isoformat(),
        "grids": len(grids),
        "buildings": len(buildings),
        "households": len(flats),
        "residents": len(residents),
        "places": len(plan.places),
        "users": len(rows.users),
        "leader_building": leader_building.number,
        "workers": len(workers),
        "forces": _count(w.force for w in work.workers),
        # The pool as loaded, with the tasks the routing and the health round added to it.
        "tasks": Task.objects.filter(community=community).count(),
        "states": _count(Task.objects.filter(community=community).values_list("status", flat=True)),
        **supplies_summary,
        **health_summary,
        **care_summary,
    }
    audit_record(
        actor=None, action="demo.seed", target=community, community_id=community.pk, detail=summary
    )
    return summary


def _load_epidemic(rows: "_Rows", epi: epidemic.EpidemicPlan, *, now: datetime) -> dict:
    """Two weeks of health reports and check-ins, the outbreak's health histories,
    quarantines, laboratory results and interviews; then today's quarantine follow-up tasks
    through the health app's own daily round."""
    people, users = rows.residents, rows.users
    # Two weeks of everyone's reports are the bulk of the demo: rows go in by one executemany
    # each, without building a model instance per row (that alone took seconds).
    _insert(
        HealthReport,
        ["resident", "date", "temperature", "symptoms", "note", "source", "reported_at"],
        [
            (
                people[r.person].pk,
                r.day,
                Decimal(r.temperature),
                list(r.symptoms),
                "",
                ReportSource.SELF,
                r.at,
            )
            for r in epi.reports
        ],
    )
    _insert(
        CheckIn,
        ["resident", "place", "entered_at", "left_at", "source", "created_at"],
        [
            (
                people[v.person].pk,
                rows.places[v.place].pk,
                v.entered,
                v.left,
                CheckInSource.SCAN,
                v.entered,
            )
            for v in epi.visits
        ],
    )
    changes, records, quarantines, extensions = [], [], [], []
    for history in epi.histories:
        resident = people[history.person]
        before = HealthStatus.HEALTHY
        for step in history.steps:
            changes.append(
                HealthStatusChange(
                    resident=resident,
                    from_status=before,
                    to_status=step.to,
                    reason=step.reason,
                    source=step.source,
                    changed_by=users.get(step.by),
                    changed_at=step.at,
                )
            )
            before = step.to
        records.append(HealthRecord(resident=resident, status=before, since=step.at))
        q = history.quarantine
        if q is not None:
            quarantine = Quarantine(
                resident=resident,
                kind=q.kind,
                location=q.location,
                reason=q.reason,
                starts_on=q.starts_on,
                ends_on=q.starts_on + timedelta(days=q.days),
                started_by=users["staff1"],
                released_on=q.released_on,
                released_by=users["staff1"] if q.released_on else None,
            )
            quarantines.append(quarantine)
            if q.extension:
                days, reason = q.extension
                extensions.append((quarantine, days, reason))
        if before == HealthStatus.DECEASED:
            ResidentTag.objects.bulk_create(
                [
                    ResidentTag(resident=other, tag=Tag.BEREAVED)
                    for other in people
                    if other.household_id == resident.household_id and other.pk != resident.pk
                ],
                ignore_conflicts=True,
            )
    HealthStatusChange.objects.bulk_create(changes)
    HealthRecord.objects.bulk_create(records)
    Quarantine.objects.bulk_create(quarantines)
    for quarantine, days, reason in extensions:
        new_end = quarantine.ends_on + timedelta(days=days)
        QuarantineExtension.objects.create(
            quarantine=quarantine,
            old_end=quarantine.ends_on,
            new_end=new_end,
            reason=reason,
            by=users["staff1"],
        )
        Quarantine.objects.filter(pk=quarantine.pk).update(ends_on=new_end)
    LabResult.objects.bulk_create(
        [
            LabResult(
                resident=people[lab.person],
                kind=lab.kind,
                outcome=lab.outcome,
                sampled_on=lab.day,
                place=lab.place,
                imported=True,
            )
            for lab in epi.labs
        ]
    )
    DirectContact.objects.bulk_create(
        [
            DirectContact(
                resident=people[a], other=people[b], at=at, note=note, recorded_by=users["staff1"]
            )
            for a, b, at, note in epi.direct
        ]
    )
    daily = health.quarantines_daily(today=now.date())
    in_force = [q for q in quarantines if q.released_on is None]
    return {
        "health_reports": len(epi.reports),
        "checkins": len(epi.visits),
        "health_statuses": _count(r.status for r in records),
        "quarantines_in_force": len(in_force),
        "quarantine_followups": daily["followups"] + daily["ending"],
    }


def _create_users(community: Community, grids: dict, hashed: str) -> dict[str, User]:
    users = {}
    for spec in DEMO_USERS:
        superuser = spec.username == "admin"
        user = User(
            username=spec.username,
            display_name=spec.display_name,
            is_superuser=superuser,
            is_staff=superuser,
            password=hashed,
        )
        user.save()
        users[spec.username] = user
        if spec.role is None or spec.area == "building":
            continue  # the resident and the building leader get their place below
        if spec.area == "all":
            grant_role(user=user, role=spec.role)
        elif spec.area.startswith("grid"):
            grant_role(user=user, role=spec.role, grid=grids[int(spec.area[4:])])
        else:
            grant_role(user=user, role=spec.role, community=community)
    return users


def _place_leader_and_resident(users, buildings, plan, residents, resident1: int) -> Building:
    """leader1 leads the first building of grid 1; resident1 is an older householder there
    (linli.demo.roster.resident1_person chooses them)."""
    building = buildings[roster.leader_building(plan)]
    grant_role(user=users["leader1"], role=Role.BUILDING_LEADER, building=building)
    resident = residents[resident1]
    user = users["resident1"]
    user.resident = resident
    user.display_name = resident.name
    user.phone = resident.phone
    user.save(update_fields=["resident", "display_name", "phone"])
    return building


@dataclass
class _Rows:
    """The rows loaded so far, by plan index (grids by number, users by username)."""

    community: Community
    grids: dict
    buildings: list
    flats: list
    places: list
    residents: list
    users: dict


def _count(values) -> dict[str, int]:
    return dict(sorted(Counter(values).items()))


def _at(items: list, index: int | None):
    return None if index is None else items[index]


def _backdate(objects: list, **times: list) -> None:
    """bulk_create stamps auto_now(_add) fields with the present (on the objects too); the
    demo's history happened earlier. `_write` writes the planned times as they are."""
    for name, values in times.items():
        for obj, value in zip(objects, values, strict=True):
            setattr(obj, name, value)
    _write(objects, list(times))


def _insert(model, names: list[str], rows: list[tuple]) -> None:
    """Insert many rows of `model` at once: `names` are its fields, each row their values in
    order (a foreign key as its id). Values go through each field's own conversion."""
    fields = [model._meta.get_field(name) for name in names]
    quote = connection.ops.quote_name
    columns = ", ".join(quote(f.column) for f in fields)
    marks = ", ".join(["%s"] * len(fields))
    sql = f"INSERT INTO {quote(model._meta.db_table)} ({columns}) VALUES ({marks})"  # noqa: S608
    # Only fields whose database form differs from the Python value are converted per row.
    convert = [
        i
        for i, f in enumerate(fields)
        if f.get_internal_type() in {"DateTimeField", "DecimalField", "JSONField", "DateField"}
    ]
    # The demo's values repeat (days, minutes, temperatures): each is converted once.
    cache: dict = {}

    def prepared(i, value):
        key = (i, tuple(value) if isinstance(value, list) else value)
        if key not in cache:
            cache[key] = fields[i].get_db_prep_save(value, connection)
        return cache[key]

    with connection.cursor() as cursor:
        for start in range(0, len(rows), BATCH * 5):
            batch = []
            for row in rows[start : start + BATCH * 5]:
                row = list(row)
                for i in convert:
                    row[i] = prepared(i, row[i])
                batch.append(row)
            cursor.executemany(sql, batch)


def _write(objects: list, names: list[str]) -> None:
    """Write fields of rows already saved: one UPDATE by primary key, executed for every row.
    bulk_update builds a CASE expression per field that takes seconds for the thousands of
    orders of a round; this takes milliseconds, on SQLite and PostgreSQL alike. Values go
    through each field's own conversion; only the table and column names are spliced in."""
    if not objects:
        return
    meta = objects[0]._meta
    fields = [meta.get_field(name) for name in names]
    quote = connection.ops.quote_name
    columns = ", ".join(f"{quote(f.column)} = %s" for f in fields)
    sql = f"UPDATE {quote(meta.db_table)} SET {columns} WHERE {quote(meta.pk.column)} = %s"  # noqa: S608
    params = [
        [f.get_db_prep_save(getattr(obj, f.attname), connection) for f in fields] + [obj.pk]
        for obj in objects
    ]
    with connection.cursor() as cursor:
        cursor.executemany(sql, params)


def _load_roster(rows: _Rows, work: roster.WorkPlan, hashed: str) -> list[Worker]:
    """The one roster (proposal S2): a login for everyone not already a demo login, a Worker
    row each, and the role of their force once they are approved (volunteers are screened
    first, as linli.workforce.services does it)."""
    new = [w for w in work.workers if not w.existing]
    created = User.objects.bulk_create(
        [
            User(username=w.username, display_name=w.name, phone=w.phone, password=hashed)
            for w in new
        ],
        batch_size=BATCH,
    )
    users = rows.users
    users.update({u.username: u for u in created})
    demo_logins = [users[w.username] for w in work.workers if w.existing]
    for w in work.workers:
        if w.existing:
            users[w.username].phone = w.phone
    User.objects.bulk_update(demo_logins, ["phone"])
    workers = Worker.objects.bulk_create(
        [
            Worker(
                user=users[w.username],
                community=rows.community,
                force=w.force,
                name=w.name or users[w.username].display_name,
                phone=w.phone,
                organisation=w.organisation,
                home_building=_at(rows.buildings, w.home_building),
                home_room=w.home_room,
                grid=rows.grids[w.grid] if w.grid else None,
                skills=w.skills,
                availability=w.availability,
                weekly_hour_cap=w.weekly_hour_cap,
                status=w.status,
                resident=_at(rows.residents, w.resident),
                identity_checked_at=w.identity_checked_at,
                test_date=w.test_date,
                training_acknowledged_at=w.training_acknowledged_at,
                decided_by=users[w.decided_by] if w.decided_by else None,
                decided_at=w.decided_at,
                rejection_reason=w.rejection_reason,
            )
            for w in work.workers
        ],
        batch_size=BATCH,
    )
    _backdate(workers, created_at=[w.joined for w in work.workers])
    for w, worker in zip(work.workers, workers, strict=True):
        if w.role is None or w.status != "approved":
            continue
        if w.force == "grid_worker":
            grant_role(user=worker.user, role=w.role, grid=worker.grid)
        elif w.force == "building_leader":
            grant_role(user=worker.user, role=w.role, building=worker.home_building)
        else:
            grant_role(user=worker.user, role=w.role, community=rows.community)
    return workers


def _load_tasks(rows: _Rows, work: roster.WorkPlan, workers: list[Worker]) -> list[Task]:
    """The task pool with its history: requests, state changes, ratings and, for each done
    task, the hours it logged, exactly as the task pool's services would have left them."""
    users = rows.users

    def user(username):
        return users[username] if username else None

    tasks = []
    for t in work.tasks:
        # The task pool's own naming of targets, so de-duplication finds the demo's tasks.
        target = task_target(
            resident=_at(rows.residents, t.resident),
            household=_at(rows.flats, t.household),
            building=_at(rows.buildings, t.building),
            place=_at(rows.places, t.place),
        )
        tasks.append(
            Task(
                **target,
                kind=t.kind,
                title=t.title,
                description=t.description,
                priority=t.priority,
                due_at=t.due,
                source=t.source,
                required_skill=KIND_SKILL.get(t.kind, ""),
                estimated_minutes=KIND_MINUTES[t.kind],
                status=t.status,
                assignee=_at(workers, t.assignee),
                created_by=user(t.created_by),
                started_at=t.started,
                done_at=t.done,
                escalated_at=t.escalated,
                result_note=t.result_note,
                failure_reason=t.failure_reason,
                rating=t.rating,
                rating_comment=t.rating_comment,
                confirmed_by=user(t.confirmed_by),
                confirmed_at=t.confirmed,
            )
        )
    Task.objects.bulk_create(tasks, batch_size=BATCH)
    _backdate(
        tasks,
        created_at=[t.created for t in work.tasks],
        updated_at=[t.updated for t in work.tasks],
    )

    requests = [
        TaskRequest(
            task=task, source=r.source, requested_by=user(r.requested_by), note=r.note[:500]
        )
        for t, task in zip(work.tasks, tasks, strict=True)
        for r in t.requests
    ]
    TaskRequest.objects.bulk_create(requests, batch_size=BATCH)
    _backdate(requests, created_at=[r.at for t in work.tasks for r in t.requests])

    events, times = [], []
    for t, task in zip(work.tasks, tasks, strict=True):
        for e in t.events:
            note = e.note.format(tasks[e.ref].pk) if e.ref is not None else e.note
            events.append(
                TaskEvent(
                    task=task,
                    action=e.action,
                    from_status=e.from_status,
                    to_status=e.to_status,
                    actor=user(e.actor),
                    worker=_at(workers, e.worker),
                    note=note[:500],
                )
            )
            times.append(e.at)
    TaskEvent.objects.bulk_create(events, batch_size=BATCH)
    _backdate(events, created_at=times)

    hours = [
        HoursEntry(
            worker=workers[t.assignee],
            day=timezone.localdate(t.done),
            minutes=t.minutes,
            task=task,
        )
        for t, task in zip(work.tasks, tasks, strict=True)
        if t.status == "done"
    ]
    HoursEntry.objects.bulk_create(hours, batch_size=BATCH)
    return tasks


def _load_care(rows: _Rows, work: roster.WorkPlan, workers: list[Worker]) -> None:
    """Worker care (S13): duty hours logged by hand, and the protective equipment ledger."""
    staff1 = rows.users["staff1"]
    HoursEntry.objects.bulk_create(
        [
            HoursEntry(
                worker=workers[s.worker],
                day=s.day,
                minutes=s.minutes,
                note=s.note,
                recorded_by=staff1,
            )
            for s in work.shifts
        ],
        batch_size=BATCH,
    )
    items = {
        i.kind: i
        for i in PpeItem.objects.bulk_create(
            [
                PpeItem(
                    community=rows.community,
                    kind=p.kind,
                    unit=p.unit,
                    stock=p.stock,
                    low_threshold=p.low_threshold,
                )
                for p in work.ppe_items
            ]
        )
    }
    movements = PpeMovement.objects.bulk_create(
        [
            PpeMovement(
                item=items[m.kind],
                worker=_at(workers, m.worker),
                quantity=m.quantity,
                by=rows.users[m.by],
                note=m.note,
            )
            for m in work.ppe_movements
        ]
    )
    _backdate(movements, created_at=[m.at for m in work.ppe_movements])


def _load_shop(
    rows: _Rows, plan: engine.Plan, shop: groupbuy.ShopPlan, workers: list[Worker], *, now
) -> dict:
    """Food and supplies (issue 4), through the apps' own services where they do the work:
    the pickup-point plan is solved by the placement engine (exact p-median on HiGHS) and saved
    by linli.supplies.pickup; the open round is created and opened by linli.supplies.services,
    which checks the supplier's staff tests (S4); the earlier round is closed with the slot
    allocation and the door-delivery rule of round_close; its door deliveries are routed by
    linli.delivery (PyVRP), each route a task in the pool. Orders are loaded in bulk."""
    staff1 = rows.users["staff1"]
    community = rows.community
    suppliers = Supplier.objects.bulk_create(
        [
            Supplier(
                community=community, name=s.name, kind=s.kind, contact=s.contact, phone=s.phone
            )
            for s in shop.suppliers
        ]
    )
    SupplierStaff.objects.bulk_create(
        [
            SupplierStaff(
                supplier=supplier,
                name=person.name,
                phone=person.phone,
                tested_at=person.tested_at,
                test_result=person.result,
            )
            for supplier, spec in zip(suppliers, shop.suppliers, strict=True)
            for person in spec.staff
        ]
    )
    packages = Package.objects.bulk_create(
        [
            Package(
                supplier=suppliers[p.supplier],
                kind=p.kind,
                name=p.name,
                contents=p.contents,
                price_fen=p.price_fen,
                subsidised_price_fen=p.subsidised_price_fen,
            )
            for p in shop.packages
        ]
    )

    # The pickup points, planned the way "Plan pickup points" plans them, before either round.
    data = pickup.plan_input(community, k=shop.k)
    result = placement_engine.solve(data.instance, time_limit=pickup.PLAN_TIME_LIMIT)
    pickup_plan = pickup.pickup_plan_save(actor=staff1, data=data, result=result)
    earlier, current = shop.round("closed"), shop.round("open")
    _backdate([pickup_plan], created_at=[earlier.opens - timedelta(hours=2)])

    # Staff decisions on door delivery, and preferred times, before the earlier round closed.
    for o in shop.overrides:
        delivery.override_set(
            actor=staff1, household=rows.flats[o.household], include=o.include, reason=o.reason
        )
    for p in shop.preferences:
        delivery.preference_set(
            actor=staff1,
            household=rows.flats[p.household],
            earliest=p.earliest,
            latest=p.latest,
            note=p.note,
        )

    # The open round goes through the round services: the supplier must be screened (S4).
    open_round = supplies.round_create(
        actor=staff1,
        supplier=suppliers[current.supplier],
        title=current.title,
        buildings=rows.buildings,
        opens_at=current.opens,
        closes_at=current.closes,
        pickup_starts_at=current.pickup_starts,
        slot_minutes=current.slot_minutes,
        slot_capacity=current.slot_capacity,
        household_limit=current.household_limit,
        items=[
            supplies.ItemSpec(
                package=packages[i.package], stock=i.initial, per_household=i.per_household
            )
            for i in current.items
        ],
    )
    supplies.round_open(actor=staff1, round_=open_round)
    open_items = list(open_round.items.order_by("pk"))
    # The earlier round took its orders before now, which round_create refuses to set up.
    closed_round = Round.objects.create(
        community=community,
        supplier=suppliers[earlier.supplier],
        title=earlier.title,
        opens_at=earlier.opens,
        closes_at=earlier.closes,
        pickup_starts_at=earlier.pickup_starts,
        slot_minutes=earlier.slot_minutes,
        slot_capacity=earlier.slot_capacity,
        household_limit=earlier.household_limit,
        status=RoundStatus.OPEN,
        created_by=staff1,
    )
    closed_round.buildings.set(rows.buildings)
    closed_items = RoundItem.objects.bulk_create(
        [
            RoundItem(
                round=closed_round,
                package=packages[i.package],
                price_fen=shop.packages[i.package].resident_price_fen,
                stock=i.initial,
                per_household=i.per_household,
            )
            for i in earlier.items
        ]
    )
    Round.objects.filter(pk__in=[open_round.pk, closed_round.pk]).update(pickup_plan=pickup_plan)
    open_round.pickup_plan = closed_round.pickup_plan = pickup_plan
    _backdate(
        [closed_round, open_round],
        created_at=[earlier.opens - timedelta(hours=1), current.opens - timedelta(minutes=20)],
    )
    closed_orders = _load_orders(rows, closed_round, closed_items, earlier)
    open_orders = _load_orders(rows, open_round, open_items, current)

    closed = _close_round(
        rows, plan, closed_round, earlier, closed_orders, pickup_plan, workers, now=now
    )
    routes = _plan_routes(closed_round, closed["door"])
    return {
        "suppliers": len(suppliers),
        "packages": len(packages),
        "pickup_points": pickup_plan.k,
        "pickup_plan": {
            "method": pickup_plan.method,
            "gap": pickup_plan.gap,
            "seconds": round(pickup_plan.seconds, 2),
            "mean_walk_m": round(pickup_plan.cost / max(1, len(rows.flats)), 1),
        },
        "open_round_orders": sum(1 for o in open_orders if o.status == OrderStatus.PLACED),
        "closed_round_orders": closed["orders"],
        "collected": closed["collected"],
        "door_deliveries": closed["door"],
        "routes": routes["routes"],
        "route_stops": routes["stops"],
        "unplanned": routes["unplanned"],
        "route_seconds": routes["seconds"],
    }


def _load_orders(rows: _Rows, round_: Round, items: list, spec: groupbuy.RoundPlan) -> list:
    """A round's orders and lines in bulk, as order_place would have left them: a pickup code
    each (unique in the round), the price paid per line, and the stock left in each package
    (offered less what the live orders hold)."""
    users = rows.users
    orders = [
        Order(
            round=round_,
            household=rows.flats[o.household],
            status=OrderStatus.CANCELLED if o.cancelled else OrderStatus.PLACED,
            placed_by=users.get(o.placed_by) if o.placed_by else None,
            payment=o.payment,
            pickup_code=o.code,
            total_fen=sum(items[i].price_fen * q for i, q in o.lines.items()),
        )
        for o in spec.orders
    ]
    Order.objects.bulk_create(orders, batch_size=BATCH)
    OrderLine.objects.bulk_create(
        [
            OrderLine(order=order, item=items[i], quantity=q, price_fen=items[i].price_fen)
            for order, o in zip(orders, spec.orders, strict=True)
            for i, q in o.lines.items()
        ],
        batch_size=BATCH,
    )
    _backdate(
        orders,
        created_at=[o.created for o in spec.orders],
        updated_at=[o.cancelled or o.created for o in spec.orders],
    )
    for item, item_spec in zip(items, spec.items, strict=True):
        item.stock = item_spec.stock
    RoundItem.objects.bulk_update(items, ["stock"])
    return orders


def _close_round(
    rows: _Rows,
    plan: engine.Plan,
    round_: Round,
    spec: groupbuy.RoundPlan,
    orders: list[Order],
    pickup_plan: PickupPlan,
    workers: list[Worker],
    *,
    now,
) -> dict:
    """Close the earlier round as pickup.round_close does - door delivery by the registry's
    rule and staff overrides (S4), each other order its building's point and a slot staggered
    by building (allocate_slots) - and as if it closed last night: every household was told by
    text (and resident1 in the app), and the households whose slot has passed collected."""
    staff1 = rows.users["staff1"]
    points = {a.building_id: a.point for a in pickup_plan.assignments.select_related("point")}
    live = [o for o in orders if o.status == OrderStatus.PLACED]
    shows = {
        order.pk: (o.shows_up, o.arrives)
        for order, o in zip(orders, spec.orders, strict=True)
        if order.status == OrderStatus.PLACED
    }
    at_door = door_delivery_households(rows.community, today=plan.today)
    for order in live:
        order.door_delivery = order.household_id in at_door
    given = pickup.allocate_slots(round_, live, points)
    # The volunteers on the roster take turns at the points (any screened worker may, S11).
    volunteers = [
        w.user for w in workers if w.force == Force.VOLUNTEER and w.status == WorkerStatus.APPROVED
    ]
    point_ids = sorted({p.pk for p in points.values()})
    at_point = {pk: volunteers[k % len(volunteers)] for k, pk in enumerate(point_ids)}
    collected = 0
    for order in live:
        order.pickup_point, order.slot_start = given[order.pk]
        shows_up, arrives = shows[order.pk]
        if order.door_delivery or order.slot_start is None or not shows_up:
            continue
        arrived = order.slot_start + timedelta(minutes=arrives)
        if arrived <= now:
            order.status = OrderStatus.COLLECTED
            order.collected_at = order.updated_at = arrived
            order.collected_by = at_point[order.pickup_point.pk]
            collected += 1
    _write(
        live,
        [
            "pickup_point",
            "slot_start",
            "door_delivery",
            "status",
            "collected_at",
            "collected_by",
            "updated_at",
        ],
    )
    Round.objects.filter(pk=round_.pk).update(status=RoundStatus.CLOSED, closed_at=spec.closed)
    round_.status, round_.closed_at = RoundStatus.CLOSED, spec.closed
    door = sum(1 for o in live if o.door_delivery)
    audit_record(
        actor=staff1,
        action="round.close",
        target=round_,
        community_id=round_.community_id,
        detail={
            "plan_id": pickup_plan.pk,
            "orders": len(live),
            "slots": len({(o.pickup_point_id, o.slot_start) for o in live if o.slot_start}),
            "door_delivery": door,
        },
    )
    _tell_households(rows, plan, live, sent=spec.closed + timedelta(minutes=1))
    return {"orders": len(live), "door": door, "collected": collected}


def _household_phones(plan: engine.Plan) -> dict[int, str]:
    """The phone a household is texted on, as linli.notices.services.household_phone picks it:
    the householder's, else the first one recorded."""
    phones: dict[int, str] = {}
    for person in plan.people:
        if person.phone and (person.relation == "householder" or person.household not in phones):
            phones[person.household] = person.phone
    return phones


def _tell_households(rows: _Rows, plan: engine.Plan, orders: list, *, sent: datetime) -> None:
    """The notices round_close sends (its point, slot and code, or door delivery), as sent
    last night: a text to every household with a phone, in the app to resident1."""
    flat_index = {flat.pk: i for i, flat in enumerate(rows.flats)}
    phones = _household_phones(plan)
    resident1 = rows.users["resident1"]
    notices = []
    for order in orders:
        title, body = pickup.round_closed_message(order)
        phone = phones.get(flat_index[order.household_id], "")
        if phone:
            notices.append(
                Notification(
                    channel=Channel.SMS,
                    household=order.household,
                    phone=phone,
                    title=title[:100],
                    body=body,
                    status=NoticeStatus.SENT,
                    sent_at=sent,
                )
            )
        if order.household_id == resident1.resident.household_id:
            notices.append(
                Notification(
                    channel=Channel.IN_APP,
                    user=resident1,
                    household=order.household,
                    title=title[:100],
                    body=body,
                    status=NoticeStatus.SENT,
                    sent_at=sent,
                )
            )
    Notification.objects.bulk_create(notices, batch_size=BATCH)
    _backdate(notices, created_at=[sent] * len(notices))


def _plan_routes(round_: Round, door: int) -> dict:
    """Plan door-delivery routes as staff would from the page, with a short time limit, and
    solve at once rather than in the background: every route becomes a task in the pool,
    assigned to its volunteer."""
    if not door:
        return {"routes": 0, "stops": 0, "unplanned": 0, "seconds": 0.0}
    request = delivery.route_plan_request(
        actor=round_.created_by, round_=round_, seconds=groupbuy.route_seconds(door)
    )
    solved = delivery.route_plan_solve(plan_id=request.pk)
    return {
        "routes": solved.routes.count(),
        "stops": RouteStop.objects.filter(plan=solved).count(),
        "unplanned": len(solved.unplanned or []),
        "seconds": round(solved.solve_seconds or 0, 2),
    }


@transaction.atomic
def demo_reset() -> bool:
    """Delete the demo community with everything in it, and the demo logins. True if there
    was anything to delete."""
    community = Community.objects.filter(code=COMMUNITY_CODE).first()
    if community is None:
        deleted_users, _detail = User.objects.filter(username__in=DEMO_USERNAMES).delete()
        return bool(deleted_users)
    # Supplies first: routes hold on to workers, orders to households, rounds to suppliers.
    RoutePlan.objects.filter(community=community).delete()  # with their routes and stops
    Notification.objects.filter(household__building__community=community).delete()
    OrderLine.objects.filter(order__round__community=community).delete()
    Order.objects.filter(round__community=community).delete()
    Round.objects.filter(community=community).delete()  # with their packages on offer
    Supplier.objects.filter(community=community).delete()  # with staff and catalogue
    PickupPlan.objects.filter(community=community).delete()
    PickupPoint.objects.filter(community=community).delete()
    DoorDeliveryOverride.objects.filter(community=community).delete()
    DeliveryPreference.objects.filter(household__building__community=community).delete()
    Job.objects.filter(community_id=community.pk).delete()
    GroupSession.objects.filter(community=community).delete()  # with attendance
    CareCase.objects.filter(resident__household__building__community=community).delete()
    # Health and tracing: bulk deletes, before the registry's cascade would go row by row.
    in_community = Q(resident__household__building__community=community)
    for model in (HealthReport, HealthStatusChange, HealthRecord, LabResult, CheckIn):
        model.objects.filter(in_community).delete()
    Quarantine.objects.filter(in_community).delete()
    DirectContact.objects.filter(in_community).delete()
    TracingRun.objects.filter(community=community).delete()
    CrossCheck.objects.filter(community=community).delete()
    # The work next: tasks hold on to residents, buildings and workers.
    roster_users = list(Worker.objects.filter(community=community).values_list("user", flat=True))
    HoursEntry.objects.filter(worker__community=community).delete()
    PpeItem.objects.filter(community=community).delete()
    Task.objects.filter(community=community).delete()
    DispatchProposal.objects.filter(community=community).delete()
    Worker.objects.filter(community=community).delete()
    # The registry first: deleting the verifiers first would null 14,000 references one by one.
    Resident.objects.filter(household__building__community=community).delete()
    Household.objects.filter(building__community=community).delete()
    Building.objects.filter(community=community).delete()  # entrances go with them
    PublicPlace.objects.filter(community=community).delete()
    Grid.objects.filter(community=community).delete()
    community_id = community.pk
    community.delete()
    # The demo logins and everyone on the demo's roster (volunteers who signed up included).
    User.objects.filter(Q(username__in=DEMO_USERNAMES) | Q(pk__in=roster_users)).delete()
    audit_record(
        actor=None,
        action="demo.reset",
        community_id=community_id,
        detail={"code": COMMUNITY_CODE},
    )
    return True
