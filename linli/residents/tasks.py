"""Background jobs of the registry (django-tasks; the db_worker runs them in production).

Each job runs in the language of the person who started it, so the row errors and progress
messages they store read in that language.
"""

from django.conf import settings
from django.utils import translation
from django_tasks import task

from linli.residents import import_services


def _language(language: str | None) -> str:
    return language or settings.LANGUAGE_CODE


@task()
def check_import(batch_id: int, language: str | None = None) -> None:
    """Check an uploaded registry sheet row by row; write nothing to the registry."""
    with translation.override(_language(language)):
        try:
            import_services.import_batch_check(batch_id=batch_id)
        except Exception as exc:
            import_services.import_batch_crashed(batch_id=batch_id, exc=exc)
            raise


@task()
def apply_import(batch_id: int, language: str | None = None) -> None:
    """Import the valid rows of a checked sheet, in chunks, with progress."""
    with translation.override(_language(language)):
        try:
            import_services.import_batch_apply(batch_id=batch_id)
        except Exception as exc:
            import_services.import_batch_crashed(batch_id=batch_id, exc=exc)
            raise
