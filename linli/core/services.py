"""Writes that every app shares: the audit log and background-job progress."""

from django.db import models, transaction

from linli.core.models import AuditEvent, Job, JobStatus


def user_or_none(actor):
    """The logged-in user behind `actor`, or None (a job, a command, an anonymous visitor):
    what a "by" foreign key stores."""
    return actor if getattr(actor, "is_authenticated", False) else None


def audit_record(
    *,
    actor,
    action: str,
    target: models.Model | None = None,
    community_id: int | None = None,
    detail: dict | None = None,
) -> AuditEvent:
    """Record one audit event. Call it inside the service's transaction, so the event and the
    change it describes are committed together or not at all."""
    actor_name = ""
    if actor is not None and getattr(actor, "is_authenticated", False):
        actor_name = actor.get_username()
    else:
        actor = None
    return AuditEvent.objects.create(
        actor=actor,
        actor_name=actor_name,
        action=action,
        target_type=target._meta.label_lower if target is not None else "",
        target_id=str(target.pk) if target is not None else "",
        target_repr=str(target)[:200] if target is not None else "",
        community_id=community_id,
        detail=detail or {},
    )


def job_create(*, kind: str, created_by=None, community_id=None, total: int = 0) -> Job:
    return Job.objects.create(
        kind=kind, created_by=created_by, community_id=community_id, total=total
    )


def job_progress(job: Job, *, done: int, total: int | None = None, message: str = "") -> None:
    """Publish progress. Written outside any open transaction so a watcher sees it at once."""
    fields = {"done": done, "status": JobStatus.RUNNING}
    if total is not None:
        fields["total"] = total
    if message:
        fields["message"] = message[:500]
    Job.objects.filter(pk=job.pk).update(**fields)
    for name, value in fields.items():
        setattr(job, name, value)


def job_finish(job: Job, *, result: dict | None = None, message: str = "", failed=False) -> None:
    with transaction.atomic():
        job.status = JobStatus.FAILED if failed else JobStatus.DONE
        if not failed:
            job.done = job.total
        job.result = result or {}
        job.message = message[:500]
        job.save(update_fields=["status", "done", "result", "message", "updated_at"])
