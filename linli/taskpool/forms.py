from django import forms
from django.utils.translation import gettext_lazy as _

from linli.taskpool.choices import Priority, TaskKind
from linli.workforce.choices import Skill

RESIDENT_KINDS = [
    TaskKind.DELIVERY,
    TaskKind.MEDICINE,
    TaskKind.CHECK_VISIT,
    TaskKind.ESCORT,
    TaskKind.STRAY_ANIMAL,
    TaskKind.PEST,
    TaskKind.OTHER,
]


class TaskForm(forms.Form):
    kind = forms.ChoiceField(label=_("Kind"), choices=TaskKind.choices)
    title = forms.CharField(label=_("What is needed"), max_length=120)
    description = forms.CharField(
        label=_("Details"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    building = forms.CharField(
        label=_("Building"),
        required=False,
        max_length=20,
        help_text=_("For a household or building task"),
    )
    room = forms.CharField(
        label=_("Room (entrance-room, e.g. 1-301)"), required=False, max_length=20
    )
    place = forms.ChoiceField(label=_("Or a public place"), required=False, choices=[])
    priority = forms.TypedChoiceField(
        label=_("Priority"), choices=Priority.choices, coerce=int, initial=Priority.NORMAL
    )
    due_at = forms.DateTimeField(
        label=_("Due"),
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"],
    )
    required_skill = forms.ChoiceField(
        label=_("Skill needed"),
        required=False,
        choices=[("", _("Usual for the kind")), *Skill.choices],
    )
    estimated_minutes = forms.IntegerField(
        label=_("Estimated minutes"), required=False, min_value=5, max_value=600
    )

    def __init__(self, *args, places=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["place"].choices = [("", "—"), *[(p.pk, str(p)) for p in places]]


class ResidentRequestForm(forms.Form):
    kind = forms.ChoiceField(
        label=_("What do you need?"), choices=[(k.value, k.label) for k in RESIDENT_KINDS]
    )
    note = forms.CharField(
        label=_("Tell us more"),
        required=False,
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class CompleteForm(forms.Form):
    note = forms.CharField(label=_("What was done"), required=False, max_length=500)
    photo = forms.ImageField(label=_("Photo (optional)"), required=False)


class FailForm(forms.Form):
    reason = forms.CharField(label=_("Why it could not be done"), max_length=300)


class ReasonForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), required=False, max_length=300)


class AssignForm(forms.Form):
    worker = forms.IntegerField(label=_("Worker"))


class MergeForm(forms.Form):
    into = forms.IntegerField(label=_("Merge into task #"), min_value=1)


class ConfirmForm(forms.Form):
    rating = forms.TypedChoiceField(
        label=_("How was it?"),
        coerce=int,
        choices=[(5, "★★★★★"), (4, "★★★★"), (3, "★★★"), (2, "★★"), (1, "★")],
    )
    comment = forms.CharField(label=_("Comment"), required=False, max_length=300)
