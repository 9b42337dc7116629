"""Pinyin search keys, with surnames read as surnames (单 is Shàn, 曾 is Zēng)."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from linli.residents.pinyin import name_keys


@pytest.mark.parametrize(
    ("name", "keys"),
    [
        ("张伟", ("zhangwei", "zw")),
        ("王秀英", ("wangxiuying", "wxy")),
        ("单小红", ("shanxiaohong", "sxh")),
        ("曾国藩", ("zengguofan", "zgf")),
        ("解放", ("xiefang", "xf")),
        ("欧阳修", ("ouyangxiu", "oyx")),
        ("单于", ("shanyu", "sy")),  # a two-character name is surname 单 and name 于
        ("单于敏", ("chanyumin", "cym")),  # the double surname
        (" 张伟 ", ("zhangwei", "zw")),
        ("艾力·买买提", ("ailimaimaiti", "almmt")),
        ("Anna", ("anna", "a")),
        ("Mary Smith", ("marysmith", "ms")),
        ("", ("", "")),
    ],
)
def test_name_keys(name, keys):
    assert name_keys(name) == keys


def test_the_surname_reading_applies_only_at_the_start():
    # 曾 in the middle of a name is céng, not the surname zēng.
    assert name_keys("张曾")[0].startswith("zhang")
    assert name_keys("曾")[0] in {"ceng", "zeng"}


@given(st.text(max_size=20))
def test_keys_are_lower_case_ascii_and_initials_follow_the_full_form(name):
    full, initials = name_keys(name)
    assert full == full.lower()
    assert " " not in full and " " not in initials
    assert len(initials) <= len(full)
    assert len(full) <= 120 and len(initials) <= 20  # the columns' widths
    if initials:
        assert full.startswith(initials[0])


def test_a_long_name_fits_the_search_columns():
    full, initials = name_keys("双" * 50)
    assert (len(full), len(initials)) == (120, 20)
    assert full.startswith("shuangshuang") and initials == "s" * 20
