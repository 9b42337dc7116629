"""Writes for the demo community: load it (in one transaction) and remove it again.

The plan comes from `linli.demo.engine`; this module only turns it into rows, in bulk, through
the registry's own `resident_apply_fields` so the demo's residents carry the same derived keys
(pinyin, encrypted, hashed and masked ID number) as imported ones.
"""

import os
from dataclasses import dataclass
from datetime import date

from django.contrib.auth.hashers import make_password
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from linli.accounts.choices import Role
from linli.accounts.models import User
from linli.accounts.services import grant_role
from linli.core.errors import ApplicationError, Conflict
from linli.core.services import audit_record
from linli.demo import engine
from linli.places.models import Building, Community, Entrance, Grid, Household, PublicPlace
from linli.residents.models import Resident, ResidentTag, Verification
from linli.residents.services import resident_apply_fields

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
    """Load Xinmin Road community and its 13 demo logins. All or nothing: any failure rolls
    the whole load back. Refuses if the community or any demo username already exists."""
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
    PublicPlace.objects.bulk_create(
        [
            PublicPlace(
                community=community, grid=grids[p.grid], kind=p.kind, name=p.name, x=p.x, y=p.y
            )
            for p in plan.places
        ]
    )

    users = _create_users(community, grids, password or demo_password())
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

    summary = {
        "seed": seed,
        "today": today.isoformat(),
        "grids": len(grids),
        "buildings": len(buildings),
        "households": len(flats),
        "residents": len(residents),
        "places": len(plan.places),
        "users": len(users),
        "leader_building": leader_building.number,
    }
    audit_record(
        actor=None, action="demo.seed", target=community, community_id=community.pk, detail=summary
    )
    return summary


def _create_users(community: Community, grids: dict, password: str) -> dict[str, User]:
    # One hash for all thirteen: they share the published demo password, and hashing it
    # thirteen times would cost seconds of a one-minute budget for no security at all.
    hashed = make_password(password)
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


@transaction.atomic
def demo_reset() -> bool:
    """Delete the demo community with everything in it, and the demo logins. True if there
    was anything to delete."""
    community = Community.objects.filter(code=COMMUNITY_CODE).first()
    if community is None:
        deleted_users, _detail = User.objects.filter(username__in=DEMO_USERNAMES).delete()
        return bool(deleted_users)
    # The registry first: deleting the verifiers first would null 14,000 references one by one.
    Resident.objects.filter(household__building__community=community).delete()
    Household.objects.filter(building__community=community).delete()
    Building.objects.filter(community=community).delete()  # entrances go with them
    PublicPlace.objects.filter(community=community).delete()
    Grid.objects.filter(community=community).delete()
    community_id = community.pk
    community.delete()
    User.objects.filter(username__in=DEMO_USERNAMES).delete()
    audit_record(
        actor=None,
        action="demo.reset",
        community_id=community_id,
        detail={"code": COMMUNITY_CODE},
    )
    return True
