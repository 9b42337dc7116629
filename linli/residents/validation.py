"""One set of rules for a resident's fields, shared by the pages, the API and the importer.

`clean_resident` takes raw values (strings from a sheet or a form, or typed values from the API)
and returns typed values, or raises FieldErrors naming each bad field and the rule it broke.
"""

import functools
import re
from datetime import date, datetime

from django.utils import timezone, translation
from django.utils.translation import gettext as _

from linli.residents.choices import (
    DERIVED_TAGS,
    Relation,
    ResidentType,
    Sex,
    Tag,
)
from linli.residents.idnumber import IdNumberError, parse_id_number

NAME_MAX = 50
NOTE_MAX = 200
MOBILE_RE = re.compile(r"^1[3-9]\d{9}$")
LANDLINE_RE = re.compile(r"^0\d{2,3}-?\d{7,8}$")
NAME_RE = re.compile(r"^[\u3400-\u9fff\u00b7·A-Za-z .\-]+$")

# What people type in a sheet, in Chinese or English, for each choice.
SEX_WORDS = {
    "男": Sex.MALE,
    "女": Sex.FEMALE,
    "m": Sex.MALE,
    "f": Sex.FEMALE,
    "male": Sex.MALE,
    "female": Sex.FEMALE,
}
RELATION_WORDS = {
    "本人": Relation.HOUSEHOLDER,
    "妻子": Relation.SPOUSE,
    "丈夫": Relation.SPOUSE,
    "儿子": Relation.CHILD,
    "女儿": Relation.CHILD,
    "父亲": Relation.PARENT,
    "母亲": Relation.PARENT,
    "孙子": Relation.GRANDCHILD,
    "孙女": Relation.GRANDCHILD,
    "外孙": Relation.GRANDCHILD,
    "外孙女": Relation.GRANDCHILD,
    "租客": Relation.TENANT,
}
TYPE_WORDS = {
    "户籍人口": ResidentType.REGISTERED,
    "常住": ResidentType.REGISTERED,
    "租客": ResidentType.TENANT,
    "流动人口": ResidentType.TEMPORARY,
}


class FieldErrors(Exception):
    def __init__(self, errors: dict[str, list[str]]):
        super().__init__("; ".join(f"{k}: {' '.join(v)}" for k, v in errors.items()))
        self.errors = errors


@functools.cache
def _choice_lookup(choices) -> dict[str, str]:
    """Every way to write each choice: its value, and its label in Chinese and in English,
    whatever language the request (or the background worker) happens to run in."""
    table = {}
    for language in ("en", "zh-hans"):
        with translation.override(language):
            for value, label in choices.choices:
                table[str(value).lower()] = value
                table[str(label).lower()] = value
    return table


def _word(raw) -> str:
    return "" if raw is None else str(raw).strip()


def parse_date(raw) -> date:
    if isinstance(raw, datetime):
        return raw.date()
    if isinstance(raw, date):
        return raw
    text = _word(raw).replace("/", "-").replace(".", "-").replace("年", "-").replace("月", "-")
    text = text.rstrip("日")
    try:
        return date.fromisoformat("-".join(part.zfill(2) for part in text.split("-")))
    except ValueError as exc:
        raise ValueError(_("must be a date like 1956-03-08")) from exc


def choice_value(raw, choices, *, extra: dict | None = None) -> str:
    word = _word(raw).lower()
    table = _choice_lookup(choices) | (extra or {})
    if word in table:
        return table[word]
    allowed = ", ".join(str(label) for _v, label in choices.choices)
    raise ValueError(_("must be one of: %(allowed)s") % {"allowed": allowed})


def parse_tags(raw) -> list[str]:
    if raw in (None, ""):
        return []
    if isinstance(raw, list | tuple):
        items = raw
    else:
        # English labels contain spaces ("Chronic illness", as the export writes them), so a
        # space separates tags only inside a part that is not itself a label.
        labels = _choice_lookup(Tag)
        items = []
        for part in re.split(r"[,，、;；\n]+", _word(raw)):
            part = part.strip()
            items.extend([part] if part.lower() in labels else part.split())
    tags = []
    for item in items:
        if not _word(item):
            continue
        tag = choice_value(item, Tag)
        if tag in DERIVED_TAGS:
            raise ValueError(
                _("%(tag)s is worked out from the registry and cannot be typed")
                % {"tag": Tag(tag).label}
            )
        if tag not in tags:
            tags.append(tag)
    return tags


def clean_resident(values: dict, *, partial: bool = False, today: date | None = None) -> dict:
    """Check `values` and return the typed fields. With `partial`, absent keys are left alone
    (PATCH); otherwise name, sex and birth date are required unless the ID number gives them."""
    today = today or timezone.localdate()
    errors: dict[str, list[str]] = {}
    out: dict = {}

    def fail(name, message):
        errors.setdefault(name, []).append(str(message))

    def given(name):
        return name in values and not (values[name] is None and partial)

    if given("name") or not partial:
        name = _word(values.get("name"))
        if not name:
            fail("name", _("is required"))
        elif len(name) > NAME_MAX:
            fail("name", _("must be at most %(n)d characters") % {"n": NAME_MAX})
        elif not NAME_RE.match(name):
            fail("name", _("may contain only Chinese or Latin letters"))
        else:
            out["name"] = name

    id_info = None
    if given("id_number"):
        raw_id = _word(values.get("id_number"))
        if raw_id:
            try:
                id_info = parse_id_number(raw_id, today=today)
                out["id_number"] = id_info.number
            except IdNumberError as exc:
                fail("id_number", exc)
        else:
            out["id_number"] = ""

    for field, parse in (
        ("sex", lambda v: choice_value(v, Sex, extra=SEX_WORDS)),
        ("birth_date", parse_date),
    ):
        if given(field) and _word(values.get(field)):
            try:
                out[field] = parse(values[field])
            except ValueError as exc:
                fail(field, exc)
    if "birth_date" in out and not (date(1880, 1, 1) <= out["birth_date"] <= today):
        fail("birth_date", _("must be between 1880-01-01 and today"))
        del out["birth_date"]

    if id_info:
        # The ID number carries the birth date and sex: derive them, and refuse a contradiction.
        for field, derived in (("birth_date", id_info.birth_date), ("sex", id_info.sex)):
            if field in out and out[field] != derived:
                fail(field, _("does not match the ID number"))
            out.setdefault(field, derived)
    if not partial:
        for field in ("sex", "birth_date"):
            if field not in out and field not in errors:
                fail(field, _("is required (or give an ID number)"))

    if given("phone"):
        phone = re.sub(r"[\s()]", "", _word(values.get("phone")))
        if phone.startswith("+86"):
            phone = phone[3:]
        if phone and not (MOBILE_RE.match(phone) or LANDLINE_RE.match(phone)):
            fail("phone", _("must be an 11-digit mobile number or a landline like 027-88886666"))
        else:
            out["phone"] = phone

    for field, choices, words in (
        ("relation", Relation, RELATION_WORDS),
        ("resident_type", ResidentType, TYPE_WORDS),
    ):
        if given(field) and _word(values.get(field)):
            try:
                out[field] = choice_value(values[field], choices, extra=words)
            except ValueError as exc:
                fail(field, exc)

    if given("tags"):
        try:
            out["tags"] = parse_tags(values.get("tags"))
        except ValueError as exc:
            fail("tags", exc)

    if given("disability_level"):
        raw = _word(values.get("disability_level"))
        if raw:
            text = raw.removesuffix("级")
            text = {"一": "1", "二": "2", "三": "3", "四": "4"}.get(text, text)
            if text in {"1", "2", "3", "4"}:
                out["disability_level"] = int(text)
            else:
                fail("disability_level", _("must be a grade from 1 to 4"))
        else:
            out["disability_level"] = None

    if given("note"):
        note = _word(values.get("note"))
        if len(note) > NOTE_MAX:
            fail("note", _("must be at most %(n)d characters") % {"n": NOTE_MAX})
        else:
            out["note"] = note

    if errors:
        raise FieldErrors(errors)
    # A disability grade implies the disabled tag.
    if out.get("disability_level") and "tags" in out and Tag.DISABLED not in out["tags"]:
        out["tags"].append(Tag.DISABLED)
    return out
