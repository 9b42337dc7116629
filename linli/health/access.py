"""Who may see and change health records, trajectories and tracing. Deny by default; checked
on the object, server-side; outside one's area a person is a 404.

Health status and whereabouts are sensitive personal information (PIPL art. 28), so each is
kept to the roles that need it (issue 5, "Privacy"):
- reporting a day's temperature is everyday door-to-door work: staff, grid workers, cadres and
  building leaders do it for the people of their area, a resident for their own household;
- the list of who has not reported names people but shows no health data, so the same roles
  see it;
- health status, its history, tests and quarantines: staff, grid workers (their grid) and the
  community's doctors; a resident sees their own household's;
- trajectories, tracing and external-list cross-checks: staff and doctors only (an
  epidemiological investigation), and the supervisor never sees individuals.
Every read of a person's health history or trajectory is an audit event (selectors do it).
"""

from django.http import Http404
from django.utils.translation import gettext_lazy as _

from linli.accounts.access import scope_q, user_communities, user_scope
from linli.accounts.choices import Role
from linli.core.errors import PermissionDenied
from linli.residents.access import PATHS

R = Role
ACTION_ROLES = {
    "report": {R.STAFF, R.GRID_WORKER, R.CADRE, R.BUILDING_LEADER, R.ADMIN, R.RESIDENT},
    "missing": {R.STAFF, R.GRID_WORKER, R.CADRE, R.BUILDING_LEADER, R.ADMIN},
    "view": {R.STAFF, R.GRID_WORKER, R.DOCTOR, R.ADMIN, R.RESIDENT},
    "change": {R.STAFF, R.GRID_WORKER, R.DOCTOR, R.ADMIN},
    "import_tests": {R.STAFF, R.DOCTOR, R.ADMIN},
    # Recording an entry for someone without a phone: whoever keeps a gate or a shop door.
    "record_checkin": {
        R.STAFF,
        R.GRID_WORKER,
        R.CADRE,
        R.PROPERTY,
        R.VOLUNTEER,
        R.BUILDING_LEADER,
        R.ADMIN,
    },
    "trace": {R.STAFF, R.DOCTOR, R.ADMIN},
    "crosscheck": {R.STAFF, R.ADMIN},
}
MESSAGES = {
    "report": _("You may not report health for this person."),
    "missing": _("You may not see who has not reported."),
    "view": _("You may not read health records."),
    "change": _("You may not change health records."),
    "import_tests": _("You may not import test results."),
    "record_checkin": _("You may not record check-ins for others."),
    "trace": _("Only community staff and doctors may read trajectories and run tracing."),
    "crosscheck": _("Only community staff may cross-check external lists."),
}


def health_scope(user, action: str):
    return user_scope(user, ACTION_ROLES[action])


def residents_q(user, action: str):
    """Residents whose health `user` may `action`."""
    return scope_q(health_scope(user, action), **PATHS["resident"])


def can(user, action: str) -> bool:
    return not health_scope(user, action).empty


def require(user, action: str) -> None:
    if not can(user, action):
        raise PermissionDenied(str(MESSAGES[action]))


def communities_for(user, action: str):
    return user_communities(user, ACTION_ROLES[action])


def access_resident(user, pk, *, action: str):
    """The resident if `user` may `action` their health, else 404 (if they may not even see
    the person) or 403."""
    from linli.residents.access import resident_scope_q
    from linli.residents.models import Resident

    # Seen through the registry's own rule or through this health action (a doctor reads
    # health records without reading the registry).
    resident = (
        Resident.objects.filter(resident_scope_q(user, "view") | residents_q(user, action))
        .select_related("household__building__grid__community", "household__entrance")
        .filter(pk=pk)
        .first()
    )
    if resident is None:
        raise Http404
    if not Resident.objects.filter(residents_q(user, action), pk=pk).exists():
        raise PermissionDenied(str(MESSAGES[action]))
    return resident


def community_for(user, action: str, community_id=None):
    """The one community the user works on for `action` (the given one if allowed)."""
    communities = communities_for(user, action)
    if community_id:
        community = communities.filter(pk=community_id).first()
    else:
        community = communities.order_by("pk").first()
    if community is None:
        raise PermissionDenied(str(MESSAGES[action]))
    return community
