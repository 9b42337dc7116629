"""Reading an external list: CSV in the encodings lists arrive in, .xlsx, and the files that
are refused as a whole with a reason."""

import csv
import io
import zipfile
from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from openpyxl import Workbook

from linli.tracing.listfile import ListFileError, guess_mapping, looks_like_id_numbers, read_list

ENCODINGS = ["utf-8", "utf-8-sig", "gbk", "gb18030", "utf-16"]
LIMITS = {"max_rows": 100, "max_bytes": 1_000_000}
CSV = (
    "姓名,身份证号,手机号,出生日期\n"
    "张玮,420106195003080115,13800000011,1950-03-08\n"
    "曾小明,,13900000001,\n"
)


def read(content: bytes, **limits):
    return read_list(content, **{**LIMITS, **limits})


def xlsx(rows) -> bytes:
    book = Workbook()
    sheet = book.active
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


@pytest.mark.parametrize(
    ("encoded", "encoding"),
    [
        (CSV.encode("utf-8"), "utf-8"),
        (CSV.encode("utf-8-sig"), "utf-8-sig"),
        (CSV.encode("gbk"), "gbk"),
        (CSV.encode("utf-16"), "utf-16"),
    ],
)
def test_it_reads_csv_in_each_encoding_lists_arrive_in(encoded, encoding):
    parsed = read(encoded)
    assert parsed.kind == "csv" and parsed.encoding == encoding
    assert parsed.headers == ["姓名", "身份证号", "手机号", "出生日期"]
    assert parsed.rows == [
        (
            2,
            {
                "姓名": "张玮",
                "身份证号": "420106195003080115",
                "手机号": "13800000011",
                "出生日期": "1950-03-08",
            },
        ),
        (3, {"姓名": "曾小明", "身份证号": "", "手机号": "13900000001", "出生日期": ""}),
    ]


def test_it_names_gb18030_when_a_name_needs_more_than_gbk():
    # 䶮 (yan3) is in GB18030 but not in GBK: a rare character of a personal name.
    parsed = read("姓名,手机\n刘䶮,13800000011\n".encode("gb18030"))
    assert parsed.encoding == "gb18030" and parsed.rows[0][1]["姓名"] == "刘䶮"


def test_it_reads_tab_separated_text_and_skips_a_title_row_and_blank_rows():
    text = "某市确诊病例名单\n\n姓名\t电话\n李芳\t13800000012\n\n王秀英\t\n"
    parsed = read(text.encode("utf-8"))
    assert parsed.headers == ["姓名", "电话"]
    assert [n for n, _row in parsed.rows] == [4, 6]
    assert parsed.rows[1][1] == {"姓名": "王秀英", "电话": ""}


def test_it_reads_an_xlsx_workbook_with_numbers_and_dates_as_people_see_them():
    parsed = read(
        xlsx(
            [
                ["姓名", "手机", "出生日期", "身份证号"],
                ["陈明", 13800000031, date(1985, 11, 2), "420106198511020313"],
            ]
        )
    )
    assert parsed.kind == "xlsx" and parsed.encoding == ""
    assert parsed.rows == [
        (
            2,
            {
                "姓名": "陈明",
                "手机": "13800000031",
                "出生日期": "1985-11-02",
                "身份证号": "420106198511020313",
            },
        )
    ]


def test_blank_and_repeated_headers_get_names_of_their_own():
    parsed = read("姓名,,姓名\n张伟,x,李芳\n".encode())
    assert parsed.headers == ["姓名", "Column 2", "姓名 (2)"]
    assert parsed.rows[0][1] == {"姓名": "张伟", "Column 2": "x", "姓名 (2)": "李芳"}


@pytest.mark.parametrize("content", [b"", b"   \n\r\n", "\ufeff".encode(), b",,,\n,,\n"])
def test_an_empty_file_is_refused(content):
    with pytest.raises(ListFileError, match="empty"):
        read(content)


def test_an_empty_workbook_is_refused():
    with pytest.raises(ListFileError, match="empty"):
        read(xlsx([]))


def test_a_file_whose_first_row_is_data_is_refused_as_having_no_header():
    with pytest.raises(ListFileError, match="not column names"):
        read("张伟,420106195003080115,13800000011\n李芳,420106195206010124,13800000012\n".encode())


def test_a_header_without_rows_is_refused():
    with pytest.raises(ListFileError, match="no rows"):
        read("姓名,身份证号\n".encode())


def test_too_many_rows_and_too_many_bytes_are_refused():
    content = ("姓名,手机\n" + "张伟,13800000011\n" * 3).encode()
    with pytest.raises(ListFileError, match="more than 2 rows"):
        read(content, max_rows=2)
    assert len(read(content, max_rows=3).rows) == 3
    with pytest.raises(ListFileError, match="too big"):
        read(content, max_bytes=len(content) - 1)


@pytest.mark.parametrize(
    "content",
    [
        b"%PDF-1.4\x00\x01binary",
        b"\x89PNG\r\n\x1a\n\x00\x00",
        b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1old excel",
    ],
)
def test_files_that_are_not_lists_are_refused(content):
    with pytest.raises(ListFileError, match=r"CSV|\.xlsx"):
        read(content)


def test_a_zip_that_is_not_a_workbook_is_refused():
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("word/document.xml", "<w/>")
    with pytest.raises(ListFileError, match="neither a CSV file nor an Excel"):
        read(out.getvalue())


def test_text_in_neither_utf8_nor_gbk_is_refused():
    with pytest.raises(ListFileError, match="neither UTF-8 nor GBK"):
        read(b"\xc3\x28\xff\xfe\xfd,\x81\x30\n")


def test_the_mapping_is_guessed_from_the_column_names():
    headers = [
        "序号",
        "患者姓名",
        "性别",
        "出生日期",
        "证件类型",
        "证件号码",
        "联系电话",
        "紧急联系人姓名",
    ]
    assert guess_mapping(headers) == {
        "name": "患者姓名",
        "sex": "性别",
        "birth_date": "出生日期",
        "id_number": "证件号码",
        "phone": "联系电话",
    }
    assert guess_mapping(["Name", "ID", "Mobile", "DOB", "Gender"]) == {
        "name": "Name",
        "id_number": "ID",
        "phone": "Mobile",
        "birth_date": "DOB",
        "sex": "Gender",
    }
    assert guess_mapping(["编号", "备注"]) == {}


def test_a_column_of_id_numbers_is_recognised_whatever_its_name():
    assert looks_like_id_numbers(["420106195003080115", "42010619520601012X", "", "n/a"])
    assert not looks_like_id_numbers(["13800000011", "张伟", ""])
    assert not looks_like_id_numbers(["", ""])


@settings(max_examples=100, deadline=None)
@given(st.binary(max_size=300))
def test_any_bytes_are_read_or_refused_with_a_reason_never_a_crash(content):
    try:
        parsed = read(content)
    except ListFileError as exc:
        assert exc.message
    else:
        assert parsed.headers and parsed.rows
        assert all(set(row) == set(parsed.headers) for _n, row in parsed.rows)


WORDS = st.text(alphabet="张伟李芳王秀英陈明abcXYZ", min_size=1, max_size=6)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(WORDS, WORDS), min_size=1, max_size=8), st.sampled_from(ENCODINGS))
def test_cells_come_back_as_written_in_any_encoding(cells, encoding):
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["姓名", "备注"])
    writer.writerows(cells)
    parsed = read(out.getvalue().encode(encoding))
    assert [(row["姓名"], row["备注"]) for _n, row in parsed.rows] == cells
