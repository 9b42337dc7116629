"""Importing a registry sheet: upload, check, preview, then import the valid rows or nothing.

The upload is stored as an ImportBatch and checked by a background job (tasks.check_import);
nothing reaches the registry until a worker confirms, when a second job (tasks.apply_import)
writes the valid rows in chunks, with progress in between. A row whose ID number is registered
updates that person; a row without one updates the person with the same name and birth date in
the same household. Importing the same file twice therefore changes nothing the second time.
"""

import logging
from dataclasses import dataclass
from datetime import timedelta
from functools import partial

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from linli.core import crypto
from linli.core.errors import ApplicationError, Conflict, PermissionDenied
from linli.core.models import Job
from linli.core.services import audit_record, job_create, job_finish, job_progress
from linli.places.models import Building, Community, Household
from linli.places.services import household_get_or_create
from linli.residents import access
from linli.residents.choices import Sex, Tag
from linli.residents.idnumber import mask_id_number
from linli.residents.importing import (
    ImportFileError,
    ParsedRow,
    ParseResult,
    parse_workbook,
)
from linli.residents.models import ImportBatch, ImportStatus, Resident, ResidentTag
from linli.residents.services import resident_apply_fields, resident_set_tags

logger = logging.getLogger(__name__)

CHUNK_ROWS = 500
PREVIEW_ROWS = 10
# What an import may change on a resident (the ciphertext is compared through its hash: Fernet
# encrypts the same number differently every time).
COMPARED_FIELDS = (
    "household_id",
    "name",
    "sex",
    "birth_date",
    "phone",
    "relation",
    "resident_type",
    "disability_level",
    "note",
    "id_number_hash",
)
UPDATED_FIELDS = [
    "household",
    "name",
    "name_pinyin",
    "name_initials",
    "sex",
    "birth_date",
    "phone",
    "relation",
    "resident_type",
    "disability_level",
    "note",
    "id_number_encrypted",
    "id_number_hash",
    "id_number_masked",
    "id_last4",
    "updated_at",
]


# ---------------------------------------------------------------- who may import where


def import_communities(user):
    """The communities `user` may import into. Importing writes anywhere in a community, so it
    takes a community-wide grant (or admin); a grid- or building-level grant is not enough."""
    scope = access.scope_for(user, "import")
    if scope.everywhere:
        return Community.objects.all()
    return Community.objects.filter(pk__in=scope.communities)


def require_import(user) -> list[Community]:
    """The user's import communities, or PermissionDenied (a 403 page saying why)."""
    access.require(user, "import")
    communities = list(import_communities(user))
    if not communities:
        raise PermissionDenied(_("Importing needs a community-wide role."))
    return communities


def import_batch_for(user, pk) -> ImportBatch:
    """A batch of a community the user may import into, else 404 (403 without the role)."""
    communities = require_import(user)
    batch = (
        ImportBatch.objects.filter(pk=pk, community__in=communities)
        .select_related("community", "created_by", "job")
        .first()
    )
    if batch is None:
        raise Http404
    return batch


def example_building_number(community: Community) -> str:
    """A building number of the community, for the template's example row."""
    number = (
        Building.objects.filter(community=community).order_by("pk").values_list("number", flat=True)
    ).first()
    return number or "1"


def import_batches_recent(user, *, limit: int = 10) -> list[ImportBatch]:
    return list(
        ImportBatch.objects.filter(community__in=import_communities(user))
        .select_related("community", "created_by")
        .defer("content", "errors")
        .order_by("-created_at")[:limit]
    )


# ---------------------------------------------------------------- upload, confirm, discard


# A checked sheet that nobody imports or drops still holds ID numbers in the clear: it is
# dropped after a day (PIPL art. 28: keep personal information no longer than needed).
UNCONFIRMED_TTL = timedelta(days=1)


def import_batches_expire(*, now=None) -> int:
    """Drop sheets checked more than a day ago and never imported. Returns how many."""
    cutoff = (now or timezone.now()) - UNCONFIRMED_TTL
    return ImportBatch.objects.filter(status=ImportStatus.VALIDATED, created_at__lt=cutoff).update(
        status=ImportStatus.CANCELLED, content=b"", finished_at=timezone.now()
    )


@transaction.atomic
def import_batch_create(
    *, actor, community: Community, filename: str, content: bytes, language: str | None = None
) -> ImportBatch:
    """Store an uploaded sheet and queue its check. Writes nothing to the registry."""
    import_batches_expire()
    job = job_create(kind="residents.import_check", created_by=actor, community_id=community.pk)
    batch = ImportBatch.objects.create(
        community=community,
        created_by=actor,
        filename=(filename or "registry.xlsx")[:200],
        content=content,
        status=ImportStatus.VALIDATING,
        job=job,
    )
    audit_record(
        actor=actor,
        action="resident.import_upload",
        target=batch,
        community_id=community.pk,
        detail={"filename": batch.filename, "bytes": len(content)},
    )
    from linli.residents.tasks import check_import

    transaction.on_commit(partial(check_import.enqueue, batch.pk, language))
    return batch


@transaction.atomic
def import_batch_confirm(*, actor, batch: ImportBatch, language: str | None = None) -> Job:
    """Start importing the valid rows. Check-and-set on the batch's status, under a row lock,
    so a double click (or two workers clicking at once) imports once."""
    locked = ImportBatch.objects.select_for_update().defer("content").get(pk=batch.pk)
    if locked.status != ImportStatus.VALIDATED:
        raise Conflict(
            _("This file is already being imported, was imported or was dropped."),
            code="import_not_ready",
        )
    if not locked.valid_rows:
        raise ApplicationError(_("There are no valid rows to import."), code="import_empty")
    job = job_create(
        kind="residents.import",
        created_by=actor,
        community_id=locked.community_id,
        total=locked.valid_rows,
    )
    claimed = ImportBatch.objects.filter(pk=locked.pk, status=ImportStatus.VALIDATED).update(
        status=ImportStatus.IMPORTING, job=job
    )
    if not claimed:  # another transaction won (databases without row locks)
        raise Conflict(_("This file is already being imported."), code="import_not_ready")
    from linli.residents.tasks import apply_import

    transaction.on_commit(partial(apply_import.enqueue, locked.pk, language))
    return job


@transaction.atomic
def import_batch_discard(*, actor, batch: ImportBatch) -> None:
    """Drop a checked (or still checking) file: nothing is imported and the sheet is deleted."""
    dropped = ImportBatch.objects.filter(
        pk=batch.pk, status__in=[ImportStatus.VALIDATED, ImportStatus.VALIDATING]
    ).update(status=ImportStatus.CANCELLED, content=b"", finished_at=timezone.now())
    if not dropped:
        raise Conflict(
            _("This file is already being imported, was imported or was dropped."),
            code="import_not_ready",
        )
    audit_record(
        actor=actor,
        action="resident.import_discard",
        target=batch,
        community_id=batch.community_id,
        detail={"filename": batch.filename},
    )


# ---------------------------------------------------------------- the registry side


@dataclass
class Match:
    row: ParsedRow
    resident: Resident | None  # None: a new person
    error: str = ""
    field: str = "id_number"  # the column the error is about


class RegistryIndex:
    """What the import needs to know about one community, loaded once per job: its buildings
    and households, and for each chunk of rows the residents those rows may update."""

    def __init__(self, community: Community):
        self.community = community
        self.buildings = {b.number: b for b in Building.objects.filter(community=community)}
        self.households = {
            (building_id, entrance, room): pk
            for pk, building_id, entrance, room in Household.objects.filter(
                building__community=community
            ).values_list("pk", "building_id", "entrance__number", "room")
        }
        self.claimed: dict[int, int] = {}  # resident pk -> the sheet row that updates it

    def household_key(self, row: ParsedRow) -> tuple:
        return (self.buildings[row.building].pk, row.entrance, row.room)

    def household_id(self, row: ParsedRow) -> int:
        """The household of a row, creating its entrance and household when new."""
        key = self.household_key(row)
        if key not in self.households:
            household = household_get_or_create(
                building=self.buildings[row.building], entrance=row.entrance, room=row.room
            )
            self.households[key] = household.pk
        return self.households[key]

    def match(self, rows: list[ParsedRow]) -> list[Match]:
        """For each row, the registered resident it updates (or None), or why it cannot."""
        hashes = {
            row.row: crypto.keyed_hash(row.values["id_number"])
            for row in rows
            if row.values.get("id_number")
        }
        by_hash = {
            r.id_number_hash: r
            for r in Resident.objects.filter(id_number_hash__in=set(hashes.values()))
            .annotate(community_pk=F("household__building__community_id"))
            .prefetch_related("tags")
        }
        household_ids = {
            self.households[key] for key in map(self.household_key, rows) if key in self.households
        }
        by_person: dict[tuple, Resident] = {}
        for r in Resident.objects.filter(household_id__in=household_ids).prefetch_related("tags"):
            by_person.setdefault((r.household_id, r.name, r.birth_date), r)
        matches = []
        for row in rows:
            resident = by_hash.get(hashes.get(row.row, ""))
            if resident is not None and resident.community_pk != self.community.pk:
                matches.append(
                    Match(row, None, _("is registered to a resident of another community"))
                )
                continue
            if resident is None:
                household_id = self.households.get(self.household_key(row))
                same = by_person.get((household_id, row.values["name"], row.values["birth_date"]))
                # Same name and birth date in the same flat is the same person, unless both
                # have ID numbers and they differ.
                if same is not None and not (row.row in hashes and same.id_number_hash):
                    resident = same
            if resident is not None:
                first = self.claimed.setdefault(resident.pk, row.row)
                if first != row.row:
                    message = _("is the same registered person as row %(row)d") % {"row": first}
                    field = "id_number" if row.row in hashes else "name"
                    matches.append(Match(row, None, message, field))
                    continue
            matches.append(Match(row, resident))
        return matches


def _chunks(items: list, size: int):
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _parse(batch: ImportBatch, *, progress=None) -> ParseResult:
    numbers = Building.objects.filter(community=batch.community_id).values_list("number", flat=True)
    return parse_workbook(
        bytes(batch.content),
        building_numbers=list(numbers),
        max_rows=settings.LINLI_IMPORT_MAX_ROWS,
        max_bytes=settings.LINLI_IMPORT_MAX_BYTES,
        progress=progress,
    )


def _preview_row(row: ParsedRow, resident: Resident | None) -> dict:
    values = row.values
    return {
        "row": row.row,
        "address": f"{row.building}-{row.entrance}-{row.room}",
        "name": values["name"],
        "sex": str(Sex(values["sex"]).label),
        "birth_date": values["birth_date"].isoformat(),
        "id_number": mask_id_number(values.get("id_number", "")),
        "phone": values.get("phone", ""),
        "tags": "、".join(str(Tag(t).label) for t in values.get("tags", [])),
        "updates": resident is not None,
    }


# ---------------------------------------------------------------- the two jobs


def import_batch_check(*, batch_id: int) -> None:
    """The check job: read every row, compare with the registry, store the errors and a
    preview. Writes nothing to the registry."""
    batch = ImportBatch.objects.select_related("community", "job").get(pk=batch_id)
    if batch.status != ImportStatus.VALIDATING:
        return
    job = batch.job or job_create(kind="residents.import_check", community_id=batch.community_id)
    job_progress(job, done=0, message=_("Reading the sheet…"))

    def progress(done, total):
        job_progress(job, done=done, total=total, message=_("Checked %(n)d rows") % {"n": done})

    try:
        result = _parse(batch, progress=progress)
    except ImportFileError as exc:
        _fail(batch, job, exc.message)
        return
    registry = RegistryIndex(batch.community)
    updates, preview = 0, []
    valid = []
    for chunk in _chunks(result.rows, 2000):
        for match in registry.match(chunk):
            if match.error:
                result.reject(match.row, field=match.field, message=match.error)
                continue
            valid.append(match.row)
            updates += match.resident is not None
            if len(preview) < PREVIEW_ROWS:
                preview.append(_preview_row(match.row, match.resident))
    result.rows = valid
    result.errors.sort(key=lambda e: e["row"])
    with transaction.atomic():
        checked = ImportBatch.objects.filter(pk=batch.pk, status=ImportStatus.VALIDATING).update(
            status=ImportStatus.VALIDATED,
            total_rows=result.total_rows,
            valid_rows=len(valid),
            errors=result.errors,
            file_error="",
        )
        job_progress(job, done=result.total_rows, total=result.total_rows)
        job_finish(
            job,
            result={
                "total_rows": result.total_rows,
                "valid_rows": len(valid),
                "error_rows": result.error_rows,
                "updates": updates,
                "creates": len(valid) - updates,
                "preview": preview,
                "sheet": result.sheet,
                "columns": result.columns,
                "ignored_columns": result.ignored_columns,
            },
            message=_("Checked") if checked else _("Dropped"),
        )


def import_batch_apply(*, batch_id: int) -> None:
    """The import job: write the valid rows, CHUNK_ROWS per transaction, publishing progress
    between chunks. Rows are read again from the stored sheet and matched again against the
    registry as it is now."""
    batch = ImportBatch.objects.select_related("community", "job__created_by").get(pk=batch_id)
    if batch.status != ImportStatus.IMPORTING:
        return
    job = batch.job
    actor = job.created_by if job else batch.created_by
    try:
        result = _parse(batch)
    except ImportFileError as exc:  # the sheet was checked; this happens only if rules changed
        _fail(batch, job, exc.message)
        return
    registry = RegistryIndex(batch.community)
    counts = {"created": 0, "updated": 0, "unchanged": 0, "skipped": 0}
    done = 0
    for chunk in _chunks(result.rows, CHUNK_ROWS):
        with transaction.atomic():
            chunk_counts = _apply_chunk(registry, chunk)
        for key, value in chunk_counts.items():
            counts[key] += value
        done += len(chunk)
        job_progress(
            job,
            done=done,
            total=len(result.rows),
            message=_("Imported %(done)d of %(total)d rows")
            % {"done": done, "total": len(result.rows)},
        )
    with transaction.atomic():
        ImportBatch.objects.filter(pk=batch.pk).update(
            status=ImportStatus.IMPORTED,
            created_count=counts["created"],
            updated_count=counts["updated"],
            content=b"",
            finished_at=timezone.now(),
        )
        batch.status = ImportStatus.IMPORTED
        audit_record(
            actor=actor,
            action="resident.import",
            target=batch,
            community_id=batch.community_id,
            detail={
                "filename": batch.filename,
                "rows": len(result.rows),
                "error_rows": result.error_rows,
                **counts,
            },
        )
        job_finish(job, result=counts, message=_("Imported"))


def _apply_chunk(registry: RegistryIndex, rows: list[ParsedRow]) -> dict:
    counts = {"created": 0, "updated": 0, "unchanged": 0, "skipped": 0}
    now = timezone.now()
    new: list[tuple[Resident, list[str]]] = []
    changed: list[Resident] = []
    for match in registry.match(rows):
        if match.error:
            counts["skipped"] += 1
            continue
        values = dict(match.row.values)
        household_id = registry.household_id(match.row)
        resident = match.resident
        if resident is None:
            resident = Resident(household_id=household_id)
            resident_apply_fields(resident, values)
            new.append((resident, _tags_for_new(values)))
            continue
        if values.get("id_number") and crypto.keyed_hash(values["id_number"]) == (
            resident.id_number_hash
        ):
            del values["id_number"]  # unchanged: keep the ciphertext as it is
        elif not values.get("id_number") and resident.id_number_hash:
            # The registered ID number says the sex and birth date; a sheet without one
            # does not overrule it.
            values.pop("sex", None)
            values.pop("birth_date", None)
        before = [getattr(resident, f) for f in COMPARED_FIELDS]
        resident_apply_fields(resident, values)
        resident.household_id = household_id
        tags_now = {t.tag for t in resident.tags.all()}
        tags_wanted = set(values["tags"]) if "tags" in values else set(tags_now)
        if resident.disability_level:
            tags_wanted.add(Tag.DISABLED)
        fields_changed = before != [getattr(resident, f) for f in COMPARED_FIELDS]
        if fields_changed:
            resident.updated_at = now
            changed.append(resident)
        if tags_wanted != tags_now:
            resident_set_tags(resident, sorted(tags_wanted))
        if fields_changed or tags_wanted != tags_now:
            counts["updated"] += 1
        else:
            counts["unchanged"] += 1
    if new:
        Resident.objects.bulk_create([r for r, _tags in new])
        ResidentTag.objects.bulk_create(
            [ResidentTag(resident=r, tag=t) for r, tags in new for t in tags]
        )
        counts["created"] = len(new)
    if changed:
        Resident.objects.bulk_update(changed, UPDATED_FIELDS)
    return counts


def _tags_for_new(values: dict) -> list[str]:
    tags = list(values.get("tags", []))
    if values.get("disability_level") and Tag.DISABLED not in tags:
        tags.append(Tag.DISABLED)
    return tags


def _fail(batch: ImportBatch, job: Job | None, message: str) -> None:
    with transaction.atomic():
        ImportBatch.objects.filter(pk=batch.pk).update(
            status=ImportStatus.FAILED,
            file_error=message[:300],
            content=b"",
            finished_at=timezone.now(),
        )
        if job is not None:
            job_finish(job, message=message, failed=True)


def import_batch_crashed(*, batch_id: int, exc: BaseException) -> None:
    """A job died on something unexpected: say so on the batch, so nobody waits forever."""
    logger.exception("registry import %s failed", batch_id, exc_info=exc)
    batch = ImportBatch.objects.select_related("job").filter(pk=batch_id).first()
    if batch is None:
        return
    if batch.status == ImportStatus.IMPORTING:
        message = _(
            "The import stopped on an unexpected error. Rows already imported are kept; "
            "uploading the same file again updates them and adds the rest."
        )
    else:
        message = _("The file could not be checked because of an unexpected error.")
    _fail(batch, batch.job, message)
