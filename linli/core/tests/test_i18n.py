"""Simplified Chinese is the default language; English is complete too."""

import polib
import pytest
from django.conf import settings


@pytest.fixture
def chinese(settings):
    settings.LANGUAGE_CODE = "zh-hans"


def test_pages_are_in_chinese_by_default(chinese, as_user):
    page = as_user("staff").get("/registry/").content.decode()
    assert "社区居民台账" in page
    assert "60岁以上" in page
    assert "Community registry" not in page


def test_english_on_request(as_user):
    client = as_user("staff")
    client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    page = client.get("/registry/").content.decode()
    assert "Community registry" in page


def test_api_errors_follow_the_language(world, chinese, as_user):
    response = as_user("staff").post(
        "/api/v1/residents",
        {
            "household_id": world.residents["zhang"].household_id,
            "name": "张三",
            "id_number": "420106195003080112",
        },
        content_type="application/json",
    )
    assert "身份证号校验位错误" in response.json()["error"]["fields"]["id_number"][0]


def test_every_message_has_a_chinese_translation():
    catalogue = polib.pofile(str(settings.LOCALE_PATHS[0] / "zh_Hans/LC_MESSAGES/django.po"))
    untranslated = [e.msgid for e in catalogue.untranslated_entries() + catalogue.fuzzy_entries()]
    assert untranslated == []


def test_the_compiled_catalogue_matches_the_source():
    folder = settings.LOCALE_PATHS[0] / "zh_Hans/LC_MESSAGES"
    source = {
        (e.msgctxt, e.msgid): e.msgstr
        for e in polib.pofile(str(folder / "django.po"))
        if not e.msgid_plural
    }
    compiled = {
        (e.msgctxt, e.msgid): e.msgstr
        for e in polib.mofile(str(folder / "django.mo"))
        if not e.msgid_plural
    }
    assert compiled == source, "run `make messages` to recompile django.mo"
