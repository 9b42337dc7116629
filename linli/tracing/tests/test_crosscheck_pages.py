"""The cross-check pages: upload, mapping, review with accept / reject, unmatched rows, the
list; and who may not open them."""

import pytest
from django.contrib.messages import get_messages
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from linli.accounts.choices import Role
from linli.accounts.services import grant_role
from linli.health.choices import HealthStatus
from linli.health.services import current_status
from linli.places.models import Community
from linli.testing import make_user
from linli.tracing.choices import CrossCheckStatus, ListKind, Review
from linli.tracing.models import CrossCheck, CrossCheckMatch
from linli.tracing.tests import test_crosscheck_support as support
from linli.tracing.tests.test_crosscheck_support import (
    CHEN_ID,
    CHEN_ID_TYPO,
    OUTSIDER_ID,
    ZHANG_ID,
    given_match,
    list_csv,
    upload,
)

pytestmark = pytest.mark.django_db
registry = support.registry  # the fixture
DENIED = ["grid_a", "volunteer", "outsider", "supervisor", "doctor", "resident", "cadre"]


def _messages(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


def test_staff_upload_map_run_and_review_from_the_pages(
    registry, world, as_user, django_capture_on_commit_callbacks
):
    client = as_user("staff")
    assert client.get(reverse("crosscheck:new")).status_code == 200
    response = client.post(
        reverse("crosscheck:new"),
        {
            "file": SimpleUploadedFile("确诊名单.csv", list_csv("gbk"), "text/csv"),
            "list_kind": ListKind.CONFIRMED_CASES,
            "threshold": "0.9",
        },
    )
    crosscheck = CrossCheck.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("crosscheck:map", args=[crosscheck.pk])

    page = client.get(response["Location"]).content.decode()
    # The columns' names suggested the mapping; the preview shows ID numbers masked.
    assert '<option value="姓名" selected>' in page
    assert '<option value="身份证号" selected>' in page
    assert ZHANG_ID not in page and "4201**********" in page

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("crosscheck:map", args=[crosscheck.pk]),
            {**support.MAPPING, "threshold": "0.9"},
        )
    assert response.status_code == 302
    crosscheck.refresh_from_db()
    assert crosscheck.status == CrossCheckStatus.DONE

    page = client.get(reverse("crosscheck:detail", args=[crosscheck.pk])).content.decode()
    assert "张伟" in page and "张玮" in page and "陈明" in page
    assert "same pinyin (homophone)" in page and "1 typo" in page
    for number in (ZHANG_ID, CHEN_ID, CHEN_ID_TYPO, OUTSIDER_ID):
        assert number not in page  # masked on both sides
    assert "赵四" in page and OUTSIDER_ID[:4] + "*" * 10 + OUTSIDER_ID[-4:] in page

    zhang_match = CrossCheckMatch.objects.get(resident=registry["zhang"])
    response = client.post(
        reverse("crosscheck:accept", args=[zhang_match.pk]), {"show": "pending", "page": "1"}
    )
    assert response.status_code == 302 and "show=pending" in response["Location"]
    assert "now Confirmed case" in " ".join(_messages(response))
    assert current_status(registry["zhang"]) == HealthStatus.CONFIRMED

    chen_match = CrossCheckMatch.objects.get(resident=registry["chen"])
    response = client.post(reverse("crosscheck:reject", args=[chen_match.pk]))
    assert "Rejected: row 3" in " ".join(_messages(response))
    chen_match.refresh_from_db()
    assert chen_match.review == Review.DISMISSED

    unmatched = client.get(reverse("crosscheck:unmatched", args=[crosscheck.pk]))
    text = unmatched.content.decode()
    assert "赵四" in text and "陈明" in text and "张玮" not in text and CHEN_ID_TYPO not in text
    listing = client.get(reverse("crosscheck:list")).content.decode()
    assert "确诊名单.csv" in listing


def test_a_double_tap_on_accept_says_it_was_done_already(registry, world, as_user):
    match = given_match(world, upload(world), row_number=2, resident=registry["zhang"])
    client = as_user("staff")
    client.post(reverse("crosscheck:accept", args=[match.pk]))
    response = client.post(reverse("crosscheck:accept", args=[match.pk]))
    assert "accepted already" in " ".join(_messages(response))


def test_a_refused_status_is_shown_beside_the_acceptance(registry, world, as_user):
    from linli.health.services import status_change

    status_change(
        actor=None, resident=registry["chen"], to_status=HealthStatus.DECEASED, reason="died"
    )
    match = given_match(world, upload(world), row_number=3, resident=registry["chen"])
    response = as_user("staff").post(reverse("crosscheck:accept", args=[match.pk]))
    text = " ".join(_messages(response))
    assert "a check-on task for 陈明" in text and "was not changed" in text and "final" in text


def test_the_mapping_page_refuses_with_the_reason_naming_the_field(world, as_user):
    crosscheck = upload(world)
    response = as_user("staff").post(
        reverse("crosscheck:map", args=[crosscheck.pk]), {"name": "姓名", "threshold": "0.9"}
    )
    assert response.status_code == 400
    page = response.content.decode()
    assert "ID number: map at least one of ID number, phone or birth date" in page
    crosscheck.refresh_from_db()
    assert crosscheck.status == CrossCheckStatus.UPLOADED


def test_the_upload_page_refuses_a_file_that_is_not_a_list(world, as_user):
    response = as_user("staff").post(
        reverse("crosscheck:new"),
        {
            "file": SimpleUploadedFile("scan.pdf", b"%PDF-1.4\x00\x00", "application/pdf"),
            "list_kind": ListKind.OTHER,
            "threshold": "0.9",
        },
    )
    assert response.status_code == 400
    assert "neither a CSV file nor an Excel" in response.content.decode()
    assert not CrossCheck.objects.exists()


def test_the_review_page_shows_progress_while_linking(world, as_user):
    from linli.core.services import job_create

    crosscheck = upload(world)
    job = job_create(kind="tracing.crosscheck", community_id=world.community.pk, total=4)
    CrossCheck.objects.filter(pk=crosscheck.pk).update(status=CrossCheckStatus.RUNNING, job=job)
    page = as_user("staff").get(reverse("crosscheck:detail", args=[crosscheck.pk]))
    text = page.content.decode()
    assert "<progress" in text and "data-poll" in text
    assert reverse("core:job", args=[job.pk]) in text
    # While it runs, the mapping cannot be changed under it.
    response = as_user("staff").get(reverse("crosscheck:map", args=[crosscheck.pk]))
    assert response.status_code == 302


def test_the_list_page_costs_the_same_queries_for_more_lists(
    world, as_user, django_assert_max_num_queries
):
    client = as_user("staff")
    upload(world)
    client.get(reverse("crosscheck:list"))  # warm the session
    with django_assert_max_num_queries(8) as one:
        client.get(reverse("crosscheck:list"))
    for _ in range(3):
        upload(world)
    with django_assert_max_num_queries(len(one.captured_queries)):
        assert client.get(reverse("crosscheck:list")).status_code == 200


def test_the_review_page_costs_the_same_queries_for_more_matches(
    registry, world, as_user, django_assert_max_num_queries
):
    crosscheck = upload(world)
    given_match(world, crosscheck, row_number=2, resident=registry["zhang"])
    client = as_user("staff")
    url = reverse("crosscheck:detail", args=[crosscheck.pk])
    client.get(url)  # warm the session
    with django_assert_max_num_queries(20) as one:
        client.get(url)
    given_match(world, crosscheck, row_number=3, resident=registry["chen"])
    given_match(world, crosscheck, row_number=4, resident=registry["wang"])
    with django_assert_max_num_queries(len(one.captured_queries)):
        page = client.get(url).content.decode()
    assert "王秀英" in page and "陈明" in page


# ------------------------------------------------------------------------- access


@pytest.mark.parametrize("persona", DENIED)
def test_other_roles_may_not_open_any_cross_check_page(registry, world, as_user, persona):
    crosscheck = upload(world)
    match = given_match(world, crosscheck, row_number=2, resident=registry["zhang"])
    client = as_user(persona)
    pages = [
        reverse("crosscheck:list"),
        reverse("crosscheck:new"),
        reverse("crosscheck:detail", args=[crosscheck.pk]),
        reverse("crosscheck:map", args=[crosscheck.pk]),
        reverse("crosscheck:unmatched", args=[crosscheck.pk]),
    ]
    for url in pages:
        assert client.get(url).status_code == 403, url
    posts = [
        reverse("crosscheck:accept", args=[match.pk]),
        reverse("crosscheck:reject", args=[match.pk]),
        reverse("crosscheck:accept_all", args=[crosscheck.pk]),
    ]
    for url in posts:
        assert client.post(url).status_code == 403, url
    match.refresh_from_db()
    assert match.review == Review.PENDING


def test_staff_of_another_community_find_nothing(registry, world, client):
    crosscheck = upload(world)
    match = given_match(world, crosscheck, row_number=2, resident=registry["zhang"])
    other = Community.objects.create(name="别的社区", code="other", width=100, height=100)
    stranger = make_user("stranger")
    grant_role(user=stranger, role=Role.STAFF, community=other)
    client.force_login(stranger)
    assert client.get(reverse("crosscheck:detail", args=[crosscheck.pk])).status_code == 404
    assert client.post(reverse("crosscheck:accept", args=[match.pk])).status_code == 404
    assert "确诊名单" not in client.get(reverse("crosscheck:list")).content.decode()


def test_the_admin_may_review(registry, world, as_user):
    match = given_match(world, upload(world), row_number=2, resident=registry["zhang"])
    assert (
        as_user("admin").get(reverse("crosscheck:detail", args=[match.crosscheck_id])).status_code
        == 200
    )


def test_anonymous_visitors_are_sent_to_log_in(world, client):
    crosscheck = upload(world)
    response = client.get(reverse("crosscheck:detail", args=[crosscheck.pk]))
    assert response.status_code == 302 and "login" in response["Location"]
