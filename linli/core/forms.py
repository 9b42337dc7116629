"""Form helpers every app shares."""

from django import forms
from django.conf import settings
from django.utils.translation import gettext as _


class ServiceErrorsMixin:
    """For forms whose rules live in a service: the service's ApplicationError names the
    fields it refuses, and the page shows each message beside its field."""

    def add_application_errors(self, exc) -> None:
        """Put a service's refusal on the fields it names, else above the form."""
        for name, messages in (exc.fields or {"__all__": [exc.message]}).items():
            for message in messages:
                self.add_error(name if name in self.fields else None, message)
        if exc.fields and not self.non_field_errors():
            self.add_error(None, exc.message)


class CommunityUploadMixin:
    """For upload forms with a `community` and a `file` field: the community is asked only
    when the user works in more than one, and an oversized file is refused before it is read
    into memory (LINLI_IMPORT_MAX_BYTES)."""

    def __init__(self, *args, communities, **kwargs):
        super().__init__(*args, **kwargs)
        field = self.fields["community"]
        field.queryset = communities
        choices = list(communities[:2])
        self.single = choices[0] if len(choices) == 1 else None
        if self.single:
            # One community: nothing to choose, so no question on the page.
            field.required = False
            field.widget = forms.HiddenInput()
            field.initial = self.single.pk

    def clean_community(self):
        return self.cleaned_data.get("community") or self.single

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > settings.LINLI_IMPORT_MAX_BYTES:
            raise forms.ValidationError(
                _("The file is too big (%(size)s MB); the limit is %(limit)s MB.")
                % {
                    "size": f"{upload.size / 1024 / 1024:.1f}",
                    "limit": f"{settings.LINLI_IMPORT_MAX_BYTES / 1024 / 1024:.1f}",
                }
            )
        return upload
