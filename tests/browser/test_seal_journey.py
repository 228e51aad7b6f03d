"""新增印章 in Chromium: the legal person's card, 印章管理, a scanned seal uploaded, the real-size
preview, the 法人卡密码, and the new seal in the list."""
import pytest
from playwright.sync_api import expect

from coo import enums
from coo.models import Seal
from tests import scans

from .test_login_journeys import card_login

pytestmark = pytest.mark.browser


def test_legal_person_adds_a_seal_from_a_scan(journey, demo, rq_worker, tmp_path):
    page = journey.page
    scan_file = tmp_path / "合同专用章.png"
    scan_file.write_bytes(scans.round_seal(42.0))
    before = Seal.select().count()

    card_login(journey, "8800000000001", demo.DEMO_PIN, shoot=False)
    expect(page).to_have_url(journey.base_url + "/home")
    page.get_by_role("navigation", name="菜单").get_by_role("link", name="印章管理").click()
    expect(page.get_by_role("heading", name="印章管理")).to_be_visible()
    journey.shot("印章管理")

    page.get_by_role("link", name="新增印章").click()
    editor = page.locator("#seal-editor")
    expect(editor.get_by_role("heading", name="新增印章")).to_be_visible()
    editor.get_by_label("印章名称").fill("合同专用章")
    editor.locator("input[type=file][name=scan]").set_input_files(str(scan_file))
    journey.shot("填写新增印章")
    editor.get_by_role("button", name="上传预览").click()

    preview = page.get_by_role("region", name="印章预览")
    expect(preview).to_contain_text("圆形")
    expect(preview.get_by_role("img", name="印章预览")).to_be_visible()
    # The preview image is the staged scan, shown at real size (42 mm = 159 CSS px).
    box = preview.get_by_role("img", name="印章预览").bounding_box()
    assert abs(box["width"] - 159) <= 2, box
    assert Seal.select().count() == before            # a preview saves nothing
    journey.shot("上传预览")

    editor.get_by_label("法人卡密码").fill(demo.DEMO_PIN)
    editor.get_by_role("button", name="保存印章").click()
    expect(page).to_have_url(journey.base_url + "/seals/")
    expect(page.locator("main")).to_contain_text("制作成功")
    expect(page.get_by_role("row").filter(has_text="合同专用章")).to_contain_text(enums.UsageStatus.ENABLED.label)
    journey.shot("保存成功")
    seal = Seal.get(Seal.name == "合同专用章")
    assert seal.shape == enums.SealShape.ROUND and abs(float(seal.width_mm) - 42) <= 1
