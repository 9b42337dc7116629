"""Who may see and act on tasks. Deny by default; outside one's area a task is a 404.

Staff and grid workers see the tasks of their area and plan them; every worker of any force
sees the tasks they own and the open tasks of their community (to claim them); a resident
sees the tasks for their own household; a supervisor reads everything.
"""

from django.db.models import Q
from django.http import Http404

from linli.accounts.access import scope_q, user_scope
from linli.accounts.choices import Role
from linli.core.errors import PermissionDenied
from linli.taskpool.choices import Status
from linli.workforce.selectors import worker_for

R = Role
# Roles that see every task of their area, and roles that plan (create for anyone, assign,
# dispatch, merge, cancel, reopen).
AREA_VIEW = {R.STAFF, R.GRID_WORKER, R.CADRE, R.SUPERVISOR, R.ADMIN}
MANAGE = {R.STAFF, R.GRID_WORKER, R.ADMIN}
PATHS = {"community": "community", "grid": "grid", "building": "building"}
COUNSEL = {R.COUNSELLOR, R.CARE_SUPERVISOR}


def _counselling_q(user) -> Q:
    return Q(kind="counselling") & scope_q(user_scope(user, COUNSEL), **PATHS)


def task_scope_q(user, action: str = "view") -> Q:
    roles = MANAGE if action == "manage" else AREA_VIEW
    q = scope_q(user_scope(user, roles), **PATHS)
    if action == "manage":
        return q
    worker = worker_for(user)
    if worker is not None:
        q |= Q(assignee=worker)
        if worker.can_take_tasks:
            q |= Q(status=Status.OPEN, community_id=worker.community_id)
    # Counsellors see the counselling calls of their area (urgent ones above all), on the
    # roster or not.
    if not user_scope(user, COUNSEL).empty:
        q |= _counselling_q(user)
    households = user_scope(user, {R.RESIDENT}).households
    if households:
        q |= Q(household_id__in=households) | Q(resident__household_id__in=households)
    return q


def can_manage(user) -> bool:
    return not user_scope(user, MANAGE).empty


def require_manage(user):
    from django.utils.translation import gettext as _

    if not can_manage(user):
        raise PermissionDenied(_("Only community staff and grid workers plan tasks."))


def access_task_by_id(user, pk, *, action: str = "view"):
    from linli.taskpool.models import Task

    task = (
        Task.objects.restrict(user, "view")
        .select_related(
            "assignee__user", "resident", "household__building", "building", "place", "grid"
        )
        .filter(pk=pk)
        .first()
    )
    if task is None:
        raise Http404
    if action == "manage" and not Task.objects.restrict(user, "manage").filter(pk=pk).exists():
        from django.utils.translation import gettext as _

        raise PermissionDenied(_("Only community staff and grid workers of this area may do that."))
    return task


def sees_details(user, task) -> bool:
    """Names and phone numbers of the people a task is for: for its owner, the planners of
    its area and the household it is for, not for every volunteer browsing open tasks."""
    worker = worker_for(user)
    if worker is not None and task.assignee_id == worker.pk:
        return True
    if _own_household_task(user, task):
        return True
    from linli.taskpool.models import Task

    area = scope_q(user_scope(user, AREA_VIEW), **PATHS)
    if not user_scope(user, COUNSEL).empty:
        area |= _counselling_q(user)
    return Task.objects.filter(area, pk=task.pk).exists()


def _own_household_task(user, task) -> bool:
    households = user_scope(user, {R.RESIDENT}).households
    return bool(households) and (
        task.household_id in households
        or (task.resident_id is not None and task.resident.household_id in households)
    )


def can_view_pool(user) -> bool:
    """The whole pool of an area (not just one's own and open tasks)."""
    return not user_scope(user, AREA_VIEW | COUNSEL).empty


def task_scope_q_for_places(user) -> Q:
    """Buildings where `user` plans tasks."""
    return scope_q(user_scope(user, MANAGE), community="community", grid="grid", building="id")


def manage_communities(user):
    from linli.accounts.access import user_communities

    return user_communities(user, MANAGE)


def require_manage_of(user, building) -> None:
    from django.utils.translation import gettext as _

    from linli.places.models import Building

    if not Building.objects.filter(task_scope_q_for_places(user), pk=building.pk).exists():
        raise PermissionDenied(_("Only community staff and grid workers of this area may do that."))


def can_manage_task(user, task) -> bool:
    from linli.taskpool.models import Task

    return Task.objects.restrict(user, "manage").filter(pk=task.pk).exists()


def can_confirm(user, task) -> bool:
    """The resident the task was for (their household), or a planner of its area."""
    return _own_household_task(user, task) or can_manage_task(user, task)
