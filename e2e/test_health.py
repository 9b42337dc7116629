"""Trajectories and the big-data cross-check (issue 5, "Done when"): check-in by a place's QR
code on a phone, and the review of an external list linked to the registry; then a tracing run
from the pages.

1. Staff print a shop's poster with its QR code; a resident opens the code's URL on a phone,
   logs in, taps "I am entering" (twice: one visit), then "I am leaving"; staff see the shop in
   the resident's trajectory.
2. Staff upload a GBK CSV of confirmed cases (a homophone of a resident, an outsider), map its
   columns, run the linkage, accept the match: the resident is a confirmed case and a check-on
   task is in the pool; the outsider stays among the unmatched rows.
3. Staff trace the contacts of a confirmed case and confirm one from the review list.

Selectors follow the page structure (form actions, classes, ids), not words: the pages open in
Chinese, whatever translations are added later.
"""

import datetime as dt
import re
from datetime import date
from pathlib import Path

import segno
from django.utils import timezone
from playwright.sync_api import expect

from linli.health.choices import HealthStatus
from linli.health.services import current_status, status_change
from linli.places.models import PublicPlace
from linli.residents.idnumber import make_id_number
from linli.taskpool.choices import TaskKind
from linli.taskpool.models import Task
from linli.testing import PASSWORD
from linli.tracing.choices import CheckInSource, Review
from linli.tracing.models import CheckIn, CrossCheck, CrossCheckMatch, TraceContact
from linli.tracing.qr import checkin_path

# 张伟 of building 1, room 301, in linli.testing's registry; 赵四 lives elsewhere.
ZHANG_ID = make_id_number("420106", date(1950, 3, 8), 11)
OUTSIDER_ID = make_id_number("110101", date(1990, 7, 7), 77)
ARTIFACTS = Path(__file__).parent / "artifacts"


def fits_the_screen(page) -> bool:
    """Nothing wider than the phone: no sideways scrolling."""
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")


def masked(number: str) -> str:
    return number[:4] + "*" * 10 + number[-4:]


def qr_paths(svg_markup: str) -> list[str]:
    return re.findall(r'<path[^>]* d="([^"]+)"', svg_markup)


def test_a_resident_checks_in_and_out_by_the_posters_qr_code_on_a_phone(
    world, page, phone, live_server, login, console_errors
):
    place = PublicPlace.objects.create(
        kind="shop",
        name="惠民超市",
        x=220,
        y=120,
        community=world.community,
        grid=world.grid_a,
    )
    zhang = world.residents["zhang"]
    path = checkin_path(place.pk)

    # 1. Staff open the shop's poster: its QR code holds the short check-in URL.
    login("staff")
    page.goto(f"{live_server.url}/tracing/places/{place.pk}/poster")
    poster = page.locator("article.poster")
    expect(poster.locator("h1")).to_have_text(place.name)
    code = poster.locator("figure.qr svg")
    expect(code).to_be_visible()
    box = code.bounding_box()
    assert box["width"] >= 200 and abs(box["width"] - box["height"]) < 1  # scannable at a door
    url = f"{live_server.url}{path}"
    expect(poster.locator("code")).to_have_text(url)
    # The code drawn is the one segno makes for that URL (error level Q, as printed).
    drawn = qr_paths(code.evaluate("svg => svg.outerHTML"))
    assert drawn == qr_paths(segno.make(url, error="q").svg_inline(scale=10, border=2))

    # 2. The resident scans it: the phone opens the URL, is sent to log in, and comes back.
    phone.goto(url)
    expect(phone).to_have_url(re.compile(r"/accounts/login/\?next="))
    phone.fill("input[name=username]", "resident")
    phone.fill("input[name=password]", PASSWORD)
    phone.click("form.stack button.primary")
    expect(phone).to_have_url(re.compile(re.escape(path) + "$"))
    expect(phone.locator("main h1")).to_contain_text(place.name)
    # Themselves ticked, their wife offered: one tap checks in the one who scanned.
    people = phone.locator("input[name=people]")
    expect(people).to_have_count(2)
    expect(phone.locator(f"input[name=people][value='{zhang.pk}']")).to_be_checked()
    assert fits_the_screen(phone)

    enter = phone.locator("form:has(input[name=action][value=enter]) button.primary")
    enter.click()
    expect(phone.locator("p.flash.success")).to_contain_text(zhang.name)
    here = phone.locator("form:has(input[name=action][value=leave])")
    expect(here.locator("input[name=checkins]")).to_have_count(1)
    checkin = CheckIn.objects.get()
    assert (checkin.resident, checkin.place, checkin.source) == (zhang, place, CheckInSource.SCAN)
    assert checkin.left_at is None
    assert fits_the_screen(phone)
    ARTIFACTS.mkdir(exist_ok=True)
    phone.screenshot(path=ARTIFACTS / "health-checkin-phone.png", full_page=True)

    # A second tap, and an impatient double tap (which Chromium sends once), are the same visit.
    enter.click()
    expect(phone.locator("p.flash.success")).to_contain_text(zhang.name)
    enter.dblclick()
    expect(phone.locator("p.flash.success").first).to_be_visible()
    phone.wait_for_load_state()
    assert CheckIn.objects.count() == 1

    # 3. Leaving: the visit gets its exit, and the page no longer says they are here.
    here.locator("button.primary").click()
    expect(phone.locator("p.flash.success")).to_contain_text(zhang.name)
    expect(phone.locator("form:has(input[name=action][value=leave])")).to_have_count(0)
    checkin.refresh_from_db()
    assert checkin.left_at is not None and checkin.left_at >= checkin.entered_at
    assert CheckIn.objects.count() == 1

    # 4. Staff open the resident's trajectory: the shop in the timeline, with both times.
    page.goto(f"{live_server.url}/tracing/residents/{zhang.pk}/trajectory")
    visit = page.locator("table.list tbody tr", has_text=place.name)
    expect(visit).to_have_count(1)
    expect(visit).to_contain_text(timezone.localtime(checkin.entered_at).strftime("%H:%M"))
    expect(visit).to_contain_text(timezone.localtime(checkin.left_at).strftime("%H:%M"))
    expect(visit).not_to_contain_text("~")  # the exit was recorded, not inferred
    expect(page.locator("figure.delivery-map svg")).to_be_visible()
    assert console_errors == []


def test_staff_cross_check_a_gbk_list_and_accept_a_homophone_match(
    world, page, live_server, login, console_errors, tmp_path
):
    zhang = world.residents["zhang"]
    listing = tmp_path / "确诊名单.csv"
    listing.write_bytes(
        "\r\n".join(
            [
                "姓名,身份证号,手机",
                f"张玮,{ZHANG_ID},13800000011",  # 张伟 by a homophone, the same ID number
                f"赵四,{OUTSIDER_ID},13512345678",  # lives elsewhere
                "",
            ]
        ).encode("gbk")
    )

    # 1. Upload: the community is the staff member's only one, so only the list is asked.
    login("staff")
    page.goto(f"{live_server.url}/crosschecks/")
    page.locator("a.button.primary[href$='/crosschecks/new/']").click()
    form = page.locator("main form.stack")
    form.locator("input[name=file]").set_input_files(listing)
    form.locator("select[name=list_kind]").select_option("confirmed_cases")
    form.locator("button.primary").click()

    # 2. The column mapping, guessed from the Chinese headers; the preview masks ID numbers.
    expect(page).to_have_url(re.compile(r"/crosschecks/\d+/map/$"))
    crosscheck = CrossCheck.objects.get()
    assert (crosscheck.encoding.lower(), crosscheck.row_count) == ("gbk", 2)
    expect(page.locator("select[name=name]")).to_have_value("姓名")
    expect(page.locator("select[name=id_number]")).to_have_value("身份证号")
    expect(page.locator("select[name=phone]")).to_have_value("手机")
    preview = page.locator("table.crosscheck-preview")
    expect(preview).to_contain_text("张玮")
    expect(preview).to_contain_text(masked(ZHANG_ID))
    expect(preview).not_to_contain_text(ZHANG_ID)
    page.locator("main form.stack button.primary").click()

    # 3. The review (the job runs while the page polls it, or is done already).
    expect(page).to_have_url(re.compile(rf"/crosschecks/{crosscheck.pk}/(\?.*)?$"))
    match = page.locator("article.crosscheck-match")
    expect(match).to_have_count(1, timeout=30_000)
    found = CrossCheckMatch.objects.get()
    assert found.resident == zhang and found.probability >= 0.9
    expect(match.locator("h3")).to_contain_text(zhang.name)
    expect(match.locator("h3")).to_contain_text(f"{found.probability:.3f}")
    evidence = match.locator("table.crosscheck-evidence")
    expect(evidence).to_contain_text("张玮")
    expect(evidence).to_contain_text(masked(ZHANG_ID))
    expect(page.locator("main")).not_to_contain_text(ZHANG_ID)
    unmatched = page.locator("table.crosscheck-rows tbody tr")
    expect(unmatched).to_have_count(1)
    expect(unmatched).to_contain_text("赵四")
    expect(unmatched).to_contain_text(masked(OUTSIDER_ID))
    expect(page.locator("main")).not_to_contain_text(OUTSIDER_ID)
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=ARTIFACTS / "health-crosscheck-review.png", full_page=True)

    # 4. Accept: 张伟 is a confirmed case now, with an urgent check-on task in the pool.
    match.locator(f"form[action$='/matches/{found.pk}/accept/'] button").click()
    expect(page.locator("p.flash.success")).to_contain_text(zhang.name)
    expect(page.locator("article.crosscheck-match")).to_have_count(0)  # nothing left to review
    found.refresh_from_db()
    assert found.review == Review.CONFIRMED and found.reviewed_by == world.user("staff")
    assert current_status(zhang) == HealthStatus.CONFIRMED
    task = Task.objects.get(resident=zhang)
    assert task.kind == TaskKind.CHECK_VISIT and zhang.name in task.title

    page.locator("nav.subnav a[href='?show=confirmed']").click()
    accepted = page.locator(f"article#match-{found.pk}")
    expect(accepted).to_contain_text(str(HealthStatus.CONFIRMED.label))
    expect(accepted.locator("form[action$='/accept/']")).to_have_count(0)
    expect(accepted.locator("form[action$='/reject/']")).to_have_count(0)
    expect(page.locator("table.crosscheck-rows tbody tr")).to_contain_text("赵四")
    assert console_errors == []


def test_staff_trace_a_confirmed_case_and_confirm_a_contact(
    world, page, live_server, login, console_errors
):
    staff = world.user("staff")
    zhang, chen, wang = (world.residents[n] for n in ("zhang", "chen", "wang"))
    shop = PublicPlace.objects.create(
        kind="shop", name="惠民超市", x=220, y=120, community=world.community, grid=world.grid_a
    )
    square = PublicPlace.objects.create(
        kind="square", name="中心广场", x=100, y=200, community=world.community, grid=world.grid_a
    )
    noon = timezone.localtime().replace(hour=12, minute=0, second=0, microsecond=0)
    yesterday = noon - dt.timedelta(days=1)

    def visit(resident, place, start, minutes):
        CheckIn.objects.create(
            resident=resident,
            place=place,
            entered_at=start,
            left_at=start + dt.timedelta(minutes=minutes),
            source=CheckInSource.WORKER,
            recorded_by=staff,
        )

    visit(zhang, shop, yesterday, 30)
    visit(chen, shop, yesterday + dt.timedelta(minutes=20), 30)  # overlaps 张伟 by 10 min
    visit(wang, shop, yesterday + dt.timedelta(hours=3), 20)  # long after he left
    visit(wang, square, yesterday, 30)  # the same time, another place
    status_change(
        actor=staff, resident=zhang, to_status=HealthStatus.CONFIRMED, reason="PCR positive"
    )

    # 1. The new run offers the confirmed case, ticked.
    login("staff")
    page.goto(f"{live_server.url}/tracing/runs/new")
    index = page.locator(f"input[name=index_cases][value='{zhang.pk}']")
    expect(index).to_be_checked()
    page.locator("main form.stack button.primary[name=action][value=run]").click()

    # 2. Progress, then the contacts: 陈明 at the shop, 李芳 at home; not 王秀英.
    expect(page).to_have_url(re.compile(r"/tracing/runs/\d+$"))
    rows = page.locator("table.tracing-contacts tbody tr[id^=contact-]")
    expect(rows).to_have_count(2, timeout=30_000)
    at_shop = rows.filter(has_text=chen.name)
    expect(at_shop).to_contain_text(shop.name)
    expect(rows.filter(has_text=world.residents["zhang_wife"].name)).to_have_count(1)
    expect(page.locator("table.tracing-contacts")).not_to_contain_text(wang.name)
    expect(page.locator("figure.tracing-graph svg")).to_be_visible()

    # 3. Confirm 陈明: a close contact now, and the row shows it reviewed.
    contact = TraceContact.objects.get(resident=chen)
    assert contact.place == shop and contact.overlap_seconds >= 10 * 60
    at_shop.locator(f"form[action$='/contacts/{contact.pk}/confirm'] button.primary").click()
    expect(page.locator("p.flash.success", has_text=chen.name)).to_be_visible()
    row = page.locator(f"tr#contact-{contact.pk}")
    expect(row.locator("form")).to_have_count(0)
    contact.refresh_from_db()
    assert contact.review == Review.CONFIRMED
    assert current_status(chen) == HealthStatus.CLOSE_CONTACT
    assert console_errors == []
