"""Forms shape the widgets; the rules live in services (one place for pages and the API)."""

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from linli.places.models import Building, Grid
from linli.workforce.choices import WEEKDAYS, DayPart, Force, PpeKind, Skill, WorkerStatus
from linli.workforce.services import AVAILABILITY, MAX_CAP

DAY_LABELS = {
    "mon": _("Mon"),
    "tue": _("Tue"),
    "wed": _("Wed"),
    "thu": _("Thu"),
    "fri": _("Fri"),
    "sat": _("Sat"),
    "sun": _("Sun"),
}


def availability_grid(selected) -> list[dict]:
    """Seven days by morning/afternoon/evening, for a table of check boxes or of ticks."""
    selected = set(selected or [])
    return [
        {
            "day": DAY_LABELS[day],
            "cells": [
                {
                    "value": f"{day}-{part.value}",
                    "label": f"{DAY_LABELS[day]} {part.label}",
                    "checked": f"{day}-{part.value}" in selected,
                }
                for part in DayPart
            ],
        }
        for day in WEEKDAYS
    ]


class ApplicationErrorsMixin:
    def add_application_errors(self, fields: dict) -> None:
        for name, messages in fields.items():
            for message in messages:
                self.add_error(name if name in self.fields else None, message)


class AvailabilityMixin:
    def availability_grid(self):
        return availability_grid(self["availability"].value())


def _availability_field():
    return forms.MultipleChoiceField(
        label=_("Availability"),
        required=False,
        choices=[(v, v) for v in AVAILABILITY],
        widget=forms.MultipleHiddenInput,  # drawn as a week table by the template
    )


def _skills_field():
    return forms.MultipleChoiceField(
        label=_("Skills"),
        required=False,
        choices=Skill.choices,
        widget=forms.CheckboxSelectMultiple,
    )


class WorkerForm(ApplicationErrorsMixin, AvailabilityMixin, forms.Form):
    """A roster entry, for staff. The building is typed by number, as on paper."""

    force = forms.ChoiceField(label=_("Force"), choices=Force.choices)
    name = forms.CharField(label=_("Name"), max_length=50)
    phone = forms.CharField(label=_("Phone"), max_length=20)
    organisation = forms.CharField(
        label=_("Unit, company or organisation"),
        required=False,
        max_length=100,
        help_text=_("A cadre's home unit, property staff's company, a volunteer's organisation."),
    )
    home_building = forms.CharField(
        label=_("Home building (number)"),
        required=False,
        max_length=20,
        help_text=_("Required for a building leader: the building they answer for."),
    )
    home_room = forms.CharField(label=_("Room"), required=False, max_length=20)
    grid = forms.ModelChoiceField(
        label=_("Grid worked in"),
        queryset=Grid.objects.none(),
        required=False,
        help_text=_("Required for a grid worker."),
    )
    skills = _skills_field()
    availability = _availability_field()
    weekly_hour_cap = forms.IntegerField(
        label=_("Weekly hour cap"),
        required=False,
        min_value=0,
        max_value=MAX_CAP,
        help_text=_("Empty: 20 for volunteers, 15 for building leaders, 40 for the others."),
    )

    def __init__(self, *args, community, **kwargs):
        super().__init__(*args, **kwargs)
        self.community = community
        self.fields["grid"].queryset = Grid.objects.filter(community=community)

    def clean_home_building(self):
        number = self.cleaned_data["home_building"].strip()
        if not number:
            return None
        building = Building.objects.filter(community=self.community, number=number).first()
        if building is None:
            raise forms.ValidationError(_("No such building in this community."))
        return building

    def service_values(self) -> dict:
        return dict(self.cleaned_data)


class NewWorkerForm(WorkerForm):
    username = forms.CharField(
        label=_("New login name"),
        required=False,
        max_length=150,
        help_text=_("A login is created with a password shown once on the next page."),
    )
    existing_username = forms.CharField(
        label=_("…or the login name of an existing account"),
        required=False,
        max_length=150,
    )

    field_order = ["username", "existing_username"]

    def clean(self):
        data = super().clean()
        if bool(data.get("username")) == bool(data.get("existing_username")):
            raise forms.ValidationError(
                _("Give either a new login name or the login name of an existing account.")
            )
        return data

    def service_values(self) -> dict:
        values = dict(self.cleaned_data)
        values.pop("username", None)
        values.pop("existing_username", None)
        return values


class SignupForm(ApplicationErrorsMixin, AvailabilityMixin, forms.Form):
    """The public volunteer sign-up (S11), on a phone."""

    community = forms.ModelChoiceField(label=_("Community"), queryset=None, empty_label=None)
    name = forms.CharField(label=_("Name"), max_length=50)
    phone = forms.CharField(
        label=_("Mobile phone"), max_length=20, widget=forms.TextInput(attrs={"type": "tel"})
    )
    id_number = forms.CharField(
        label=_("ID number"),
        max_length=30,
        help_text=_("Only to find you in the community's registry; it is not kept."),
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )
    building = forms.CharField(label=_("Building number"), max_length=20)
    room = forms.CharField(label=_("Room"), max_length=20)
    skills = _skills_field()
    availability = _availability_field()
    organisation = forms.CharField(
        label=_("Organisation (optional)"),
        required=False,
        max_length=100,
        help_text=_("Company, school, alumni association… if you come with one."),
    )
    username = forms.CharField(label=_("Login name"), max_length=150)
    password = forms.CharField(
        label=_("Password"), strip=False, widget=forms.PasswordInput(render_value=False)
    )
    password2 = forms.CharField(
        label=_("Password again"), strip=False, widget=forms.PasswordInput(render_value=False)
    )

    def __init__(self, *args, communities, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["community"].queryset = communities
        only = list(communities[:2])
        self.only_community = only[0] if len(only) == 1 else None
        if self.only_community:
            self.fields["community"].initial = self.only_community.pk
            self.fields["community"].widget = forms.HiddenInput()
            self.fields["community"].required = False

    def clean_community(self):
        return self.cleaned_data.get("community") or self.only_community

    def clean(self):
        data = super().clean()
        if data.get("password") and data.get("password") != data.get("password2"):
            self.add_error("password2", _("The two passwords differ."))
        return data


class IdentityLookupForm(forms.Form):
    id_number = forms.CharField(
        label=_("ID number"),
        max_length=30,
        help_text=_("Looked up in the registry by its keyed hash, then forgotten."),
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )


class TestDateForm(forms.Form):
    test_date = forms.DateField(
        label=_("Date of the negative test"),
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )


class RejectForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason"),
        max_length=300,
        help_text=_("Required. The volunteer reads it on their status page."),
    )


class HoursForm(forms.Form):
    day = forms.DateField(
        label=_("Day"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )
    hours = forms.DecimalField(
        label=_("Hours"), min_value=0.25, max_value=24, decimal_places=2, max_digits=4
    )
    note = forms.CharField(label=_("Note"), required=False, max_length=200)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["day"].initial = timezone.localdate()

    @property
    def minutes(self) -> int:
        return int(round(self.cleaned_data["hours"] * 60))


class PeriodForm(forms.Form):
    start = forms.DateField(
        label=_("From"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    end = forms.DateField(
        label=_("To"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )

    def clean(self):
        data = super().clean()
        if data.get("start") and data.get("end") and data["start"] > data["end"]:
            raise forms.ValidationError(_("The period must start before it ends."))
        return data


class PpeReceiveForm(forms.Form):
    kind = forms.ChoiceField(label=_("Kind"), choices=PpeKind.choices)
    quantity = forms.IntegerField(label=_("Quantity"), min_value=1, max_value=1_000_000)
    note = forms.CharField(
        label=_("Note"), required=False, max_length=200, help_text=_("Supplier or donor.")
    )


class PpeIssueForm(forms.Form):
    kind = forms.ChoiceField(label=_("Kind"), choices=PpeKind.choices)
    worker = forms.ModelChoiceField(label=_("Worker"), queryset=None)
    quantity = forms.IntegerField(label=_("Quantity"), min_value=1, max_value=1_000_000)
    note = forms.CharField(label=_("Note"), required=False, max_length=200)

    def __init__(self, *args, community, **kwargs):
        super().__init__(*args, **kwargs)
        from linli.workforce.models import Worker

        self.fields["worker"].queryset = Worker.objects.filter(
            community=community, status=WorkerStatus.APPROVED
        ).order_by("force", "name")


class PpeThresholdForm(forms.Form):
    kind = forms.ChoiceField(label=_("Kind"), choices=PpeKind.choices)
    low_threshold = forms.IntegerField(label=_("Alert below"), min_value=0, max_value=1_000_000)
