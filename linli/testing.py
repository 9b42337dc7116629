"""Test helpers shared by every app's tests: a small community and its personas.

Lives in the package (not a conftest) so factories and benchmarks can use it too.
"""

from dataclasses import dataclass
from datetime import date

from linli.accounts.choices import Role
from linli.accounts.models import User
from linli.accounts.services import grant_role
from linli.places.models import Building, Community, Grid
from linli.places.services import household_get_or_create
from linli.residents.idnumber import make_id_number
from linli.residents.services import resident_create

PASSWORD = "test-pass-1234"  # noqa: S105 (test personas only)


@dataclass
class World:
    community: Community
    grid_a: Grid
    grid_b: Grid
    building_a1: Building
    building_a2: Building
    building_b1: Building
    residents: dict
    users: dict

    def user(self, name) -> User:
        return self.users[name]


def make_user(username: str, *, superuser=False, **extra) -> User:
    user = User(username=username, is_superuser=superuser, is_staff=superuser, **extra)
    user.set_password(PASSWORD)
    user.save()
    return user


def build_world() -> World:
    """Two grids, three buildings, five residents and one user per persona:
    staff, grid_a, grid_b, cadre, leader_a1 (building leader of A1), volunteer, property,
    resident (lives in A1), supervisor, doctor (the community's), admin, outsider (no role)."""
    community = Community.objects.create(name="测试社区", code="test", width=400, height=300)
    grid_a = Grid.objects.create(community=community, number=1, name="第一网格")
    grid_b = Grid.objects.create(community=community, number=2, name="第二网格")
    a1 = Building.objects.create(community=community, grid=grid_a, number="1", x=50, y=50)
    a2 = Building.objects.create(community=community, grid=grid_a, number="2", x=150, y=50)
    b1 = Building.objects.create(community=community, grid=grid_b, number="3", x=300, y=200)

    def person(building, entrance, room, name, birth, seq, **values):
        household = household_get_or_create(building=building, entrance=entrance, room=room)
        return resident_create(
            actor=None,
            household=household,
            values={
                "name": name,
                "id_number": make_id_number("420106", birth, seq),
                "phone": f"1380000{seq:04d}",
                **values,
            },
        )

    residents = {
        "zhang": person(a1, 1, "301", "张伟", date(1950, 3, 8), 11, relation="householder"),
        "zhang_wife": person(a1, 1, "301", "李芳", date(1952, 6, 1), 12, relation="spouse"),
        "wang": person(a2, 1, "102", "王秀英", date(1938, 1, 20), 22, tags=["without_family"]),
        "chen": person(b1, 2, "501", "陈明", date(1985, 11, 2), 31, relation="householder"),
        "single": person(b1, 1, "201", "单小红", date(2024, 5, 5), 42),
    }
    users = {
        "admin": make_user("admin", superuser=True),
        "outsider": make_user("outsider"),
    }
    grants = {
        "staff": dict(role=Role.STAFF, community=community),
        "grid_a": dict(role=Role.GRID_WORKER, grid=grid_a),
        "grid_b": dict(role=Role.GRID_WORKER, grid=grid_b),
        "cadre": dict(role=Role.CADRE, community=community),
        "leader_a1": dict(role=Role.BUILDING_LEADER, building=a1),
        "volunteer": dict(role=Role.VOLUNTEER, community=community),
        "property": dict(role=Role.PROPERTY, community=community),
        "supervisor": dict(role=Role.SUPERVISOR),
        "doctor": dict(role=Role.DOCTOR, community=community),
    }
    for name, grant in grants.items():
        users[name] = make_user(name)
        grant_role(user=users[name], **grant)
    users["resident"] = make_user("resident", resident=residents["zhang"])
    return World(community, grid_a, grid_b, a1, a2, b1, residents, users)
