"""Pickup pages: planning the points (staff), a round's points and slots, the volunteer's
check-off page at a point, and the purchase and packing lists. Each view: parse, check
access, one service or selector, render."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from linli.accounts.access import user_communities
from linli.core.errors import ApplicationError
from linli.core.models import Job, JobStatus
from linli.supplies import access, pickup
from linli.supplies.choices import RoundStatus
from linli.supplies.models import Round


def _int(value):
    try:
        return int(value) if value not in (None, "") else None
    except (TypeError, ValueError):
        return None


@login_required
def index(request):
    rounds = pickup.rounds_for_pickup(request.user)
    planner = access.plan_communities(request.user).exists()
    if not rounds and not planner and not pickup.collect_communities(request.user).exists():
        raise Http404
    return render(
        request,
        "supplies/pickup_index.html",
        {"rounds": rounds, "planner": planner, "plans": pickup.plans_recent(request.user)},
    )


# ------------------------------------------------------------------------ planning


def _plan_community(user, community_id):
    communities = user_communities(user, access.PLAN)
    community = communities.filter(pk=community_id).first() if community_id else communities.first()
    if community is None:
        raise Http404
    return community, communities


@login_required
def plan_new(request):
    source = request.POST if request.method == "POST" else request.GET
    community, communities = _plan_community(request.user, _int(source.get("community")))
    round_ = None
    if _int(source.get("round")):
        round_ = Round.objects.filter(pk=_int(source.get("round")), community=community).first()
        if round_ is None:
            raise Http404
    errors, status = {}, 200
    if request.method == "POST":
        try:
            job = pickup.pickup_plan_start(
                actor=request.user,
                community=community,
                k=source.get("k"),
                capacity=source.get("capacity"),
                pinned=source.getlist("pin"),
                forbidden=source.getlist("forbid"),
                round_=round_,
            )
        except ApplicationError as exc:
            if exc.status == 403:
                raise
            messages.error(request, exc.message)
            errors, status = exc.fields, 400
        else:
            return redirect("pickup:plan_job", job.pk)
    candidates = pickup.pickup_candidates(community)
    last = pickup.plans_recent(request.user, limit=1)
    return render(
        request,
        "supplies/pickup_plan_form.html",
        {
            "community": community,
            "communities": communities,
            "round": round_,
            "candidates": candidates,
            "svg": pickup.candidates_svg(community, candidates),
            "values": {
                "k": source.get("k") or (last[0].k if last else 10),
                "capacity": source.get("capacity", ""),
                "pin": set(source.getlist("pin")),
                "forbid": set(source.getlist("forbid")),
            },
            "errors": errors,
            "time_limit": int(pickup.PLAN_TIME_LIMIT),
        },
        status=status,
    )


@login_required
def plan_job(request, pk):
    job = Job.objects.filter(pk=pk, kind=pickup.PLAN_JOB, created_by=request.user).first()
    if job is None:
        raise Http404
    if job.status == JobStatus.DONE and job.result.get("plan_id"):
        return redirect("pickup:plan", job.result["plan_id"])
    return render(
        request,
        "supplies/pickup_plan_job.html",
        {"job": job, "done_url": reverse("pickup:plan_job", args=[job.pk])},
    )


@login_required
def plan_view(request, pk):
    plan = pickup.access_plan_by_id(request.user, pk)
    return render(request, "supplies/pickup_plan.html", {"plan": plan, **pickup.plan_detail(plan)})


# ------------------------------------------------------------------------ a round


@login_required
def round_view(request, pk):
    round_ = pickup.access_round_for_pickup(request.user, pk)
    can_plan = access.plan_communities(request.user).filter(pk=round_.community_id).exists()
    return render(
        request,
        "supplies/pickup_round.html",
        {
            "round": round_,
            "points": pickup.round_points_summary(round_),
            "can_plan": can_plan,
            "can_lists": pickup.can_read_lists(request.user, round_),
            "on_shift": pickup.on_shift(request.user, round_.community),
            "closed": round_.status == RoundStatus.CLOSED,
        },
    )


@login_required
@require_POST
def close(request, pk):
    round_ = pickup.access_round_for_pickup(request.user, pk)
    pickup.round_close(actor=request.user, round_=round_)
    messages.success(request, _("The round is closed: every order has its point and slot."))
    return redirect("pickup:round", round_.pk)


@login_required
@require_POST
def no_shows(request, pk):
    round_ = pickup.access_round_for_pickup(request.user, pk)
    access.require_plan(request.user, round_.community)
    n = pickup.pickups_mark_no_shows(round_=round_)
    messages.success(request, _("%(n)d order(s) not collected became check-on visits.") % {"n": n})
    return redirect("pickup:round", round_.pk)


@login_required
def point_view(request, pk, point_pk):
    """The volunteer's page at a point: the resident shows the code, the volunteer types it (or
    scans the QR code into the same field), sees the household and packages, hands over."""
    round_ = pickup.access_round_for_pickup(request.user, pk)
    point = pickup.access_point_in_round(request.user, round_, point_pk)
    pickup.require_on_shift(request.user, round_.community)
    order, error, code = None, None, ""
    status = 200
    if request.method == "POST":
        code = (request.POST.get("code") or "").strip()[:80]
        try:
            if request.POST.get("action") == "collect":
                done = pickup.pickup_collect(
                    actor=request.user, round_=round_, text=code, point=point
                )
                messages.success(
                    request,
                    _("Handed over: order #%(id)d for %(household)s.")
                    % {"id": done.pk, "household": done.household},
                )
                return redirect("pickup:point", round_.pk, point.pk)
            order = pickup.pickup_lookup(user=request.user, round_=round_, text=code, point=point)
        except ApplicationError as exc:
            if exc.status == 403:
                raise
            error, status = exc.message, exc.status if exc.status != 404 else 400
    return render(
        request,
        "supplies/pickup_point.html",
        {
            "round": round_,
            "point": point,
            "order": order,
            "error": error,
            "code": code,
            "schedule": pickup.point_schedule(round_, point),
        },
        status=status,
    )


# ------------------------------------------------------------------------ lists


def _xlsx(request, round_, content: bytes, report: str, filename: str):
    pickup.lists_export_record(actor=request.user, round_=round_, report=report)
    response = HttpResponse(content, content_type=pickup.XLSX)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@login_required
def purchase_list(request, pk):
    round_ = pickup.access_round_for_pickup(request.user, pk)
    pickup.require_read_lists(request.user, round_)
    if request.GET.get("format") == "xlsx":
        return _xlsx(
            request,
            round_,
            pickup.purchase_workbook(round_),
            "purchase",
            f"linli-purchase-{round_.pk}.xlsx",
        )
    rows = pickup.purchase_list(round_)
    return render(
        request,
        "supplies/pickup_purchase.html",
        {
            "round": round_,
            "rows": rows,
            "total_fen": sum(r["amount_fen"] or 0 for r in rows),
            "packages": sum(r["quantity"] or 0 for r in rows),
        },
    )


@login_required
def packing(request, pk):
    round_ = pickup.access_round_for_pickup(request.user, pk)
    pickup.require_read_lists(request.user, round_)
    if request.GET.get("format") == "xlsx":
        return _xlsx(
            request,
            round_,
            pickup.packing_workbook(round_),
            "packing",
            f"linli-packing-{round_.pk}.xlsx",
        )
    return render(
        request,
        "supplies/pickup_packing.html",
        {"round": round_, "points": pickup.packing_list(round_)},
    )
