"""Roster, screening, care and protective-equipment pages for community workers.

Each view: parse input, check access, call one service or selector, render.
"""

import segno
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from linli.accounts.models import User
from linli.core.errors import ApplicationError
from linli.places.models import Grid
from linli.workforce import access, selectors, services
from linli.workforce.choices import Force, PpeKind, Skill, WorkerStatus
from linli.workforce.forms import (
    HoursForm,
    IdentityLookupForm,
    NewWorkerForm,
    PeriodForm,
    PpeIssueForm,
    PpeReceiveForm,
    PpeThresholdForm,
    RejectForm,
    TestDateForm,
    WorkerForm,
    availability_grid,
)
from linli.workforce.models import PpeItem


def _int(value):
    try:
        return int(value) if value not in (None, "") else None
    except (TypeError, ValueError):
        return None


def _choice(value, choices):
    return value if value in choices else None


def _community(request, action: str = "view"):
    """The community a page is about: ?community= among the user's, else their only one.
    Returns (community, communities); community is None when they must choose."""
    communities = list(access.communities(request.user, action))
    if not communities:
        raise Http404
    wanted = _int(request.GET.get("community") or request.POST.get("community"))
    for c in communities:
        if c.pk == wanted:
            return c, communities
    return (communities[0] if len(communities) == 1 else None), communities


def _filters(request) -> dict:
    return {
        "q": request.GET.get("q", "").strip()[:50],
        "force": _choice(request.GET.get("force"), Force.values),
        "status": _choice(request.GET.get("status"), WorkerStatus.values),
        "skill": _choice(request.GET.get("skill"), Skill.values),
        "grid": _int(request.GET.get("grid")),
        "community": _int(request.GET.get("community")),
    }


@login_required
def roster(request):
    access.require(request.user, "view")
    filters = _filters(request)
    qs = selectors.roster_list(user=request.user, **filters)
    page = Paginator(qs, settings.LINLI_PAGE_SIZE).get_page(request.GET.get("page"))
    workers = list(page.object_list)
    minutes = selectors.minutes_this_week([w.pk for w in workers])
    for w in workers:
        w.hours_week = round(minutes.get(w.pk, 0) / 60, 1)
        w.over_cap = minutes.get(w.pk, 0) > w.weekly_hour_cap * 60
    communities = list(access.communities(request.user))
    grids = Grid.objects.filter(community__in=communities).select_related("community")
    if filters["community"]:
        grids = grids.filter(community_id=filters["community"])
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "workforce/list.html",
        {
            "page": page,
            "workers": workers,
            "filters": filters,
            "query": query.urlencode(),
            "forces": Force,
            "statuses": WorkerStatus,
            "skills": Skill,
            "grids": grids if filters["community"] or len(communities) < 20 else grids.none(),
            "communities": communities if len(communities) > 1 else [],
            "can_manage": access.can(request.user, "manage"),
        },
    )


@login_required
def worker_detail(request, pk):
    worker = access.access_worker_by_id(request.user, pk)
    return render(
        request,
        "workforce/detail.html",
        {
            "worker": worker,
            "load": selectors.worker_load(worker),
            "availability": availability_grid(worker.availability),
            "skills": [Skill(s).label for s in worker.skills if s in Skill.values],
            "ppe": selectors.worker_ppe(worker),
            "tasks": selectors.worker_tasks(worker, user=request.user),
            "screening": services.screening_state(worker),
            "can_manage": access.manages(request.user, worker.community_id),
            "is_self": worker.user_id == request.user.pk,
        },
    )


@login_required
def me(request):
    worker = selectors.worker_for(request.user)
    if worker is None:
        raise Http404
    return redirect("workforce:detail", pk=worker.pk)


@login_required
def worker_new(request):
    access.require(request.user, "manage")
    community, communities = _community(request, "manage")
    if community is None:
        return render(request, "workforce/choose_community.html", {"communities": communities})
    form = NewWorkerForm(request.POST or None, community=community)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        user = None
        if data["existing_username"]:
            user = User.objects.filter(username=data["existing_username"]).first()
            if user is None:
                form.add_error("existing_username", _("No account has this login name."))
        if not form.errors:
            try:
                worker, password = services.worker_create(
                    actor=request.user,
                    community=community,
                    values=form.service_values(),
                    user=user,
                    username=data["username"],
                )
            except ApplicationError as exc:
                form.add_application_errors(exc.fields or {"__all__": [exc.message]})
            else:
                # Shown on this one response only; never stored, never put in a message.
                return render(
                    request,
                    "workforce/created.html",
                    {"worker": worker, "password": password},
                    status=201,
                )
    return render(
        request,
        "workforce/form.html",
        {"form": form, "community": community, "title": _("Add a worker"), "can_manage": True},
    )


@login_required
def worker_edit(request, pk):
    worker = access.access_worker_by_id(request.user, pk, action="manage")
    initial = {
        "force": worker.force,
        "name": worker.name,
        "phone": worker.phone,
        "organisation": worker.organisation,
        "home_building": worker.home_building.number if worker.home_building else "",
        "home_room": worker.home_room,
        "grid": worker.grid_id,
        "skills": worker.skills,
        "availability": worker.availability,
        "weekly_hour_cap": worker.weekly_hour_cap,
    }
    form = WorkerForm(request.POST or None, initial=initial, community=worker.community)
    if request.method == "POST" and form.is_valid():
        try:
            services.worker_update(actor=request.user, worker=worker, values=form.service_values())
        except ApplicationError as exc:
            form.add_application_errors(exc.fields or {"__all__": [exc.message]})
        else:
            messages.success(request, _("The roster entry was saved."))
            return redirect("workforce:detail", pk=worker.pk)
    return render(
        request,
        "workforce/form.html",
        {
            "form": form,
            "community": worker.community,
            "worker": worker,
            "title": _("Edit %(name)s") % {"name": worker.name},
            "can_manage": True,
        },
    )


@login_required
def worker_hours(request, pk):
    worker = access.access_worker_by_id(
        request.user, pk, action="manage" if request.method == "POST" else "view"
    )
    form = HoursForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.hours_add(
                actor=request.user,
                worker=worker,
                day=form.cleaned_data["day"],
                minutes=form.minutes,
                note=form.cleaned_data["note"],
            )
        except ApplicationError as exc:
            _form_errors(form, exc)
        else:
            messages.success(request, _("The hours were recorded."))
            return redirect("workforce:hours", pk=worker.pk)
    return render(
        request,
        "workforce/hours.html",
        {
            "worker": worker,
            "entries": selectors.hours_ledger(worker),
            "load": selectors.worker_load(worker),
            "form": form,
            "can_manage": access.manages(request.user, worker.community_id),
        },
        status=400 if form.errors else 200,
    )


@login_required
def worker_certificate(request, pk):
    worker = access.access_worker_by_id(request.user, pk)
    period = PeriodForm(request.GET or None)
    start = end = None
    if period.is_valid():
        start, end = period.cleaned_data["start"], period.cleaned_data["end"]
    figures = selectors.certificate(worker, start=start, end=end)
    url = request.build_absolute_uri(
        reverse("workforce:certificate", args=[worker.pk])
        + f"?start={figures['start'].isoformat()}&end={figures['end'].isoformat()}"
    )
    qr = segno.make(url, error="m").svg_inline(scale=3, title=_("Certificate link"))
    return render(
        request,
        "workforce/certificate.html",
        {
            "worker": worker,
            "figures": figures,
            "period": period,
            "qr": qr,
            "url": url,
            "today": timezone.localdate(),
        },
    )


# ------------------------------------------------------------------ screening (S11)


@login_required
def screening_queue(request):
    access.require(request.user, "manage")
    workers = list(selectors.screening_queue(user=request.user)[:200])
    rows = [(w, services.screening_state(w), services.identity_match(w)) for w in workers]
    return render(request, "workforce/screening_queue.html", {"rows": rows})


def _screening_worker(request, pk):
    worker = access.access_worker_by_id(request.user, pk, action="manage")
    if worker.force != Force.VOLUNTEER:
        raise Http404
    return worker


def _screening_page(request, worker, *, lookup=None, test=None, reject=None, status=200):
    return render(
        request,
        "workforce/screening.html",
        {
            "worker": worker,
            "state": services.screening_state(worker),
            "match": services.identity_match(worker),
            "lookup_form": lookup or IdentityLookupForm(),
            "test_form": test or TestDateForm(initial={"test_date": worker.test_date}),
            "reject_form": reject or RejectForm(),
            "valid_days": services.TEST_VALID_DAYS,
            "availability": availability_grid(worker.availability),
            "skills": [Skill(s).label for s in worker.skills if s in Skill.values],
        },
        status=status,
    )


@login_required
def screening_detail(request, pk):
    return _screening_page(request, _screening_worker(request, pk))


def _form_errors(form, exc: ApplicationError):
    for name, msgs in (exc.fields or {"__all__": [exc.message]}).items():
        for m in msgs:
            form.add_error(name if name in form.fields else None, m)


@login_required
@require_POST
def screening_lookup(request, pk):
    worker = _screening_worker(request, pk)
    form = IdentityLookupForm(request.POST)
    if form.is_valid():
        try:
            worker = services.volunteer_identity_lookup(
                actor=request.user, worker=worker, id_number=form.cleaned_data["id_number"]
            )
        except ApplicationError as exc:
            _form_errors(form, exc)
        else:
            if worker.resident_id:
                messages.success(request, _("A registry record was found: compare it below."))
            else:
                messages.error(request, _("No registry record has this ID number."))
            return redirect("workforce:screening_detail", pk=worker.pk)
    return _screening_page(request, worker, lookup=form, status=400)


@login_required
@require_POST
def screening_confirm(request, pk):
    worker = _screening_worker(request, pk)
    services.volunteer_identity_confirm(actor=request.user, worker=worker)
    messages.success(request, _("Identity confirmed against the registry."))
    return redirect("workforce:screening_detail", pk=worker.pk)


@login_required
@require_POST
def screening_test(request, pk):
    worker = _screening_worker(request, pk)
    form = TestDateForm(request.POST)
    if form.is_valid():
        try:
            services.volunteer_record_test(
                actor=request.user, worker=worker, test_date=form.cleaned_data["test_date"]
            )
        except ApplicationError as exc:
            _form_errors(form, exc)
        else:
            messages.success(request, _("The negative test was recorded."))
            return redirect("workforce:screening_detail", pk=worker.pk)
    return _screening_page(request, worker, test=form, status=400)


@login_required
@require_POST
def screening_approve(request, pk):
    worker = _screening_worker(request, pk)
    services.volunteer_approve(actor=request.user, worker=worker)
    messages.success(request, _("%(name)s is approved and can take tasks.") % {"name": worker.name})
    return redirect("workforce:screening")


@login_required
@require_POST
def screening_reject(request, pk):
    worker = _screening_worker(request, pk)
    form = RejectForm(request.POST)
    if form.is_valid():
        try:
            services.volunteer_reject(
                actor=request.user, worker=worker, reason=form.cleaned_data["reason"]
            )
        except ApplicationError as exc:
            _form_errors(form, exc)
        else:
            messages.success(request, _("%(name)s was turned down.") % {"name": worker.name})
            return redirect("workforce:screening")
    return _screening_page(request, worker, reject=form, status=400)


# ------------------------------------------------------------------ care and equipment (S13)


@login_required
def care(request):
    access.require(request.user, "view")
    community, communities = _community(request)
    if community is None:
        return render(request, "workforce/choose_community.html", {"communities": communities})
    return render(
        request,
        "workforce/care.html",
        {
            "community": community,
            "communities": communities if len(communities) > 1 else [],
            "care": selectors.care_overview(community_id=community.pk),
            "stock": selectors.ppe_stock(community_id=community.pk),
            "rest_after": selectors.REST_AFTER_DAYS,
            "can_manage": access.manages(request.user, community.pk),
        },
    )


def _ppe_page(request, community, communities, *, receive=None, issue=None, threshold=None):
    return render(
        request,
        "workforce/ppe.html",
        {
            "community": community,
            "communities": communities if len(communities) > 1 else [],
            "stock": selectors.ppe_stock(community_id=community.pk),
            "ledger": selectors.ppe_ledger(community_id=community.pk),
            "can_manage": access.manages(request.user, community.pk),
            "receive_form": receive or PpeReceiveForm(),
            "issue_form": issue or PpeIssueForm(community=community),
            "threshold_form": threshold or PpeThresholdForm(),
        },
        status=400 if any(f is not None for f in (receive, issue, threshold)) else 200,
    )


@login_required
def ppe(request):
    access.require(request.user, "view")
    community, communities = _community(request)
    if community is None:
        return render(request, "workforce/choose_community.html", {"communities": communities})
    return _ppe_page(request, community, communities)


def _ppe_community(request):
    access.require(request.user, "manage")
    community, communities = _community(request, "manage")
    if community is None:
        raise ApplicationError(_("Choose a community first."))
    return community, communities


def _ppe_done(community):
    return redirect(reverse("workforce:ppe") + f"?community={community.pk}")


@login_required
@require_POST
def ppe_receive(request):
    community, communities = _ppe_community(request)
    form = PpeReceiveForm(request.POST)
    if form.is_valid():
        try:
            item = services.ppe_receive(
                actor=request.user, community=community, **form.cleaned_data
            )
        except ApplicationError as exc:
            _form_errors(form, exc)
        else:
            messages.success(
                request,
                _("Received. %(kind)s in stock: %(stock)d.")
                % {"kind": item.get_kind_display(), "stock": item.stock},
            )
            return _ppe_done(community)
    return _ppe_page(request, community, communities, receive=form)


@login_required
@require_POST
def ppe_issue(request):
    community, communities = _ppe_community(request)
    form = PpeIssueForm(request.POST, community=community)
    if form.is_valid():
        data = form.cleaned_data
        item = PpeItem.objects.filter(community=community, kind=data["kind"]).first()
        try:
            if item is None:
                raise ApplicationError(
                    _("There is no %(kind)s in stock.") % {"kind": PpeKind(data["kind"]).label},
                    fields={"quantity": [_("is more than the %(stock)d in stock") % {"stock": 0}]},
                )
            services.ppe_issue(
                actor=request.user,
                item=item,
                worker=data["worker"],
                quantity=data["quantity"],
                note=data["note"],
            )
        except ApplicationError as exc:
            _form_errors(form, exc)
            if exc.fields:
                form.add_error(None, exc.message)
        else:
            messages.success(
                request,
                _("Issued %(quantity)d %(kind)s to %(name)s.")
                % {
                    "quantity": data["quantity"],
                    "kind": PpeKind(data["kind"]).label,
                    "name": data["worker"].name,
                },
            )
            return _ppe_done(community)
    return _ppe_page(request, community, communities, issue=form)


@login_required
@require_POST
def ppe_threshold(request):
    community, communities = _ppe_community(request)
    form = PpeThresholdForm(request.POST)
    if form.is_valid():
        try:
            services.ppe_set_threshold(actor=request.user, community=community, **form.cleaned_data)
        except ApplicationError as exc:
            _form_errors(form, exc)
        else:
            messages.success(request, _("The alert level was saved."))
            return _ppe_done(community)
    return _ppe_page(request, community, communities, threshold=form)
