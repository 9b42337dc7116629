"""Bulk import of laboratory test results (issue 5, "test results imported in bulk from a
lab's Excel/CSV").

A laboratory sends a sheet with one row per sample: name, ID number, test kind, result,
sampling date and place. The headers come in Chinese or English, the CSV in UTF-8 (with or
without a BOM) or GBK/GB18030 as Excel in China saves it, or the sheet is an .xlsx workbook.

Three steps:
- `parse_lab_file` reads the file with no database: a file that cannot be read, or lacks a
  required column, raises LabFileError naming it, before anything runs; each bad row becomes a
  row error (row number as the sheet shows it, and the reason). ID numbers are hashed
  (`keyed_hash` of the normalised number) the moment they are read, so the plain numbers never
  reach the database, not even the job's stored rows.
- `lab_import_start` (in the upload request) parses, creates the background job holding the
  parsed rows and queues it.
- `lab_import_run` (the job) matches each row to a resident of the community by the ID-number
  hash, checks the name, and records it through `services.lab_result_record(imported=True)`,
  which keys a test by person, kind, day and place: importing the same file again updates
  those rows rather than duplicating them.
"""

import codecs
import csv
import io
import re
import unicodedata
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from datetime import date, datetime
from functools import partial

from django.conf import settings
from django.db import transaction
from django.http import Http404
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from openpyxl import load_workbook
from openpyxl.utils.datetime import from_excel

from linli.core.crypto import keyed_hash
from linli.core.errors import ApplicationError, PermissionDenied
from linli.core.models import Job
from linli.core.services import audit_record, job_create, job_finish, job_progress
from linli.health.access import MESSAGES, communities_for
from linli.health.choices import LabKind, LabOutcome
from linli.residents.idnumber import IdNumberError, mask_id_number, parse_id_number
from linli.residents.importing import ImportFileError, check_file

LAB_IMPORT_JOB = "health.lab_import"
# The header may sit below a title row or two ("某某医院核酸检测结果").
HEADER_SEARCH_ROWS = 10
PROGRESS_EVERY = 25
OLE_MAGIC = b"\xd0\xcf\x11\xe0"  # an old binary .xls workbook


@dataclass(frozen=True)
class Column:
    key: str
    zh: str
    en: str
    required: bool
    aliases: tuple[str, ...]

    @property
    def label(self) -> str:
        return f"{self.zh}/{self.en}"


COLUMNS = (
    Column(
        "name", "姓名", "name", True, ("受检人", "受检者", "受检人姓名", "被采样人", "full name")
    ),
    Column(
        "id_number",
        "身份证号",
        "ID number",
        True,
        ("身份证号码", "证件号码", "证件号", "公民身份号码", "身份证", "id", "id no", "id card"),
    ),
    Column(
        "kind",
        "检测类型",
        "test",
        True,
        ("项目", "检测项目", "检测方式", "类型", "test kind", "test type", "kind", "type"),
    ),
    Column("outcome", "结果", "result", True, ("检测结果", "outcome", "test result")),
    Column(
        "sampled_on",
        "采样日期",
        "sampling date",
        True,
        ("采样时间", "采样日", "日期", "sample date", "sampled on", "sampling time", "date"),
    ),
    Column("place", "采样地点", "place", False, ("采样点", "地点", "sampling place", "location")),
)
COLUMN_BY_KEY = {c.key: c for c in COLUMNS}


def _header_key(value) -> str:
    text = unicodedata.normalize("NFKC", "" if value is None else str(value))
    text = re.sub(r"\(.*?\)", "", text)  # "身份证号(18位)", "结果（阴/阳）"
    return re.sub(r"[\s*:_\-/]", "", text).lower()


HEADER_KEYS = {
    _header_key(name): c.key for c in COLUMNS for name in (c.zh, c.en, c.label, *c.aliases)
}

PCR_WORDS = ("核酸", "pcr", "nucleic", "naat")
ANTIGEN_WORDS = ("抗原", "antigen")
OUTCOME_WORDS = {
    LabOutcome.NEGATIVE: {"阴性", "阴", "negative", "neg", "-", "(-)", "n"},
    LabOutcome.POSITIVE: {"阳性", "阳", "弱阳性", "positive", "pos", "+", "(+)", "p"},
    LabOutcome.INCONCLUSIVE: {
        "可疑",
        "不确定",
        "待复核",
        "待定",
        "无效",
        "inconclusive",
        "indeterminate",
        "invalid",
    },
}
DATE_RE = re.compile(r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?(?:[\sT].*)?$")
COMPACT_DATE_RE = re.compile(r"^(\d{4})(\d{2})(\d{2})$")


class LabFileError(Exception):
    """The file as a whole cannot be imported; the message says why and what to do."""

    def __init__(self, message):
        super().__init__(str(message))
        self.message = str(message)


class CellError(ValueError):
    pass


@dataclass
class LabRow:
    """One readable row: the ID number only as its hash and its masked form."""

    row: int
    name: str
    id_hash: str
    id_masked: str
    kind: str
    outcome: str
    sampled_on: str  # ISO date, as the job stores it in JSON
    place: str

    @property
    def key(self) -> tuple:
        return (self.id_hash, self.kind, self.sampled_on, self.place)


@dataclass
class LabParse:
    rows: list[LabRow] = field(default_factory=list)
    errors: list[dict] = field(default_factory=list)  # {"row", "name", "id_masked", "reason"}
    columns: dict[str, str] = field(default_factory=dict)  # key -> header as written


# ------------------------------------------------------------------ reading the file


def decode_text(content: bytes) -> str:
    """CSV text: UTF-8 (BOM or not), UTF-16 with a BOM (Excel's "Unicode text"), else GBK's
    superset GB18030, which Excel on a Chinese Windows writes."""
    if content.startswith(codecs.BOM_UTF8):
        encoding, content = "utf-8", content[len(codecs.BOM_UTF8) :]
    elif content.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        encoding = "utf-16"
    else:
        try:
            return content.decode("utf-8")
        except UnicodeDecodeError:
            encoding = "gb18030"
    try:
        text = content.decode(encoding)
    except UnicodeDecodeError as exc:
        raise LabFileError(
            _("The file is not readable text: save it as CSV (UTF-8 or GBK) or as .xlsx.")
        ) from exc
    return text


def _csv_rows(content: bytes) -> Iterator[tuple[int, list]]:
    text = decode_text(content)
    if "\x00" in text:
        raise LabFileError(_("This is not a CSV file: save the sheet as CSV or as .xlsx."))
    first_lines = "\n".join(text.splitlines()[:5])
    # The separator the first lines use most: commas, or tabs and semicolons from some exports.
    delimiter = max([",", "\t", ";"], key=first_lines.count)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        for cells in reader:
            yield reader.line_num, cells
    except csv.Error as exc:
        raise LabFileError(
            _("The CSV file is damaged near line %(n)d: %(error)s")
            % {"n": reader.line_num, "error": exc}
        ) from exc


def _xlsx_sheets(content: bytes) -> Iterator[Iterator[tuple[int, list]]]:
    try:
        check_file(content, max_bytes=settings.LINLI_IMPORT_MAX_BYTES)
    except ImportFileError as exc:
        raise LabFileError(exc.message) from exc
    try:
        book = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds of error on a damaged file
        raise LabFileError(
            _("The workbook cannot be opened; save it again as .xlsx or as CSV.")
        ) from exc
    for sheet in book.worksheets:
        yield ((n, list(cells)) for n, cells in enumerate(sheet.iter_rows(values_only=True), 1))


def _tables(content: bytes, filename: str) -> Iterator[Iterator[tuple[int, list]]]:
    """Each sheet of the file as (row number, cells) pairs; a CSV is one sheet."""
    if not content:
        raise LabFileError(_("The file is empty."))
    if len(content) > settings.LINLI_IMPORT_MAX_BYTES:
        raise LabFileError(
            _("The file is too big (%(size).1f MB); the limit is %(limit).1f MB.")
            % {
                "size": len(content) / 1024 / 1024,
                "limit": settings.LINLI_IMPORT_MAX_BYTES / 1024 / 1024,
            }
        )
    if content.startswith(OLE_MAGIC):
        raise LabFileError(
            _("This is an old Excel .xls file. Save it as .xlsx or as CSV and upload that.")
        )
    if content.startswith(b"PK\x03\x04") or filename.lower().endswith(".xlsx"):
        yield from _xlsx_sheets(content)
    else:
        yield _csv_rows(content)


def _find_header(tables) -> tuple[Iterator, int, dict[int, str], dict[str, str]]:
    """The first row (in the first HEADER_SEARCH_ROWS of a sheet) naming two known columns:
    the rest of that sheet's rows, its number, column index -> key and key -> header."""
    for rows in tables:
        for number, cells in rows:
            if number > HEADER_SEARCH_ROWS:
                break
            index, headers = {}, {}
            for i, value in enumerate(cells):
                key = HEADER_KEYS.get(_header_key(value))
                if key and key not in headers:  # a repeated column: the first one counts
                    index[i], headers[key] = key, str(value).strip()[:50]
            if len(headers) >= 2:
                return rows, number, index, headers
    return iter(()), 0, {}, {}


# ------------------------------------------------------------------ cells


def cell_text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime):
        return value.isoformat(" ")
    return unicodedata.normalize("NFKC", str(value)).strip()[:500]


def _name(value) -> str:
    name = cell_text(value)
    if not name:
        raise CellError(_("is required"))
    if len(name) > 50:
        raise CellError(_("must be at most %(n)d characters") % {"n": 50})
    return name


def _id_number(value) -> str:
    if isinstance(value, float):
        # Excel keeps 15 significant digits: the last digits of an 18-digit number typed into
        # a number cell are already lost.
        raise CellError(_("the ID number was stored as a number and Excel dropped its last digits"))
    text = cell_text(value).lstrip("'")
    if not text:
        raise CellError(_("is required"))
    try:
        return parse_id_number(text).number
    except IdNumberError as exc:
        raise CellError(str(exc)) from exc


def _kind(value) -> str:
    text = cell_text(value).lower()
    if any(word in text for word in PCR_WORDS):
        return LabKind.PCR
    if any(word in text for word in ANTIGEN_WORDS):
        return LabKind.ANTIGEN
    raise CellError(_("must be PCR (核酸) or antigen (抗原)"))


def _outcome(value) -> str:
    text = re.sub(r"\s", "", cell_text(value).lower())
    for outcome, words in OUTCOME_WORDS.items():
        if text in words:
            return outcome
    for outcome, word in (
        (LabOutcome.NEGATIVE, "阴性"),
        (LabOutcome.POSITIVE, "阳性"),
        (LabOutcome.NEGATIVE, "negative"),
        (LabOutcome.POSITIVE, "positive"),
    ):
        if word in text:
            return outcome
    raise CellError(_("must be negative (阴性), positive (阳性) or inconclusive (可疑)"))


def _date(value, today: date) -> date:
    if isinstance(value, datetime):
        day = value.date()
    elif isinstance(value, date):
        day = value
    elif isinstance(value, int | float) and 20_000 < value < 80_000:
        day = from_excel(value).date()  # a date serial in a cell without a date format
    else:
        text = cell_text(value)
        match = DATE_RE.match(text) or COMPACT_DATE_RE.match(text)
        if not text:
            raise CellError(_("is required"))
        if match is None:
            raise CellError(_("must be a date such as 2022-04-01"))
        try:
            day = date(*(int(part) for part in match.groups()))
        except ValueError as exc:
            raise CellError(_("must be a date such as 2022-04-01")) from exc
    if day > today:
        raise CellError(_("cannot be in the future"))
    if day.year < 2019:
        raise CellError(_("is not a plausible sampling date"))
    return day


def _place(value) -> str:
    place = cell_text(value)
    if len(place) > 100:
        raise CellError(_("must be at most %(n)d characters") % {"n": 100})
    return place


def _row(number: int, raw: dict, today: date) -> LabRow:
    """One row, or CellError naming the column."""
    values = {}
    for key, read in (
        ("name", _name),
        ("id_number", _id_number),
        ("kind", _kind),
        ("outcome", _outcome),
        ("sampled_on", lambda v: _date(v, today)),
        ("place", _place),
    ):
        try:
            values[key] = read(raw.get(key))
        except CellError as exc:
            raise CellError(f"{COLUMN_BY_KEY[key].label}: {exc}") from exc
    number_ = values["id_number"]
    return LabRow(
        row=number,
        name=values["name"],
        id_hash=keyed_hash(number_),
        id_masked=mask_id_number(number_),
        kind=values["kind"],
        outcome=values["outcome"],
        sampled_on=values["sampled_on"].isoformat(),
        place=values["place"],
    )


def _masked(value) -> str:
    text = re.sub(r"[\s\-]", "", cell_text(value).lstrip("'")).upper()
    return mask_id_number(text) if text else ""


def parse_lab_file(
    content: bytes, *, filename: str = "", today: date, max_rows: int | None = None
) -> LabParse:
    """Read a lab's sheet. Raises LabFileError for the file as a whole (unreadable, a required
    column missing, too many rows); every other problem is a row error."""
    max_rows = max_rows or settings.LINLI_IMPORT_MAX_ROWS
    rows, header_row, index, headers = _find_header(_tables(content, filename))
    missing = [c.label for c in COLUMNS if c.required and c.key not in headers]
    if missing:
        raise LabFileError(
            _("The file has no column for: %(columns)s. Name the columns in the first row.")
            % {"columns": ", ".join(missing)}
        )
    result = LabParse(columns=headers)
    seen: dict[tuple, int] = {}
    count = 0
    for number, cells in rows:
        raw = {key: cells[i] for i, key in index.items() if i < len(cells)}
        if not any(cell_text(v) for v in raw.values()):
            continue  # an empty line between blocks, or the sheet's formatted tail
        count += 1
        if count > max_rows:
            raise LabFileError(
                _("The file has more than %(n)d rows; split it in parts.") % {"n": max_rows}
            )
        try:
            row = _row(number, raw, today)
        except CellError as exc:
            result.errors.append(
                {
                    "row": number,
                    "name": cell_text(raw.get("name"))[:50],
                    "id_masked": _masked(raw.get("id_number")),
                    "reason": str(exc),
                }
            )
            continue
        if row.key in seen:
            result.errors.append(
                {
                    "row": number,
                    "name": row.name,
                    "id_masked": row.id_masked,
                    "reason": _("the same test as row %(n)d") % {"n": seen[row.key]},
                }
            )
            continue
        seen[row.key] = number
        result.rows.append(row)
    if not result.rows and not result.errors:
        raise LabFileError(_("The file has a header row but no results under it."))
    return result


# ------------------------------------------------------------------ the job


def lab_import_communities(user):
    return communities_for(user, "import_tests")


@transaction.atomic
def lab_import_start(
    *, actor, community, content: bytes, filename: str, language: str | None = None
) -> Job:
    """Check the file now (a clear message at once, nothing runs for a bad file), then
    record the rows in the background. Returns the job; its page shows progress and, when
    done, what was imported and every row that was not, with the reason."""
    if not lab_import_communities(actor).filter(pk=community.pk).exists():
        raise PermissionDenied(str(MESSAGES["import_tests"]))
    try:
        parsed = parse_lab_file(content, filename=filename, today=timezone.localdate())
    except LabFileError as exc:
        raise ApplicationError(exc.message, fields={"file": [exc.message]}) from exc
    job = job_create(
        kind=LAB_IMPORT_JOB, created_by=actor, community_id=community.pk, total=len(parsed.rows)
    )
    job.result = {
        "file": filename[:200],
        "rows": [asdict(r) for r in parsed.rows],
        "errors": parsed.errors,
    }
    job.save(update_fields=["result"])
    audit_record(
        actor=actor,
        action="health.lab_import_start",
        target=job,
        community_id=community.pk,
        detail={"file": filename[:200], "rows": len(parsed.rows), "invalid": len(parsed.errors)},
    )
    from linli.health.tasks import import_lab_results

    transaction.on_commit(
        partial(import_lab_results.enqueue, job.pk, language or translation.get_language())
    )
    return job


def lab_import_job_for(user, pk) -> Job:
    """A lab import job, visible to the person who started it."""
    job = Job.objects.filter(pk=pk, kind=LAB_IMPORT_JOB, created_by=user).first()
    if job is None or not user.is_authenticated:
        raise Http404
    return job


def _same_name(a: str, b: str) -> bool:
    def key(name):
        return re.sub(r"[\s·•.]", "", unicodedata.normalize("NFKC", name)).lower()

    return key(a) == key(b)


def _reason(exc: ApplicationError) -> str:
    if not exc.fields:
        return exc.message
    return "; ".join(f"{name}: {', '.join(msgs)}" for name, msgs in exc.fields.items())


def lab_import_run(*, job_id: int) -> None:
    """The background part: match, check the name, record. Each row is its own transaction,
    so one refused row leaves the others recorded."""
    from linli.health.services import lab_result_record
    from linli.residents.models import Resident

    job = Job.objects.select_related("created_by").get(pk=job_id)
    params = job.result
    rows = [LabRow(**r) for r in params.get("rows", [])]
    errors = list(params.get("errors", []))
    people = {
        r.id_number_hash: r
        for r in Resident.objects.active()
        .filter(
            household__building__community_id=job.community_id,
            id_number_hash__in={r.id_hash for r in rows},
        )
        .select_related("household__building")
    }
    created = updated = 0
    job_progress(job, done=0, total=len(rows), message=_("Recording test results…"))
    for done, row in enumerate(rows, start=1):
        resident = people.get(row.id_hash)
        problem = ""
        if resident is None:
            problem = _("no resident of this community has this ID number")
        elif not _same_name(resident.name, row.name):
            problem = _("the registry has %(name)s under this ID number, not this name") % {
                "name": resident.name
            }
        else:
            try:
                _result, new = lab_result_record(
                    actor=job.created_by,
                    resident=resident,
                    kind=row.kind,
                    outcome=row.outcome,
                    sampled_on=date.fromisoformat(row.sampled_on),
                    place=row.place,
                    imported=True,
                )
            except ApplicationError as exc:
                problem = _reason(exc)
            else:
                created += new
                updated += not new
        if problem:
            errors.append(
                {"row": row.row, "name": row.name, "id_masked": row.id_masked, "reason": problem}
            )
        if done % PROGRESS_EVERY == 0:
            job_progress(job, done=done)
    errors.sort(key=lambda e: e["row"])
    job_finish(
        job,
        result={
            "file": params.get("file", ""),
            "created": created,
            "updated": updated,
            "errors": errors,
        },
        message=_(
            "%(created)d new test results, %(updated)d already on record, "
            "%(errors)d rows not imported."
        )
        % {"created": created, "updated": updated, "errors": len(errors)},
    )


def lab_import_crashed(*, job_id: int, exc: BaseException) -> None:
    job = Job.objects.filter(pk=job_id).first()
    if job is None:
        return
    job_finish(
        job,
        result={"file": job.result.get("file", ""), "errors": job.result.get("errors", [])},
        message=_("The import stopped with an error: %(error)s") % {"error": exc},
        failed=True,
    )


def lab_import_jobs_recent(user, *, limit: int = 10) -> list[Job]:
    return list(Job.objects.filter(kind=LAB_IMPORT_JOB, created_by=user)[:limit])
