"""Forms of the psychological-support pages. They shape the widgets and types only; the rules
(scoring, one open case per person, minutes 1-480, who may be assigned) live in the services,
which name the field a refusal is about, so the pages and the API answer alike."""

from django import forms
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from linli.care import scoring
from linli.care.choices import Audience, Outcome, Referral, Risk, SessionMode
from linli.core.forms import ServiceErrorsMixin


class ScreeningForm(ServiceErrorsMixin, forms.Form):
    """One PHQ-9 or GAD-7: a required radio group per item, answered 0-3. The texts are the
    instruments' own (scoring.py), shown in the reader's language."""

    def __init__(self, instrument: str, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.instrument = instrument
        answers = [(str(value), gettext(text)) for value, text in scoring.ANSWERS]
        for number, text in enumerate(scoring.ITEMS[instrument], start=1):
            self.fields[f"q{number}"] = forms.TypedChoiceField(
                label=gettext(text),
                choices=answers,
                coerce=int,
                widget=forms.RadioSelect,
                error_messages={"required": _("Please answer this question.")},
            )
            self.fields[f"q{number}"].number = number

    @property
    def stem(self) -> str:
        return gettext(scoring.STEM)

    def items(self):
        return [self[name] for name in self.fields]

    def missing(self) -> list[int]:
        """The numbers of the questions left unanswered (after validation)."""
        return [
            self.fields[name].number
            for name in self.fields
            if name in self.errors and not self.data.get(self.add_prefix(name))
        ]

    def answers(self) -> list[int]:
        return [self.cleaned_data[name] for name in self.fields]


class FlagForm(ServiceErrorsMixin, forms.Form):
    reason = forms.CharField(
        label=_("Why should this person be offered support?"),
        max_length=300,
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )


def counsellor_choices(counsellors) -> list[tuple[str, str]]:
    return [(str(u.pk), u.get_full_name() or u.get_username()) for u in counsellors]


class CaseOpenForm(ServiceErrorsMixin, forms.Form):
    risk = forms.ChoiceField(label=_("Risk"), choices=Risk.choices, initial=Risk.MODERATE)
    reason = forms.CharField(label=_("Why support"), max_length=300)
    counsellor = forms.TypedChoiceField(
        label=_("Counsellor"), coerce=int, required=False, empty_value=None
    )

    def __init__(self, *args, counsellors=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["counsellor"].choices = [("", _("Nobody yet"))] + counsellor_choices(
            counsellors
        )


class RiskForm(ServiceErrorsMixin, forms.Form):
    risk = forms.ChoiceField(label=_("Risk"), choices=Risk.choices)


class AssignForm(ServiceErrorsMixin, forms.Form):
    counsellor = forms.TypedChoiceField(label=_("Counsellor"), coerce=int)

    def __init__(self, *args, counsellors=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["counsellor"].choices = counsellor_choices(counsellors)


class SessionForm(ServiceErrorsMixin, forms.Form):
    at = forms.DateTimeField(
        label=_("When"),
        required=False,
        help_text=_("Leave empty for now."),
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
    )
    mode = forms.ChoiceField(
        label=_("How"),
        choices=SessionMode.choices,
        initial=SessionMode.PHONE,
        widget=forms.RadioSelect,
    )
    minutes = forms.IntegerField(label=_("Minutes"), min_value=1, max_value=480, initial=30)
    notes = forms.CharField(
        label=_("Notes"),
        required=False,
        max_length=10_000,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=_(
            "Stored encrypted; read only by the counsellor on the case and the care supervisor."
        ),
    )


class ReferForm(ServiceErrorsMixin, forms.Form):
    referral = forms.ChoiceField(label=_("Refer to"), choices=Referral.choices)
    note = forms.CharField(label=_("Where, whom"), required=False, max_length=300)


class CloseForm(ServiceErrorsMixin, forms.Form):
    outcome = forms.ChoiceField(label=_("Outcome"), choices=Outcome.choices)


class GroupForm(ServiceErrorsMixin, forms.Form):
    title = forms.CharField(label=_("Title"), max_length=120)
    audience = forms.ChoiceField(label=_("For"), choices=Audience.choices)
    at = forms.DateTimeField(
        label=_("When"),
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
    )
    mode = forms.ChoiceField(label=_("How"), choices=SessionMode.choices)
    invite = forms.TypedMultipleChoiceField(
        label=_("Invite"), coerce=int, required=False, widget=forms.CheckboxSelectMultiple
    )

    def __init__(self, *args, candidates=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["invite"].choices = [(r.pk, f"{r.name} ({r.household})") for r in candidates]


class AttendanceForm(forms.Form):
    came = forms.TypedMultipleChoiceField(
        label=_("Came"), coerce=int, required=False, widget=forms.CheckboxSelectMultiple
    )

    def __init__(self, *args, invited=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["came"].choices = [(row.resident_id, row.resident.name) for row in invited]
