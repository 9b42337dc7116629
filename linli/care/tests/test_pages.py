"""The psychological-support pages: the wellbeing check (a resident on a phone, a counsellor on
a call) with the urgent flow, the support list, cases, group sessions and the figures; every
page refuses the people it is not for."""

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from linli.accounts.choices import Role
from linli.accounts.services import grant_role
from linli.care import services
from linli.care.models import (
    CareCase,
    CareSession,
    GroupAttendance,
    GroupSession,
    PriorityFlag,
    Screening,
)
from linli.core.models import AuditEvent
from linli.notices.models import Notification
from linli.places.models import Building, Community, Grid
from linli.places.services import household_get_or_create
from linli.residents.models import Resident, ResidentTag
from linli.taskpool.choices import Priority, TaskKind
from linli.taskpool.models import Task
from linli.testing import make_user

pytestmark = pytest.mark.django_db

# PHQ-9 answers: totals 4 (minimal), 10 (moderate), and 1 with item 9 (self-harm) answered.
MINIMAL = [1, 1, 1, 1, 0, 0, 0, 0, 0]
MODERATE = [2, 2, 2, 2, 1, 1, 0, 0, 0]
SELF_HARM = [0, 0, 0, 0, 0, 0, 0, 0, 1]
GAD_MILD = [1, 1, 1, 1, 1, 1, 0]


def make_care_people(world) -> dict:
    """A counsellor, a second counsellor and a care supervisor of the world's community, and
    another community with its own counsellor and one resident (who must stay out of reach)."""
    users = {}
    for name, role in (
        ("counsellor", Role.COUNSELLOR),
        ("counsellor2", Role.COUNSELLOR),
        ("care_supervisor", Role.CARE_SUPERVISOR),
    ):
        users[name] = make_user(name)
        grant_role(user=users[name], role=role, community=world.community)
    other = Community.objects.create(name="别的社区", code="other", width=100, height=100)
    grid = Grid.objects.create(community=other, number=1, name="一")
    building = Building.objects.create(community=other, grid=grid, number="9", x=1, y=1)
    home = household_get_or_create(building=building, entrance=1, room="101")
    users["far"] = Resident.objects.create(
        household=home, name="远方", sex="M", birth_date="1970-01-01"
    )
    users["counsellor_elsewhere"] = make_user("counsellor_elsewhere")
    grant_role(user=users["counsellor_elsewhere"], role=Role.COUNSELLOR, community=other)
    world.users.update({k: v for k, v in users.items() if k != "far"})  # for as_user(name)
    return users


@pytest.fixture
def care(world):
    return make_care_people(world)


def answers(values) -> dict:
    return {f"q{i}": str(v) for i, v in enumerate(values, start=1)}


def count_queries(client, url) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
        assert response.status_code == 200, response.content[:500]
    return len(ctx.captured_queries)


# ------------------------------------------------------------------ the wellbeing check


def test_a_resident_chooses_the_questionnaire_for_themselves_by_default(world, as_user):
    page = as_user("resident").get(reverse("care:screen"))
    assert page.status_code == 200
    text = page.content.decode()
    assert "Myself (张伟)" in text and "李芳" in text  # the household, self first
    assert "PHQ-9 (depression)" in text and "GAD-7 (anxiety)" in text
    form = as_user("resident").get(reverse("care:screen") + "?instrument=gad7")
    text = form.content.decode()
    assert "Over the last 2 weeks" in text
    assert "Not being able to stop or control worrying" in text
    assert text.count('type="radio"') == 7 * 4
    assert "Nearly every day" in text


def test_every_question_is_required_and_the_missing_ones_are_named(world, as_user):
    data = answers(MINIMAL)
    del data["q3"], data["q9"]
    response = as_user("resident").post(reverse("care:screen"), {"instrument": "phq9", **data})
    assert response.status_code == 200
    text = response.content.decode()
    assert "Not answered:" in text and "question 3" in text and "question 9" in text
    assert "question 4" not in text
    assert text.count("Please answer this question.") == 2
    assert not Screening.objects.exists()


def test_a_mild_result_is_said_in_plain_words_without_alarm(world, as_user, settings):
    client = as_user("resident")
    response = client.post(reverse("care:screen"), {"instrument": "gad7", **answers(GAD_MILD)})
    screening = Screening.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("care:screening", args=[screening.pk])
    assert screening.source == "self" and screening.resident == world.residents["zhang"]
    text = client.get(response["Location"]).content.decode()
    assert "6</b> / 21" in text and "Mild signs of anxiety." in text
    assert "within the hour" not in text and "A counsellor will contact you" not in text
    assert 'id="crisis"' not in text
    assert not CareCase.objects.exists()


def test_moderate_says_a_counsellor_will_contact_you(world, as_user, care):
    client = as_user("resident")
    response = client.post(reverse("care:screen"), {"instrument": "phq9", **answers(MODERATE)})
    text = client.get(response["Location"]).content.decode()
    assert "Moderate signs of depression." in text
    assert "A counsellor will contact you." in text and 'id="crisis"' not in text
    assert CareCase.objects.get().risk == "moderate"


def test_item_9_shows_the_hotline_at_once_and_makes_an_urgent_task(world, as_user, care, settings):
    settings.LINLI_CRISIS_HOTLINE = "12356"
    before = timezone.now()
    client = as_user("resident")
    response = client.post(reverse("care:screen"), {"instrument": "phq9", **answers(SELF_HARM)})
    text = client.get(response["Location"]).content.decode()
    # The hotline comes first on the page, as a link a phone dials.
    assert text.index('id="crisis"') < text.index("<h1>Your result")
    assert 'href="tel:12356"' in text
    assert "A counsellor will call you within the hour." in text
    task = Task.objects.get(kind=TaskKind.COUNSELLING)
    assert task.priority == Priority.URGENT
    assert before < task.due_at <= timezone.now() + dt.timedelta(hours=1)
    told = Notification.objects.filter(user__in=[care["counsellor"], care["counsellor2"]])
    assert told.count() == 2
    assert not Notification.objects.filter(user=care["counsellor_elsewhere"]).exists()


def test_a_resident_screens_a_household_member_but_nobody_else(world, as_user):
    client = as_user("resident")
    wife = world.residents["zhang_wife"]
    url = reverse("care:screen")
    page = client.get(url + f"?resident={wife.pk}&instrument=gad7")
    assert page.status_code == 200 and "李芳" in page.content.decode()
    chen = world.residents["chen"]
    assert client.get(url + f"?resident={chen.pk}&instrument=gad7").status_code == 404
    response = client.post(url, {"resident": chen.pk, "instrument": "gad7", **answers(GAD_MILD)})
    assert response.status_code == 404
    assert not Screening.objects.exists()


def test_a_resident_sees_only_results_they_filled_in(world, as_user, care):
    wife = world.residents["zhang_wife"]
    by_counsellor = services.screening_submit(
        actor=care["counsellor"],
        resident=wife,
        instrument="gad7",
        answers=GAD_MILD,
        source="counsellor",
    ).screening
    assert (
        as_user("resident").get(reverse("care:screening", args=[by_counsellor.pk])).status_code
        == 404
    )
    mine = as_user("resident").post(
        reverse("care:screen"), {"resident": wife.pk, "instrument": "gad7", **answers(GAD_MILD)}
    )
    assert as_user("resident").get(mine["Location"]).status_code == 200
    assert as_user("counsellor").get(mine["Location"]).status_code == 200
    assert as_user("counsellor_elsewhere").get(mine["Location"]).status_code == 404
    assert as_user("grid_a").get(mine["Location"]).status_code == 403


def test_a_counsellor_finds_the_person_and_screens_on_a_call(world, as_user, care):
    client = as_user("counsellor")
    found = client.get(reverse("care:screen") + "?q=陈")
    assert "陈明" in found.content.decode()
    assert "远方" not in client.get(reverse("care:screen") + "?q=远").content.decode()
    chen = world.residents["chen"]
    response = client.post(
        reverse("care:screen"), {"resident": chen.pk, "instrument": "phq9", **answers(SELF_HARM)}
    )
    screening = Screening.objects.get()
    assert screening.source == "counsellor" and screening.by == care["counsellor"]
    text = client.get(response["Location"]).content.decode()
    assert "Result for 陈明" in text and 'href="tel:12356"' in text
    assert "due within the hour" in text
    assert reverse("care:case", args=[screening.case_id]) in text
    far = care["far"]
    assert client.get(reverse("care:screen") + f"?resident={far.pk}").status_code == 404


def test_the_pages_render_in_chinese(world, as_user, care):
    client = as_user("resident")
    client.cookies["django_language"] = "zh-hans"
    response = client.get(reverse("care:screen") + "?instrument=phq9")
    assert response.status_code == 200
    assert 'lang="zh-hans"' in response.content.decode()
    case = services.screening_submit(
        actor=care["counsellor"],
        resident=world.residents["chen"],
        instrument="phq9",
        answers=SELF_HARM,
        source="counsellor",
    ).case
    services.session_record(actor=care["counsellor"], case=case, mode="phone", minutes=5)
    client = as_user("care_supervisor")
    client.cookies["django_language"] = "zh-hans"
    for url in (
        reverse("care:priority"),
        reverse("care:cases"),
        reverse("care:case", args=[case.pk]),
        reverse("care:screening", args=[case.screenings.get().pk]),
        reverse("care:groups"),
        reverse("care:group_new") + "?audience=families",
        reverse("care:figures"),
    ):
        response = client.get(url)
        assert response.status_code == 200, url
        assert 'lang="zh-hans"' in response.content.decode()


# ------------------------------------------------------------------ the support list


def test_staff_see_the_support_list_with_reasons_and_add_and_remove_a_person(world, as_user, care):
    wang, chen = world.residents["wang"], world.residents["chen"]
    ResidentTag.objects.create(resident=chen, tag="bereaved")
    client = as_user("staff")
    page = client.get(reverse("care:priority")).content.decode()
    assert "王秀英" in page and "Elderly, living alone" in page
    assert "陈明" in page and "Bereaved" in page
    assert "Open case" not in page  # staff see the list; counsellors open cases
    found = client.get(reverse("care:priority") + "?q=张").content.decode()
    assert "张伟" in found and "Add to the list" in found
    zhang = world.residents["zhang"]
    response = client.post(
        reverse("care:flag_add"), {"resident": zhang.pk, "reason": "邻居说他很低落"}
    )
    assert response.status_code == 302
    page = client.get(reverse("care:priority")).content.decode()
    assert "Added by staff" in page and "邻居说他很低落" in page
    again = client.post(reverse("care:flag_add"), {"resident": zhang.pk, "reason": "again"})
    assert "already on the list" in client.get(again["Location"]).content.decode()
    empty = client.post(reverse("care:flag_add"), {"resident": zhang.pk, "reason": ""})
    assert empty.status_code == 302 and PriorityFlag.objects.count() == 1
    client.post(reverse("care:flag_end", args=[zhang.pk]))
    assert PriorityFlag.objects.get().ended_at is not None
    page = client.get(reverse("care:priority")).content.decode()
    assert f'id="p{zhang.pk}"' not in page and f'id="p{wang.pk}"' in page


def test_a_counsellor_opens_a_case_from_the_support_list(world, as_user, care):
    client = as_user("counsellor")
    wang = world.residents["wang"]
    page = client.get(reverse("care:priority")).content.decode()
    assert "Open case" in page
    form = client.get(reverse("care:case_open") + f"?resident={wang.pk}&reason=Elderly")
    assert form.status_code == 200 and 'value="Elderly"' in form.content.decode()
    response = client.post(
        reverse("care:case_open"),
        {
            "resident": wang.pk,
            "risk": "moderate",
            "reason": "Elderly, living alone",
            "counsellor": care["counsellor"].pk,
        },
    )
    case = CareCase.objects.get()
    assert response["Location"] == reverse("care:case", args=[case.pk])
    assert case.counsellor == care["counsellor"] and case.risk == "moderate"
    page = client.get(reverse("care:priority")).content.decode()
    assert "Has support" in page and reverse("care:case", args=[case.pk]) in page
    again = client.get(reverse("care:case_open") + f"?resident={wang.pk}").content.decode()
    assert "already has an open case" in again
    refused = client.post(
        reverse("care:case_open"),
        {"resident": wang.pk, "risk": "low", "reason": "x"},
    )
    assert "already has an open case" in refused.content.decode()
    assert CareCase.objects.get().risk == "moderate"


def test_a_case_refuses_a_counsellor_of_another_community(world, as_user, care):
    response = as_user("counsellor").post(
        reverse("care:case_open"),
        {
            "resident": world.residents["wang"].pk,
            "risk": "low",
            "reason": "x",
            "counsellor": care["counsellor_elsewhere"].pk,
        },
    )
    assert response.status_code == 200 and not CareCase.objects.exists()
    assert "Select a valid choice" in response.content.decode()


def _more_listed_people(world, n, *, cases_for=None):
    for i in range(n):
        building = [world.building_a1, world.building_a2, world.building_b1][i % 3]
        home = household_get_or_create(building=building, entrance=3, room=f"{i + 1}01")
        person = Resident.objects.create(
            household=home, name=f"居民{i}", sex="F", birth_date="1980-01-01"
        )
        ResidentTag.objects.create(resident=person, tag="bereaved")
        if i % 2:
            PriorityFlag.objects.create(resident=person, reason="neighbour worried")
        if cases_for is not None:
            services.case_open(
                actor=None, resident=person, risk="moderate", reason="x", counsellor=cases_for
            )


def test_the_support_list_query_count_is_flat(world, as_user, care):
    client = as_user("counsellor")
    _more_listed_people(world, 2, cases_for=care["counsellor"])
    url = reverse("care:priority")
    client.get(url)
    few = count_queries(client, url)
    _more_listed_people(world, 10, cases_for=care["counsellor2"])
    assert count_queries(client, url) == few


# ------------------------------------------------------------------ cases


def test_the_case_list_filters_mine_and_marks_overdue(world, as_user, care):
    mine = services.case_open(
        actor=None,
        resident=world.residents["wang"],
        risk="high",
        reason="x",
        counsellor=care["counsellor"],
    )
    other = services.case_open(
        actor=None,
        resident=world.residents["chen"],
        risk="low",
        reason="y",
        counsellor=care["counsellor2"],
    )
    CareCase.objects.filter(pk=mine.pk).update(next_due=timezone.localdate() - dt.timedelta(days=2))
    client = as_user("counsellor")
    text = client.get(reverse("care:cases")).content.decode()  # a counsellor: mine first
    assert "王秀英" in text and "陈明" not in text and "overdue" in text
    text = client.get(reverse("care:cases") + "?show=all").content.decode()
    assert "王秀英" in text and "陈明" in text
    text = as_user("care_supervisor").get(reverse("care:cases")).content.decode()
    assert "陈明" in text  # a supervisor: everyone's
    assert other.pk


def test_the_case_list_query_count_is_flat(world, as_user, care):
    client = as_user("care_supervisor")
    _more_listed_people(world, 2, cases_for=care["counsellor"])
    url = reverse("care:cases")
    client.get(url)
    few = count_queries(client, url)
    _more_listed_people(world, 10, cases_for=care["counsellor2"])
    assert count_queries(client, url) == few


def test_a_counsellor_works_a_case_from_its_page(world, as_user, care):
    client = as_user("counsellor")
    chen = world.residents["chen"]
    services.screening_submit(
        actor=care["counsellor"],
        resident=chen,
        instrument="phq9",
        answers=MODERATE,
        source="counsellor",
    )
    case = CareCase.objects.get()
    url = reverse("care:case", args=[case.pk])
    page = client.get(url).content.decode()
    assert "陈明" in page and "Moderate" in page and "10" in page  # the screening history
    assert (
        client.post(
            reverse("care:case_assign", args=[case.pk]), {"counsellor": care["counsellor"].pk}
        ).status_code
        == 302
    )
    client.post(reverse("care:case_risk", args=[case.pk]), {"risk": "high"})
    response = client.post(
        reverse("care:session_add", args=[case.pk]),
        {"mode": "phone", "minutes": "25", "notes": "睡眠很差", "at": ""},
    )
    assert response.status_code == 302
    bad = client.post(reverse("care:session_add", args=[case.pk]), {"mode": "fax", "minutes": "0"})
    assert bad.status_code == 400
    client.post(
        reverse("care:case_refer", args=[case.pk]), {"referral": "psychiatry", "note": "市精卫"}
    )
    case.refresh_from_db()
    assert case.counsellor == care["counsellor"] and case.risk == "high"
    assert case.referral == "psychiatry" and case.next_due == timezone.localdate() + dt.timedelta(1)
    session = CareSession.objects.get()
    assert session.minutes == 25 and "睡眠很差" not in session.notes_encrypted
    page = client.get(url).content.decode()
    assert "25 minutes" in page and "Show notes" in page and "睡眠很差" not in page
    client.post(reverse("care:case_close", args=[case.pk]), {"outcome": "improved"})
    case.refresh_from_db()
    assert case.status == "closed" and case.outcome == "improved"
    page = client.get(url).content.decode()
    assert "Record the session" not in page and "Improved" in page


def test_a_closed_case_refuses_changes(world, as_user, care):
    case = services.case_open(actor=None, resident=world.residents["chen"], risk="low", reason="x")
    services.case_close(actor=None, case=case, outcome="stable")
    response = as_user("counsellor").post(
        reverse("care:case_risk", args=[case.pk]), {"risk": "high"}
    )
    assert response.status_code == 400 and "This case is closed." in response.content.decode()


# ------------------------------------------------------------------ group sessions


def test_a_group_for_the_bereaved_invites_them_and_marks_who_came(world, as_user, care):
    chen, wang = world.residents["chen"], world.residents["wang"]
    ResidentTag.objects.create(resident=chen, tag="bereaved")
    client = as_user("counsellor")
    form = client.get(reverse("care:group_new") + "?audience=bereaved").content.decode()
    assert "陈明" in form and "王秀英" in form
    # The bereaved are ticked; the others on the list are offered, not ticked.
    assert (
        f'value="{chen.pk}"' in form and "checked" in form.split("陈明")[0].rsplit("<label", 1)[1]
    )
    at = (timezone.localtime() + dt.timedelta(days=2)).strftime("%Y-%m-%dT%H:%M")
    response = client.post(
        reverse("care:group_new"),
        {
            "community": world.community.pk,
            "title": "哀伤支持小组",
            "audience": "bereaved",
            "at": at,
            "mode": "video",
            "invite": [chen.pk, wang.pk],
        },
    )
    group = GroupSession.objects.get()
    assert response["Location"] == reverse("care:group", args=[group.pk])
    assert set(GroupAttendance.objects.values_list("resident_id", flat=True)) == {chen.pk, wang.pk}
    client.post(reverse("care:group", args=[group.pk]), {"came": [chen.pk]})
    assert list(
        GroupAttendance.objects.filter(attended=True).values_list("resident_id", flat=True)
    ) == [chen.pk]
    listing = client.get(reverse("care:groups")).content.decode()
    assert "哀伤支持小组" in listing
    assert (
        as_user("counsellor_elsewhere").get(reverse("care:group", args=[group.pk])).status_code
        == 404
    )


# ------------------------------------------------------------------ figures


def test_figures_count_without_names_and_suppress_small_numbers(world, as_user, care):
    for person in ("zhang", "zhang_wife", "wang"):
        services.screening_submit(
            actor=None, resident=world.residents[person], instrument="gad7", answers=GAD_MILD
        )
    for client in (as_user("supervisor"), as_user("care_supervisor"), as_user("staff")):
        response = client.get(reverse("care:figures"))
        assert response.status_code == 200
        text = response.content.decode()
        assert "&lt;5" in text and "<svg" in text
        for name in ("张伟", "李芳", "王秀英"):
            assert name not in text


# ------------------------------------------------------------------ who is refused


def _pages(world, case, group):
    chen = world.residents["chen"].pk
    return [
        ("get", reverse("care:priority"), {}),
        ("post", reverse("care:flag_add"), {"resident": chen, "reason": "x"}),
        ("post", reverse("care:flag_end", args=[chen]), {}),
        ("get", reverse("care:cases"), {}),
        ("get", reverse("care:case_open") + f"?resident={chen}", {}),
        ("post", reverse("care:case_open"), {"resident": chen, "risk": "low", "reason": "x"}),
        ("get", reverse("care:case", args=[case.pk]), {}),
        ("post", reverse("care:case_notes", args=[case.pk]), {"all": "1"}),
        ("post", reverse("care:case_risk", args=[case.pk]), {"risk": "low"}),
        ("post", reverse("care:case_assign", args=[case.pk]), {"counsellor": 1}),
        ("post", reverse("care:session_add", args=[case.pk]), {"mode": "phone", "minutes": 5}),
        ("post", reverse("care:case_refer", args=[case.pk]), {"referral": "hotline"}),
        ("post", reverse("care:case_close", args=[case.pk]), {"outcome": "stable"}),
        ("get", reverse("care:groups"), {}),
        ("get", reverse("care:group_new"), {}),
        ("get", reverse("care:group", args=[group.pk]), {}),
        ("get", reverse("care:screen") + f"?resident={chen}&instrument=gad7", {}),
        ("post", reverse("care:screen"), {"resident": chen, "instrument": "gad7"}),
    ]


def _case_and_group(world, care):
    case = services.case_open(
        actor=None,
        resident=world.residents["chen"],
        risk="moderate",
        reason="x",
        counsellor=care["counsellor"],
    )
    services.session_record(
        actor=care["counsellor"], case=case, mode="phone", minutes=20, notes="secret words"
    )
    group = services.group_session_create(
        actor=care["counsellor"],
        community=world.community,
        title="g",
        audience="other",
        at=timezone.now(),
        mode="visit",
        residents=[world.residents["chen"]],
    )
    return case, group


@pytest.mark.parametrize("persona", ["outsider", "volunteer", "grid_a", "grid_b", "leader_a1"])
def test_every_care_page_refuses_people_without_a_care_role(world, as_user, care, persona):
    case, group = _case_and_group(world, care)
    client = as_user(persona)
    for method, url, data in _pages(world, case, group):
        response = getattr(client, method)(url, data)
        assert response.status_code in (403, 404), (persona, url, response.status_code)
        assert b"secret words" not in response.content
    assert as_user(persona).get(reverse("care:figures")).status_code == 403
    assert not PriorityFlag.objects.exists() and CareSession.objects.count() == 1
    assert CareCase.objects.get().status == "open" and not Screening.objects.exists()


def test_a_counsellor_of_another_community_is_refused_every_object(world, as_user, care):
    case, group = _case_and_group(world, care)
    client = as_user("counsellor_elsewhere")
    for method, url, data in _pages(world, case, group):
        own_lists = ("care:priority", "care:cases", "care:groups", "care:group_new")
        if url in [reverse(name) for name in own_lists]:
            continue  # their own (empty) lists
        response = getattr(client, method)(url, data)
        assert response.status_code in (403, 404), (url, response.status_code)
    assert "陈明" not in client.get(reverse("care:cases") + "?show=all").content.decode()
    assert "陈明" not in client.get(reverse("care:priority")).content.decode()
    assert not AuditEvent.objects.filter(action="care.notes_read").exists()


def test_staff_see_the_list_and_figures_but_no_case(world, as_user, care):
    case, group = _case_and_group(world, care)
    client = as_user("staff")
    assert client.get(reverse("care:priority")).status_code == 200
    assert client.get(reverse("care:figures")).status_code == 200
    assert client.get(reverse("care:case", args=[case.pk])).status_code == 404
    assert client.get(reverse("care:cases")).status_code == 403
    assert client.get(reverse("care:groups")).status_code == 403
    assert client.get(reverse("care:screen")).status_code == 403
    assert as_user("supervisor").get(reverse("care:priority")).status_code == 403
    assert as_user("resident").get(reverse("care:priority")).status_code == 403
    assert as_user("resident").get(reverse("care:figures")).status_code == 403
    assert as_user("resident").get(reverse("care:case", args=[case.pk])).status_code == 404


def test_a_refused_form_with_thoughts_of_self_harm_still_shows_the_hotline(world, as_user):
    """Question 9 answered above 0 but another left out: the form is refused, and the hotline
    is on the page anyway (nobody is left with only "answer every question")."""
    from django.conf import settings

    client = as_user("resident")
    data = {"resident": world.residents["zhang"].pk, "instrument": "phq9", "q9": "2"}
    data |= {f"q{n}": "0" for n in range(2, 9)}
    page = client.post("/care/screen/", data).content.decode()
    assert f'href="tel:{settings.LINLI_CRISIS_HOTLINE}"' in page
    assert "question 1" in page


def test_a_counsellor_starts_on_their_cases_and_sees_counselling_calls_in_the_pool(
    world, as_user, care
):
    """A counsellor reads no registry: home leads to their cases, not to a 404, and the task
    pool shows them the counselling calls of their community (and no other kind of task)."""
    from linli.care import services as care_services
    from linli.taskpool.services import task_create

    care_services.screening_submit(
        actor=world.user("resident"),
        resident=world.residents["zhang"],
        instrument="phq9",
        answers=[0, 0, 0, 0, 0, 0, 0, 0, 1],
    )
    task_create(
        actor=world.user("staff"),
        kind="delivery",
        title="送菜到 301",
        resident=world.residents["zhang"],
    )
    client = as_user("counsellor")
    assert client.get("/").url == "/registry/"
    assert client.get("/registry/").url == "/care/cases/"
    pool = client.get("/tasks/").content.decode()
    assert "张伟" in pool and "送菜到 301" not in pool
    assert as_user("counsellor_elsewhere").get("/tasks/").content.decode().count("张伟") == 0


def test_the_support_list_filters_by_reason_and_pages(world, as_user, care, settings):
    """A large community lists hundreds of people: the page filters by reason (and by "no
    support yet") and pages through them."""
    settings.LINLI_PAGE_SIZE = 1
    from linli.care import services as care_services

    care_services.priority_flag_add(
        actor=world.user("staff"), resident=world.residents["chen"], reason="邻居担心"
    )
    client = as_user("counsellor")
    everyone = client.get("/care/priority/").content.decode()
    assert "page=2" in everyone  # 王秀英 (old, alone) and 陈明 (flagged): two pages of one
    flagged = client.get("/care/priority/?reason=staff").content.decode()
    assert "陈明" in flagged and "王秀英" not in flagged and "page=2" not in flagged
    assert client.get("/care/priority/?reason=nonsense").status_code == 200
