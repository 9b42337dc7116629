"""The cross-check services: upload, mapping rules, the linkage job against the registry, and
what accepting or rejecting a match does."""

import json

import pytest

from linli.core.errors import ApplicationError, Conflict
from linli.core.models import AuditEvent, Job
from linli.health.choices import ChangeSource, HealthStatus
from linli.health.models import HealthStatusChange
from linli.health.services import current_status, status_change
from linli.taskpool.choices import Priority, TaskKind
from linli.taskpool.models import Task
from linli.tracing import crosscheck_services as services
from linli.tracing.choices import CrossCheckStatus, ListKind, Review
from linli.tracing.models import CrossCheck, CrossCheckMatch, CrossCheckRow
from linli.tracing.tests import test_crosscheck_support as support
from linli.tracing.tests.test_crosscheck_support import (
    CHEN_ID_TYPO,
    MAPPING,
    ZHANG_ID,
    given_match,
    run,
    upload,
)

pytestmark = pytest.mark.django_db
registry = support.registry  # the fixture


# ------------------------------------------------------------------------- upload


def test_upload_stores_the_rows_as_read_with_id_numbers_sealed(world):
    crosscheck = upload(world)
    assert crosscheck.status == CrossCheckStatus.UPLOADED
    assert crosscheck.encoding == "gbk" and crosscheck.row_count == 3
    assert crosscheck.headers == ["序号", "姓名", "身份证号", "手机号", "出生日期", "性别"]
    rows = list(crosscheck.rows.order_by("number"))
    assert [r.number for r in rows] == [2, 3, 4]
    assert rows[0].data["姓名"] == "张玮" and rows[0].data["出生日期"] == "1950-03-08"
    # The ID number is encrypted at rest, like the registry's.
    assert set(rows[0].data["身份证号"]) == {"enc"}
    assert ZHANG_ID not in json.dumps([r.data for r in rows], ensure_ascii=False)
    event = AuditEvent.objects.get(action="crosscheck.upload")
    assert event.detail["rows"] == 3 and ZHANG_ID not in json.dumps(event.detail)


def test_an_unreadable_file_is_refused_naming_the_file_and_nothing_is_stored(world):
    with pytest.raises(ApplicationError) as caught:
        upload(world, content=b"")
    assert caught.value.fields == {"file": ["The file is empty."]}
    assert not CrossCheck.objects.exists() and not CrossCheckRow.objects.exists()


def test_upload_refuses_an_unknown_list_kind_and_a_threshold_out_of_range(world):
    with pytest.raises(ApplicationError) as caught:
        upload(world, list_kind="rumours")
    assert "list_kind" in caught.value.fields
    with pytest.raises(ApplicationError) as caught:
        services.crosscheck_upload(
            actor=None,
            community=world.community,
            list_kind=ListKind.OTHER,
            filename="x.csv",
            content="姓名,手机\n张伟,1\n".encode(),
            threshold=1.5,
        )
    assert "threshold" in caught.value.fields


# ------------------------------------------------------------------------- mapping


@pytest.mark.parametrize(
    ("mapping", "field", "words"),
    [
        ({"id_number": "身份证号"}, "name", "is required"),
        ({"name": "姓名"}, "id_number", "at least one of ID number, phone or birth date"),
        ({"name": "姓名", "phone": "姓名"}, "phone", "already mapped to Name"),
        ({"name": "姓名", "phone": "电话号码"}, "phone", "no column “电话号码”"),
        ({"name": "姓名", "phone": "手机号", "mood": "性别"}, "mood", "not a registry field"),
    ],
)
def test_a_mapping_that_cannot_be_linked_is_refused_naming_the_field(world, mapping, field, words):
    crosscheck = upload(world)
    with pytest.raises(ApplicationError) as caught:
        services.crosscheck_run_request(
            actor=world.user("staff"), crosscheck=crosscheck, mapping=mapping
        )
    assert words in " ".join(caught.value.fields[field])
    assert words in caught.value.message  # the message names the reason too
    crosscheck.refresh_from_db()
    assert crosscheck.status == CrossCheckStatus.UPLOADED and crosscheck.job is None
    assert not Job.objects.exists()


def test_a_column_empty_in_every_row_is_refused_as_unmappable(world):
    content = "姓名,手机,出生日期\n张伟,,1950-03-08\n李芳,,\n".encode()
    crosscheck = upload(world, content=content)
    with pytest.raises(ApplicationError) as caught:
        services.crosscheck_run_request(
            actor=world.user("staff"),
            crosscheck=crosscheck,
            mapping={"name": "姓名", "phone": "手机"},
        )
    assert caught.value.fields == {
        "phone": ["the column “手机” is empty in every row: it cannot be linked on"]
    }
    assert "Phone" in caught.value.message


# ------------------------------------------------------------------------- the job


def test_the_job_links_homophones_and_typos_and_leaves_the_outsider_unmatched(
    registry, world, django_capture_on_commit_callbacks
):
    crosscheck = run(upload(world), world, django_capture_on_commit_callbacks)
    matches = {m.row.number: m for m in CrossCheckMatch.objects.select_related("row")}
    assert matches[2].resident == registry["zhang"]  # 张玮 ≈ 张伟, the same pinyin
    assert matches[3].resident == registry["chen"]  # the ID number with a typo
    assert 4 not in matches  # 赵四 lives elsewhere
    assert matches[2].evidence["name"] == "same pinyin"
    assert matches[3].evidence["id_number"] == "1 typo"
    assert all(m.probability >= crosscheck.threshold for m in matches.values())
    assert all(m.review == Review.PENDING for m in matches.values())
    assert crosscheck.matched_rows == 2 and crosscheck.seconds > 0
    assert list(crosscheck.rows.filter(matched=False).values_list("number", flat=True)) == [4]
    job = crosscheck.job
    assert job.status == "done" and job.result["matched"] == 2 and job.result["unmatched"] == 1
    # Nothing the job wrote holds an ID number in the clear.
    for text in [job.message, json.dumps(job.result), crosscheck.error]:
        assert ZHANG_ID not in text and CHEN_ID_TYPO not in text
    assert AuditEvent.objects.filter(action="crosscheck.run").count() == 1


def test_running_again_replaces_the_waiting_matches_but_keeps_the_reviewed(
    registry, world, django_capture_on_commit_callbacks
):
    crosscheck = run(upload(world), world, django_capture_on_commit_callbacks)
    zhang_match = CrossCheckMatch.objects.get(resident=registry["zhang"])
    services.crosscheck_match_accept(actor=world.user("staff"), match=zhang_match)
    chen_match = CrossCheckMatch.objects.get(resident=registry["chen"])

    # Without the ID number and phone, 陈明's row has nothing but name, birth date and sex.
    crosscheck = run(
        crosscheck,
        world,
        django_capture_on_commit_callbacks,
        mapping={"name": "姓名", "birth_date": "出生日期", "sex": "性别", "id_number": "身份证号"},
    )
    assert CrossCheckMatch.objects.get(pk=zhang_match.pk).review == Review.CONFIRMED
    assert not CrossCheckMatch.objects.filter(pk=chen_match.pk).exists()
    # The reviewed pair is not proposed a second time.
    assert CrossCheckMatch.objects.filter(resident=registry["zhang"]).count() == 1


def test_a_run_already_going_is_not_started_twice(world, registry):
    crosscheck = upload(world)
    CrossCheck.objects.filter(pk=crosscheck.pk).update(status=CrossCheckStatus.RUNNING)
    with pytest.raises(Conflict):
        services.crosscheck_run_request(
            actor=world.user("staff"), crosscheck=crosscheck, mapping=MAPPING
        )


def test_a_crash_records_the_kind_of_error_not_its_text(world):
    crosscheck = upload(world)
    services.crosscheck_crashed(
        crosscheck_id=crosscheck.pk, exc=RuntimeError(f"cannot convert {ZHANG_ID}")
    )
    crosscheck.refresh_from_db()
    assert crosscheck.status == CrossCheckStatus.FAILED
    assert "RuntimeError" in crosscheck.error and ZHANG_ID not in crosscheck.error


# ------------------------------------------------------------------------- review


def test_accepting_a_confirmed_case_changes_the_status_and_makes_an_urgent_task(registry, world):
    zhang = registry["zhang"]
    match = given_match(world, upload(world), row_number=2, resident=zhang)
    outcome = services.crosscheck_match_accept(actor=world.user("staff"), match=match)
    assert outcome.changed and outcome.status_to == HealthStatus.CONFIRMED and not outcome.refusal
    assert current_status(zhang) == HealthStatus.CONFIRMED
    change = HealthStatusChange.objects.get(resident=zhang)
    assert change.source == ChangeSource.CROSSCHECK and "row 2" in change.reason
    task = Task.objects.get(resident=zhang, kind=TaskKind.CHECK_VISIT)
    assert outcome.task == task and task.priority == Priority.URGENT
    match.refresh_from_db()
    assert match.review == Review.CONFIRMED and match.reviewed_by == world.user("staff")
    assert AuditEvent.objects.filter(action="crosscheck.accept").count() == 1


def test_accepting_twice_does_nothing_the_second_time(registry, world):
    match = given_match(world, upload(world), row_number=2, resident=registry["zhang"])
    services.crosscheck_match_accept(actor=world.user("staff"), match=match)
    again = services.crosscheck_match_accept(actor=world.user("staff"), match=match)
    assert not again.changed and again.match.review == Review.CONFIRMED
    assert HealthStatusChange.objects.count() == 1
    assert Task.objects.filter(resident=registry["zhang"]).count() == 1
    assert AuditEvent.objects.filter(action="crosscheck.accept").count() == 1


def test_a_refused_status_does_not_block_the_acceptance(registry, world):
    chen = registry["chen"]
    status_change(actor=None, resident=chen, to_status=HealthStatus.DECEASED, reason="died")
    match = given_match(world, upload(world), row_number=3, resident=chen)
    outcome = services.crosscheck_match_accept(actor=world.user("staff"), match=match)
    assert outcome.changed and outcome.match.review == Review.CONFIRMED
    assert not outcome.status_to and "final" in outcome.refusal
    assert current_status(chen) == HealthStatus.DECEASED
    assert outcome.task is not None


@pytest.mark.parametrize(
    ("kind", "status", "title"),
    [
        (ListKind.CLOSE_CONTACTS, HealthStatus.CLOSE_CONTACT, "Close contact"),
        (ListKind.TRAVELLERS, HealthStatus.HEALTHY, "Travelled: ask, test"),
        (ListKind.OTHER, HealthStatus.HEALTHY, "On an external list"),
    ],
)
def test_what_accepting_does_depends_on_the_list(registry, world, kind, status, title):
    wang = registry["wang"]
    match = given_match(world, upload(world, list_kind=kind), row_number=2, resident=wang)
    outcome = services.crosscheck_match_accept(actor=world.user("staff"), match=match)
    assert current_status(wang) == status
    assert outcome.task.title.startswith(title) and wang.name in outcome.task.title


def test_a_discharge_list_marks_a_patient_recovered_when_the_rules_allow(registry, world):
    wang, chen = registry["wang"], registry["chen"]
    status_change(actor=None, resident=wang, to_status=HealthStatus.HOSPITALISED, reason="x")
    crosscheck = upload(world, list_kind=ListKind.DISCHARGED)
    first = given_match(world, crosscheck, row_number=2, resident=wang)
    second = given_match(world, crosscheck, row_number=3, resident=chen)
    staff = world.user("staff")
    assert services.crosscheck_match_accept(actor=staff, match=first).status_to == "recovered"
    refused = services.crosscheck_match_accept(actor=staff, match=second)
    # Healthy people do not "recover": the rule is told, the follow-up task made all the same.
    assert not refused.status_to and "can only move to" in refused.refusal
    assert refused.task.title.startswith("Discharged from hospital")


def test_rejecting_puts_the_row_among_the_unmatched_and_twice_does_nothing(registry, world):
    crosscheck = upload(world)
    match = given_match(world, crosscheck, row_number=2, resident=registry["zhang"])
    staff = world.user("staff")
    outcome = services.crosscheck_match_reject(actor=staff, match=match)
    assert outcome.changed and outcome.match.review == Review.DISMISSED
    assert not CrossCheckRow.objects.get(pk=match.row_id).matched
    assert not services.crosscheck_match_reject(actor=staff, match=match).changed
    assert AuditEvent.objects.filter(action="crosscheck.reject").count() == 1
    assert current_status(registry["zhang"]) == HealthStatus.HEALTHY
    assert not Task.objects.filter(resident=registry["zhang"]).exists()
    # A rejection had no consequences, so it may still be accepted after all...
    assert services.crosscheck_match_accept(actor=staff, match=match).changed
    assert CrossCheckRow.objects.get(pk=match.row_id).matched
    # ...but an acceptance cannot be taken back by a rejection: its consequences stand.
    with pytest.raises(Conflict):
        services.crosscheck_match_reject(actor=staff, match=match)


def test_accept_all_takes_only_the_near_certain(registry, world):
    crosscheck = upload(world)
    sure = given_match(
        world, crosscheck, row_number=2, resident=registry["zhang"], probability=0.995
    )
    unsure = given_match(
        world, crosscheck, row_number=3, resident=registry["chen"], probability=0.95
    )
    outcomes = services.crosscheck_accept_all(actor=world.user("staff"), crosscheck=crosscheck)
    assert [o.match.pk for o in outcomes] == [sure.pk]
    unsure.refresh_from_db()
    assert unsure.review == Review.PENDING
