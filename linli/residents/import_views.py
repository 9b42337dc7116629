"""Pages of the registry import: upload, the batch page (progress, preview, outcome), the
confirm and discard buttons, and the template download."""

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from linli.core.errors import ApplicationError
from linli.core.forms import CommunityUploadMixin
from linli.residents import import_services, importing
from linli.residents.columns import IMPORT_COLUMNS
from linli.residents.models import ImportStatus


class UploadForm(CommunityUploadMixin, forms.Form):
    community = forms.ModelChoiceField(
        label=gettext_lazy("Community"), queryset=None, empty_label=None
    )
    file = forms.FileField(
        label=gettext_lazy("Excel file (.xlsx)"),
        widget=forms.ClearableFileInput(attrs={"accept": ".xlsx," + importing.XLSX}),
    )

    def clean_file(self):
        upload = super().clean_file()  # the size, before reading it into memory
        content = upload.read()
        try:
            importing.check_file(content, max_bytes=settings.LINLI_IMPORT_MAX_BYTES)
        except importing.ImportFileError as exc:
            raise forms.ValidationError(exc.message) from exc
        self.cleaned_data["content"] = content
        return upload


@login_required
def import_upload(request):
    import_services.require_import(request.user)
    form = UploadForm(
        request.POST or None,
        request.FILES or None,
        communities=import_services.import_communities(request.user),
    )
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        batch = import_services.import_batch_create(
            actor=request.user,
            community=form.cleaned_data["community"],
            filename=upload.name,
            content=form.cleaned_data["content"],
            language=get_language(),
        )
        return redirect("residents:import_batch", pk=batch.pk)
    return render(
        request,
        "residents/import_upload.html",
        {
            "form": form,
            "community": form.single,
            "batches": import_services.import_batches_recent(request.user),
            "columns": IMPORT_COLUMNS,
            "max_rows": settings.LINLI_IMPORT_MAX_ROWS,
            "max_mb": settings.LINLI_IMPORT_MAX_BYTES // (1024 * 1024),
        },
        status=400 if request.method == "POST" else 200,
    )


@login_required
def import_template(request):
    community = import_services.require_import(request.user)[0]
    content = importing.template_bytes(
        example_building=import_services.example_building_number(community)
    )
    response = HttpResponse(content, content_type=importing.XLSX)
    response["Content-Disposition"] = 'attachment; filename="linli-registry-template.xlsx"'
    return response


@login_required
def import_batch(request, pk):
    batch = import_services.import_batch_for(request.user, pk)
    job = batch.job
    result = job.result if job and batch.status == ImportStatus.VALIDATED else {}
    waiting = batch.status in {ImportStatus.VALIDATING, ImportStatus.IMPORTING}
    return render(
        request,
        "residents/import_batch.html",
        {
            "batch": batch,
            "job": job,
            "waiting": waiting,
            # The job's progress is readable by the person who started it only (core.job_detail).
            "poll": waiting and job and job.created_by_id == request.user.pk and not job.finished,
            "result": result,
            "preview": result.get("preview", []),
            "error_rows": batch.error_rows,
            "statuses": ImportStatus,
        },
    )


@login_required
@require_POST
def import_confirm(request, pk):
    batch = import_services.import_batch_for(request.user, pk)
    try:
        import_services.import_batch_confirm(
            actor=request.user, batch=batch, language=get_language()
        )
    except ApplicationError as exc:
        messages.error(request, exc.message)
    return redirect("residents:import_batch", pk=batch.pk)


@login_required
@require_POST
def import_discard(request, pk):
    batch = import_services.import_batch_for(request.user, pk)
    try:
        import_services.import_batch_discard(actor=request.user, batch=batch)
    except ApplicationError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("The file was dropped; nothing was imported."))
    return redirect("residents:import_batch", pk=batch.pk)
