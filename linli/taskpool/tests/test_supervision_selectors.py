"""The supervision figures, on the hand-made week of test_supervision_data."""

from datetime import timedelta

import pytest
from django.http import Http404
from django.utils import timezone

from linli.taskpool import services, supervision
from linli.taskpool.choices import TaskKind
from linli.taskpool.supervision import Period
from linli.taskpool.tests.test_supervision_data import at, build_week, finished
from linli.workforce.choices import Force


@pytest.fixture
def week(world):
    return build_week(world)


def rows_by_name(figures):
    return {row["worker"].name: row for row in figures["workers"]}


def test_worker_figures_for_the_community(world, week):
    figures = supervision.worker_figures(user=world.user("staff"), period=Period.last_days(7))
    rows = rows_by_name(figures)
    assert set(rows) == {"李干部", "赵干部", "吴志愿"}
    li = rows["李干部"]
    assert (li["done"], li["failed"], li["on_time"], li["on_time_pct"]) == (3, 1, 2, 67)
    assert li["median_minutes"] == 60
    assert li["rating"] == 4.0 and li["rated"] == 2
    assert li["minutes"] == 20 + 30 + 60  # the estimates the completions logged today
    assert li["days_active"] == 4
    zhao = rows["赵干部"]
    assert (zhao["done"], zhao["minutes"], zhao["days_active"]) == (0, 120, 1)
    assert zhao["on_time_pct"] is None and zhao["median_minutes"] is None
    wu = rows["吴志愿"]  # T6 was 20 days ago: outside the period
    assert (wu["done"], wu["on_time_pct"], wu["median_minutes"], wu["rating"]) == (2, 100, 55, 4)


def test_force_figures_combine_their_workers(world, week):
    figures = supervision.worker_figures(user=world.user("staff"), period=Period.last_days(7))
    forces = {row["force"]: row for row in figures["forces"]}
    assert set(forces) == {Force.CADRE, Force.VOLUNTEER}
    cadre = forces[Force.CADRE]
    assert (cadre["workers"], cadre["active"], cadre["done"], cadre["failed"]) == (2, 2, 3, 1)
    assert cadre["on_time_pct"] == 67 and cadre["median_minutes"] == 60
    assert cadre["hours"] == round((110 + 120) / 60, 1)
    total = figures["total"]
    # The median of all five done tasks (60, 180, 30, 90, 20 minutes), not a mean of medians.
    assert total["done"] == 5 and total["median_minutes"] == 60
    assert total["rating"] == 4.0 and total["rated"] == 3


def test_a_longer_period_takes_in_older_tasks(world, week):
    figures = supervision.worker_figures(user=world.user("staff"), period=Period.last_days(30))
    assert rows_by_name(figures)["吴志愿"]["done"] == 3


def test_grid_worker_figures_are_their_grids(world, week):
    # The grid worker is on the roster too, so the pool shows them the community's open tasks
    # to claim; their figures must still be their grid's.
    from linli.workforce.testing import make_worker

    make_worker(world.user("grid_a"), Force.GRID_WORKER, world.community, grid=world.grid_a)
    figures = supervision.worker_figures(user=world.user("grid_a"), period=Period.last_days(7))
    rows = rows_by_name(figures)
    assert "赵干部" not in rows  # no task in grid A, not on grid A's roster
    li = rows["李干部"]
    assert (li["done"], li["failed"], li["on_time"], li["median_minutes"]) == (2, 0, 1, 120)
    assert rows["吴志愿"]["done"] == 1


def test_people_who_supervise_nothing_get_404(world, week):
    for name in ("cadre", "volunteer", "property", "resident", "leader_a1", "outsider"):
        with pytest.raises(Http404):
            supervision.worker_figures(user=world.user(name), period=Period.last_days(7))


def test_cadre_assessment_has_a_plain_summary_and_filters_by_unit(world, week):
    assessment = supervision.cadre_assessment(user=world.user("staff"), period=Period.last_days(7))
    rows = rows_by_name(assessment)
    assert set(rows) == {"李干部", "赵干部"}
    summary = rows["李干部"]["summary"]
    assert summary.startswith("李干部 (区民政局): Active on 4 of 7 days, 1.8 h worked.")
    assert "Finished 3 tasks (1 failed); 67% on time." in summary
    assert "within 1.0 h of being opened" in summary and "4.0 out of 5 (2 ratings)" in summary
    assert "Finished no task" in rows["赵干部"]["summary"]
    one = supervision.cadre_assessment(
        user=world.user("staff"), period=Period.last_days(7), unit="区教育局"
    )
    assert [r["worker"].name for r in one["workers"]] == ["赵干部"]
    assert supervision.cadre_units(user=world.user("staff")) == ["区教育局", "区民政局"]


def test_cadre_tasks_are_their_finished_tasks_in_the_period(world, week):
    tasks = list(supervision.cadre_tasks(user=world.user("staff"), period=Period.last_days(7)))
    assert {t.pk for t in tasks} == {week.tasks[k].pk for k in ("T1", "T2", "T3", "T4")}


def test_open_tasks_by_age_and_grid(world, week):
    ages = supervision.open_by_age_and_grid(user=world.user("staff"))
    by_grid = {row["name"]: row["counts"] for row in ages["grids"]}
    # T8 opened half an hour ago (under 2 h), T7 two days ago (over 24 h); both grid A.
    assert by_grid == {"第一网格": [1, 0, 0, 1]}
    assert ages["totals"] == [1, 0, 0, 1] and ages["total"] == 2
    assert supervision.open_by_age_and_grid(user=world.user("grid_b"))["total"] == 0


def test_overdue_list(world, week):
    assert list(supervision.overdue_tasks(user=world.user("staff"))) == [week.tasks["T7"]]
    assert list(supervision.overdue_tasks(user=world.user("grid_b"))) == []


def test_workload_shows_live_tasks_hours_and_cap(world, week):
    rows = {r["worker"].name: r for r in supervision.workload(user=world.user("staff"))}
    wu = rows["吴志愿"]
    assert wu["live"] == 1  # T7
    assert wu["cap"] == 20  # a volunteer's default cap
    assert rows["李干部"]["minutes"] == 110 and rows["李干部"]["live"] == 0
    assert not wu["over_cap"]


def test_workload_flags_a_worker_over_the_cap(world, week):
    from linli.workforce.models import HoursEntry

    HoursEntry.objects.create(worker=week.wu, day=timezone.localdate(), minutes=21 * 60)
    rows = {r["worker"].name: r for r in supervision.workload(user=world.user("staff"))}
    assert rows["吴志愿"]["over_cap"] and rows["吴志愿"]["cap_pct"] > 100
    assert supervision.workload(user=world.user("staff"))[0]["worker"].name == "吴志愿"


def test_coverage_counts_visits_to_the_person_or_the_whole_household(world, week):
    cover = supervision.coverage(user=world.user("staff"), days=7)
    assert (cover["people"], cover["visited"], cover["pct"]) == (3, 1, 33)
    grids = {row["grid_name"]: (row["people"], row["visited"]) for row in cover["grids"]}
    assert grids == {"第一网格": (2, 1), "第二网格": (1, 0)}
    missed = {r.name for r in supervision.not_visited(user=world.user("staff"), days=7)}
    # 李芳's husband had a visit by name: that is not hers.
    assert missed == {"陈明", "李芳"}
    # A visit to 陈明's flat as a whole counts for him.
    finished(
        world,
        week.wu,
        kind=TaskKind.CHECK_VISIT,
        household=world.residents["chen"].household,
        created=at(1, hour=12),
        took=10,
    )
    assert supervision.coverage(user=world.user("staff"), days=7)["visited"] == 2


def test_coverage_window_in_days(world, week):
    # 王秀英's visit was three days ago.
    assert supervision.coverage(user=world.user("staff"), days=2)["visited"] == 0
    assert supervision.coverage(user=world.user("staff"), days=4)["visited"] == 1


def test_coverage_of_a_grid_worker_is_their_grid(world, week):
    cover = supervision.coverage(user=world.user("grid_b"), days=7)
    assert (cover["people"], cover["visited"]) == (1, 0)
    assert [r.name for r in supervision.not_visited(user=world.user("grid_b"))] == ["陈明"]


def test_vulnerable_groups_of_a_resident(world, week):
    rows = {r.name: r for r in supervision.not_visited(user=world.user("staff"), days=1)}
    assert supervision.vulnerable_groups_of(rows["王秀英"]) == [
        "Aged 60+ living alone",
        "Without family",
    ]
    assert supervision.vulnerable_groups_of(rows["陈明"]) == ["On dialysis"]


def test_daily_report_for_yesterday(world, week):
    yesterday = timezone.localdate() - timedelta(days=1)
    report = supervision.daily_report(user=world.user("staff"), day=yesterday)
    assert report["tasks"] == {"created": 4, "done": 3, "failed": 1, "overdue": 1}
    kinds = {str(row["label"]): row for row in report["kinds"]}
    assert kinds["Escort / transport"]["failed"] == 1
    assert kinds["Food and supplies delivery"]["overdue"] == 1  # T7, due yesterday 08:00
    grids = {row["label"]: row for row in report["grids"]}
    assert grids["第二网格"]["created"] == 3 and grids["第一网格"]["overdue"] == 1
    forces = {str(row["label"]): row for row in report["forces"]}
    assert forces["Dispatched cadre"] == {"label": "Dispatched cadre", "workers": 1, "hours": 2.0}
    assert report["workers_active"] == 1
    assert report["registry"]["total"] == 5
    assert [item.kind for item in report["ppe_low"]] == ["mask"]
    assert report["coverage"]["people"] == 3


def test_daily_report_counts_a_task_finished_late_as_overdue_that_day(world, week):
    # T7, due yesterday 08:00, is finished today: it was still overdue at yesterday's end,
    # and today it is not overdue any more.
    t7 = week.tasks["T7"]
    services.task_accept(actor=week.wu.user, worker=week.wu, task=t7)
    services.task_complete(actor=week.wu.user, worker=week.wu, task=t7)
    yesterday = timezone.localdate() - timedelta(days=1)
    staff = world.user("staff")
    assert supervision.daily_report(user=staff, day=yesterday)["tasks"]["overdue"] == 1
    assert supervision.daily_report(user=staff, day=timezone.localdate())["tasks"]["overdue"] == 0
