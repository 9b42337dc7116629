"""Background job of the external-list cross-check (django-tasks; the db_worker runs it in
production). It runs in the language of the person who started it, so its progress messages
and the failure it may record read in that language."""

from django.conf import settings
from django.utils import translation
from django_tasks import task

from linli.tracing import crosscheck_services


@task()
def run_crosscheck(crosscheck_id: int, language: str | None = None) -> None:
    """Link an uploaded list to the community's registry and store the matches for review."""
    with translation.override(language or settings.LANGUAGE_CODE):
        try:
            crosscheck_services.crosscheck_run(crosscheck_id=crosscheck_id)
        except Exception as exc:
            crosscheck_services.crosscheck_crashed(crosscheck_id=crosscheck_id, exc=exc)
            # Re-raised without its text (which may quote a list's value): the worker's log
            # gets the kind of error; crosscheck_crashed logged where it happened.
            raise RuntimeError(
                f"cross-check {crosscheck_id} failed: {type(exc).__name__}"
            ) from None
