"""Every write of trajectories and contact tracing: check-ins (a resident's scan, a worker's
record, leaving), direct contacts, tracing runs and the review of the contacts they find.

Exits are often not recorded: a check-in keeps left_at empty and the default stay
(LINLI_DEFAULT_STAY_MINUTES) is assumed where it is read (the trajectory, the tracing export).

A tracing run is a background job (tasks.trace_run): the community's check-ins of the period
go to Parquet, the pure engine (linli.tracing.engine, DuckDB) finds the contacts, and one
TraceContact per person waits for review. Confirming one moves the person's health status
(the health rules apply) and puts a check-on visit in the task pool.
"""

import datetime as dt
import tempfile
import time
from collections import defaultdict
from dataclasses import dataclass, field
from functools import lru_cache, partial
from itertools import combinations, groupby
from operator import itemgetter
from pathlib import Path

from django.conf import settings
from django.db import transaction
from django.db.models import BigIntegerField, Func, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from linli.core.errors import ApplicationError, Conflict
from linli.core.services import audit_record, job_create, job_finish, job_progress
from linli.core.services import user_or_none as _user
from linli.health.choices import ChangeSource, HealthStatus, QuarantineKind
from linli.health.services import quarantine_start, status_change
from linli.residents.models import Resident
from linli.taskpool.choices import Priority, Source, TaskKind
from linli.taskpool.services import task_create
from linli.tracing import engine
from linli.tracing.choices import CheckInSource, ContactKind, Review, RunStatus
from linli.tracing.models import CheckIn, DirectContact, TraceContact, TracingRun

# A second tap or scan at the same place within this long is the same visit, not a new one.
REPEAT_MINUTES = 5
# A visit with no exit older than this is taken as a forgotten exit (the default stay applies),
# not as "still there": a scan elsewhere does not stretch it into a stay of half a day.
OPEN_VISIT_HOURS = 4
# Workers record entries of the last two weeks: the period an investigation looks back on.
LOOKBACK_DAYS = 14
# No public place is visited for longer; a longer stay is a typing mistake.
MAX_STAY_HOURS = 24
# Phones and PCs disagree about the time by a little; that is not "in the future".
CLOCK_SKEW = dt.timedelta(minutes=2)
# Limits of a tracing run's options.
MAX_PERIOD_DAYS = 60
MAX_BUFFER_MINUTES = 240
MAX_SECOND_HOP_CAP = 5000
EXPORT_CHUNK = 10_000
# Ids per `IN (...)` list, well under SQLite's limit on query parameters.
IN_CHUNK = 5000

S = HealthStatus
PROPOSED = {1: S.CLOSE_CONTACT, 2: S.SECONDARY_CONTACT}


def _community_id(resident: Resident) -> int:
    return resident.household.building.community_id


def _invalid(errors: dict) -> ApplicationError:
    return ApplicationError(_("Please correct the marked fields."), fields=errors)


def default_stay() -> dt.timedelta:
    return dt.timedelta(minutes=settings.LINLI_DEFAULT_STAY_MINUTES)


def open_visit(resident: Resident, *, at=None, place=None) -> CheckIn | None:
    """The visit `resident` is taken to be on at `at`: the latest check-in with no exit,
    entered in the last OPEN_VISIT_HOURS."""
    at = at or timezone.now()
    visits = CheckIn.objects.filter(
        resident=resident,
        left_at__isnull=True,
        entered_at__lte=at,
        entered_at__gte=at - dt.timedelta(hours=OPEN_VISIT_HOURS),
    )
    if place is not None:
        visits = visits.filter(place=place)
    return visits.select_related("place").order_by("-entered_at", "-id").first()


# ------------------------------------------------------------------------- check-ins


def _lock(resident: Resident) -> None:
    # Serialises a double tap on PostgreSQL (SQLite serialises every writer anyway), so two
    # requests cannot both see "no open visit" and both create one.
    Resident.objects.select_for_update().filter(pk=resident.pk).values_list("pk").first()


@transaction.atomic
def checkin_scan(*, actor, place, residents, at=None) -> list[tuple[CheckIn, bool]]:
    """A resident scanned `place`'s QR code and entered with `residents` (themselves, or a
    child they check in). Per person (check-in, created): a repeat within REPEAT_MINUTES at
    the same place is the same visit; a visit still open elsewhere ends now (they left it)."""
    # Lock first (in id order, so two taps for a family cannot deadlock), then read the clock:
    # a tap that waited for another must see that one's visit as already begun.
    for resident in sorted(residents, key=lambda r: r.pk):
        _lock(resident)
    at = at or timezone.now()
    results = []
    for resident in residents:
        current = open_visit(resident, at=at)
        if (
            current is not None
            and current.place_id == place.pk
            and at - current.entered_at <= dt.timedelta(minutes=REPEAT_MINUTES)
        ):
            results.append((current, False))
            continue
        if current is not None:
            current.left_at = max(at, current.entered_at)
            current.save(update_fields=["left_at"])
        checkin = CheckIn.objects.create(
            resident=resident,
            place=place,
            entered_at=at,
            source=CheckInSource.SCAN,
            recorded_by=_user(actor),
        )
        results.append((checkin, True))
    return results


def _clean_leave(checkin: CheckIn, at: dt.datetime, now: dt.datetime) -> None:
    if at > now + CLOCK_SKEW:
        raise _invalid({"left_at": [_("cannot be in the future")]})
    if at < checkin.entered_at:
        raise _invalid({"left_at": [_("must be after the entry")]})
    if at - checkin.entered_at > dt.timedelta(hours=MAX_STAY_HOURS):
        raise _invalid(
            {"left_at": [_("must be within %(n)d hours of the entry") % {"n": MAX_STAY_HOURS}]}
        )


@transaction.atomic
def checkin_leave(*, actor, checkins, at=None) -> list[CheckIn]:
    """They left: the exit of each open check-in is `at` (now). Leaving twice (a double tap)
    keeps the first exit."""
    now = timezone.now()
    at = at or now
    done = []
    for checkin in checkins:
        checkin = (
            CheckIn.objects.select_for_update(of=("self",))
            .select_related("place")
            .get(pk=checkin.pk)
        )
        if checkin.left_at is None:
            _clean_leave(checkin, at, now)
            checkin.left_at = at
            checkin.save(update_fields=["left_at"])
        done.append(checkin)
    return done


def _clean_record(entered_at, left_at, now) -> dict:
    errors: dict[str, list] = {}
    if not isinstance(entered_at, dt.datetime):
        errors["entered_at"] = [_("must be a date and time")]
    elif entered_at > now + CLOCK_SKEW:
        errors["entered_at"] = [_("cannot be in the future")]
    elif entered_at < now - dt.timedelta(days=LOOKBACK_DAYS):
        errors["entered_at"] = [_("must be within the last %(n)d days") % {"n": LOOKBACK_DAYS}]
    if left_at is not None:
        if not isinstance(left_at, dt.datetime):
            errors["left_at"] = [_("must be a date and time")]
        elif left_at > now + CLOCK_SKEW:
            errors["left_at"] = [_("cannot be in the future")]
        elif "entered_at" not in errors and left_at < entered_at:
            errors["left_at"] = [_("must be after the entry")]
        elif "entered_at" not in errors and left_at - entered_at > dt.timedelta(
            hours=MAX_STAY_HOURS
        ):
            errors["left_at"] = [
                _("must be within %(n)d hours of the entry") % {"n": MAX_STAY_HOURS}
            ]
    return errors


@transaction.atomic
def checkin_record(
    *, actor, place, resident: Resident, entered_at=None, left_at=None
) -> tuple[CheckIn, bool]:
    """A worker records that `resident` (without a phone) entered `place` at `entered_at`
    (now), and left at `left_at` if known. Sending the same entry again (within
    REPEAT_MINUTES) returns the first one, with the exit added if it was missing."""
    now = timezone.now()
    entered_at = entered_at or now
    errors = _clean_record(entered_at, left_at, now)
    if errors:
        raise _invalid(errors)
    _lock(resident)
    repeat = dt.timedelta(minutes=REPEAT_MINUTES)
    same = (
        CheckIn.objects.filter(
            resident=resident,
            place=place,
            entered_at__gte=entered_at - repeat,
            entered_at__lte=entered_at + repeat,
        )
        .order_by("entered_at")
        .first()
    )
    if same is not None:
        if left_at is not None and same.left_at is None and left_at >= same.entered_at:
            same.left_at = left_at
            same.save(update_fields=["left_at"])
        return same, False
    checkin = CheckIn.objects.create(
        resident=resident,
        place=place,
        entered_at=entered_at,
        left_at=left_at,
        source=CheckInSource.WORKER,
        recorded_by=_user(actor),
    )
    # Whereabouts are sensitive (PIPL art. 28): who wrote where someone was is accountable.
    audit_record(
        actor=actor,
        action="tracing.checkin_record",
        target=resident,
        community_id=place.community_id,
        detail={
            "place": place.pk,
            "entered_at": entered_at.isoformat(),
            "left_at": left_at.isoformat() if left_at else None,
        },
    )
    return checkin, True


@transaction.atomic
def direct_contact_record(
    *, actor, resident: Resident, other: Resident, at, note: str = ""
) -> tuple[DirectContact, bool]:
    """A contact no check-in shows (a visit, a shared car), from an epidemiological
    interview. The same pair at the same time again returns the first record."""
    now = timezone.now()
    note = (note or "").strip()
    errors: dict[str, list] = {}
    if other is None or other.pk == resident.pk:
        errors["other"] = [_("must be another person")]
    if not isinstance(at, dt.datetime):
        errors["at"] = [_("must be a date and time")]
    elif at > now + CLOCK_SKEW:
        errors["at"] = [_("cannot be in the future")]
    elif at < now - dt.timedelta(days=LOOKBACK_DAYS):
        errors["at"] = [_("must be within the last %(n)d days") % {"n": LOOKBACK_DAYS}]
    if len(note) > 200:
        errors["note"] = [_("must be at most %(n)d characters") % {"n": 200}]
    if errors:
        raise _invalid(errors)
    existing = DirectContact.objects.filter(
        Q(resident=resident, other=other) | Q(resident=other, other=resident), at=at
    ).first()
    if existing is not None:
        return existing, False
    contact = DirectContact.objects.create(
        resident=resident, other=other, at=at, note=note, recorded_by=_user(actor)
    )
    audit_record(
        actor=actor,
        action="tracing.direct_contact_record",
        target=resident,
        community_id=_community_id(resident),
        detail={"other": other.pk, "at": at.isoformat()},
    )
    return contact, True


# ------------------------------------------------------------------------- tracing runs


@transaction.atomic
def tracing_run_create(
    *,
    actor,
    community,
    index_cases,
    period_start: dt.datetime | None = None,
    period_end: dt.datetime | None = None,
    buffer_minutes: int | None = None,
    second_hop: bool = False,
    second_hop_cap: int = 500,
    language: str | None = None,
) -> TracingRun:
    """Check the inputs of a tracing run and queue it (tasks.trace_run, on commit). The
    index cases are residents of `community`; the period defaults to the last 14 days."""
    now = timezone.now()
    period_end = period_end or now
    period_start = period_start or period_end - dt.timedelta(days=LOOKBACK_DAYS)
    if buffer_minutes is None:
        buffer_minutes = settings.LINLI_TRACING_BUFFER_MINUTES
    index_cases = list({r.pk: r for r in index_cases}.values())
    errors: dict[str, list] = {}
    if not index_cases:
        errors["index_cases"] = [_("choose at least one index case")]
    outside = [r.name for r in index_cases if r.household.building.community_id != community.pk]
    if outside:
        errors["index_cases"] = [
            _("not residents of this community: %(names)s") % {"names": "、".join(outside)}
        ]
    if period_end <= period_start:
        errors["period_end"] = [_("must be after the start")]
    elif period_end - period_start > dt.timedelta(days=MAX_PERIOD_DAYS):
        errors["period_start"] = [
            _("the period may be at most %(n)d days long") % {"n": MAX_PERIOD_DAYS}
        ]
    if not isinstance(buffer_minutes, int) or not 0 <= buffer_minutes <= MAX_BUFFER_MINUTES:
        errors["buffer_minutes"] = [_("must be 0 to %(n)d minutes") % {"n": MAX_BUFFER_MINUTES}]
    if not isinstance(second_hop_cap, int) or not 1 <= second_hop_cap <= MAX_SECOND_HOP_CAP:
        errors["second_hop_cap"] = [_("must be 1 to %(n)d") % {"n": MAX_SECOND_HOP_CAP}]
    if errors:
        raise _invalid(errors)
    job = job_create(
        kind="tracing.run", created_by=_user(actor), community_id=community.pk, total=100
    )
    run = TracingRun.objects.create(
        community=community,
        period_start=period_start,
        period_end=period_end,
        buffer_minutes=buffer_minutes,
        second_hop=bool(second_hop),
        second_hop_cap=second_hop_cap,
        job=job,
        created_by=_user(actor),
    )
    run.index_cases.set(index_cases)
    # The run is known from the start, so whoever watches the job can open it.
    job.result = {"run_id": run.pk, "url": reverse("tracing:run", args=[run.pk])}
    job.save(update_fields=["result"])
    audit_record(
        actor=actor,
        action="tracing.run_create",
        target=run,
        community_id=community.pk,
        detail={
            "index_cases": [r.pk for r in index_cases],
            "from": period_start.isoformat(),
            "until": period_end.isoformat(),
            "buffer_minutes": buffer_minutes,
            "second_hop": bool(second_hop),
            "second_hop_cap": second_hop_cap,
        },
    )
    from linli.tracing.tasks import trace_run

    transaction.on_commit(partial(trace_run.enqueue, run.pk, language))
    return run


def _epoch(value: dt.datetime | None) -> int | None:
    return None if value is None else int(value.timestamp())


def _aware(epoch: int) -> dt.datetime:
    return dt.datetime.fromtimestamp(int(epoch), tz=dt.UTC)


class Epoch(Func):
    """Seconds since 1970 of a datetime column, computed by the database: turning hundreds of
    thousands of datetimes into Python objects and back costs seconds. SQLite's "%s" is
    written with four %: the template is %-formatted by Func, then once more by the backend
    (which also turns a lone %s into a query parameter)."""

    output_field = BigIntegerField()

    def as_sqlite(self, compiler, connection, **extra):
        template = "CAST(strftime('%%%%s', %(expressions)s) AS INTEGER)"
        return self.as_sql(compiler, connection, template=template, **extra)

    def as_postgresql(self, compiler, connection, **extra):
        template = "CAST(EXTRACT(EPOCH FROM %(expressions)s) AS BIGINT)"
        return self.as_sql(compiler, connection, template=template, **extra)


def export_checkins(run: TracingRun, path: Path) -> int:
    """The check-ins at the community's places that can touch the period (widened by the
    buffer, and by the longest stay for visits that began before it), to Parquet in chunks."""
    buffer = dt.timedelta(minutes=run.buffer_minutes)
    rows = (
        CheckIn.objects.filter(
            place__community_id=run.community_id,
            entered_at__gte=run.period_start - buffer - dt.timedelta(hours=MAX_STAY_HOURS),
            entered_at__lt=run.period_end + buffer,
        )
        .order_by()
        .annotate(entered=Epoch("entered_at"), left=Epoch("left_at"))
        .values_list("resident_id", "place_id", "entered", "left")
        .iterator(chunk_size=EXPORT_CHUNK)
    )
    return engine.write_checkins_parquet(rows, path)


def household_links(community):
    """Every pair of members of a household of the community: a few per household, so all
    of them cost less than working out which ones the run will need."""
    rows = (
        Resident.objects.active()
        .filter(household__building__community=community)
        .order_by("household_id", "id")
        .values_list("household_id", "id")
    )
    for _household, members in groupby(rows.iterator(chunk_size=EXPORT_CHUNK), key=itemgetter(0)):
        ids = [pk for _h, pk in members]
        for a, b in combinations(ids, 2):
            yield (a, b, "household", None)


def direct_links(run: TracingRun):
    in_community = Q(resident__household__building__community_id=run.community_id) | Q(
        other__household__building__community_id=run.community_id
    )
    rows = DirectContact.objects.filter(
        in_community,
        at__gte=run.period_start - dt.timedelta(minutes=run.buffer_minutes),
        at__lt=run.period_end,
    ).values_list("resident_id", "other_id", "at")
    return [(a, b, "direct", _epoch(at)) for a, b, at in rows]


def _closeness(c: engine.Contact) -> tuple:
    # The exposure a reviewer reads first: the earliest, then the closest kind, the longest.
    kinds = (ContactKind.HOUSEHOLD, ContactKind.DIRECT, ContactKind.PLACE)
    return (c.exposure_at, kinds.index(c.kind), -c.overlap_seconds)


def _iso_formatter():
    """Epoch seconds -> local ISO time, remembered: the same stay boundaries recur across the
    encounters of one run, and formatting tens of thousands of them one by one costs seconds."""
    tz = timezone.get_current_timezone()
    return lru_cache(maxsize=65536)(lambda epoch: dt.datetime.fromtimestamp(epoch, tz).isoformat())


def contacts_from_result(run: TracingRun, contacts) -> list[TraceContact]:
    """One TraceContact per person: the first exposure names the source, place and time;
    every meeting found is kept in `encounters`."""
    by_person: dict[int, list] = defaultdict(list)
    for c in contacts:
        by_person[c.person_id].append(c)
    ids = list(by_person)
    known: set[int] = set()
    for i in range(0, len(ids), IN_CHUNK):
        chunk = ids[i : i + IN_CHUNK]
        known.update(Resident.objects.filter(pk__in=chunk).values_list("pk", flat=True))
    iso = _iso_formatter()
    rows = []
    for person, found in by_person.items():
        if person not in known:
            continue  # removed from the registry since the export
        found.sort(key=_closeness)
        first = found[0]
        hop = min(c.hop for c in found)
        rows.append(
            TraceContact(
                run=run,
                resident_id=person,
                source_id=first.source_id,
                hop=hop,
                kind=first.kind,
                place_id=first.place_id,
                exposure_at=_aware(first.exposure_at),
                overlap_seconds=max(0, int(first.overlap_seconds)),
                encounters=[
                    {
                        "kind": c.kind,
                        "source_id": c.source_id,
                        "place_id": c.place_id,
                        "start": iso(int(c.start)),
                        "end": iso(int(c.end)),
                        "overlap_seconds": int(c.overlap_seconds),
                    }
                    for c in sorted(found, key=lambda c: c.start)
                ],
                proposed_status=PROPOSED[hop],
            )
        )
    return rows


def tracing_run_execute(*, run_id: int) -> TracingRun | None:
    """The background job: export, trace, store the contacts for review."""
    run = TracingRun.objects.select_related("community", "job").get(pk=run_id)
    if run.status != RunStatus.QUEUED:
        return None  # a repeated delivery of the same task
    started = time.perf_counter()
    job = run.job or job_create(kind="tracing.run", community_id=run.community_id, total=100)
    TracingRun.objects.filter(pk=run.pk).update(status=RunStatus.RUNNING)
    job_progress(job, done=0, total=100, message=_("Exporting check-ins…"))
    params = engine.TraceParams(
        buffer_seconds=run.buffer_minutes * 60,
        default_stay_seconds=settings.LINLI_DEFAULT_STAY_MINUTES * 60,
        second_hop=run.second_hop,
        second_hop_cap=run.second_hop_cap,
    )
    since, until = _epoch(run.period_start), _epoch(run.period_end)
    cases = [(pk, since, until) for pk in run.index_cases.values_list("pk", flat=True)]

    def progress(done, total, _message):
        share = done / total if total else 0
        job_progress(
            job,
            done=40 + int(50 * share),
            message=_("Finding contacts: step %(done)d of %(total)d")
            % {"done": done, "total": total},
        )

    with tempfile.TemporaryDirectory(prefix="linli-trace-") as folder:
        path = Path(folder) / "checkins.parquet"
        scanned = export_checkins(run, path)
        links = list(household_links(run.community)) + direct_links(run)
        job_progress(
            job,
            done=40,
            message=_("%(n)d check-ins exported; finding contacts…") % {"n": scanned},
        )
        result = engine.trace(path, cases, links, params, progress=progress)
    job_progress(job, done=90, message=_("Saving the contacts…"))
    with transaction.atomic():
        TraceContact.objects.filter(run=run).delete()
        rows = TraceContact.objects.bulk_create(
            contacts_from_result(run, result.contacts), batch_size=1000
        )
        hop1 = sum(1 for r in rows if r.hop == 1)
        run.status = RunStatus.DONE
        run.checkins_scanned = scanned
        run.contacts_found = len(rows)
        run.seconds = round(time.perf_counter() - started, 3)
        run.finished_at = timezone.now()
        run.error = ""
        run.save(
            update_fields=[
                "status",
                "checkins_scanned",
                "contacts_found",
                "seconds",
                "finished_at",
                "error",
            ]
        )
    message = _("%(n)d contacts found: %(one)d close, %(two)d secondary.") % {
        "n": len(rows),
        "one": hop1,
        "two": len(rows) - hop1,
    }
    if result.second_hop_capped:
        message += " " + _("The second hop stopped at the cap of %(n)d people.") % {
            "n": run.second_hop_cap
        }
    job_finish(
        job,
        result={
            "run_id": run.pk,
            "url": reverse("tracing:run", args=[run.pk]),
            "checkins": scanned,
            "contacts": len(rows),
            "hop1": hop1,
            "hop2": len(rows) - hop1,
            "capped": result.second_hop_capped,
            "timings": result.timings,
        },
        message=message,
    )
    return run


def _fail(run: TracingRun, job, message: str) -> None:
    TracingRun.objects.filter(pk=run.pk).update(
        status=RunStatus.FAILED, error=message[:500], finished_at=timezone.now()
    )
    job_finish(job, failed=True, message=message, result={"run_id": run.pk})


def tracing_run_crashed(*, run_id: int, exc: Exception) -> None:
    run = TracingRun.objects.select_related("job").filter(pk=run_id).first()
    if run is None:
        return
    job = run.job or job_create(kind="tracing.run", community_id=run.community_id)
    _fail(run, job, _("Tracing failed: %(error)s") % {"error": exc})


# ------------------------------------------------------------------------- review


def exposure_text(contact: TraceContact) -> str:
    """How the person was exposed, in a sentence a worker reads out on the phone."""
    when = timezone.localtime(contact.exposure_at).strftime("%Y-%m-%d %H:%M")
    values = {"source": contact.source.name, "when": when, "run": contact.run_id}
    if contact.kind == ContactKind.HOUSEHOLD:
        return _("tracing run #%(run)d: lives with %(source)s") % values
    if contact.kind == ContactKind.DIRECT:
        return _("tracing run #%(run)d: met %(source)s on %(when)s") % values
    values["place"] = contact.place.name if contact.place else "?"
    values["minutes"] = round(contact.overlap_seconds / 60)
    return (
        _(
            "tracing run #%(run)d: at %(place)s with %(source)s on %(when)s "
            "(%(minutes)d min together)"
        )
        % values
    )


def _locked_pending(contact: TraceContact) -> TraceContact:
    contact = (
        TraceContact.objects.select_for_update(of=("self",))
        .select_related("run", "resident__household__building", "source", "place")
        .get(pk=contact.pk)
    )
    if contact.review != Review.PENDING:
        raise Conflict(
            _("This contact has already been reviewed: %(review)s.")
            % {"review": contact.get_review_display()},
            code="already_reviewed",
        )
    return contact


@dataclass
class Confirmed:
    contact: TraceContact
    status_changed: bool
    notes: list[str] = field(default_factory=list)


@transaction.atomic
def trace_contact_confirm(
    *, actor, contact: TraceContact, quarantine: bool = False, note: str = ""
) -> Confirmed:
    """The reviewer agrees this person is a contact: their status moves to the proposed one
    (close or secondary contact; if the health rules refuse the move, e.g. the person is
    already a confirmed case, the contact is confirmed and the status stays), a check-on
    visit goes into the pool, and with `quarantine` a home quarantine starts. Returns the
    contact, whether the status moved, and what happened in sentences for the reviewer."""
    contact = _locked_pending(contact)
    resident = contact.resident
    reason = exposure_text(contact)
    notes = []
    changed = True
    try:
        status_change(
            actor=actor,
            resident=resident,
            to_status=contact.proposed_status,
            reason=reason[:300],
            source=ChangeSource.TRACING,
        )
        notes.append(
            _("%(name)s is now %(status)s.")
            % {"name": resident.name, "status": S(contact.proposed_status).label}
        )
    except ApplicationError as exc:
        changed = False
        notes.append(
            _("%(name)s's status stays: %(why)s") % {"name": resident.name, "why": exc.message}
        )
    if quarantine:
        try:
            quarantine_start(
                actor=actor, resident=resident, kind=QuarantineKind.HOME, reason=reason[:300]
            )
            notes.append(_("Home quarantine started."))
        except ApplicationError as exc:
            notes.append(_("No quarantine started: %(why)s") % {"why": exc.message})
    task, _merged = task_create(
        actor=actor,
        kind=TaskKind.CHECK_VISIT,
        title=(
            _("%(status)s: call, test, quarantine — %(name)s")
            % {"status": S(contact.proposed_status).label, "name": resident.name}
        )[:120],
        source=Source.MODULE,
        resident=resident,
        priority=Priority.HIGH if contact.hop == 1 else Priority.NORMAL,
        note=reason,
    )
    notes.append(_("Check-on visit #%(id)d is in the task pool.") % {"id": task.pk})
    contact.review = Review.CONFIRMED
    contact.reviewed_by = _user(actor)
    contact.reviewed_at = timezone.now()
    contact.review_note = (note or "").strip()[:300]
    contact.save(update_fields=["review", "reviewed_by", "reviewed_at", "review_note"])
    audit_record(
        actor=actor,
        action="tracing.contact_confirm",
        target=resident,
        community_id=contact.run.community_id,
        detail={"run": contact.run_id, "contact": contact.pk, "quarantine": bool(quarantine)},
    )
    return Confirmed(contact=contact, status_changed=changed, notes=notes)


@transaction.atomic
def trace_contact_dismiss(*, actor, contact: TraceContact, note: str) -> TraceContact:
    """Not a contact after all (they wore a mask and stayed outside; the scan was a
    mistake): the reviewer says why, and nothing else changes."""
    note = (note or "").strip()
    if not note:
        raise _invalid({"note": [_("is required: say why this is not a contact")]})
    if len(note) > 300:
        raise _invalid({"note": [_("must be at most %(n)d characters") % {"n": 300}]})
    contact = _locked_pending(contact)
    contact.review = Review.DISMISSED
    contact.reviewed_by = _user(actor)
    contact.reviewed_at = timezone.now()
    contact.review_note = note
    contact.save(update_fields=["review", "reviewed_by", "reviewed_at", "review_note"])
    audit_record(
        actor=actor,
        action="tracing.contact_dismiss",
        target=contact.resident,
        community_id=contact.run.community_id,
        detail={"run": contact.run_id, "contact": contact.pk, "note": note},
    )
    return contact


@transaction.atomic
def trace_contacts_confirm_pending(
    *, actor, run: TracingRun, hop: int = 1, quarantine: bool = False
) -> tuple[int, list[str]]:
    """Confirm every contact of `run` of `hop` still waiting for review. Returns how many,
    and the sentences of those whose status could not move."""
    if run.status != RunStatus.DONE:
        raise Conflict(_("The run has not finished yet."), code="run_not_done")
    pending = TraceContact.objects.filter(run=run, hop=hop, review=Review.PENDING)
    count, stayed = 0, []
    for contact in pending.order_by("exposure_at", "id"):
        done = trace_contact_confirm(actor=actor, contact=contact, quarantine=quarantine)
        count += 1
        if not done.status_changed:
            stayed.append(done.notes[0])
    return count, stayed
