"""Reads of the external-list cross-check (大数据核对): who may open which, the two sides the
linkage job compares, and the review queue shown with ID numbers masked on both sides.

ID numbers never leave here in the clear except to the linkage job (`registry_records`,
`list_records`), which keeps them in memory only: the registry's are decrypted from the
resident's ciphertext, the list's from the cells the upload sealed (see crosscheck_services).
"""

from dataclasses import dataclass

from django.db.models import Count
from django.http import Http404
from django.utils.translation import gettext_lazy as _

from linli.core import crypto
from linli.health import access as health_access
from linli.health.choices import HealthStatus
from linli.residents.idnumber import mask_id_number
from linli.residents.models import Resident
from linli.tracing.choices import MatchField, Review
from linli.tracing.models import CrossCheck, CrossCheckMatch, CrossCheckRow

# The column type the linkage engine compares each registry field as.
FIELD_TYPES = {
    MatchField.NAME: "name",
    MatchField.ID_NUMBER: "id_number",
    MatchField.PHONE: "phone",
    MatchField.BIRTH_DATE: "date",
    MatchField.SEX: "sex",
}
# The engine's evidence labels (linli.tracing.linkage._LEVELS), in the reader's language.
EVIDENCE_LABELS = {
    "exact": _("same"),
    "same pinyin": _("same pinyin (homophone)"),
    "other order": _("same characters, other order"),
    "1-2 typos": _("1–2 typos"),
    "1 typo": _("1 typo"),
    "2 typos": _("2 typos"),
    "day and month swapped": _("day and month swapped"),
    "different": _("different"),
    "missing": _("missing on one side"),
}
# Evidence that speaks against the match, shown as a warning.
AGAINST = {"different"}
SEALED = "enc"
REGISTRY_ID = "resident_id"
LIST_ID = "row_id"


# ------------------------------------------------------------------------- access


def crosschecks_for(*, user):
    """The cross-checks of the communities where `user` may cross-check lists."""
    return (
        CrossCheck.objects.filter(community__in=health_access.communities_for(user, "crosscheck"))
        .select_related("community", "created_by", "job")
        .order_by("-created_at", "-pk")
    )


def access_crosscheck(user, pk) -> CrossCheck:
    """The cross-check, if `user` is staff of its community; 403 for roles that never
    cross-check, 404 for another community's list (its existence is not revealed)."""
    health_access.require(user, "crosscheck")
    crosscheck = crosschecks_for(user=user).filter(pk=pk).first()
    if crosscheck is None:
        raise Http404
    return crosscheck


def access_match(user, pk) -> CrossCheckMatch:
    health_access.require(user, "crosscheck")
    match = (
        CrossCheckMatch.objects.filter(
            pk=pk,
            crosscheck__community__in=health_access.communities_for(user, "crosscheck"),
        )
        .select_related("crosscheck", "row", "resident__household__building")
        .first()
    )
    if match is None:
        raise Http404
    return match


# ------------------------------------------------------------------------- cells


def is_sealed(value) -> bool:
    return isinstance(value, dict) and SEALED in value


def cell_plain(value) -> str:
    """A stored cell as its text (a sealed cell decrypted): for the linkage job only."""
    if is_sealed(value):
        return crypto.decrypt(value[SEALED])
    return "" if value is None else str(value)


def cell_shown(value, *, masked: bool = False) -> str:
    """A stored cell as a page or the API shows it: sealed cells and ID columns masked."""
    if is_sealed(value) or masked:
        text = cell_plain(value)
        return mask_id_number(text) if text else ""
    return "" if value is None else str(value)


def row_shown(crosscheck: CrossCheck, data: dict) -> list[tuple[str, str]]:
    """(column, value) of one list row in the list's column order, ID numbers masked."""
    id_column = crosscheck.mapping.get(MatchField.ID_NUMBER)
    return [
        (header, cell_shown(data.get(header), masked=header == id_column))
        for header in crosscheck.headers
    ]


def preview_rows(crosscheck: CrossCheck, *, limit: int = 5) -> list[dict]:
    """The first rows, for the mapping page: staff see what each column holds."""
    rows = CrossCheckRow.objects.filter(crosscheck=crosscheck).order_by("number")[:limit]
    return [{"number": r.number, "cells": row_shown(crosscheck, r.data)} for r in rows]


def column_filled(crosscheck: CrossCheck, columns: list[str]) -> dict[str, bool]:
    """Whether each column has a value in at least one row (an all-empty column cannot be
    linked on)."""
    filled = dict.fromkeys(columns, False)
    data = CrossCheckRow.objects.filter(crosscheck=crosscheck).values_list("data", flat=True)
    for row in data.iterator(chunk_size=2000):
        for column in columns:
            if not filled[column] and row.get(column) not in (None, ""):
                filled[column] = True
        if all(filled.values()):
            break
    return filled


# ------------------------------------------------------------------------- the job's input


def registry_records(community_id: int) -> list[dict]:
    """The community's residents (those living there now) as the linkage engine's left side.
    ID numbers are decrypted here, in memory only; the caller must not store or log them."""
    residents = (
        Resident.objects.active()
        .filter(household__building__community_id=community_id)
        .values_list("pk", "name", "sex", "birth_date", "phone", "id_number_encrypted")
        .order_by("pk")
    )
    return [
        {
            REGISTRY_ID: pk,
            MatchField.NAME: name,
            MatchField.SEX: sex,
            MatchField.BIRTH_DATE: birth.isoformat() if birth else "",
            MatchField.PHONE: phone,
            MatchField.ID_NUMBER: crypto.decrypt(encrypted) if encrypted else "",
        }
        for pk, name, sex, birth, phone, encrypted in residents.iterator(chunk_size=2000)
    ]


def list_records(crosscheck: CrossCheck) -> list[dict]:
    """The list's rows as the engine's right side: one key per mapped registry field."""
    mapping = crosscheck.mapping
    rows = CrossCheckRow.objects.filter(crosscheck=crosscheck).values_list("pk", "data")
    return [
        {LIST_ID: pk, **{f: cell_plain(data.get(column)) for f, column in mapping.items()}}
        for pk, data in rows.order_by("number").iterator(chunk_size=2000)
    ]


# ------------------------------------------------------------------------- the review


@dataclass
class FieldView:
    field: str
    label: str
    column: str  # the list's column mapped to it
    listed: str  # the list's value (ID masked)
    registered: str  # the registry's value (ID masked)
    evidence: str  # the engine's label, as sent
    evidence_label: str  # the same in words
    against: bool


def _registered(resident: Resident, field: str) -> str:
    if field == MatchField.NAME:
        return resident.name
    if field == MatchField.ID_NUMBER:
        return resident.id_number_masked
    if field == MatchField.PHONE:
        return resident.phone
    if field == MatchField.BIRTH_DATE:
        return resident.birth_date.isoformat() if resident.birth_date else ""
    if field == MatchField.SEX:
        return str(resident.get_sex_display()) if resident.sex else ""
    return ""


def match_fields(match: CrossCheckMatch) -> list[FieldView]:
    """The evidence per mapped field, the list's value beside the registry's."""
    mapping = match.crosscheck.mapping
    out = []
    for field in MatchField.values:
        column = mapping.get(field)
        if not column:
            continue
        evidence = match.evidence.get(field, "")
        out.append(
            FieldView(
                field=field,
                label=str(MatchField(field).label),
                column=column,
                listed=cell_shown(match.row.data.get(column), masked=field == MatchField.ID_NUMBER),
                registered=_registered(match.resident, field),
                evidence=evidence,
                evidence_label=str(EVIDENCE_LABELS.get(evidence, evidence)),
                against=evidence in AGAINST,
            )
        )
    return out


def matches_for(crosscheck: CrossCheck, *, review: str | None = None):
    """The matches, most probable first, with what the review page shows of them."""
    qs = CrossCheckMatch.objects.filter(crosscheck=crosscheck)
    if review:
        qs = qs.filter(review=review)
    return qs.select_related(
        "row",
        "reviewed_by",
        "resident__household__building",
        "resident__household__entrance",
        "resident__health",
    ).order_by("-probability", "pk")


def with_fields(matches, crosscheck: CrossCheck) -> list[dict]:
    """Each match with its fields side by side and the person's health status now (to see
    before accepting whether the proposed status can follow)."""
    out = []
    for match in matches:
        match.crosscheck = crosscheck  # the mapping is the list's, known already
        record = getattr(match.resident, "health", None)  # none yet: healthy
        status = record.status if record else HealthStatus.HEALTHY
        out.append(
            {
                "match": match,
                "fields": match_fields(match),
                "status": status,
                "status_label": HealthStatus(status).label,
            }
        )
    return out


def review_counts(crosscheck: CrossCheck) -> dict[str, int]:
    counts = dict.fromkeys(Review.values, 0)
    for review, n in (
        CrossCheckMatch.objects.filter(crosscheck=crosscheck)
        .values_list("review")
        .order_by()
        .annotate(n=Count("pk"))
    ):
        counts[review] = n
    counts["unmatched"] = CrossCheckRow.objects.filter(crosscheck=crosscheck, matched=False).count()
    return counts


def unmatched_rows(crosscheck: CrossCheck):
    """The rows no resident stands matched to: the linkage found none, or staff rejected it."""
    return CrossCheckRow.objects.filter(crosscheck=crosscheck, matched=False).order_by("number")


def rows_shown(crosscheck: CrossCheck, rows) -> list[dict]:
    return [{"number": r.number, "cells": row_shown(crosscheck, r.data)} for r in rows]
