"""Load the demo's psychological support (a `linli.demo.care` plan) into the database.

Called by linli.demo.services.demo_seed after the outbreak is loaded (the bereaved tags and the
quarantines the priority list reads are there by then). The rows go in bulk, as the care
services would have left them: counselling notes encrypted with the field key, each case's
next follow-up by its risk. Three things go through the services themselves, so that the demo
shows the real thing: the urgent call of the self-harm screening four days ago (created,
taken and done in the task pool, then dated back), today's follow-up round
(`followups_due`), and the self-harm screening submitted as the demo is loaded (its urgent
task, the counsellor's alert, its case).
"""

import datetime as dt
from collections import Counter

from django.utils import timezone
from django.utils.translation import gettext as _

from linli.care import services as care_services
from linli.care.choices import FOLLOW_UP_DAYS, CaseStatus
from linli.care.models import (
    CareCase,
    CareSession,
    GroupAttendance,
    GroupSession,
    PriorityFlag,
    Screening,
)
from linli.core.crypto import encrypt
from linli.demo import care as care_plan_module
from linli.demo.care import CarePlan
from linli.demo.engine import Plan
from linli.demo.epidemic import EpidemicPlan
from linli.taskpool import services as pool
from linli.taskpool.choices import Priority, Source, TaskKind
from linli.taskpool.models import Task, TaskEvent, TaskRequest
from linli.workforce.models import HoursEntry, Worker


def load_care_support(
    rows, plan: Plan, epi: EpidemicPlan, care_plan: CarePlan, *, now: dt.datetime
) -> dict:
    """Load `care_plan` (drawn from `plan` and `epi`) for the community in `rows` (the demo
    loader's rows by plan index). Returns summary counts for the seed's summary."""
    people, users = rows.residents, rows.users

    def user(username):
        return users[username] if username else None

    cases = CareCase.objects.bulk_create(
        [
            CareCase(
                resident=people[c.person],
                counsellor=user(c.counsellor),
                risk=c.risk,
                status=CaseStatus.CLOSED if c.closed else CaseStatus.OPEN,
                reason=c.reason,
                follow_up_days=FOLLOW_UP_DAYS[c.risk],
                next_due=c.next_due(),
                referral=c.referral,
                referral_note=c.referral_note,
                opened_by=user(care_plan_module.COUNSELLOR),
                opened_at=c.opened,
                closed_at=c.closed,
                outcome=c.outcome,
            )
            for c in care_plan.cases
        ]
    )
    planned = [
        (case, c, s) for case, c in zip(cases, care_plan.cases, strict=True) for s in c.sessions
    ]
    sessions = CareSession.objects.bulk_create(
        [
            CareSession(
                case=case,
                at=s.at,
                mode=s.mode,
                minutes=s.minutes,
                # The most sensitive data in Linli: never stored in the clear, demo or not.
                notes_encrypted=encrypt(s.notes),
                counsellor=user(c.counsellor),
            )
            for case, c, s in planned
        ]
    )
    _date_back(sessions, "created_at", [s.at for _case, _c, s in planned])

    loaded = [s for s in care_plan.screenings if not s.live]
    scores = [s.score for s in loaded]
    Screening.objects.bulk_create(
        [
            Screening(
                resident=people[s.person],
                instrument=s.instrument,
                answers=list(s.answers),
                total=score.total,
                band=score.band,
                self_harm=score.self_harm,
                risk=score.risk,
                source=s.source,
                by=user(s.by),
                at=s.at,
                case=cases[s.case] if s.case is not None else None,
            )
            for s, score in zip(loaded, scores, strict=True)
        ]
    )

    flags = PriorityFlag.objects.bulk_create(
        [
            PriorityFlag(resident=people[f.person], reason=f.reason, added_by=user(f.by))
            for f in care_plan.flags
        ]
    )
    _date_back(flags, "added_at", [f.at for f in care_plan.flags])

    attended = 0
    for g in care_plan.groups:
        group = GroupSession.objects.create(
            community=rows.community,
            title=g.title,
            audience=g.audience,
            at=g.at,
            mode=g.mode,
            counsellor=user(g.counsellor),
        )
        _date_back([group], "created_at", [g.at - dt.timedelta(days=1)])
        came = set(g.attended)
        GroupAttendance.objects.bulk_create(
            [
                GroupAttendance(session=group, resident=people[p], attended=p in came)
                for p in g.invited
            ]
        )
        attended += len(came)

    _urgent_call_done(rows, care_plan)
    # Today's follow-up round (the care app's daily job): a task for every follow-up due.
    followups = care_services.followups_due(today=timezone.localdate(now), community=rows.community)
    live = [_submit_live(rows, s) for s in care_plan.screenings if s.live]

    all_scores = scores + [outcome.screening for outcome in live]
    open_cases = sum(c.closed is None for c in care_plan.cases) + sum(
        outcome.case is not None for outcome in live
    )
    return {
        "care_screenings": len(all_scores),
        "care_bands": dict(sorted(Counter(s.band for s in all_scores).items())),
        "care_self_harm": sum(s.self_harm for s in all_scores),
        "care_cases_open": open_cases,
        "care_cases_closed": sum(c.closed is not None for c in care_plan.cases),
        "care_sessions": len(sessions),
        "care_flags": len(flags),
        "care_group_attended": attended,
        "care_followups": followups,
    }


def _date_back(objects: list, name: str, values: list) -> None:
    """auto_now_add stamps the present; the demo's history happened earlier. A few dozen rows:
    one UPDATE each is plenty."""
    for obj, value in zip(objects, values, strict=True):
        type(obj).objects.filter(pk=obj.pk).update(**{name: value})
        setattr(obj, name, value)


def _urgent_call_done(rows, care_plan: CarePlan) -> None:
    """The self-harm screening on a call four days ago: its urgent counselling task, taken by
    counsellor1 and done within the hour, through the task pool's services; then dated back to
    when it happened (the pool stamps the present)."""
    s = care_plan.screenings[care_plan.urgent_done]
    resident = rows.residents[s.person]
    counsellor = rows.users[care_plan_module.COUNSELLOR]
    task, merged = pool.task_create(
        actor=counsellor,
        kind=TaskKind.COUNSELLING,
        title=(_("URGENT: call %(name)s now (thoughts of self-harm)") % {"name": resident.name})[
            :120
        ],
        source=Source.MODULE,
        resident=resident,
        priority=Priority.URGENT,
        due_at=s.at + care_services.URGENT_WITHIN,
    )
    if merged:  # a live counselling task of the pool's own history took it: leave that be
        return
    worker = Worker.objects.get(user=counsellor)
    pool.task_assign(actor=counsellor, task=task, worker=worker)
    pool.task_accept(actor=counsellor, worker=worker, task=task)
    pool.task_start(actor=counsellor, worker=worker, task=task)
    pool.task_complete(
        actor=counsellor, worker=worker, task=task, note=care_plan_module.URGENT_RESULT
    )
    minutes = care_plan_module.URGENT_CALL
    started = s.at + dt.timedelta(minutes=minutes["started"])
    done = s.at + dt.timedelta(minutes=minutes["done"])
    Task.objects.filter(pk=task.pk).update(
        created_at=s.at, started_at=started, done_at=done, updated_at=done
    )
    TaskRequest.objects.filter(task=task).update(created_at=s.at)
    times = {
        "create": s.at,
        "assign": s.at + dt.timedelta(minutes=minutes["assigned"]),
        "accept": s.at + dt.timedelta(minutes=minutes["assigned"]),
        "start": started,
        "complete": done,
    }
    for event in TaskEvent.objects.filter(task=task):
        TaskEvent.objects.filter(pk=event.pk).update(created_at=times.get(event.action, done))
    HoursEntry.objects.filter(task=task).update(
        day=timezone.localdate(done), minutes=minutes["done"] - minutes["started"]
    )


def _submit_live(rows, s) -> care_services.ScreeningOutcome:
    """A resident fills in the PHQ-9 on their phone as the demo loads: the care services score
    it, open the case, put the urgent call in the pool and alert the counsellors; counsellor1
    then takes the case."""
    counsellor = rows.users[care_plan_module.COUNSELLOR]
    outcome = care_services.screening_submit(
        actor=None,
        resident=rows.residents[s.person],
        instrument=s.instrument,
        answers=list(s.answers),
        source=s.source,
    )
    if outcome.case is not None:
        outcome.case = care_services.case_assign(
            actor=counsellor, case=outcome.case, counsellor=counsellor
        )
    return outcome
