"""Every write to the registry. Each runs in one transaction with its audit event."""

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from linli.core import crypto
from linli.core.errors import ApplicationError, Conflict
from linli.core.services import audit_record
from linli.residents.idnumber import mask_id_number
from linli.residents.models import Resident, ResidentTag, Verification
from linli.residents.validation import FieldErrors, clean_resident

# The fields a before/after snapshot records (never the ID number itself).
SNAPSHOT_FIELDS = (
    "name",
    "sex",
    "birth_date",
    "phone",
    "relation",
    "resident_type",
    "id_number_masked",
    "disability_level",
    "note",
    "household_id",
    "moved_out_on",
)


def snapshot(resident: Resident) -> dict:
    data = {f: getattr(resident, f) for f in SNAPSHOT_FIELDS}
    data["tags"] = sorted(t.tag for t in resident.tags.all()) if resident.pk else []
    return {k: (v.isoformat() if hasattr(v, "isoformat") else v) for k, v in data.items()}


def _community_id(household) -> int:
    return household.building.community_id


def resident_apply_fields(resident: Resident, cleaned: dict) -> None:
    """Copy cleaned values onto an (unsaved or locked) resident, deriving the search keys and
    the encrypted, hashed and masked forms of the ID number. Public for bulk loaders
    (the importer, the demo), which save many residents at once."""
    from linli.residents.pinyin import name_keys

    for field in ("name", "sex", "birth_date", "phone", "relation", "resident_type", "note"):
        if field in cleaned:
            setattr(resident, field, cleaned[field])
    if "disability_level" in cleaned:
        resident.disability_level = cleaned["disability_level"]
    if "name" in cleaned:
        resident.name_pinyin, resident.name_initials = name_keys(resident.name)
    if "id_number" in cleaned:
        number = cleaned["id_number"]
        resident.id_number_encrypted = crypto.encrypt(number) if number else ""
        resident.id_number_hash = crypto.keyed_hash(number) if number else ""
        resident.id_number_masked = mask_id_number(number) if number else ""
        resident.id_last4 = number[-4:] if number else ""


def resident_set_tags(resident: Resident, tags: list[str]) -> None:
    current = set(resident.tags.values_list("tag", flat=True))
    wanted = set(tags)
    if current - wanted:
        resident.tags.filter(tag__in=current - wanted).delete()
    ResidentTag.objects.bulk_create(
        [ResidentTag(resident=resident, tag=t) for t in sorted(wanted - current)]
    )


def _clean(values: dict, *, partial: bool) -> dict:
    try:
        return clean_resident(values, partial=partial)
    except FieldErrors as exc:
        raise ApplicationError(
            _("Please correct the marked fields."), code="invalid", fields=exc.errors
        ) from exc


def _duplicate_error() -> Conflict:
    return Conflict(
        _("A resident with this ID number is already registered."),
        code="duplicate_id_number",
        fields={"id_number": [_("is already registered to another resident")]},
    )


def find_by_id_number(number: str) -> Resident | None:
    return Resident.objects.filter(id_number_hash=crypto.keyed_hash(number)).first()


@transaction.atomic
def resident_create(*, actor, household, values: dict) -> Resident:
    cleaned = _clean(values, partial=False)
    if cleaned.get("id_number") and find_by_id_number(cleaned["id_number"]):
        raise _duplicate_error()
    resident = Resident(household=household)
    resident_apply_fields(resident, cleaned)
    try:
        with transaction.atomic():
            resident.save()
    except IntegrityError as exc:  # a concurrent create with the same ID number won the race
        raise _duplicate_error() from exc
    resident_set_tags(resident, cleaned.get("tags", []))
    audit_record(
        actor=actor,
        action="resident.create",
        target=resident,
        community_id=_community_id(household),
        detail={"after": snapshot(resident)},
    )
    return resident


@transaction.atomic
def resident_update(*, actor, resident: Resident, values: dict, household=None) -> Resident:
    cleaned = _clean(values, partial=True)
    if "birth_date" in cleaned or "sex" in cleaned:
        # Re-check against the stored ID number when only one side changes.
        _check_against_stored_id(resident, cleaned)
    if cleaned.get("id_number"):
        other = find_by_id_number(cleaned["id_number"])
        if other and other.pk != resident.pk:
            raise _duplicate_error()
    resident = Resident.objects.select_for_update().get(pk=resident.pk)
    before = snapshot(resident)
    resident_apply_fields(resident, cleaned)
    if household is not None:
        resident.household = household
    try:
        with transaction.atomic():
            resident.save()
    except IntegrityError as exc:
        raise _duplicate_error() from exc
    if "tags" in cleaned:
        resident_set_tags(resident, cleaned["tags"])
    after = snapshot(resident)
    changed = {k: [before[k], after[k]] for k in after if before.get(k) != after[k]}
    if changed:
        audit_record(
            actor=actor,
            action="resident.update",
            target=resident,
            community_id=_community_id(resident.household),
            detail={"changed": changed},
        )
    return resident


def _check_against_stored_id(resident: Resident, cleaned: dict) -> None:
    if "id_number" in cleaned or not resident.id_number_encrypted:
        return
    from linli.residents.idnumber import parse_id_number

    info = parse_id_number(crypto.decrypt(resident.id_number_encrypted))
    errors = {}
    if cleaned.get("birth_date", info.birth_date) != info.birth_date:
        errors["birth_date"] = [_("does not match the ID number")]
    if cleaned.get("sex", info.sex) != info.sex:
        errors["sex"] = [_("does not match the ID number")]
    if errors:
        raise ApplicationError(_("Please correct the marked fields."), fields=errors)


@transaction.atomic
def resident_verify(*, actor, resident: Resident, method: str, note: str = "") -> Verification:
    from linli.residents.choices import VerificationMethod

    if method not in VerificationMethod.values:
        raise ApplicationError(
            _("Please correct the marked fields."),
            fields={"method": [_("must be a door visit, a phone call or a document check")]},
        )
    now = timezone.now()
    verification = Verification.objects.create(
        resident=resident, verified_by=actor, verified_at=now, method=method, note=note[:200]
    )
    Resident.objects.filter(pk=resident.pk).update(verified_at=now, verified_by=actor)
    resident.verified_at, resident.verified_by = now, actor
    audit_record(
        actor=actor,
        action="resident.verify",
        target=resident,
        community_id=_community_id(resident.household),
        detail={"method": method, "note": note[:200]},
    )
    return verification


@transaction.atomic
def resident_reveal_id(*, actor, resident: Resident, reason: str) -> str:
    """The full ID number, for a worker who needs it and says why. Audited every time."""
    reason = (reason or "").strip()
    if len(reason) < 4:
        raise ApplicationError(
            _("Please say why you need the full ID number."),
            fields={"reason": [_("is required (at least 4 characters)")]},
        )
    if not resident.id_number_encrypted:
        raise ApplicationError(_("No ID number is registered for this resident."), code="no_id")
    audit_record(
        actor=actor,
        action="resident.reveal_id",
        target=resident,
        community_id=_community_id(resident.household),
        detail={"reason": reason[:200]},
    )
    return crypto.decrypt(resident.id_number_encrypted)
