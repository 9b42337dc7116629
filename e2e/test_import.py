"""Import a small registry sheet in the browser: upload, preview with the bad row named,
import the valid rows, see the outcome, find the new residents."""

import io
import re
from datetime import date

from openpyxl import Workbook
from playwright.sync_api import expect

from linli.core.models import AuditEvent
from linli.residents.idnumber import make_id_number
from linli.residents.models import ImportBatch, ImportStatus, Resident

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
ZHAO_ID = make_id_number("420106", date(1990, 4, 5), 100)  # even: a woman
QIAN_ID = make_id_number("420106", date(1948, 9, 30), 102)
GOOD_BODY = "42010619800101123"


def wrong_check_digit(body):
    right = make_id_number(body[:6], date(1980, 1, 1), int(body[14:17]))[-1]
    return body + ("1" if right != "1" else "2")


def sheet_bytes():
    """Three rows as a committee keeps them; row 4 (as Excel numbers it) has a bad ID."""
    book = Workbook()
    sheet = book.active
    sheet.append(["楼栋", "单元", "房号", "姓名", "性别", "出生日期", "身份证号", "手机号"])
    sheet.append(["2", 1, "201", "赵敏", "女", None, ZHAO_ID, "13900000001"])
    sheet.append(["3", 2, "502", "钱多多", "女", None, QIAN_ID, "13900000002"])
    sheet.append(["1", 1, "303", "孙悟空", "男", "1980-01-01", wrong_check_digit(GOOD_BODY), ""])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def test_staff_imports_the_valid_rows_of_a_sheet(world, page, live_server, login, console_errors):
    assert make_id_number("420106", date(1980, 1, 1), 123) != wrong_check_digit(GOOD_BODY)
    before = Resident.objects.count()
    login("staff")
    page.click("nav.main a[href$='/registry/import/']")
    expect(page).to_have_url(re.compile(r"/registry/import/$"))

    upload = page.locator("main form[enctype='multipart/form-data']")
    upload.locator("input[type=file]").set_input_files(
        files=[{"name": "花名册.xlsx", "mimeType": XLSX, "buffer": sheet_bytes()}]
    )
    upload.locator("button.primary").click()

    # The preview: nothing written yet, the bad row named with its reason.
    expect(page).to_have_url(re.compile(r"/registry/import/\d+/$"))
    batch = ImportBatch.objects.get()
    assert batch.status == ImportStatus.VALIDATED
    assert (batch.total_rows, batch.valid_rows) == (3, 2), batch.errors
    assert [(e["row"], e["field"]) for e in batch.errors] == [(4, "id_number")]
    errors = page.locator("ol.row-errors li")
    expect(errors).to_have_count(1)
    expect(errors.first).to_contain_text(re.compile(r"\b4\b"))
    expect(errors.first).to_contain_text(batch.errors[0]["message"])
    assert Resident.objects.count() == before
    # The preview shows the valid rows with their ID numbers masked.
    preview = page.locator("table.list tbody")
    expect(preview).to_contain_text("赵敏")
    expect(preview).to_contain_text("钱多多")
    expect(preview).not_to_contain_text("孙悟空")
    expect(preview).not_to_contain_text(ZHAO_ID)

    page.locator("form[action$='/confirm/'] button.primary").click()

    # The outcome: two added, none updated, one row with errors left out.
    expect(page.locator(".cards .card b")).to_have_text(["2", "0", "1"])
    batch.refresh_from_db()
    assert batch.status == ImportStatus.IMPORTED
    assert (batch.created_count, batch.updated_count) == (2, 0)
    assert Resident.objects.count() == before + 2
    zhao = Resident.objects.get(name="赵敏")
    assert str(zhao.household) == "2-1-201"
    assert (zhao.birth_date, zhao.sex) == (date(1990, 4, 5), "F")
    assert zhao.id_number_masked == ZHAO_ID[:4] + "*" * 10 + ZHAO_ID[-4:]
    assert str(Resident.objects.get(name="钱多多").household) == "3-2-502"
    assert not Resident.objects.filter(name="孙悟空").exists()
    assert set(
        AuditEvent.objects.filter(action__startswith="resident.import").values_list(
            "action", flat=True
        )
    ) == {"resident.import_upload", "resident.import"}

    # The new residents are in the registry: search finds her by initials.
    page.goto(f"{live_server.url}/registry/residents/?q=zm")
    expect(page.locator("table.residents tbody td:first-child a")).to_have_text(["赵敏"])
    assert console_errors == []


def test_grid_worker_cannot_open_the_import_page(world, page, live_server, login):
    login("grid_a")
    response = page.goto(f"{live_server.url}/registry/import/")
    assert response.status == 403
    expect(page.locator("main form[enctype='multipart/form-data']")).to_have_count(0)


def run_worker():
    """What `manage.py db_worker --batch` does, in this thread: the in-memory test database
    is not visible to another process. Signal handlers are left alone."""
    from django_tasks_db.management.commands.db_worker import Worker

    Worker(
        queue_names=["default"],
        interval=0,
        batch=True,
        backend_name="default",
        startup_delay=False,
        max_tasks=None,
        worker_id="e2e",
        excluded_queue_names=[],
    ).run()


def test_import_runs_on_the_task_worker_with_progress(world, page, live_server, login, settings):
    # The production queue: jobs wait in the database until a worker takes them.
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    # Hold the page's progress polling while the worker runs: the server and the worker share
    # one SQLite connection here, and must not use it at the same time.
    hold = "**/jobs/**"
    page.route(hold, lambda route: route.abort())
    login("staff")
    page.goto(f"{live_server.url}/registry/import/")
    upload = page.locator("main form[enctype='multipart/form-data']")
    upload.locator("input[type=file]").set_input_files(
        files=[{"name": "registry.xlsx", "mimeType": XLSX, "buffer": sheet_bytes()}]
    )
    upload.locator("button.primary").click()

    # Queued: the page shows a progress bar that polls the job.
    expect(page.locator(".job[data-poll] progress")).to_be_visible()
    batch = ImportBatch.objects.get()
    assert batch.status == ImportStatus.VALIDATING
    run_worker()
    batch.refresh_from_db()
    assert batch.status == ImportStatus.VALIDATED
    # Released, the poll sees the finished job and the page turns into the preview by itself.
    page.unroute(hold)
    expect(page.locator("ol.row-errors li")).to_have_count(1)
    expect(page.locator(".job")).to_have_count(0)

    page.route(hold, lambda route: route.abort())
    page.locator("form[action$='/confirm/'] button.primary").click()
    expect(page.locator(".job[data-poll] progress")).to_be_visible()
    assert not Resident.objects.filter(name="赵敏").exists()
    run_worker()
    page.unroute(hold)
    expect(page.locator(".cards .card b")).to_have_text(["2", "0", "1"])
    assert Resident.objects.filter(name__in=["赵敏", "钱多多"]).count() == 2
