"""Pages of trajectories and contact tracing: place posters with their QR code, the phone
check-in page (/c/<token>/), a worker's entry recording at a place, a person's trajectory
(audited), tracing runs with their contacts to review and the transmission graph.
Each view: parse, check access, one service or selector, render."""

import datetime as dt

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.safestring import mark_safe
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from linli.core.errors import ApplicationError, PermissionDenied
from linli.health.access import can, community_for
from linli.tracing import access, graph, qr, selectors, services
from linli.tracing.choices import ContactKind, Review, RunStatus
from linli.tracing.forms import (
    ConfirmForm,
    DirectContactForm,
    DismissForm,
    PeriodForm,
    RecordForm,
    RunForm,
)


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


def _flash_errors(request, form) -> None:
    for field, errors in form.errors.items():
        label = form.fields[field].label if field in form.fields else ""
        for error in errors:
            messages.error(request, f"{label}: {error}" if label else error)


def _nav(user) -> dict:
    """What the tracing sub-menu shows this user."""
    return {"can_trace": can(user, "trace"), "can_record": can(user, "record_checkin")}


def _hm(value) -> str:
    return timezone.localtime(value).strftime("%H:%M")


# ------------------------------------------------------------------------- places, posters


@login_required
def places(request):
    access.require_record(request.user)
    return render(
        request,
        "tracing/places.html",
        {"places": selectors.places_for(user=request.user), **_nav(request.user)},
    )


def _poster(request, place) -> dict:
    url = qr.checkin_url(request, place.pk)
    # segno's own markup; the only text in it (the title) is escaped by segno.
    svg = mark_safe(qr.qr_svg(url, scale=10, title=place.name))  # noqa: S308
    return {"place": place, "url": url, "qr": svg}


@login_required
def poster(request, pk):
    place = access.access_place(request.user, pk)
    return render(request, "tracing/poster.html", {"posters": [_poster(request, place)]})


@login_required
def posters(request):
    access.require_record(request.user)
    return render(
        request,
        "tracing/poster.html",
        {"posters": [_poster(request, p) for p in selectors.places_for(user=request.user)]},
    )


# ------------------------------------------------------------------------- check-in (phone)


def _scan_message(checkin, created) -> str:
    values = {"name": checkin.resident.name, "time": _hm(checkin.entered_at)}
    if created:
        return _("Checked in: %(name)s at %(time)s.") % values
    return _("Already checked in: %(name)s since %(time)s (the same visit).") % values


@login_required
def scan(request, token):
    """/c/<token>/: a resident who scanned a place's QR code checks in (and out) themselves
    and the members of their household."""
    place = access.place_by_token(token)
    members = access.own_household(request.user)
    if request.method == "POST":
        if not members:
            raise PermissionDenied(_("Only residents check in with this page."))
        if request.POST.get("action") == "leave":
            wanted = set(request.POST.getlist("checkins"))
            visits = selectors.open_visits(members, place=place)
            chosen = [v.checkin for v in visits if str(v.checkin.pk) in wanted]
            for checkin in services.checkin_leave(actor=request.user, checkins=chosen):
                messages.success(
                    request,
                    _("Goodbye: %(name)s left at %(time)s.")
                    % {"name": checkin.resident.name, "time": _hm(checkin.left_at)},
                )
        else:
            wanted = set(request.POST.getlist("people"))
            chosen = [m for m in members if str(m.pk) in wanted]
            if not chosen:
                messages.error(request, _("Choose who is entering."))
            results = services.checkin_scan(actor=request.user, place=place, residents=chosen)
            for checkin, created in results:
                messages.success(request, _scan_message(checkin, created))
        return redirect("checkin:scan", token=token)
    visits = selectors.open_visits(members) if members else []
    return render(
        request,
        "tracing/checkin.html",
        {
            "place": place,
            "members": members,
            "here": [v for v in visits if v.checkin.place_id == place.pk],
            "elsewhere": [v for v in visits if v.checkin.place_id != place.pk],
            "can_record": access.communities_for(request.user, "record_checkin")
            .filter(pk=place.community_id)
            .exists(),
        },
    )


# ------------------------------------------------------------------------- worker recording


@login_required
def record(request, pk):
    """A worker at a gate or shop door records entries for residents without a phone."""
    place = access.access_place(request.user, pk, action="record_checkin")
    q = (request.POST.get("q") or request.GET.get("q") or "").strip()
    found = selectors.record_search(user=request.user, community=place.community, q=q)
    form = RecordForm(request.POST or None, residents=found)
    if request.method == "POST" and request.POST.get("action") == "leave":
        visit = next(
            (
                v
                for v in selectors.place_today(user=request.user, place=place)
                if str(v.checkin.pk) == request.POST.get("checkin")
            ),
            None,
        )
        if visit is not None:
            (checkin,) = services.checkin_leave(actor=request.user, checkins=[visit.checkin])
            messages.success(
                request,
                _("%(name)s left at %(time)s.")
                % {"name": checkin.resident.name, "time": _hm(checkin.left_at)},
            )
        return redirect("tracing:record", pk=place.pk)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        resident = access.access_resident(request.user, data["resident"], action="record_checkin")
        try:
            checkin, created = services.checkin_record(
                actor=request.user,
                place=place,
                resident=resident,
                entered_at=data["entered_at"],
                left_at=data["left_at"],
            )
        except ApplicationError as exc:
            _form_errors(form, exc)
        else:
            values = {"name": resident.name, "time": _hm(checkin.entered_at)}
            messages.success(
                request,
                _("Recorded: %(name)s entered at %(time)s.") % values
                if created
                else _("Already recorded: %(name)s entered at %(time)s (the same entry).") % values,
            )
            return redirect("tracing:record", pk=place.pk)
    return render(
        request,
        "tracing/record.html",
        {
            "place": place,
            "q": q,
            "found": found,
            "form": form,
            "today": selectors.place_today(user=request.user, place=place),
        },
        status=400 if form.errors else 200,
    )


# ------------------------------------------------------------------------- trajectory


def _places_map(resident, places) -> str:
    community = resident.household.building.community
    points = [
        graph.PlacePoint(x=e["place"].x, y=e["place"].y, label=e["place"].name, number=i)
        for i, e in enumerate(places, start=1)
    ]
    if not points:
        return ""
    # Our own markup; every text in it is escaped by graph.places_svg.
    return mark_safe(  # noqa: S308
        graph.places_svg(
            points,
            site_width=community.width,
            site_height=community.height,
            title=_("Places %(name)s visited") % {"name": resident.name},
        )
    )


@login_required
def trajectory(request, pk):
    resident = access.access_resident(request.user, pk, action="trace")
    period = PeriodForm(request.GET or None)
    since, until = period.period()
    data = selectors.trajectory(user=request.user, resident=resident, since=since, until=until)
    return render(
        request,
        "tracing/trajectory.html",
        {
            "resident": resident,
            "period": period,
            "since": since,
            "until": until,
            "last_day": timezone.localdate(until) - dt.timedelta(days=1),
            "data": data,
            "map": _places_map(resident, data["places"]),
            "contact_form": DirectContactForm(),
            "stay_minutes": settings.LINLI_DEFAULT_STAY_MINUTES,
            **_nav(request.user),
        },
    )


@login_required
@require_POST
def contact_add(request, pk):
    """Record a direct contact found in an interview (a visit, a shared car)."""
    resident = access.access_resident(request.user, pk, action="trace")
    form = DirectContactForm(request.POST)
    if form.is_valid():
        people = selectors.trace_search(
            user=request.user,
            community=resident.household.building.community,
            q=form.cleaned_data["other"],
        )
        if len(people) != 1:
            form.add_error(
                "other",
                _("nobody in your area matches")
                if not people
                else _("%(n)d people match: give the phone or the last 4 of the ID")
                % {"n": len(people)},
            )
        else:
            try:
                services.direct_contact_record(
                    actor=request.user,
                    resident=resident,
                    other=people[0],
                    at=form.cleaned_data["at"],
                    note=form.cleaned_data["note"],
                )
            except ApplicationError as exc:
                _form_errors(form, exc)
            else:
                messages.success(
                    request, _("Direct contact with %(name)s recorded.") % {"name": people[0].name}
                )
    _flash_errors(request, form)
    return redirect("tracing:trajectory", pk=resident.pk)


# ------------------------------------------------------------------------- runs


@login_required
def runs(request):
    access.require_trace(request.user)
    page = Paginator(selectors.runs_for(user=request.user), settings.LINLI_PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    return render(
        request,
        "tracing/runs.html",
        {"page": page, "runs": page.object_list, **_nav(request.user)},
    )


def _run_people(user, community, data, q) -> list:
    """The people the form offers as index cases: the suggested (confirmed, suspected), the
    ones already chosen, and the search's results."""
    suggested = selectors.suggested_index_cases(user=user, community=community)
    chosen = selectors.residents_by_ids(
        user=user, community=community, ids=[i for i in map(_int, data) if i]
    )
    found = selectors.trace_search(user=user, community=community, q=q)
    people = {r.pk: r for r in [*suggested, *chosen, *found]}
    return list(people.values()), suggested


@login_required
def run_new(request):
    access.require_trace(request.user)
    source = request.POST if request.method == "POST" else request.GET
    community = community_for(request.user, "trace", _int(source.get("community")))
    q = (source.get("q") or "").strip()
    people, suggested = _run_people(request.user, community, source.getlist("index_cases"), q)
    today = timezone.localdate()
    initial = {
        "since": today - dt.timedelta(days=services.LOOKBACK_DAYS - 1),
        "until": today,
        "buffer_minutes": settings.LINLI_TRACING_BUFFER_MINUTES,
        "second_hop_cap": 500,
        # The suggested people, and anyone a link asked for (?index_cases=, from a trajectory).
        "index_cases": [r.pk for r in suggested]
        + [i for i in map(_int, request.GET.getlist("index_cases")) if i],
    }
    if request.method == "POST" and request.POST.get("action") == "run":
        form = RunForm(request.POST, people=people)
        if form.is_valid():
            data = form.cleaned_data
            since, until = form.period()
            try:
                run = services.tracing_run_create(
                    actor=request.user,
                    community=community,
                    index_cases=[r for r in people if r.pk in set(data["index_cases"])],
                    period_start=since,
                    period_end=until,
                    buffer_minutes=data["buffer_minutes"],
                    second_hop=data["second_hop"],
                    second_hop_cap=data["second_hop_cap"],
                    language=get_language(),
                )
            except ApplicationError as exc:
                _form_errors(form, exc)
            else:
                return redirect("tracing:run", pk=run.pk)
    elif request.method == "POST":
        # "Search": show the form again as it was, with the people found added.
        kept = {k: request.POST.get(k) for k in initial if k != "index_cases"}
        kept["second_hop"] = bool(request.POST.get("second_hop"))
        kept["index_cases"] = [i for i in map(_int, request.POST.getlist("index_cases")) if i]
        form = RunForm(initial=kept, people=people)
    else:
        form = RunForm(initial=initial, people=people)
    return render(
        request,
        "tracing/run_form.html",
        {
            "form": form,
            "community": community,
            "communities": access.trace_communities(request.user),
            "q": q,
            **_nav(request.user),
        },
        status=400 if form.errors else 200,
    )


def _graph(run, index_cases) -> str:
    labels = {
        "household": str(ContactKind.HOUSEHOLD.label),
        "direct": str(ContactKind.DIRECT.label),
        "place": str(ContactKind.PLACE.label),
        "hop0": _("Index case"),
        "hop1": _("Close contact"),
        "hop2": _("Secondary contact"),
    }
    nodes = [graph.Node(id=r.pk, label=r.name, hop=0) for r in index_cases]
    edges = []
    for c in selectors.run_graph_contacts(run, limit=graph.MAX_NODES):
        nodes.append(graph.Node(id=c.resident_id, label=c.resident.name, hop=c.hop))
        edges.append(
            graph.Edge(
                source=c.source_id,
                target=c.resident_id,
                kind=c.kind,
                label=c.place.name if c.place else "",
            )
        )
    # Our own markup; every text in it is escaped by graph.transmission_svg.
    svg = graph.transmission_svg(
        nodes,
        edges,
        labels=labels,
        title=_("Transmission graph of run #%(id)d") % {"id": run.pk},
        more=_("and %(n)d more"),
        # Only the first MAX_NODES contacts were loaded: the rest count as left out too.
        hidden=max(0, run.contacts_found - (len(nodes) - len(index_cases))),
    )
    return mark_safe(svg)  # noqa: S308


@login_required
def run_detail(request, pk):
    run = access.access_run(request.user, pk)
    review = request.GET.get("review") or ""
    if review not in Review.values:
        review = ""
    index_cases = selectors.run_index_cases(run)
    context = {"run": run, "review": review, "index_cases": index_cases, **_nav(request.user)}
    if run.status == RunStatus.DONE:
        selectors.run_opened(user=request.user, run=run)
        page = Paginator(
            selectors.run_contacts(run, review=review or None), settings.LINLI_PAGE_SIZE
        ).get_page(request.GET.get("page"))
        context.update(
            page=page,
            contacts=page.object_list,
            counts=selectors.run_review_counts(run),
            graph=_graph(run, index_cases) if run.contacts_found else "",
            query=urlencode({"review": review}) if review else "",
            reviews=Review.choices,
        )
    return render(request, "tracing/run.html", context)


def _back_to_run(request, run_id):
    url = reverse("tracing:run", args=[run_id])
    review = request.POST.get("review")
    return redirect(url + (f"?review={review}" if review in Review.values else ""))


@login_required
@require_POST
def contact_confirm(request, pk):
    contact = access.access_contact(request.user, pk)
    form = ConfirmForm(request.POST)
    form.is_valid()
    data = form.cleaned_data
    done = services.trace_contact_confirm(
        actor=request.user,
        contact=contact,
        quarantine=data.get("quarantine", False),
        note=data.get("note", ""),
    )
    level = messages.SUCCESS if done.status_changed else messages.WARNING
    for note in done.notes:
        messages.add_message(request, level, note)
    return _back_to_run(request, contact.run_id)


@login_required
@require_POST
def contact_dismiss(request, pk):
    contact = access.access_contact(request.user, pk)
    form = DismissForm(request.POST)
    if form.is_valid():
        services.trace_contact_dismiss(
            actor=request.user, contact=contact, note=form.cleaned_data["note"]
        )
        messages.success(request, _("%(name)s dismissed.") % {"name": contact.resident.name})
    else:
        _flash_errors(request, form)
    return _back_to_run(request, contact.run_id)


@login_required
@require_POST
def run_confirm_all(request, pk):
    run = access.access_run(request.user, pk)
    count, stayed = services.trace_contacts_confirm_pending(
        actor=request.user, run=run, hop=1, quarantine=bool(request.POST.get("quarantine"))
    )
    messages.success(request, _("%(n)d close contacts confirmed.") % {"n": count})
    for note in stayed:
        messages.warning(request, note)
    return _back_to_run(request, run.pk)
