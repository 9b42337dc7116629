"""Reading a registry sheet: an .xlsx workbook in, typed rows and row errors out.

No HTTP and no database: the caller passes the community's building numbers, so this module
can be tested on its own (with hypothesis) and run in a background worker. Field rules are
validation.clean_resident, the same as for the pages and the API.

Two kinds of problems:
- ImportFileError: the file as a whole cannot be read (not an .xlsx workbook, empty, too big,
  too many rows, a required column missing). Nothing in it is imported.
- row errors: {"row", "field", "column", "message"}, rows numbered as Excel shows them. The
  other rows stay importable.
"""

import io
import re
import zipfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time

from django.utils.translation import gettext as _
from openpyxl import Workbook, load_workbook
from openpyxl.comments import Comment
from openpyxl.styles import Font, PatternFill
from openpyxl.utils.datetime import from_excel

from linli.residents.choices import Tag
from linli.residents.columns import IMPORT_COLUMNS
from linli.residents.idnumber import make_id_number
from linli.residents.validation import FieldErrors, clean_resident

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
# A real registry cell is a name or an address; anything longer is a paste gone wrong.
MAX_CELL_CHARS = 500
# A workbook unpacks to more than it weighs; a zip bomb unpacks to far more.
MAX_UNPACKED_RATIO = 20
# The header may sit below a title row or two ("新民主路社区居民花名册").
HEADER_SEARCH_ROWS = 10
NOTES_SHEET = "说明 Notes"
COLUMNS = {c.key: c for c in IMPORT_COLUMNS}

# Headers people actually use in the sheets they keep, besides the template's own.
ALIASES = {
    "building": ["楼栋号", "楼号", "栋", "幢", "楼", "building number"],
    "entrance": ["单元号", "unit", "entrance number"],
    "room": ["房间号", "门牌号", "室", "room number"],
    "sex": ["gender"],
    "birth_date": ["出生年月日", "生日", "birthdate", "date of birth", "birthday"],
    "id_number": ["身份证号码", "公民身份号码", "身份证", "证件号码", "id", "id no"],
    "phone": ["联系电话", "电话", "手机", "手机号码", "电话号码", "mobile", "telephone"],
    "relation": ["关系", "relation to householder"],
    "resident_type": ["人口类型", "type"],
    "tags": ["特殊人群", "重点人群", "special group"],
    "note": ["notes", "remarks"],
}
CHINESE_NUMBERS = {c: i for i, c in enumerate("一二三四五六七八九十", start=1)}
FULL_WIDTH = str.maketrans("０１２３４５６７８９ｘＸ", "0123456789XX")
ID_CHARS_RE = re.compile(r"^[0-9X]+$")


class ImportFileError(Exception):
    """The file as a whole cannot be imported; the message says why and what to do."""

    def __init__(self, message):
        super().__init__(str(message))
        self.message = str(message)


@dataclass
class ParsedRow:
    row: int  # as numbered in the sheet
    building: str  # the building's number as registered
    entrance: int
    room: str
    values: dict  # clean_resident's output: only the cells that were filled in


@dataclass
class ParseResult:
    total_rows: int = 0
    rows: list[ParsedRow] = field(default_factory=list)
    errors: list[dict] = field(default_factory=list)
    columns: dict[str, str] = field(default_factory=dict)  # key -> header as in the sheet
    ignored_columns: list[str] = field(default_factory=list)
    sheet: str = ""

    @property
    def error_rows(self) -> int:
        return len({e["row"] for e in self.errors})

    def reject(self, row: ParsedRow, *, field: str, message: str) -> None:
        """Move a row that looked valid to the errors (a check made after parsing)."""
        self.errors.append(
            {
                "row": row.row,
                "field": field,
                "column": self.columns.get(field, column_label(field)),
                "message": message,
            }
        )


def column_label(key: str) -> str:
    column = COLUMNS[key]
    return f"{column.zh}/{column.en}"


def _normalise_header(value) -> str:
    text = "" if value is None else str(value)
    text = re.sub(r"[（(].*?[）)]", "", text)  # "姓名（必填）", "身份证号(18位)"
    return re.sub(r"[\s*＊:：_]", "", text).lower()


HEADER_KEYS: dict[str, str] = {}
for _column in IMPORT_COLUMNS:
    for _name in [
        _column.zh,
        _column.en,
        f"{_column.zh}/{_column.en}",
        *ALIASES.get(_column.key, []),
    ]:
        HEADER_KEYS[_normalise_header(_name)] = _column.key


# ---------------------------------------------------------------- reading the workbook


def check_file(content: bytes, *, max_bytes: int) -> None:
    """The checks that need no parsing: cheap enough to run while the upload request waits."""
    if not content:
        raise ImportFileError(_("The file is empty."))
    if len(content) > max_bytes:
        raise ImportFileError(
            _("The file is too big (%(size)s MB); the limit is %(limit)s MB. Split it in parts.")
            % {"size": _mb(len(content)), "limit": _mb(max_bytes)}
        )
    if content.startswith(b"\xd0\xcf\x11\xe0"):
        raise ImportFileError(
            _(
                "This is an old Excel .xls file, not an Excel .xlsx workbook. Open it in Excel "
                "or WPS, save it as “Excel Workbook (*.xlsx)” and upload that."
            )
        )
    if not content.startswith(b"PK\x03\x04"):
        raise ImportFileError(_not_xlsx())
    try:
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            names = set(archive.namelist())
            unpacked = sum(info.file_size for info in archive.infolist())
    except (zipfile.BadZipFile, OSError, ValueError, EOFError) as exc:
        raise ImportFileError(_not_xlsx()) from exc
    if "[Content_Types].xml" not in names or not any(n.startswith("xl/") for n in names):
        raise ImportFileError(_not_xlsx())
    if unpacked > MAX_UNPACKED_RATIO * max_bytes:
        raise ImportFileError(
            _("The workbook unpacks to more than %(limit)s MB; split it in parts.")
            % {"limit": _mb(MAX_UNPACKED_RATIO * max_bytes)}
        )


def _mb(size: int) -> str:
    return f"{size / 1024 / 1024:.1f}"


def _not_xlsx() -> str:
    return _(
        "This is not an Excel .xlsx workbook. Save the sheet in Excel or WPS as "
        "“Excel Workbook (*.xlsx)” and upload that file."
    )


def _open(content: bytes):
    try:
        return load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds of error on a damaged file
        raise ImportFileError(_not_xlsx()) from exc


def _header_keys(cells) -> tuple[dict[int, str], dict[str, str], list[str], list[str]]:
    """Map a candidate header row: column index -> key, key -> header text, ignored headers,
    and headers that appear twice."""
    index, headers, ignored, twice = {}, {}, [], []
    for i, value in enumerate(cells):
        text = "" if value is None else str(value).strip()
        if not text:
            continue
        key = HEADER_KEYS.get(_normalise_header(text))
        if key is None:
            ignored.append(text[:50])
        elif key in headers:
            twice.append(text[:50])
        else:
            index[i] = key
            headers[key] = text[:50]
    return index, headers, ignored, twice


def _find_header(book):
    """The first sheet with a row naming at least two known columns, and that row."""
    first_seen = None
    for sheet in book.worksheets:
        if sheet.title == NOTES_SHEET:
            continue
        rows = sheet.iter_rows(values_only=True)
        for number, cells in enumerate(rows, start=1):
            if number > HEADER_SEARCH_ROWS:
                break
            index, headers, ignored, twice = _header_keys(cells or ())
            if first_seen is None:
                first_seen = headers
            if len(headers) >= 2:
                return sheet, number, index, headers, ignored, twice
    return None, 0, {}, first_seen or {}, [], []


def _missing(headers: dict) -> list[str]:
    return [column_label(c.key) for c in IMPORT_COLUMNS if c.required and c.key not in headers]


# ---------------------------------------------------------------- cells


class CellError(ValueError):
    pass


def cell_text(value) -> str:
    """A cell as the text a person sees in it."""
    if value is None:
        return ""
    if isinstance(value, str):
        if len(value) > MAX_CELL_CHARS:
            raise CellError(
                _("the cell is too long (%(n)d characters; at most %(max)d)")
                % {"n": len(value), "max": MAX_CELL_CHARS}
            )
        return value.strip()
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if value.is_integer() and abs(value) < 1e15:
            return str(int(value))
        return repr(value)
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == time() else value.isoformat(" ")
    if isinstance(value, date):
        return value.isoformat()
    return str(value)[:MAX_CELL_CHARS]


def _id_cell(value) -> str:
    if isinstance(value, float):
        # Excel keeps 15 significant digits: an 18-digit number typed into a number cell has
        # already lost its last three digits (and any X) before we see it.
        raise CellError(
            _(
                "the ID number was stored as a number and Excel dropped its last digits; "
                "format the column as text and type the number again"
            )
        )
    # Full-width digits come from Chinese input methods; a leading ' forces text in Excel.
    text = cell_text(value).translate(FULL_WIDTH).lstrip("'")
    text = re.sub(r"[\s\-]", "", text).upper()
    if text and not ID_CHARS_RE.match(text):
        raise CellError(_("ID number must be 17 digits followed by a digit or X"))
    return text


def _date_cell(value):
    if isinstance(value, datetime | date):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        if not 0 < value < 100_000_000:
            return cell_text(value)  # no date; clean_resident says what a date looks like
        number = int(value)
        if 10_000 <= number < 100_000:  # a date serial in a cell without a date format
            return from_excel(number)
        return str(number)  # 19560308 is read as a date by clean_resident
    return cell_text(value)


def _required_text(value) -> str:
    text = cell_text(value)
    if not text:
        raise CellError(_("is required"))
    return text


def _room_cell(value) -> str:
    if isinstance(value, datetime | date):
        raise CellError(
            _("Excel turned the room number into a date; format the column as text and retype it")
        )
    room = re.sub(r"(室|号|房)$", "", _required_text(value))
    if not room or len(room) > 20:
        raise CellError(_("is required, at most 20 characters"))
    return room


def _entrance_cell(value) -> int:
    text = _required_text(value).removesuffix("单元").removesuffix("门").strip()
    if text in CHINESE_NUMBERS:
        return CHINESE_NUMBERS[text]
    if text.isascii() and text.isdigit() and 1 <= int(text) <= 99:
        return int(text)
    raise CellError(_("must be a number from 1 to 99"))


def building_lookup(numbers: Iterable[str]) -> Callable[[str], str | None]:
    """A function from what a sheet says ("12", "12栋", "12号楼") to a registered number."""
    known = {str(n).strip(): str(n) for n in numbers}
    lowered = {k.lower(): v for k, v in known.items()}

    def find(text: str) -> str | None:
        text = text.strip()
        if text in known:
            return known[text]
        if text.lower() in lowered:
            return lowered[text.lower()]
        short = re.sub(r"(号楼|栋|幢|号|楼)$", "", text)
        return known.get(short)

    return find


# ---------------------------------------------------------------- rows

RESIDENT_FIELDS = [c.key for c in IMPORT_COLUMNS if c.key not in {"building", "entrance", "room"}]
CELL_READERS = {"id_number": _id_cell, "birth_date": _date_cell}


def parse_workbook(
    content: bytes,
    *,
    building_numbers: Iterable[str],
    max_rows: int,
    max_bytes: int,
    today: date | None = None,
    progress: Callable[[int, int], None] | None = None,
    progress_every: int = 1000,
) -> ParseResult:
    """Read every row of the sheet. Raises ImportFileError when the file cannot be imported at
    all; otherwise returns the valid rows and one error per bad cell."""
    check_file(content, max_bytes=max_bytes)
    book = _open(content)
    try:
        return _parse_book(
            book,
            find_building=building_lookup(building_numbers),
            max_rows=max_rows,
            today=today,
            progress=progress,
            progress_every=progress_every,
        )
    except ImportFileError:
        raise
    except (zipfile.BadZipFile, KeyError, OSError, EOFError) as exc:
        # A damaged part of the archive shows up only when its rows are read.
        raise ImportFileError(_not_xlsx()) from exc
    finally:
        book.close()


def _parse_book(book, *, find_building, max_rows, today, progress, progress_every):
    sheet, header_row, index, headers, ignored, twice = _find_header(book)
    missing = _missing(headers)
    if sheet is None or missing:
        if not headers and sheet is None:
            raise ImportFileError(
                _(
                    "No header row found. The first row must name the columns, e.g. "
                    "楼栋, 单元, 房号, 姓名 (download the template to see them all). Missing "
                    "columns: %(columns)s"
                )
                % {"columns": ", ".join(missing)}
            )
        raise ImportFileError(_("Missing column: %(columns)s") % {"columns": ", ".join(missing)})
    if twice:
        raise ImportFileError(
            _("These columns appear twice: %(columns)s") % {"columns": ", ".join(twice)}
        )
    result = ParseResult(columns=headers, ignored_columns=ignored, sheet=sheet.title)
    estimate = max((sheet.max_row or 0) - header_row, 0)
    seen_ids: dict[str, int] = {}
    seen_people: dict[tuple, int] = {}
    rows = sheet.iter_rows(min_row=header_row + 1, values_only=True)
    for number, cells in enumerate(rows, start=header_row + 1):
        raw = {key: cells[i] for i, key in index.items() if i < len(cells or ())}
        if all(v is None or (isinstance(v, str) and not v.strip()) for v in raw.values()):
            continue  # blank rows (or rows with only a 序号) are not rows
        result.total_rows += 1
        if result.total_rows > max_rows:
            raise ImportFileError(
                _("The sheet has more than %(max)d rows; split it into smaller files.")
                % {"max": max_rows}
            )
        parsed = _parse_row(number, raw, result, find_building=find_building, today=today)
        if parsed is not None and _unique(parsed, result, seen_ids, seen_people):
            result.rows.append(parsed)
        if progress and result.total_rows % progress_every == 0:
            progress(result.total_rows, max(estimate, result.total_rows))
    if result.total_rows == 0:
        raise ImportFileError(
            _("The sheet has a header row but no residents below it.")
            if header_row
            else _("The file is empty.")
        )
    result.errors.sort(key=lambda e: (e["row"], _column_order(e["field"])))
    return result


def _column_order(key: str) -> int:
    keys = list(COLUMNS)
    return keys.index(key) if key in keys else len(keys)


def _parse_row(number: int, raw: dict, result: ParseResult, *, find_building, today):
    errors: list[tuple[str, str]] = []

    def read(key, parse):
        try:
            return parse(raw.get(key))
        except CellError as exc:
            errors.append((key, str(exc)))
            return None

    registered = None
    building = read("building", _required_text)
    if building is not None:
        registered = find_building(building)
        if registered is None:
            message = _("no building numbered %(number)s in this community")
            errors.append(("building", message % {"number": building[:20]}))
    entrance = read("entrance", _entrance_cell)
    room = read("room", _room_cell)

    values: dict = {}
    unreadable: set[str] = set()
    for key in RESIDENT_FIELDS:
        if key not in raw:
            continue
        value = read(key, CELL_READERS.get(key, cell_text))
        if value is None:
            unreadable.add(key)
        elif value != "":
            values[key] = value  # a blank cell leaves an existing record's value alone
    if "name" not in unreadable:
        values.setdefault("name", "")  # clean_resident says "is required"
    cleaned = None
    try:
        cleaned = clean_resident(values, today=today)
    except FieldErrors as exc:
        id_failed = "id_number" in unreadable or "id_number" in exc.errors
        for key, messages in exc.errors.items():
            if key in unreadable:
                continue  # what is wrong with that cell is said already
            if key in {"sex", "birth_date"} and key not in values and id_failed:
                continue  # "required (or give an ID number)": the ID number error says it
            errors.extend((key, message) for message in messages)
    if errors or cleaned is None:
        for key, message in errors:
            result.errors.append(
                {
                    "row": number,
                    "field": key,
                    "column": result.columns.get(key, column_label(key)),
                    "message": message,
                }
            )
        return None
    return ParsedRow(row=number, building=registered, entrance=entrance, room=room, values=cleaned)


def _unique(row: ParsedRow, result: ParseResult, seen_ids: dict, seen_people: dict) -> bool:
    """A person appears once per file: the same ID number, or the same name and birth date
    at the same address, twice is a mistake in the sheet. The first occurrence is kept."""
    number = row.values.get("id_number")
    if number:
        if number in seen_ids:
            result.reject(
                row,
                field="id_number",
                message=_("duplicate of row %(row)d (same ID number)") % {"row": seen_ids[number]},
            )
            return False
    person = (row.building, row.entrance, row.room, row.values["name"], row.values["birth_date"])
    if person in seen_people:
        result.reject(
            row,
            field="name",
            message=_("duplicate of row %(row)d (same name, birth date and address)")
            % {"row": seen_people[person]},
        )
        return False
    if number:
        seen_ids[number] = row.row
    seen_people[person] = row.row
    return True


# ---------------------------------------------------------------- the template


def template_workbook(*, example_building: str = "1") -> Workbook:
    """The sheet staff download, fill in and upload: one header row with the Chinese headers
    (each with its rule as a cell comment), and a notes sheet with every rule and an example.
    The example sits on the notes sheet, so a template uploaded as it is imports nobody."""
    book = Workbook()
    sheet = book.active
    sheet.title = "居民登记"
    bold = Font(bold=True)
    required_fill = PatternFill("solid", fgColor="FDE7C7")
    for i, column in enumerate(IMPORT_COLUMNS, start=1):
        cell = sheet.cell(row=1, column=i, value=column.zh)
        cell.font = bold
        if column.required:
            cell.fill = required_fill
        cell.comment = Comment(f"{column.en}: {column.help}", "Linli")
        letter = cell.column_letter
        sheet.column_dimensions[letter].width = 22 if column.key == "id_number" else 12
        # Text format, so Excel keeps ID numbers, phone numbers and room numbers as typed.
        if column.key in {"id_number", "phone", "room", "building"}:
            for row in range(2, 1002):
                sheet.cell(row=row, column=i).number_format = "@"
    sheet.freeze_panes = "A2"

    notes = book.create_sheet(NOTES_SHEET)
    notes.append([_("Column"), _("Header (English)"), _("Required"), _("Rule")])
    for cell in notes[1]:
        cell.font = bold
    for column in IMPORT_COLUMNS:
        notes.append([column.zh, column.en, _("yes") if column.required else "", str(column.help)])
    notes.append([])
    notes.append([_("Example row (type your rows on the first sheet, not here):")])
    notes.append([c.zh for c in IMPORT_COLUMNS])
    example = _example_row(example_building)
    notes.append([example.get(c.key, "") for c in IMPORT_COLUMNS])
    notes.append([])
    for line in (
        _("Headers may be in Chinese or English, in any order; other columns are ignored."),
        _("Rows with an ID number that is already registered update that person."),
        _(
            "Rows without an ID number update the person with the same name and birth date "
            "in the same room."
        ),
        _("A blank cell leaves an existing record's value unchanged."),
        _("Type ID numbers as text: Excel drops the last digits of long numbers."),
    ):
        notes.append([line])
    for letter, width in (("A", 14), ("B", 16), ("C", 10), ("D", 60)):
        notes.column_dimensions[letter].width = width
    return book


def _example_row(building: str) -> dict:
    return {
        "building": building,
        "entrance": "1",
        "room": "301",
        "name": "张伟",
        "sex": "男",
        "birth_date": "1956-03-08",
        "id_number": make_id_number("420106", date(1956, 3, 8), 1),
        "phone": "13800001111",
        "relation": "本人",
        "resident_type": "常住",
        "tags": str(Tag.CHRONIC.label),
        "disability_level": "",
        "note": "",
    }


def template_bytes(*, example_building: str = "1") -> bytes:
    buffer = io.BytesIO()
    template_workbook(example_building=example_building).save(buffer)
    return buffer.getvalue()
