"""axe-core over every page a user can reach, in Chromium: the enterprise's legal person and
operator, an agent in its entrusting enterprise's view, ops, the public pages, and the dialogs
opened on them. A serious or critical violation fails the test, with axe's report.

axe.min.js comes with the axe-playwright-python package (no network at test time). Our CSP
refuses injected scripts, so this test alone uses a browser context with `bypass_csp`.
"""
import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import expect

from coo import enums
from coo.models import Certificate
from coo.security import verification_code

from .test_login_journeys import card_login, password_login

pytestmark = pytest.mark.browser

FAILING = {"serious", "critical"}


class Audit:
    """Runs axe on the page as it is now and keeps the serious and critical violations."""

    def __init__(self, journey):
        self.journey = journey
        self.axe = Axe()
        self.checked = []
        self.failures = []

    def check(self, name: str):
        page = self.journey.page
        page.wait_for_load_state("load")
        results = self.axe.run(page)
        self.checked.append(name)
        bad = [v for v in results.response["violations"] if v["impact"] in FAILING]
        for v in bad:
            nodes = "\n".join(f"      {', '.join(map(str, n['target']))}: {n['html'][:160]}"
                              for n in v["nodes"][:6])
            self.failures.append(f"{name} ({page.url}): {v['id']} ({v['impact']}) {v['help']}\n{nodes}")
        self.journey.shot(name)

    def visit(self, path: str, name: str, heading: str | None = None):
        self.journey.go(path)
        if heading:
            expect(self.journey.page.get_by_role("heading", name=heading).first).to_be_visible()
        self.check(name)

    def assert_clean(self):
        assert not self.failures, "\n".join(self.failures)


@pytest.fixture
def audit(request, app, browser, live_server, artifacts):
    """A journey whose context lets axe's script in (bypass_csp) — for this test only."""
    import shutil
    from .conftest import Journey
    folder = artifacts / "browser" / request.node.name.removeprefix("test_")
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    context = browser.new_context(locale="zh-CN", viewport={"width": 1366, "height": 800}, bypass_csp=True)
    context.set_default_timeout(15_000)
    journey = Journey(context.new_page(), folder, live_server)
    yield Audit(journey)
    context.close()


def test_every_page_of_the_legal_person_passes_axe(audit, demo, rq_worker):
    page = audit.journey.page
    audit.visit("/login", "登录")
    card_login(audit.journey, "8800000000001", demo.DEMO_PIN, shoot=False)
    expect(page).to_have_url(audit.journey.base_url + "/home")
    audit.check("使用说明")
    audit.visit("/changelog", "版本说明", "版本说明")
    audit.visit("/seals/", "印章制作", "印章管理 · 印章制作")
    page.get_by_role("link", name="新增印章").click()
    expect(page.locator("#seal-editor").get_by_role("heading", name="新增印章")).to_be_visible()
    audit.check("新增印章")
    audit.visit("/seals/signatures", "签名制作")
    page.get_by_role("link", name="新增签名").click()
    expect(page.locator("#signature-editor").get_by_role("heading", name="新增签名")).to_be_visible()
    audit.check("新增签名")
    audit.visit("/authorisation/", "授权管理")
    audit.visit("/authorisation/agents", "代理企业")
    audit.visit("/account/", "管理员账号信息管理", "管理员账号信息管理")
    page.get_by_role("link", name="新增无卡操作员").click()
    expect(page.locator("#operator-editor").get_by_role("heading", name="新增无卡操作员")).to_be_visible()
    audit.check("新增无卡操作员")
    audit.visit("/account/audit", "本企业审计日志")
    audit.visit("/certificates/", "证书打印", "证书打印")
    first = page.locator("#results tbody input[name=ids]").first.get_attribute("value")
    audit.visit(f"/printing/jobs?ids={first}", "打印对话框")
    expect(page.get_by_role("dialog", name="证书打印")).to_be_visible()
    audit.visit("/certificates/?number=NO-SUCH-NUMBER", "证书打印（无结果）", "证书打印")
    audit.visit("/printing/control", "打印控件")
    audit.visit("/printing/control/install", "打印控件安装")
    audit.visit("/exceptions/", "已打印证书列表", "打印异常申请")
    page.locator("#results input[name=certificate]").first.check()
    page.get_by_role("button", name="异常申请").click()
    expect(page.get_by_role("dialog", name="异常申请")).to_be_visible()
    audit.check("异常申请对话框")
    audit.visit("/exceptions/?tab=records", "异常申请记录", "打印异常申请")
    audit.visit("/downloads/", "证书下载（提示）", "证书下载")
    expect(page.get_by_role("dialog", name="提示")).to_be_visible()
    page.get_by_role("button", name="已知悉").click()
    expect(page.get_by_role("dialog", name="提示")).to_have_count(0)
    audit.check("证书下载")
    audit.assert_clean()


def test_every_page_of_agent_and_ops_passes_axe(app, audit, demo, rq_worker):
    page = audit.journey.page
    password_login(audit.journey, "td_agent", demo.DEMO_PASSWORD)
    expect(page).to_have_url(audit.journey.base_url + "/home")
    audit.visit("/authorisation/principals", "委托企业列表")
    page.get_by_role("button", name="切换").first.click()
    expect(page.locator(".agent-banner")).to_contain_text("代理打印")
    audit.visit("/certificates/", "证书打印（委托企业视图）", "证书打印")
    audit.visit("/downloads/", "证书下载（委托企业视图）", "证书下载")
    audit.visit("/exceptions/", "打印异常申请（委托企业视图）", "打印异常申请")
    page.get_by_role("button", name="退出").click()
    password_login(audit.journey, "ops", demo.OPS_PASSWORD)
    expect(page.get_by_role("heading", name="运维")).to_be_visible()
    audit.check("运维")
    audit.visit("/ops/audit", "审计日志")
    audit.visit("/ops/simulator", "海关模拟")
    page.get_by_role("button", name="退出").click()
    number = Certificate.select().where(Certificate.archive_status == enums.ArchiveStatus.ARCHIVED).first().number
    audit.visit("/verify", "出口原产地证书核查")
    with app.app_context():
        code = verification_code(number)
    audit.visit(f"/verify?no={number}&code={code}", "核查结果")
    audit.visit(f"/verify?no={number}&code=WRONG", "核查结果（无此证书）")
    audit.assert_clean()


def test_the_pages_that_refuse_pass_axe(audit, demo, rq_worker):
    """The operator (password login) where the 法人卡 is needed, and a page that does not exist."""
    page = audit.journey.page
    password_login(audit.journey, "hd_op", demo.DEMO_PASSWORD)
    expect(page).to_have_url(audit.journey.base_url + "/home")
    audit.visit("/seals/", "印章管理（需要法人卡）")
    audit.visit("/authorisation/", "授权管理（需要法人卡）")
    audit.visit("/account/", "管理员账号信息管理（操作员）", "管理员账号信息管理")
    audit.visit("/certificates/exports/999999", "不存在的页面")
    audit.assert_clean()
