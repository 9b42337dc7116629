"""Health services: transitions and their rules, death, quarantine, daily reports, tests,
missing-report tasks."""

import datetime as dt

import pytest
from django.utils import timezone

from linli.core.errors import ApplicationError, Conflict
from linli.delivery.eligibility import quarantined_household_ids
from linli.health import services
from linli.health.choices import ChangeSource, HealthStatus, QuarantineKind
from linli.health.models import HealthReport, HealthStatusChange, Quarantine, QuarantineExtension
from linli.residents.choices import Tag
from linli.residents.models import ResidentTag
from linli.taskpool.choices import Priority, TaskKind
from linli.taskpool.models import Task

S = HealthStatus


def change(world, who, to, *, actor="staff", **kwargs):
    return services.status_change(
        actor=world.user(actor),
        resident=world.residents[who],
        to_status=to,
        reason=kwargs.pop("reason", "test"),
        **kwargs,
    )


def visits(resident):
    return Task.objects.filter(kind=TaskKind.CHECK_VISIT, resident=resident)


def test_an_allowed_change_records_who_when_why(world):
    moved = change(world, "chen", S.CLOSE_CONTACT, reason="shared a lift with a case")
    assert (moved.from_status, moved.to_status) == (S.HEALTHY, S.CLOSE_CONTACT)
    assert moved.changed_by == world.user("staff") and moved.reason == "shared a lift with a case"
    assert services.current_status(world.residents["chen"]) == S.CLOSE_CONTACT


def test_a_refused_change_names_the_rule_and_changes_nothing(world):
    change(world, "chen", S.CONFIRMED)
    with pytest.raises(Conflict) as refused:
        change(world, "chen", S.HEALTHY)
    assert refused.value.code == "bad_transition"
    assert "From Confirmed case the status can only move to: " in refused.value.message
    assert "Recovered" in refused.value.message
    assert services.current_status(world.residents["chen"]) == S.CONFIRMED
    assert HealthStatusChange.objects.filter(resident=world.residents["chen"]).count() == 1


def test_a_death_is_final(world):
    change(world, "wang", S.DECEASED)
    with pytest.raises(Conflict) as refused:
        change(world, "wang", S.RECOVERED)
    assert "Deceased is final" in refused.value.message


def test_a_death_marks_the_rest_of_the_household_bereaved(world):
    change(world, "zhang", S.DECEASED, reason="died in hospital")
    bereaved = set(ResidentTag.objects.filter(tag=Tag.BEREAVED).values_list("resident", flat=True))
    assert bereaved == {world.residents["zhang_wife"].pk}


def test_a_stale_expected_status_is_refused(world):
    change(world, "chen", S.SYMPTOMATIC)
    with pytest.raises(Conflict) as refused:
        change(world, "chen", S.SUSPECTED, expected=S.HEALTHY)
    assert refused.value.code == "status_moved"
    assert services.current_status(world.residents["chen"]) == S.SYMPTOMATIC
    change(world, "chen", S.SUSPECTED, expected=S.SYMPTOMATIC)  # the fresh view goes through


def test_a_change_without_a_reason_names_the_field(world):
    with pytest.raises(ApplicationError) as refused:
        change(world, "chen", S.SYMPTOMATIC, reason="  ")
    assert set(refused.value.fields) == {"reason"}


def test_quarantine_start_extend_release(world, settings):
    settings.LINLI_QUARANTINE_DAYS = 14
    chen = world.residents["chen"]
    today = timezone.localdate()
    quarantine = services.quarantine_start(
        actor=world.user("staff"), resident=chen, kind=QuarantineKind.HOME, reason="close contact"
    )
    assert quarantine.ends_on == today + dt.timedelta(days=14)
    assert services.current_status(chen) == S.HOME_QUARANTINE
    assert visits(chen).count() == 1  # the first day's follow-up

    services.quarantine_extend(
        actor=world.user("doctor"), quarantine=quarantine, days=3, reason="positive housemate"
    )
    extension = QuarantineExtension.objects.get(quarantine=quarantine)
    assert (extension.old_end, extension.new_end) == (
        today + dt.timedelta(days=14),
        today + dt.timedelta(days=17),
    )
    with pytest.raises(ApplicationError) as refused:
        services.quarantine_extend(actor=None, quarantine=quarantine, days=3, reason="")
    assert set(refused.value.fields) == {"reason"}

    released = services.quarantine_release(
        actor=world.user("staff"), quarantine=quarantine, note="negative PCR on day 14"
    )
    assert released.released_on == today and released.release_note == "negative PCR on day 14"
    assert services.current_status(chen) == S.HEALTHY
    with pytest.raises(Conflict):
        services.quarantine_release(actor=None, quarantine=quarantine)


def test_a_second_quarantine_while_one_is_in_force_is_refused(world):
    chen = world.residents["chen"]
    services.quarantine_start(actor=None, resident=chen, kind=QuarantineKind.HOME, reason="x")
    with pytest.raises(Conflict):
        services.quarantine_start(actor=None, resident=chen, kind=QuarantineKind.HOME, reason="x")
    assert Quarantine.objects.filter(resident=chen).count() == 1


def test_home_quarantine_makes_the_household_a_door_delivery_household(world):
    zhang = world.residents["zhang"]
    quarantine = services.quarantine_start(
        actor=None, resident=zhang, kind=QuarantineKind.HOME, reason="contact"
    )
    services.quarantine_start(
        actor=None, resident=world.residents["chen"], kind=QuarantineKind.CENTRAL, reason="x"
    )
    # Centralised quarantine is in a hotel: the family at home still collects.
    assert quarantined_household_ids(world.community) == {zhang.household_id}
    services.quarantine_release(actor=None, quarantine=quarantine)
    assert quarantined_household_ids(world.community) == set()


def test_daily_follow_ups_are_one_task_per_person_not_one_a_day(world):
    chen = world.residents["chen"]
    quarantine = services.quarantine_start(
        actor=None, resident=chen, kind=QuarantineKind.HOME, reason="contact", days=5
    )
    today = timezone.localdate()
    assert services.quarantines_daily(today=today) == {"followups": 1, "ending": 0}
    services.quarantines_daily(today=today)
    services.quarantines_daily(today=today + dt.timedelta(days=1))
    assert visits(chen).count() == 1
    ending = services.quarantines_daily(today=quarantine.ends_on)
    assert ending == {"followups": 0, "ending": 1}


def test_a_report_sent_twice_the_same_day_is_one_report(world):
    zhang = world.residents["zhang"]
    first, created = services.report_submit(
        actor=world.user("resident"), resident=zhang, temperature="36.4"
    )
    again, created_again = services.report_submit(
        actor=world.user("resident"), resident=zhang, temperature="36,6", note="corrected"
    )
    assert created and not created_again and first.pk == again.pk
    report = HealthReport.objects.get(resident=zhang)
    assert (str(report.temperature), report.note, report.source) == ("36.6", "corrected", "self")


def test_a_worker_report_is_marked_as_by_a_worker(world):
    report, _created = services.report_submit(
        actor=world.user("leader_a1"), resident=world.residents["zhang"], temperature=36.5
    )
    assert report.source == "worker"


def test_a_fever_makes_a_healthy_person_symptomatic_with_a_visit(world):
    zhang = world.residents["zhang"]
    services.report_submit(
        actor=world.user("resident"), resident=zhang, temperature="38.2", symptoms=["cough"]
    )
    assert services.current_status(zhang) == S.SYMPTOMATIC
    moved = HealthStatusChange.objects.get(resident=zhang)
    assert moved.source == ChangeSource.REPORT and "38.2" in moved.reason
    assert visits(zhang).count() == 1


@pytest.mark.parametrize(
    "temperature,symptoms,field",
    [("hot", [], "temperature"), ("45", [], "temperature"), ("36.5", ["sneezing"], "symptoms")],
)
def test_a_bad_report_names_the_field(world, temperature, symptoms, field):
    with pytest.raises(ApplicationError) as refused:
        services.report_submit(
            actor=None,
            resident=world.residents["zhang"],
            temperature=temperature,
            symptoms=symptoms,
        )
    assert set(refused.value.fields) == {field}
    assert not HealthReport.objects.exists()


def test_a_positive_test_makes_a_suspected_case_with_an_urgent_visit(world):
    chen = world.residents["chen"]
    services.lab_result_record(
        actor=world.user("doctor"),
        resident=chen,
        kind="antigen",
        outcome="positive",
        sampled_on=timezone.localdate(),
    )
    assert services.current_status(chen) == S.SUSPECTED
    assert visits(chen).get().priority in {Priority.URGENT, Priority.HIGH}


def test_missing_report_tasks_wait_for_the_hour_then_one_per_household(world, settings):
    settings.LINLI_HEALTH_REPORT_HOUR = 10
    today = timezone.localdate()
    at = lambda hour: timezone.make_aware(dt.datetime.combine(today, dt.time(hour)))  # noqa: E731
    services.report_submit(actor=None, resident=world.residents["wang"], temperature="36.5")
    assert services.missing_report_tasks(community=world.community, now=at(9)) == 0
    # zhang's household, chen's and single's (wang reported): one task per household.
    assert services.missing_report_tasks(community=world.community, now=at(11)) == 3
    assert services.missing_report_tasks(community=world.community, now=at(12)) == 0
    assert Task.objects.filter(household=world.residents["zhang"].household).count() == 1
