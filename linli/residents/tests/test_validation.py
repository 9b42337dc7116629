"""clean_resident: one set of rules for pages, API and importer. Bad input is named field by
field; arbitrary input never breaks it."""

from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from linli.residents.idnumber import make_id_number
from linli.residents.validation import FieldErrors, clean_resident

TODAY = date(2026, 1, 1)
FIELDS = [
    "name",
    "id_number",
    "sex",
    "birth_date",
    "phone",
    "relation",
    "resident_type",
    "tags",
    "disability_level",
    "note",
]
ZHANG = make_id_number("420106", date(1950, 3, 8), 11)
ALLOWED = {
    "name": str,
    "id_number": str,
    "sex": str,
    "birth_date": date,
    "phone": str,
    "relation": str,
    "resident_type": str,
    "tags": list,
    "disability_level": (int, type(None)),
    "note": str,
}

values = st.one_of(
    st.text(max_size=60),
    st.sampled_from(
        ["", " ", "男", "女", "1950-03-08", "1950年3月8日", "二级", "残疾、慢性病", ZHANG]
    ),
    st.none(),
)
raw_dicts = st.dictionaries(st.sampled_from(FIELDS) | st.text(max_size=10), values, max_size=12)


def check(raw, partial):
    try:
        out = clean_resident(raw, partial=partial, today=TODAY)
    except FieldErrors as exc:
        assert exc.errors
        for name, messages in exc.errors.items():
            assert name in FIELDS
            assert messages and all(isinstance(m, str) and m for m in messages)
        return
    for name, value in out.items():
        assert isinstance(value, ALLOWED[name]), name
    if not partial:
        assert out["name"] and out["sex"] in {"M", "F"} and out["birth_date"] <= TODAY


@settings(max_examples=300)
@given(raw_dicts)
def test_arbitrary_text_raises_only_field_errors(raw):
    check(raw, partial=False)


@settings(max_examples=300)
@given(raw_dicts)
def test_arbitrary_partial_text_raises_only_field_errors(raw):
    check(raw, partial=True)


@given(
    st.fixed_dictionaries(
        {f: st.one_of(st.text(max_size=30), st.integers(), st.floats(), st.none()) for f in FIELDS}
    )
)
def test_typed_values_from_a_sheet_raise_only_field_errors(raw):
    # openpyxl hands over numbers and floats as well as text.
    check(raw, partial=False)


def test_the_id_number_gives_birth_date_and_sex():
    out = clean_resident({"name": "张伟", "id_number": ZHANG.lower()}, today=TODAY)
    assert (out["id_number"], out["birth_date"], out["sex"]) == (ZHANG, date(1950, 3, 8), "M")


def test_a_contradiction_with_the_id_names_each_field():
    with pytest.raises(FieldErrors) as exc:
        clean_resident(
            {"name": "张伟", "id_number": ZHANG, "sex": "女", "birth_date": "1950-03-09"},
            today=TODAY,
        )
    assert set(exc.value.errors) == {"sex", "birth_date"}
    assert exc.value.errors["sex"] == ["does not match the ID number"]


@pytest.mark.parametrize(
    ("raw", "field"),
    [
        ({"name": ""}, "name"),
        ({"name": "张" * 51}, "name"),
        ({"name": "Robert'); DROP TABLE"}, "name"),
        ({"phone": "12345"}, "phone"),
        ({"birth_date": "1950-02-30"}, "birth_date"),
        ({"birth_date": "2030-01-01"}, "birth_date"),
        ({"sex": "unknown"}, "sex"),
        ({"relation": "cousin twice removed"}, "relation"),
        ({"resident_type": "visitor"}, "resident_type"),
        ({"tags": "aged 60+"}, "tags"),
        ({"tags": "living_alone"}, "tags"),
        ({"tags": "unicorn"}, "tags"),
        ({"disability_level": "5"}, "disability_level"),
        ({"note": "x" * 201}, "note"),
        ({"id_number": "12345"}, "id_number"),
    ],
)
def test_each_bad_field_is_named(raw, field):
    base = {"name": "张伟", "sex": "男", "birth_date": "1950-03-08"}
    with pytest.raises(FieldErrors) as exc:
        clean_resident({**base, **raw}, today=TODAY)
    assert list(exc.value.errors) == [field]


def test_required_fields_are_all_reported_at_once():
    with pytest.raises(FieldErrors) as exc:
        clean_resident({}, today=TODAY)
    assert set(exc.value.errors) == {"name", "sex", "birth_date"}


def test_partial_leaves_absent_fields_alone():
    assert clean_resident({"phone": "027-88886666"}, partial=True, today=TODAY) == {
        "phone": "027-88886666"
    }
    assert clean_resident({"name": None}, partial=True, today=TODAY) == {}


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ({"sex": "男"}, {"sex": "M"}),
        ({"sex": "Female"}, {"sex": "F"}),
        ({"birth_date": "1950/3/8"}, {"birth_date": date(1950, 3, 8)}),
        ({"birth_date": "1950年3月8日"}, {"birth_date": date(1950, 3, 8)}),
        ({"phone": "+86 139 1234 5678"}, {"phone": "13912345678"}),
        ({"relation": "妻子"}, {"relation": "spouse"}),
        ({"resident_type": "流动人口"}, {"resident_type": "temporary"}),
        (
            {"tags": "Chronic illness、dialysis；pregnant"},
            {"tags": ["chronic", "dialysis", "pregnant"]},
        ),
        ({"tags": "chronic, chronic"}, {"tags": ["chronic"]}),
        ({"disability_level": "三级"}, {"disability_level": 3}),
        ({"disability_level": "2", "tags": ""}, {"disability_level": 2, "tags": ["disabled"]}),
    ],
)
def test_what_people_type_in_a_sheet_is_understood(raw, expected):
    assert clean_resident(raw, partial=True, today=TODAY) == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Chronic illness、On dialysis", ["chronic", "dialysis"]),  # as the English export writes
        ("chronic dialysis", ["chronic", "dialysis"]),
        ("Low income; migrant_worker", ["low_income", "migrant_worker"]),
        (["bereaved", "stranded"], ["bereaved", "stranded"]),
    ],
)
def test_tags_with_spaces_in_their_labels(raw, expected):
    assert clean_resident({"tags": raw}, partial=True, today=TODAY)["tags"] == expected


@pytest.mark.parametrize("raw", ["Aged 60+", "infant", "living_alone, chronic"])
def test_a_derived_tag_is_refused_with_the_reason(raw):
    with pytest.raises(FieldErrors) as exc:
        clean_resident({"tags": raw}, partial=True, today=TODAY)
    assert "worked out from the registry" in exc.value.errors["tags"][0]
