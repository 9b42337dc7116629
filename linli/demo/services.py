"""Writes for the demo community: load it (in one transaction) and remove it again.

The plan comes from `linli.demo.engine` (the community and its registry) and `linli.demo.roster`
(the workforce, the task pool and protective equipment); this module only turns them into rows,
in bulk, through the registry's own `resident_apply_fields` so the demo's residents carry the
same derived keys (pinyin, encrypted, hashed and masked ID number) as imported ones.
"""

import os
from collections import Counter
from dataclasses import dataclass
from datetime import date

from django.contrib.auth.hashers import make_password
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from linli.accounts.choices import Role
from linli.accounts.models import User
from linli.accounts.services import grant_role
from linli.core.errors import ApplicationError, Conflict
from linli.core.services import audit_record
from linli.demo import engine, roster
from linli.places.models import Building, Community, Entrance, Grid, Household, PublicPlace
from linli.residents.models import Resident, ResidentTag, Verification
from linli.residents.services import resident_apply_fields
from linli.taskpool.choices import KIND_MINUTES, KIND_SKILL
from linli.taskpool.models import DispatchProposal, Task, TaskEvent, TaskRequest
from linli.taskpool.services import task_target
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
    login sharing the demo password), the task pool with its history, and worker care (duty
    hours, protective equipment). All or nothing: any failure rolls the whole load back.
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
    # The task pool's times are around the real now (overdue is measured against it), in the
    # community's time zone; ages are counted to `today`.
    work = roster.generate_work(plan, seed=seed, now=timezone.localtime())
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
    leader_building = _place_leader_and_resident(users, buildings, plan, residents)
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
    tasks = _load_tasks(rows, work, workers)
    _load_care(rows, work, workers)

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
        "tasks": len(tasks),
        "states": _count(t.status for t in work.tasks),
    }
    audit_record(
        actor=None, action="demo.seed", target=community, community_id=community.pk, detail=summary
    )
    return summary


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


def _place_leader_and_resident(users, buildings, plan, residents) -> Building:
    """leader1 leads the first building of grid 1; resident1 is an older householder there
    (an old couple's flat if there is one, so their household page has two people)."""
    index = next(i for i, b in enumerate(plan.buildings) if b.grid == 1)
    building = buildings[index]
    grant_role(user=users["leader1"], role=Role.BUILDING_LEADER, building=building)
    size: dict[int, int] = {}
    for person in plan.people:
        size[person.household] = size.get(person.household, 0) + 1

    def rank(pair):
        person, _resident = pair
        return (size[person.household] != 2, person.age(plan.today) < 60, person.household)

    # Every household has an adult householder; prefer leader1's building, then grid 1.
    candidates = [
        (person, resident)
        for person, resident in zip(plan.people, residents, strict=True)
        if person.relation == "householder"
        and plan.buildings[plan.households[person.household].building].grid == 1
    ]
    _person, resident = min(
        candidates,
        key=lambda pair: (plan.households[pair[0].household].building != index, rank(pair)),
    )
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
    demo's history happened earlier. bulk_update writes the planned times as they are."""
    for name, values in times.items():
        for obj, value in zip(objects, values, strict=True):
            setattr(obj, name, value)
    if objects:
        objects[0].__class__.objects.bulk_update(objects, list(times), batch_size=500)


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


@transaction.atomic
def demo_reset() -> bool:
    """Delete the demo community with everything in it, and the demo logins. True if there
    was anything to delete."""
    community = Community.objects.filter(code=COMMUNITY_CODE).first()
    if community is None:
        deleted_users, _detail = User.objects.filter(username__in=DEMO_USERNAMES).delete()
        return bool(deleted_users)
    # The work first: tasks hold on to residents, buildings and workers.
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
