"""The screens as a user sees them at 1366 px in Chromium: 证书打印 rows of one or two lines and
its way to the 打印控件 page, 证书下载 within the window, 新增无卡操作员 refreshing the list in
place. Screenshots of each fixed screen under test-artifacts/browser/<test>/."""
import re

import pytest
from playwright.sync_api import expect

from .test_login_journeys import card_login

pytestmark = pytest.mark.browser

WIDE = {"width": 1366, "height": 768}
DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def legal_person_at_1366(journey, demo):
    """华东's legal person logged in with the 法人卡, the window 1366 px wide; the page."""
    page = journey.page
    page.set_viewport_size(WIDE)
    card_login(journey, "8800000000001", demo.DEMO_PIN, shoot=False)
    expect(page).to_have_url(journey.base_url + "/home")
    return page


def test_certificate_rows_are_short_and_the_print_control_is_one_click_away(journey, demo, rq_worker):
    page = legal_person_at_1366(journey, demo)
    journey.go("/certificates/")
    rows = page.locator("#results table.certificates tbody tr")
    expect(rows.first).to_be_visible()
    heights = rows.evaluate_all("rows => rows.map(r => r.getBoundingClientRect().height)")
    assert len(heights) >= 10, heights
    assert sum(heights) / len(heights) <= 60, heights
    assert page.evaluate("document.documentElement.scrollWidth") <= 1366
    # A date is one line: its cell is no taller than one line of its text.
    dates = page.locator("#results table.certificates tbody td:nth-child(8)")
    for cell in dates.all()[:5]:
        assert DATE.match(cell.inner_text().strip())
        assert cell.evaluate("c => { const r = document.createRange(); r.selectNodeContents(c);"
                             " return r.getClientRects().length; }") == 1
    # Every button that names a form (a row's 打印 buttons) names one on the page.
    orphans = page.evaluate("[...document.querySelectorAll('button[form]')]"
                            ".filter(b => !(b.form instanceof HTMLFormElement)).length")
    assert orphans == 0
    journey.shot("证书打印")

    # Before any print fails, 证书打印 shows the way to install and pair the 打印控件.
    page.get_by_role("main").get_by_role("link", name="打印控件", exact=True).click()
    expect(page).to_have_url(journey.base_url + "/printing/control")
    expect(page.get_by_role("heading", name="打印控件", exact=True)).to_be_visible()
    journey.shot("打印控件")


def test_a_saved_operator_appears_in_the_list_without_reloading(journey, demo, rq_worker):
    page = legal_person_at_1366(journey, demo)
    journey.go("/account/")
    opener = page.get_by_role("link", name="新增无卡操作员")
    opener.click()
    dialog = page.get_by_role("dialog", name="新增无卡操作员")
    expect(dialog).to_be_visible()
    expect(dialog).to_have_attribute("aria-modal", "true")
    assert dialog.evaluate("d => d.contains(document.activeElement)")
    dialog.get_by_label("姓名").fill("陈小平")
    dialog.get_by_label("身份证号").fill("11010119900307123X")      # a wrong check digit
    dialog.get_by_label("联系电话").fill("13800001111")
    dialog.get_by_role("button", name="保存").click()
    expect(dialog.get_by_role("alert")).to_be_visible()
    journey.shot("新增无卡操作员-错误")
    dialog.get_by_label("身份证号").fill("110101199003071233")
    dialog.get_by_role("button", name="保存").click()
    expect(page.get_by_role("dialog")).to_have_count(0)
    listing = page.locator("#operator-list")
    expect(listing.get_by_role("row").filter(has_text="陈小平")).to_contain_text("无卡操作员")
    expect(listing.get_by_role("status")).to_have_text("已新增无卡操作员“陈小平”。")
    expect(page.get_by_role("alert")).to_have_count(0)          # the old error is gone
    expect(opener).to_be_focused()
    assert page.url == journey.base_url + "/account/"            # no reload, no `#`
    journey.shot("新增无卡操作员-已保存")
