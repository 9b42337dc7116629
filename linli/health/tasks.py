"""Background jobs of the health app (django-tasks; the db_worker runs them in production).

The job runs in the language of the person who started it, so the row reasons and progress
messages it stores read in that language.
"""

from django.conf import settings
from django.utils import translation
from django_tasks import task

from linli.health import lab_import


@task()
def import_lab_results(job_id: int, language: str | None = None) -> None:
    """Match a laboratory's rows to residents and record them, with progress."""
    with translation.override(language or settings.LANGUAGE_CODE):
        try:
            lab_import.lab_import_run(job_id=job_id)
        except Exception as exc:
            lab_import.lab_import_crashed(job_id=job_id, exc=exc)
            raise
