from django.utils.functional import SimpleLazyObject

from linli.accounts.access import has_any_role
from linli.care.access import ACTION_ROLES


def _flags(user) -> dict:
    # Roles only (from the grants already loaded for the request): the menu costs no query;
    # the pages themselves check the area.
    return {
        name: has_any_role(user, ACTION_ROLES[name])
        for name in ("screen", "priority", "cases", "groups", "figures")
    }


def nav(request):
    """Menu items for psychological support: the wellbeing check (a resident screens
    themselves), the list of whom to offer support, cases, group sessions and the figures."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"care_nav": {}}
    return {"care_nav": SimpleLazyObject(lambda: _flags(user))}
