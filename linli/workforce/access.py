"""Who may see and change the roster. Deny by default; checked on the object, server-side.

Community staff (and administrators) manage the roster of their community; grid workers and
dispatched cadres read it, community-wide, because they plan and hand out work to people of
every force whatever grid those people live in; a supervisor reads every roster. Everyone
else gets 404, except that a worker may always open their own entry (their hours and their
service certificate).
"""

from django.db.models import Q
from django.http import Http404

from linli.accounts.access import user_communities, user_scope
from linli.accounts.choices import Role
from linli.core.errors import PermissionDenied

R = Role
READ = frozenset({R.STAFF, R.GRID_WORKER, R.CADRE, R.SUPERVISOR, R.ADMIN})
MANAGE = frozenset({R.STAFF, R.ADMIN})


def community_ids(user, action: str = "view") -> list[int] | None:
    """The communities whose roster `user` may `action` ("view" or "manage"); None means all."""
    roles = MANAGE if action == "manage" else READ
    scope = user_scope(user, roles)
    if scope.everywhere:
        return None
    if scope.empty:
        return []
    if not (scope.grids or scope.buildings or scope.households):
        return sorted(scope.communities)
    # A grid worker's grant names a grid: the roster they read is that grid's community's.
    return list(user_communities(user, roles).values_list("pk", flat=True))


def worker_q(user, action: str = "view") -> Q:
    ids = community_ids(user, action)
    return Q() if ids is None else Q(community_id__in=ids)


def can(user, action: str = "view") -> bool:
    return not user_scope(user, MANAGE if action == "manage" else READ).empty


def manages(user, community_id: int) -> bool:
    """Whether `user` manages the roster of this community (to show its buttons)."""
    ids = community_ids(user, "manage")
    return ids is None or community_id in ids


def communities(user, action: str = "view"):
    """Communities for a form's select or a page's switcher."""
    from linli.places.models import Community

    ids = community_ids(user, action)
    qs = Community.objects.all() if ids is None else Community.objects.filter(pk__in=ids)
    return qs.order_by("name")


def require(user, action: str = "view") -> None:
    """404 for someone who may not even read a roster; 403 for a reader who may not manage."""
    from django.utils.translation import gettext as _

    if not can(user, "view"):
        raise Http404
    if action == "manage" and not can(user, "manage"):
        raise PermissionDenied(_("Only community staff manage the roster."))


def require_community(user, community, action: str = "view") -> None:
    from django.utils.translation import gettext as _

    ids = community_ids(user, action)
    if ids is not None and community.pk not in ids:
        if action == "manage" and can(user, "view"):
            raise PermissionDenied(_("Only community staff of this community may do that."))
        raise Http404


def access_worker_by_id(user, pk, *, action: str = "view"):
    """The worker if `user` may see it (or it is their own entry), else 404; then 403 if they
    may not `action` ("manage") it."""
    from django.utils.translation import gettext as _

    from linli.workforce.models import Worker

    worker = (
        Worker.objects.select_related("user", "community", "home_building", "grid", "resident")
        .filter(pk=pk)
        .first()
    )
    if worker is None:
        raise Http404
    visible = Worker.objects.filter(worker_q(user, "view"), pk=pk).exists() if can(user) else False
    if not visible and worker.user_id != user.pk:
        raise Http404
    if action == "manage" and not (
        can(user, "manage") and Worker.objects.filter(worker_q(user, "manage"), pk=pk).exists()
    ):
        raise PermissionDenied(_("Only community staff of this community may change this entry."))
    return worker


def nav_flags(user) -> dict:
    """Menu items for the workforce pages (for a context processor)."""
    from linli.workforce.selectors import worker_for

    return {
        "roster": can(user, "view"),
        "screening": can(user, "manage"),
        "me": worker_for(user) is not None,
    }
