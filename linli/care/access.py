"""Who may see and do what in psychological support. Deny by default; checked on the object.

Counselling notes are the most sensitive data in Linli (issue 7): only the counsellor on the
case and the care supervisor read them, and every read is audited. Everyone else who works a
case's area sees at most THAT a person has support (and who their counsellor is), never what was
said. A resident screens themselves and their household, and sees their own results.
"""

from django.http import Http404
from django.utils.translation import gettext_lazy as _

from linli.accounts.access import has_any_role, scope_q, user_communities, user_scope
from linli.accounts.choices import Role
from linli.core.errors import PermissionDenied
from linli.residents.access import PATHS

R = Role
ACTION_ROLES = {
    # The list of whom to offer support names health statuses and bereavements.
    "priority": {R.COUNSELLOR, R.CARE_SUPERVISOR, R.STAFF, R.ADMIN},
    "flag": {R.COUNSELLOR, R.CARE_SUPERVISOR, R.STAFF, R.ADMIN},
    "screen": {R.COUNSELLOR, R.CARE_SUPERVISOR, R.ADMIN, R.RESIDENT},
    "cases": {R.COUNSELLOR, R.CARE_SUPERVISOR, R.ADMIN},
    # "Has support": a grid worker plans visits knowing it, nothing more.
    "has_support": {R.COUNSELLOR, R.CARE_SUPERVISOR, R.STAFF, R.GRID_WORKER, R.ADMIN},
    "groups": {R.COUNSELLOR, R.CARE_SUPERVISOR, R.ADMIN},
    "figures": {R.CARE_SUPERVISOR, R.SUPERVISOR, R.STAFF, R.ADMIN},
}
MESSAGES = {
    "priority": _("Only counsellors and community staff see whom to offer support."),
    "flag": _("Only counsellors and community staff add people to the support list."),
    "screen": _("You may not fill in a questionnaire for this person."),
    "cases": _("Only counsellors and their supervisor work on support cases."),
    "has_support": _("You may not see who has support."),
    "groups": _("Only counsellors run group sessions."),
    "figures": _("You may not see the support figures."),
    "notes": _("Only the counsellor on the case and the care supervisor read session notes."),
}
# Roles that read every case's notes in their area (besides the counsellor of the case).
NOTE_READERS = {R.CARE_SUPERVISOR}


def scope(user, action: str):
    return user_scope(user, ACTION_ROLES[action])


def residents_q(user, action: str):
    return scope_q(scope(user, action), **PATHS["resident"])


def can(user, action: str) -> bool:
    return not scope(user, action).empty


def require(user, action: str) -> None:
    if not can(user, action):
        raise PermissionDenied(str(MESSAGES[action]))


def communities_for(user, action: str):
    return user_communities(user, ACTION_ROLES[action])


def access_resident(user, pk, *, action: str):
    """The resident if `user` may `action` them (404 outside the area)."""
    from linli.residents.models import Resident

    resident = (
        Resident.objects.filter(residents_q(user, action))
        .select_related("household__building__community")
        .filter(pk=pk)
        .first()
    )
    if resident is None:
        raise Http404
    return resident


def access_case(user, pk):
    """A case if `user` works cases on its person's area, else 404."""
    from linli.care.models import CareCase

    case = (
        CareCase.objects.filter(pk=pk)
        .filter(**{"resident__in": _area_residents(user, "cases")})
        .select_related("resident__household__building__community", "counsellor")
        .first()
    )
    if case is None:
        raise Http404
    return case


def _area_residents(user, action):
    from linli.residents.models import Resident

    return Resident.objects.filter(residents_q(user, action)).values("pk")


def can_read_notes(user, case) -> bool:
    """The counsellor on the case, or a care supervisor over its area."""
    if not user.is_authenticated:
        return False
    if case.counsellor_id == user.pk and has_any_role(user, {R.COUNSELLOR}):
        return True
    from linli.residents.models import Resident

    supervised = scope_q(user_scope(user, NOTE_READERS), **PATHS["resident"])
    return Resident.objects.filter(supervised, pk=case.resident_id).exists()


def require_notes(user, case) -> None:
    if not can_read_notes(user, case):
        raise PermissionDenied(str(MESSAGES["notes"]))
