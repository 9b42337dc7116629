"""Background jobs of contact tracing (django-tasks; the db_worker runs them in production).

The job runs in the language of the person who started it, so its progress messages read in
that language.
"""

from django.conf import settings
from django.utils import translation
from django_tasks import task

from linli.tracing import services


@task()
def trace_run(run_id: int, language: str | None = None) -> None:
    """Export the run's check-ins to Parquet, find the contacts (DuckDB), store them."""
    with translation.override(language or settings.LANGUAGE_CODE):
        try:
            services.tracing_run_execute(run_id=run_id)
        except Exception as exc:
            services.tracing_run_crashed(run_id=run_id, exc=exc)
            raise
