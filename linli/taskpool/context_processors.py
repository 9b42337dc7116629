from django.utils.functional import SimpleLazyObject

from linli.taskpool import access
from linli.taskpool.supervision import can_supervise
from linli.workforce.access import nav_flags as workforce_nav
from linli.workforce.selectors import worker_for


def nav(request):
    """Task menu items: the pool for those who see an area's tasks, "my tasks" for workers."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"task_nav": {}}
    return {
        "task_nav": SimpleLazyObject(
            lambda: {
                "pool": access.can_view_pool(user),
                "mine": worker_for(user) is not None,
                "plan": access.can_manage(user),
                "supervise": can_supervise(user),
                **{f"workforce_{k}": v for k, v in workforce_nav(user).items()},
            }
        )
    }
