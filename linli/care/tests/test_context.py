"""The menu flags cost no query; the questionnaires' texts are all in the translation
catalogue's source; the daily command makes the follow-up tasks."""

import datetime as dt
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import connection
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone, translation

from linli.care import scoring, services, texts
from linli.care.context_processors import nav
from linli.care.forms import ScreeningForm
from linli.care.models import CareCase
from linli.care.tests.test_pages import make_care_people
from linli.taskpool.choices import TaskKind
from linli.taskpool.models import Task

pytestmark = pytest.mark.django_db
FLAGS = ("screen", "priority", "cases", "groups", "figures")


@pytest.mark.parametrize(
    "persona,on",
    [
        ("resident", {"screen"}),
        ("counsellor", {"screen", "priority", "cases", "groups"}),
        ("care_supervisor", {"screen", "priority", "cases", "groups", "figures"}),
        ("staff", {"priority", "figures"}),
        ("supervisor", {"figures"}),
        ("grid_a", set()),
        ("volunteer", set()),
        ("outsider", set()),
    ],
)
def test_menu_flags_follow_the_roles_without_a_query(world, persona, on):
    make_care_people(world)
    request = RequestFactory().get("/")
    request.user = world.user(persona)
    request.user._linli_grants = list(request.user.grants.all())  # as a request has them
    if request.user.resident_id:
        request.user.resident  # noqa: B018 (loaded once per request by the auth backend)
    with CaptureQueriesContext(connection) as ctx:
        care_nav = nav(request)["care_nav"]
        got = {key for key in FLAGS if care_nav[key]}
    assert got == on
    assert len(ctx.captured_queries) == 0


@pytest.mark.parametrize("persona", ["resident", "staff", "supervisor", "counsellor"])
def test_the_menu_links_render(world, as_user, persona):
    make_care_people(world)
    response = as_user(persona).get(reverse("notices:mine"))  # a page everyone has
    assert response.status_code == 200
    assert b'href="/care/' in response.content


def test_anonymous_menu_is_empty():
    request = RequestFactory().get("/")
    from django.contrib.auth.models import AnonymousUser

    request.user = AnonymousUser()
    assert nav(request) == {"care_nav": {}}


def test_every_questionnaire_text_is_marked_for_translation():
    assert texts.STEM == scoring.STEM
    assert texts.ANSWERS == tuple(text for _value, text in scoring.ANSWERS)
    assert texts.PHQ9_ITEMS == scoring.ITEMS[scoring.PHQ9]
    assert texts.GAD7_ITEMS == scoring.ITEMS[scoring.GAD7]


def test_the_form_shows_the_texts_in_the_readers_language():
    with translation.override("en"):
        form = ScreeningForm("phq9")
    assert [field.label for field in form.fields.values()] == list(scoring.ITEMS["phq9"])
    assert form.stem == scoring.STEM
    with translation.override("zh-hans"):
        form = ScreeningForm("gad7")  # untranslated texts fall back to English, never fail
    assert len(form.fields) == 7


def test_care_daily_makes_the_due_follow_ups_once(world):
    make_care_people(world)
    due = services.case_open(actor=None, resident=world.residents["chen"], risk="high", reason="x")
    later = services.case_open(
        actor=None, resident=world.residents["wang"], risk="moderate", reason="y"
    )
    CareCase.objects.filter(pk=later.pk).update(
        next_due=timezone.localdate() + dt.timedelta(days=3)
    )
    out = StringIO()
    call_command("care_daily", stdout=out)
    text = out.getvalue()
    assert "测试社区: 1 follow-ups due" in text
    assert "care: 1 new counselling tasks" in text
    task = Task.objects.get(kind=TaskKind.COUNSELLING)
    assert task.resident_id == due.resident_id
    again = StringIO()
    call_command("care_daily", stdout=again)
    assert "care: 0 new counselling tasks" in again.getvalue()
    assert Task.objects.filter(kind=TaskKind.COUNSELLING).count() == 1
