"""Core pages: home, health check, the large-type switch, background-job progress."""

import pytest
from django.test import Client

from linli.core.models import Job, JobStatus
from linli.core.services import job_create, job_finish, job_progress


def test_healthz_needs_no_login(db):
    response = Client().get("/healthz")
    assert (response.status_code, response.content) == (200, b"ok")


def test_home_needs_login(db):
    response = Client().get("/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_large_type_toggles_and_returns(db):
    client = Client()
    response = client.post("/preferences/large-type", {"next": "/accounts/login/"})
    assert response["Location"] == "/accounts/login/"
    assert client.session["large_type"] is True
    assert 'class="large"' in client.get("/accounts/login/").content.decode()
    client.post("/preferences/large-type", {"next": "/"})
    assert client.session["large_type"] is False


def test_large_type_refuses_to_redirect_off_site(db):
    response = Client().post("/preferences/large-type", {"next": "https://evil.example/x"})
    assert response["Location"] == "/"


def test_large_type_is_post_only(db):
    assert Client().get("/preferences/large-type").status_code == 405


@pytest.fixture
def job(world):
    job = job_create(kind="import", created_by=world.user("staff"), total=10)
    job_progress(job, done=4, message="row 4")
    return job


def test_job_progress_as_json_for_its_owner(world, as_user, job):
    response = as_user("staff").get(f"/jobs/{job.pk}", headers={"Accept": "application/json"})
    assert response.status_code == 200
    data = response.json()
    assert (data["status"], data["done"], data["total"], data["percent"]) == ("running", 4, 10, 40)
    assert data["message"] == "row 4" and data["finished"] is False


def test_job_page_for_its_owner(world, as_user, job):
    response = as_user("staff").get(f"/jobs/{job.pk}")
    assert response.status_code == 200
    assert response.context["job"] == job


@pytest.mark.parametrize("persona", ["grid_a", "supervisor", "outsider", "resident"])
def test_someone_elses_job_is_404(world, as_user, job, persona):
    assert as_user(persona).get(f"/jobs/{job.pk}").status_code == 404


def test_a_missing_job_is_404(world, as_user):
    assert as_user("admin").get("/jobs/999999").status_code == 404


def test_admin_sees_any_job(world, as_user, job):
    assert as_user("admin").get(f"/jobs/{job.pk}").status_code == 200


def test_anonymous_is_sent_to_login_from_a_job(world, job):
    assert Client().get(f"/jobs/{job.pk}").status_code == 302


def test_job_finish(world, job):
    job_finish(job, result={"created": 10})
    job.refresh_from_db()
    assert (job.status, job.done, job.percent, job.finished) == (JobStatus.DONE, 10, 100, True)
    failed = job_create(kind="import", total=5)
    job_finish(failed, message="file unreadable", failed=True)
    failed.refresh_from_db()
    assert (failed.status, failed.done, failed.finished) == (JobStatus.FAILED, 0, True)
    assert Job.objects.count() == 2
