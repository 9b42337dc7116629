"""Reads for the demo: who the demo logins are and what they may see."""

from django.utils.translation import gettext as _

from linli.accounts.models import User
from linli.demo.services import DEMO_USERNAMES


def grant_area(grant) -> str:
    if grant.building_id:
        return _("%(building)s, %(grid)s") % {
            "building": grant.building,
            "grid": grant.building.grid.name,
        }
    if grant.grid_id:
        return grant.grid.name
    if grant.community_id:
        return grant.community.name
    return _("all communities")


def demo_logins() -> list[dict]:
    """The demo logins that exist, in the published order, each with its roles and areas:
    [{"username", "display_name", "roles": [(role label, area)]}]."""
    users = {
        u.username: u
        for u in User.objects.filter(username__in=DEMO_USERNAMES)
        .select_related("resident__household__building")
        .prefetch_related("grants__community", "grants__grid", "grants__building__grid")
    }
    rows = []
    for username in DEMO_USERNAMES:
        user = users.get(username)
        if user is None:
            continue
        roles = [(str(g.get_role_display()), grant_area(g)) for g in user.grants.all()]
        if user.resident_id:
            roles.append(
                (
                    _("Resident"),
                    _("own household: %(address)s") % {"address": user.resident.household.address},
                )
            )
        if user.is_superuser and not roles:
            roles.append((_("Administrator"), _("all communities")))
        rows.append({"username": username, "display_name": user.display_name, "roles": roles})
    return rows
