from django import forms
from django.utils.translation import gettext_lazy as _

from linli.residents.choices import (
    RECORDED_TAGS,
    DisabilityLevel,
    Relation,
    ResidentType,
    Sex,
    VerificationMethod,
)


class ResidentForm(forms.Form):
    """Collects raw values; the rules live in validation.clean_resident (one place for the
    pages, the API and the importer), so this form only shapes the widgets."""

    name = forms.CharField(label=_("Name"), max_length=50)
    id_number = forms.CharField(
        label=_("ID number"),
        required=False,
        max_length=18,
        help_text=_("18 characters. Birth date and sex are read from it."),
    )
    sex = forms.ChoiceField(label=_("Sex"), choices=[("", "—"), *Sex.choices], required=False)
    birth_date = forms.CharField(
        label=_("Birth date"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    phone = forms.CharField(label=_("Phone"), required=False, max_length=20)
    relation = forms.ChoiceField(label=_("Relation to householder"), choices=Relation.choices)
    resident_type = forms.ChoiceField(label=_("Resident type"), choices=ResidentType.choices)
    tags = forms.MultipleChoiceField(
        label=_("Special groups"),
        required=False,
        choices=[(t.value, t.label) for t in RECORDED_TAGS],
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Aged 60+, infant and living alone are worked out automatically."),
    )
    disability_level = forms.TypedChoiceField(
        label=_("Disability level"),
        required=False,
        coerce=int,
        empty_value=None,
        choices=[("", "—"), *DisabilityLevel.choices],
    )
    note = forms.CharField(label=_("Note"), required=False, max_length=200)

    def add_application_errors(self, fields: dict) -> None:
        for name, messages in fields.items():
            for message in messages:
                self.add_error(name if name in self.fields else None, message)


class HouseholdChoiceForm(forms.Form):
    building = forms.CharField(label=_("Building"), max_length=20)
    entrance = forms.IntegerField(label=_("Entrance"), min_value=1)
    room = forms.CharField(label=_("Room"), max_length=20)


class VerifyForm(forms.Form):
    method = forms.ChoiceField(label=_("Method"), choices=VerificationMethod.choices)
    note = forms.CharField(label=_("Note"), required=False, max_length=200)


class RevealForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason"),
        min_length=4,
        max_length=200,
        help_text=_("Why you need the full number. Recorded in the audit log."),
    )
