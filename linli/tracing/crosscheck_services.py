"""Every write of the external-list cross-check (大数据核对, proposal S3): upload, column
mapping and the linkage job, then the review where staff accept or reject each match.

    upload      the file is read whole (listfile), its rows stored as {column: cell text};
                nothing runs yet. Cells of ID-number columns are sealed ({"enc": Fernet}):
                ID numbers are kept encrypted at rest here as in the registry (PIPL art. 28).
    mapping     a name column plus at least one of ID number / phone / birth date, no column
                twice, none empty in every row; otherwise refused naming the field, before
                anything runs.
    job         the community's residents (ID numbers decrypted in memory) against the rows,
                by linli.tracing.linkage; matches at or above the threshold wait for review.
                A new run replaces the matches still waiting, never the reviewed ones.
    review      accepting a match acts on what the list is (`CONSEQUENCES`): a status change
                with the health record's rules, and a check-on task in the one pool. A status
                the rules refuse does not block the acceptance; the refusal is told back.
                Accepting twice (a double tap) or rejecting twice does nothing the second time.
"""

import logging
import os
import time
from dataclasses import dataclass
from functools import partial

from django.conf import settings
from django.db import transaction
from django.db.models import Exists, OuterRef
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from linli.core import crypto
from linli.core.errors import ApplicationError, Conflict
from linli.core.services import audit_record, job_create, job_finish, job_progress
from linli.core.services import user_or_none as _user
from linli.health.choices import ChangeSource, HealthStatus
from linli.health.services import status_change
from linli.taskpool.choices import Priority, Source, TaskKind
from linli.taskpool.services import task_create
from linli.tracing import crosscheck_selectors as selectors
from linli.tracing import linkage, listfile
from linli.tracing.choices import CrossCheckStatus, ListKind, MatchField, Review
from linli.tracing.models import CrossCheck, CrossCheckMatch, CrossCheckRow

logger = logging.getLogger(__name__)

DEFAULT_THRESHOLD = 0.9
MIN_THRESHOLD, MAX_THRESHOLD = 0.5, 0.999
ACCEPT_ALL_AT_LEAST = 0.99
JOB_KIND = "tracing.crosscheck"
# A name alone identifies nobody (张伟 is a common name): one of these must come with it.
IDENTIFYING = [MatchField.ID_NUMBER, MatchField.PHONE, MatchField.BIRTH_DATE]
BATCH = 1000
S = HealthStatus


@dataclass(frozen=True)
class Consequence:
    """What accepting a match of a list of this kind does."""

    status: str | None  # the status proposed, or None: a task only
    priority: int
    title: str  # the check-on task's title, with %(name)s


# Why these: a confirmed case needs a visit today; a close contact is quarantined and tested;
# a traveller is asked and tested, with no status until that says more (a journey alone makes
# nobody a contact); a discharged patient has recovered if the record allows it, and is
# followed up; any other list only asks a worker to look.
CONSEQUENCES = {
    ListKind.CONFIRMED_CASES: Consequence(
        S.CONFIRMED, Priority.URGENT, gettext_lazy("On the confirmed-case list: %(name)s")
    ),
    ListKind.CLOSE_CONTACTS: Consequence(
        S.CLOSE_CONTACT,
        Priority.HIGH,
        gettext_lazy("Close contact: test and quarantine %(name)s"),
    ),
    ListKind.TRAVELLERS: Consequence(
        None, Priority.HIGH, gettext_lazy("Travelled: ask, test: %(name)s")
    ),
    ListKind.DISCHARGED: Consequence(
        S.RECOVERED, Priority.NORMAL, gettext_lazy("Discharged from hospital: follow up %(name)s")
    ),
    ListKind.OTHER: Consequence(
        None, Priority.NORMAL, gettext_lazy("On an external list: check on %(name)s")
    ),
}
STEP_MESSAGES = {
    "prepare": gettext_lazy("Preparing names, ID numbers and phones…"),
    "train": gettext_lazy("Estimating how much each field tells…"),
    "predict": gettext_lazy("Comparing the list with the registry…"),
    "done": gettext_lazy("Saving the matches…"),
}


def _invalid(field: str, message: str) -> ApplicationError:
    return ApplicationError(_("Please correct the marked fields."), fields={field: [message]})


def clean_threshold(value) -> float:
    try:
        threshold = float(value)
    except (TypeError, ValueError):
        raise _invalid("threshold", _("must be a number such as 0.9")) from None
    if not MIN_THRESHOLD <= threshold <= MAX_THRESHOLD:
        raise _invalid(
            "threshold",
            _("must be between %(low)s and %(high)s")
            % {"low": MIN_THRESHOLD, "high": MAX_THRESHOLD},
        )
    return threshold


# ------------------------------------------------------------------------- upload


def _seal(text: str):
    return {selectors.SEALED: crypto.encrypt(text)} if text else ""


def _id_columns(parsed: listfile.ListFile) -> set[str]:
    """The columns holding ID numbers: named so, or filled with them whatever the name."""
    columns = set()
    guessed = listfile.guess_mapping(parsed.headers).get(MatchField.ID_NUMBER)
    if guessed:
        columns.add(guessed)
    sample = parsed.rows[:200]
    for header in parsed.headers:
        if listfile.looks_like_id_numbers([data[header] for _n, data in sample]):
            columns.add(header)
    return columns


@transaction.atomic
def crosscheck_upload(
    *,
    actor,
    community,
    list_kind: str,
    filename: str,
    content: bytes,
    threshold=DEFAULT_THRESHOLD,
) -> CrossCheck:
    """Store an uploaded list, its rows as read; the columns are mapped next. Raises
    ApplicationError (field "file") when the file cannot be read at all."""
    if list_kind not in ListKind.values:
        raise _invalid("list_kind", _("must say what the list is"))
    threshold = clean_threshold(threshold)
    try:
        parsed = listfile.read_list(
            content,
            max_rows=settings.LINLI_IMPORT_MAX_ROWS,
            max_bytes=settings.LINLI_IMPORT_MAX_BYTES,
        )
    except listfile.ListFileError as exc:
        raise ApplicationError(
            exc.message, code="bad_file", fields={"file": [exc.message]}
        ) from exc
    filename = os.path.basename((filename or "").replace("\\", "/"))[:200] or "list"
    crosscheck = CrossCheck.objects.create(
        community=community,
        list_kind=list_kind,
        filename=filename,
        encoding=parsed.encoding or parsed.kind,
        headers=parsed.headers,
        row_count=len(parsed.rows),
        threshold=threshold,
        created_by=_user(actor),
    )
    sealed = _id_columns(parsed)
    CrossCheckRow.objects.bulk_create(
        (
            CrossCheckRow(
                crosscheck=crosscheck,
                number=number,
                data={h: _seal(v) if h in sealed else v for h, v in data.items()},
            )
            for number, data in parsed.rows
        ),
        batch_size=BATCH,
    )
    audit_record(
        actor=actor,
        action="crosscheck.upload",
        target=crosscheck,
        community_id=community.pk,
        detail={
            "filename": filename,
            "list_kind": list_kind,
            "rows": crosscheck.row_count,
            "encoding": crosscheck.encoding,
            "columns": len(parsed.headers),
        },
    )
    return crosscheck


def upload_content(upload) -> bytes:
    """The bytes of an uploaded file, refused before reading it into memory when too big."""
    limit = settings.LINLI_IMPORT_MAX_BYTES
    if upload.size > limit:
        message = _("The file is too big (%(size)s MB); the limit is %(limit)s MB.") % {
            "size": f"{upload.size / 1024 / 1024:.1f}",
            "limit": f"{limit / 1024 / 1024:.1f}",
        }
        raise ApplicationError(message, code="bad_file", fields={"file": [message]})
    return upload.read()


@transaction.atomic
def crosscheck_upload_and_run(
    *,
    actor,
    community,
    list_kind: str,
    filename: str,
    content: bytes,
    mapping: dict,
    threshold=DEFAULT_THRESHOLD,
    language: str | None = None,
) -> CrossCheck:
    """Upload and start at once (the API, given a mapping): a mapping that cannot be used
    refuses the upload too, so nothing is left half-done."""
    crosscheck = crosscheck_upload(
        actor=actor,
        community=community,
        list_kind=list_kind,
        filename=filename,
        content=content,
        threshold=threshold,
    )
    return crosscheck_run_request(
        actor=actor, crosscheck=crosscheck, mapping=mapping, language=language
    )


def suggested_mapping(crosscheck: CrossCheck) -> dict[str, str]:
    """The mapping last used, else the one the column names suggest."""
    return dict(crosscheck.mapping) or listfile.guess_mapping(crosscheck.headers)


# ------------------------------------------------------------------------- mapping


def _label(field: str) -> str:
    return str(MatchField(field).label)


def crosscheck_mapping_check(crosscheck: CrossCheck, mapping: dict) -> dict[str, str]:
    """The mapping {registry field: list column} cleaned, or ApplicationError with one reason
    per field (the message names them too), before anything runs."""
    errors: dict[str, list[str]] = {}
    clean: dict[str, str] = {}
    if not isinstance(mapping, dict):
        raise _invalid("mapping", _("must map registry fields to the list's columns"))
    for field, column in mapping.items():
        column = "" if column is None else str(column).strip()
        if field not in MatchField.values:
            if column:
                errors[str(field)[:40]] = [_("is not a registry field a column can be mapped to")]
            continue
        if not column:
            continue
        if column not in crosscheck.headers:
            errors[field] = [_("the list has no column “%(column)s”") % {"column": column[:60]}]
            continue
        clean[field] = column
    if MatchField.NAME not in clean and MatchField.NAME not in errors:
        errors[MatchField.NAME] = [_("is required: map the column that holds the names")]
    if not any(f in clean or f in errors for f in IDENTIFYING):
        errors[MatchField.ID_NUMBER] = [
            _(
                "map at least one of ID number, phone or birth date besides the name: "
                "a name alone identifies nobody"
            )
        ]
    taken: dict[str, str] = {}
    for field in MatchField.values:  # in the form's order, so the later field is the one told
        column = clean.get(field)
        if column is None:
            continue
        if column in taken:
            errors[field] = [
                _("the column “%(column)s” is already mapped to %(other)s")
                % {"column": column, "other": _label(taken[column])}
            ]
        else:
            taken[column] = field
    if not errors:
        filled = selectors.column_filled(crosscheck, list(clean.values()))
        for field, column in clean.items():
            if not filled[column]:
                errors[field] = [
                    _("the column “%(column)s” is empty in every row: it cannot be linked on")
                    % {"column": column}
                ]
    if errors:
        reasons = "; ".join(
            f"{_label(f) if f in MatchField.values else f}: {' '.join(msgs)}"
            for f, msgs in errors.items()
        )
        raise ApplicationError(
            _("The columns cannot be linked as mapped. %(reasons)s") % {"reasons": reasons},
            code="bad_mapping",
            fields=errors,
        )
    return clean


def _seal_column(crosscheck: CrossCheck, column: str | None) -> None:
    """Seal the cells of the column mapped to ID numbers, if the upload did not (its name and
    values did not say it held them)."""
    if not column:
        return
    changed = []
    rows = CrossCheckRow.objects.filter(crosscheck=crosscheck).only("pk", "data")
    for row in rows.iterator(chunk_size=BATCH):
        value = row.data.get(column)
        if value and not selectors.is_sealed(value):
            row.data[column] = _seal(str(value))
            changed.append(row)
    CrossCheckRow.objects.bulk_update(changed, ["data"], batch_size=BATCH)


@transaction.atomic
def crosscheck_run_request(
    *,
    actor,
    crosscheck: CrossCheck,
    mapping: dict,
    threshold=None,
    language: str | None = None,
) -> CrossCheck:
    """Check the mapping and queue the linkage job (run again: the matches still waiting for
    review are replaced, the reviewed ones stay)."""
    crosscheck = CrossCheck.objects.select_for_update().get(pk=crosscheck.pk)
    if crosscheck.status in {CrossCheckStatus.QUEUED, CrossCheckStatus.RUNNING}:
        raise Conflict(
            _("This list is being linked already; wait until it has finished."), code="running"
        )
    clean = crosscheck_mapping_check(crosscheck, mapping)
    threshold = crosscheck.threshold if threshold in (None, "") else clean_threshold(threshold)
    _seal_column(crosscheck, clean.get(MatchField.ID_NUMBER))
    job = job_create(
        kind=JOB_KIND, created_by=_user(actor), community_id=crosscheck.community_id, total=4
    )
    job.result = {
        "crosscheck_id": crosscheck.pk,
        "url": reverse("crosscheck:detail", args=[crosscheck.pk]),
    }
    job.save(update_fields=["result"])
    crosscheck.mapping = clean
    crosscheck.threshold = threshold
    crosscheck.status = CrossCheckStatus.QUEUED
    crosscheck.job = job
    crosscheck.error = ""
    crosscheck.finished_at = None
    crosscheck.save(update_fields=["mapping", "threshold", "status", "job", "error", "finished_at"])
    audit_record(
        actor=actor,
        action="crosscheck.run",
        target=crosscheck,
        community_id=crosscheck.community_id,
        detail={"mapping": clean, "threshold": threshold, "job": job.pk},
    )
    from linli.tracing.crosscheck_tasks import run_crosscheck

    transaction.on_commit(partial(run_crosscheck.enqueue, crosscheck.pk, language))
    return crosscheck


# ------------------------------------------------------------------------- the job


def crosscheck_run(*, crosscheck_id: int) -> CrossCheck | None:
    """The background job: link the list to the community's registry, store the matches."""
    crosscheck = CrossCheck.objects.select_related("job").get(pk=crosscheck_id)
    if crosscheck.status != CrossCheckStatus.QUEUED:
        return None
    started = CrossCheck.objects.filter(pk=crosscheck.pk, status=CrossCheckStatus.QUEUED).update(
        status=CrossCheckStatus.RUNNING
    )
    if not started:
        return None  # another worker took it
    job = crosscheck.job or job_create(kind=JOB_KIND, community_id=crosscheck.community_id)
    clock = time.monotonic()
    job_progress(job, done=0, total=4, message=_("Reading the registry and the list…"))
    left = selectors.registry_records(crosscheck.community_id)
    right = selectors.list_records(crosscheck)

    def progress(done: int, total: int, step: str) -> None:
        job_progress(job, done=done, total=total, message=str(STEP_MESSAGES.get(step, step)))

    if left and right:
        try:
            result = linkage.link(
                left,
                right,
                types={f: selectors.FIELD_TYPES[f] for f in crosscheck.mapping},
                left_id=selectors.REGISTRY_ID,
                right_id=selectors.LIST_ID,
                threshold=crosscheck.threshold,
                progress=progress,
            )
        except ValueError as exc:  # the engine's own refusals name columns, never values
            _fail(crosscheck, job, _("Linking failed: %(error)s") % {"error": exc})
            return crosscheck
    else:
        result = linkage.LinkResult(
            matches=[], unmatched_right=[r[selectors.LIST_ID] for r in right]
        )
    del left, right  # the decrypted ID numbers go as soon as they are no longer needed
    seconds = time.monotonic() - clock
    with transaction.atomic():
        matched = _save_matches(crosscheck, result.matches)
        CrossCheck.objects.filter(pk=crosscheck.pk).update(
            status=CrossCheckStatus.DONE,
            matched_rows=matched,
            seconds=round(seconds, 3),
            finished_at=timezone.now(),
            error="",
        )
    crosscheck.refresh_from_db()
    job_finish(
        job,
        result={
            "crosscheck_id": crosscheck.pk,
            "url": reverse("crosscheck:detail", args=[crosscheck.pk]),
            "rows": crosscheck.row_count,
            "matched": matched,
            "unmatched": crosscheck.row_count - matched,
            "seconds": round(seconds, 2),
            "training": result.training,
            "compared": list(result.compared),
        },
        message=_("%(m)d of %(n)d rows matched a resident; %(u)d did not.")
        % {"m": matched, "n": crosscheck.row_count, "u": crosscheck.row_count - matched},
    )
    return crosscheck


def _save_matches(crosscheck: CrossCheck, matches) -> int:
    """Replace the matches waiting for review; keep the reviewed ones (a pair once reviewed
    is not proposed again). Returns the rows a match now stands for."""
    existing = CrossCheckMatch.objects.filter(crosscheck=crosscheck)
    reviewed = set(existing.exclude(review=Review.PENDING).values_list("row_id", "resident_id"))
    existing.filter(review=Review.PENDING).delete()
    CrossCheckMatch.objects.bulk_create(
        (
            CrossCheckMatch(
                crosscheck=crosscheck,
                row_id=m.right_id,
                resident_id=m.left_id,
                probability=round(float(m.probability), 6),
                evidence=dict(m.evidence),
            )
            for m in matches
            if m.probability >= crosscheck.threshold and (m.right_id, m.left_id) not in reviewed
        ),
        batch_size=BATCH,
        # A match accepted while this run was saving is kept, not proposed twice.
        ignore_conflicts=True,
    )
    return _mark_rows(crosscheck)


def _mark_rows(crosscheck: CrossCheck, *, row_ids: list[int] | None = None) -> int:
    """A row is matched while a match for it stands (waiting or accepted); a rejected match
    puts the row back among the unmatched. Returns the rows matched now."""
    standing = CrossCheckMatch.objects.filter(row=OuterRef("pk")).exclude(review=Review.DISMISSED)
    rows = CrossCheckRow.objects.filter(crosscheck=crosscheck)
    changing = rows if row_ids is None else rows.filter(pk__in=row_ids)
    changing.update(matched=Exists(standing))
    matched = rows.filter(matched=True).count()
    CrossCheck.objects.filter(pk=crosscheck.pk).update(matched_rows=matched)
    return matched


def _fail(crosscheck: CrossCheck, job, message: str) -> None:
    CrossCheck.objects.filter(pk=crosscheck.pk).update(
        status=CrossCheckStatus.FAILED, error=message[:500], finished_at=timezone.now()
    )
    job_finish(job, failed=True, message=message, result={"crosscheck_id": crosscheck.pk})


def crosscheck_crashed(*, crosscheck_id: int, exc: Exception) -> None:
    """Mark the run failed. Only the kind of error and where it happened are kept: an
    exception's text from deep in the engine may quote a value, an ID number among them."""
    crosscheck = CrossCheck.objects.select_related("job").filter(pk=crosscheck_id).first()
    if crosscheck is None:
        return
    where = ""
    tb = exc.__traceback__
    while tb is not None and tb.tb_next is not None:
        tb = tb.tb_next
    if tb is not None:
        where = f" ({os.path.basename(tb.tb_frame.f_code.co_filename)}:{tb.tb_lineno})"
    logger.error("cross-check %s failed: %s%s", crosscheck_id, type(exc).__name__, where)
    job = crosscheck.job or job_create(kind=JOB_KIND, community_id=crosscheck.community_id)
    _fail(
        crosscheck,
        job,
        _("Linking failed (%(error)s); please try again or tell the administrator.")
        % {"error": f"{type(exc).__name__}{where}"},
    )


# ------------------------------------------------------------------------- the review


@dataclass
class Outcome:
    match: CrossCheckMatch
    changed: bool  # False: nothing done (accepted or rejected already)
    status_from: str = ""
    status_to: str = ""  # the new status, if it changed
    refusal: str = ""  # why the proposed status did not change
    task: object = None


def _reason(match: CrossCheckMatch) -> str:
    crosscheck = match.crosscheck
    text = _("%(kind)s “%(file)s”, row %(row)d (cross-check #%(id)d, probability %(p).2f)") % {
        "kind": ListKind(crosscheck.list_kind).label,
        "file": crosscheck.filename[:120],
        "row": match.row.number,
        "id": crosscheck.pk,
        "p": match.probability,
    }
    return text[:300]


def _match_for_update(match: CrossCheckMatch) -> CrossCheckMatch:
    return (
        # Only the match is locked, not the person, household and building read with it.
        CrossCheckMatch.objects.select_for_update(of=("self",))
        .select_related("crosscheck", "row", "resident__household__building")
        .get(pk=match.pk)
    )


@transaction.atomic
def crosscheck_match_accept(*, actor, match: CrossCheckMatch) -> Outcome:
    """Accept a match: the person is the one on the list. Then what the list's kind asks
    (`CONSEQUENCES`): the status change (refused by the health rules? the acceptance stands
    and the refusal is returned) and a check-on task. Accepting an accepted match does
    nothing; a rejected one may still be accepted (its rejection had no consequences)."""
    match = _match_for_update(match)
    now = timezone.now()
    # Conditional on the state read, so two taps at once cannot both act.
    won = CrossCheckMatch.objects.filter(
        pk=match.pk, review__in=[Review.PENDING, Review.DISMISSED]
    ).update(review=Review.CONFIRMED, reviewed_by=_user(actor), reviewed_at=now)
    if not won:
        match.refresh_from_db()
        return Outcome(match=match, changed=False)
    match.refresh_from_db()
    crosscheck, resident = match.crosscheck, match.resident
    consequence = CONSEQUENCES[crosscheck.list_kind]
    reason = _reason(match)
    outcome = Outcome(match=match, changed=True)
    if consequence.status:
        try:
            change = status_change(
                actor=actor,
                resident=resident,
                to_status=consequence.status,
                reason=reason,
                source=ChangeSource.CROSSCHECK,
            )
        except ApplicationError as exc:
            outcome.refusal = exc.message
        else:
            outcome.status_from, outcome.status_to = change.from_status, change.to_status
    outcome.task, _merged = task_create(
        actor=actor,
        kind=TaskKind.CHECK_VISIT,
        title=(str(consequence.title) % {"name": resident.name})[:120],
        source=Source.MODULE,
        resident=resident,
        priority=consequence.priority,
        note=reason,
    )
    _mark_rows(crosscheck, row_ids=[match.row_id])
    audit_record(
        actor=actor,
        action="crosscheck.accept",
        target=match,
        community_id=crosscheck.community_id,
        detail={
            "crosscheck": crosscheck.pk,
            "row": match.row.number,
            "resident": resident.pk,
            "probability": match.probability,
            "status_to": outcome.status_to,
            "status_refused": bool(outcome.refusal),
            "task": outcome.task.pk,
        },
    )
    return outcome


@transaction.atomic
def crosscheck_match_reject(*, actor, match: CrossCheckMatch) -> Outcome:
    """Reject a match: the person on the list is not this resident; the row goes back among
    the unmatched. Rejecting twice does nothing; an accepted match cannot be rejected, its
    status change and task stand (correct those on the person's record)."""
    match = _match_for_update(match)
    if match.review == Review.CONFIRMED:
        raise Conflict(
            _(
                "This match was accepted already; its status change and task stand. Correct "
                "them on the person's health record if the match was wrong."
            ),
            code="already_accepted",
        )
    won = CrossCheckMatch.objects.filter(pk=match.pk, review=Review.PENDING).update(
        review=Review.DISMISSED, reviewed_by=_user(actor), reviewed_at=timezone.now()
    )
    match.refresh_from_db()
    if not won:
        return Outcome(match=match, changed=False)
    _mark_rows(match.crosscheck, row_ids=[match.row_id])
    audit_record(
        actor=actor,
        action="crosscheck.reject",
        target=match,
        community_id=match.crosscheck.community_id,
        detail={
            "crosscheck": match.crosscheck_id,
            "row": match.row.number,
            "resident": match.resident_id,
            "probability": match.probability,
        },
    )
    return Outcome(match=match, changed=True)


def crosscheck_accept_all(
    *, actor, crosscheck: CrossCheck, at_least: float = ACCEPT_ALL_AT_LEAST
) -> list[Outcome]:
    """Accept every waiting match at or above `at_least`, each in its own transaction (one
    person's refused status does not undo the others)."""
    pending = selectors.matches_for(crosscheck, review=Review.PENDING).filter(
        probability__gte=at_least
    )
    return [crosscheck_match_accept(actor=actor, match=m) for m in list(pending)]
