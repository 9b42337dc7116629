"""Who may run rounds, order for a household, and check off pickups. Deny by default."""

from django.db.models import Q
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
    """A round the user can see (see rounds_q): of a community they work in, or, for a
    resident, an open round that covers their home or one their household ordered in."""
    from linli.supplies.models import Round

    round_ = (
        Round.objects.filter(rounds_q(user), pk=pk).select_related("supplier", "community").first()
    )
    if round_ is None:
        raise Http404
    return round_


def can_collect(user, community) -> bool:
    return user_communities(user, COLLECT).filter(pk=community.pk).exists()


# ---------------------------------------------------------------- suppliers, rounds, orders


def can_plan(user) -> bool:
    return plan_communities(user).exists()


def can_read(user) -> bool:
    """Whether `user` reads rounds and suppliers of some community (a worker's menu)."""
    return user_communities(user, READ | PLAN).exists()


def can_order_for_others(user) -> bool:
    return not user_scope(user, ORDER_FOR).empty


def access_supplier_by_id(user, pk, *, for_write=False):
    """A supplier of a community the user reads (READ) or plans (PLAN, for_write); else 404."""
    from linli.supplies.models import Supplier

    communities = plan_communities(user) if for_write else user_communities(user, READ | PLAN)
    supplier = (
        Supplier.objects.filter(community__in=communities, pk=pk)
        .select_related("community")
        .first()
    )
    if supplier is None:
        raise Http404
    return supplier


def rounds_q(user):
    """Rounds `user` sees: every round of a community they work in, and for a resident the
    open rounds that cover their home and any round their household ordered in."""
    from django.db.models import Exists, OuterRef, Q

    from linli.supplies.choices import RoundStatus
    from linli.supplies.models import Order, Round

    q = Q(community__in=read_communities(user))
    own = user_scope(user, {R.RESIDENT}).households
    if own:
        from linli.places.models import Household

        homes = Household.objects.filter(pk__in=own).values("building_id")
        covers = Round.buildings.through.objects.filter(
            round_id=OuterRef("pk"), building_id__in=homes
        )
        q |= Q(Exists(covers), status=RoundStatus.OPEN)
        q |= Exists(Order.objects.filter(round=OuterRef("pk"), household_id__in=own))
    return q


def order_write_q(user):
    """Orders `user` may change or cancel: those of households they may order for."""
    from django.db.models import Q

    from linli.places.models import Household

    return Q(household__in=Household.objects.filter(households_orderable_q(user)))


def order_read_q(user):
    """Orders `user` may read: those they may change, and those of the households in the area
    where they read rounds (a grid worker their grid, staff and cadres the community)."""
    from linli.places.models import Household

    area = Household.objects.filter(scope_q(user_scope(user, READ | PLAN), **HOUSEHOLD_PATHS))
    return order_write_q(user) | Q(household__in=area)


def access_order_by_id(user, pk, *, for_write=False):
    """An order the user may see (workers of its community, and whoever may order for its
    household), or change (only the latter); else 404."""
    from linli.supplies.models import Order

    q = order_write_q(user) if for_write else order_read_q(user)
    order = (
        Order.objects.filter(q, pk=pk)
        .select_related(
            "round__supplier", "round__community", "household__building", "household__entrance"
        )
        .first()
    )
    if order is None:
        raise Http404
    return order


def can_write_order(user, order) -> bool:
    from linli.places.models import Household

    return Household.objects.filter(households_orderable_q(user), pk=order.household_id).exists()
