"""Search the registry in the browser: pinyin initials, name, the detail page, area limits."""

import re
from datetime import date
from urllib.parse import quote

from playwright.sync_api import expect

from linli.residents.idnumber import make_id_number, mask_id_number

NAMES = "table.residents tbody td:first-child a"


def search(page, text):
    page.fill("form[role=search] input[name=q]", text)
    page.click("form[role=search] button.primary")
    # Wait for the results page of this query, not the previous one.
    expect(page).to_have_url(re.compile(rf"[?&]q={re.escape(quote(text))}(&|$)"))


def test_grid_worker_finds_a_resident_by_initials_and_name(world, page, live_server, login):
    login("grid_a")
    page.click("nav.main a[href$='/registry/residents/']")
    expect(page).to_have_url(re.compile(r"/registry/residents/$"))
    # Grid A holds 张伟, 李芳 and 王秀英; grid B's people never show up for grid_a.
    expect(page.locator(NAMES)).to_have_count(3)
    assert sorted(page.locator(NAMES).all_inner_texts()) == sorted(["张伟", "李芳", "王秀英"])

    search(page, "zw")
    expect(page.locator(NAMES)).to_have_text(["张伟"])

    search(page, "王秀英")
    expect(page.locator(NAMES)).to_have_text(["王秀英"])

    search(page, "zhangwei")
    expect(page.locator(NAMES)).to_have_text(["张伟"])

    # Somebody in grid B is not found, even by exact name.
    search(page, "陈明")
    expect(page.locator(NAMES)).to_have_count(0)


def test_detail_page_shows_the_masked_id_number_only(world, page, live_server, login):
    zhang = world.residents["zhang"]
    # build_world gives 张伟 this number.
    full_number = make_id_number("420106", date(1950, 3, 8), 11)
    login("staff")
    page.goto(f"{live_server.url}/registry/residents/?q=zw")
    page.click(f"{NAMES}:text-is('张伟')")

    expect(page).to_have_url(re.compile(rf"/registry/residents/{zhang.pk}/$"))
    expect(page.locator("h1")).to_contain_text("张伟")
    masked = zhang.id_number_masked
    assert masked == mask_id_number(full_number)
    assert re.fullmatch(r"4201\*{10}\d{3}[\dX]", masked)
    expect(page.locator("dl.facts code")).to_have_text(masked)
    expect(page.locator("body")).not_to_contain_text(full_number)


def test_grid_b_worker_gets_404_for_a_grid_a_resident(world, page, live_server, login):
    zhang = world.residents["zhang"]
    login("grid_b")

    response = page.goto(f"{live_server.url}/registry/residents/{zhang.pk}/")
    assert response.status == 404
    expect(page.locator("body")).not_to_contain_text("张伟")

    # The same worker does reach a resident of their own grid.
    chen = world.residents["chen"]
    response = page.goto(f"{live_server.url}/registry/residents/{chen.pk}/")
    assert response.status == 200
    expect(page.locator("h1")).to_contain_text("陈明")
