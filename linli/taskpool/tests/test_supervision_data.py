"""A small hand-made week of work for the supervision tests (no tests here, only the data).

Times are anchored at 10:00 on the days before today, so every figure is known in advance:

cadre Li (区民政局, driver), in the last 7 days:
  T1 check-on visit to 王秀英 (grid A), 3 days ago, done in 60 min, due in 120: on time, rated 5
  T2 delivery to household A1-1-301 (grid A), 2 days ago, done in 180 min, due in 120: late, rated 3
  T3 disinfection of building 3 (grid B), yesterday, done in 30 min, no due time: on time
  T4 escort of 陈明 (grid B), yesterday, failed ("car broke down")
  -> done 3, failed 1, on time 2 (67%), median 60 min, rating 4.0 (2 ratings), 110 min of hours
     logged today by the completions, active on 4 days (3 days ago, 2 days ago, yesterday, today)
cadre Zhao (区教育局): no task, 120 min of hours entered by staff yesterday.
volunteer Wu: T5 delivery to 陈明's household (grid B), yesterday, done in 90 min, rated 4;
  T6 done 20 days ago (outside the period).
live: T7 delivery to 王秀英, opened 2 days ago, due yesterday 08:00 (overdue), owned by Wu;
      T8 disinfection of building 2 (grid A), opened 30 min ago, open.
Vulnerable: 王秀英 (aged 60+ alone, without family; visited 3 days ago), 陈明 (dialysis, tag
added here; not visited), 李芳 (disabled, tag added here; lives with 张伟, who alone had a visit).
"""

from dataclasses import dataclass
from datetime import datetime, time, timedelta

from django.utils import timezone

from linli.residents.models import ResidentTag
from linli.taskpool import services
from linli.taskpool.choices import TaskKind
from linli.taskpool.models import Task
from linli.testing import make_user
from linli.workforce.choices import Force, PpeKind
from linli.workforce.models import HoursEntry, PpeItem, Worker
from linli.workforce.testing import make_worker


@dataclass
class Week:
    li: Worker
    zhao: Worker
    wu: Worker
    tasks: dict


def at(days_ago: int, minutes: int = 0, hour: int = 10) -> datetime:
    day = timezone.localdate() - timedelta(days=days_ago)
    return timezone.make_aware(datetime.combine(day, time(hour))) + timedelta(minutes=minutes)


def finished(world, worker, *, kind, created, took, due=None, rating=None, fail=None, **target):
    """A task created, taken and finished through the services, then moved to the hand-made
    times (the services stamp 'now')."""
    staff = world.user("staff")
    task, _merged = services.task_create(actor=staff, kind=kind, title=f"{kind} test", **target)
    services.task_assign(actor=staff, task=task, worker=worker)
    services.task_accept(actor=worker.user, worker=worker, task=task)
    if fail:
        services.task_fail(actor=worker.user, worker=worker, task=task, reason=fail)
    else:
        services.task_complete(actor=worker.user, worker=worker, task=task, note="ok")
        if rating:
            services.task_confirm(actor=staff, task=task, rating=rating)
    Task.objects.filter(pk=task.pk).update(
        created_at=created, done_at=created + timedelta(minutes=took), due_at=due
    )
    task.refresh_from_db()
    return task


def build_week(world) -> Week:
    li = make_worker(
        make_user("li_cadre"),
        Force.CADRE,
        world.community,
        name="李干部",
        organisation="区民政局",
        skills=["driving"],
    )
    zhao = make_worker(
        make_user("zhao_cadre"),
        Force.CADRE,
        world.community,
        name="赵干部",
        organisation="区教育局",
    )
    wu = make_worker(make_user("wu_volunteer"), Force.VOLUNTEER, world.community, name="吴志愿")
    r = world.residents
    ResidentTag.objects.create(resident=r["chen"], tag="dialysis")
    ResidentTag.objects.create(resident=r["zhang_wife"], tag="disabled")
    t = {}
    t["T1"] = finished(
        world,
        li,
        kind=TaskKind.CHECK_VISIT,
        resident=r["wang"],
        created=at(3),
        took=60,
        due=at(3, 120),
        rating=5,
    )
    t["T2"] = finished(
        world,
        li,
        kind=TaskKind.DELIVERY,
        household=r["zhang"].household,
        created=at(2),
        took=180,
        due=at(2, 120),
        rating=3,
    )
    t["T3"] = finished(
        world, li, kind=TaskKind.DISINFECTION, building=world.building_b1, created=at(1), took=30
    )
    t["T4"] = finished(
        world,
        li,
        kind=TaskKind.ESCORT,
        resident=r["chen"],
        created=at(1),
        took=45,
        due=at(1, 240),
        fail="car broke down",
    )
    t["T5"] = finished(
        world,
        wu,
        kind=TaskKind.DELIVERY,
        household=r["chen"].household,
        created=at(1),
        took=90,
        rating=4,
    )
    t["T6"] = finished(
        world, wu, kind=TaskKind.PEST, building=world.building_a1, created=at(20), took=30
    )
    # A visit to 张伟 by name: not a visit to his wife 李芳.
    t["visit_zhang"] = finished(
        world, wu, kind=TaskKind.CHECK_VISIT, resident=r["zhang"], created=at(1), took=20
    )
    staff = world.user("staff")
    t7, _m = services.task_create(
        actor=staff, kind=TaskKind.DELIVERY, title="food", resident=r["wang"], due_at=at(1, -120)
    )
    services.task_assign(actor=staff, task=t7, worker=wu)
    Task.objects.filter(pk=t7.pk).update(created_at=at(2))
    t["T7"] = t7
    t["T8"], _m = services.task_create(
        actor=staff, kind=TaskKind.DISINFECTION, title="stairs", building=world.building_a2
    )
    # Half an hour ago, but never before midnight: the daily report counts today's tasks.
    recent = max(timezone.now() - timedelta(minutes=30), at(0, hour=0))
    Task.objects.filter(pk=t["T8"].pk).update(created_at=recent)
    HoursEntry.objects.create(
        worker=zhao, day=timezone.localdate() - timedelta(days=1), minutes=120, note="meeting"
    )
    PpeItem.objects.create(community=world.community, kind=PpeKind.MASK, stock=10, low_threshold=50)
    PpeItem.objects.create(
        community=world.community, kind=PpeKind.GLOVES, stock=100, low_threshold=50
    )
    return Week(li=li, zhao=zhao, wu=wu, tasks=t)
