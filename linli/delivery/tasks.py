"""Background jobs of door delivery (django-tasks; the db_worker runs them in production).

The job runs in the language of the person who started it, so its progress messages and the
route tasks it writes read in that language.
"""

from django.conf import settings
from django.utils import translation
from django_tasks import task

from linli.delivery import services


@task()
def plan_routes(plan_id: int, language: str | None = None) -> None:
    """Solve a door-delivery plan with the routing engine and turn its routes into tasks."""
    with translation.override(language or settings.LANGUAGE_CODE):
        try:
            services.route_plan_solve(plan_id=plan_id)
        except Exception as exc:
            services.route_plan_crashed(plan_id=plan_id, exc=exc)
            raise
