"""The foundation: login both ways, card lock, CSRF, 404s, the shell, and a real worker."""
import datetime

from coo import enums
from coo.models import AuditEvent, Card, Operator, UserAccount


def test_login_page_offers_both_ways_in(client):
    html = client.get("/login").get_data(as_text=True)
    assert "用户名密码登录" in html and "卡介质登录" in html


def test_card_login_reaches_home_with_company_name_and_menu(client, legal_person):
    html = client.get("/home").get_data(as_text=True)
    assert "浙江华东进出口有限公司" in html
    assert "使用说明" in html and "版本说明" in html and "退出" in html


def test_password_login_then_logout(client, operator):
    assert client.get("/home").status_code == 200
    response = operator.logout()
    assert response.status_code == 303 and response.headers["Location"].endswith("/login")
    assert client.get("/home").status_code == 302


def test_a_disabled_person_is_logged_out_and_cannot_log_in_either_way(client, demo, operator, actions):
    """李晓梅 holds card 8800000000002 and the account hd_op; her operator record is disabled
    (as the 数据分中心 would do with the card): her open login ends at the next request."""
    assert client.get("/home").status_code == 200
    Operator.update(active=False).where(Operator.name == "李晓梅").execute()
    assert client.get("/home").status_code == 302
    for response in (actions.login_password("hd_op", demo.DEMO_PASSWORD),
                     actions.login_card("8800000000002", demo.DEMO_PIN)):
        assert response.status_code == 422 and "该操作员已被停用" in response.get_data(as_text=True)
    assert client.get("/home").status_code == 302


def holders_pc(actions, login, secret, card=True):
    """This client's address becomes the holder's own PC: it logged in from here once. (From
    anywhere else, a stranger is throttled before the lock: tests/security/test_login_privacy.py.)"""
    response = actions.login_card(login, secret) if card else actions.login_password(login, secret)
    assert response.status_code == 303
    assert actions.logout().status_code == 303


def test_five_wrong_pins_lock_the_card(client, demo, actions):
    holders_pc(actions, "8800000000002", demo.DEMO_PIN)
    for attempt in range(5):
        response = actions.login_card("8800000000002", "wrong-pin")
        assert response.status_code == 422
        assert "卡号或卡密码错误。连续5次卡密码错误该卡将被锁定。" in response.get_data(as_text=True)
    assert Card.get(Card.number == "8800000000002").locked
    # the right PIN no longer opens a locked card, and its holder is told why
    response = actions.login_card("8800000000002", demo.DEMO_PIN)
    assert response.status_code == 422
    assert "已被锁定" in response.get_data(as_text=True) and "数据分中心" in response.get_data(as_text=True)


def test_a_right_pin_resets_the_failure_count(client, demo, actions):
    holders_pc(actions, "8800000000002", demo.DEMO_PIN)
    for _ in range(3):
        actions.login_card("8800000000002", "nope")
    assert Card.get(Card.number == "8800000000002").failed_pin_count == 3
    assert actions.login_card("8800000000002", demo.DEMO_PIN).status_code == 303
    assert Card.get(Card.number == "8800000000002").failed_pin_count == 0


def test_password_brute_force_locks_the_account(client, demo, actions):
    holders_pc(actions, "hd_op", demo.DEMO_PASSWORD, card=False)
    for _ in range(5):
        actions.login_password("hd_op", "bad")
    assert UserAccount.get(UserAccount.username == "hd_op").locked
    response = actions.login_password("hd_op", demo.DEMO_PASSWORD)
    assert response.status_code == 422 and "已被锁定" in response.get_data(as_text=True)


def test_login_error_is_a_fragment_for_htmx_and_keeps_what_was_typed(client, demo, actions):
    response = client.post("/login/card", data={"card_number": "8800000000001", "pin": "x",
                                                 "csrf_token": actions.token()},
                           headers={"HX-Request": "true"})
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "<html" not in html and 'value="8800000000001"' in html
    assert "HX-Request" in response.headers["Vary"]


def test_expired_card_is_refused(client, demo, actions):
    Card.update(valid_to=datetime.date.today() - datetime.timedelta(days=1)).where(
        Card.number == "8800000000011").execute()
    response = actions.login_card("8800000000011", demo.DEMO_PIN)
    assert response.status_code == 422 and "有效期" in response.get_data(as_text=True)


def test_post_without_csrf_token_gets_400(client, demo):
    response = client.post("/login/card", data={"card_number": "8800000000001", "pin": demo.DEMO_PIN})
    assert response.status_code == 400
    assert "请刷新页面" in response.get_data(as_text=True)


def test_unknown_url_is_404_in_chinese(client):
    response = client.get("/no-such-page")
    assert response.status_code == 404 and "页面或数据不存在" in response.get_data(as_text=True)


def test_security_headers_on_every_response(client):
    response = client.get("/login")
    assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]
    assert "script-src 'self';" in response.headers["Content-Security-Policy"]
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert "HX-Request" in response.headers["Vary"]


def test_session_cookie_is_httponly_and_lax(client, legal_person):
    cookie = client.get_cookie("session")
    assert cookie is not None and cookie.http_only and cookie.same_site == "Lax"


def test_changelog_page_shows_the_release_notes(client, operator):
    html = client.get("/changelog").get_data(as_text=True)
    assert "版本说明" in html and "卡介质登录" in html


def test_account_page_lists_my_operators(client, legal_person):
    html = client.get("/account/").get_data(as_text=True)
    assert "管理员账号信息管理" in html and "我的操作员" in html and "李晓梅" in html


def test_logins_are_audited(client, legal_person):
    event = AuditEvent.select().where(AuditEvent.action == "login").get()
    assert event.login == "8800000000001" and event.actor == "王建国"


def test_ops_account_sees_the_rq_dashboard_operator_gets_404(client, demo, actions):
    actions.login_password("hd_op", demo.DEMO_PASSWORD)
    assert client.get("/ops/rq/").status_code == 404
    assert client.get("/ops/").status_code == 404
    actions.logout()
    actions.login_password("ops", demo.OPS_PASSWORD)
    response = client.get("/ops/rq/")
    assert response.status_code == 200 and "RQ" in response.get_data(as_text=True)


def test_seed_demo_is_idempotent(app, demo):
    from coo.models import Certificate, Enterprise
    before = (Enterprise.select().count(), Certificate.select().count())
    assert demo.seed() is False
    assert (Enterprise.select().count(), Certificate.select().count()) == before


def test_enum_labels_are_the_manuals_words():
    assert enums.PrintStatus.PRINTED.label == "已打印"
    assert enums.LayoutStatus.CUSTOMS_GENERATED.label == "海关端生成"
    assert enums.ArchiveStatus.ARCHIVED.label == "已归档"


def test_a_forked_child_never_uses_its_parents_database_connection(app):
    """RQ forks a work horse per job: the child gets a pool of its own, and the parent's
    connection (a PostgreSQL session on a shared socket) still works after the child is gone."""
    import os
    from coo.models import database
    database.connect(reuse_if_open=True)
    parent_connection = database.connection()
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:    # the child: answer through the pipe, then leave without any cleanup
        try:
            database.connect(reuse_if_open=True)
            own = database.connection() is not parent_connection
            works = database.execute_sql("SELECT 1").fetchone()[0] == 1
            database.close()
            os.write(write_end, b"ok" if own and works else b"no")
        finally:
            os._exit(0)
    os.waitpid(pid, 0)
    assert os.read(read_end, 2) == b"ok"
    assert database.connection() is parent_connection
    assert database.execute_sql("SELECT 1").fetchone() == (1,)
