from django import forms
from django.utils.translation import gettext_lazy as _

from linli.delivery.choices import Mode
from linli.delivery.constants import DEFAULT_SECONDS, DEFAULT_SHIFT_MINUTES, MAX_SECONDS

DATETIME = {
    "widget": forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
    "input_formats": ["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"],
}


class OverrideForm(forms.Form):
    address = forms.CharField(
        label=_("Household (building-entrance-room, e.g. 1-1-301)"), max_length=30
    )
    include = forms.TypedChoiceField(
        label=_("Door delivery"),
        choices=[("1", _("Add: bring orders to the door")), ("0", _("Remove: collects"))],
        coerce=lambda v: v == "1",
    )
    reason = forms.CharField(label=_("Reason (kept on record)"), max_length=300)


class OverrideEndForm(forms.Form):
    end_reason = forms.CharField(label=_("Why the override ends"), max_length=300)


class PlanForm(forms.Form):
    volunteers = forms.IntegerField(
        label=_("Volunteers on shift"),
        min_value=1,
        max_value=100,
        required=False,
        help_text=_("Left empty: one per eight doors. Ignored when you tick people below."),
    )
    workers = forms.TypedMultipleChoiceField(
        label=_("Or choose who goes"),
        required=False,
        coerce=int,
        widget=forms.CheckboxSelectMultiple,
    )
    shift_minutes = forms.IntegerField(
        label=_("Shift length (minutes)"),
        min_value=30,
        max_value=720,
        initial=DEFAULT_SHIFT_MINUTES,
    )
    mode = forms.ChoiceField(label=_("On foot or cycling"), choices=Mode.choices)
    capacity = forms.IntegerField(
        label=_("Bags per trip"),
        min_value=1,
        max_value=50,
        required=False,
        help_text=_("Left empty: 4 on foot, 12 with a tricycle. Volunteers come back for more."),
    )
    start_place = forms.TypedChoiceField(label=_("Start from"), coerce=int)
    window_start = forms.DateTimeField(label=_("Deliveries from"), **DATETIME)
    window_end = forms.DateTimeField(label=_("Deliveries until"), **DATETIME)
    seconds = forms.IntegerField(
        label=_("Time limit for the search (seconds)"),
        min_value=1,
        max_value=MAX_SECONDS,
        initial=DEFAULT_SECONDS,
    )

    def __init__(self, *args, places=(), workers=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["start_place"].choices = [
            (p.pk, f"{p.name} ({p.get_kind_display()})") for p in places
        ]
        self.fields["workers"].choices = [
            (w.pk, f"{w.name} ({w.get_force_display()})") for w in workers
        ]


class PreferenceForm(forms.Form):
    earliest = forms.TimeField(
        label=_("Not before"), widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M")
    )
    latest = forms.TimeField(
        label=_("Not after"), widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M")
    )
    note = forms.CharField(
        label=_("Note for the volunteer (e.g. knock loudly)"), max_length=200, required=False
    )
