"""Door-delivery pages: who gets it and why, staff overrides, planning routes for a round, the
plan with its map, the printable route sheet, and a household's preferred time. Each view:
parse, check access, one service or selector, render."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from linli.core.errors import ApplicationError, PermissionDenied
from linli.delivery import access, maps, selectors, services
from linli.delivery.forms import OverrideEndForm, OverrideForm, PlanForm, PreferenceForm
from linli.delivery.models import DeliveryPreference, DoorDeliveryOverride
from linli.supplies.access import access_household_for_order, access_round_by_id


def _int(value):
    try:
        return int(value) if value not in (None, "") else None
    except (TypeError, ValueError):
        return None


def _form_errors(form, exc: ApplicationError) -> None:
    for name, errors in (exc.fields or {"__all__": [exc.message]}).items():
        for error in errors:
            form.add_error(name if name in form.fields else None, error)
    if exc.fields and not form.non_field_errors():
        form.add_error(None, exc.message)


@login_required
def index(request):
    user = request.user
    rounds = list(selectors.rounds_to_plan(user=user))
    plans = list(selectors.plans_for(user=user))
    if not (rounds or plans or access.can_view_eligibility(user)):
        raise PermissionDenied(_("Door delivery is planned by community staff."))
    return render(
        request,
        "delivery/index.html",
        {"rounds": rounds, "plans": plans, "eligibility": access.can_view_eligibility(user)},
    )


def _community(user, community_id):
    communities = access.area_communities(user)
    community = communities.filter(pk=community_id).first() if community_id else communities.first()
    if community is None:
        raise Http404
    return community


@login_required
def eligible(request):
    access.require_view_eligibility(request.user)
    community = _community(request.user, _int(request.GET.get("community")))
    staff = access.staff_communities(request.user).filter(pk=community.pk).exists()
    rows = selectors.eligible_rows(user=request.user, community=community)
    return render(
        request,
        "delivery/eligible.html",
        {
            "community": community,
            "communities": access.area_communities(request.user),
            "rows": rows,
            "delivered": sum(1 for r in rows if not r["excluded"]),
            "staff": staff,
            "form": OverrideForm() if staff else None,
            "end_form": OverrideEndForm() if staff else None,
            "history": selectors.override_history(user=request.user, community=community),
        },
    )


@login_required
@require_POST
def override_add(request):
    community = _community(request.user, _int(request.POST.get("community")))
    access.require_staff_of(request.user, community)
    form = OverrideForm(request.POST)
    if form.is_valid():
        household = selectors.household_by_address(
            user=request.user, community=community, address=form.cleaned_data["address"]
        )
        if household is None:
            form.add_error("address", _("No such household in your area."))
        else:
            try:
                services.override_set(
                    actor=request.user,
                    household=household,
                    include=form.cleaned_data["include"],
                    reason=form.cleaned_data["reason"],
                )
            except ApplicationError as exc:
                _form_errors(form, exc)
            else:
                messages.success(request, _("Recorded for %(h)s.") % {"h": household})
                return redirect(reverse("delivery:eligible") + f"?community={community.pk}")
    for field, errors in form.errors.items():
        label = form.fields[field].label if field in form.fields else ""
        for error in errors:
            messages.error(request, f"{label}: {error}" if label else error)
    return redirect(reverse("delivery:eligible") + f"?community={community.pk}")


@login_required
@require_POST
def override_end(request, pk):
    override = (
        DoorDeliveryOverride.objects.filter(
            pk=pk, community__in=access.staff_communities(request.user)
        )
        .select_related("household__building")
        .first()
    )
    if override is None:
        raise Http404
    form = OverrideEndForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Please say why the override ends."))
    else:
        services.override_end(
            actor=request.user, override=override, reason=form.cleaned_data["end_reason"]
        )
        messages.success(
            request, _("%(h)s follows the registry again.") % {"h": override.household}
        )
    return redirect(reverse("delivery:eligible") + f"?community={override.community_id}")


@login_required
def plan_new(request, round_id):
    round_ = access_round_by_id(request.user, round_id)
    access.require_staff_of(request.user, round_.community)
    places = selectors.start_places(round_.community)
    workers = selectors.workers_on_shift(round_.community)
    start, end = selectors.delivery_window(round_)
    orders = list(selectors.delivery_orders(round_))
    default_place = selectors.default_start_place(round_.community)
    initial = {
        "window_start": timezone.localtime(start),
        "window_end": timezone.localtime(end),
        "start_place": default_place.pk if default_place else None,
    }
    form = PlanForm(request.POST or None, initial=initial, places=places, workers=workers)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            plan = services.route_plan_request(
                actor=request.user,
                round_=round_,
                volunteers=data["volunteers"],
                shift_minutes=data["shift_minutes"],
                capacity=data["capacity"],
                mode=data["mode"],
                start_place=next((p for p in places if p.pk == data["start_place"]), None),
                window_start=data["window_start"],
                window_end=data["window_end"],
                seconds=data["seconds"],
                worker_ids=data["workers"] or None,
                language=get_language(),
            )
        except ApplicationError as exc:
            _form_errors(form, exc)
        else:
            return redirect("delivery:plan", pk=plan.pk)
    return render(
        request,
        "delivery/plan_form.html",
        {
            "round": round_,
            "form": form,
            "orders": len(orders),
            "bags": sum(o.bags or 0 for o in orders),
            "current": selectors.current_plan(round_),
        },
    )


@login_required
def plan_detail(request, pk):
    plan = access.access_plan_by_id(request.user, pk)
    routes = selectors.plan_routes(plan, user=request.user)
    return render(
        request,
        "delivery/plan.html",
        {
            "plan": plan,
            "routes": routes,
            "summary": selectors.plan_summary(plan, routes),
            "map": maps.routes_svg(plan, routes) if routes else "",
            "unplanned": selectors.unplanned_orders(plan, user=request.user),
            "staff": access.staff_communities(request.user).filter(pk=plan.community_id).exists(),
        },
    )


@login_required
def route_sheet(request, pk):
    route = access.access_route_by_id(request.user, pk)
    stops = selectors.route_stops(route, user=request.user)
    return render(
        request,
        "delivery/route_sheet.html",
        {
            "route": route,
            "plan": route.plan,
            "stops": stops,
            "map": maps.routes_svg(route.plan, [route], numbered=True),
        },
    )


@login_required
def preference(request, household_id):
    household = access_household_for_order(request.user, household_id)
    current = DeliveryPreference.objects.filter(household=household).first()
    initial = (
        {"earliest": current.earliest, "latest": current.latest, "note": current.note}
        if current
        else {}
    )
    form = PreferenceForm(request.POST or None, initial=initial)
    if request.method == "POST":
        if request.POST.get("clear"):
            services.preference_clear(actor=request.user, household=household)
            messages.success(request, _("Any time in the delivery window is fine now."))
            return redirect("delivery:preference", household_id=household.pk)
        if form.is_valid():
            try:
                services.preference_set(
                    actor=request.user, household=household, **form.cleaned_data
                )
            except ApplicationError as exc:
                _form_errors(form, exc)
            else:
                messages.success(request, _("Saved: deliveries will aim for that time."))
                return redirect("delivery:preference", household_id=household.pk)
    return render(
        request,
        "delivery/preference.html",
        {"household": household, "form": form, "current": current},
    )
