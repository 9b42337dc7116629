"""The record-linkage engine on handmade lists: a small registry and an external list whose
rows carry the errors clerks make (homophones, transposed ID digits, phone typos, surnames
spelled out in pinyin), plus the people who only look alike."""

import random
from datetime import date, timedelta

import pytest

from linli.residents.idnumber import make_id_number
from linli.tracing import linkage
from linli.tracing.linkage import (
    LinkResult,
    infer_types,
    link,
    normalise_date,
    normalise_phone,
    prepare,
)

TYPES = {
    "name": "name",
    "id_number": "id_number",
    "phone": "phone",
    "birth_date": "date",
    "sex": "sex",
}
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"
GIVEN = "德明华英文志国建平玉春秀金海红军丽芳敏静"


def person(pk, name, birth, sequence, phone, region="420106"):
    return {
        "pk": pk,
        "name": name,
        "id_number": make_id_number(region, birth, sequence),
        "phone": phone,
        "birth_date": birth.isoformat(),
        "sex": "M" if sequence % 2 else "F",
    }


def registry():
    """Eighty residents drawn at random, then the five the external list is about."""
    rng = random.Random(3)
    people = []
    for pk in range(1, 81):
        birth = date(1940, 1, 1) + timedelta(days=rng.randrange(365 * 70))
        name = rng.choice(SURNAMES) + "".join(rng.choices(GIVEN, k=rng.choice((1, 2))))
        people.append(person(pk, name, birth, rng.randrange(1000), f"139{pk:08d}"))
    people += [
        person(101, "张伟", date(1980, 1, 1), 123, "13871234567"),
        person(102, "曾志明", date(1990, 2, 2), 567, "13971234567"),
        person(103, "李丽", date(1970, 3, 3), 432, "13771234567"),
        person(104, "王芳", date(1965, 4, 4), 876, "13671234567"),
        person(105, "陈建国", date(1950, 10, 1), 111, "18071234567"),
    ]
    return people


def transpose(number, i):
    return number[:i] + number[i + 1] + number[i] + number[i + 2 :]


def external(people):
    by_pk = {p["pk"]: p for p in people}
    zhang, li, chen = by_pk[101], by_pk[103], by_pk[105]
    rows = [
        # 张伟 written 张玮 (same reading), no phone given
        {"row": "A", "name": "张玮", "birth_date": "1980/1/1", "id_number": zhang["id_number"]},
        # spelled out in pinyin, as on a passenger manifest: 曾 reads zeng in a surname
        {
            "row": "B",
            "name": "ZENG Zhiming",
            "birth_date": "1990年2月2日",
            "phone": "+86 139 7123 4567",
        },
        # two neighbouring ID digits swapped and one phone digit wrong
        {
            "row": "C",
            "name": "李丽",
            "id_number": transpose(li["id_number"], 12),
            "phone": "13771234568",
        },
        # same name as resident 104, born ten years later: someone else
        {
            "row": "D",
            "name": "王芳",
            "birth_date": "1975-06-06",
            "id_number": make_id_number("420111", date(1975, 6, 6), 244),
            "phone": "15071234567",
            "sex": "女",
        },
        # nobody in the registry
        {
            "row": "E",
            "name": "欧阳娜娜",
            "birth_date": "2001-09-09",
            "id_number": make_id_number("110101", date(2001, 9, 9), 42),
            "phone": "18600000000",
        },
        # the ID typed with one digit wrong, name and birth date right
        {
            "row": "F",
            "name": "陈建国",
            "birth_date": "1950-10-01",
            "id_number": chen["id_number"][:3] + "9" + chen["id_number"][4:],
            "sex": "男",
        },
    ]
    # Members of the registry listed as they are, so the list is not all hard cases.
    rows += [
        {k: p[k] for k in ("name", "id_number", "phone", "birth_date")} | {"row": f"R{p['pk']}"}
        for p in people[:30]
    ]
    return rows


@pytest.fixture(scope="module")
def linked() -> LinkResult:
    people = registry()
    return link(people, external(people), types=TYPES, left_id="pk", right_id="row")


def matches_of(result):
    return {m.right_id: m for m in result.matches}


def test_a_homophone_name_matches(linked):
    match = matches_of(linked)["A"]
    assert match.left_id == 101
    assert match.evidence["name"] == "same pinyin"
    assert match.evidence["id_number"] == "exact"
    assert match.evidence["phone"] == "missing"
    assert match.probability >= 0.9


def test_a_pinyin_spelling_matches_with_the_surname_read_as_zeng(linked):
    match = matches_of(linked)["B"]
    assert match.left_id == 102
    assert match.evidence["name"] == "same pinyin"
    assert match.evidence["phone"] == "exact"  # +86 and spaces dropped
    assert match.evidence["birth_date"] == "exact"


def test_a_transposed_id_and_a_phone_typo_still_match(linked):
    match = matches_of(linked)["C"]
    assert match.left_id == 103
    assert match.evidence["id_number"] == "1 typo"
    assert match.evidence["phone"] == "1 typo"


def test_a_wrong_id_digit_still_matches(linked):
    match = matches_of(linked)["F"]
    assert match.left_id == 105
    assert match.evidence["id_number"] == "1 typo"


def test_the_same_name_with_another_birth_date_is_someone_else(linked):
    assert "D" not in matches_of(linked)
    assert "D" in linked.unmatched_right
    assert "E" in linked.unmatched_right


def test_members_listed_as_they_are_all_match_their_resident(linked):
    found = matches_of(linked)
    for pk in range(1, 31):
        assert found[f"R{pk}"].left_id == pk
        assert found[f"R{pk}"].probability > 0.99


def test_a_short_list_uses_the_fixed_priors_and_compares_only_shared_columns(linked):
    assert linked.training == "fixed"
    assert set(linked.compared) == set(TYPES)  # sex is filled in on rows D and F only


def test_em_training_finds_the_same_matches(monkeypatch):
    # EM runs on lists of a thousand rows and more; here on the small lists, to show the
    # estimates it makes from a few dozen blocked pairs still link the hard cases.
    monkeypatch.setattr(linkage, "EM_MIN_ROWS", 30)
    people = registry()
    result = link(people, external(people), types=TYPES, left_id="pk", right_id="row")
    assert result.training == "em"
    found = {m.right_id: m.left_id for m in result.matches}
    assert {k: found.get(k) for k in "ABCDEF"} == {
        "A": 101,
        "B": 102,
        "C": 103,
        "D": None,
        "E": None,
        "F": 105,
    }


def test_progress_goes_through_the_steps_and_ids_come_back_as_given():
    steps = []
    people = registry()[:20]
    rows = [{"row": 7, "name": people[0]["name"], "id_number": people[0]["id_number"]}]
    result = link(
        people,
        rows,
        types=TYPES,
        left_id="pk",
        right_id="row",
        progress=lambda done, total, step: steps.append((done, total, step)),
    )
    assert [s for *_, s in steps] == ["prepare", "train", "predict", "done"]
    assert steps[-1][0] == steps[-1][1]
    assert [(m.left_id, m.right_id) for m in result.matches] == [(people[0]["pk"], 7)]
    assert result.compared == ["name", "id_number"]


def test_it_refuses_lists_with_nothing_in_common_or_repeated_ids():
    with pytest.raises(ValueError, match="share no typed column"):
        link([{"k": 1, "name": "张伟"}], [{"k": 2, "phone": "1"}], types=TYPES, left_id="k",
             right_id="k")  # fmt: skip
    with pytest.raises(ValueError, match="repeated"):
        link([{"k": 1, "name": "a"}, {"k": 1, "name": "b"}], [{"k": 1, "name": "a"}],
             types=TYPES, left_id="k", right_id="k")  # fmt: skip
    with pytest.raises(ValueError, match="too weak to link on"):
        link([{"k": 1, "sex": "男"}], [{"k": 1, "sex": "M"}], types=TYPES, left_id="k",
             right_id="k")  # fmt: skip
    with pytest.raises(ValueError, match="unknown column type"):
        link([{"k": 1}], [{"k": 1}], types={"x": "colour"}, left_id="k", right_id="k")


def test_an_empty_right_list_has_nothing_to_match():
    result = link([{"k": 1, "name": "张伟"}], [], types=TYPES, left_id="k", right_id="k")
    assert result.matches == [] and result.unmatched_right == []


def test_prepare_derives_the_keys():
    (row,) = prepare(
        [{"n": "曾 志明", "i": "42010619800101123x", "p": "0086 13871234567", "d": "1980.1.2"}],
        {"n": "name", "i": "id_number", "p": "phone", "d": "date"},
    )
    assert (row["n"], row["n__py"], row["n__ini"]) == ("曾志明", "zengzhiming", "zzm")
    assert row["i"] == "42010619800101123X"
    assert (row["i__region"], row["i__birth"], row["i__tail"]) == ("420106", "19800101", "123X")
    assert row["p"] == "13871234567"
    assert row["d"] == "1980-01-02"
    (latin,) = prepare([{"n": "Mary  O'Brien"}], {"n": "name"})
    assert (latin["n"], latin["n__py"], latin["n__ini"]) == ("maryobrien", "maryobrien", "mob")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2020-01-23", "2020-01-23"),
        ("2020/1/3", "2020-01-03"),
        ("2020年1月23日", "2020-01-23"),
        ("20200123", "2020-01-23"),
        ("23.01.2020", "2020-01-23"),
        ("2020-01-23 08:30:00", "2020-01-23"),
        ("2020-13-01", ""),
        ("soon", ""),
        (date(2020, 1, 23), "2020-01-23"),
    ],
)
def test_dates_in_common_spellings(text, expected):
    assert normalise_date(text) == expected


def test_phones_lose_the_country_code_only_in_front_of_a_mobile():
    assert normalise_phone("+86-138-7123-4567") == "13871234567"
    assert normalise_phone("027-8765 4321") == "02787654321"
    assert normalise_phone("8613871234567") == "13871234567"


def test_infer_types_reads_headers_in_chinese_and_english_then_values():
    headers = ["姓名", "身份证号", "手机号码", "出生日期", "住址", "邮编", "性别"]
    headers += ["Passenger", "x", "y"]
    rows = [
        {"Passenger": "Zhang Wei", "x": "13871234567", "y": "G1234"},
        {"Passenger": "Li Na", "x": "13971234567", "y": "D5678"},
    ]
    assert infer_types(headers, rows) == {
        "姓名": "name",
        "身份证号": "id_number",
        "手机号码": "phone",
        "出生日期": "date",
        "住址": "address",
        "邮编": "postcode",
        "性别": "sex",
        "Passenger": "name",
        "x": "phone",
        "y": "identifier",
    }
    english = ["Full name", "ID_Number", "Mobile", "DOB", "Address", "ZIP", "Gender", "notes"]
    assert infer_types(english, [{"notes": "came by train"}]) == {
        "Full name": "name",
        "ID_Number": "id_number",
        "Mobile": "phone",
        "DOB": "date",
        "Address": "address",
        "ZIP": "postcode",
        "Gender": "sex",
        "notes": "text",
    }
