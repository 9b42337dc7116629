"""Roles and areas: who holds what, over which part of the community. Deny by default."""

from linli.accounts.access import Scope, scope_q, user_communities, user_roles, user_scope
from linli.accounts.choices import Role
from linli.accounts.services import grant_role
from linli.places.models import Building, Community, Grid
from linli.residents.models import Resident

REGISTRY = {Role.STAFF, Role.GRID_WORKER, Role.BUILDING_LEADER, Role.SUPERVISOR, Role.RESIDENT}
PATHS = dict(
    community="household__building__community",
    grid="household__building__grid",
    building="household__building",
    household="household",
)


def names(user, roles=REGISTRY) -> set[str]:
    q = scope_q(user_scope(user, roles), **PATHS)
    return set(Resident.objects.filter(q).values_list("name", flat=True))


def test_roles_come_from_grants_superuser_and_resident_link(world):
    assert user_roles(world.user("grid_a")) == {Role.GRID_WORKER}
    assert user_roles(world.user("admin")) == {Role.ADMIN}
    assert user_roles(world.user("resident")) == {Role.RESIDENT}
    assert user_roles(world.user("outsider")) == set()


def test_a_user_may_hold_several_roles(world):
    user = world.user("grid_a")
    grant_role(user=user, role=Role.VOLUNTEER, community=world.community)
    user._linli_grants = None
    assert user_roles(user) == {Role.GRID_WORKER, Role.VOLUNTEER}


def test_an_inactive_user_has_no_roles_and_no_area(world):
    user = world.user("staff")
    user.is_active = False
    assert user_roles(user) == set()
    assert user_scope(user, {Role.STAFF}).empty


def test_scopes_by_grant(world):
    assert user_scope(world.user("staff"), {Role.STAFF}) == Scope(
        communities=frozenset({world.community.pk})
    )
    assert user_scope(world.user("grid_a"), {Role.GRID_WORKER}).grids == {world.grid_a.pk}
    assert user_scope(world.user("leader_a1"), {Role.BUILDING_LEADER}).buildings == {
        world.building_a1.pk
    }
    assert user_scope(world.user("supervisor"), {Role.SUPERVISOR}).everywhere
    assert user_scope(world.user("admin"), {Role.ADMIN}).everywhere
    resident = user_scope(world.user("resident"), {Role.RESIDENT})
    assert resident.household_only
    assert resident.households == {world.residents["zhang"].household_id}


def test_a_role_not_asked_for_grants_nothing(world):
    assert user_scope(world.user("grid_a"), {Role.STAFF}).empty
    assert user_scope(world.user("volunteer"), REGISTRY).empty
    assert names(world.user("volunteer")) == set()
    assert names(world.user("outsider")) == set()


def test_scope_q_filters_residents_to_the_area(world):
    assert names(world.user("staff")) == {"张伟", "李芳", "王秀英", "陈明", "单小红"}
    assert names(world.user("grid_a")) == {"张伟", "李芳", "王秀英"}
    assert names(world.user("grid_b")) == {"陈明", "单小红"}
    assert names(world.user("leader_a1")) == {"张伟", "李芳"}
    assert names(world.user("resident")) == {"张伟", "李芳"}


def test_a_level_the_model_cannot_reach_grants_nothing(world):
    # Buildings have no household path: a resident's scope reaches no building.
    q = scope_q(user_scope(world.user("resident"), REGISTRY), community="community", grid="grid")
    assert not Building.objects.filter(q).exists()


def test_staff_of_another_community_sees_nothing_here(world):
    other = Community.objects.create(name="别的社区", code="other")
    Grid.objects.create(community=other, number=1, name="别的网格")
    user = world.user("outsider")
    grant_role(user=user, role=Role.STAFF, community=other)
    assert names(user) == set()
    assert list(user_communities(user, {Role.STAFF})) == [other]


def test_user_communities(world):
    assert list(user_communities(world.user("grid_a"), {Role.GRID_WORKER})) == [world.community]
    assert list(user_communities(world.user("resident"), {Role.RESIDENT})) == [world.community]
    assert not user_communities(world.user("outsider"), REGISTRY).exists()


def test_grants_are_read_once_per_request(world, django_assert_num_queries):
    user = type(world.user("staff")).objects.get(username="staff")
    with django_assert_num_queries(1):
        for _ in range(5):
            user_scope(user, {Role.STAFF})
            user_roles(user)


def test_grant_role_takes_the_community_from_grid_or_building(world):
    grant = grant_role(user=world.user("outsider"), role=Role.GRID_WORKER, grid=world.grid_b)
    assert grant.community == world.community
    again = grant_role(user=world.user("outsider"), role=Role.GRID_WORKER, grid=world.grid_b)
    assert again.pk == grant.pk
