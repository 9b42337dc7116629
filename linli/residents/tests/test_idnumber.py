"""ID numbers (GB 11643): every well-formed number is accepted and read correctly; any single
changed character is caught; nothing but IdNumberError ever escapes."""

from datetime import date

import pytest
from hypothesis import example, given
from hypothesis import strategies as st
from stdnum.cn import ric

from linli.residents.idnumber import (
    IdNumberError,
    make_id_number,
    mask_id_number,
    parse_id_number,
)

TODAY = date(2026, 1, 1)
regions = st.from_regex(r"[1-8][0-9]{5}", fullmatch=True)
births = st.dates(min_value=date(1880, 1, 1), max_value=TODAY)
sequences = st.integers(min_value=0, max_value=999)


@given(region=regions, birth=births, sequence=sequences)
def test_every_made_number_parses_to_its_birth_date_and_sex(region, birth, sequence):
    number = make_id_number(region, birth, sequence)
    info = parse_id_number(number, today=TODAY)
    assert info.number == number
    assert info.birth_date == birth
    assert info.sex == ("M" if sequence % 2 else "F")


@given(region=regions, birth=births, sequence=sequences)
def test_spaces_and_lower_case_x_are_accepted(region, birth, sequence):
    number = make_id_number(region, birth, sequence)
    spaced = f" {number[:6]} {number[6:14]} {number[14:].lower()} "
    assert parse_id_number(spaced, today=TODAY).number == number


@given(
    region=regions,
    birth=births,
    sequence=sequences,
    position=st.integers(min_value=0, max_value=17),
    data=st.data(),
)
def test_any_single_changed_character_is_refused(region, birth, sequence, position, data):
    number = make_id_number(region, birth, sequence)
    alphabet = "0123456789X" if position == 17 else "0123456789"
    replacement = data.draw(st.sampled_from([c for c in alphabet if c != number[position]]))
    changed = number[:position] + replacement + number[position + 1 :]
    with pytest.raises(IdNumberError):
        parse_id_number(changed, today=TODAY)


@given(st.text())
@example("²" * 17 + "X")  # superscript digits pass str.isdigit() but are not digits
@example("١٢٣٤٥٦١٩٨٠٠١٠١١٢٣٤")  # Arabic-Indic digits
@example("420106" + "9" * 12)
@example("")
def test_arbitrary_text_raises_only_id_number_error(text):
    try:
        info = parse_id_number(text, today=TODAY)
    except IdNumberError as exc:
        assert str(exc)
    else:
        assert len(info.number) == 18 and info.number[:17].isascii()


@pytest.mark.parametrize(
    ("number", "message"),
    [
        ("42010619500308001", "must have 18 characters"),
        ("4201061950030800111", "must have 18 characters"),
        ("42010619500308A011", "17 digits followed by a digit or X"),
        ("42010619500308011Y", "17 digits followed by a digit or X"),
        (make_id_number("420106", date(1950, 3, 8), 11)[:-1] + "Q", "digit or X"),
    ],
)
def test_each_rule_has_its_own_message(number, message):
    with pytest.raises(IdNumberError, match=message):
        parse_id_number(number, today=TODAY)


def test_a_wrong_check_digit_says_so():
    number = make_id_number("420106", date(1950, 3, 8), 11)
    wrong = number[:-1] + ("0" if number[-1] != "0" else "1")
    with pytest.raises(IdNumberError, match="check digit is wrong"):
        parse_id_number(wrong, today=TODAY)


@pytest.mark.parametrize(
    "body",
    [
        "42010619500230011",  # 30 February
        "42010620300101011",  # after today
        "42010618790101011",  # before 1880
    ],
)
def test_an_impossible_birth_date_is_refused_even_with_a_right_check_digit(body):
    number = body + ric.calc_check_digit(body + "0")
    with pytest.raises(IdNumberError, match="impossible birth date"):
        parse_id_number(number, today=TODAY)


def test_full_width_digits_from_a_chinese_keyboard_are_read_as_ascii():
    number = make_id_number("420106", date(1950, 3, 8), 11)
    full_width = "".join(chr(ord(c) + 0xFEE0) for c in number)
    assert parse_id_number(full_width, today=TODAY).number == number


def test_mask_keeps_region_prefix_and_last_four():
    assert mask_id_number("42010619500308011X") == "4201**********011X"
    assert mask_id_number("123") == "***"
