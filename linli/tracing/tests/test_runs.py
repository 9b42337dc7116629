"""Tracing runs end to end on a small handmade set of check-ins: the page starts the job, the
engine finds the expected contacts, confirming changes the status and puts a visit in the
task pool; dismissing, confirming all, failures, access, and the review list's query count.

The set (yesterday, one index case: Zhang, confirmed):
  shop   Zhang 10:00-10:30, Wang 10:20-10:50 (10 min together), Single enters 10:40 with no
         exit (only the 15-minute buffer joins her to Zhang), Chen 11:30-11:40 (after
         everyone's stay and buffer);
  clinic Wang 12:00-12:30, Chen 12:10-12:40: Chen is Wang's contact after Wang's exposure,
         so a secondary contact;
  Zhang's wife lives with him: a household contact.
"""

import datetime as dt
import tempfile

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from linli.core.models import AuditEvent, Job, JobStatus
from linli.health.choices import ChangeSource, HealthStatus
from linli.health.models import HealthRecord, HealthStatusChange, Quarantine
from linli.health.services import status_change
from linli.places.models import Community
from linli.taskpool.choices import TaskKind
from linli.taskpool.models import Task
from linli.tracing import services
from linli.tracing.choices import ContactKind, Review, RunStatus
from linli.tracing.models import CheckIn, TraceContact, TracingRun
from linli.tracing.tests.test_checkins import make_place

pytestmark = pytest.mark.django_db


def at(hour, minute=0, days_ago=1):
    day = timezone.localdate() - dt.timedelta(days=days_ago)
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour, minute)))


def build_scene(world):
    r = world.residents
    shop = make_place(world.community)
    clinic = make_place(world.community, name="社区诊所", kind="clinic", x=300, y=60)

    def visit(person, place, start, end=None):
        CheckIn.objects.create(
            resident=r[person], place=place, entered_at=start, left_at=end, source="scan"
        )

    visit("zhang", shop, at(10), at(10, 30))
    visit("wang", shop, at(10, 20), at(10, 50))
    visit("single", shop, at(10, 40))
    visit("chen", shop, at(11, 30), at(11, 40))
    visit("wang", clinic, at(12), at(12, 30))
    visit("chen", clinic, at(12, 10), at(12, 40))
    status_change(
        actor=None,
        resident=r["zhang"],
        to_status=HealthStatus.CONFIRMED,
        reason="positive PCR",
        source=ChangeSource.TEST,
    )
    return shop, clinic


@pytest.fixture
def scene(world):
    return build_scene(world)


def start_run(world, **options):
    return services.tracing_run_create(
        actor=world.user("staff"),
        community=world.community,
        index_cases=[world.residents["zhang"]],
        period_start=at(0, 0, days_ago=3),
        period_end=timezone.now(),
        **options,
    )


def contacts_by_name(run) -> dict:
    return {c.resident.name: c for c in run.contacts.select_related("resident", "source")}


def test_run_from_the_page_finds_the_expected_contacts(
    world, scene, as_user, django_capture_on_commit_callbacks
):
    shop, clinic = scene
    r = world.residents
    client = as_user("staff")
    form = client.get("/tracing/runs/new").content.decode()
    assert f'value="{r["zhang"].pk}"' in form and "checked" in form  # confirmed: suggested
    since = (timezone.localdate() - dt.timedelta(days=3)).isoformat()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            "/tracing/runs/new",
            {
                "community": world.community.pk,
                "index_cases": [r["zhang"].pk],
                "since": since,
                "until": timezone.localdate().isoformat(),
                "buffer_minutes": 15,
                "second_hop": "on",
                "second_hop_cap": 50,
                "action": "run",
            },
        )
    assert response.status_code == 302, response.content.decode()[:2000]
    run = TracingRun.objects.get()
    assert response["Location"] == f"/tracing/runs/{run.pk}"
    assert run.status == RunStatus.DONE and run.checkins_scanned == 6
    assert run.job.status == JobStatus.DONE and run.job.result["contacts"] == 4
    found = contacts_by_name(run)
    assert set(found) == {r["wang"].name, r["single"].name, r["zhang_wife"].name, r["chen"].name}
    wang = found[r["wang"].name]
    assert (wang.hop, wang.kind, wang.place_id, wang.overlap_seconds) == (
        1,
        ContactKind.PLACE,
        shop.pk,
        600,
    )
    assert wang.exposure_at == at(10, 20) and wang.proposed_status == HealthStatus.CLOSE_CONTACT
    assert found[r["single"].name].overlap_seconds == 0  # joined by the buffer only
    assert found[r["zhang_wife"].name].kind == ContactKind.HOUSEHOLD
    chen = found[r["chen"].name]
    assert (chen.hop, chen.source_id, chen.place_id) == (2, r["wang"].pk, clinic.pk)
    assert chen.proposed_status == HealthStatus.SECONDARY_CONTACT
    assert chen.encounters[0]["kind"] == "place"

    page = client.get(f"/tracing/runs/{run.pk}").content.decode()
    assert r["wang"].name in page and shop.name in page and "<svg" in page
    assert AuditEvent.objects.filter(action="tracing.run_read").exists()


def test_without_second_hop_or_with_a_small_buffer_fewer_are_found(
    world, scene, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        run = start_run(world, buffer_minutes=5)
    names = set(contacts_by_name(TracingRun.objects.get(pk=run.pk)))
    assert names == {world.residents["wang"].name, world.residents["zhang_wife"].name}


def test_confirming_changes_the_status_and_creates_a_visit(
    world, scene, as_user, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        run = start_run(world)
    wang = world.residents["wang"]
    contact = TraceContact.objects.get(run=run, resident=wang)
    response = as_user("doctor").post(
        f"/tracing/contacts/{contact.pk}/confirm", {"quarantine": "1"}, follow=True
    )
    assert "Home quarantine started" in response.content.decode()
    contact.refresh_from_db()
    assert contact.review == Review.CONFIRMED and contact.reviewed_by == world.user("doctor")
    changes = HealthStatusChange.objects.filter(resident=wang).order_by("changed_at", "id")
    assert [c.to_status for c in changes] == [
        HealthStatus.CLOSE_CONTACT,
        HealthStatus.HOME_QUARANTINE,
    ]
    assert changes[0].source == ChangeSource.TRACING and "便民超市" in changes[0].reason
    assert Quarantine.objects.filter(resident=wang, released_on__isnull=True).exists()
    assert Task.objects.filter(resident=wang, kind=TaskKind.CHECK_VISIT).exists()
    # A second confirmation is refused: it was reviewed.
    again = as_user("doctor").post(f"/tracing/contacts/{contact.pk}/confirm")
    assert again.status_code == 409


def test_a_confirmed_case_stays_confirmed_when_found_as_a_contact(
    world, scene, django_capture_on_commit_callbacks
):
    wife = world.residents["zhang_wife"]
    status_change(actor=None, resident=wife, to_status=HealthStatus.CONFIRMED, reason="PCR")
    with django_capture_on_commit_callbacks(execute=True):
        run = start_run(world)
    contact = TraceContact.objects.get(run=run, resident=wife)
    done = services.trace_contact_confirm(actor=world.user("staff"), contact=contact)
    assert done.contact.review == Review.CONFIRMED and not done.status_changed
    assert "status stays" in done.notes[0]
    assert HealthRecord.objects.get(resident=wife).status == HealthStatus.CONFIRMED
    # Her live check-on visit (from the confirmation) takes the request: one task per need.
    assert Task.objects.filter(resident=wife, kind=TaskKind.CHECK_VISIT).count() == 1
    assert "task pool" in done.notes[-1]


def test_confirm_all_pending_close_contacts_and_dismiss_with_a_note(
    world, scene, as_user, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        run = start_run(world)
    single = TraceContact.objects.get(run=run, resident=world.residents["single"])
    client = as_user("staff")
    refused = client.post(f"/tracing/contacts/{single.pk}/dismiss", {"note": ""}, follow=True)
    assert "Why not a contact" in refused.content.decode()
    client.post(f"/tracing/contacts/{single.pk}/dismiss", {"note": "stayed outside"})
    single.refresh_from_db()
    assert single.review == Review.DISMISSED and single.review_note == "stayed outside"
    client.post(f"/tracing/runs/{run.pk}/confirm-all")
    reviews = dict(TraceContact.objects.filter(run=run).values_list("resident__name", "review"))
    assert reviews == {
        world.residents["wang"].name: Review.CONFIRMED,
        world.residents["zhang_wife"].name: Review.CONFIRMED,
        world.residents["single"].name: Review.DISMISSED,
    }
    assert not HealthStatusChange.objects.filter(resident=world.residents["single"]).exists()


def test_a_failing_run_marks_the_run_and_the_job_failed(
    world, scene, tmp_path, monkeypatch, as_user, django_capture_on_commit_callbacks
):
    # No place to write the Parquet file: the export fails as a full disk would.
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path / "missing"))
    with django_capture_on_commit_callbacks(execute=True):
        run = start_run(world)
    run.refresh_from_db()
    assert run.status == RunStatus.FAILED and "Tracing failed" in run.error
    assert Job.objects.get(pk=run.job_id).status == JobStatus.FAILED
    assert "Tracing failed" in as_user("staff").get(f"/tracing/runs/{run.pk}").content.decode()


def test_run_form_refuses_a_period_ending_before_it_starts(world, scene, as_user):
    response = as_user("staff").post(
        "/tracing/runs/new",
        {
            "index_cases": [world.residents["zhang"].pk],
            "since": "2026-01-10",
            "until": "2026-01-01",
            "buffer_minutes": 15,
            "second_hop_cap": 10,
            "action": "run",
        },
    )
    assert response.status_code == 400 and "must be after the start" in response.content.decode()
    assert not TracingRun.objects.exists()


def test_run_form_search_adds_people_without_losing_the_choice(world, scene, as_user):
    r = world.residents
    html = (
        as_user("staff")
        .post(
            "/tracing/runs/new",
            {
                "index_cases": [r["zhang"].pk],
                "q": r["chen"].phone,
                "action": "search",
                "since": "2026-01-01",
                "until": "2026-01-10",
                "buffer_minutes": 15,
                "second_hop_cap": 10,
            },
        )
        .content.decode()
    )
    assert r["chen"].name in html and f'value="{r["zhang"].pk}"' in html
    assert not TracingRun.objects.exists()


def test_runs_are_refused_to_those_who_do_not_trace(world, scene, as_user):
    run = start_run(world)
    contact = TraceContact.objects.create(
        run=run,
        resident=world.residents["wang"],
        source=world.residents["zhang"],
        kind=ContactKind.PLACE,
        exposure_at=at(10, 20),
        proposed_status=HealthStatus.CLOSE_CONTACT,
    )
    for name in ["outsider", "volunteer", "grid_a", "property", "resident", "supervisor"]:
        client = as_user(name)
        assert client.get("/tracing/runs").status_code == 403, name
        assert client.get("/tracing/runs/new").status_code == 403, name
        assert client.get(f"/tracing/runs/{run.pk}").status_code == 404, name
        assert client.post(f"/tracing/contacts/{contact.pk}/confirm").status_code == 404, name
        assert client.post(f"/tracing/runs/{run.pk}/confirm-all").status_code == 404, name
    contact.refresh_from_db()
    assert contact.review == Review.PENDING


def test_staff_of_another_community_do_not_see_the_run(world, scene, as_user):
    from linli.accounts.choices import Role
    from linli.accounts.services import grant_role
    from linli.testing import make_user

    run = start_run(world)
    other = Community.objects.create(name="别的社区", code="other")
    stranger = make_user("stranger")
    grant_role(user=stranger, role=Role.STAFF, community=other)
    from django.test import Client

    client = Client()
    client.force_login(stranger)
    assert client.get(f"/tracing/runs/{run.pk}").status_code == 404
    assert str(run.pk) not in client.get("/tracing/runs").content.decode().split("<tbody>")[1]


def test_review_list_query_count_does_not_grow_with_contacts(world, scene, as_user):
    run = start_run(world)
    TracingRun.objects.filter(pk=run.pk).update(status=RunStatus.DONE)
    client = as_user("staff")
    people = [world.residents[n] for n in ("wang", "chen", "single", "zhang_wife")]

    def count():
        TracingRun.objects.filter(pk=run.pk).update(contacts_found=run.contacts.count())
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(f"/tracing/runs/{run.pk}").status_code == 200
        return len(ctx.captured_queries)

    TraceContact.objects.create(
        run=run,
        resident=people[0],
        source=world.residents["zhang"],
        kind="place",
        place=scene[0],
        exposure_at=at(10),
        proposed_status=HealthStatus.CLOSE_CONTACT,
    )
    few = count()
    for person in people[1:]:
        TraceContact.objects.create(
            run=run,
            resident=person,
            source=people[0],
            hop=2,
            kind="place",
            place=scene[1],
            exposure_at=at(12),
            proposed_status=HealthStatus.SECONDARY_CONTACT,
        )
    many = count()
    assert many == few and many <= 14, many
