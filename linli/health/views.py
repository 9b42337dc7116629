"""Health pages: the daily report (a resident for their household on a phone, a worker or
building leader for the people of a building), who has not reported today, a person's health
record with its forms, the overview of an area, and the bulk import of laboratory results.
Each view: parse, check access, one service or selector, render."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from linli.accounts.access import has_any_role
from linli.accounts.choices import Role
from linli.core.errors import ApplicationError, PermissionDenied
from linli.health import access, lab_import, selectors, services
from linli.health.choices import QUARANTINE_STATES, TRANSITIONS, HealthStatus, Symptom
from linli.health.forms import (
    LabImportForm,
    LabResultForm,
    QuarantineExtendForm,
    QuarantineReleaseForm,
    QuarantineStartForm,
    ReportForm,
    StatusForm,
)
from linli.taskpool.charts import bar_chart

# Who may turn the missing list into check-on tasks at once (cron does it every day anyway):
# the people who dispatch door-to-door work, not the building leaders who do it.
TASK_ROLES = {Role.STAFF, Role.GRID_WORKER, Role.ADMIN}


def _int(value):
    try:
        return int(value) if value not in (None, "") else None
    except (TypeError, ValueError):
        return None


def _symptom_labels(report) -> list[str]:
    return [str(Symptom(s).label) for s in report.symptoms] if report else []


# ------------------------------------------------------------------ daily report


def _report_form(person, data=None):
    report = person.day_report
    initial = (
        {"temperature": report.temperature, "symptoms": report.symptoms, "note": report.note}
        if report
        else {}
    )
    return ReportForm(data, prefix=f"r{person.pk}", initial=initial)


def _report_page(request, *, today, bound=None):
    """The report cards of the people asked for (own household, a building, one person),
    or, for a worker who has not chosen, the buildings of their area."""
    user = request.user
    building_id = _int(request.GET.get("building"))
    resident_id = _int(request.GET.get("resident"))
    building = None
    if resident_id is not None:
        resident = access.access_resident(user, resident_id, action="report")
        building = resident.household.building
    elif building_id is not None:
        building = selectors.building_in_area(user=user, action="report", building_id=building_id)
        if building is None:
            raise Http404
    own = access.health_scope(user, "report").household_only
    if building is None and not own:
        community = access.community_for(user, "report", _int(request.GET.get("community")))
        buildings = selectors.missing_by_building(user=user, community=community, date=today)
        if len(buildings) == 1:
            return redirect(reverse("health:report") + f"?building={buildings[0]['building_id']}")
        return render(
            request,
            "health/report_buildings.html",
            {"community": community, "buildings": buildings, "today": today},
        )
    people = selectors.people_to_report(
        user=user,
        date=today,
        building_id=building.pk if building and not own else None,
        resident_id=resident_id,
    )
    for person in people:
        person.symptom_labels = _symptom_labels(person.day_report)
        person.form = bound if bound and bound.prefix == f"r{person.pk}" else _report_form(person)
    return render(
        request,
        "health/report.html",
        {
            "people": people,
            "building": building,
            "own": own,
            "today": today,
            "missing_count": sum(1 for p in people if p.day_report is None),
            "can_see_missing": access.can(user, "missing"),
        },
    )


@login_required
def report(request):
    access.require(request.user, "report")
    today = timezone.localdate()
    if request.method != "POST":
        return _report_page(request, today=today)
    resident = access.access_resident(
        request.user, _int(request.POST.get("resident")), action="report"
    )
    form = ReportForm(request.POST, prefix=f"r{resident.pk}")
    if form.is_valid():
        data = form.cleaned_data
        try:
            # An upsert: a double tap or a resent form corrects the day's one report.
            saved, _created = services.report_submit(
                actor=request.user,
                resident=resident,
                temperature=data["temperature"],
                symptoms=data["symptoms"],
                note=data["note"],
            )
        except ApplicationError as exc:
            form.add_application_errors(exc)
        else:
            messages.success(
                request,
                _("Recorded for %(name)s: %(temperature)s °C.")
                % {"name": resident.name, "temperature": saved.temperature},
            )
            return redirect(request.get_full_path() + f"#r{resident.pk}")
    return _report_page(request, today=today, bound=form)


# ------------------------------------------------------------------ who has not reported


@login_required
def missing(request):
    user = request.user
    access.require(user, "missing")
    community = access.community_for(user, "missing", _int(request.GET.get("community")))
    today = timezone.localdate()
    buildings = selectors.missing_by_building(user=user, community=community, date=today)
    names = selectors.missing_in_area(user=user, community=community, date=today)
    for row in buildings:
        row["people"] = names.get(row["building_id"], [])
    return render(
        request,
        "health/missing.html",
        {
            "community": community,
            "communities": access.communities_for(user, "missing"),
            "buildings": buildings,
            "total": sum(b["total"] for b in buildings),
            "missing_total": sum(b["missing"] for b in buildings),
            "today": today,
            "deadline": timezone.localtime(selectors.report_deadline(today)),
            "can_make_tasks": has_any_role(user, TASK_ROLES),
        },
    )


@login_required
@require_POST
def missing_tasks(request):
    user = request.user
    access.require(user, "missing")
    if not has_any_role(user, TASK_ROLES):
        raise PermissionDenied(_("Community staff and grid workers make these tasks."))
    community = access.community_for(user, "missing", _int(request.POST.get("community")))
    target = reverse("health:missing") + f"?community={community.pk}"
    now = timezone.now()
    deadline = selectors.report_deadline(timezone.localdate(now))
    if now < deadline:
        messages.warning(
            request,
            _(
                "Nothing was made: check-on tasks start at %(time)s, until then people can "
                "still report."
            )
            % {"time": timezone.localtime(deadline).strftime("%H:%M")},
        )
        return redirect(target)
    made = services.missing_report_tasks(community=community, now=now)
    messages.success(
        request,
        _("%(n)d new check-on tasks are in the pool (one per household; open ones were reused).")
        % {"n": made},
    )
    return redirect(target)


# ------------------------------------------------------------------ a person's record


def _person_page(request, resident, **forms):
    """The whole health record (an audited read) and, for those who may change it, the
    forms; `forms` holds a bound form that failed, to show with its errors."""
    user = request.user
    history = selectors.health_history(user=user, resident=resident)
    current = history["status"]
    active = next((q for q in history["quarantines"] if q.in_force), None)
    can_change = selectors.resident_allows(user=user, resident=resident, action="change")
    context = {
        "resident": resident,
        "history": history,
        "status_label": HealthStatus(current).label,
        "active": active,
        "can_change": can_change,
        "today": timezone.localdate(),
        "reports": [(r, _symptom_labels(r)) for r in history["reports"]],
        "final": not TRANSITIONS[current],
    }
    if can_change:
        context |= {
            "status_form": forms.get("status_form") or StatusForm(current=current),
            "lab_form": forms.get("lab_form") or LabResultForm(),
        }
        if active is not None:
            context |= {
                "extend_form": forms.get("extend_form") or QuarantineExtendForm(),
                "release_form": forms.get("release_form") or QuarantineReleaseForm(),
            }
        elif TRANSITIONS[current] & QUARANTINE_STATES:
            context["quarantine_form"] = forms.get("quarantine_form") or QuarantineStartForm()
    return render(request, "health/person.html", context)


@login_required
def person(request, pk):
    resident = access.access_resident(request.user, pk, action="view")
    return _person_page(request, resident)


@login_required
@require_POST
def status_change(request, pk):
    resident = access.access_resident(request.user, pk, action="change")
    current = services.current_status(resident)
    form = StatusForm(request.POST, current=current)
    if form.is_valid():
        data = form.cleaned_data
        try:
            services.status_change(
                actor=request.user,
                resident=resident,
                to_status=data["to_status"],
                reason=data["reason"],
                expected=data["expected"],
            )
        except ApplicationError as exc:
            if exc.code == "status_moved":
                # The page now shows the new status: the same form, sent again, means that.
                fresh = request.POST.copy()
                fresh["expected"] = current
                form = StatusForm(fresh, current=current)
                form.is_valid()
            form.add_application_errors(exc)
        else:
            messages.success(
                request,
                _("%(name)s is now %(status)s.")
                % {"name": resident.name, "status": HealthStatus(data["to_status"]).label},
            )
            return redirect("health:person", pk=resident.pk)
    return _person_page(request, resident, status_form=form)


@login_required
@require_POST
def quarantine_start(request, pk):
    resident = access.access_resident(request.user, pk, action="change")
    form = QuarantineStartForm(request.POST)
    if form.is_valid():
        try:
            quarantine = services.quarantine_start(
                actor=request.user, resident=resident, **form.cleaned_data
            )
        except ApplicationError as exc:
            form.add_application_errors(exc)
        else:
            messages.success(
                request,
                _("%(name)s is under quarantine until %(end)s; a follow-up task is in the pool.")
                % {"name": resident.name, "end": quarantine.ends_on.isoformat()},
            )
            return redirect("health:person", pk=resident.pk)
    return _person_page(request, resident, quarantine_form=form)


@login_required
@require_POST
def quarantine_extend(request, pk):
    quarantine = selectors.quarantine_in_area(user=request.user, pk=pk, action="change")
    form = QuarantineExtendForm(request.POST)
    if form.is_valid():
        try:
            quarantine = services.quarantine_extend(
                actor=request.user, quarantine=quarantine, **form.cleaned_data
            )
        except ApplicationError as exc:
            form.add_application_errors(exc)
        else:
            messages.success(
                request,
                _("The quarantine now ends on %(end)s.") % {"end": quarantine.ends_on.isoformat()},
            )
            return redirect("health:person", pk=quarantine.resident_id)
    return _person_page(request, quarantine.resident, extend_form=form)


@login_required
@require_POST
def quarantine_release(request, pk):
    quarantine = selectors.quarantine_in_area(user=request.user, pk=pk, action="change")
    form = QuarantineReleaseForm(request.POST)
    if form.is_valid():
        try:
            services.quarantine_release(
                actor=request.user, quarantine=quarantine, note=form.cleaned_data["note"]
            )
        except ApplicationError as exc:
            form.add_application_errors(exc)
        else:
            messages.success(
                request, _("%(name)s is released.") % {"name": quarantine.resident.name}
            )
            return redirect("health:person", pk=quarantine.resident_id)
    return _person_page(request, quarantine.resident, release_form=form)


@login_required
@require_POST
def lab_record(request, pk):
    resident = access.access_resident(request.user, pk, action="change")
    form = LabResultForm(request.POST)
    if form.is_valid():
        try:
            services.lab_result_record(actor=request.user, resident=resident, **form.cleaned_data)
        except ApplicationError as exc:
            form.add_application_errors(exc)
        else:
            messages.success(request, _("The test result is recorded."))
            return redirect("health:person", pk=resident.pk)
    return _person_page(request, resident, lab_form=form)


# ------------------------------------------------------------------ overview


@login_required
def overview(request):
    user = request.user
    scope = access.health_scope(user, "view")
    if scope.household_only:  # a resident: their own household's report is their page
        return redirect("health:report")
    access.require(user, "view")
    community = access.community_for(user, "view", _int(request.GET.get("community")))
    counts = selectors.status_counts(user=user, community=community)
    statuses = [s for s in HealthStatus if s != HealthStatus.HEALTHY]
    status = request.GET.get("status")
    page = None
    if status in HealthStatus.values:
        people = selectors.people_in_status(user=user, community=community, status=status)
        people = people.select_related("resident__household__entrance")
        page = Paginator(people, settings.LINLI_PAGE_SIZE).get_page(request.GET.get("page"))
    today = timezone.localdate()
    quarantines = list(
        selectors.quarantines_in_force(user=user, community=community).select_related(
            "resident__household__entrance"
        )
    )
    shown = [(s.label, counts.get(s.value, 0)) for s in statuses if counts.get(s.value)]
    return render(
        request,
        "health/overview.html",
        {
            "community": community,
            "communities": access.communities_for(user, "view"),
            "counts": [(s, counts.get(s.value, 0)) for s in statuses],
            "chart": bar_chart(
                shown,
                label=_("People by health status"),
                empty=_("Everyone in your area is healthy."),
            ),
            "status": status if page is not None else None,
            "status_label": HealthStatus(status).label if page is not None else "",
            "page": page,
            "query": f"community={community.pk}&status={status}" if page is not None else "",
            "quarantines": quarantines,
            "ending_today": sum(1 for q in quarantines if q.ends_on == today),
            "overdue": sum(1 for q in quarantines if q.ends_on < today),
            "today": today,
            "can_import": access.can(user, "import_tests"),
            "can_see_missing": access.can(user, "missing"),
        },
    )


# ------------------------------------------------------------------ laboratory import


@login_required
def lab_import_upload(request):
    access.require(request.user, "import_tests")
    form = LabImportForm(
        request.POST or None,
        request.FILES or None,
        communities=lab_import.lab_import_communities(request.user),
    )
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            job = lab_import.lab_import_start(
                actor=request.user,
                community=form.cleaned_data["community"],
                content=upload.read(),
                filename=upload.name,
                language=get_language(),
            )
        except ApplicationError as exc:
            form.add_application_errors(exc)
        else:
            return redirect("health:lab_import_job", pk=job.pk)
    return render(
        request,
        "health/lab_import.html",
        {
            "form": form,
            "columns": lab_import.COLUMNS,
            "recent": lab_import.lab_import_jobs_recent(request.user),
        },
    )


@login_required
def lab_import_job(request, pk):
    job = lab_import.lab_import_job_for(request.user, pk)
    return render(
        request,
        "health/lab_import_job.html",
        {
            "job": job,
            "errors": job.result.get("errors", []) if job.finished else [],
            "done_url": reverse("health:lab_import_job", args=[job.pk]),
        },
    )
