"""Dialogs and announcements in Chromium at 1366 px: a dialog takes focus, says it is modal and
what it is, keeps Tab inside, and gives focus back to what opened it when it closes; the 证书打印
results announce their count through a live region that stays on the page."""
import pytest
from playwright.sync_api import expect

from .test_screens import legal_person_at_1366

pytestmark = pytest.mark.browser

def focus_inside(page, dialog) -> bool:
    return dialog.evaluate("d => d.contains(document.activeElement)")


def assert_modal(page, name):
    dialog = page.get_by_role("dialog", name=name)
    expect(dialog).to_be_visible()
    expect(dialog).to_have_attribute("aria-modal", "true")
    assert dialog.evaluate("d => d.matches(':modal')"), "shown as a modal"
    assert focus_inside(page, dialog), "the dialog took focus"
    for _ in range(25):                       # Tab never leaves it
        page.keyboard.press("Tab")
        assert focus_inside(page, dialog), page.evaluate("document.activeElement.outerHTML")
    return dialog


def test_editors_are_modal_dialogs_that_give_focus_back(journey, demo, rq_worker):
    page = legal_person_at_1366(journey, demo)

    journey.go("/seals/")
    opener = page.get_by_role("link", name="新增印章")
    opener.focus()
    page.keyboard.press("Enter")
    assert_modal(page, "新增印章")
    journey.shot("新增印章对话框")
    page.keyboard.press("Escape")
    expect(page.get_by_role("dialog", name="新增印章")).to_have_count(0)
    expect(opener).to_be_focused()

    journey.go("/seals/signatures")
    opener = page.get_by_role("link", name="新增签名")
    opener.click()
    assert_modal(page, "新增签名")
    page.keyboard.press("Escape")
    expect(opener).to_be_focused()
    # Before any preview the editor has its 取消 too: a mouse user is never left with Esc alone.
    opener.click()
    assert_modal(page, "新增签名").get_by_role("link", name="取消").click()
    expect(page.get_by_role("dialog", name="新增签名")).to_have_count(0)
    expect(opener).to_be_focused()

    journey.go("/account/")
    opener = page.get_by_role("link", name="新增无卡操作员")
    opener.click()
    assert_modal(page, "新增无卡操作员").get_by_role("link", name="取消").click()
    expect(page.get_by_role("dialog", name="新增无卡操作员")).to_have_count(0)
    expect(opener).to_be_focused()

    journey.go("/exceptions/")
    page.locator("#results input[name=certificate]").first.check()
    opener = page.get_by_role("button", name="异常申请")
    opener.click()
    dialog = assert_modal(page, "异常申请")
    # A refused submission re-renders the dialog: it stays modal and keeps its opener.
    dialog.get_by_role("button", name="提交打印").click()
    expect(page.get_by_role("dialog", name="异常申请").get_by_role("alert").first).to_be_visible()
    assert_modal(page, "异常申请")
    journey.shot("异常申请对话框")
    page.keyboard.press("Escape")
    expect(opener).to_be_focused()

    # Opened by its address (a bookmark, a new tab) the dialog is the whole page: 取消打印 goes
    # back to 打印异常申请 as without JavaScript, instead of closing onto an empty page.
    certificate_id = page.locator("#results input[name=certificate]").first.get_attribute("value")
    journey.go(f"/exceptions/apply?certificate={certificate_id}")
    assert_modal(page, "异常申请").get_by_role("link", name="取消打印").click()
    page.wait_for_url("**/exceptions/?selected=*")
    expect(page.locator("#results")).to_be_visible()


def test_the_download_tip_is_a_dialog_with_focus(journey, demo, rq_worker):
    page = legal_person_at_1366(journey, demo)
    journey.go("/downloads/")
    dialog = assert_modal(page, "提示")
    box = dialog.bounding_box()
    assert box["y"] < 768 / 2, box            # drawn over the page, not below the table
    assert page.evaluate("document.documentElement.scrollWidth") <= 1366
    journey.shot("证书下载提示")
    dialog.get_by_role("button", name="已知悉").click()
    expect(page.get_by_role("dialog", name="提示")).to_have_count(0)
    expect(page.locator("#main")).to_be_focused()
    assert page.evaluate("document.documentElement.scrollWidth") <= 1366
    journey.shot("证书下载")


def test_the_count_of_a_query_is_announced(journey, demo, rq_worker):
    page = legal_person_at_1366(journey, demo)
    journey.go("/certificates/")
    region = page.locator("#results-status")
    expect(region).to_have_attribute("role", "status")
    handle = region.element_handle()
    page.get_by_label("证书类别").select_option(label="全部")
    page.locator("form.query").get_by_role("button", name="查询").click()
    count = page.locator("#results .count")
    expect(region).to_have_text(count.inner_text())
    page.locator("form.query").get_by_label("证书编号").fill("NO-SUCH-CERT")
    page.locator("form.query").get_by_role("button", name="查询").click()
    expect(region).to_have_text("共 0 条")
    assert handle.evaluate("e => e.isConnected"), "the live region stayed (only #results was replaced)"
    # The empty row spans exactly the table's columns.
    columns = page.locator("#results table thead th").count()
    expect(page.locator("#results tbody td[colspan]")).to_have_attribute("colspan", str(columns))
