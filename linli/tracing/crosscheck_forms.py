"""Forms of the cross-check pages: the upload, and the column mapping. They parse input only;
the rules (file readable, mapping usable) are the services', so the API applies the same."""

from django import forms
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from linli.core.forms import CommunityUploadMixin
from linli.tracing.choices import ListKind, MatchField
from linli.tracing.crosscheck_services import DEFAULT_THRESHOLD, MAX_THRESHOLD, MIN_THRESHOLD

ACCEPT = ".csv,.xlsx,text/csv,application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _threshold_field():
    return forms.FloatField(
        label=gettext_lazy("Match probability at least"),
        min_value=MIN_THRESHOLD,
        max_value=MAX_THRESHOLD,
        initial=DEFAULT_THRESHOLD,
        widget=forms.NumberInput(attrs={"step": "0.01"}),
        help_text=gettext_lazy(
            "Pairs below this are not proposed. 0.9 suits most lists; lower it for a list "
            "full of typos, and review more."
        ),
    )


class UploadForm(CommunityUploadMixin, forms.Form):
    community = forms.ModelChoiceField(
        label=gettext_lazy("Community"), queryset=None, empty_label=None
    )
    file = forms.FileField(
        label=gettext_lazy("The list (CSV or Excel .xlsx)"),
        widget=forms.ClearableFileInput(attrs={"accept": ACCEPT}),
        help_text=gettext_lazy(
            "The first row names the columns. CSV in UTF-8 or GBK (as Excel saves it) both work."
        ),
    )
    list_kind = forms.ChoiceField(label=gettext_lazy("What the list is"), choices=ListKind.choices)
    threshold = _threshold_field()


class MappingForm(forms.Form):
    """One select per registry field, listing the list's columns."""

    threshold = _threshold_field()

    def __init__(self, *args, headers, **kwargs):
        super().__init__(*args, **kwargs)
        choices = [("", _("— not in the list —"))] + [(h, h) for h in headers]
        fields = {
            field: forms.ChoiceField(label=label, choices=choices, required=False)
            for field, label in MatchField.choices
        }
        self.fields = {**fields, "threshold": self.fields["threshold"]}
        self.fields[MatchField.NAME].help_text = _("Required")
        self.fields[MatchField.ID_NUMBER].help_text = _(
            "At least one of ID number, phone or birth date besides the name."
        )

    def mapping(self) -> dict[str, str]:
        return {f: self.cleaned_data.get(f) or "" for f in MatchField.values}
