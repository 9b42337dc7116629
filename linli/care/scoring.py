"""The PHQ-9 (depression) and GAD-7 (anxiety) questionnaires and their scoring. Pure
computation, no Django: the item texts are plain English here and translated where shown.

Scoring follows the instruments' published rules: each item is answered 0-3 (not at all,
several days, more than half the days, nearly every day) for the last two weeks; the total is
the sum; the bands are PHQ-9 0-4 minimal, 5-9 mild, 10-14 moderate, 15-19 moderately severe,
20-27 severe, and GAD-7 0-4 minimal, 5-9 mild, 10-14 moderate, 15-21 severe. PHQ-9 item 9
(thoughts of being better off dead or of self-harm) answered above 0 is high risk whatever the
total (the instrument's own guidance: ask about it at once).
"""

from dataclasses import dataclass

PHQ9 = "phq9"
GAD7 = "gad7"
INSTRUMENTS = (PHQ9, GAD7)

ANSWERS = (
    (0, "Not at all"),
    (1, "Several days"),
    (2, "More than half the days"),
    (3, "Nearly every day"),
)
STEM = "Over the last 2 weeks, how often have you been bothered by any of the following problems?"

ITEMS = {
    PHQ9: (
        "Little interest or pleasure in doing things",
        "Feeling down, depressed, or hopeless",
        "Trouble falling or staying asleep, or sleeping too much",
        "Feeling tired or having little energy",
        "Poor appetite or overeating",
        "Feeling bad about yourself, or that you are a failure or have let yourself or your "
        "family down",
        "Trouble concentrating on things, such as reading the newspaper or watching television",
        "Moving or speaking so slowly that other people could have noticed; or the opposite, "
        "being so fidgety or restless that you have been moving around a lot more than usual",
        "Thoughts that you would be better off dead, or of hurting yourself in some way",
    ),
    GAD7: (
        "Feeling nervous, anxious, or on edge",
        "Not being able to stop or control worrying",
        "Worrying too much about different things",
        "Trouble relaxing",
        "Being so restless that it is hard to sit still",
        "Becoming easily annoyed or irritable",
        "Feeling afraid, as if something awful might happen",
    ),
}
# (lowest total, band) from the top: the first whose lowest total the score reaches.
BANDS = {
    PHQ9: (
        (20, "severe"),
        (15, "moderately_severe"),
        (10, "moderate"),
        (5, "mild"),
        (0, "minimal"),
    ),
    GAD7: ((15, "severe"), (10, "moderate"), (5, "mild"), (0, "minimal")),
}
SELF_HARM_ITEM = 8  # PHQ-9 item 9, counted from 0
# Bands at which a counsellor should follow the person up.
MODERATE_OR_WORSE = {"moderate", "moderately_severe", "severe"}
HIGH_BANDS = {"moderately_severe", "severe"}


class ScoringError(ValueError):
    """The answers do not fit the questionnaire; `field` names what is wrong."""

    def __init__(self, field: str, message: str):
        super().__init__(message)
        self.field = field


@dataclass(frozen=True)
class Score:
    instrument: str
    total: int
    band: str
    self_harm: bool
    risk: str  # "high", "moderate" or "low"


def band_for(instrument: str, total: int) -> str:
    return next(band for lowest, band in BANDS[instrument] if total >= lowest)


def score(instrument: str, answers) -> Score:
    """Score one filled-in questionnaire. Every item must be answered with 0, 1, 2 or 3."""
    if instrument not in INSTRUMENTS:
        raise ScoringError("instrument", "must be phq9 or gad7")
    answers = list(answers)
    expected = len(ITEMS[instrument])
    if len(answers) != expected:
        raise ScoringError("answers", f"must have {expected} answers, one per question")
    for number, answer in enumerate(answers, start=1):
        # Whole numbers only: True and 1.0 equal 1 in Python but are not answers.
        if type(answer) is not int or answer not in (0, 1, 2, 3):
            raise ScoringError(f"answers.{number}", "must be 0, 1, 2 or 3")
    total = sum(answers)
    band = band_for(instrument, total)
    self_harm = instrument == PHQ9 and answers[SELF_HARM_ITEM] > 0
    if self_harm or band in HIGH_BANDS:
        risk = "high"
    elif band in MODERATE_OR_WORSE:
        risk = "moderate"
    else:
        risk = "low"
    return Score(instrument, total, band, self_harm, risk)
