"""Bulk import of laboratory results: CSV in UTF-8 (with or without BOM) and GBK, .xlsx,
Chinese and English headers, a missing column refused before anything runs, unmatched and
invalid rows reported with their row number, and re-importing adding nothing twice."""

import io
from datetime import date, datetime, time, timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl import Workbook

from linli.core.models import Job, JobStatus
from linli.health import services
from linli.health.lab_import import LabFileError, parse_lab_file
from linli.health.models import LabResult
from linli.residents.idnumber import make_id_number

ZHANG = make_id_number("420106", date(1950, 3, 8), 11)
WANG = make_id_number("420106", date(1938, 1, 20), 22)
CHEN = make_id_number("420106", date(1985, 11, 2), 31)
STRANGER = make_id_number("110101", date(1990, 1, 1), 55)
ZH = ["姓名", "身份证号", "检测类型", "结果", "采样日期", "采样地点"]


def yesterday() -> str:
    return str(timezone.localdate() - timedelta(days=1))


def csv_bytes(rows, headers=ZH, encoding="utf-8-sig") -> bytes:
    lines = [",".join(headers)] + [",".join(row) for row in rows]
    return ("\r\n".join(lines) + "\r\n").encode(encoding)


def upload_file(content, name):
    return SimpleUploadedFile(name, content, content_type="application/octet-stream")


@pytest.fixture
def upload(as_user, django_capture_on_commit_callbacks):
    """upload(content, name) as staff -> (response, job), the job already run."""

    def run(content, name="lab.csv", user="staff"):
        client = as_user(user)
        before = Job.objects.count()
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post("/health/labs/import/", {"file": upload_file(content, name)})
        job = Job.objects.order_by("-pk").first() if Job.objects.count() > before else None
        if job is not None:
            job.refresh_from_db()
        return client, response, job

    return run


@pytest.mark.django_db
def test_a_utf8_csv_with_bom_is_imported(world, upload):
    rows = [
        ["张伟", ZHANG, "核酸", "阴性", yesterday(), "社区广场"],
        ["王秀英", WANG, "抗原", "阴性", yesterday(), ""],
    ]
    client, response, job = upload(csv_bytes(rows))
    assert response.status_code == 302 and response["Location"] == f"/health/labs/import/{job.pk}/"
    assert job.status == JobStatus.DONE and job.result["created"] == 2
    assert "rows" not in job.result  # the hashed rows are dropped once recorded
    result = LabResult.objects.get(resident=world.residents["zhang"])
    assert (result.kind, result.outcome, result.place, result.imported) == (
        "pcr",
        "negative",
        "社区广场",
        True,
    )
    page = client.get(response["Location"]).content.decode()
    assert "new test results" in page and "Rows not imported" not in page


@pytest.mark.django_db
def test_a_gbk_csv_reports_unmatched_and_invalid_rows_with_their_row_number(world, upload):
    bad_check_digit = ZHANG[:-1] + ("0" if ZHANG[-1] != "0" else "1")
    rows = [
        ["陈明", CHEN, "核酸检测", "阳性", yesterday(), "发热门诊"],
        ["路人甲", STRANGER, "核酸", "阴性", yesterday(), ""],
        ["张伟", bad_check_digit, "核酸", "阴性", yesterday(), ""],
        ["张三", ZHANG, "核酸", "阴性", yesterday(), ""],
        ["王秀英", WANG, "血常规", "阴性", yesterday(), ""],
        ["王秀英", WANG, "抗原", "阴性", "2099-01-01", ""],
    ]
    client, response, job = upload(csv_bytes(rows, encoding="gbk"))
    assert job.result["created"] == 1
    reasons = {e["row"]: e["reason"] for e in job.result["errors"]}
    assert set(reasons) == {3, 4, 5, 6, 7}
    assert "no resident of this community" in reasons[3]
    assert "check digit" in reasons[4]
    assert "the registry has 张伟 under this ID number" in reasons[5]
    assert "检测类型/test" in reasons[6]
    assert "cannot be in the future" in reasons[7]
    # The positive result went through the service: chen is now a suspected case.
    assert services.current_status(world.residents["chen"]) == "suspected"
    page = client.get(response["Location"]).content.decode()
    assert "路人甲" in page and STRANGER not in page and "1101**********" in page


@pytest.mark.django_db
def test_an_xlsx_with_english_headers_and_date_cells(world, upload):
    book = Workbook()
    sheet = book.active
    sheet.append(["Lab of Wuhan: results"])  # a title row above the header
    sheet.append(["Name", "ID number", "Test", "Result", "Sampling date", "Place"])
    sheet.append(
        [
            "陈明",
            CHEN,
            "PCR",
            "Negative",
            datetime.combine(timezone.localdate() - timedelta(days=2), time(8, 30)),
            "Site 4",
        ]
    )
    sheet.append(["张伟", ZHANG, "antigen", "negative", yesterday(), None])
    buffer = io.BytesIO()
    book.save(buffer)
    _client, _response, job = upload(buffer.getvalue(), name="lab.xlsx")
    assert job.result["created"] == 2 and job.result["errors"] == []
    assert LabResult.objects.get(resident=world.residents["chen"]).place == "Site 4"


@pytest.mark.django_db
def test_a_file_missing_a_required_column_is_refused_before_anything_runs(world, upload):
    content = csv_bytes(
        [["张伟", ZHANG, "核酸", yesterday()]], headers=["姓名", "证件号码", "项目", "采样时间"]
    )
    _client, response, job = upload(content)
    assert job is None and response.status_code == 200
    assert "The file has no column for: 结果/result" in response.content.decode()
    assert not LabResult.objects.exists()


@pytest.mark.django_db
def test_importing_the_same_file_again_adds_nothing(world, upload):
    content = csv_bytes([["张伟", ZHANG, "核酸", "阴性", yesterday(), "广场"]], encoding="utf-8")
    upload(content)
    _client, _response, again = upload(content)
    assert again.result["created"] == 0 and again.result["updated"] == 1
    assert LabResult.objects.count() == 1


@pytest.mark.django_db
@pytest.mark.parametrize("persona", ["grid_a", "resident", "volunteer", "outsider", "supervisor"])
def test_the_import_refuses_those_without_the_role(world, as_user, persona):
    client = as_user(persona)
    assert client.get("/health/labs/import/").status_code == 403
    content = csv_bytes([["张伟", ZHANG, "核酸", "阴性", yesterday(), ""]])
    assert (
        client.post("/health/labs/import/", {"file": upload_file(content, "a.csv")}).status_code
        == 403
    )
    assert not Job.objects.exists()


@pytest.mark.django_db
def test_an_import_job_is_only_shown_to_who_started_it(world, upload, as_user):
    _client, _response, job = upload(csv_bytes([["张伟", ZHANG, "核酸", "阴性", yesterday(), ""]]))
    assert as_user("doctor").get(f"/health/labs/import/{job.pk}/").status_code == 404


# The parser alone.


def test_header_aliases_values_and_title_rows():
    today = date(2022, 4, 10)
    content = csv_bytes(
        [["张伟", "'" + ZHANG, "Rapid antigen test", "阳性(+)", "2022年4月9日 08:30"]],
        headers=["受检人姓名", "公民身份号码(18位)", "检测项目", "检测结果", "采样时间"],
        encoding="gb18030",
    )
    parsed = parse_lab_file(b"Hospital,,\r\n" + content, today=today)
    assert parsed.errors == []
    (row,) = parsed.rows
    assert (row.row, row.kind, row.outcome, row.sampled_on, row.place) == (
        3,
        "antigen",
        "positive",
        "2022-04-09",
        "",
    )
    assert ZHANG not in repr(row) and row.id_masked == "4201**********" + ZHANG[-4:]


def test_a_repeated_row_in_one_file_is_reported_once():
    rows = [["张伟", ZHANG, "核酸", "阴性", "2022-04-09", ""]] * 2
    parsed = parse_lab_file(csv_bytes(rows), today=date(2022, 4, 10))
    assert len(parsed.rows) == 1 and parsed.errors[0]["reason"] == "the same test as row 2"


@pytest.mark.parametrize(
    "content,message",
    [
        (b"", "empty"),
        (b"\xd0\xcf\x11\xe0rest", ".xls"),
        (b"a,b,c\r\n1,2,3\r\n", "no column for: 姓名/name, 身份证号/ID number"),
        ("姓名,身份证号,检测类型,结果,采样日期\r\n".encode(), "no results"),
    ],
)
def test_unreadable_files_say_why(content, message):
    with pytest.raises(LabFileError) as refused:
        parse_lab_file(content, today=date(2022, 4, 10))
    assert message in refused.value.message


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.lists(st.text(max_size=12), min_size=0, max_size=7), max_size=6))
def test_any_csv_is_either_parsed_or_refused_with_a_reason(cells):
    text = "\r\n".join(
        [",".join(ZH)] + [",".join(c.replace(",", " ") for c in row) for row in cells]
    )
    try:
        parsed = parse_lab_file(text.encode("utf-8"), today=date(2022, 4, 10))
    except LabFileError as refused:
        assert refused.message
    else:
        assert all(isinstance(e["row"], int) and e["reason"] for e in parsed.errors)
