"""Export of the (scoped) registry to Excel. ID numbers leave only masked."""

import io

from django.http import HttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from openpyxl import Workbook

from linli.core.services import audit_record
from linli.residents import selectors
from linli.residents.columns import EXPORT_COLUMNS

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def export_rows(residents):
    for r in residents.iterator(chunk_size=2000):
        tags = selectors.resident_tags(r, household_size=r.household_size)
        yield [
            r.household.building.grid.number,
            r.household.building.number,
            r.household.entrance.number,
            r.household.room,
            r.name,
            r.get_sex_display(),
            r.birth_date,
            r.id_number_masked,
            r.phone,
            r.get_relation_display(),
            r.get_resident_type_display(),
            "、".join(str(t.label) for t in tags),
            r.disability_level or "",
            timezone.localtime(r.verified_at).strftime("%Y-%m-%d") if r.verified_at else "",
            r.note,
        ]


def build_workbook(residents, path_or_stream) -> int:
    book = Workbook(write_only=True)
    sheet = book.create_sheet(_("Residents"))
    sheet.append([str(label) for label in EXPORT_COLUMNS])
    count = 0
    for row in export_rows(residents):
        sheet.append(row)
        count += 1
    book.save(path_or_stream)
    return count


def export_response(*, user, residents, filters: dict):
    buffer = io.BytesIO()
    count = build_workbook(residents, buffer)
    audit_record(
        actor=user,
        action="resident.export",
        community_id=_single_community(user),
        detail={
            "rows": count,
            "filters": {k: v for k, v in filters.items() if v not in (None, "")},
        },
    )
    buffer.seek(0)
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    response = HttpResponse(buffer.getvalue(), content_type=XLSX)
    response["Content-Disposition"] = f'attachment; filename="linli-residents-{stamp}.xlsx"'
    return response


def _single_community(user):
    grids = selectors.grids_visible(user)
    ids = {g.community_id for g in grids}
    return ids.pop() if len(ids) == 1 else None
