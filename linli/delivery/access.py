"""Who may see door-delivery lists and routes, and who may change them. Deny by default.

Route sheets hold names, addresses and phone numbers of the most vulnerable households, so a
route is shown to the community staff and grid workers of its area and to the volunteer who
walks it, nobody else; a grid worker sees names only for the doors in their own area.
"""

from django.db.models import Q
from django.http import Http404
from django.utils.translation import gettext as _

from linli.accounts.access import scope_q, user_communities, user_scope
from linli.accounts.choices import Role
from linli.core.errors import PermissionDenied

R = Role
# Who reads the eligible list and the routes of their area.
AREA = {R.STAFF, R.GRID_WORKER, R.ADMIN}
# Who adds or removes a household by hand, and who plans routes: the community's staff.
STAFF = {R.STAFF, R.ADMIN}

HOUSEHOLD_PATHS = {
    "community": "building__community",
    "grid": "building__grid",
    "building": "building",
}


def households_q(user) -> Q:
    """Households whose door-delivery status `user` may read."""
    return scope_q(user_scope(user, AREA), **HOUSEHOLD_PATHS)


def can_view_eligibility(user) -> bool:
    return not user_scope(user, AREA).empty


def require_view_eligibility(user) -> None:
    if not can_view_eligibility(user):
        raise PermissionDenied(
            _("Only community staff and grid workers see who gets door delivery.")
        )


def area_communities(user):
    return user_communities(user, AREA)


def staff_communities(user):
    return user_communities(user, STAFF)


def require_staff_of(user, community) -> None:
    if not staff_communities(user).filter(pk=community.pk).exists():
        raise PermissionDenied(_("Only community staff change door delivery and plan routes."))


def route_q(user) -> Q:
    """Routes `user` may open: of their area (a route with a door in it), or their own."""
    q = scope_q(
        user_scope(user, AREA),
        community="plan__community",
        grid="stops__household__building__grid",
        building="stops__household__building",
    )
    if user.is_authenticated:
        q |= Q(worker__user=user)
    return q


def stop_details_q(user) -> Q:
    """Stops whose household's name and phone `user` may read."""
    q = scope_q(
        user_scope(user, AREA),
        community="household__building__community",
        grid="household__building__grid",
        building="household__building",
    )
    if user.is_authenticated:
        q |= Q(route__worker__user=user)
    return q


def visible_routes(user, plan=None):
    from linli.delivery.models import Route

    qs = Route.objects.filter(pk__in=Route.objects.filter(route_q(user)).values("pk"))
    if plan is not None:
        qs = qs.filter(plan=plan)
    return qs


def access_plan_by_id(user, pk):
    """A plan if `user` plans for its community or may open one of its routes, else 404."""
    from linli.delivery.models import RoutePlan

    plan = (
        RoutePlan.objects.select_related("round", "community", "start_place", "job")
        .filter(pk=pk)
        .first()
    )
    if plan is None:
        raise Http404
    if staff_communities(user).filter(pk=plan.community_id).exists():
        return plan
    if not visible_routes(user, plan).exists():
        raise Http404
    return plan


def access_route_by_id(user, pk):
    route = (
        visible_routes(user)
        .select_related("plan__round", "plan__community", "plan__start_place", "worker", "task")
        .filter(pk=pk)
        .first()
    )
    if route is None:
        raise Http404
    return route


def can_set_preference(user, household) -> bool:
    """A resident for their own home; the workers who may order for a household, for it."""
    from linli.places.models import Household
    from linli.supplies.access import households_orderable_q

    return Household.objects.filter(households_orderable_q(user), pk=household.pk).exists()
