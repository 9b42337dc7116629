from django.utils.functional import SimpleLazyObject

from linli.accounts.access import user_scope
from linli.residents import access


def _nav(user) -> dict:
    """Which menu items this user can open: a menu must not offer a page that answers 404."""
    from linli.accounts.views import AUDIT_ROLES

    view = access.scope_for(user, "view")
    audit = user_scope(user, AUDIT_ROLES)
    return {
        "registry": not view.empty and not view.household_only,
        "own_household": view.household_only,
        "import": access.can(user, "import"),
        "audit": audit.everywhere or bool(audit.communities),
    }


def nav(request):
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"nav": {}}
    return {"nav": SimpleLazyObject(lambda: _nav(user))}
