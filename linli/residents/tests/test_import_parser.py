"""Reading a registry sheet (linli/residents/importing.py): no database, no HTTP.

Malformed files give one clear file error; bad rows give errors naming the row (as Excel
numbers it), the column and the rule; every non-blank row is either valid or has an error.
"""

import io
import re
import zipfile
from datetime import date, datetime

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from openpyxl import Workbook, load_workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

from linli.residents import importing
from linli.residents.choices import RECORDED_TAGS, Relation
from linli.residents.columns import IMPORT_COLUMNS
from linli.residents.idnumber import make_id_number
from linli.residents.importing import ImportFileError, parse_workbook

BUILDINGS = ["1", "2", "3"]
HEADERS = ["楼栋", "单元", "房号", "姓名", "身份证号", "手机号"]
TODAY = date(2025, 1, 1)


def EXCEL_DATE(*args):  # noqa: N802
    # Excel's dates have no time zone: openpyxl reads them as naive datetimes.
    return datetime(*args)  # noqa: DTZ001


def person_id(seq: int, birth=date(1950, 3, 8)) -> str:
    return make_id_number("420106", birth, seq)


def xlsx(rows, headers=HEADERS, *, before=()) -> bytes:
    book = Workbook()
    sheet = book.active
    for line in before:
        sheet.append(line)
    if headers is not None:
        sheet.append(headers)
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def parse(content, *, max_rows=1000, max_bytes=5_000_000, buildings=BUILDINGS):
    return parse_workbook(
        content,
        building_numbers=buildings,
        max_rows=max_rows,
        max_bytes=max_bytes,
        today=TODAY,
    )


def messages(result, row):
    return [f"{e['column']}: {e['message']}" for e in result.errors if e["row"] == row]


def good_row(seq=11, name="张伟", room="301"):
    return ["1", 1, room, name, person_id(seq), "13800001111"]


# ---------------------------------------------------------------- valid sheets


def test_it_reads_valid_rows_with_typed_values():
    result = parse(xlsx([good_row(11), ["2", "2单元", "502室", "李芳", person_id(12), None]]))
    assert result.total_rows == 2
    assert result.errors == []
    first, second = result.rows
    assert (first.row, first.building, first.entrance, first.room) == (2, "1", 1, "301")
    assert first.values["id_number"] == person_id(11)
    assert first.values["birth_date"] == date(1950, 3, 8)
    assert first.values["sex"] == "M"
    assert first.values["phone"] == "13800001111"
    assert (second.entrance, second.room, second.values["sex"]) == (2, "502", "F")
    assert "phone" not in second.values  # a blank cell is absent, so it erases nothing


def test_it_accepts_english_headers_in_any_order_and_ignores_other_columns():
    headers = ["No.", "Name", "Room", "ID number", "Entrance", "Building", "序号"]
    result = parse(xlsx([[1, "王秀英", "102", person_id(22), 1, "2", 1]], headers=headers))
    assert result.errors == []
    assert result.rows[0].values["name"] == "王秀英"
    assert result.rows[0].building == "2"
    assert result.ignored_columns == ["No.", "序号"]


def test_it_finds_the_header_below_a_title_and_numbers_rows_as_excel_does():
    content = xlsx(
        [good_row(11), [None] * 6, [None] * 6, ["1", 1, "302", "", person_id(13), None]],
        before=[["新民主路社区居民花名册"], []],
    )
    result = parse(content)
    assert result.total_rows == 2  # blank rows are not rows
    assert result.rows[0].row == 4
    assert messages(result, 7) == ["姓名: is required"]


def test_it_reads_dates_numbers_and_chinese_forms():
    headers = ["楼栋", "单元", "房号", "姓名", "性别", "出生日期", "手机号", "残疾等级"]
    rows = [
        ["3栋", "一单元", 301, "陈明", "男", EXCEL_DATE(1985, 11, 2), 13800001111.0, "二级"],
        [3, 1.0, "302", "陈红", "女", 31_000, None, None],  # an Excel date serial
        ["3号楼", 1, "303", "陈亮", "男", "1990年1月2日", None, None],
    ]
    result = parse(xlsx(rows, headers=headers))
    assert result.errors == []
    a, b, c = result.rows
    assert (a.building, a.entrance, a.room) == ("3", 1, "301")
    assert a.values["phone"] == "13800001111"
    assert a.values["disability_level"] == 2
    assert b.values["birth_date"] == date(1984, 11, 14)
    assert c.values["birth_date"] == date(1990, 1, 2)


def test_an_id_number_read_as_an_exact_integer_is_accepted_and_a_float_is_not():
    # Excel (and openpyxl) write big numbers as 4.2010619500308e+17: a float, digits lost.
    # Other tools may write the exact integer, which is safe to read.
    number = next(person_id(s) for s in range(1, 99, 2) if person_id(s)[-1] != "X")
    assert importing._id_cell(int(number)) == number
    with pytest.raises(importing.CellError, match="stored as a number"):
        importing._id_cell(float(number))


# ---------------------------------------------------------------- whole-file problems


def test_a_missing_column_is_named():
    content = xlsx([["1", 1, "301", person_id(11)]], headers=["楼栋", "单元", "房号", "身份证号"])
    with pytest.raises(ImportFileError, match="Missing column: 姓名/Name"):
        parse(content)


def test_a_sheet_without_any_known_header_says_so():
    content = xlsx([["a", "b"]], headers=["foo", "bar"])
    with pytest.raises(ImportFileError, match="No header row found") as info:
        parse(content)
    assert "姓名/Name" in info.value.message


def test_a_column_given_twice_is_refused():
    content = xlsx([good_row() + ["x"]], headers=[*HEADERS, "Name"])
    with pytest.raises(ImportFileError, match="appear twice: Name"):
        parse(content)


@pytest.mark.parametrize(
    "content",
    [
        "姓名,楼栋\n张伟,1\n".encode(),  # a CSV renamed .xlsx
        b"<html><body>not a sheet</body></html>",
        b"PK\x03\x04 truncated zip",
    ],
)
def test_a_file_that_is_not_an_xlsx_workbook_is_refused(content):
    with pytest.raises(ImportFileError, match="not an Excel .xlsx workbook"):
        parse(content)


def test_a_zip_that_is_not_a_workbook_is_refused():
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("readme.txt", "hello")
    with pytest.raises(ImportFileError, match="not an Excel .xlsx workbook"):
        parse(buffer.getvalue())


def test_an_old_xls_file_is_told_to_save_as_xlsx():
    with pytest.raises(ImportFileError, match=r"old Excel \.xls file"):
        parse(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 600)


def test_an_empty_file_is_refused():
    with pytest.raises(ImportFileError, match="The file is empty"):
        parse(b"")


def test_a_header_without_rows_is_refused_and_so_is_the_blank_template():
    with pytest.raises(ImportFileError, match="no residents below it"):
        parse(xlsx([]))
    with pytest.raises(ImportFileError, match="no residents below it"):
        parse(importing.template_bytes(example_building="1"))


def test_too_many_rows_are_refused():
    content = xlsx([good_row(i * 2 + 1, room=str(100 + i)) for i in range(6)])
    with pytest.raises(ImportFileError, match="more than 5 rows"):
        parse(content, max_rows=5)
    assert parse(content, max_rows=6).total_rows == 6


def test_too_big_a_file_is_refused():
    content = xlsx([good_row()])
    with pytest.raises(ImportFileError, match="too big"):
        parse(content, max_bytes=len(content) - 1)


def test_a_zip_bomb_is_refused_before_unpacking():
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("xl/worksheets/sheet1.xml", b"\0" * 5_000_000)
    content = buffer.getvalue()
    assert len(content) < 50_000
    with pytest.raises(ImportFileError, match="unpacks to more than"):
        parse(content, max_bytes=100_000)


# ---------------------------------------------------------------- bad rows


def test_a_bad_check_digit_names_the_row_as_in_the_sheet_and_the_column():
    rows = [good_row(seq * 2 + 1, room=str(100 + seq)) for seq in range(20)]
    wrong = person_id(99)[:17] + ("0" if person_id(99)[17] != "0" else "1")
    rows[15][4] = wrong  # the 16th data row is row 17 of the sheet
    result = parse(xlsx(rows))
    assert messages(result, 17) == ["身份证号: ID number check digit is wrong"]
    assert len(result.rows) == 19
    assert 17 not in {r.row for r in result.rows}


def test_blank_names_and_unknown_buildings_are_row_errors():
    rows = [["1", 1, "301", "   ", person_id(11), None], ["9", 1, "301", "王五", None, None]]
    result = parse(xlsx(rows))
    assert messages(result, 2) == ["姓名: is required"]
    assert "楼栋: no building numbered 9 in this community" in messages(result, 3)
    assert result.rows == []
    assert result.error_rows == 2


def test_the_same_id_number_twice_is_a_duplicate_of_the_first_row():
    rows = [good_row(i * 2 + 41, room=str(300 + i)) for i in range(9)]
    rows[7][4] = person_id(31)  # row 9 of the sheet
    rows[3][4] = person_id(31)  # row 5
    result = parse(xlsx(rows))
    assert messages(result, 9) == ["身份证号: duplicate of row 5 (same ID number)"]
    assert [r.row for r in result.rows if r.values["id_number"] == person_id(31)] == [5]
    assert len(result.rows) == 8


def test_the_same_person_at_the_same_address_twice_is_a_duplicate():
    headers = ["楼栋", "单元", "房号", "姓名", "性别", "出生日期"]
    row = ["1", 1, "301", "张伟", "男", "1950-03-08"]
    result = parse(xlsx([row, list(row)], headers=headers))
    assert messages(result, 3) == ["姓名: duplicate of row 2 (same name, birth date and address)"]


def test_a_one_megabyte_cell_is_an_error_naming_row_and_column():
    headers = [*HEADERS, "备注"]
    rows = [good_row(11) + [None], good_row(13, room="302") + ["x" * 1_000_000]]
    result = parse(xlsx(rows, headers=headers))
    assert len(result.rows) == 1
    [message] = messages(result, 3)
    # openpyxl keeps Excel's own limit of 32,767 characters a cell.
    assert re.fullmatch(
        r"备注: the cell is too long \((32767|1000000) characters; at most 500\)", message
    )


def test_an_id_number_that_excel_turned_into_a_float_is_explained():
    row = ["1", 1, "301", "张伟", float(person_id(11)[:17] + "1"), None]
    result = parse(xlsx([row]))
    [message] = messages(result, 2)
    assert message.startswith("身份证号: the ID number was stored as a number")
    # No noise about sex and birth date, which the ID number would have given.
    assert len(result.errors) == 1


def test_a_room_that_excel_turned_into_a_date_is_explained():
    row = ["1", 1, EXCEL_DATE(2024, 3, 1), "张伟", person_id(11), None]
    result = parse(xlsx([row]))
    assert messages(result, 2) == [
        "房号: Excel turned the room number into a date; format the column as text and retype it"
    ]


def test_full_width_digits_in_an_id_number_are_read():
    full = person_id(11).translate(str.maketrans("0123456789X", "０１２３４５６７８９Ｘ"))
    result = parse(xlsx([["1", 1, "301", "张伟", full, None]]))
    assert result.errors == []
    assert result.rows[0].values["id_number"] == person_id(11)


def test_an_id_number_with_letters_or_other_scripts_is_an_error_not_a_crash():
    rows = [["1", 1, str(300 + i), "张伟", text, None] for i, text in enumerate(["4201²", "abc"])]
    result = parse(xlsx(rows))
    assert result.rows == []
    assert {e["field"] for e in result.errors} == {"id_number"}


# ---------------------------------------------------------------- the template


def test_the_template_has_chinese_headers_rules_and_an_example():
    book = load_workbook(io.BytesIO(importing.template_bytes(example_building="12")))
    sheet = book.worksheets[0]
    assert [c.value for c in sheet[1]] == [c.zh for c in IMPORT_COLUMNS]
    assert sheet["A1"].comment is not None
    notes = book[importing.NOTES_SHEET]
    values = [[c.value for c in row] for row in notes.iter_rows()]
    example = next(row for row in values if row and row[0] == "12")
    assert example[3] == "张伟"
    assert any(row and row[0] == "姓名" and row[3] for row in values)


def test_the_templates_example_row_is_valid_when_typed_into_the_sheet():
    book = load_workbook(io.BytesIO(importing.template_bytes(example_building="2")))
    notes = book[importing.NOTES_SHEET]
    rows = [[c.value for c in row] for row in notes.iter_rows()]
    example = next(row for row in rows if row and row[0] == "2")
    result = parse(xlsx([example[: len(IMPORT_COLUMNS)]], headers=[c.zh for c in IMPORT_COLUMNS]))
    assert result.errors == []
    assert result.rows[0].values["tags"] == ["chronic"]


# ---------------------------------------------------------------- properties

TEXT = st.text(alphabet=st.characters(blacklist_categories=("Cs", "Cc")), max_size=40).filter(
    lambda t: not ILLEGAL_CHARACTERS_RE.search(t)
)
CELL = st.one_of(
    st.none(),
    TEXT,
    st.integers(min_value=-(10**20), max_value=10**20),
    st.floats(allow_nan=False, allow_infinity=False),
    st.dates(min_value=date(1900, 1, 1), max_value=date(2100, 1, 1)),
)
ALL_HEADERS = [c.zh for c in IMPORT_COLUMNS]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
# Found by hypothesis: a huge number in the birth-date column once overflowed.
@example([[None] * 5 + [1.7976931348623155e308] + [None] * (len(ALL_HEADERS) - 6)])
@given(st.lists(st.lists(CELL, min_size=len(ALL_HEADERS), max_size=len(ALL_HEADERS)), max_size=6))
def test_no_cell_content_crashes_the_parser_and_every_row_is_accounted_for(rows):
    try:
        result = parse(xlsx(rows, headers=ALL_HEADERS))
    except ImportFileError as exc:
        assert exc.message  # e.g. "no residents below it" when every row is blank
        return
    assert len(result.rows) + result.error_rows == result.total_rows
    for error in result.errors:
        assert error["row"] >= 2
        assert error["column"] and error["message"]
        assert error["field"] in {c.key for c in IMPORT_COLUMNS}


CHINESE_NAME = st.text(
    alphabet="张王李赵陈刘杨黄周吴伟芳娜敏静丽强磊军洋勇艳杰", min_size=2, max_size=4
)
PERSON = st.fixed_dictionaries(
    {
        "building": st.sampled_from(BUILDINGS),
        "entrance": st.integers(min_value=1, max_value=99),
        "room": st.integers(min_value=101, max_value=2999).map(str),
        "name": CHINESE_NAME,
        "birth": st.dates(min_value=date(1910, 1, 1), max_value=date(2024, 12, 31)),
        "seq": st.integers(min_value=0, max_value=999),
        "phone": st.one_of(st.just(""), st.integers(13_000_000_000, 19_999_999_999).map(str)),
        "tags": st.lists(st.sampled_from([t.value for t in RECORDED_TAGS]), unique=True),
        "relation": st.sampled_from(Relation.values),
    }
)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(PERSON, max_size=8, unique_by=lambda p: (p["seq"], p["birth"])))
def test_valid_rows_round_trip(people):
    headers = ["楼栋", "单元", "房号", "姓名", "身份证号", "手机号", "特殊群体", "与户主关系"]
    rows = [
        [
            p["building"],
            p["entrance"],
            p["room"],
            p["name"],
            make_id_number("110101", p["birth"], p["seq"]),
            p["phone"],
            ",".join(p["tags"]),
            p["relation"],
        ]
        for p in people
    ]
    if not rows:
        return
    result = parse(xlsx(rows, headers=headers))
    # Two generated people may share name, birth date and flat: that is a duplicate row.
    keys = [(p["building"], p["entrance"], p["room"], p["name"], p["birth"]) for p in people]
    expected = [p for i, p in enumerate(people) if keys[i] not in keys[:i]]
    assert [r.values["name"] for r in result.rows] == [p["name"] for p in expected]
    for row, p in zip(result.rows, expected, strict=True):
        assert (row.building, row.entrance, row.room) == (p["building"], p["entrance"], p["room"])
        assert row.values["id_number"] == make_id_number("110101", p["birth"], p["seq"])
        assert row.values["birth_date"] == p["birth"]
        assert row.values["sex"] == ("M" if p["seq"] % 2 else "F")
        assert row.values.get("phone", "") == p["phone"]
        assert set(row.values.get("tags", [])) == set(p["tags"])
        assert row.values["relation"] == p["relation"]
