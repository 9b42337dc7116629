"""Who may see and change the registry. Deny by default; checked on the object, server-side.

Outside their area a user gets 404, not 403, so they cannot even learn that a record exists.
"""

from django.http import Http404

from linli.accounts.access import scope_q, user_scope
from linli.accounts.choices import Role
from linli.core.errors import PermissionDenied

R = Role
ACTION_ROLES = {
    # Dispatched cadres and building leaders work door to door, so they read the registry of
    # their area; property staff, volunteers and drivers see only what a task shows them.
    "view": {R.STAFF, R.GRID_WORKER, R.CADRE, R.BUILDING_LEADER, R.SUPERVISOR, R.ADMIN, R.RESIDENT},
    "edit": {R.STAFF, R.GRID_WORKER, R.ADMIN},
    "verify": {R.STAFF, R.GRID_WORKER, R.CADRE, R.ADMIN},
    "reveal_id": {R.STAFF, R.GRID_WORKER, R.ADMIN},
    "export": {R.STAFF, R.GRID_WORKER, R.ADMIN},
    "import": {R.STAFF, R.ADMIN},
    "audit": {R.STAFF, R.SUPERVISOR, R.ADMIN},
}
PATHS = {
    "resident": {
        "community": "household__building__community",
        "grid": "household__building__grid",
        "building": "household__building",
        "household": "household",
    },
    "household": {
        "community": "building__community",
        "grid": "building__grid",
        "building": "building",
        "household": "id",
    },
    "building": {"community": "community", "grid": "grid", "building": "id"},
    "grid": {"community": "community", "grid": "id"},
}


def scope_for(user, action: str):
    return user_scope(user, ACTION_ROLES[action])


def registry_q(user, action: str, model: str):
    """The filter for the `model` rows (resident, household, building, grid) that `user` may
    `action`. A building leader's scope reaches no grid; a resident's reaches no building."""
    return scope_q(scope_for(user, action), **PATHS[model])


def resident_scope_q(user, action: str = "view"):
    return registry_q(user, action, "resident")


def can(user, action: str) -> bool:
    """Whether `user` may `action` anywhere at all (to show a menu item or a button)."""
    return not scope_for(user, action).empty


def _check(user, action: str, obj, model: str):
    if not type(obj)._default_manager.filter(registry_q(user, action, model), pk=obj.pk).exists():
        raise PermissionDenied(_denied_message(action))


def _denied_message(action: str) -> str:
    from django.utils.translation import gettext

    messages = {
        "edit": gettext("You may not change residents' records here."),
        "verify": gettext("You may not verify residents' records here."),
        "reveal_id": gettext("You may not see full ID numbers."),
        "export": gettext("You may not export the registry."),
        "import": gettext("You may not import into the registry."),
        "audit": gettext("You may not read the audit log."),
        "view": gettext("You may not read the registry."),
    }
    return messages.get(action, gettext("You may not do that here."))


def require(user, action: str):
    if not can(user, action):
        raise PermissionDenied(_denied_message(action))


def access_resident_by_id(user, pk, *, action: str = "view"):
    """The resident if `user` may see it, else 404; then 403 if they may not `action` it."""
    from linli.residents.models import Resident

    resident = (
        Resident.objects.restrict(user, "view")
        .select_related("household__building__grid__community", "household__entrance")
        .filter(pk=pk)
        .first()
    )
    if resident is None:
        raise Http404
    if action != "view":
        _check(user, action, resident, "resident")
    return resident


def access_household_by_id(user, pk, *, action: str = "view"):
    from linli.places.models import Household

    household = (
        Household.objects.filter(registry_q(user, "view", "household"))
        .select_related("building__grid__community", "entrance")
        .filter(pk=pk)
        .first()
    )
    if household is None:
        raise Http404
    if action != "view":
        _check(user, action, household, "household")
    return household


def access_building_by_id(user, pk):
    from linli.places.models import Building

    building = (
        Building.objects.filter(registry_q(user, "view", "building"))
        .select_related("grid__community")
        .filter(pk=pk)
        .first()
    )
    if building is None:
        raise Http404
    return building
