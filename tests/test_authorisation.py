"""授权管理 as the manual describes it: 印章签名授权 (默认印章/默认签名, 授权, 查看结果's countdown,
授权结果), 代理打印授权, 委托企业列表 and the agent view, and the scoping matrix."""
import datetime

import pytest

from coo import enums, queue
from coo.clock import utcnow
from coo.models import (
    AgentAuthorisation, Authorisation, Certificate, CustomsExchange, EnterpriseDefaults, Operator,
    UserAccount, database,
)
from coo.security import hash_secret
from coo.services import access
from coo.validators import uscc_check_char
from conftest import Actions
from customs_helpers import (
    HUADONG, TONGDA, YUANYANG, enterprise, forget_demo_authorisations, make_seal, make_signature,
)

R = enums.ReceiptStatus


@pytest.fixture
def seals(demo):
    """华东's seals and signatures: a usable pair, a disabled seal and an expired one."""
    forget_demo_authorisations()
    ent = enterprise(HUADONG)
    return {
        "seal": make_seal(ent, "公司章"),
        "disabled": make_seal(ent, "旧公司章", status=enums.UsageStatus.DISABLED),
        "expired": make_seal(ent, "过期中英文章", valid_days=(-400, -1)),
        "signature": make_signature(ent, "王建国签名"),
        "disabled_sig": make_signature(ent, "停用签名", status=enums.UsageStatus.DISABLED),
    }


def _defaults(legal_person, seals):
    assert legal_person.post("/authorisation/default-seal", {"seal_id": seals["seal"].id},
                             token_from="/authorisation/").status_code == 303
    assert legal_person.post("/authorisation/default-signature", {"signature_id": seals["signature"].id},
                             token_from="/authorisation/").status_code == 303


def _age(auth, seconds):
    Authorisation.update(submitted_at=utcnow() - datetime.timedelta(seconds=seconds)).where(
        Authorisation.id == auth.id).execute()


# --- 印章签名授权 -------------------------------------------------------------------------------

def test_the_page_lists_seals_and_signatures_with_the_operation_column(client, legal_person, seals):
    response = client.get("/authorisation/")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    for word in ("印章签名授权", "刷新", "授权", "查看结果", "授权结果", "操作", "公司章", "王建国签名",
                 "旧公司章", "已停用", "不在有效期内", "设为默认印章", "设为默认签名"):
        assert word in html, word
    # only enabled, unexpired ones offer 设为默认
    assert html.count("设为默认印章") == 1 and html.count("设为默认签名") == 1


def test_refresh_is_a_fragment_with_the_latest_lists(client, legal_person, seals):
    make_seal(enterprise(HUADONG), "新做的椭圆章")
    response = client.get("/authorisation/", headers={"HX-Request": "true"})
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "<html" not in html
    assert 'id="auth-lists"' in html and "新做的椭圆章" in html


def test_an_operator_needs_the_legal_person_card(client, operator):
    response = client.get("/authorisation/")
    assert response.status_code == 403 and "法人卡" in response.get_data(as_text=True)
    assert operator.post("/authorisation/authorise").status_code == 403


def test_an_agent_user_without_the_card_is_taken_to_its_principals(client, agent):
    response = client.get("/authorisation/")
    assert response.status_code == 302 and response.headers["Location"].endswith("/authorisation/principals")


def test_setting_defaults_marks_them_and_swaps_the_lists(client, legal_person, seals):
    ent = enterprise(HUADONG)
    response = legal_person.post("/authorisation/default-seal", {"seal_id": seals["seal"].id}, htmx=True,
                                 token_from="/authorisation/")
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "<html" not in html and "默认印章" in html
    assert "defaults-changed" in response.headers["HX-Trigger"]
    assert EnterpriseDefaults.get(EnterpriseDefaults.enterprise == ent).seal_id == seals["seal"].id
    response = legal_person.post("/authorisation/default-signature", {"signature_id": seals["signature"].id},
                                 token_from="/authorisation/")
    assert response.status_code == 303
    assert EnterpriseDefaults.get(EnterpriseDefaults.enterprise == ent).signature_id == seals["signature"].id


@pytest.mark.parametrize("field, key, message", [
    ("seal_id", "disabled", "只能将已启用且在有效期内的印章设为默认印章"),
    ("seal_id", "expired", "只能将已启用且在有效期内的印章设为默认印章"),
    ("signature_id", "disabled_sig", "只能将已启用、且申报员未停用的签名设为默认签名"),
])
def test_a_disabled_or_expired_one_cannot_be_the_default(client, legal_person, seals, field, key, message):
    path = "/authorisation/default-seal" if field == "seal_id" else "/authorisation/default-signature"
    for htmx in (False, True):
        response = legal_person.post(path, {field: seals[key].id}, htmx=htmx, token_from="/authorisation/")
        assert response.status_code == 422 and message in response.get_data(as_text=True)
    assert EnterpriseDefaults.select().count() == 0


def _operator_signature(ent, active=True):
    """An enabled signature of a declarant who is an operator (not the legal person)."""
    from coo.models import Signature
    declarant = Operator.create(enterprise=ent, name="赵申报", id_number="110101199003070018", is_declarant=True,
                                active=active)
    signature = make_signature(ent, "赵申报签名")
    Signature.update(declarant=declarant).where(Signature.id == signature.id).execute()
    return Signature.get_by_id(signature.id)


def _disabled_declarant_signature(ent):
    return _operator_signature(ent, active=False)


def test_a_disabled_declarants_signature_cannot_be_the_default(client, legal_person, seals):
    signature = _disabled_declarant_signature(enterprise(HUADONG))
    for htmx in (False, True):
        response = legal_person.post("/authorisation/default-signature", {"signature_id": signature.id},
                                     htmx=htmx, token_from="/authorisation/")
        assert response.status_code == 422
        assert "只能将已启用、且申报员未停用的签名设为默认签名" in response.get_data(as_text=True)
    assert EnterpriseDefaults.select().count() == 0


def test_a_declarant_disabled_after_the_default_was_set_is_not_sent_to_customs(client, legal_person, seals):
    signature = _operator_signature(enterprise(HUADONG))
    _defaults(legal_person, dict(seals, signature=signature))
    Operator.update(active=False).where(Operator.id == signature.declarant_id).execute()
    response = legal_person.post("/authorisation/authorise", token_from="/authorisation/")
    assert response.status_code == 422 and "其申报员已停用，请重新设置默认签名" in response.get_data(as_text=True)
    assert Authorisation.select().count() == 0 and CustomsExchange.select().count() == 0


def test_another_enterprises_seal_cannot_be_the_default(client, legal_person, seals):
    foreign = make_seal(enterprise(YUANYANG), "远洋公司章")
    response = legal_person.post("/authorisation/default-seal", {"seal_id": foreign.id}, token_from="/authorisation/")
    assert response.status_code == 422 and EnterpriseDefaults.select().count() == 0


def test_authorise_without_defaults_is_refused(client, legal_person, seals):
    response = legal_person.post("/authorisation/authorise", htmx=True, token_from="/authorisation/")
    html = response.get_data(as_text=True)
    assert response.status_code == 422 and "请先在“操作”列设置默认印章和默认签名" in html and "<html" not in html
    assert Authorisation.select().count() == 0 and CustomsExchange.select().count() == 0


def test_authorise_with_a_default_seal_disabled_since_is_refused(client, legal_person, seals):
    _defaults(legal_person, seals)
    seals["seal"].status = enums.UsageStatus.DISABLED
    seals["seal"].save()
    response = legal_person.post("/authorisation/authorise", token_from="/authorisation/")
    assert response.status_code == 422 and "请重新设置默认印章" in response.get_data(as_text=True)
    assert Authorisation.select().count() == 0


def test_a_double_click_on_authorise_makes_one_request(app, client, legal_person, seals, worker):
    _defaults(legal_person, seals)
    token = legal_person.token("/authorisation/")
    first = legal_person.post("/authorisation/authorise", {"csrf_token": token})
    second = legal_person.post("/authorisation/authorise", {"csrf_token": token})
    assert first.status_code == second.status_code == 303
    assert Authorisation.select().count() == 1 and CustomsExchange.select().count() == 1
    html = client.get("/authorisation/").get_data(as_text=True)
    assert "请勿重复提交" in html and R.PENDING.label in html
    with app.app_context():
        assert queue.queue("customs").count == 1
    worker.burst(queues=("customs",))
    assert Authorisation.get().status == R.SUCCESS
    # after the receipt, 授权 may be pressed again: a new request
    assert legal_person.post("/authorisation/authorise", token_from="/authorisation/").status_code == 303
    assert Authorisation.select().count() == 2


def test_the_database_holds_one_pending_authorisation_per_enterprise(app, demo, seals):
    from peewee import IntegrityError
    ent = enterprise(HUADONG)
    Authorisation.create(enterprise=ent, seal=seals["seal"], signature=seals["signature"], requested_by="a")
    with pytest.raises(IntegrityError), database.atomic():
        Authorisation.create(enterprise=ent, seal=seals["seal"], signature=seals["signature"], requested_by="b")
    Authorisation.create(enterprise=ent, seal=seals["seal"], signature=seals["signature"], requested_by="c",
                         status=R.FAILED)


def test_the_result_is_refused_before_the_countdown_ends_and_shown_after(app, client, legal_person, seals, worker):
    _defaults(legal_person, seals)
    legal_person.post("/authorisation/authorise", token_from="/authorisation/")
    worker.burst(queues=("customs",))
    auth = Authorisation.get()
    assert auth.status == R.SUCCESS          # the receipt is there, but the delay has not passed
    # plain page (no JavaScript): says how many seconds remain, shows no receipt
    page = client.get("/authorisation/result")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "还需等待" in html and "秒" in html
    assert "回执时间" not in html and "印章签名授权成功" not in html
    # 查看结果 with htmx: the button counts down
    countdown = client.get("/authorisation/result/countdown", headers={"HX-Request": "true"})
    fragment = countdown.get_data(as_text=True)
    assert countdown.status_code == 200 and "<html" not in fragment
    assert "查看结果（" in fragment and "data-countdown=" in fragment and "load delay:" in fragment
    remaining = int(fragment.split('data-countdown="')[1].split('"')[0])
    assert 0 < remaining <= app.config["AUTH_RESULT_DELAY_S"]
    # without htmx the button is a link to the page
    plain = client.get("/authorisation/result/countdown")
    assert plain.status_code == 303 and plain.headers["Location"].endswith("/authorisation/result")
    # the 刷新 fragment refuses too
    refresh = client.get("/authorisation/result", headers={"HX-Request": "true"}).get_data(as_text=True)
    assert "<html" not in refresh and "还需等待" in refresh and "回执时间" not in refresh

    _age(auth, app.config["AUTH_RESULT_DELAY_S"] + 1)
    after = client.get("/authorisation/result/countdown", headers={"HX-Request": "true"})
    assert after.status_code == 204 and after.headers["HX-Redirect"].endswith("/authorisation/result")
    html = client.get("/authorisation/result").get_data(as_text=True)
    for word in ("授权结果", "提交时间", "回执时间", "公司章", "王建国签名", R.SUCCESS.label, "印章签名授权成功",
                 "刷新", "返回", "授权成功时间"):
        assert word in html, word
    refresh = client.get("/authorisation/result", headers={"HX-Request": "true"}).get_data(as_text=True)
    assert "<html" not in refresh and "回执时间" in refresh


def test_a_failed_receipt_shows_failure_and_its_message(app, client, legal_person, seals, worker):
    _defaults(legal_person, seals)
    legal_person.post("/authorisation/authorise", token_from="/authorisation/")
    seals["signature"].status = enums.UsageStatus.DISABLED
    seals["signature"].save()
    worker.burst(queues=("customs",))
    _age(Authorisation.get(), 10_000)
    html = client.get("/authorisation/result").get_data(as_text=True)
    assert R.FAILED.label in html and "申报员签名【王建国签名】已停用，授权失败。" in html
    assert "本企业尚未授权成功" in client.get("/authorisation/").get_data(as_text=True)


def test_the_page_shows_the_success_time_and_when_to_authorise_again(app, client, legal_person, seals):
    ent = enterprise(HUADONG)
    at = utcnow() - datetime.timedelta(days=3)
    auth = Authorisation.create(enterprise=ent, seal=seals["seal"], signature=seals["signature"],
                                requested_by="王建国", submitted_at=at, status=R.SUCCESS, receipt_at=at)
    html = client.get("/authorisation/").get_data(as_text=True)
    assert "授权成功时间" in html and "之前审批通过的证书请采用现行的打印方式" in html
    assert "需要重新授权" not in html
    Authorisation.update(superseded_at=utcnow()).where(Authorisation.id == auth.id).execute()
    html = client.get("/authorisation/").get_data(as_text=True)
    assert "需要重新授权" in html


def test_result_page_before_any_authorisation(client, legal_person, seals):
    html = client.get("/authorisation/result").get_data(as_text=True)
    assert "尚未提交印章签名授权" in html


# --- 代理打印授权 -------------------------------------------------------------------------------

def _succeeded(name):
    ent = enterprise(name)
    seal, sig = make_seal(ent, f"{name}章"), make_signature(ent, f"{name}签名")
    return Authorisation.create(enterprise=ent, seal=seal, signature=sig, requested_by="x",
                                status=R.SUCCESS, receipt_at=utcnow() - datetime.timedelta(days=1))


def _new_agent(code="3101980099", name="宁波顺达报关有限公司", username="sd_agent"):
    from coo.models import Enterprise
    from coo.validators import id_check_char
    body = "91330200MA2J7K9M3"
    ent = Enterprise.create(uscc=body + uscc_check_char(body), customs_code=code, name_zh=name,
                            name_en="NINGBO SHUNDA", is_exporter=False, is_agent=True)
    person = Operator.create(enterprise=ent, name="周敏", id_number="33020219900101123" + id_check_char("33020219900101123"))
    UserAccount.create(username=username, password_hash=hash_secret("Demo@2026"), enterprise=ent, operator=person)
    return ent


def test_agents_are_refused_until_the_own_authorisation_succeeded(client, legal_person):
    forget_demo_authorisations()
    AgentAuthorisation.delete().execute()
    page = client.get("/authorisation/agents").get_data(as_text=True)
    assert "新增代理授权" in page and "印章签名授权尚未成功" in page
    tongda = enterprise(TONGDA)
    response = legal_person.post("/authorisation/agents", {"agent_code": tongda.uscc}, htmx=True,
                                 token_from="/authorisation/agents")
    html = response.get_data(as_text=True)
    assert response.status_code == 422 and "请先完成印章制作、签名制作并授权成功" in html and "<html" not in html
    assert tongda.uscc in html
    assert AgentAuthorisation.select().count() == 0


@pytest.mark.parametrize("code, message", [
    ("", "请输入代理企业的统一社会信用代码"),
    ("91310115MA1K4R6T20", "代理企业代码格式错误"),     # wrong check digit
    ("12345", "代理企业代码格式错误"),
    ("9999999999", "未找到该企业"),
    ("3202960002", "不是代理录入申报企业"),               # 远洋: an exporter, not an agent
    ("3301960001", "不能对本企业进行代理打印授权"),
    ("3101980003", "已对该企业进行代理打印授权"),         # 通达 already has the demo's grant
])
def test_bad_agent_codes_are_refused_with_the_reason(client, legal_person, code, message):
    _succeeded(HUADONG)
    before = AgentAuthorisation.select().count()
    response = legal_person.post("/authorisation/agents", {"agent_code": code}, token_from="/authorisation/agents")
    assert response.status_code == 422 and message in response.get_data(as_text=True)
    assert AgentAuthorisation.select().count() == before


def test_grant_by_customs_code_then_revoke_takes_effect_at_once(app, client, legal_person):
    _succeeded(HUADONG)
    shunda = _new_agent()
    response = legal_person.post("/authorisation/agents", {"agent_code": "3101980099"},
                                 token_from="/authorisation/agents")
    assert response.status_code == 303 and response.headers["Location"].endswith("/authorisation/agents")
    grant = AgentAuthorisation.get(AgentAuthorisation.agent == shunda)
    html = client.get("/authorisation/agents").get_data(as_text=True)
    assert "宁波顺达报关有限公司" in html and "已授权" in html and "撤销授权" in html

    # the agent switches into 华东's view
    other = Actions(app.test_client())
    assert other.login_password("sd_agent", "Demo@2026").status_code == 303
    assert "浙江华东进出口有限公司" in other.client.get("/authorisation/principals").get_data(as_text=True)
    assert other.post(f"/authorisation/principals/{grant.principal_id}/switch").status_code == 303
    assert "代理打印：浙江华东进出口有限公司" in other.client.get("/home").get_data(as_text=True)

    response = legal_person.post(f"/authorisation/agents/{grant.id}/revoke", token_from="/authorisation/agents")
    assert response.status_code == 303
    assert AgentAuthorisation.get_by_id(grant.id).revoked_at is not None
    # at once: the agent's next page is its own view again, and the principal is gone from its list
    assert "代理打印：" not in other.client.get("/home").get_data(as_text=True)
    assert "浙江华东进出口有限公司" not in other.client.get("/authorisation/principals").get_data(as_text=True)
    assert other.post(f"/authorisation/principals/{grant.principal_id}/switch").status_code == 404
    # revoking twice, or another enterprise's grant, is 404
    assert legal_person.post(f"/authorisation/agents/{grant.id}/revoke",
                             token_from="/authorisation/agents").status_code == 404


def test_revoking_another_enterprises_grant_is_404(app, client, demo, actions):
    yuanyang_grant = AgentAuthorisation.create(principal=enterprise(YUANYANG), agent=enterprise(TONGDA),
                                               granted_by="张海涛")
    assert actions.login_card("8800000000001", demo.DEMO_PIN).status_code == 303
    response = actions.post(f"/authorisation/agents/{yuanyang_grant.id}/revoke", token_from="/authorisation/agents")
    assert response.status_code == 404
    assert AgentAuthorisation.get_by_id(yuanyang_grant.id).revoked_at is None


# --- 委托企业列表 and the agent view ---------------------------------------------------------------

def test_principals_list_switch_and_back(client, agent):
    html = client.get("/authorisation/principals").get_data(as_text=True)
    assert "委托企业列表" in html and HUADONG in html and "切换" in html
    fragment = client.get("/authorisation/principals", headers={"HX-Request": "true"}).get_data(as_text=True)
    assert "<html" not in fragment and HUADONG in fragment
    huadong = enterprise(HUADONG)
    response = agent.post(f"/authorisation/principals/{huadong.id}/switch")
    assert response.status_code == 303
    home = client.get("/home").get_data(as_text=True)
    assert f"代理打印：{HUADONG}" in home and "返回本企业" in home
    response = agent.post("/authorisation/switch-back")
    assert response.status_code == 303 and response.headers["Location"].endswith("/authorisation/principals")
    assert "代理打印：" not in client.get("/home").get_data(as_text=True)


def test_switching_to_an_enterprise_that_did_not_authorise_is_404(client, agent):
    assert agent.post(f"/authorisation/principals/{enterprise(YUANYANG).id}/switch").status_code == 404
    assert "代理打印：" not in client.get("/home").get_data(as_text=True)


# --- the scoping matrix ---------------------------------------------------------------------
#
# Exporter A (华东) and exporter B (远洋); agent X (通达) authorised by A only; agent Y (顺达)
# authorised by nobody. Each actor's visible certificates are exactly the expected set, and
# every id outside it answers 404 on every route that takes a certificate id. Routes: the
# explicit list below, plus every rule of the certificate areas with one int argument, so a
# route landing on main is checked without editing this test.

CERTIFICATE_AREAS = ("certificates", "printing", "downloads", "exceptions")
ROUTES = [
    # (method, url template, what the id is)
    ("POST", "/authorisation/principals/{id}/switch", "principal"),
    ("POST", "/authorisation/agents/{id}/revoke", "grant"),
]


def _certificate_routes(app):
    routes = []
    for rule in app.url_map.iter_rules():
        if rule.endpoint.split(".")[0] not in CERTIFICATE_AREAS:
            continue
        args = [name for name, conv in rule._converters.items() if type(conv).__name__ == "IntegerConverter"]
        if len(args) != 1 or len(rule.arguments) != 1:
            continue
        method = "GET" if "GET" in rule.methods else "POST"
        routes.append((method, rule.rule.replace(f"<int:{args[0]}>", "{id}"), "certificate"))
    return routes


@pytest.fixture
def matrix(app, demo):
    a, b, x = enterprise(HUADONG), enterprise(YUANYANG), enterprise(TONGDA)
    y = _new_agent()
    grant = AgentAuthorisation.get((AgentAuthorisation.principal == a) & (AgentAuthorisation.agent == x))
    template = Certificate.select().where(Certificate.exporter == a).first()

    def cert(number, exporter, applicant, approved):
        return Certificate.create(
            number=number, cert_type=template.cert_type, invoice_number="INV-M", applicant=applicant,
            exporter=exporter, importing_country="JAPAN", issue_date=approved.date(),
            issuing_office="杭州海关", approved_at=approved)

    after = grant.granted_at + datetime.timedelta(days=1)
    extra = {
        "y_for_a": cert("E269999000000001", a, y, after),                      # Y declared for A
        "x_for_b": cert("E269999000000002", b, x, after),                      # B never authorised X
        "x_for_a_before": cert("E269999000000003", a, x, grant.granted_at - datetime.timedelta(days=1)),
        "x_for_a": cert("E269999000000004", a, x, after),
    }
    everything = {c.id for c in Certificate.select()}
    by_exporter = lambda e: {c.id for c in Certificate.select().where(Certificate.exporter == e)}
    x_sees = {c.id for c in Certificate.select().where(
        (Certificate.exporter == a) & (Certificate.applicant == x) & (Certificate.approved_at >= grant.granted_at))}
    assert extra["x_for_a"].id in x_sees and extra["x_for_a_before"].id not in x_sees
    actors = {
        # name: (login, principal to switch into or None, expected visible ids)
        "A": ("hd_op", None, by_exporter(a)),
        "B": ("yy_op", None, by_exporter(b)),
        "X in A's view": ("td_agent", a, x_sees),
        "X own view": ("td_agent", None, set()),
        "Y": ("sd_agent", None, set()),
    }
    return dict(app=app, a=a, b=b, x=x, y=y, grant=grant, everything=everything, actors=actors, extra=extra)


def _login(app, username, principal):
    actions = Actions(app.test_client())
    assert actions.login_password(username, "Demo@2026").status_code == 303
    if principal is not None:
        assert actions.post(f"/authorisation/principals/{principal.id}/switch").status_code == 303
    return actions


def test_visible_certificates_matrix(matrix):
    app = matrix["app"]
    for name, (username, principal, expected) in matrix["actors"].items():
        with app.test_request_context():
            from flask_login import login_user
            from coo.services.accounts import Principal
            account = UserAccount.get(UserAccount.username == username)
            login_user(Principal(account=account))
            if principal is not None:
                access.switch_to(principal.id)
            view = access.current_view()
            seen = {c.id for c in access.visible_certificates(view)}
            assert seen == expected, name
            for cid in matrix["everything"] - expected:
                with pytest.raises(Exception) as error:
                    access.certificate_or_404(view, certificate_id=cid)
                assert getattr(error.value, "code", None) == 404, name


def test_agent_y_cannot_switch_into_anyone(matrix):
    y = _login(matrix["app"], "sd_agent", None)
    for ent in (matrix["a"], matrix["b"], matrix["x"]):
        assert y.post(f"/authorisation/principals/{ent.id}/switch").status_code == 404


def test_every_forbidden_id_is_404_on_every_route(matrix):
    app = matrix["app"]
    routes = ROUTES + _certificate_routes(app)
    ids = {
        "certificate": lambda expected: matrix["everything"] - expected,
        "principal": lambda expected: {matrix["b"].id, matrix["x"].id, matrix["y"].id},
        "grant": lambda expected: {g.id for g in AgentAuthorisation.select()},
    }
    checked = 0
    for name, (username, principal, expected) in matrix["actors"].items():
        actions = _login(app, username, principal)
        for method, template, kind in routes:
            for forbidden in sorted(ids[kind](expected))[:25]:
                url = template.format(id=forbidden)
                if method == "GET":
                    response = actions.client.get(url)
                else:
                    response = actions.post(url)
                assert response.status_code in (404, 403), (name, method, url, response.status_code)
                if kind != "grant":
                    assert response.status_code == 404, (name, method, url)
                checked += 1
    assert checked > 0
    assert AgentAuthorisation.select().where(AgentAuthorisation.revoked_at.is_null(False)).count() == 0


def test_demo_authorises_exporters_that_have_a_usable_seal_and_signature(app, demo):
    from coo.services.demo import _authorisations
    ents = {"huadong": enterprise(HUADONG), "yuanyang": enterprise(YUANYANG), "tongda": enterprise(TONGDA)}
    forget_demo_authorisations()
    make_seal(ents["huadong"]), make_signature(ents["huadong"])       # 远洋 has none: skipped
    _authorisations(ents)
    (auth,) = Authorisation.select()
    assert auth.enterprise_id == ents["huadong"].id and auth.status == R.SUCCESS
    assert 199 <= (utcnow() - auth.receipt_at).days <= 200
    assert EnterpriseDefaults.get(EnterpriseDefaults.enterprise == ents["huadong"]).seal_id == auth.seal_id
