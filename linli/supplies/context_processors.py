from django.utils.functional import SimpleLazyObject

from linli.accounts.access import has_any_role


def _flags(user) -> dict:
    # Roles only (from the grants already loaded for the request): the menu costs no query;
    # the pages themselves check the area.
    from linli.delivery.access import AREA
    from linli.supplies.access import COLLECT

    return {"pickup": has_any_role(user, COLLECT), "delivery": has_any_role(user, AREA)}


def nav(request):
    """Menu items for food and supplies: pickup check-off for workers, door delivery for
    planners. Food orders are open to every login (the page shows what fits the role)."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"supplies_nav": {}}
    return {"supplies_nav": SimpleLazyObject(lambda: _flags(user))}
