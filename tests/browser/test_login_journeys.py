"""Logging in and finding one's way, in Chromium: both ways in, a wrong PIN, the menu, 退出,
and the same without JavaScript."""
import re

import pytest
from playwright.sync_api import expect

from coo.models import Card

pytestmark = pytest.mark.browser


def card_login(journey, number, pin, shoot=True):
    page = journey.page
    journey.go("/login")
    expect(page.get_by_role("heading", name="卡介质登录")).to_be_visible()
    if shoot:
        journey.shot("登录页")
    form = page.locator("#card-form")
    form.get_by_label("卡号").fill(number)
    form.get_by_label("卡密码").fill(pin)
    if shoot:
        journey.shot("填写卡号和卡密码")
    form.get_by_role("button", name="登录").click()


def password_login(journey, username, password):
    page = journey.page
    journey.go("/login")
    form = page.locator("#password-form")
    form.get_by_label("用户名").fill(username)
    form.get_by_label("密码", exact=True).fill(password)
    journey.shot("填写用户名和密码")
    form.get_by_role("button", name="登录").click()


def test_card_login_menu_and_logout(journey, demo, rq_worker):
    page = journey.page
    card_login(journey, "8800000000001", demo.DEMO_PIN)
    expect(page).to_have_url(journey.base_url + "/home")
    expect(page.get_by_role("heading", name="使用说明")).to_be_visible()
    expect(page.locator(".topbar")).to_contain_text("浙江华东进出口有限公司")
    expect(page.locator(".topbar")).to_contain_text("王建国（卡介质登录·法人卡）")
    journey.shot("使用说明")
    menu = page.get_by_role("navigation", name="菜单")
    menu.get_by_role("link", name="版本说明").click()
    expect(page.get_by_role("heading", name="版本说明")).to_be_visible()
    expect(menu.get_by_role("link", name="版本说明")).to_have_attribute("aria-current", "page")
    journey.shot("版本说明")
    page.get_by_role("link", name="浙江华东进出口有限公司").click()
    expect(page.get_by_role("heading", name="管理员账号信息管理")).to_be_visible()
    expect(page.get_by_role("heading", name="我的操作员")).to_be_visible()
    journey.shot("管理员账号信息管理")
    page.get_by_role("link", name="审计日志").click()
    expect(page.get_by_role("heading", name="审计日志（浙江华东进出口有限公司）")).to_be_visible()
    expect(page.locator("#audit-results")).to_contain_text("卡介质登录")
    journey.shot("本企业审计日志")
    menu.get_by_role("link", name="使用说明").click()
    expect(page.get_by_role("heading", name="使用说明")).to_be_visible()
    page.get_by_role("button", name="退出").click()
    expect(page).to_have_url(journey.base_url + "/login")
    journey.shot("已退出")
    journey.go("/home")
    expect(page).to_have_url(journey.base_url + "/login?next=%2Fhome")


def test_password_login_and_logout(journey, demo, rq_worker):
    page = journey.page
    password_login(journey, "hd_op", demo.DEMO_PASSWORD)
    expect(page.locator(".topbar")).to_contain_text("李晓梅（用户名密码登录）")
    journey.shot("使用说明")
    page.get_by_role("button", name="退出").click()
    expect(page.get_by_role("heading", name="用户名密码登录")).to_be_visible()
    journey.shot("已退出")


def test_a_wrong_pin_is_told_in_place(journey, demo, rq_worker):
    page = journey.page
    card_login(journey, "8800000000002", "12345678")
    alert = page.locator("#card-form").get_by_role("alert")
    expect(alert).to_have_text("卡号或卡密码错误。连续5次卡密码错误该卡将被锁定。")
    # htmx swapped only the card form: the card number stays as typed, the page did not reload.
    expect(page.locator("#card-form").get_by_label("卡号")).to_have_value("8800000000002")
    expect(page).to_have_url(journey.base_url + "/login")
    journey.shot("卡密码错误提示")
    assert Card.get(Card.number == "8800000000002").failed_pin_count == 1


def test_ops_filters_the_audit_log(journey, demo, rq_worker):
    page = journey.page
    password_login(journey, "ops", demo.OPS_PASSWORD)
    expect(page.get_by_role("heading", name="运维")).to_be_visible()
    journey.shot("运维")
    page.get_by_role("link", name="审计日志").click()
    expect(page.get_by_role("heading", name="审计日志")).to_be_visible()
    page.get_by_label("人员（姓名或登录名）").fill("ops")
    page.get_by_role("button", name="查询").click()
    expect(page.locator("#audit-results")).to_contain_text("共 1 条记录")
    expect(page).to_have_url(re.compile(r"/ops/audit\?.*person=ops"))   # the query is in the address bar
    journey.shot("按人员筛选")


def test_login_wrong_pin_and_logout_without_javascript(journey_nojs, demo, rq_worker):
    journey = journey_nojs
    page = journey.page
    card_login(journey, "8800000000001", "00000000")
    # Without htmx the form posts normally: the whole login page comes back with the message.
    expect(page.locator("#card-form").get_by_role("alert")).to_contain_text("卡号或卡密码错误")
    journey.shot("卡密码错误提示（无脚本）")
    card_login(journey, "8800000000001", demo.DEMO_PIN, shoot=False)
    expect(page).to_have_url(journey.base_url + "/home")
    expect(page.locator(".topbar")).to_contain_text("浙江华东进出口有限公司")
    journey.shot("使用说明（无脚本）")
    page.get_by_role("navigation", name="菜单").get_by_role("link", name="版本说明").click()
    expect(page.get_by_role("heading", name="版本说明")).to_be_visible()
    page.get_by_role("button", name="退出").click()
    expect(page).to_have_url(journey.base_url + "/login")
    journey.shot("已退出（无脚本）")
