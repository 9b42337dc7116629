"""The questionnaires' texts, marked for translation.

linli/care/scoring.py is pure computation and holds the PHQ-9 and GAD-7 texts as plain English;
makemessages cannot see them there. Listing each one here under gettext_noop puts them in the
catalogue, and the pages translate them with gettext(text) when they show them. A test checks
that this list and scoring.py hold the same texts, so a changed item cannot go untranslated.
"""

from django.utils.translation import gettext_noop

STEM = gettext_noop(
    "Over the last 2 weeks, how often have you been bothered by any of the following problems?"
)
ANSWERS = (
    gettext_noop("Not at all"),
    gettext_noop("Several days"),
    gettext_noop("More than half the days"),
    gettext_noop("Nearly every day"),
)
PHQ9_ITEMS = (
    gettext_noop("Little interest or pleasure in doing things"),
    gettext_noop("Feeling down, depressed, or hopeless"),
    gettext_noop("Trouble falling or staying asleep, or sleeping too much"),
    gettext_noop("Feeling tired or having little energy"),
    gettext_noop("Poor appetite or overeating"),
    gettext_noop(
        "Feeling bad about yourself, or that you are a failure or have let yourself or your "
        "family down"
    ),
    gettext_noop(
        "Trouble concentrating on things, such as reading the newspaper or watching television"
    ),
    gettext_noop(
        "Moving or speaking so slowly that other people could have noticed; or the opposite, "
        "being so fidgety or restless that you have been moving around a lot more than usual"
    ),
    gettext_noop("Thoughts that you would be better off dead, or of hurting yourself in some way"),
)
GAD7_ITEMS = (
    gettext_noop("Feeling nervous, anxious, or on edge"),
    gettext_noop("Not being able to stop or control worrying"),
    gettext_noop("Worrying too much about different things"),
    gettext_noop("Trouble relaxing"),
    gettext_noop("Being so restless that it is hard to sit still"),
    gettext_noop("Becoming easily annoyed or irritable"),
    gettext_noop("Feeling afraid, as if something awful might happen"),
)
