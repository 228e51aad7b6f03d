"""Ops: 审计日志 for ops (every enterprise) and for a legal person (their own enterprise only),
and /healthz for load balancers."""
import datetime
import json

from rq import Worker

from redis import Redis

from coo import enums, queue
from coo.clock import today_local, utcnow
from coo.models import AuditEvent, CustomsExchange, Enterprise


def _event(enterprise_code, actor, action, days_ago=0, login="", target=""):
    enterprise = Enterprise.get(Enterprise.customs_code == enterprise_code) if enterprise_code else None
    return AuditEvent.create(enterprise=enterprise, actor=actor, login=login, action=action, target=target,
                             at=utcnow() - datetime.timedelta(days=days_ago), remote_addr="10.0.0.9")


HUADONG, YUANYANG = "3301960001", "3202960002"


def test_ops_sees_every_enterprises_events(client, ops):
    _event(HUADONG, "王建国", "seal_created", target="印章A")
    _event(YUANYANG, "张海涛", "seal_created", target="印章B")
    html = client.get("/ops/audit").get_data(as_text=True)
    assert "审计日志" in html and "印章A" in html and "印章B" in html
    assert "浙江华东进出口有限公司" in html and "江苏远洋贸易有限公司" in html


def test_ops_filters_by_enterprise_person_action_and_date(client, ops):
    _event(HUADONG, "王建国", "seal_created", target="今天的印章")
    _event(HUADONG, "王建国", "seal_created", days_ago=10, target="十天前的印章")
    _event(HUADONG, "李晓梅", "logout", target="李的退出")
    _event(YUANYANG, "张海涛", "seal_created", target="远洋的印章")
    huadong = Enterprise.get(Enterprise.customs_code == HUADONG)
    today = today_local()
    html = client.get(f"/ops/audit?enterprise={huadong.id}&person=王建&action=seal_created"
                      f"&date_from={today - datetime.timedelta(days=1)}&date_to={today}").get_data(as_text=True)
    assert "今天的印章" in html
    assert "十天前的印章" not in html and "李的退出" not in html and "远洋的印章" not in html
    assert "共 1 条记录" in html


def test_person_filter_matches_the_login_name_too(client, ops):
    _event(HUADONG, "李晓梅", "login", login="hd_op", target="按登录名")
    _event(HUADONG, "王建国", "login", login="8800000000001", target="别人")
    html = client.get("/ops/audit?person=HD_OP").get_data(as_text=True)
    assert "按登录名" in html and "别人" not in html


def test_audit_results_are_a_fragment_for_htmx_and_paged(client, ops):
    for i in range(25):
        _event(YUANYANG, "张海涛", "seal_created", target=f"印章{i:02d}")
    response = client.get("/ops/audit?action=seal_created", headers={"HX-Request": "true"})
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "<html" not in html and 'id="audit-results"' in html
    assert "共 25 条记录" in html and "第 1 / 2 页" in html and "印章24" in html and "印章00" not in html
    page2 = client.get("/ops/audit?action=seal_created&page=2").get_data(as_text=True)
    assert "<html" in page2 and "第 2 / 2 页" in page2 and "印章00" in page2 and "印章24" not in page2
    assert "上一页" in page2


def test_a_bad_date_gets_a_chinese_message_and_422(client, ops):
    response = client.get("/ops/audit?date_from=2026-13-40")
    assert response.status_code == 422 and "不是有效日期，日期格式应为 YYYY-MM-DD" in response.get_data(as_text=True)
    response = client.get("/ops/audit?date_from=2026-05-02&date_to=2026-05-01", headers={"HX-Request": "true"})
    assert response.status_code == 422 and "起始日期不能晚于结束日期" in response.get_data(as_text=True)


def test_actions_are_shown_by_their_chinese_names(client, ops):
    html = client.get("/ops/audit?action=login").get_data(as_text=True)
    assert ">登录<" in html   # ops' own login, recorded by the fixture


def test_the_audit_log_shows_chinese_action_labels_not_codes(app, client, ops):
    """The actions the services record, as the 审计日志 shows them: in the 操作 column and the
    操作 choice, Chinese words; the English codes appear only as the choice's values."""
    import re
    from coo.services import audit, verify
    huadong = Enterprise.get(Enterprise.customs_code == HUADONG)
    with app.app_context():
        audit.record(enums.AuditAction.ARCHIVED, "E231026902330075", enterprise=huadong, actor="海关")
        audit.record("print_confirmed", "E231026902330076", "是", enterprise=huadong, actor="李晓梅")
        audit.record("download_original", "E231026902330077", enterprise=huadong, actor="李晓梅")
        from coo.models import Certificate
        verify.log_inquiry("E231026902330075", Certificate.select().where(Certificate.exporter == huadong).first())
        verify.log_inquiry("E999999999999999", None)
    html = client.get("/ops/audit").get_data(as_text=True)
    cells = re.findall(r"<td>([^<]*)</td>", html)
    for label in ("海关已归档", "确认打印结果", "下载正本", "证书核查", "登录"):
        assert label in cells, label
    assert "查到已归档证书" in cells and "未查到（编号或核查码不符，或未归档）" in cells
    for code in ("archived", "print_confirmed", "download_original", "verify_inquiry", "login", "found",
                 "not found"):
        assert code not in cells, code
    options = dict(re.findall(r'<option value="([a-z_]+)"[^>]*>([^<]+)</option>', html))
    assert options["archived"] == "海关已归档" and options["print_confirmed"] == "确认打印结果"
    assert options["download_original"] == "下载正本" and options["verify_inquiry"] == "证书核查"


def test_an_action_without_a_chinese_label_cannot_be_recorded(app):
    import pytest
    from coo.services import audit
    with app.app_context(), pytest.raises(ValueError):
        audit.record("something_new")
    assert not AuditEvent.select().where(AuditEvent.action == "something_new").exists()


def test_every_action_the_code_records_has_a_chinese_label():
    """Read from the source, so an action on a path no test walks is caught too."""
    import ast
    import itertools
    from pathlib import Path
    from coo.services.seals import KINDS
    root = Path(__file__).resolve().parent.parent
    found = set()
    for path in [*root.glob("coo/**/*.py"), *root.glob("jobs/**/*.py")]:
        tree = ast.parse(path.read_text(encoding="utf-8"))
        # 印章制作 and 签名制作 share their code (the kind table), so some actions are f-strings:
        # f"{kind.key}_{action}" stands for each kind with each string the file assigns to `action`.
        assigned = {}
        for node in ast.walk(tree):
            if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
                assigned.setdefault(node.targets[0].id, set()).update(
                    c.value for c in ast.walk(node.value) if isinstance(c, ast.Constant) and isinstance(c.value, str))

        def spellings(part):
            if isinstance(part, ast.Constant):
                return [part.value]
            name = ast.unparse(part.value)
            if name in ("kind", "kind.key"):
                return list(KINDS)
            assert name in assigned, f"{path}: cannot tell what {{{name}}} is in an audit action"
            return sorted(assigned[name])

        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and getattr(node.func, "attr", "") == "record" \
                    and getattr(node.func.value, "id", "") == "audit" and node.args:
                first = node.args[0]
                if isinstance(first, ast.Constant):
                    found.add(first.value)
                elif isinstance(first, ast.JoinedStr):
                    found.update("".join(p) for p in itertools.product(*map(spellings, first.values)))
    assert len(found) > 30
    assert {"seal_disable", "signature_enable", "signature_delete", "seal_upload"} <= found
    unlabelled = sorted(code for code in found if enums.AuditAction.parse(code) is None)
    assert not unlabelled, unlabelled


def test_enterprise_users_get_404_for_the_ops_audit(client, legal_person):
    assert client.get("/ops/audit").status_code == 404


def test_legal_person_sees_only_their_own_enterprise(client, legal_person):
    _event(HUADONG, "王建国", "seal_created", target="华东印章")
    _event(YUANYANG, "张海涛", "seal_created", target="远洋印章")
    yuanyang = Enterprise.get(Enterprise.customs_code == YUANYANG)
    account = client.get("/account/").get_data(as_text=True)
    assert 'href="/account/audit"' in account and "审计日志" in account
    for url in ("/account/audit", f"/account/audit?enterprise={yuanyang.id}"):
        response = client.get(url)
        html = response.get_data(as_text=True)
        assert response.status_code == 200 and "华东印章" in html and "远洋印章" not in html, url
        assert "全部企业" not in html   # no enterprise choice on the legal person's page


def test_operator_is_told_the_audit_needs_the_legal_person_card(client, operator):
    response = client.get("/account/audit")
    assert response.status_code == 403 and "法人卡" in response.get_data(as_text=True)
    assert 'href="/account/audit"' not in client.get("/account/").get_data(as_text=True)


# --- /healthz --------------------------------------------------------------------------------

def _register_worker(app):
    """A real RQ worker registration (what `rq worker` writes at start)."""
    with app.app_context():
        worker = Worker([queue.queue("default")], connection=queue.redis(), name="healthz-probe")
        worker.register_birth()
    return worker


def test_healthz_is_200_with_database_redis_and_a_worker(app, client):
    _register_worker(app)
    with app.app_context():
        queue.enqueue("jobs.maintenance.ping", "waiting", job_id="ping-waiting")
    response = client.get("/healthz")
    report = response.get_json()
    assert response.status_code == 200 and report["status"] == "ok"
    assert report["checks"]["database"]["ok"] and report["checks"]["redis"]["ok"]
    assert report["checks"]["workers"]["alive"] == 1
    assert report["queues"]["default"] == 1 and report["queues"]["customs"] == 0
    assert report["customs_exchanges"] == {"pending": 0, "oldest_age_s": None}
    assert response.headers["Cache-Control"] == "no-store"


def test_healthz_is_503_without_a_worker(app, client):
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.get_json()["checks"]["workers"] == {"ok": False, "alive": 0, "workers": []}


def test_healthz_reports_the_oldest_pending_exchange(app, client):
    _register_worker(app)
    old = utcnow() - datetime.timedelta(minutes=10)
    CustomsExchange.create(kind=enums.ExchangeKind.ARCHIVE, subject_id=1, created_at=old, updated_at=old)
    CustomsExchange.create(kind=enums.ExchangeKind.ARCHIVE, subject_id=2, status=enums.ExchangeStatus.SENT)
    CustomsExchange.create(kind=enums.ExchangeKind.ARCHIVE, subject_id=3, status=enums.ExchangeStatus.DONE,
                           created_at=old - datetime.timedelta(days=1))
    exchanges = client.get("/healthz").get_json()["customs_exchanges"]
    assert exchanges["pending"] == 2 and 600 <= exchanges["oldest_age_s"] < 700


def test_healthz_is_503_when_redis_is_down_and_tells_no_secrets(app, client):
    live = app.extensions["coo_redis"]
    app.extensions["coo_redis"] = Redis.from_url("redis://127.0.0.1:1/0", socket_connect_timeout=0.5)
    try:
        response = client.get("/healthz")
    finally:
        app.extensions["coo_redis"] = live
    body = response.get_data(as_text=True)
    report = json.loads(body)
    assert response.status_code == 503 and report["checks"]["redis"] == {
        "ok": False, "ms": report["checks"]["redis"]["ms"], "error": "ConnectionError"}
    assert report["checks"]["database"]["ok"] is True
    for secret in ("redis://", "sqlite:", "postgresql:", app.config["SECRET_KEY"], "password", "127.0.0.1:1"):
        assert secret not in body


def test_healthz_needs_no_login_and_no_csrf(app, client):
    assert client.get("/healthz").status_code in (200, 503)
    assert client.get("/healthz").mimetype == "application/json"


def test_ops_sees_the_layouts_that_failed_and_why(app, client, ops):
    """A certificate whose approved text cannot be printed whole gets no layout (生成失败): the
    ops page lists it with the reason. (A 56 mm company seal leaves box 15 too little room for the
    RCEP declaration with a 64-character importing country.)"""
    from coo.models import Certificate, CertificateType
    from coo.services import demo_layouts, layouts
    from customs_helpers import forget_demo_authorisations
    forget_demo_authorisations()
    with app.app_context():
        exporter = Enterprise.get(Enterprise.customs_code == HUADONG)
        demo_layouts.authorise(exporter, 56.0, receipt_at=utcnow() - datetime.timedelta(days=200))
        cert = (Certificate.select().join(CertificateType)
                .where((CertificateType.code == "RC") & (Certificate.exporter == exporter)
                       & (Certificate.approved_at > utcnow() - datetime.timedelta(days=180)))
                .order_by(Certificate.id).first())
        Certificate.update(importing_country="REPUBLIC OF INDONESIA " + "X" * 42).where(Certificate.id == cert.id).execute()
        assert layouts.run(cert.id) == "failed"
    html = client.get("/ops/").get_data(as_text=True)
    section = html.split("版式生成失败", 1)[1]
    assert cert.number in section and "生成失败" in section and "Box 15" in section and "6.5 pt" in section


# --- RQ dashboard ------------------------------------------------------------------------------

def test_compacting_an_empty_queue_in_the_rq_dashboard_is_ok_not_a_500(app, client, ops):
    """RQ's Queue.compact() RENAMEs the queue's list, which Redis refuses when the queue is empty."""
    response = client.post("/ops/rq/queue/default/compact", headers={"Origin": "http://localhost"})
    assert response.status_code == 200 and response.get_json() == {"status": "OK"}
    with app.app_context():
        live = queue.enqueue("jobs.maintenance.ping", "live", job_id="ping-live")
        dead = queue.enqueue("jobs.maintenance.ping", "dead", job_id="ping-dead")
        queue.redis().delete(dead.key)          # its data expired: only the id is left in the queue
        assert queue.queue("default").job_ids == ["ping-live", "ping-dead"]
    response = client.post("/ops/rq/queue/default/compact", headers={"Origin": "http://localhost"})
    assert response.status_code == 200 and response.get_json() == {"status": "OK"}
    with app.app_context():
        assert queue.queue("default").job_ids == [live.id]


def test_only_the_dashboard_allows_eval(client, ops):
    dashboard = client.get("/ops/rq/").headers["Content-Security-Policy"]
    assert "script-src 'self' 'unsafe-inline' 'unsafe-eval'" in dashboard
    assert "frame-ancestors 'none'" in dashboard and "object-src 'none'" in dashboard
    for path in ("/ops/", "/ops/audit", "/login"):
        policy = client.get(path).headers["Content-Security-Policy"]
        assert "unsafe-eval" not in policy and "unsafe-inline" not in policy, path
