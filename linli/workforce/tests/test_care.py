"""Worker care (S13): over the weekly hour cap, and no rest day in seven."""

from datetime import timedelta

from django.utils import timezone

from linli.workforce import selectors
from linli.workforce.models import HoursEntry


def log(worker, days_ago, minutes):
    HoursEntry.objects.create(
        worker=worker, day=timezone.localdate() - timedelta(days=days_ago), minutes=minutes
    )


def test_over_cap_and_no_rest_are_flagged(world, crew, as_user):
    today = timezone.localdate()
    li, vol, staff = crew["li"], crew["volunteer"], crew["staff"]
    # 李强 (cap 20 h) logs 21 hours this week, today only.
    log(li, 0, 21 * 60)
    # The volunteer worked each of the last 7 days, one hour a day.
    for day in range(7):
        log(vol, day, 60)
    # Staff worked 6 days running, then rested: no alert; exactly at the cap: no alert.
    for day in range(1, 7):
        log(staff, day, 60)

    care = selectors.care_overview(community_id=world.community.pk, today=today)
    assert [w.name for w in care["over_cap"]] == ["李强"]
    assert [w.name for w in care["no_rest"]] == ["volunteer"]
    assert care["no_rest"][0].days_without_rest == 7

    page = as_user("grid_a").get("/workforce/care/").content.decode()
    over = page.split('id="over-cap"')[1].split("</section>")[0]
    rest = page.split('id="no-rest"')[1].split("</section>")[0]
    assert "李强" in over and "volunteer" not in over
    assert "volunteer" in rest and "李强" not in rest and "staff" not in rest


def test_cap_counts_from_monday_and_rest_breaks_the_run(world, crew):
    li = crew["li"]
    today = timezone.localdate()
    monday = today - timedelta(days=today.weekday())
    # 30 hours last week do not count this week.
    HoursEntry.objects.create(worker=li, day=monday - timedelta(days=1), minutes=15 * 60)
    HoursEntry.objects.create(worker=li, day=monday - timedelta(days=2), minutes=15 * 60)
    load = selectors.worker_load(li, today=today)
    assert load["minutes"] == 0 and not load["over_cap"]
    # Six days on, a day off, then today: the run is one day.
    for days_ago in [0, *range(2, 8)]:
        HoursEntry.objects.create(
            worker=li, day=today - timedelta(days=days_ago), minutes=30, note=str(days_ago)
        )
    assert selectors.worker_load(li, today=today)["days_without_rest"] == 1


def test_exactly_at_the_cap_is_not_over(world, crew):
    li = crew["li"]
    HoursEntry.objects.create(worker=li, day=timezone.localdate(), minutes=20 * 60)
    assert not selectors.worker_load(li)["over_cap"]
    HoursEntry.objects.create(worker=li, day=timezone.localdate(), minutes=1)
    assert selectors.worker_load(li)["over_cap"]
