"""PHQ-9 and GAD-7 scoring (pure, no database): every published band boundary, item 9, and
refusals that name the field."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from linli.care import scoring
from linli.care.scoring import GAD7, PHQ9, ScoringError, score

# The published bands, restated here rather than read from scoring.BANDS, so a slip in the
# table is caught: (lowest, highest, band, risk).
PHQ9_BANDS = [
    (0, 4, "minimal", "low"),
    (5, 9, "mild", "low"),
    (10, 14, "moderate", "moderate"),
    (15, 19, "moderately_severe", "high"),
    (20, 27, "severe", "high"),
]
GAD7_BANDS = [
    (0, 4, "minimal", "low"),
    (5, 9, "mild", "low"),
    (10, 14, "moderate", "moderate"),
    (15, 21, "severe", "high"),
]
PUBLISHED = {PHQ9: PHQ9_BANDS, GAD7: GAD7_BANDS}
ORDER = {
    PHQ9: ["minimal", "mild", "moderate", "moderately_severe", "severe"],
    GAD7: ["minimal", "mild", "moderate", "severe"],
}
RISK_ORDER = ["low", "moderate", "high"]
LENGTH = {PHQ9: 9, GAD7: 7}


def answers_for(instrument: str, total: int, *, item9: int = 0) -> list[int]:
    """Answers adding up to `total`, with PHQ-9 item 9 as given (0 unless the total needs it)."""
    answers = [0] * LENGTH[instrument]
    if instrument == PHQ9:
        answers[8] = item9
    left = total - sum(answers)
    for i in range(len(answers)):
        if instrument == PHQ9 and i == 8:
            continue
        answers[i] = min(3, left)
        left -= answers[i]
    if left:  # PHQ-9 totals above 24 need item 9 too
        assert instrument == PHQ9 and answers[8] + left <= 3
        answers[8] += left
    assert sum(answers) == total
    return answers


def expected(instrument: str, total: int) -> tuple[str, str]:
    return next((band, risk) for lo, hi, band, risk in PUBLISHED[instrument] if lo <= total <= hi)


@pytest.mark.parametrize("total", [0, 4, 5, 9, 10, 14, 15, 19, 20, 24])
def test_phq9_band_boundaries(total):
    result = score(PHQ9, answers_for(PHQ9, total))
    band, risk = expected(PHQ9, total)
    assert (result.total, result.band, result.risk, result.self_harm) == (total, band, risk, False)


@pytest.mark.parametrize("total", [25, 26, 27])
def test_phq9_totals_above_24_are_severe_and_need_item9(total):
    # 8 items of at most 3 reach 24: any higher total has item 9 above 0, so is also self-harm.
    result = score(PHQ9, answers_for(PHQ9, total))
    assert (result.total, result.band, result.risk, result.self_harm) == (
        total,
        "severe",
        "high",
        True,
    )


@pytest.mark.parametrize("total", [0, 4, 5, 9, 10, 14, 15, 21])
def test_gad7_band_boundaries(total):
    result = score(GAD7, answers_for(GAD7, total))
    band, risk = expected(GAD7, total)
    assert (result.total, result.band, result.risk, result.self_harm) == (total, band, risk, False)


@pytest.mark.parametrize("item9", [1, 2, 3])
def test_item9_above_0_alone_is_high_risk(item9):
    result = score(PHQ9, [0] * 8 + [item9])
    assert result.total == item9 and result.band == "minimal"
    assert result.self_harm and result.risk == "high"


def test_item9_at_total_1_is_high_risk_whatever_the_band():
    result = score(PHQ9, [0, 0, 0, 0, 0, 0, 0, 0, 1])
    assert (result.total, result.band, result.self_harm, result.risk) == (
        1,
        "minimal",
        True,
        "high",
    )


@pytest.mark.parametrize("total", [5, 10, 15, 20])
def test_item9_makes_every_band_high_risk(total):
    result = score(PHQ9, answers_for(PHQ9, total, item9=1))
    assert result.self_harm and result.risk == "high"
    assert result.band == expected(PHQ9, total)[0]


def test_the_same_answers_on_gad7_are_never_self_harm():
    # GAD-7 has no item 9: its 7th item at 3 is just anxiety.
    result = score(GAD7, [0, 0, 0, 0, 0, 0, 3])
    assert not result.self_harm and result.risk == "low"


@pytest.mark.parametrize(
    ("instrument", "length"),
    [(PHQ9, 0), (PHQ9, 7), (PHQ9, 8), (PHQ9, 10), (GAD7, 6), (GAD7, 8), (GAD7, 9)],
)
def test_wrong_number_of_answers_names_the_answers(instrument, length):
    with pytest.raises(ScoringError) as refused:
        score(instrument, [1] * length)
    assert refused.value.field == "answers"
    assert str(LENGTH[instrument]) in str(refused.value)


@pytest.mark.parametrize("bad", [-1, 4, 10, 2.5, "1", None, [1]])
def test_an_answer_outside_0_to_3_names_its_question(bad):
    answers = [0] * 9
    answers[4] = bad
    with pytest.raises(ScoringError) as refused:
        score(PHQ9, answers)
    assert refused.value.field == "answers.5"  # questions counted from 1, as on the form


@pytest.mark.parametrize("bad", [True, False])
def test_booleans_are_refused_though_python_counts_them_as_numbers(bad):
    answers = [1] * 7
    answers[2] = bad
    with pytest.raises(ScoringError) as refused:
        score(GAD7, answers)
    assert refused.value.field == "answers.3"


def test_an_unknown_questionnaire_names_the_instrument():
    with pytest.raises(ScoringError) as refused:
        score("k10", [0] * 10)
    assert refused.value.field == "instrument"


def test_every_questionnaire_has_its_items_and_the_answers_run_0_to_3():
    assert {k: len(v) for k, v in scoring.ITEMS.items()} == LENGTH
    assert [value for value, _text in scoring.ANSWERS] == [0, 1, 2, 3]
    assert "better off dead" in scoring.ITEMS[PHQ9][scoring.SELF_HARM_ITEM]


answer = st.integers(min_value=0, max_value=3)
filled = st.sampled_from([PHQ9, GAD7]).flatmap(
    lambda instrument: st.tuples(
        st.just(instrument),
        st.lists(answer, min_size=LENGTH[instrument], max_size=LENGTH[instrument]),
    )
)


@given(filled)
def test_the_total_is_the_sum_and_the_band_the_published_one(case):
    instrument, answers = case
    result = score(instrument, answers)
    assert result.total == sum(answers)
    assert result.band == expected(instrument, result.total)[0]
    assert result.self_harm == (instrument == PHQ9 and answers[8] > 0)


@given(filled, st.data())
def test_answering_any_item_higher_never_lowers_band_or_risk(case, data):
    instrument, answers = case
    item = data.draw(st.integers(0, len(answers) - 1))
    raised = list(answers)
    raised[item] = data.draw(st.integers(answers[item], 3))
    low, high = score(instrument, answers), score(instrument, raised)
    assert high.total >= low.total
    assert ORDER[instrument].index(high.band) >= ORDER[instrument].index(low.band)
    assert RISK_ORDER.index(high.risk) >= RISK_ORDER.index(low.risk)


@pytest.mark.parametrize("instrument", [PHQ9, GAD7])
def test_band_is_monotonic_over_every_total(instrument):
    top = 27 if instrument == PHQ9 else 21
    ranks = [ORDER[instrument].index(scoring.band_for(instrument, t)) for t in range(top + 1)]
    assert ranks == sorted(ranks)
    assert ranks[0] == 0 and ranks[-1] == len(ORDER[instrument]) - 1
