"""Food with minimal contact (issue 4, "Done when"): order → slot and code → collect at the point.

A resident orders on a phone in an open round; community staff plan the pickup points for the
round and close it; the resident finds their point, slot, 6-digit code and QR code on their
order page (and in their notifications); a volunteer on the roster opens the page for that
point on their own phone, types the code, sees the household's packages and hands them over
without touching the resident's phone; the order shows collected.

Selectors follow the page structure (form actions, classes, ids), not words: the pages open in
Chinese, whatever translations are added later.
"""

import re

from django.utils import timezone
from playwright.sync_api import expect

from linli.notices.choices import Channel
from linli.notices.models import Notification
from linli.supplies.choices import OrderStatus, Payment, RoundStatus
from linli.supplies.models import Order, PickupPlan, RoundItem
from linli.supplies.services import order_place
from linli.supplies.testing import make_round
from linli.testing import PASSWORD
from linli.workforce.testing import make_worker


def fits_the_screen(page) -> bool:
    """Nothing wider than the phone: no sideways scrolling."""
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")


def phone_login(phone, live_server, path: str, username: str) -> None:
    """Open `path` on a phone, log in on the page it sends us to, and land back on `path`."""
    phone.goto(f"{live_server.url}{path}")
    expect(phone).to_have_url(re.compile(r"/accounts/login/\?next="))
    phone.fill("input[name=username]", username)
    phone.fill("input[name=password]", PASSWORD)
    phone.click("form.stack button.primary")
    expect(phone).to_have_url(re.compile(re.escape(path) + "$"))


def stepper(page, item):
    """The −/+ stepper of one package on the order page."""
    return page.locator("li.stepper", has=page.locator(f"#id_qty_{item.pk}"))


def test_a_resident_orders_gets_a_slot_and_code_and_collects_at_the_point(
    world, page, phone, second_phone, live_server, login, console_errors
):
    round_ = make_round(world)
    vegetables, eggs = RoundItem.objects.filter(round=round_).order_by("pk")
    volunteer = make_worker(world.user("volunteer"))
    # The neighbour in building 2, aged 88 and living alone, ordered through her building
    # leader's phone: her bag is brought to the door (proposal S4), so she gets no slot.
    wang = world.residents["wang"].household
    neighbour, _created = order_place(
        actor=world.user("staff"), round_=round_, household=wang, lines={eggs.pk: 1}
    )
    home = world.residents["zhang"].household

    # 1. The resident orders on their phone: two vegetable bundles and a tray of eggs.
    phone_login(phone, live_server, "/supplies/", "resident")
    card = phone.locator("li.roundcard", has_text=round_.title)
    card.locator(f"a[href$='/supplies/rounds/{round_.pk}/order/']").click()
    expect(phone).to_have_url(re.compile(rf"/supplies/rounds/{round_.pk}/order/$"))
    assert fits_the_screen(phone)
    plus = stepper(phone, vegetables).locator("button.step[data-step='1']")
    plus.click()
    plus.click()
    plus.click()  # the limit is two per household: the third tap changes nothing
    expect(phone.locator(f"#id_qty_{vegetables.pk}")).to_have_value("2")
    stepper(phone, eggs).locator("button.step[data-step='1']").click()
    expect(phone.locator(f"#id_qty_{eggs.pk}")).to_have_value("1")
    phone.locator(f"input[name=payment][value={Payment.ONLINE}]").check()
    phone.locator("form.stack button.primary").click()

    expect(phone).to_have_url(re.compile(r"/supplies/orders/\d+/$"))
    order = Order.objects.get(round=round_, household=home)
    assert phone.url.endswith(f"/supplies/orders/{order.pk}/")
    lines = {line.item_id: line.quantity for line in order.lines.all()}
    assert lines == {vegetables.pk: 2, eggs.pk: 1}
    assert (order.payment, order.total_fen) == (Payment.ONLINE, 2 * 2500 + 1800)
    assert order.placed_by == world.user("resident")
    assert re.fullmatch(r"\d{6}", order.pickup_code)
    vegetables.refresh_from_db()
    assert vegetables.stock == 48  # reserved as the order was placed
    expect(phone.locator(".ostatus.ostatus-placed")).to_be_visible()
    # No point or slot before the round closes.
    assert order.pickup_point_id is None and order.slot_start is None

    # 2. Staff plan the round's pickup points (one point for its two buildings) and close it.
    login("staff")
    page.goto(f"{live_server.url}/supplies/rounds/{round_.pk}/")
    page.locator(f"a[href$='/pickup/rounds/{round_.pk}/']").click()
    expect(page).to_have_url(re.compile(rf"/pickup/rounds/{round_.pk}/$"))
    page.locator(f"a[href*='/pickup/plan/'][href$='round={round_.pk}']").click()
    page.locator("#id_k").fill("1")
    page.locator("form.pickup-plan-form button.primary").click()
    # The plan runs as a background job; it is done when the plan's page opens.
    expect(page).to_have_url(re.compile(r"/pickup/plans/\d+/$"))
    expect(page.locator("figure.pickup-map svg")).to_be_visible()
    plan = PickupPlan.objects.get()
    round_.refresh_from_db()
    assert (plan.k, round_.pickup_plan) == (1, plan)

    page.goto(f"{live_server.url}/pickup/rounds/{round_.pk}/")
    page.locator(f"form[action$='/pickup/rounds/{round_.pk}/close/'] button").click()
    expect(page).to_have_url(re.compile(rf"/pickup/rounds/{round_.pk}/$"))
    point_link = page.locator(f"a[href*='/pickup/rounds/{round_.pk}/points/']")
    expect(point_link).to_have_count(1)
    round_.refresh_from_db()
    order.refresh_from_db()
    neighbour.refresh_from_db()
    assert round_.status == RoundStatus.CLOSED
    point = order.pickup_point
    assert point is not None and order.slot_start == round_.pickup_starts_at
    assert not order.door_delivery
    assert neighbour.door_delivery and neighbour.slot_start is None
    assert neighbour.pickup_point == point  # the volunteer fetches her bag there

    # 3. The resident sees their point, slot, code and QR code, and was told in the app.
    slot = timezone.localtime(order.slot_start).strftime("%m-%d %H:%M")
    phone.reload()
    facts = phone.locator("dl.facts")
    expect(facts).to_contain_text(point.name)
    expect(facts).to_contain_text(slot)
    expect(phone.locator("section.pickupcode code.code")).to_have_text(order.pickup_code)
    expect(phone.locator("section.pickupcode figure.qr svg")).to_be_visible()
    assert fits_the_screen(phone)
    notice = Notification.objects.get(user=world.user("resident"), channel=Channel.IN_APP)
    assert order.pickup_code in notice.body and point.name in notice.body
    phone.goto(f"{live_server.url}/notices/")
    expect(phone.locator("li.notice.unread")).to_contain_text(order.pickup_code)

    # 4. A volunteer on the roster opens that point's page on their phone.
    point_path = f"/pickup/rounds/{round_.pk}/points/{point.pk}/"
    phone_login(second_phone, live_server, f"/pickup/rounds/{round_.pk}/", "volunteer")
    second_phone.locator(f"a[href$='{point_path}']").click()
    expect(second_phone).to_have_url(re.compile(re.escape(point_path) + "$"))
    assert fits_the_screen(second_phone)
    # A mistyped code finds nothing and hands nothing over.
    wrong = f"{(int(order.pickup_code) + 1) % 10**6:06d}"
    second_phone.locator("#id_code").fill(wrong)
    second_phone.locator("form.codeform button[value=lookup]").click()
    expect(second_phone.locator("p.flash.error")).to_be_visible()
    expect(second_phone.locator("section.handover")).to_have_count(0)
    # The code the resident shows: the household and its packages, then the hand-over.
    second_phone.locator("#id_code").fill(order.pickup_code)
    second_phone.locator("form.codeform button[value=lookup]").click()
    handover = second_phone.locator("section.handover")
    expect(handover.locator("h2")).to_contain_text("301")
    packages = handover.locator("ul.packages li")
    expect(packages).to_have_count(2)
    expect(packages.filter(has_text=vegetables.package.name)).to_contain_text("2")
    expect(packages.filter(has_text=eggs.package.name)).to_contain_text("1")
    assert Order.objects.get(pk=order.pk).status == OrderStatus.PLACED  # looked up, not yet given
    handover.locator("button[value=collect]").click()

    expect(second_phone).to_have_url(re.compile(re.escape(point_path) + "$"))
    expect(second_phone.locator("section.handover")).to_have_count(0)
    expect(second_phone.locator("table.list tbody tr").first).to_contain_text("1 / 1")
    order.refresh_from_db()
    assert order.status == OrderStatus.COLLECTED
    assert order.collected_by == volunteer.user and order.collected_at is not None
    # The same code again is refused: one bag per order.
    second_phone.locator("#id_code").fill(order.pickup_code)
    second_phone.locator("form.codeform button[value=lookup]").click()
    expect(second_phone.locator("p.flash.error")).to_be_visible()
    expect(second_phone.locator("section.handover")).to_have_count(0)

    # 5. The resident's order shows collected, and the code is no longer on show.
    phone.goto(f"{live_server.url}/supplies/orders/{order.pk}/")
    expect(phone.locator(".ostatus.ostatus-collected")).to_be_visible()
    expect(phone.locator("section.pickupcode")).to_have_count(0)
    expect(phone.locator("dl.facts")).to_contain_text(
        timezone.localtime(order.collected_at).strftime("%m-%d %H:%M")
    )
    assert console_errors == []
