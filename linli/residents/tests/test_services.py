"""Registry writes: each is audited, the ID number is never stored in the clear, and a failed
write leaves nothing behind."""

import re
from datetime import date

import pytest
from django.db import IntegrityError, connection, transaction

from linli.core import crypto
from linli.core.errors import ApplicationError, Conflict
from linli.core.models import AuditEvent
from linli.residents import services
from linli.residents.idnumber import make_id_number
from linli.residents.models import Resident, ResidentTag, Verification

NEW_ID = make_id_number("420106", date(1991, 7, 9), 73)


def create(world, **values):
    household = world.residents["zhang"].household
    return services.resident_create(
        actor=world.user("staff"),
        household=household,
        values={"name": "赵新", "id_number": NEW_ID, **values},
    )


def counts():
    return (
        Resident.objects.count(),
        ResidentTag.objects.count(),
        AuditEvent.objects.count(),
        Verification.objects.count(),
    )


def test_create_is_audited_with_a_snapshot(world):
    resident = create(world, phone="13912345678", tags=["dialysis"])
    event = AuditEvent.objects.get(action="resident.create", target_id=str(resident.pk))
    assert event.actor == world.user("staff")
    assert event.actor_name == "staff"
    assert event.target_type == "residents.resident"
    assert event.community_id == world.community.pk
    after = event.detail["after"]
    assert after["name"] == "赵新"
    assert after["birth_date"] == "1991-07-09"
    assert after["tags"] == ["dialysis"]
    assert after["id_number_masked"] == resident.id_number_masked


def test_id_number_appears_in_no_column_of_the_row(world):
    resident = create(world)
    table = Resident._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT * FROM {table} WHERE id = %s", [resident.pk])  # noqa: S608
        row = cursor.fetchone()
    assert row is not None
    assert all(NEW_ID not in str(value) for value in row)
    assert all(NEW_ID[:14] not in str(value) for value in row)  # nor the birth-date part
    # Nor in the audit log.
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT * FROM {AuditEvent._meta.db_table}")  # noqa: S608
        assert all(NEW_ID not in str(value) for row in cursor.fetchall() for value in row)


def test_id_number_is_encrypted_hashed_and_masked(world):
    resident = create(world)
    assert crypto.decrypt(resident.id_number_encrypted) == NEW_ID
    assert resident.id_number_hash == crypto.keyed_hash(NEW_ID)
    assert resident.id_number_masked == NEW_ID[:4] + "**********" + NEW_ID[-4:]
    assert re.fullmatch(r"4201\*{10}\d{3}[\dX]", resident.id_number_masked)
    assert resident.id_last4 == NEW_ID[-4:]


def test_keyed_hash_finds_the_resident(world):
    resident = create(world)
    assert services.find_by_id_number(NEW_ID) == resident
    assert services.find_by_id_number(make_id_number("420106", date(1991, 7, 9), 75)) is None


def test_lower_case_x_is_stored_upper_case(world):
    for seq in range(100, 200):
        number = make_id_number("420106", date(1980, 1, 1), seq)
        if number.endswith("X"):
            break
    resident = create(world, id_number=number.lower())
    assert services.find_by_id_number(number) == resident
    assert resident.id_number_masked.endswith("X")


def test_update_records_before_and_after_of_changed_fields_only(world):
    zhang = world.residents["zhang"]
    services.resident_update(
        actor=world.user("grid_a"),
        resident=zhang,
        values={
            "name": "张伟",
            "phone": "13911112222",
            "note": "lives with wife",
            "tags": ["chronic"],
        },
    )
    event = AuditEvent.objects.get(action="resident.update")
    assert event.actor == world.user("grid_a")
    assert event.detail["changed"] == {
        "phone": ["13800000011", "13911112222"],
        "note": ["", "lives with wife"],
        "tags": [[], ["chronic"]],
    }


def test_update_of_the_id_never_logs_the_number(world):
    zhang = world.residents["zhang"]
    old = crypto.decrypt(zhang.id_number_encrypted)
    services.resident_update(actor=None, resident=zhang, values={"id_number": NEW_ID})
    event = AuditEvent.objects.get(action="resident.update")
    assert set(event.detail["changed"]) == {"id_number_masked", "birth_date"}  # both men
    assert NEW_ID not in str(event.detail) and old not in str(event.detail)


def test_verify_writes_a_verification_and_an_event(world):
    zhang = world.residents["zhang"]
    verification = services.resident_verify(
        actor=world.user("cadre"), resident=zhang, method="door", note="x" * 300
    )
    assert verification.verified_by == world.user("cadre")
    assert len(verification.note) == 200
    zhang.refresh_from_db()
    assert zhang.verified_at == verification.verified_at
    assert zhang.verified_by == world.user("cadre")
    event = AuditEvent.objects.get(action="resident.verify")
    assert event.detail["method"] == "door"


def test_verify_with_an_unknown_method_writes_nothing(world):
    before = counts()
    with pytest.raises(ApplicationError) as exc:
        services.resident_verify(actor=None, resident=world.residents["zhang"], method="guess")
    assert "method" in exc.value.fields
    assert counts() == before


def test_reveal_with_a_reason_is_audited(world):
    zhang = world.residents["zhang"]
    number = services.resident_reveal_id(
        actor=world.user("staff"), resident=zhang, reason="  green channel pass  "
    )
    assert number == crypto.decrypt(zhang.id_number_encrypted)
    event = AuditEvent.objects.get(action="resident.reveal_id")
    assert event.detail == {"reason": "green channel pass"}
    assert event.target_id == str(zhang.pk)
    assert number not in str(event.detail)


@pytest.mark.parametrize("reason", ["", "   ", "abc", None])
def test_reveal_without_a_reason_is_refused(world, reason):
    with pytest.raises(ApplicationError) as exc:
        services.resident_reveal_id(
            actor=world.user("staff"), resident=world.residents["zhang"], reason=reason
        )
    assert "reason" in exc.value.fields
    assert not AuditEvent.objects.filter(action="resident.reveal_id").exists()


def test_reveal_of_a_resident_without_id_is_refused(world):
    resident = services.resident_create(
        actor=None,
        household=world.residents["zhang"].household,
        values={"name": "无证", "sex": "F", "birth_date": "2000-01-01"},
    )
    with pytest.raises(ApplicationError) as exc:
        services.resident_reveal_id(actor=None, resident=resident, reason="needed for a pass")
    assert exc.value.code == "no_id"


# Nothing half-written.


def test_invalid_create_writes_nothing(world):
    before = counts()
    with pytest.raises(ApplicationError) as exc:
        create(world, id_number=NEW_ID[:-1] + ("0" if NEW_ID[-1] != "0" else "1"))
    assert exc.value.fields["id_number"]
    with pytest.raises(ApplicationError):
        create(world, tags=["chronic", "aged_60"])
    assert counts() == before


def test_duplicate_create_writes_nothing(world):
    create(world)
    before = counts()
    with pytest.raises(Conflict) as exc:
        create(world, name="另一个人")
    assert exc.value.status == 409
    assert exc.value.fields == {"id_number": [str(exc.value.fields["id_number"][0])]}
    assert counts() == before


def test_a_failure_after_the_row_is_written_rolls_everything_back(world, monkeypatch):
    def broken(**kwargs):
        raise RuntimeError("audit store unavailable")

    monkeypatch.setattr(services, "audit_record", broken)
    before = counts()
    with pytest.raises(RuntimeError):
        create(world, tags=["chronic"])
    assert counts() == before
    assert services.find_by_id_number(NEW_ID) is None


def test_a_failed_update_changes_nothing(world, monkeypatch):
    zhang = world.residents["zhang"]
    monkeypatch.setattr(services, "audit_record", lambda **kw: 1 / 0)
    with pytest.raises(ZeroDivisionError):
        services.resident_update(
            actor=None, resident=zhang, values={"phone": "13911112222", "tags": ["chronic"]}
        )
    fresh = Resident.objects.get(pk=zhang.pk)
    assert fresh.phone == "13800000011"
    assert not fresh.tags.exists()


def test_invalid_update_changes_nothing(world):
    zhang = world.residents["zhang"]
    before = counts()
    with pytest.raises(ApplicationError) as exc:
        services.resident_update(
            actor=None, resident=zhang, values={"phone": "12345", "name": "", "tags": ["pregnant"]}
        )
    assert set(exc.value.fields) == {"phone", "name"}
    assert counts() == before
    assert Resident.objects.get(pk=zhang.pk).phone == "13800000011"


def test_derived_tags_cannot_be_stored_even_bypassing_the_service(world):
    with pytest.raises(IntegrityError), transaction.atomic():
        ResidentTag.objects.create(resident=world.residents["zhang"], tag="aged_60")


def test_disability_grade_implies_the_disabled_tag(world):
    resident = create(world, disability_level="二级", tags=["chronic"])
    assert resident.disability_level == 2
    assert set(resident.tags.values_list("tag", flat=True)) == {"chronic", "disabled"}
