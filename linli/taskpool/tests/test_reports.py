"""The Excel reports open in openpyxl and carry the right numbers."""

import io
from datetime import timedelta

import pytest
from django.utils import timezone
from openpyxl import load_workbook

from linli.taskpool.tests.test_supervision_data import build_week


@pytest.fixture
def week(world):
    return build_week(world)


def rows(sheet):
    return [list(r) for r in sheet.iter_rows(values_only=True)]


def table(sheet, first_column: str) -> dict:
    """Rows of a sheet keyed by their first cell, below the header row that starts with
    `first_column`."""
    out, seen = {}, False
    for row in rows(sheet):
        if row and row[0] == first_column:
            seen, header = True, row
            continue
        if seen and row and row[0] is not None:
            out[row[0]] = dict(zip(header, row, strict=False))
    return out


def download(as_user, url):
    response = as_user("staff").get(url)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    return load_workbook(io.BytesIO(response.content))


def test_cadre_assessment_workbook(world, as_user, week):
    book = download(as_user, "/supervision/cadres.xlsx")
    assert book.sheetnames == ["Assessment", "Tasks"]
    sheet = book["Assessment"]
    assert sheet["A1"].value == "Assessment of dispatched cadres"
    assert sheet["A2"].value == "测试社区"
    cadres = table(sheet, "Name")
    assert set(cadres) == {"李干部", "赵干部"}
    li = cadres["李干部"]
    assert li["Home unit"] == "区民政局"
    assert (li["Days active"], li["Tasks done"], li["Tasks failed"], li["On time"]) == (4, 3, 1, 2)
    assert li["On-time share (%)"] == 67
    assert li["Median hours from open to done"] == 1.0
    assert li["Mean rating (1-5)"] == 4.0 and li["Ratings"] == 2
    assert li["Hours worked"] == 1.8
    assert li["Summary"].startswith("李干部 (区民政局): Active on 4 of 7 days")
    assert cadres["赵干部"]["Hours worked"] == 2.0
    tasks = rows(book["Tasks"])
    assert tasks[0][:4] == ["Name", "Home unit", "Task", "Kind"]
    assert len(tasks) == 1 + 4  # T1-T4
    outcomes = sorted(r[8] for r in tasks[1:])
    assert outcomes == ["Done", "Done", "Done", "Failed"]
    late = next(r for r in tasks[1:] if r[2] == f"#{week.tasks['T2'].pk}")
    assert late[9] == "no" and late[10] == 3.0 and late[11] == 3
    # The sheet goes to another unit: no resident's name leaves with it.
    flat = str(tasks)
    assert "王秀英" not in flat and "陈明" not in flat


def test_cadre_assessment_for_one_home_unit(world, as_user, week):
    book = download(as_user, "/supervision/cadres.xlsx?unit=区教育局")
    assert book["Assessment"]["A3"].value == "Home unit: 区教育局"
    assert set(table(book["Assessment"], "Name")) == {"赵干部"}
    assert len(rows(book["Tasks"])) == 1


def test_worker_workbook(world, as_user, week):
    book = download(as_user, "/supervision/workers.xlsx")
    forces = table(book["By force"], "Force")
    assert forces["Dispatched cadre"]["Tasks done"] == 3
    assert forces["Volunteer"]["On-time share (%)"] == 100
    assert forces["All forces"]["Tasks done"] == 5
    workers = table(book["By worker"], "Name")
    assert workers["吴志愿"]["Median hours from open to done"] == round(55 / 60, 1)


def test_daily_report_workbook(world, as_user, week):
    yesterday = timezone.localdate() - timedelta(days=1)
    book = download(as_user, f"/supervision/daily.xlsx?date={yesterday.isoformat()}")
    assert book.sheetnames[0] == "Daily report"
    summary = {r[0]: r[1] for r in rows(book["Daily report"]) if r and r[0]}
    assert summary[f"Daily report for {yesterday.isoformat()}"] is None
    assert summary["Residents"] == 5
    assert (summary["Tasks created"], summary["Tasks done"], summary["Tasks failed"]) == (4, 3, 1)
    assert summary["Tasks overdue"] == 1
    assert summary["Workers active"] == 1 and summary["Hours worked"] == 2.0
    assert summary["Vulnerable residents"] == 3 and summary["Not visited"] == 2
    assert summary["Items low in stock"] == 1
    kinds = table(book["Tasks by kind"], "Kind")
    assert kinds["Escort / transport"]["Failed"] == 1
    assert kinds["Total"]["Created"] == 4
    grids = table(book["Tasks by grid"], "Grid")
    assert grids["第二网格"]["Created"] == 3
    ppe = table(book["Protective equipment"], "Community")
    assert ppe["测试社区"]["Kind"] == "Masks" and ppe["测试社区"]["In stock"] == 10
    cover = table(book["Vulnerable coverage"], "Grid")
    assert cover["第一网格"]["Visited"] == 1


def test_grid_worker_daily_report_is_their_grid(world, as_user, week):
    yesterday = timezone.localdate() - timedelta(days=1)
    response = as_user("grid_a").get(f"/supervision/daily.xlsx?date={yesterday.isoformat()}")
    book = load_workbook(io.BytesIO(response.content))
    summary = {r[0]: r[1] for r in rows(book["Daily report"]) if r and r[0]}
    assert summary["Residents"] == 3  # 张伟, 李芳, 王秀英
    assert summary["Tasks created"] == 1  # the visit to 张伟
    assert set(table(book["Tasks by grid"], "Grid")) == {"第一网格"}
