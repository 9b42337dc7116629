"""Who may run rounds, order for a household, and check off pickups. Deny by default."""

from django.http import Http404
from django.utils.translation import gettext as _

from linli.accounts.access import scope_q, user_communities, user_scope
from linli.accounts.choices import Role
from linli.core.errors import PermissionDenied

R = Role
# Community staff plan rounds, suppliers and pickup points (the community plans, S2).
PLAN = {R.STAFF, R.ADMIN}
# Who may order for a household that is not their own: the workers of its area and its
# building leader, for residents without a smartphone (P4).
ORDER_FOR = {R.STAFF, R.GRID_WORKER, R.CADRE, R.BUILDING_LEADER, R.ADMIN}
# Who reads rounds and packing lists.
READ = {R.STAFF, R.GRID_WORKER, R.CADRE, R.SUPERVISOR, R.ADMIN}
# Who checks off pickups at a point: any approved worker of the community on shift.
COLLECT = {R.STAFF, R.GRID_WORKER, R.CADRE, R.PROPERTY, R.VOLUNTEER, R.BUILDING_LEADER, R.ADMIN}
HOUSEHOLD_PATHS = {
    "community": "building__community",
    "grid": "building__grid",
    "building": "building",
}


def plan_communities(user):
    return user_communities(user, PLAN)


def read_communities(user):
    return user_communities(user, READ | PLAN | COLLECT | ORDER_FOR)


def require_plan(user, community) -> None:
    if not plan_communities(user).filter(pk=community.pk).exists():
        raise PermissionDenied(_("Only community staff run order rounds."))


def households_orderable_q(user):
    """Households `user` may order for: their own, or those of their area."""
    q = scope_q(user_scope(user, ORDER_FOR), **HOUSEHOLD_PATHS)
    own = user_scope(user, {R.RESIDENT}).households
    if own:
        from django.db.models import Q

        q |= Q(pk__in=own)
    return q


def access_household_for_order(user, household_id):
    from linli.places.models import Household

    household = (
        Household.objects.filter(households_orderable_q(user), pk=household_id)
        .select_related("building", "entrance")
        .first()
    )
    if household is None:
        raise Http404
    return household


def access_round_by_id(user, pk):
    """A round the user can see: of a community they work in, or one that covers their home."""
    from django.db.models import Q

    from linli.supplies.models import Round

    own = user_scope(user, {R.RESIDENT}).households
    q = Q(community__in=read_communities(user))
    if own:
        q |= Q(buildings__households__pk__in=own)
    round_ = (
        Round.objects.filter(q, pk=pk).select_related("supplier", "community").distinct().first()
    )
    if round_ is None:
        raise Http404
    return round_


def can_collect(user, community) -> bool:
    return user_communities(user, COLLECT).filter(pk=community.pk).exists()
