"""Who may do what, where. Deny by default.

A user's area comes from their role grants: a grant with only a community covers the whole
community, one with a grid covers that grid, one with a building covers that building; a
supervisor's or admin's grant with no community covers every community. A resident covers
their own household. Each app states which roles may do each action, and scopes its querysets
with `scope_q` so that pages, the API and exports share one rule.
"""

from dataclasses import dataclass, field

from django.db.models import Q

from linli.accounts.choices import Role

STAFF_ROLES = frozenset(Role) - {Role.RESIDENT}


@dataclass(frozen=True)
class Scope:
    everywhere: bool = False
    communities: frozenset = field(default_factory=frozenset)
    grids: frozenset = field(default_factory=frozenset)
    buildings: frozenset = field(default_factory=frozenset)
    households: frozenset = field(default_factory=frozenset)

    @property
    def household_only(self) -> bool:
        return bool(self.households) and not (
            self.everywhere or self.communities or self.grids or self.buildings
        )

    @property
    def empty(self) -> bool:
        return not (
            self.everywhere or self.communities or self.grids or self.buildings or self.households
        )


def _grants(user) -> list:
    # Cached on the user object: one query per request, however many checks a page makes.
    cached = getattr(user, "_linli_grants", None)
    if cached is None:
        cached = list(user.grants.all()) if user.is_authenticated else []
        user._linli_grants = cached
    return cached


def user_roles(user) -> set[str]:
    if not user.is_authenticated or not user.is_active:
        return set()
    roles = {grant.role for grant in _grants(user)}
    if user.is_superuser:
        roles.add(Role.ADMIN)
    if user.resident_id:
        roles.add(Role.RESIDENT)
    return roles


def has_any_role(user, roles) -> bool:
    return bool(user_roles(user) & set(roles))


def user_scope(user, roles) -> Scope:
    """The area over which `user` holds any of `roles`."""
    roles = set(roles)
    if not user.is_authenticated or not user.is_active:
        return Scope()
    if user.is_superuser and Role.ADMIN in roles:
        return Scope(everywhere=True)
    communities, grids, buildings, households = set(), set(), set(), set()
    everywhere = False
    for grant in _grants(user):
        if grant.role not in roles:
            continue
        if grant.building_id:
            buildings.add(grant.building_id)
        elif grant.grid_id:
            grids.add(grant.grid_id)
        elif grant.community_id:
            communities.add(grant.community_id)
        else:
            everywhere = True
    if Role.RESIDENT in roles and user.resident_id:
        households.add(user.resident.household_id)
    return Scope(
        everywhere=everywhere,
        communities=frozenset(communities),
        grids=frozenset(grids),
        buildings=frozenset(buildings),
        households=frozenset(households),
    )


def scope_q(
    scope: Scope,
    *,
    community: str | None = None,
    grid: str | None = None,
    building: str | None = None,
    household: str | None = None,
) -> Q:
    """A filter for the objects inside `scope`, given the lookup path from the model to each
    level of the place hierarchy. A level the model cannot reach grants nothing."""
    if scope.everywhere:
        # Not Q(): an empty Q is dropped when OR-ed with another, so `everywhere | mine` would
        # shrink to `mine`. "Not in nothing" matches every row and survives combination.
        return ~Q(pk__in=[])
    q = Q(pk__in=[])
    for path, ids in (
        (community, scope.communities),
        (grid, scope.grids),
        (building, scope.buildings),
        (household, scope.households),
    ):
        if path and ids:
            q |= Q(**{f"{path}__in": sorted(ids)})
    return q


def user_communities(user, roles):
    """The communities a user works in (for forms and dashboards), as a queryset."""
    from linli.places.models import Community

    scope = user_scope(user, roles)
    if scope.everywhere:
        return Community.objects.all()
    return Community.objects.filter(
        Q(pk__in=scope.communities)
        | Q(grids__pk__in=scope.grids)
        | Q(buildings__pk__in=scope.buildings)
        | Q(buildings__households__pk__in=scope.households)
    ).distinct()
