"""Psychological-support pages: the wellbeing check (a resident screens themselves or a
household member on a phone; a counsellor screens a person on a call), the list of whom to
offer support, cases with their sessions, group sessions with attendance, and the figures.
Each view: parse, check access, one service or selector, render.

Counselling notes appear on one page only, the case page, for the counsellor on the case and
the care supervisor, and only for the session whose "Show notes" button was pressed: each
reveal is one audited read (selectors.session_notes), so the audit says what was read.
"""

import datetime as dt
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Count, Q, prefetch_related_objects
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from linli.accounts.access import has_any_role
from linli.accounts.choices import Role
from linli.care import access, scoring, selectors, services
from linli.care.choices import (
    Audience,
    Band,
    CaseStatus,
    Instrument,
    PriorityReason,
    Risk,
    ScreeningSource,
)
from linli.care.forms import (
    AssignForm,
    AttendanceForm,
    CaseOpenForm,
    CloseForm,
    FlagForm,
    GroupForm,
    ReferForm,
    RiskForm,
    ScreeningForm,
    SessionForm,
)
from linli.care.models import CareCase, GroupAttendance, GroupSession, PriorityFlag, Screening
from linli.care.selectors import (
    area_community,
    area_people,
    counsellors_of,
    open_cases,
    people_search,
    screening_for,
)
from linli.core.errors import ApplicationError
from linli.taskpool.charts import stacked_bar_chart

# Which people on the support list a group session for each audience invites by default.
AUDIENCE_REASONS = {
    Audience.BEREAVED: {PriorityReason.BEREAVED},
    Audience.WORKERS: {PriorityReason.WORKER},
    Audience.FAMILIES: set(),  # the households of cases: see _group_candidates
    Audience.OTHER: set(),
}
BAND_COLOURS = {
    Band.MINIMAL: "#81c995",
    Band.MILD: "#fdd663",
    Band.MODERATE: "#f6ae2d",
    Band.MODERATELY_SEVERE: "#e8710a",
    Band.SEVERE: "#c5221f",
}


def _int(value):
    try:
        return int(value) if value not in (None, "") else None
    except (TypeError, ValueError):
        return None


def _source(user, resident) -> str:
    own = user.resident_id and user.resident.household_id == resident.household_id
    return ScreeningSource.SELF if own else ScreeningSource.COUNSELLOR


# ------------------------------------------------------------------ screening


@login_required
def screen(request):
    """Choose the questionnaire and the person, then answer it; a POST scores it."""
    user = request.user
    access.require(user, "screen")
    params = request.POST if request.method == "POST" else request.GET
    own = access.scope(user, "screen").household_only
    resident_id = _int(params.get("resident")) or (user.resident_id if own else None)
    resident = access.access_resident(user, resident_id, action="screen") if resident_id else None
    instrument = params.get("instrument")
    if resident is None or instrument not in Instrument.values:
        return render(
            request,
            "care/screen_choose.html",
            {
                "resident": resident,
                "own": own,
                "household": list(area_people(user, "screen").order_by("pk")) if own else [],
                "q": request.GET.get("q", ""),
                "found": [] if own else people_search(user, "screen", request.GET.get("q")),
                "instruments": Instrument.choices,
            },
        )
    form = ScreeningForm(instrument, request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            outcome = services.screening_submit(
                actor=user,
                resident=resident,
                instrument=instrument,
                answers=form.answers(),
                source=_source(user, resident),
            )
        except ApplicationError as exc:
            form.add_application_errors(exc)
        else:
            return redirect("care:screening", pk=outcome.screening.pk)
    return render(
        request,
        "care/screen.html",
        {
            "form": form,
            "resident": resident,
            "instrument": instrument,
            "instrument_label": Instrument(instrument).label,
            "missing": form.missing() if form.is_bound else [],
            "for_self": resident.pk == user.resident_id,
            # A refused form that already says "thoughts of self-harm" still shows the hotline:
            # the person must not be left with only "answer every question".
            "hotline": settings.LINLI_CRISIS_HOTLINE if _self_harm_answered(form) else "",
        },
    )


def _self_harm_answered(form) -> bool:
    last = f"q{len(scoring.ITEMS[scoring.PHQ9])}"
    return (
        form.is_bound
        and form.instrument == scoring.PHQ9
        and str(form.data.get(last, "0")) in {"1", "2", "3"}
    )


def _band_words(screening) -> str:
    """The result in plain words: what the band means and what happens next."""
    if screening.self_harm:
        # A low total must not reassure next to the hotline: item 9 decides (scoring.py).
        return _(
            "Your answer about thoughts of hurting yourself matters more than the total score."
        )
    what = {
        Instrument.PHQ9: {
            Band.MINIMAL: _("Few or no signs of depression."),
            Band.MILD: _("Mild signs of depression."),
            Band.MODERATE: _("Moderate signs of depression."),
            Band.MODERATELY_SEVERE: _("Moderately severe signs of depression."),
            Band.SEVERE: _("Severe signs of depression."),
        },
        Instrument.GAD7: {
            Band.MINIMAL: _("Few or no signs of anxiety."),
            Band.MILD: _("Mild signs of anxiety."),
            Band.MODERATE: _("Moderate signs of anxiety."),
            Band.SEVERE: _("Severe signs of anxiety."),
        },
    }
    return what[screening.instrument][screening.band]


@login_required
def screening_result(request, pk):
    user = request.user
    access.require(user, "screen")
    screening = screening_for(user, pk)
    return render(
        request,
        "care/screening.html",
        {
            "screening": screening,
            "resident": screening.resident,
            "max_total": 3 * len(scoring.ITEMS[screening.instrument]),
            "band_label": Band(screening.band).label,
            "instrument_label": Instrument(screening.instrument).label,
            "words": _band_words(screening),
            "urgent": screening.self_harm,
            "contact": screening.risk != Risk.LOW,
            "mild": screening.band == Band.MILD,
            "hotline": settings.LINLI_CRISIS_HOTLINE,
            "by_counsellor": screening.source == ScreeningSource.COUNSELLOR,
            "can_cases": access.can(user, "cases"),
        },
    )


# ------------------------------------------------------------------ the support list


def _priority_url(community) -> str:
    return reverse("care:priority") + f"?community={community.pk}"


@login_required
def priority(request):
    user = request.user
    access.require(user, "priority")
    community = area_community(user, "priority", _int(request.GET.get("community")))
    everyone = selectors.priority_list(user=user, community=community)
    # A few hundred people in a large community: filter by reason (or "no case yet", whom
    # nobody has offered support so far) and page, the most reasons first.
    counts = {
        reason: sum(reason in row["reasons"] for row in everyone) for reason in PriorityReason
    }
    reason = request.GET.get("reason") or ""
    if reason not in PriorityReason.values:
        reason = ""
    uncared = request.GET.get("uncared") == "1"
    chosen = [
        row
        for row in everyone
        if (not reason or reason in row["reasons"]) and not (uncared and row["case"])
    ]
    page = Paginator(chosen, settings.LINLI_PAGE_SIZE).get_page(request.GET.get("page"))
    rows = list(page.object_list)
    # The selector joins the building; the address needs the entrance too (one query).
    prefetch_related_objects([row["resident"] for row in rows], "household__entrance")
    for row in rows:
        row["badges"] = [
            (reason, PriorityReason(reason).label, row["notes"].get(reason, ""))
            for reason in row["reasons"]
        ]
        row["flagged"] = PriorityReason.STAFF in row["reasons"]
        row["summary"] = ", ".join(str(label) for _r, label, _n in row["badges"])[:300]
    can_flag = access.can(user, "flag")
    q = request.GET.get("q", "")
    return render(
        request,
        "care/priority.html",
        {
            "community": community,
            "communities": access.communities_for(user, "priority"),
            "rows": rows,
            "page": page,
            "total": len(everyone),
            "shown": len(chosen),
            "reasons": [(r, r.label, counts[r]) for r in PriorityReason if counts[r]],
            "reason": reason,
            "uncared": uncared,
            "query": urlencode(
                {k: v for k, v in (("reason", reason), ("uncared", "1" if uncared else "")) if v}
                | {"community": community.pk}
            ),
            "can_flag": can_flag,
            "can_cases": access.can(user, "cases"),
            "q": q,
            "found": people_search(user, "flag", q, community=community) if can_flag else [],
            "flag_form": FlagForm(),
        },
    )


@login_required
@require_POST
def flag_add(request):
    user = request.user
    access.require(user, "flag")
    resident = access.access_resident(user, _int(request.POST.get("resident")), action="flag")
    community = resident.household.building.community
    form = FlagForm(request.POST)
    if form.is_valid():
        try:
            services.priority_flag_add(
                actor=user, resident=resident, reason=form.cleaned_data["reason"]
            )
        except ApplicationError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, _("%(name)s is on the support list.") % {"name": resident})
            return redirect(_priority_url(community))
    for errors in form.errors.values():
        for error in errors:
            messages.error(request, f"{form.fields['reason'].label} {error}")
    return redirect(_priority_url(community) + "&" + urlencode({"q": request.POST.get("q", "")}))


@login_required
@require_POST
def flag_end(request, resident_id):
    user = request.user
    access.require(user, "flag")
    resident = access.access_resident(user, resident_id, action="flag")
    flag = PriorityFlag.objects.filter(resident=resident, ended_at__isnull=True).first()
    if flag is None:
        raise Http404
    services.priority_flag_end(actor=user, flag=flag)
    messages.success(request, _("The staff note on %(name)s is removed.") % {"name": resident})
    return redirect(_priority_url(resident.household.building.community))


# ------------------------------------------------------------------ cases


@login_required
def cases(request):
    user = request.user
    access.require(user, "cases")
    show = request.GET.get("show")
    if show not in ("mine", "all"):
        # A counsellor starts with their own cases, their supervisor with everyone's.
        show = "mine" if has_any_role(user, {Role.COUNSELLOR}) else "all"
    rows = list(open_cases(user, mine=show == "mine"))
    today = timezone.localdate()
    return render(
        request,
        "care/cases.html",
        {
            "cases": rows,
            "show": show,
            "today": today,
            "overdue": sum(1 for c in rows if c.next_due and c.next_due < today),
        },
    )


@login_required
def case_open(request):
    user = request.user
    access.require(user, "cases")
    params = request.POST if request.method == "POST" else request.GET
    resident_id = _int(params.get("resident"))
    if resident_id is None:
        q = request.GET.get("q", "")
        return render(
            request,
            "care/case_open_search.html",
            {"q": q, "found": people_search(user, "cases", q)},
        )
    resident = access.access_resident(user, resident_id, action="cases")
    existing = CareCase.objects.filter(resident=resident, status=CaseStatus.OPEN).first()
    counsellors = counsellors_of(resident.household.building.community_id)
    form = CaseOpenForm(
        request.POST or None,
        counsellors=counsellors,
        initial={
            "reason": request.GET.get("reason", ""),
            "counsellor": user.pk if user in counsellors else None,
        },
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            case = services.case_open(
                actor=user,
                resident=resident,
                risk=data["risk"],
                reason=data["reason"],
                counsellor=next((c for c in counsellors if c.pk == data["counsellor"]), None),
            )
        except ApplicationError as exc:
            form.add_application_errors(exc)
        else:
            messages.success(
                request, _("A support case is open for %(name)s.") % {"name": resident}
            )
            return redirect("care:case", pk=case.pk)
    return render(
        request,
        "care/case_open.html",
        {"resident": resident, "form": form, "existing": existing},
    )


def _case_page(request, case, *, notes=None, status=200, **forms):
    """The case with its history and, while it is open, its forms; `forms` holds a bound form
    that failed, `notes` the sessions whose notes were just revealed ({session pk: text})."""
    user = request.user
    counsellors = counsellors_of(case.resident.household.building.community_id)
    sessions = list(case.sessions.select_related("counsellor"))
    notes = notes or {}
    for session in sessions:
        session.revealed = session.pk in notes
        session.notes = notes.get(session.pk, "")
        session.has_notes = bool(session.notes_encrypted)
    context = {
        "case": case,
        "resident": case.resident,
        "sessions": sessions,
        "screenings": list(Screening.objects.filter(resident=case.resident)),
        "can_read_notes": access.can_read_notes(user, case),
        "open": case.status == CaseStatus.OPEN,
        "today": timezone.localdate(),
        "hotline": settings.LINLI_CRISIS_HOTLINE,
        # A refusal on a case closed meanwhile has no form left to show it on.
        "refusals": [e for form in forms.values() for e in form.non_field_errors()],
    }
    if case.status == CaseStatus.OPEN:
        context |= {
            "risk_form": forms.get("risk_form") or RiskForm(initial={"risk": case.risk}),
            "assign_form": forms.get("assign_form")
            or AssignForm(counsellors=counsellors, initial={"counsellor": case.counsellor_id}),
            "session_form": forms.get("session_form") or SessionForm(),
            "refer_form": forms.get("refer_form")
            or ReferForm(initial={"referral": case.referral, "note": case.referral_note}),
            "close_form": forms.get("close_form") or CloseForm(),
            "counsellors": counsellors,
        }
    return render(request, "care/case.html", context, status=status)


@login_required
def case_detail(request, pk):
    case = access.access_case(request.user, pk)
    return _case_page(request, case)


@login_required
@require_POST
def case_notes(request, pk):
    """Reveal the notes of one session (or of all) of the case: one audited read each."""
    user = request.user
    case = access.access_case(user, pk)
    access.require_notes(user, case)
    sessions = case.sessions.all()
    if not request.POST.get("all"):
        sessions = sessions.filter(pk=_int(request.POST.get("session")) or 0)
    notes = {}
    for session in sessions:
        session.case = case  # the audit names the case's community: no query per session
        notes[session.pk] = selectors.session_notes(user=user, session=session)
    return _case_page(request, case, notes=notes)


def _case_action(request, pk, form_class, key, run, done):
    """The shape every case form shares: validate, call the service, say so, back to the case."""
    case = access.access_case(request.user, pk)
    kwargs = (
        {"counsellors": counsellors_of(case.resident.household.building.community_id)}
        if form_class is AssignForm
        else {}
    )
    form = form_class(request.POST, **kwargs)
    if form.is_valid():
        try:
            result = run(case, form.cleaned_data)
        except ApplicationError as exc:
            form.add_application_errors(exc)
        else:
            messages.success(request, done(result))
            return redirect("care:case", pk=case.pk)
    return _case_page(request, case, status=400, **{key: form})


@login_required
@require_POST
def case_risk(request, pk):
    def run(case, data):
        return services.case_set_risk(actor=request.user, case=case, risk=data["risk"])

    return _case_action(
        request,
        pk,
        RiskForm,
        "risk_form",
        run,
        lambda case: _("The risk is now: %(risk)s.") % {"risk": case.get_risk_display()},
    )


@login_required
@require_POST
def case_assign(request, pk):
    def run(case, data):
        community_id = case.resident.household.building.community_id
        counsellor = next(c for c in counsellors_of(community_id) if c.pk == data["counsellor"])
        return services.case_assign(actor=request.user, case=case, counsellor=counsellor)

    return _case_action(
        request,
        pk,
        AssignForm,
        "assign_form",
        run,
        lambda case: _("%(name)s is the counsellor now.") % {"name": case.counsellor},
    )


@login_required
@require_POST
def session_add(request, pk):
    def run(case, data):
        return services.session_record(
            actor=request.user,
            case=case,
            mode=data["mode"],
            minutes=data["minutes"],
            notes=data["notes"],
            at=data["at"],
        )

    return _case_action(
        request,
        pk,
        SessionForm,
        "session_form",
        run,
        lambda session: (
            _("The session is recorded; the next follow-up is due %(date)s.")
            % {"date": session.case.next_due.isoformat()}
        ),
    )


@login_required
@require_POST
def case_refer(request, pk):
    def run(case, data):
        return services.case_refer(
            actor=request.user, case=case, referral=data["referral"], note=data["note"]
        )

    return _case_action(
        request,
        pk,
        ReferForm,
        "refer_form",
        run,
        lambda case: _("Referred to: %(where)s.") % {"where": case.get_referral_display()},
    )


@login_required
@require_POST
def case_close(request, pk):
    def run(case, data):
        return services.case_close(actor=request.user, case=case, outcome=data["outcome"])

    return _case_action(
        request,
        pk,
        CloseForm,
        "close_form",
        run,
        lambda case: (
            _("The case is closed: %(outcome)s.") % {"outcome": case.get_outcome_display()}
        ),
    )


# ------------------------------------------------------------------ group sessions


def _groups_of(user):
    return GroupSession.objects.filter(community__in=access.communities_for(user, "groups"))


def _group_candidates(user, community, audience):
    """Everyone on the community's support list (those matching the audience ticked), and
    for "families of cases" the household members of confirmed and suspected cases."""
    rows = selectors.priority_list(user=user, community=community)
    people = {row["resident"].pk: row["resident"] for row in rows}
    wanted = AUDIENCE_REASONS.get(audience, set())
    ticked = {row["resident"].pk for row in rows if wanted & set(row["reasons"])}
    if audience == Audience.FAMILIES:
        cases = {row["resident"].pk for row in rows if PriorityReason.CASE in row["reasons"]}
        families = (
            area_people(user, "groups")
            .filter(household__residents__in=list(cases))
            .exclude(pk__in=cases)
            .select_related("household__building")
        )
        for person in families.distinct():
            people.setdefault(person.pk, person)
            ticked.add(person.pk)
    candidates = sorted(people.values(), key=lambda r: (r.pk not in ticked, r.name, r.pk))
    prefetch_related_objects(candidates, "household__building", "household__entrance")
    return candidates, ticked


@login_required
def groups(request):
    user = request.user
    access.require(user, "groups")
    sessions = (
        _groups_of(user)
        .select_related("community", "counsellor")
        .annotate(
            invited=Count("attendance"),
            came=Count("attendance", filter=Q(attendance__attended=True)),
        )
        .order_by("-at")
    )
    return render(
        request,
        "care/groups.html",
        {"sessions": list(sessions[:100]), "now": timezone.now()},
    )


@login_required
def group_new(request):
    user = request.user
    access.require(user, "groups")
    params = request.POST if request.method == "POST" else request.GET
    community = area_community(user, "groups", _int(params.get("community")))
    audience = params.get("audience")
    audience = audience if audience in Audience.values else Audience.BEREAVED
    candidates, ticked = _group_candidates(user, community, audience)
    form = GroupForm(
        request.POST or None,
        candidates=candidates,
        initial={
            "audience": audience,
            "title": Audience(audience).label,
            "invite": sorted(ticked),
        },
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        invited = [r for r in candidates if r.pk in set(data["invite"])]
        try:
            group = services.group_session_create(
                actor=user,
                community=community,
                title=data["title"],
                audience=data["audience"],
                at=data["at"],
                mode=data["mode"],
                residents=invited,
            )
        except ApplicationError as exc:
            form.add_application_errors(exc)
        else:
            messages.success(request, _("%(n)d people are invited.") % {"n": len(invited)})
            return redirect("care:group", pk=group.pk)
    return render(
        request,
        "care/group_new.html",
        {
            "form": form,
            "community": community,
            "communities": access.communities_for(user, "groups"),
            "audience": audience,
            "audiences": Audience.choices,
        },
    )


@login_required
def group_detail(request, pk):
    user = request.user
    access.require(user, "groups")
    group = _groups_of(user).filter(pk=pk).select_related("community", "counsellor").first()
    if group is None:
        raise Http404
    invited = list(
        GroupAttendance.objects.filter(session=group)
        .select_related("resident__household__building", "resident__household__entrance")
        .order_by("resident__name", "resident_id")
    )
    form = AttendanceForm(
        request.POST or None,
        invited=invited,
        initial={"came": [row.resident_id for row in invited if row.attended]},
    )
    if request.method == "POST" and form.is_valid():
        came = services.attendance_mark(
            actor=user, group=group, attended_ids=form.cleaned_data["came"]
        )
        messages.success(
            request,
            _("Attendance saved: %(came)d of %(n)d came.") % {"came": came, "n": len(invited)},
        )
        return redirect("care:group", pk=group.pk)
    return render(
        request,
        "care/group.html",
        {"group": group, "invited": invited, "form": form},
    )


# ------------------------------------------------------------------ figures


def _plot(value) -> int:
    # A suppressed count ("<5") is drawn as nothing: drawing it at any height would hint at
    # the number. The table under the chart says "<5".
    return value if isinstance(value, int) else 0


def _week_chart(rows, instrument):
    weeks = [row for row in rows if row["instrument"] == instrument]
    names = [band for _lowest, band in reversed(scoring.BANDS[instrument])]
    series = [(str(Band(name).label), BAND_COLOURS[name]) for name in names]
    # A week with a suppressed band is starred: its bar and total leave those people out.
    return stacked_bar_chart(
        [
            row["week"].strftime("%m-%d")
            + (" *" if any(not isinstance(n, int) for n in row["bands"].values()) else "")
            for row in weeks
        ],
        series,
        [[_plot(row["bands"].get(name, 0)) for name in names] for row in weeks],
        label=_("%(instrument)s screenings by band, per week")
        % {"instrument": Instrument(instrument).label},
        empty=_("No screenings in these weeks."),
    ), names


@login_required
def figures(request):
    user = request.user
    access.require(user, "figures")
    communities = access.communities_for(user, "figures").order_by("pk")
    chosen = _int(request.GET.get("community"))
    shown = communities.filter(pk=chosen) if chosen else communities
    data = selectors.figures(communities=shown)
    charts = []
    for instrument in Instrument.values:
        chart, names = _week_chart(data["screenings"], instrument)
        weeks = [
            {
                "week": row["week"],
                "bands": [row["bands"].get(name, 0) for name in names],
            }
            for row in data["screenings"]
            if row["instrument"] == instrument
        ]
        charts.append(
            {
                "label": Instrument(instrument).label,
                "chart": chart,
                "bands": [Band(name).label for name in names],
                "weeks": weeks,
            }
        )
    return render(
        request,
        "care/figures.html",
        {
            "communities": communities,
            "chosen": chosen,
            "charts": charts,
            "open_by_risk": [
                (risk.label, data["open_by_risk"].get(risk.value, 0)) for risk in Risk
            ],
            "on_time": data["follow_ups_on_time"],
            "late": data["follow_ups_late"],
            "suppress_below": data["suppress_below"],
            "since": timezone.localdate() - dt.timedelta(weeks=6),
        },
    )
