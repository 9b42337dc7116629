"""Forms of the health pages. They only shape the widgets and types; the rules (temperature
range, allowed transitions, quarantine length) live in the services, which name the field a
refusal is about, so pages and the API answer alike."""

from django import forms
from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from linli.core.forms import CommunityUploadMixin, ServiceErrorsMixin
from linli.health.choices import (
    TRANSITIONS,
    HealthStatus,
    LabKind,
    LabOutcome,
    QuarantineKind,
    Symptom,
)
from linli.health.constants import MAX_EXTENSION_DAYS


class ReportForm(ServiceErrorsMixin, forms.Form):
    """One person's daily report; the page shows one per person, each with its own prefix."""

    temperature = forms.CharField(
        label=_("Temperature (°C)"),
        max_length=6,
        widget=forms.TextInput(
            attrs={"inputmode": "decimal", "placeholder": "36.5", "autocomplete": "off"}
        ),
    )
    symptoms = forms.MultipleChoiceField(
        label=_("Symptoms"),
        required=False,
        choices=Symptom.choices,
        widget=forms.CheckboxSelectMultiple,
    )
    note = forms.CharField(label=_("Note"), required=False, max_length=300)


class StatusForm(ServiceErrorsMixin, forms.Form):
    """Change a health status. Only the moves the rules allow from the status shown are
    offered; `expected` carries that status, so a form left open while someone else changed
    the record is refused instead of applied to a status its user never saw."""

    to_status = forms.ChoiceField(label=_("New status"), choices=HealthStatus.choices)
    reason = forms.CharField(label=_("Why"), max_length=300)
    expected = forms.ChoiceField(choices=HealthStatus.choices, widget=forms.HiddenInput)

    def __init__(self, *args, current: str, **kwargs):
        kwargs.setdefault("initial", {})["expected"] = current
        super().__init__(*args, **kwargs)
        allowed = TRANSITIONS[current]
        # The field accepts any status, so that a stale choice reaches the service and is
        # refused with the rule; the list offers only the allowed ones.
        self.fields["to_status"].widget.choices = [
            (value, label) for value, label in HealthStatus.choices if value in allowed
        ]
        self.allowed = bool(allowed)


class QuarantineStartForm(ServiceErrorsMixin, forms.Form):
    kind = forms.ChoiceField(label=_("Kind"), choices=QuarantineKind.choices)
    days = forms.IntegerField(label=_("Days"), min_value=1, max_value=60)
    location = forms.CharField(
        label=_("Where (hotel, ward)"),
        required=False,
        max_length=120,
        help_text=_("For centralised quarantine: the hotel and room."),
    )
    reason = forms.CharField(label=_("Why"), max_length=300)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["days"].initial = settings.LINLI_QUARANTINE_DAYS


class QuarantineExtendForm(ServiceErrorsMixin, forms.Form):
    days = forms.IntegerField(label=_("More days"), min_value=1, max_value=MAX_EXTENSION_DAYS)
    reason = forms.CharField(label=_("Why"), max_length=300)


class QuarantineReleaseForm(ServiceErrorsMixin, forms.Form):
    note = forms.CharField(
        label=_("Release note"),
        required=False,
        max_length=300,
        help_text=_("For example: negative PCR on the last day."),
    )


class LabResultForm(ServiceErrorsMixin, forms.Form):
    kind = forms.ChoiceField(label=_("Test"), choices=LabKind.choices)
    outcome = forms.ChoiceField(label=_("Result"), choices=LabOutcome.choices)
    sampled_on = forms.DateField(
        label=_("Sampled on"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )
    place = forms.CharField(label=_("Place"), required=False, max_length=100)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["sampled_on"].initial = timezone.localdate()


class LabImportForm(CommunityUploadMixin, ServiceErrorsMixin, forms.Form):
    community = forms.ModelChoiceField(label=_("Community"), queryset=None, empty_label=None)
    file = forms.FileField(
        label=_("The laboratory's sheet (.csv or .xlsx)"),
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,.xlsx,text/csv"}),
    )
