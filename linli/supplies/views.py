"""Food and supplies pages: suppliers and their catalogue (staff), order rounds (staff), and
ordering (a resident on a phone, or a worker or building leader for a household of their area).

Each view: parse input, check access, call one service or selector, render.
"""

import secrets
from datetime import timedelta

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from linli.accounts.access import user_scope
from linli.accounts.choices import Role
from linli.core.errors import ApplicationError, PermissionDenied
from linli.supplies import access, pickup, selectors, services
from linli.supplies.choices import OrderStatus, RoundStatus
from linli.supplies.forms import (
    OrderForm,
    PackageForm,
    RoundForm,
    SupplierForm,
    SupplierStaffForm,
)
from linli.supplies.models import Package, Supplier, SupplierStaff


def _int(value):
    try:
        return int(value) if value not in (None, "") else None
    except (TypeError, ValueError):
        return None


def _nav(user) -> dict:
    return {
        "suppliers": access.can_read(user),
        "plan": access.can_plan(user),
        "order_for": access.can_order_for_others(user),
    }


def _render(request, template, context, status=200):
    return render(request, template, {"supplies_nav": _nav(request.user), **context}, status=status)


def _own_household(user):
    """The household a resident's login belongs to, or None."""
    if not user_scope(user, {Role.RESIDENT}).households:
        return None
    return user.resident.household


# ---------------------------------------------------------------- home


@login_required
def home(request):
    """A resident's open rounds and orders; a worker's list of rounds."""
    household = _own_household(request.user)
    worker = access.read_communities(request.user).exists()
    if household is None and not worker:
        raise Http404
    rounds = list(selectors.round_list(user=request.user)[:20]) if worker else []
    context = {"rounds": rounds, "household": household}
    if household is not None:
        open_rounds = list(selectors.rounds_open_for_household(household))
        orders = {o.round_id: o for o in selectors.household_orders(household)}
        context.update(
            open_rounds=[(r, orders.get(r.pk)) for r in open_rounds],
            orders=[o for o in orders.values()],
        )
    return _render(request, "supplies/home.html", context)


# ---------------------------------------------------------------- suppliers


def _require_read(user):
    if not access.can_read(user):
        raise Http404


@login_required
def supplier_list(request):
    _require_read(request.user)
    suppliers = list(selectors.supplier_list(user=request.user))
    now = timezone.now()
    rows = [(s, services.supplier_check(s, now)) for s in suppliers]
    return _render(
        request,
        "supplies/supplier_list.html",
        {"rows": rows, "hours": settings.LINLI_SUPPLIER_TEST_HOURS},
    )


def _plan_community(request):
    communities = list(access.plan_communities(request.user))
    if not communities:
        raise PermissionDenied(_("Only community staff run order rounds."))
    wanted = _int(request.GET.get("community") or request.POST.get("community"))
    for c in communities:
        if c.pk == wanted or len(communities) == 1:
            return c, communities
    return None, communities


@login_required
def supplier_new(request):
    community, communities = _plan_community(request)
    form = SupplierForm(request.POST or None)
    if request.method == "POST" and community is not None and form.is_valid():
        try:
            supplier = services.supplier_save(
                actor=request.user, community=community, values=form.cleaned_data
            )
        except ApplicationError as exc:
            form.add_application_error(exc)
        else:
            messages.success(request, _("Supplier added: now add its delivery staff."))
            return redirect("supplies:supplier", supplier.pk)
    return _render(
        request,
        "supplies/form.html",
        {
            "form": form,
            "title": _("Add a supplier"),
            "community": community,
            "communities": communities if community is None else [],
        },
    )


@login_required
def supplier_detail(request, pk):
    supplier = access.access_supplier_by_id(request.user, pk)
    screening = selectors.supplier_screening(supplier)
    return _render(
        request,
        "supplies/supplier_detail.html",
        {
            "supplier": supplier,
            "reasons": screening["reasons"],
            "staff": screening["staff"],
            "packages": selectors.catalogue(supplier),
            "hours": settings.LINLI_SUPPLIER_TEST_HOURS,
            "can_plan": access.plan_communities(request.user)
            .filter(pk=supplier.community_id)
            .exists(),
        },
    )


def _save_form(request, form, save, *, title, back, success):
    """POST a form through `save(values)`; on refusal, show the reasons on the form."""
    if request.method == "POST" and form.is_valid():
        try:
            obj = save(form)
        except ApplicationError as exc:
            form.add_application_error(exc)
        else:
            messages.success(request, success)
            return redirect(back(obj))
    return _render(request, "supplies/form.html", {"form": form, "title": title})


@login_required
def supplier_edit(request, pk):
    supplier = access.access_supplier_by_id(request.user, pk, for_write=True)
    form = SupplierForm(request.POST or None, instance=Supplier.objects.get(pk=supplier.pk))
    return _save_form(
        request,
        form,
        lambda f: services.supplier_save(
            actor=request.user,
            community=supplier.community,
            supplier=supplier,
            values=f.cleaned_data,
        ),
        title=_("Change %(name)s") % {"name": supplier.name},
        back=lambda s: reverse("supplies:supplier", args=[s.pk]),
        success=_("Saved."),
    )


@login_required
def staff_new(request, pk):
    supplier = access.access_supplier_by_id(request.user, pk, for_write=True)
    form = SupplierStaffForm(request.POST or None)
    return _save_form(
        request,
        form,
        lambda f: services.supplier_staff_save(
            actor=request.user, supplier=supplier, values=f.cleaned_data
        ),
        title=_("Add a delivery person to %(name)s") % {"name": supplier.name},
        back=lambda s: reverse("supplies:supplier", args=[supplier.pk]),
        success=_("Saved."),
    )


@login_required
def staff_edit(request, pk):
    person = SupplierStaff.objects.filter(pk=pk).select_related("supplier").first()
    if person is None:
        raise Http404
    supplier = access.access_supplier_by_id(request.user, person.supplier_id, for_write=True)
    form = SupplierStaffForm(request.POST or None, instance=SupplierStaff.objects.get(pk=pk))
    return _save_form(
        request,
        form,
        lambda f: services.supplier_staff_save(
            actor=request.user, supplier=supplier, staff=person, values=f.cleaned_data
        ),
        title=_("%(name)s: details and latest test") % {"name": person.name},
        back=lambda s: reverse("supplies:supplier", args=[supplier.pk]),
        success=_("Saved."),
    )


@login_required
def package_new(request, pk):
    supplier = access.access_supplier_by_id(request.user, pk, for_write=True)
    form = PackageForm(request.POST or None)
    return _save_form(
        request,
        form,
        lambda f: services.package_save(actor=request.user, supplier=supplier, values=f.values()),
        title=_("Add a package to %(name)s") % {"name": supplier.name},
        back=lambda p: reverse("supplies:supplier", args=[supplier.pk]),
        success=_("Saved."),
    )


@login_required
def package_edit(request, pk):
    package = Package.objects.filter(pk=pk).first()
    if package is None:
        raise Http404
    supplier = access.access_supplier_by_id(request.user, package.supplier_id, for_write=True)
    form = PackageForm(request.POST or None, instance=Package.objects.get(pk=pk))
    return _save_form(
        request,
        form,
        lambda f: services.package_save(
            actor=request.user, supplier=supplier, package=package, values=f.values()
        ),
        title=_("Change %(name)s") % {"name": package.name},
        back=lambda p: reverse("supplies:supplier", args=[supplier.pk]),
        success=_("Saved."),
    )


# ---------------------------------------------------------------- rounds (staff)


@login_required
def round_list(request):
    if not (access.can_read(request.user) or access.can_order_for_others(request.user)):
        raise Http404
    status = request.GET.get("status")
    status = status if status in RoundStatus.values else None
    qs = selectors.round_list(user=request.user, status=status)
    page = Paginator(qs, settings.LINLI_PAGE_SIZE).get_page(request.GET.get("page"))
    return _render(
        request,
        "supplies/round_list.html",
        {
            "page": page,
            "status": status,
            "statuses": RoundStatus,
            "query": f"status={status}" if status else "",
        },
    )


@login_required
def round_new(request):
    if not access.can_plan(request.user):
        raise PermissionDenied(_("Only community staff run order rounds."))
    supplier_id = _int(request.GET.get("supplier") or request.POST.get("supplier"))
    if supplier_id is None:
        suppliers = [
            (s, services.supplier_check(s))
            for s in selectors.supplier_list(user=request.user).filter(
                community__in=access.plan_communities(request.user), active=True
            )
        ]
        return _render(request, "supplies/round_supplier.html", {"suppliers": suppliers})
    supplier = access.access_supplier_by_id(request.user, supplier_id, for_write=True)
    packages = Package.objects.filter(supplier=supplier, active=True).order_by("kind", "name")
    # A sensible default: open at the next full hour for a day, pickup two hours after close.
    opens = timezone.localtime().replace(minute=0, second=0, microsecond=0) + timedelta(hours=1)
    form = RoundForm(
        request.POST or None,
        supplier=supplier,
        packages=packages,
        initial={
            "opens_at": opens,
            "closes_at": opens + timedelta(days=1),
            "pickup_starts_at": opens + timedelta(days=1, hours=2),
        },
    )
    status = 200
    if request.method == "POST" and form.is_valid():
        try:
            round_ = services.round_create(
                actor=request.user,
                supplier=supplier,
                title=form.cleaned_data["title"],
                buildings=form.chosen_buildings(),
                opens_at=form.cleaned_data["opens_at"],
                closes_at=form.cleaned_data["closes_at"],
                pickup_starts_at=form.cleaned_data["pickup_starts_at"],
                slot_minutes=form.cleaned_data["slot_minutes"],
                slot_capacity=form.cleaned_data["slot_capacity"],
                household_limit=form.cleaned_data["household_limit"],
                items=form.item_specs(),
            )
        except ApplicationError as exc:
            form.add_application_error(exc)
            status = exc.status
        else:
            messages.success(request, _("Round created as a draft: check it, then open it."))
            return redirect("supplies:round", round_.pk)
    return _render(
        request,
        "supplies/round_form.html",
        {"form": form, "supplier": supplier, "reasons": services.supplier_check(supplier)},
        status=status,
    )


def _pickup_links(round_) -> list[tuple[str, str]]:
    """Links to the round's pages in linli.supplies.pickup: points and slots, the supplier's
    purchase list and the packing lists per point and slot (these two once it has closed)."""
    links = [(reverse("pickup:round", args=[round_.pk]), _("Pickup points and slots"))]
    if round_.status in (RoundStatus.CLOSED, RoundStatus.DONE):
        links += [
            (
                reverse("pickup:purchase_list", args=[round_.pk]),
                _("Purchase list for the supplier"),
            ),
            (reverse("pickup:packing", args=[round_.pk]), _("Packing lists per point and slot")),
        ]
    return links


@login_required
def round_detail(request, pk):
    round_ = access.access_round_by_id(request.user, pk)
    full = (
        access.user_communities(request.user, access.READ | access.PLAN)
        .filter(pk=round_.community_id)
        .exists()
    )
    if not full and not access.can_order_for_others(request.user):
        household = _own_household(request.user)
        if household is not None and round_.buildings.filter(pk=household.building_id).exists():
            return redirect("supplies:order", round_.pk)
    can_plan = access.plan_communities(request.user).filter(pk=round_.community_id).exists()
    context = {
        "round": round_,
        "full": full,
        "items": selectors.round_items(round_),
        "accepting": services.round_is_open(round_),
        "can_plan": can_plan,
        "can_order_for": access.can_order_for_others(request.user),
        "pickup_links": _pickup_links(round_) if round_.status != RoundStatus.DRAFT else [],
    }
    if full:
        orders = Paginator(
            selectors.round_orders(round_, user=request.user), settings.LINLI_PAGE_SIZE
        ).get_page(request.GET.get("page"))
        context.update(
            figures=selectors.round_figures(round_),
            buildings=round_.buildings.order_by("grid__number", "number"),
            page=orders,
            reasons=services.supplier_check(round_.supplier)
            if can_plan and round_.status == RoundStatus.DRAFT
            else [],
            can_close=can_plan and round_.status == RoundStatus.OPEN,
        )
    return _render(request, "supplies/round_detail.html", context)


@login_required
@require_POST
def round_open_view(request, pk):
    round_ = access.access_round_by_id(request.user, pk)
    access.require_plan(request.user, round_.community)
    services.round_open(actor=request.user, round_=round_)
    messages.success(request, _("The round is open for orders."))
    return redirect("supplies:round", round_.pk)


@login_required
@require_POST
def round_close_view(request, pk):
    round_ = access.access_round_by_id(request.user, pk)
    access.require_plan(request.user, round_.community)
    # Slots and points are given out there (linli.supplies.pickup); it refuses a round whose
    # pickup points are not planned yet, saying so.
    pickup.round_close(actor=request.user, round_=round_)
    messages.success(request, _("The round is closed."))
    return redirect("supplies:round", round_.pk)


# ---------------------------------------------------------------- ordering


@login_required
def order_for(request, pk):
    """A worker or building leader orders for a household of their area: building, then room."""
    round_ = access.access_round_by_id(request.user, pk)
    if not access.can_order_for_others(request.user):
        raise Http404
    buildings = selectors.order_buildings(user=request.user, round_=round_)
    building = None
    households = []
    if building_id := _int(request.GET.get("building")):
        building = next((b for b in buildings if b.pk == building_id), None)
        if building is None:
            raise Http404
        households = selectors.order_households(user=request.user, round_=round_, building=building)
    return _render(
        request,
        "supplies/order_for.html",
        {
            "round": round_,
            "buildings": buildings,
            "building": building,
            "households": households,
            "accepting": services.round_is_open(round_),
        },
    )


def _order_household(request):
    wanted = _int(request.GET.get("household") or request.POST.get("household"))
    if wanted is not None:
        return access.access_household_for_order(request.user, wanted)
    return _own_household(request.user)


@login_required
def order_edit(request, pk):
    """The order page: place or change a household's order in a round (phone first)."""
    round_ = access.access_round_by_id(request.user, pk)
    household = _order_household(request)
    if household is None:
        if access.can_order_for_others(request.user):
            return redirect("supplies:order_for", round_.pk)
        raise Http404
    existing = selectors.live_order(round_, household)
    if existing is not None and existing.status != OrderStatus.PLACED:
        return redirect("supplies:order_detail", existing.pk)
    accepting = services.round_is_open(round_)
    if not accepting:
        if existing is not None:
            return redirect("supplies:order_detail", existing.pk)
        return _render(
            request,
            "supplies/order_closed.html",
            {"round": round_, "household": household},
            status=409 if request.method == "POST" else 200,
        )
    items = list(round_.items.select_related("package").order_by("package__kind", "pk"))
    initial = {"idempotency_key": secrets.token_urlsafe(18)}
    if existing is not None:
        initial["payment"] = existing.payment
        initial.update({f"qty_{line.item_id}": line.quantity for line in existing.lines.all()})
    form = OrderForm(request.POST or None, items=items, initial=initial)
    status = 200
    if request.method == "POST" and form.is_valid():
        lines = form.lines()
        try:
            if existing is not None:
                order = services.order_change(
                    actor=request.user,
                    order=existing,
                    lines=lines,
                    payment=form.cleaned_data["payment"],
                )
                created = False
            else:
                order, created = services.order_place(
                    actor=request.user,
                    round_=round_,
                    household=household,
                    lines=lines,
                    payment=form.cleaned_data["payment"],
                    idempotency_key=form.cleaned_data["idempotency_key"],
                )
        except ApplicationError as exc:
            form.add_application_error(exc)
            status = exc.status
        else:
            if existing is not None:
                messages.success(request, _("Your order is changed."))
            elif created:
                messages.success(request, _("Your order is placed."))
            return redirect("supplies:order_detail", order.pk)
    elif request.method == "POST":
        status = 400
    return _render(
        request,
        "supplies/order_form.html",
        {
            "round": round_,
            "household": household,
            "form": form,
            "order": existing,
            "for_other": household.pk != getattr(_own_household(request.user), "pk", None),
        },
        status=status,
    )


def _slot_end(order):
    if order.slot_start is None:
        return None
    return order.slot_start + timedelta(minutes=order.round.slot_minutes)


@login_required
def order_detail(request, pk):
    order = access.access_order_by_id(request.user, pk)
    may_write = access.can_write_order(request.user, order)
    qr = None
    if may_write and order.pickup_code:
        qr = mark_safe(pickup.order_qr_svg(order, scale=6))  # noqa: S308 (segno's own SVG)
    return _render(
        request,
        "supplies/order_detail.html",
        {
            "order": order,
            "round": order.round,
            "lines": selectors.order_lines(order),
            "slot_end": _slot_end(order),
            "show_code": may_write,
            "qr": qr,
            "can_change": may_write
            and order.status == OrderStatus.PLACED
            and services.round_is_open(order.round),
        },
    )


@login_required
@require_POST
def order_cancel(request, pk):
    order = access.access_order_by_id(request.user, pk, for_write=True)
    services.order_cancel(actor=request.user, order=order)
    messages.success(request, _("The order is cancelled."))
    return redirect("supplies:order_detail", order.pk)
