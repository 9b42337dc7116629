"""Registry pages. Each view: parse input, check access, call one service or selector, render."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from linli.core.errors import ApplicationError
from linli.places.models import Building
from linli.places.services import household_get_or_create
from linli.residents import access, exporting, selectors, services
from linli.residents.choices import Tag, VerificationMethod
from linli.residents.forms import HouseholdChoiceForm, ResidentForm, RevealForm, VerifyForm
from linli.residents.sitemap import site_plan_svg


def _int(value):
    try:
        return int(value) if value not in (None, "") else None
    except (TypeError, ValueError):
        return None


def _filters(request) -> dict:
    tags = [t for t in request.GET.getlist("tag") if t in Tag.values]
    verified = {"yes": True, "no": False}.get(request.GET.get("verified", ""))
    return {
        "q": request.GET.get("q", "").strip()[:50],
        "grid": _int(request.GET.get("grid")),
        "building": _int(request.GET.get("building")),
        "tag": tags,
        "verified": verified,
    }


def _start_page(user) -> str | None:
    """Where a login that cannot read the registry starts its day instead of a 404."""
    from linli.accounts.access import has_any_role
    from linli.accounts.choices import Role
    from linli.workforce.selectors import worker_for

    if has_any_role(user, {Role.COUNSELLOR, Role.CARE_SUPERVISOR}):
        return "care:cases"
    if has_any_role(user, {Role.DOCTOR}):
        return "health:overview"
    if worker_for(user) is not None:
        return "taskpool:mine"
    return None


def _staff_only(request):
    """Pages for workers: a resident's own login goes to their household instead, and a
    worker who does not read the registry to their own start page."""
    scope = access.scope_for(request.user, "view")
    if scope.empty:
        start = _start_page(request.user)
        if start and request.resolver_match.url_name == "dashboard":
            return redirect(start)
        raise Http404
    if scope.household_only:
        return redirect("residents:household", pk=request.user.resident.household_id)
    return None


@login_required
def dashboard(request):
    if response := _staff_only(request):
        return response
    summary = selectors.registry_summary(user=request.user)
    coverage = selectors.building_coverage(user=request.user)
    communities = {g.community for g in selectors.grids_visible(request.user)}
    plan = site_plan_svg(coverage, communities) if len(communities) == 1 else ""
    return render(
        request,
        "residents/dashboard.html",
        {"summary": summary, "plan": plan, "can_import": access.can(request.user, "import")},
    )


@login_required
def resident_list_view(request):
    if response := _staff_only(request):
        return response
    filters = _filters(request)
    qs = selectors.resident_list(user=request.user, **filters)
    page = Paginator(qs, settings.LINLI_PAGE_SIZE).get_page(request.GET.get("page"))
    rows = [
        (r, selectors.resident_tags(r, household_size=r.household_size)) for r in page.object_list
    ]
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "residents/list.html",
        {
            "page": page,
            "rows": rows,
            "filters": filters,
            "query": query.urlencode(),
            "grids": selectors.grids_visible(request.user),
            "tags": Tag,
            "can_edit": access.can(request.user, "edit"),
            "can_export": access.can(request.user, "export"),
        },
    )


@login_required
def resident_detail(request, pk):
    resident = access.access_resident_by_id(request.user, pk)
    members = selectors.household_members(resident.household)
    size = len(members)
    return render(
        request,
        "residents/detail.html",
        {
            "resident": resident,
            "tags": selectors.resident_tags(resident, household_size=size),
            "members": members,
            "verifications": resident.verifications.select_related("verified_by")[:10],
            "verify_form": VerifyForm(),
            "reveal_form": RevealForm(),
            "can_edit": access.can(request.user, "edit"),
            "can_verify": access.can(request.user, "verify"),
            "can_reveal": access.can(request.user, "reveal_id") and resident.id_number_masked,
        },
    )


def _resident_form_page(request, *, form, title, household_form=None, resident=None):
    return render(
        request,
        "residents/form.html",
        {"form": form, "household_form": household_form, "title": title, "resident": resident},
    )


@login_required
def resident_new(request):
    access.require(request.user, "edit")
    form = ResidentForm(request.POST or None)
    household_form = HouseholdChoiceForm(request.POST or None, prefix="home")
    if request.method == "POST" and form.is_valid() and household_form.is_valid():
        building = (
            Building.objects.filter(access.registry_q(request.user, "edit", "building"))
            .filter(number=household_form.cleaned_data["building"])
            .first()
        )
        if building is None:
            household_form.add_error("building", _("No such building in your area."))
        else:
            try:
                household = household_get_or_create(
                    building=building,
                    entrance=household_form.cleaned_data["entrance"],
                    room=household_form.cleaned_data["room"],
                )
                resident = services.resident_create(
                    actor=request.user, household=household, values=form.cleaned_data
                )
            except ApplicationError as exc:
                form.add_application_errors(exc.fields or {"__all__": [exc.message]})
            else:
                messages.success(request, _("%(name)s was added.") % {"name": resident.name})
                return redirect("residents:detail", pk=resident.pk)
    return _resident_form_page(
        request, form=form, household_form=household_form, title=_("New resident")
    )


@login_required
def household_add_member(request, pk):
    household = access.access_household_by_id(request.user, pk, action="edit")
    form = ResidentForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            resident = services.resident_create(
                actor=request.user, household=household, values=form.cleaned_data
            )
        except ApplicationError as exc:
            form.add_application_errors(exc.fields or {"__all__": [exc.message]})
        else:
            messages.success(request, _("%(name)s was added.") % {"name": resident.name})
            return redirect("residents:household", pk=household.pk)
    title = _("Add a member to %(address)s") % {"address": household}
    return _resident_form_page(request, form=form, title=title)


@login_required
def resident_edit(request, pk):
    resident = access.access_resident_by_id(request.user, pk, action="edit")
    initial = {
        "name": resident.name,
        "sex": resident.sex,
        "birth_date": resident.birth_date.isoformat(),
        "phone": resident.phone,
        "relation": resident.relation,
        "resident_type": resident.resident_type,
        "tags": [t.tag for t in resident.tags.all()],
        "disability_level": resident.disability_level,
        "note": resident.note,
    }
    form = ResidentForm(request.POST or None, initial=initial)
    form.fields["id_number"].help_text = _(
        "Leave empty to keep %(masked)s. Birth date and sex are read from a new number."
    ) % {"masked": resident.id_number_masked or "—"}
    if request.method == "POST" and form.is_valid():
        values = dict(form.cleaned_data)
        if not values.get("id_number"):
            values.pop("id_number", None)  # empty means "unchanged", never "erase"
        try:
            services.resident_update(actor=request.user, resident=resident, values=values)
        except ApplicationError as exc:
            form.add_application_errors(exc.fields or {"__all__": [exc.message]})
        else:
            messages.success(request, _("The record was saved."))
            return redirect("residents:detail", pk=resident.pk)
    title = _("Edit %(name)s") % {"name": resident.name}
    return _resident_form_page(request, form=form, title=title, resident=resident)


@login_required
@require_POST
def resident_verify_view(request, pk):
    resident = access.access_resident_by_id(request.user, pk, action="verify")
    form = VerifyForm(request.POST)
    if form.is_valid():
        services.resident_verify(actor=request.user, resident=resident, **form.cleaned_data)
        messages.success(request, _("Verification recorded."))
    else:
        messages.error(request, _("Choose how the record was verified."))
    return redirect("residents:detail", pk=pk)


@login_required
@require_POST
def resident_reveal_view(request, pk):
    resident = access.access_resident_by_id(request.user, pk, action="reveal_id")
    form = RevealForm(request.POST)
    number = None
    if form.is_valid():
        try:
            number = services.resident_reveal_id(
                actor=request.user, resident=resident, reason=form.cleaned_data["reason"]
            )
        except ApplicationError as exc:
            form.add_error(None, exc.message)
    return render(
        request,
        "residents/reveal.html",
        {"resident": resident, "form": form, "number": number},
        status=200 if number else 400,
    )


@login_required
def household_detail(request, pk):
    household = access.access_household_by_id(request.user, pk)
    members = selectors.household_members(household)
    rows = [(m, selectors.resident_tags(m, household_size=m.household_size)) for m in members]
    return render(
        request,
        "residents/household.html",
        {
            "household": household,
            "rows": rows,
            "can_edit": access.can(request.user, "edit"),
        },
    )


@login_required
def building_detail(request, pk):
    building = access.access_building_by_id(request.user, pk)
    households = list(selectors.building_households(building))
    residents = selectors.resident_list(user=request.user, building=building.pk)
    by_household: dict[int, list] = {}
    for r in residents:
        by_household.setdefault(r.household_id, []).append(
            (r, selectors.resident_tags(r, household_size=r.household_size))
        )
    entrances: dict[int, list] = {}
    for h in households:
        entrances.setdefault(h.entrance.number, []).append((h, by_household.get(h.pk, [])))
    people = sum(len(v) for v in by_household.values())
    verified = sum(1 for v in by_household.values() for r, _t in v if r.verified_at)
    return render(
        request,
        "residents/building.html",
        {
            "building": building,
            "entrances": sorted(entrances.items()),
            "people": people,
            "verified": verified,
            "households_count": len(households),
        },
    )


@login_required
def verification_view(request):
    if response := _staff_only(request):
        return response
    grid = _int(request.GET.get("grid"))
    coverage = selectors.building_coverage(user=request.user, grid=grid)
    pending = selectors.resident_list(user=request.user, grid=grid, verified=False)
    page = Paginator(pending, settings.LINLI_PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "residents/verification.html",
        {
            "coverage": coverage,
            "page": page,
            "grid": grid,
            "query": f"grid={grid}" if grid else "",
            "grids": selectors.grids_visible(request.user),
            "methods": VerificationMethod,
            "can_verify": access.can(request.user, "verify"),
        },
    )


@login_required
def resident_export(request):
    access.require(request.user, "export")
    filters = _filters(request)
    qs = selectors.resident_list(user=request.user, **filters).filter(
        access.resident_scope_q(request.user, "export")
    )
    return exporting.export_response(user=request.user, residents=qs, filters=filters)
