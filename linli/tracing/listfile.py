"""Reading an external list for the cross-check: a CSV (UTF-8 with or without BOM, GBK/GB18030,
UTF-16 as Excel's "Unicode text") or an Excel .xlsx workbook in; its column names and rows, each
cell as the text a person sees, out.

No database: the upload view and the API call `read_list`, the cross-check services store what
it returns. The whole file is refused (ListFileError, its message says why and what to do) when
it is empty, has no header row, has too many rows or bytes, or is neither CSV nor .xlsx; there
are no row errors, because a list's columns only get their meaning at the mapping step.

Cities, railways and hospitals send their lists from many systems: Chinese Windows Excel saves
"CSV" in GBK, WPS and newer Excel in UTF-8 with a BOM, databases in plain UTF-8. The encoding
is detected, not asked: UTF-8 is tried strictly first, because GBK would decode most UTF-8
bytes into plausible-looking nonsense, while UTF-8 rejects GBK text almost always.
"""

import codecs
import csv
import io
import re
import unicodedata
import zipfile
from dataclasses import dataclass, field

from django.utils.translation import gettext as _
from openpyxl import load_workbook

from linli.residents import importing

# The header may sit below a title row ("XX市确诊病例名单") or two.
HEADER_SEARCH_ROWS = 10
MAX_CELL_CHARS = importing.MAX_CELL_CHARS
MAX_HEADER_CHARS = 60
DELIMITERS = [",", "\t", ";", "|"]
# Values that are data, not column names: a header row made of these means the file has none.
_DATA_LIKE = re.compile(
    r"^(?:\d{15}|\d{17}[\dXx]"  # ID numbers
    r"|(?:\+?86)?1\d{10}"  # mobile phones
    r"|\d{4}[-/.年]\d{1,2}[-/.月]\d{1,2}日?"  # dates
    r"|[\d.]+)$"  # plain numbers
)


class ListFileError(Exception):
    """The file as a whole cannot be read; the message says why and what to do."""

    def __init__(self, message):
        super().__init__(str(message))
        self.message = str(message)


@dataclass
class ListFile:
    kind: str  # "csv" or "xlsx"
    encoding: str  # "utf-8", "utf-8-sig", "gbk", "gb18030", "utf-16"; "" for a workbook
    headers: list[str]
    # (row number as a spreadsheet shows it, {header: cell text}); blank rows are left out.
    rows: list[tuple[int, dict[str, str]]] = field(default_factory=list)


def read_list(content: bytes, *, max_rows: int, max_bytes: int) -> ListFile:
    """Read an uploaded list. Raises ListFileError when the file cannot be used at all."""
    if not content or not content.strip():
        raise ListFileError(_("The file is empty."))
    if len(content) > max_bytes:
        raise ListFileError(
            _("The file is too big (%(size)s MB); the limit is %(limit)s MB. Split it in parts.")
            % {"size": _mb(len(content)), "limit": _mb(max_bytes)}
        )
    if content.startswith(b"PK\x03\x04"):
        kind, encoding, raw = "xlsx", "", _xlsx_rows(content, max_bytes=max_bytes)
    elif content.startswith(b"\xd0\xcf\x11\xe0"):
        raise ListFileError(
            _(
                "This is an old Excel .xls file. Open it in Excel or WPS and save it as "
                "“Excel Workbook (*.xlsx)” or “CSV UTF-8”, then upload that."
            )
        )
    else:
        text, encoding = _decode(content)
        kind, raw = "csv", _csv_rows(text)
    headers, rows = _table(raw, max_rows=max_rows)
    return ListFile(kind=kind, encoding=encoding, headers=headers, rows=rows)


def _mb(size: int) -> str:
    return f"{size / 1024 / 1024:.1f}"


def _not_a_list() -> str:
    return _(
        "This is neither a CSV file nor an Excel .xlsx workbook. Save the list in Excel or WPS "
        "as “CSV UTF-8” or “Excel Workbook (*.xlsx)” and upload that."
    )


# ---------------------------------------------------------------- CSV


def _decode(content: bytes) -> tuple[str, str]:
    if content.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            return content.decode("utf-16"), "utf-16"
        except UnicodeDecodeError:
            raise ListFileError(_not_a_list()) from None
    # NUL bytes never occur in text of these encodings: this is a binary file (PDF, image...).
    if b"\x00" in content[:65536]:
        raise ListFileError(_not_a_list())
    if content.startswith(codecs.BOM_UTF8):
        candidates = [("utf-8-sig", "utf-8-sig")]
    else:
        # GB18030 is GBK's superset: a GBK file is named "gbk", one that needs the rest (rare
        # characters of names, outside GBK) "gb18030".
        candidates = [("utf-8", "utf-8"), ("gbk", "gbk"), ("gb18030", "gb18030")]
    for codec, name in candidates:
        try:
            return content.decode(codec), name
        except UnicodeDecodeError:
            continue
    raise ListFileError(
        _(
            "The file's text is neither UTF-8 nor GBK. Save it from Excel or WPS as "
            "“CSV UTF-8” and upload it again."
        )
    )


def _delimiter(text: str) -> str:
    """The separator the first lines use most: comma, tab (Excel's "Unicode text"), semicolon
    (European Excel) or bar (database dumps)."""
    sample = "\n".join(text.splitlines()[:HEADER_SEARCH_ROWS])
    counts = {d: sample.count(d) for d in DELIMITERS}
    best = max(DELIMITERS, key=lambda d: counts[d])
    return best if counts[best] else ","


def _csv_rows(text: str):
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=_delimiter(text))
    try:
        for number, cells in enumerate(reader, start=1):
            yield number, [_text(c) for c in cells]
    except csv.Error as exc:
        raise ListFileError(
            _("Line %(n)d of the CSV file cannot be read (%(error)s).")
            % {"n": reader.line_num, "error": exc}
        ) from exc


def _text(value: str) -> str:
    # NFC: the same character typed on two systems compares equal; surrounding blanks and the
    # apostrophe Excel users type to keep an ID number as text are not part of the value.
    text = unicodedata.normalize("NFC", value).strip()
    return text[1:] if text.startswith("'") and text[1:].isdigit() else text


# ---------------------------------------------------------------- xlsx


def _xlsx_rows(content: bytes, *, max_bytes: int):
    try:
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            names = set(archive.namelist())
            unpacked = sum(info.file_size for info in archive.infolist())
    except (zipfile.BadZipFile, OSError, ValueError, EOFError) as exc:
        raise ListFileError(_not_a_list()) from exc
    # A zip that is not a workbook (a .docx, an archive) is not a list either.
    if "[Content_Types].xml" not in names or not any(n.startswith("xl/") for n in names):
        raise ListFileError(_not_a_list())
    # A workbook unpacks to more than it weighs; a zip bomb to far more.
    if unpacked > importing.MAX_UNPACKED_RATIO * max_bytes:
        raise ListFileError(
            _("The workbook unpacks to more than %(limit)s MB; split it in parts.")
            % {"limit": _mb(importing.MAX_UNPACKED_RATIO * max_bytes)}
        )
    try:
        book = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds of error on a damaged file
        raise ListFileError(_not_a_list()) from exc
    return _book_rows(book)


def _book_rows(book):
    """The rows, read lazily (the caller stops at the row limit); the book closes after."""
    try:
        yield from _sheet_rows(book)
    except ListFileError:
        raise
    except Exception as exc:  # a damaged part of the archive shows up only when read
        raise ListFileError(_not_a_list()) from exc
    finally:
        book.close()


def _sheet_rows(book):
    """The rows of the first sheet that has any (a workbook may start with an empty one)."""
    for sheet in book.worksheets:
        if sheet.title == importing.NOTES_SHEET:
            continue
        found = False
        for number, values in enumerate(sheet.iter_rows(values_only=True), start=1):
            cells = [_cell(v, number) for v in values or ()]
            found = found or any(cells)
            yield number, cells
        if found:
            return


def _cell(value, row: int) -> str:
    try:
        text = importing.cell_text(value)
    except importing.CellError as exc:
        raise ListFileError(_("Row %(n)d: %(error)s") % {"n": row, "error": exc}) from exc
    return _text(text)


# ---------------------------------------------------------------- the table


def _table(raw, *, max_rows: int) -> tuple[list[str], list[tuple[int, dict[str, str]]]]:
    filled_rows: list[tuple[int, list[str]]] = []
    for number, cells in raw:
        if not any(cells):
            continue  # blank rows are not rows
        filled_rows.append((number, cells))
        # The header and a title row or two come on top of the data rows.
        if len(filled_rows) > max_rows + HEADER_SEARCH_ROWS:
            break
    if not filled_rows:
        raise ListFileError(_("The file is empty."))
    # A title row names one thing; the header names at least two columns. A list of one
    # column has its header on the first row.
    at = next(
        (
            i
            for i, (number, cells) in enumerate(filled_rows)
            if number <= HEADER_SEARCH_ROWS and sum(1 for c in cells if c) >= 2
        ),
        0,
    )
    header_cells = filled_rows[at][1]
    rows = filled_rows[at + 1 :]
    if len(rows) > max_rows:
        raise ListFileError(
            _("The list has more than %(max)d rows; split it into smaller files.")
            % {"max": max_rows}
        )
    if any(_DATA_LIKE.match(c) for c in header_cells if c):
        raise ListFileError(
            _(
                "The first row holds data, not column names. Add a row at the top naming the "
                "columns, e.g. 姓名, 身份证号, 手机号, and upload the file again."
            )
        )
    if not rows:
        raise ListFileError(_("The list has column names but no rows."))
    width = max([_filled_width(header_cells)] + [_filled_width(c) for _n, c in rows])
    headers = _headers(header_cells, width)
    out = []
    for number, cells in rows:
        data = {}
        for i, header in enumerate(headers):
            value = cells[i] if i < len(cells) else ""
            if len(value) > MAX_CELL_CHARS:
                raise ListFileError(
                    _("Row %(n)d, column %(column)s: the cell is too long (at most %(max)d).")
                    % {"n": number, "column": header, "max": MAX_CELL_CHARS}
                )
            data[header] = value
        out.append((number, data))
    return headers, out


def _filled_width(cells: list[str]) -> int:
    for i in range(len(cells), 0, -1):
        if cells[i - 1]:
            return i
    return 0


def _headers(cells: list[str], width: int) -> list[str]:
    """Column names, unique and non-empty: a blank one is called "Column 3", the second of
    two "姓名" becomes "姓名 (2)", so every cell keeps a key of its own."""
    headers: list[str] = []
    for i in range(width):
        text = (cells[i] if i < len(cells) else "").replace("\n", " ")[:MAX_HEADER_CHARS]
        base = text or _("Column %(n)d") % {"n": i + 1}
        name, copy = base, 2
        while name in headers:
            name, copy = f"{base} ({copy})", copy + 1
        headers.append(name)
    return headers


# ---------------------------------------------------------------- guessing the mapping

# Words in the column names lists actually use, per registry field, most specific first.
_GUESS_WORDS = [
    ("id_number", ["身份证", "公民身份号码", "证件号", "idcard", "idnumber", "idno", "id"]),
    ("phone", ["手机", "电话", "联系方式", "phone", "mobile", "tel"]),
    ("birth_date", ["出生", "生日", "birth", "dob"]),
    ("sex", ["性别", "sex", "gender"]),
    ("name", ["姓名", "名字", "name"]),
]
# Words of the name column that mean someone else's name ("紧急联系人姓名", "录入人").
_NOT_THE_PERSON = ["联系人", "录入", "填报", "医生", "contact"]


def _header_key(header: str) -> str:
    text = re.sub(r"[（(].*?[）)]", "", header)  # "身份证号(18位)"
    return re.sub(r"[\s_\-./:：*＊]+", "", text).lower()


def guess_mapping(headers: list[str]) -> dict[str, str]:
    """{registry field: column} for the columns whose names say what they hold; each column
    at most once, each field the first column that fits."""
    mapping: dict[str, str] = {}
    used: set[str] = set()
    for field_name, words in _GUESS_WORDS:
        for header in headers:
            key = _header_key(header)
            if header in used or any(w in key for w in _NOT_THE_PERSON):
                continue
            if any(_word_in(w, key) for w in words):
                mapping[field_name] = header
                used.add(header)
                break
    return mapping


def _word_in(word: str, key: str) -> bool:
    if word == "id":  # in English only as a whole name: "ID", "ID no", not "paid" or "valid"
        return key in {"id", "idno", "idnumber"}
    return word in key


def looks_like_id_numbers(values: list[str]) -> bool:
    """Whether most filled cells of a column are ID numbers (the column is then stored
    encrypted whatever its name)."""
    filled = [re.sub(r"\s", "", v) for v in values if v]
    if not filled:
        return False
    hits = sum(1 for v in filled if re.fullmatch(r"\d{15}|\d{16,18}[\dXx]?", v))
    return hits * 2 > len(filled)
