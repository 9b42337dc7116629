"""`manage.py seed_demo` and `demo_logins` on a small community (300 households), loaded once
for the module (the command's refusals and options on an empty database are in
test_seed_command.py)."""

from datetime import date
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import transaction
from django.test import override_settings
from django.utils import translation

from linli.accounts.choices import Role
from linli.accounts.models import RoleGrant, User
from linli.core import crypto
from linli.core.models import AuditEvent
from linli.demo import services
from linli.places.models import Building, Community, Household, PublicPlace
from linli.residents.choices import Tag
from linli.residents.idnumber import parse_id_number
from linli.residents.models import Resident, ResidentTag, Verification
from linli.residents.selectors import tag_q

AS_OF = date(2026, 3, 1)
SMALL = 300


@pytest.fixture(autouse=True)
def _english():
    # The assertions read the commands' English messages, whatever Chinese is added later.
    with translation.override("en"):
        yield


def seed(**options) -> str:
    out = StringIO()
    call_command("seed_demo", households=SMALL, as_of=AS_OF, stdout=out, **options)
    return out.getvalue()


def registry_fingerprint():
    return list(Resident.objects.order_by("id").values_list("name", "id_number_hash", "phone"))


@pytest.fixture(scope="module")
def seeded(django_db_setup, django_db_blocker):
    """Load the demo once for the module, in a transaction rolled back at its end; each test
    runs in a savepoint inside it (pytest-django's `db`), so none sees another's changes."""
    fast = override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"])
    with django_db_blocker.unblock(), transaction.atomic():
        with translation.override("en"), fast:
            seed()
        yield
        transaction.set_rollback(True)


@pytest.fixture
def demo(seeded, db):
    return Community.objects.get(code="xinmin-road")


def test_it_loads_the_community_at_the_asked_scale(demo):
    assert demo.name == "新民主路社区"
    assert (demo.street, demo.district, demo.city) == ("中华路街道", "武昌区", "武汉市")
    assert Household.objects.filter(building__community=demo).count() == SMALL
    assert Resident.objects.count() == round(SMALL * 14411 / 6514)
    assert demo.grids.count() == 5
    assert Building.objects.filter(community=demo).values("grid").distinct().count() == 5
    assert PublicPlace.objects.filter(community=demo, kind="gate").count() == 3
    assert demo.width > 0 and demo.height > 0


def test_id_numbers_are_stored_encrypted_hashed_and_masked(demo):
    for resident in Resident.objects.all()[:50]:
        number = crypto.decrypt(resident.id_number_encrypted)
        info = parse_id_number(number, today=AS_OF)
        assert (info.birth_date, info.sex) == (resident.birth_date, resident.sex)
        assert resident.id_number_hash == crypto.keyed_hash(number)
        assert resident.id_number_masked == number[:4] + "*" * 10 + number[-4:]
        assert resident.id_last4 == number[-4:]
        assert resident.name_pinyin and resident.name_initials
    hashes = list(Resident.objects.values_list("id_number_hash", flat=True))
    assert len(set(hashes)) == len(hashes)


def test_the_same_seed_gives_the_same_residents_after_a_reset(demo):
    before = registry_fingerprint()
    users = User.objects.count()
    out = seed(reset=True)
    assert "Deleted the previous demo" in out
    assert registry_fingerprint() == before
    assert Community.objects.count() == 1
    assert User.objects.count() == users > 13
    assert AuditEvent.objects.filter(action="demo.reset").count() == 1


def test_another_seed_gives_other_residents(demo):
    before = registry_fingerprint()
    seed(reset=True, seed=99)
    assert registry_fingerprint() != before


EXPECTED_GRANTS = {
    "admin": {(Role.ADMIN, "")},
    "staff1": {(Role.STAFF, "community")},
    "grid1": {(Role.GRID_WORKER, "grid 1")},
    "grid2": {(Role.GRID_WORKER, "grid 2")},
    "cadre1": {(Role.CADRE, "community")},
    "property1": {(Role.PROPERTY, "community")},
    "volunteer1": {(Role.VOLUNTEER, "community")},
    "leader1": {(Role.BUILDING_LEADER, "building in grid 1")},
    "resident1": set(),
    "counsellor1": {(Role.COUNSELLOR, "community")},
    "doctor1": {(Role.DOCTOR, "community")},
    "driver1": {(Role.DRIVER, "community")},
    "supervisor1": {(Role.SUPERVISOR, "")},
}


def describe(grant: RoleGrant) -> tuple[str, str]:
    if grant.building_id:
        return grant.role, f"building in grid {grant.building.grid.number}"
    if grant.grid_id:
        return grant.role, f"grid {grant.grid.number}"
    return grant.role, "community" if grant.community_id else ""


def test_the_thirteen_demo_logins_exist_with_their_grants(demo):
    users = {
        u.username: u
        for u in User.objects.filter(username__in=services.DEMO_USERNAMES).prefetch_related(
            "grants"
        )
    }
    assert set(users) == set(EXPECTED_GRANTS)
    for username, expected in EXPECTED_GRANTS.items():
        user = users[username]
        assert {describe(g) for g in user.grants.all()} == expected, username
        assert user.display_name, username
        assert user.check_password("linli-demo"), username
        assert user.is_superuser == (username == "admin")
    assert all(g.community_id in (None, demo.pk) for g in RoleGrant.objects.all())


def test_resident1_is_an_older_householder_in_leader1s_building(demo):
    leader_building = RoleGrant.objects.get(user__username="leader1").building
    resident = User.objects.get(username="resident1").resident
    assert resident.household.building == leader_building
    assert resident.relation == "householder"
    assert resident.age(AS_OF) >= 60
    assert User.objects.get(username="resident1").display_name == resident.name


def test_the_demo_users_see_only_their_areas(demo):
    def visible(username):
        return Resident.objects.restrict(User.objects.get(username=username))

    total = Resident.objects.count()
    grid1 = visible("grid1")
    assert 0 < grid1.count() < total
    assert set(grid1.values_list("household__building__grid__number", flat=True)) == {1}
    leader = visible("leader1")
    assert 0 < leader.count() < grid1.count()
    resident1 = User.objects.get(username="resident1").resident
    assert set(visible("resident1").values_list("household", flat=True)) == {resident1.household_id}
    assert visible("supervisor1").count() == total
    assert visible("staff1").count() == total
    assert visible("property1").count() == 0


def test_derived_and_recorded_special_groups_appear(demo):
    for tag in (Tag.AGED_60, Tag.LIVING_ALONE, Tag.INFANT):
        assert Resident.objects.filter(tag_q(tag, today=AS_OF)).exists(), tag
    recorded = set(ResidentTag.objects.values_list("tag", flat=True))
    assert {Tag.CHRONIC, Tag.DISABLED} <= recorded
    assert not recorded & {Tag.AGED_60, Tag.LIVING_ALONE, Tag.INFANT}
    disabled = Resident.objects.filter(tags__tag=Tag.DISABLED)
    assert not disabled.filter(disability_level__isnull=True).exists()


def test_verification_rows_match_the_residents_verified_at(demo):
    verified = Resident.objects.filter(verified_at__isnull=False)
    assert 0 < verified.count() < Resident.objects.count()
    assert Verification.objects.count() == verified.count()
    for resident in verified.select_related("verified_by")[:30]:
        row = resident.verifications.get()
        assert row.verified_at == resident.verified_at
        assert row.verified_by == resident.verified_by
        assert resident.verified_by.username in {"grid1", "grid2", "staff1", "cadre1"}


def test_it_records_one_audit_event(demo):
    event = AuditEvent.objects.get(action="demo.seed")
    assert event.community_id == demo.pk
    assert event.detail["residents"] == Resident.objects.count()


def test_if_empty_does_nothing_the_second_time(demo):
    before = registry_fingerprint()
    out = seed(if_empty=True)
    assert "already exists" in out
    assert registry_fingerprint() == before
    assert AuditEvent.objects.filter(action="demo.seed").count() == 1


def test_a_second_run_without_flags_is_refused(demo):
    with pytest.raises(CommandError, match="already exists"):
        seed()
    assert Community.objects.count() == 1


def test_demo_logins_prints_every_login_and_the_password(demo):
    out = StringIO()
    call_command("demo_logins", stdout=out)
    text = out.getvalue()
    assert "linli-demo" in text
    for username in services.DEMO_USERNAMES:
        assert f"  {username} " in text
    assert "第一网格" in text and "新民主路社区" in text
    assert "does not open" not in text


def test_demo_logins_warns_when_the_password_does_not_work(demo, monkeypatch):
    monkeypatch.setenv("LINLI_DEMO_PASSWORD", "not-the-one")
    out = StringIO()
    call_command("demo_logins", stdout=out)
    assert "does not open admin" in out.getvalue()
