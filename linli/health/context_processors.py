from django.utils.functional import SimpleLazyObject

from linli.accounts.access import has_any_role
from linli.accounts.choices import Role
from linli.health.access import ACTION_ROLES


def _flags(user) -> dict:
    # Roles only (from the grants already loaded for the request): the menu costs no query;
    # the pages themselves check the area.
    return {
        "report": has_any_role(user, ACTION_ROLES["report"]),
        "missing": has_any_role(user, ACTION_ROLES["missing"]),
        # A resident reads their own household's record from the report page, not an overview.
        "overview": has_any_role(
            user, (ACTION_ROLES["view"] | ACTION_ROLES["change"]) - {Role.RESIDENT}
        ),
        "import_tests": has_any_role(user, ACTION_ROLES["import_tests"]),
        "checkins": has_any_role(user, ACTION_ROLES["record_checkin"]),
        "trace": has_any_role(user, ACTION_ROLES["trace"]),
        "crosscheck": has_any_role(user, ACTION_ROLES["crosscheck"]),
    }


def nav(request):
    """Menu items for health and tracing: the daily report, who has not reported, the
    overview of an area's health, laboratory imports, check-in points, tracing runs and
    external-list cross-checks."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"health_nav": {}}
    return {"health_nav": SimpleLazyObject(lambda: _flags(user))}
