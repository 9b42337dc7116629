"""Pages of the external-list cross-check (大数据核对): the list of cross-checks, the upload,
the column mapping, the review queue (progress while linking, then the matches with their
evidence side by side, ID numbers masked), the unmatched rows, and the accept / reject
buttons. Each view: parse, check access, one service or selector, render. Community staff
only (linli.health.access, action "crosscheck")."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from linli.core.errors import ApplicationError
from linli.health import access as health_access
from linli.health.choices import HealthStatus
from linli.tracing import crosscheck_selectors as selectors
from linli.tracing import crosscheck_services as services
from linli.tracing.choices import CrossCheckStatus, Review
from linli.tracing.crosscheck_forms import MappingForm, UploadForm

RUNNING = {CrossCheckStatus.QUEUED, CrossCheckStatus.RUNNING}
SHOW = [Review.PENDING, Review.CONFIRMED, Review.DISMISSED, "all"]
UNMATCHED_PREVIEW = 20


def _form_errors(form, exc: ApplicationError) -> None:
    for name, errors in (exc.fields or {"__all__": [exc.message]}).items():
        for error in errors:
            form.add_error(name if name in form.fields else None, error)
    if exc.fields and not form.non_field_errors():
        form.add_error(None, exc.message)


@login_required
def crosscheck_list(request):
    health_access.require(request.user, "crosscheck")
    page = Paginator(selectors.crosschecks_for(user=request.user), settings.LINLI_PAGE_SIZE)
    return render(
        request,
        "tracing/crosscheck_list.html",
        {"page": page.get_page(request.GET.get("page")), "running": RUNNING},
    )


@login_required
def crosscheck_new(request):
    health_access.require(request.user, "crosscheck")
    form = UploadForm(
        request.POST or None,
        request.FILES or None,
        communities=health_access.communities_for(request.user, "crosscheck"),
    )
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            crosscheck = services.crosscheck_upload(
                actor=request.user,
                community=form.cleaned_data["community"],
                list_kind=form.cleaned_data["list_kind"],
                filename=upload.name,
                content=upload.read(),
                threshold=form.cleaned_data["threshold"],
            )
        except ApplicationError as exc:
            _form_errors(form, exc)
        else:
            messages.success(
                request,
                _("%(n)d rows read. Now say which column holds what.")
                % {"n": crosscheck.row_count},
            )
            return redirect("crosscheck:map", pk=crosscheck.pk)
    return render(
        request,
        "tracing/crosscheck_new.html",
        {
            "form": form,
            "max_rows": settings.LINLI_IMPORT_MAX_ROWS,
            "max_mb": settings.LINLI_IMPORT_MAX_BYTES // (1024 * 1024),
        },
        status=400 if request.method == "POST" else 200,
    )


@login_required
def crosscheck_map(request, pk):
    crosscheck = selectors.access_crosscheck(request.user, pk)
    if crosscheck.status in RUNNING:
        return redirect("crosscheck:detail", pk=crosscheck.pk)
    initial = {**services.suggested_mapping(crosscheck), "threshold": crosscheck.threshold}
    form = MappingForm(request.POST or None, headers=crosscheck.headers, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.crosscheck_run_request(
                actor=request.user,
                crosscheck=crosscheck,
                mapping=form.mapping(),
                threshold=form.cleaned_data["threshold"],
                language=get_language(),
            )
        except ApplicationError as exc:
            _form_errors(form, exc)
        else:
            return redirect("crosscheck:detail", pk=crosscheck.pk)
    return render(
        request,
        "tracing/crosscheck_map.html",
        {
            "crosscheck": crosscheck,
            "form": form,
            "preview": selectors.preview_rows(crosscheck),
            "rerun": crosscheck.status != CrossCheckStatus.UPLOADED,
        },
        status=400 if request.method == "POST" else 200,
    )


@login_required
def crosscheck_detail(request, pk):
    crosscheck = selectors.access_crosscheck(request.user, pk)
    if crosscheck.status == CrossCheckStatus.UPLOADED:
        return redirect("crosscheck:map", pk=crosscheck.pk)
    show = request.GET.get("show") or Review.PENDING
    if show not in SHOW:
        show = Review.PENDING
    context = {
        "crosscheck": crosscheck,
        "job": crosscheck.job,
        "waiting": crosscheck.status in RUNNING,
        "show": show,
        "shows": [
            (Review.PENDING, _("To review")),
            (Review.CONFIRMED, _("Accepted")),
            (Review.DISMISSED, _("Rejected")),
            ("all", _("All")),
        ],
        "query": urlencode({"show": show}),
        "at_least": services.ACCEPT_ALL_AT_LEAST,
    }
    if crosscheck.status == CrossCheckStatus.DONE:
        matches = selectors.matches_for(crosscheck, review=None if show == "all" else show)
        page = Paginator(matches, settings.LINLI_PAGE_SIZE).get_page(request.GET.get("page"))
        unmatched = selectors.unmatched_rows(crosscheck)[:UNMATCHED_PREVIEW]
        context |= {
            "page": page,
            "items": selectors.with_fields(page.object_list, crosscheck),
            "counts": selectors.review_counts(crosscheck),
            "unmatched": selectors.rows_shown(crosscheck, unmatched),
            "statuses": HealthStatus,
        }
    return render(request, "tracing/crosscheck_detail.html", context)


@login_required
def crosscheck_unmatched(request, pk):
    crosscheck = selectors.access_crosscheck(request.user, pk)
    page = Paginator(selectors.unmatched_rows(crosscheck), settings.LINLI_PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    return render(
        request,
        "tracing/crosscheck_unmatched.html",
        {
            "crosscheck": crosscheck,
            "page": page,
            "rows": selectors.rows_shown(crosscheck, page.object_list),
        },
    )


def _back(request, crosscheck_id: int):
    """Back to the review, on the tab and page the button was pressed on."""
    query = {}
    show = request.POST.get("show")
    if show in SHOW:
        query["show"] = show
    page = request.POST.get("page", "")
    if page.isdigit():
        query["page"] = page
    url = reverse("crosscheck:detail", args=[crosscheck_id])
    return redirect(f"{url}?{urlencode(query)}" if query else url)


@login_required
@require_POST
def match_accept(request, pk):
    match = selectors.access_match(request.user, pk)
    outcome = services.crosscheck_match_accept(actor=request.user, match=match)
    name = match.resident.name
    if not outcome.changed:
        messages.info(request, _("%(name)s was accepted already.") % {"name": name})
    else:
        if outcome.status_to:
            text = _("Accepted: %(name)s is now %(status)s; a check-on task is in the pool.") % {
                "name": name,
                "status": HealthStatus(outcome.status_to).label,
            }
        else:
            text = _("Accepted: a check-on task for %(name)s is in the pool.") % {"name": name}
        messages.success(request, text)
        if outcome.refusal:
            messages.warning(
                request,
                _("The status of %(name)s was not changed: %(reason)s")
                % {"name": name, "reason": outcome.refusal},
            )
    return _back(request, match.crosscheck_id)


@login_required
@require_POST
def match_reject(request, pk):
    match = selectors.access_match(request.user, pk)
    try:
        outcome = services.crosscheck_match_reject(actor=request.user, match=match)
    except ApplicationError as exc:
        messages.error(request, exc.message)
    else:
        if outcome.changed:
            messages.success(
                request,
                _("Rejected: row %(row)d is not %(name)s.")
                % {"row": match.row.number, "name": match.resident.name},
            )
        else:
            messages.info(request, _("This match was rejected already."))
    return _back(request, match.crosscheck_id)


@login_required
@require_POST
def accept_all(request, pk):
    crosscheck = selectors.access_crosscheck(request.user, pk)
    outcomes = services.crosscheck_accept_all(actor=request.user, crosscheck=crosscheck)
    accepted = [o for o in outcomes if o.changed]
    messages.success(
        request,
        _("%(n)d matches accepted; a check-on task each is in the pool.") % {"n": len(accepted)},
    )
    refused = [o for o in accepted if o.refusal]
    if refused:
        # One line, not one per person: the reasons are on each person's health record.
        messages.warning(
            request,
            _("The health rules kept the status of %(n)d of them: %(names)s.")
            % {"n": len(refused), "names": ", ".join(o.match.resident.name for o in refused)},
        )
    return _back(request, crosscheck.pk)
