"""The registry import end to end: upload -> check job -> preview -> import job (or discard).

Background jobs run in-process (ImmediateBackend) once the transaction that queued them
commits, i.e. inside django_capture_on_commit_callbacks(execute=True).
"""

import io
from datetime import date

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from openpyxl import Workbook, load_workbook

from linli.core.models import AuditEvent, Job, JobStatus
from linli.places.models import Building, Community, Grid, Household
from linli.residents import import_services
from linli.residents.idnumber import make_id_number
from linli.residents.models import ImportBatch, ImportStatus, Resident

HEADERS = ["楼栋", "单元", "房号", "姓名", "身份证号", "手机号", "特殊群体"]


def new_id(seq, birth=date(1970, 5, 6)):
    return make_id_number("420106", birth, seq)


def zhang_id():
    return make_id_number("420106", date(1950, 3, 8), 11)


def xlsx(rows, headers=HEADERS) -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.append(headers)
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def sheet_file(content, name="registry.xlsx"):
    return SimpleUploadedFile(name, content, content_type="application/octet-stream")


@pytest.fixture
def upload(as_user, django_capture_on_commit_callbacks):
    """upload(content) as staff -> (client, response, batch), the check job already run."""

    def run(content, user="staff", name="registry.xlsx"):
        client = as_user(user)
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post("/registry/import/", {"file": sheet_file(content, name)})
        batch = ImportBatch.objects.order_by("-pk").first()
        return client, response, batch

    return run


@pytest.fixture
def confirm(django_capture_on_commit_callbacks):
    def run(client, batch):
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(f"/registry/import/{batch.pk}/confirm/")
        batch.refresh_from_db()
        return response

    return run


def registry_counts():
    return Resident.objects.count(), Household.objects.count()


GOOD_ROWS = [
    ["1", 1, "401", "赵新", new_id(31), "13911112222", "dialysis"],
    ["2", 1, "402", "钱芳", new_id(32), None, None],
    ["3", 2, "502", "孙强", new_id(33), None, "low_income, chronic"],
]


# ---------------------------------------------------------------- the happy path


def test_upload_checks_every_row_and_writes_nothing_until_confirmed(world, upload):
    before = registry_counts()
    wrong = new_id(35)[:17] + ("1" if new_id(35)[17] != "1" else "2")
    rows = [*GOOD_ROWS, ["1", 1, "403", "李四", wrong, None, None]]
    client, response, batch = upload(xlsx(rows))
    assert response.status_code == 302
    assert response["Location"] == f"/registry/import/{batch.pk}/"
    assert batch.status == ImportStatus.VALIDATED
    assert (batch.total_rows, batch.valid_rows, batch.error_rows) == (4, 3, 1)
    assert registry_counts() == before  # checked, previewed, not imported

    page = client.get(f"/registry/import/{batch.pk}/").content.decode()
    assert "Row 5 身份证号: ID number check digit is wrong" in page
    assert "Import the 3 valid rows and skip the rows with errors" in page
    assert "Import nothing (discard)" in page
    assert "赵新" in page  # the preview
    assert new_id(31) not in page  # ID numbers only masked
    assert new_id(31)[:4] + "**********" + new_id(31)[-4:] in page


def test_confirming_imports_the_valid_rows_with_tags_and_households(world, upload, confirm):
    residents, households = registry_counts()
    client, _response, batch = upload(xlsx(GOOD_ROWS))
    response = confirm(client, batch)
    assert response.status_code == 302
    assert batch.status == ImportStatus.IMPORTED
    assert (batch.created_count, batch.updated_count) == (3, 0)
    assert bytes(batch.content) == b""  # the sheet is not kept once imported
    assert batch.finished_at is not None
    assert registry_counts() == (residents + 3, households + 3)
    zhao = Resident.objects.get(name="赵新")
    assert zhao.household.building == world.building_a1
    assert str(zhao.household) == "1-1-401"
    assert zhao.birth_date == date(1970, 5, 6)
    assert zhao.sex == "M"
    assert zhao.id_number_masked.endswith(new_id(31)[-4:])
    assert (zhao.name_pinyin, zhao.name_initials) == ("zhaoxin", "zx")
    assert sorted(t.tag for t in Resident.objects.get(name="孙强").tags.all()) == [
        "chronic",
        "low_income",
    ]
    assert batch.job.status == JobStatus.DONE
    assert batch.job.result["created"] == 3
    page = client.get(f"/registry/import/{batch.pk}/").content.decode()
    assert "residents added" in page


def test_import_and_upload_are_audited_once_each_with_counts(world, upload, confirm):
    client, _response, batch = upload(xlsx(GOOD_ROWS))
    confirm(client, batch)
    uploaded = AuditEvent.objects.get(action="resident.import_upload")
    assert uploaded.actor == world.user("staff")
    assert uploaded.target_id == str(batch.pk)
    assert uploaded.community_id == world.community.pk
    assert uploaded.detail["filename"] == "registry.xlsx"
    imported = AuditEvent.objects.get(action="resident.import")
    assert imported.actor == world.user("staff")
    assert imported.community_id == world.community.pk
    assert imported.detail["created"] == 3
    assert imported.detail["updated"] == 0
    assert imported.detail["rows"] == 3
    # One event for the import, not one per resident.
    assert not AuditEvent.objects.filter(action="resident.create", actor_name="staff").exists()


def test_the_same_id_number_updates_the_registered_resident(world, upload, confirm):
    zhang = world.residents["zhang"]
    count = Resident.objects.count()
    rows = [["1", 1, "301", "张伟", zhang_id(), "13999998888", "chronic"]]
    client, _response, batch = upload(xlsx(rows))
    assert batch.job.result["updates"] == 1
    confirm(client, batch)
    assert (batch.created_count, batch.updated_count) == (0, 1)
    assert Resident.objects.count() == count
    zhang.refresh_from_db()
    assert zhang.phone == "13999998888"
    assert [t.tag for t in zhang.tags.all()] == ["chronic"]


def test_an_update_can_move_a_person_and_blank_cells_erase_nothing(world, upload, confirm):
    zhang = world.residents["zhang"]
    old_phone = zhang.phone
    rows = [["2", 3, "605", "张伟", zhang_id(), None, None]]
    client, _response, batch = upload(xlsx(rows))
    confirm(client, batch)
    zhang.refresh_from_db()
    assert str(zhang.household) == "2-3-605"
    assert zhang.phone == old_phone


def test_running_the_same_import_again_changes_nothing(world, upload, confirm):
    client, _response, first = upload(xlsx(GOOD_ROWS))
    confirm(client, first)
    counts = registry_counts()
    snapshot = list(Resident.objects.order_by("pk").values_list("pk", "updated_at", "phone"))
    client, _response, second = upload(xlsx(GOOD_ROWS))
    assert second.job.result["updates"] == 3
    confirm(client, second)
    assert second.status == ImportStatus.IMPORTED
    assert (second.created_count, second.updated_count) == (0, 0)
    assert registry_counts() == counts
    assert list(Resident.objects.order_by("pk").values_list("pk", "updated_at", "phone")) == (
        snapshot
    )
    assert (
        AuditEvent.objects.get(target_id=str(second.pk), action="resident.import").detail[
            "unchanged"
        ]
        == 3
    )


def test_rows_without_id_numbers_dedupe_on_household_name_and_birth_date(world, upload, confirm):
    headers = ["楼栋", "单元", "房号", "姓名", "性别", "出生日期", "手机号"]
    rows = [["3", 1, "808", "周敏", "女", "1962-04-05", "13700001111"]]
    client, _response, first = upload(xlsx(rows, headers))
    confirm(client, first)
    assert first.created_count == 1
    rows[0][6] = "13700002222"
    client, _response, second = upload(xlsx(rows, headers))
    confirm(client, second)
    assert (second.created_count, second.updated_count) == (0, 1)
    assert Resident.objects.filter(name="周敏").count() == 1
    assert Resident.objects.get(name="周敏").phone == "13700002222"


def test_a_later_sheet_with_the_id_number_completes_the_same_person(world, upload, confirm):
    headers = ["楼栋", "单元", "房号", "姓名", "性别", "出生日期"]
    client, _response, first = upload(xlsx([["1", 1, "909", "吴杰", "男", "1970-05-06"]], headers))
    confirm(client, first)
    rows = [["1", 1, "909", "吴杰", new_id(41), None, None]]
    client, _response, second = upload(xlsx(rows))
    confirm(client, second)
    assert (second.created_count, second.updated_count) == (0, 1)
    person = Resident.objects.get(name="吴杰")
    assert person.id_number_masked.endswith(new_id(41)[-4:])


# ---------------------------------------------------------------- double clicks, discard


def test_double_clicking_import_imports_once(world, upload, confirm):
    client, _response, batch = upload(xlsx(GOOD_ROWS))
    confirm(client, batch)
    count = Resident.objects.count()
    response = confirm(client, batch)
    assert response.status_code == 302
    assert Resident.objects.count() == count
    assert AuditEvent.objects.filter(action="resident.import").count() == 1
    assert Job.objects.filter(kind="residents.import").count() == 1
    page = client.get(response["Location"]).content.decode()
    assert "already being imported, was imported or was dropped" in page


def test_a_second_confirm_while_importing_is_refused(world, upload):
    client, _response, batch = upload(xlsx(GOOD_ROWS))
    # The first click's job is queued but not run yet (no on_commit execution here).
    staff = world.user("staff")
    import_services.import_batch_confirm(actor=staff, batch=batch)
    with pytest.raises(import_services.Conflict):
        import_services.import_batch_confirm(actor=staff, batch=batch)
    batch.refresh_from_db()
    assert batch.status == ImportStatus.IMPORTING


def test_discarding_imports_nothing_and_deletes_the_sheet(world, upload, confirm):
    before = registry_counts()
    client, _response, batch = upload(xlsx(GOOD_ROWS))
    response = client.post(f"/registry/import/{batch.pk}/discard/")
    assert response.status_code == 302
    batch.refresh_from_db()
    assert batch.status == ImportStatus.CANCELLED
    assert bytes(batch.content) == b""
    confirm(client, batch)
    assert batch.status == ImportStatus.CANCELLED
    assert registry_counts() == before
    assert AuditEvent.objects.filter(action="resident.import_discard").count() == 1


# ---------------------------------------------------------------- malformed input


def test_a_non_excel_file_renamed_xlsx_is_refused_on_upload(world, as_user):
    response = as_user("staff").post(
        "/registry/import/", {"file": sheet_file(b"name,building\nzhang,1\n", "sheet.xlsx")}
    )
    assert response.status_code == 400
    assert "not an Excel .xlsx workbook" in response.content.decode()
    assert not ImportBatch.objects.exists()


def test_an_empty_upload_is_refused(world, as_user):
    response = as_user("staff").post("/registry/import/", {"file": sheet_file(b"")})
    assert response.status_code == 400
    assert not ImportBatch.objects.exists()


def test_too_big_a_file_is_refused_on_upload(world, as_user, settings):
    content = xlsx(GOOD_ROWS)
    settings.LINLI_IMPORT_MAX_BYTES = len(content) - 1
    response = as_user("staff").post("/registry/import/", {"file": sheet_file(content)})
    assert response.status_code == 400
    assert "too big" in response.content.decode()
    assert not ImportBatch.objects.exists()


def test_a_missing_column_fails_the_batch_with_the_column_named(world, upload):
    before = registry_counts()
    content = xlsx([["1", 1, "401", new_id(31)]], headers=["楼栋", "单元", "房号", "身份证号"])
    client, _response, batch = upload(content)
    assert batch.status == ImportStatus.FAILED
    assert batch.file_error == "Missing column: 姓名/Name"
    assert bytes(batch.content) == b""
    assert batch.job.status == JobStatus.FAILED
    page = client.get(f"/registry/import/{batch.pk}/").content.decode()
    assert "Missing column: 姓名/Name" in page
    assert f"/registry/import/{batch.pk}/confirm/" not in page
    assert registry_counts() == before


def test_too_many_rows_fail_the_batch(world, upload, settings):
    settings.LINLI_IMPORT_MAX_ROWS = 2
    _client, _response, batch = upload(xlsx(GOOD_ROWS))
    assert batch.status == ImportStatus.FAILED
    assert "more than 2 rows" in batch.file_error


def test_a_sheet_of_bad_rows_offers_no_import(world, upload):
    rows = [["1", 1, "401", "", None, None, None], ["9", 1, "401", "钱芳", new_id(32), None, None]]
    client, _response, batch = upload(xlsx(rows))
    assert (batch.valid_rows, batch.error_rows) == (0, 2)
    page = client.get(f"/registry/import/{batch.pk}/").content.decode()
    assert "Row 2 姓名: is required" in page
    assert "Row 3 楼栋: no building numbered 9 in this community" in page
    assert f"/registry/import/{batch.pk}/confirm/" not in page
    with pytest.raises(import_services.ApplicationError):
        import_services.import_batch_confirm(actor=world.user("staff"), batch=batch)


def test_an_id_number_of_another_community_is_a_row_error(world, upload):
    other = Community.objects.create(name="别的社区", code="other")
    grid = Grid.objects.create(community=other, number=1, name="一")
    building = Building.objects.create(community=other, grid=grid, number="1")
    from linli.places.services import household_get_or_create
    from linli.residents.services import resident_create

    household = household_get_or_create(building=building, entrance=1, room="101")
    resident_create(
        actor=None, household=household, values={"name": "外人", "id_number": new_id(51)}
    )
    _client, _response, batch = upload(xlsx([["1", 1, "401", "外人", new_id(51), None, None]]))
    assert batch.valid_rows == 0
    assert batch.errors[0]["message"] == "is registered to a resident of another community"


def test_a_crash_in_the_check_job_fails_the_batch_instead_of_hanging(world, upload, monkeypatch):
    def boom(*args, **kwargs):
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(import_services, "parse_workbook", boom)
    _client, _response, batch = upload(xlsx(GOOD_ROWS))
    assert batch.status == ImportStatus.FAILED
    assert "unexpected error" in batch.file_error
    assert batch.job.status == JobStatus.FAILED


# ---------------------------------------------------------------- pages and access


def test_the_batch_page_shows_progress_while_the_check_runs(world, as_user):
    client = as_user("staff")
    client.post("/registry/import/", {"file": sheet_file(xlsx(GOOD_ROWS))})  # job not run
    batch = ImportBatch.objects.get()
    assert batch.status == ImportStatus.VALIDATING
    page = client.get(f"/registry/import/{batch.pk}/").content.decode()
    assert f'data-job-url="/jobs/{batch.job.pk}"' in page
    assert f'data-done-url="/registry/import/{batch.pk}/"' in page
    assert "data-poll" in page
    job = client.get(f"/jobs/{batch.job.pk}", headers={"accept": "application/json"}).json()
    assert job["kind"] == "residents.import_check"
    assert not job["finished"]


def test_the_upload_page_and_template_work_for_staff(world, as_user):
    client = as_user("staff")
    page = client.get("/registry/import/")
    assert page.status_code == 200
    assert 'name="file"' in page.content.decode()
    assert "/registry/import/template.xlsx" in page.content.decode()
    response = client.get("/registry/import/template.xlsx")
    assert response.status_code == 200
    book = load_workbook(io.BytesIO(response.content), read_only=True)
    header = next(book.worksheets[0].iter_rows(values_only=True))
    assert header[:4] == ("楼栋", "单元", "房号", "姓名")


def test_an_admin_with_several_communities_chooses_one(world, as_user, upload):
    Community.objects.create(name="别的社区", code="other")
    page = as_user("admin").get("/registry/import/").content.decode()
    assert '<select name="community"' in page
    client = as_user("admin")
    response = client.post("/registry/import/", {"file": sheet_file(xlsx(GOOD_ROWS))})
    assert response.status_code == 400  # which community?
    response = client.post(
        "/registry/import/",
        {"file": sheet_file(xlsx(GOOD_ROWS)), "community": world.community.pk},
    )
    assert response.status_code == 302
    assert ImportBatch.objects.get().community == world.community


@pytest.mark.parametrize("persona", ["grid_a", "grid_b", "volunteer", "cadre", "resident"])
@pytest.mark.parametrize("path", ["", "template.xlsx"])
def test_only_staff_and_admin_may_import(world, as_user, persona, path):
    response = as_user(persona).get(f"/registry/import/{path}")
    assert response.status_code == 403
    assert "You may not import into the registry." in response.content.decode()


def test_an_outsider_is_refused_and_an_anonymous_visitor_must_log_in(world, as_user, client):
    assert as_user("outsider").get("/registry/import/").status_code == 403
    response = client.get("/registry/import/")
    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]


@pytest.mark.parametrize("persona", ["grid_b", "volunteer", "outsider"])
def test_others_cannot_see_confirm_or_discard_a_batch(world, upload, as_user, persona):
    before = registry_counts()
    _client, _response, batch = upload(xlsx(GOOD_ROWS))
    other = as_user(persona)
    assert other.get(f"/registry/import/{batch.pk}/").status_code == 403
    assert other.post(f"/registry/import/{batch.pk}/confirm/").status_code == 403
    assert other.post(f"/registry/import/{batch.pk}/discard/").status_code == 403
    batch.refresh_from_db()
    assert batch.status == ImportStatus.VALIDATED
    assert registry_counts() == before


def test_staff_of_another_community_get_404_for_a_batch(world, upload, as_user):
    from linli.accounts.choices import Role
    from linli.accounts.services import grant_role
    from linli.testing import make_user

    other = Community.objects.create(name="别的社区", code="other")
    stranger = make_user("stranger")
    grant_role(user=stranger, role=Role.STAFF, community=other)
    _client, _response, batch = upload(xlsx(GOOD_ROWS))
    client = as_user("staff")
    client.force_login(stranger)
    assert client.get(f"/registry/import/{batch.pk}/").status_code == 404
    assert client.post(f"/registry/import/{batch.pk}/confirm/").status_code == 404
    batch.refresh_from_db()
    assert batch.status == ImportStatus.VALIDATED
    # And their upload page lists none of this community's files.
    assert "registry.xlsx" not in client.get("/registry/import/").content.decode()


def test_staff_with_only_a_grid_grant_may_not_import(world, as_user):
    from linli.accounts.choices import Role
    from linli.accounts.services import grant_role

    user = world.user("grid_a")
    grant_role(user=user, role=Role.STAFF, grid=world.grid_a)
    response = as_user("grid_a").get("/registry/import/")
    assert response.status_code == 403
    assert "community-wide role" in response.content.decode()


def test_the_jobs_run_on_the_production_database_queue(
    world, as_user, settings, django_capture_on_commit_callbacks, monkeypatch
):
    # Production queues jobs in the database for `manage.py db_worker`: the arguments must be
    # plain JSON and the task importable by its path.
    from django.core.management import call_command
    from django_tasks_db.models import DBTaskResult

    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    # The worker closes "old" connections between jobs; here that is the test's own connection,
    # still inside the test transaction (PostgreSQL would lose it; SQLite's in-memory one not).
    monkeypatch.setattr(
        "django_tasks_db.management.commands.db_worker.close_old_connections", lambda: None
    )
    client = as_user("staff")
    with django_capture_on_commit_callbacks(execute=True):
        client.post("/registry/import/", {"file": sheet_file(xlsx(GOOD_ROWS))})
    batch = ImportBatch.objects.get()
    assert batch.status == ImportStatus.VALIDATING  # queued, not run
    assert DBTaskResult.objects.filter(task_path="linli.residents.tasks.check_import").exists()
    call_command("db_worker", "--batch", "--no-startup-delay", verbosity=0)
    batch.refresh_from_db()
    assert batch.status == ImportStatus.VALIDATED
    assert batch.valid_rows == 3


def test_a_checked_sheet_left_for_a_day_is_dropped(
    world, as_user, django_capture_on_commit_callbacks
):
    from datetime import timedelta

    from django.utils import timezone

    from linli.residents.import_services import import_batches_expire

    client = as_user("staff")
    with django_capture_on_commit_callbacks(execute=True):
        client.post("/registry/import/", {"file": sheet_file(xlsx(GOOD_ROWS))})
    batch = ImportBatch.objects.get()
    assert batch.status == ImportStatus.VALIDATED
    assert import_batches_expire(now=timezone.now() + timedelta(hours=23)) == 0
    assert import_batches_expire(now=timezone.now() + timedelta(hours=25)) == 1
    batch.refresh_from_db()
    assert batch.status == ImportStatus.CANCELLED
    assert bytes(batch.content) == b""
