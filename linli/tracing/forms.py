import datetime as dt

from django import forms
from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from linli.tracing.services import LOOKBACK_DAYS, MAX_BUFFER_MINUTES, MAX_SECOND_HOP_CAP


def _datetime(**kwargs):
    return forms.DateTimeField(
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"],
        **kwargs,
    )


def _date(**kwargs):
    # A date input takes only ISO dates: the locale's format (zh-hans: 2026/01/02) leaves it
    # empty in the browser, and a required one then refuses the form.
    return forms.DateField(
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"), **kwargs
    )


def day_start(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


class RecordForm(forms.Form):
    """A worker records an entry (and the exit, if known) for the chosen resident."""

    resident = forms.TypedChoiceField(label=_("Who"), coerce=int, widget=forms.RadioSelect)
    entered_at = _datetime(label=_("Entered"), required=False, help_text=_("Empty: now."))
    left_at = _datetime(label=_("Left"), required=False)

    def __init__(self, *args, residents=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["left_at"].help_text = gettext(
            "Empty if not known: a stay of %(n)d minutes is assumed."
        ) % {"n": settings.LINLI_DEFAULT_STAY_MINUTES}
        self.fields["resident"].choices = [(r.pk, f"{r.name} · {r.household}") for r in residents]
        if len(residents) == 1:
            self.fields["resident"].initial = residents[0].pk


class PeriodForm(forms.Form):
    since = _date(label=_("From"), required=False)
    until = _date(label=_("Until"), required=False)

    def period(self) -> tuple[dt.datetime, dt.datetime]:
        """The chosen days as [start of the first, start of the day after the last); the last
        14 days by default."""
        today = timezone.localdate()
        data = self.cleaned_data if self.is_valid() else {}
        until = data.get("until") or today
        since = data.get("since") or until - dt.timedelta(days=LOOKBACK_DAYS - 1)
        if since > until:
            since, until = until, since
        return day_start(since), day_start(until + dt.timedelta(days=1))


class DirectContactForm(forms.Form):
    other = forms.CharField(
        label=_("The other person"),
        max_length=50,
        help_text=_("Name, phone or the last 4 characters of the ID number."),
    )
    at = _datetime(label=_("When"))
    note = forms.CharField(label=_("What happened"), max_length=200, required=False)


class RunForm(forms.Form):
    index_cases = forms.TypedMultipleChoiceField(
        label=_("Index cases"), coerce=int, widget=forms.CheckboxSelectMultiple, required=False
    )
    q = forms.CharField(
        label=_("Add a person"),
        required=False,
        max_length=50,
        help_text=_("Name, phone or the last 4 characters of the ID number, then Search."),
    )
    since = _date(label=_("From"))
    until = _date(label=_("Until"))
    buffer_minutes = forms.IntegerField(
        label=_("Buffer (minutes)"),
        min_value=0,
        max_value=MAX_BUFFER_MINUTES,
        help_text=_("Two stays at one place this close in time count as a meeting."),
    )
    second_hop = forms.BooleanField(label=_("Also find secondary contacts"), required=False)
    second_hop_cap = forms.IntegerField(
        label=_("Secondary contacts at most"),
        min_value=1,
        max_value=MAX_SECOND_HOP_CAP,
        initial=500,
    )

    def __init__(self, *args, people=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["index_cases"].choices = [(r.pk, f"{r.name} · {r.household}") for r in people]

    def period(self) -> tuple[dt.datetime, dt.datetime]:
        data = self.cleaned_data
        return day_start(data["since"]), day_start(data["until"] + dt.timedelta(days=1))


class ConfirmForm(forms.Form):
    quarantine = forms.BooleanField(label=_("Start home quarantine"), required=False)
    note = forms.CharField(label=_("Note"), max_length=300, required=False)


class DismissForm(forms.Form):
    note = forms.CharField(label=_("Why not a contact"), max_length=300)
