"""Every POST form refuses bad input (missing, too long, non-ASCII, the wrong type) with its
Chinese message, shows what was typed again, and changes nothing (coo/web/forms.py)."""
import datetime
import io

import pytest

from coo import enums, scan
from coo.models import (
    AgentAuthorisation, AuditEvent, Card, Certificate, CustomsExchange, EnterpriseDefaults,
    ExceptionApplication, Operator, PrintJob, Seal, Signature, UserAccount,
)
from coo.services import exceptions as exception_rules
from coo.web.forms import ScanImage

from printing_support import paired_control, printable


def _text(response):
    return response.get_data(as_text=True)


def state():
    """What any of these forms could change."""
    return (Seal.select().count(), Signature.select().count(), Operator.select().count(),
            AgentAuthorisation.select().count(), ExceptionApplication.select().count(),
            PrintJob.select().count(), Certificate.select().count(), CustomsExchange.select().count(),
            AuditEvent.select().count(),
            [(d.seal_id, d.signature_id) for d in EnterpriseDefaults.select().order_by(EnterpriseDefaults.id)],
            [(c.failed_pin_count, c.locked) for c in Card.select().order_by(Card.id)],
            [(u.failed_password_count, u.locked) for u in UserAccount.select().order_by(UserAccount.id)],
            [(s.status, s.name) for s in Seal.select().order_by(Seal.id)],
            [(p.print_status, p.print_count) for p in Certificate.select().order_by(Certificate.id)])


def refused(response, message, status=422):
    html = _text(response)
    assert response.status_code == status, html[:500]
    assert message in html, html[:2000]
    return html


# --- 进入系统 ----------------------------------------------------------------------------------------

CARD_LOGINS = [
    ("no PIN", {"card_number": "8800000000001"}, "请输入卡号和卡密码。", 'value="8800000000001"'),
    ("no card number", {"pin": "Zq7-pin"}, "请输入卡号和卡密码。", None),
    ("too long", {"card_number": "8" * 40, "pin": "Zq7-pin"}, "卡号不能超过 32 个字符。", 'value="' + "8" * 40),
    ("full-width digits", {"card_number": "８８００００００００００１", "pin": "Zq7-pin"},
     "卡号只能包含数字和字母", 'value="８８００００００００００１"'),
    ("PIN too long", {"card_number": "8800000000001", "pin": "8" * 100}, "卡密码不能超过 64 个字符。", None),
]


@pytest.mark.parametrize("label,data,message,refill", CARD_LOGINS, ids=[c[0] for c in CARD_LOGINS])
def test_card_login_refuses_bad_input_and_counts_nothing(client, demo, actions, label, data, message, refill):
    before = state()
    for htmx in (False, True):
        response = actions.post("/login/card", data, htmx=htmx, token_from="/login")
        html = refused(response, message)
        assert refill is None or refill in html
        assert 'type="password"' in html and "Zq7-pin" not in html     # a PIN is never echoed
    assert state() == before
    assert client.get("/home").status_code in (302, 303)                 # not logged in


PASSWORD_LOGINS = [
    ("no password", {"username": "hd_op"}, "请输入用户名和密码。"),
    ("too long", {"username": "h" * 65, "password": "x"}, "用户名不能超过 64 个字符。"),
    ("password too long", {"username": "hd_op", "password": "x" * 129}, "密码不能超过 128 个字符。"),
]


@pytest.mark.parametrize("label,data,message", PASSWORD_LOGINS, ids=[c[0] for c in PASSWORD_LOGINS])
def test_password_login_refuses_bad_input_and_counts_nothing(client, demo, actions, label, data, message):
    before = state()
    html = refused(actions.post("/login/password", data, token_from="/login"), message)
    assert f'value="{data["username"]}"' in html
    assert state() == before


# --- 印章制作 / 签名制作 ------------------------------------------------------------------------------

def _seal_fields(**overrides):
    card = Card.get(Card.number == "8800000000001")
    fields = {"owner_id": str(card.holder_id), "seal_type": "company", "name": "合同专用章",
              "valid_from": datetime.date.today().isoformat(), "valid_to": card.valid_to.isoformat(),
              "action": "preview"}
    fields.update(overrides)
    return fields


def _png():
    from tests import scans
    return scans.round_seal()


SEAL_FORMS = [
    ("no name", {"name": "  "}, "请填写印章名称。"),
    ("name too long", {"name": "章" * 101}, "印章名称不能超过 100 个字。"),
    ("date of the wrong shape", {"valid_from": "2026/01/01"}, "起始日期：日期格式应为 YYYY-MM-DD。"),
    ("full-width date", {"valid_to": "２０２６-０１-０１"}, "结束日期：日期格式应为 YYYY-MM-DD。"),
    ("no end date", {"valid_to": ""}, "请选择结束日期。"),
    ("owner that is no id", {"owner_id": "中"}, "请选择印章操作员（绑卡的法人或操作员）。"),
    ("unknown seal type", {"seal_type": "round"}, "请选择印章类型。"),
    ("scan posted as text", {"scan": "seal.png"}, ScanImage.NOT_A_FILE),
    ("scan of another type", {"scan": lambda: (io.BytesIO(b"GIF89a"), "seal.gif")}, scan.NOT_IMAGE),
]


@pytest.mark.parametrize("label,change,message", SEAL_FORMS, ids=[c[0] for c in SEAL_FORMS])
def test_seal_form_refuses_bad_input_keeping_what_was_typed(client, legal_person, demo, label, change, message):
    before = state()
    for action in ("preview", "save"):
        data = _seal_fields(**{k: v() if callable(v) else v for k, v in change.items()}, action=action,
                            pin=demo.DEMO_PIN)
        data.setdefault("scan", (io.BytesIO(_png()), "seal.png"))
        html = refused(legal_person.post("/seals/new", data, htmx=True), message)
        assert "<html" not in html and 'id="seal-form"' in html
        typed = change.get("name", "合同专用章").strip()
        if typed and label != "name too long":
            assert f'value="{typed}"' in html
        if isinstance(change.get("valid_from"), str):
            assert f'value="{change["valid_from"]}"' in html
    # A preview stores the processed scan, but no seal, audit line or PIN failure is recorded.
    after = state()
    assert after[:8] == before[:8] and after[9:] == before[9:]
    assert not AuditEvent.select().where(AuditEvent.action.in_(["seal_create", "pin_failed"])).exists()


@pytest.mark.parametrize("filename", ["seal.jfif", "SCAN0001", "seal.PNG.gif"])
def test_a_scan_is_judged_by_what_it_is_not_by_its_name(client, legal_person, demo, filename):
    """A real PNG under a scanner's odd name is previewed; the name is not trusted either way."""
    data = _seal_fields(action="preview", pin=demo.DEMO_PIN)
    data["scan"] = (io.BytesIO(_png()), filename)
    response = legal_person.post("/seals/new", data, htmx=True)
    html = _text(response)
    assert response.status_code == 200, html[:1000]
    assert 'name="upload_token"' in html and scan.NOT_IMAGE not in html


def test_a_forged_preview_token_is_said_under_the_file(client, legal_person, demo):
    """A preview token the server never gave (too long, or not signed) reads as an expired preview."""
    from coo.services import seals as seal_rules
    before = state()
    for token in ("x" * 3000, "x" * 20):
        data = _seal_fields(action="save", pin=demo.DEMO_PIN, upload_token=token)
        html = refused(legal_person.post("/seals/new", data, htmx=True), seal_rules.MSG_UPLOAD_EXPIRED)
        assert 'role="alert"' in html
    assert state() == before


def test_editing_a_seal_with_bad_input_leaves_it_as_it_was(client, legal_person, demo):
    seal = Seal.get(Seal.name == "公司报关专用章")
    before = state()
    response = legal_person.post(f"/seals/{seal.id}/edit", _seal_fields(name="章" * 101, action="save",
                                                                      pin=demo.DEMO_PIN), htmx=True)
    refused(response, "印章名称不能超过 100 个字。")
    assert state() == before and Seal.get_by_id(seal.id).name == "公司报关专用章"


def test_signature_form_refuses_bad_input(client, legal_person, demo):
    declarant = Operator.get(Operator.name == "王建国")
    before = (Signature.select().count(), AuditEvent.select().where(AuditEvent.action == "signature_create").count())
    cases = [({"declarant_id": str(declarant.id), "name": "签" * 101}, "签名名称不能超过 100 个字。"),
             ({"declarant_id": "١٢", "name": "王建国签名"}, "请选择签名申报员名称。"),
             ({"declarant_id": str(declarant.id), "scan": "x"}, ScanImage.NOT_A_FILE)]
    for fields, message in cases:
        html = refused(legal_person.post("/seals/signatures/new", {**fields, "action": "save", "pin": demo.DEMO_PIN},
                                         htmx=True), message)
        assert 'id="signature-form"' in html
    assert (Signature.select().count(),
            AuditEvent.select().where(AuditEvent.action == "signature_create").count()) == before


def test_the_seal_table_buttons_refuse_a_missing_or_crafted_choice(client, legal_person):
    before = state()
    refused(legal_person.post("/seals/act", {"op": "disable"}, htmx=True), "请先在列表中选择印章。")
    refused(legal_person.post("/seals/signatures/act", {"op": "delete"}, htmx=True), "请先在列表中选择签名。")
    seal = Seal.get(Seal.name == "公司报关专用章")
    assert legal_person.post("/seals/act", {"op": "explode", "seal_id": seal.id}).status_code == 400
    assert legal_person.post("/seals/act", {"op": "disable", "seal_id": "²"}).status_code == 404
    assert legal_person.post("/seals/act", {"op": "disable", "seal_id": "9" * 30}).status_code == 404
    assert state() == before


# --- 授权管理, 我的操作员 ---------------------------------------------------------------------------

def test_default_seal_and_signature_refuse_what_is_no_row(client, legal_person):
    from coo.services import authorisation as auth
    before = state()
    refused(legal_person.post("/authorisation/default-seal", {"seal_id": "中"}, htmx=True), auth.SEAL_NOT_USABLE)
    refused(legal_person.post("/authorisation/default-signature", {"signature_id": "9" * 5000}, htmx=True),
            auth.SIGNATURE_NOT_USABLE)
    refused(legal_person.post("/authorisation/default-seal", {}, htmx=True), auth.SEAL_NOT_USABLE)
    assert state() == before


def test_agent_grant_refuses_a_code_too_long_or_not_ascii(client, legal_person):
    before = state()
    html = refused(legal_person.post("/authorisation/agents", {"agent_code": "9" * 40}), "代理企业代码不能超过 32 个字符。")
    assert "9" * 40 in html
    html = refused(legal_person.post("/authorisation/agents", {"agent_code": "３１０１９８０００３"}),
                   "代理企业代码只能包含数字和字母")
    assert "３１０１９８０００３" in html
    assert state() == before


OPERATORS = [
    ("no name", {"name": " ", "id_number": "110101199003074514", "phone": "13800000000"}, "请填写姓名。"),
    ("name too long", {"name": "张" * 51, "id_number": "110101199003074514", "phone": "13800000000"},
     "姓名不能超过 50 个字。"),
    ("ID number with a superscript", {"name": "陈静", "id_number": "11010119900307451²", "phone": "13800000000"},
     "身份证号应为 18 位"),
    ("phone of letters", {"name": "陈静", "id_number": "110101199003074514", "phone": "abc"},
     "联系电话应为 11 位手机号"),
    ("no phone", {"name": "陈静", "id_number": "110101199003074514"}, "请填写联系电话。"),
]


@pytest.mark.parametrize("label,data,message", OPERATORS, ids=[c[0] for c in OPERATORS])
def test_new_operator_refuses_bad_input_keeping_it(client, legal_person, label, data, message):
    before = state()
    html = refused(legal_person.post("/account/operators/new", data, htmx=True), message)
    if data["name"].strip() and len(data["name"]) <= 50:
        assert f'value="{data["name"]}"' in html
    assert state() == before


def test_new_operator_says_every_mistake_at_once_the_taken_id_number_too(client, legal_person):
    from coo.services import operators
    taken = Card.get(Card.number == "8800000000001").holder.id_number    # the legal person, already an operator
    before = state()
    html = refused(legal_person.post("/account/operators/new", {"name": " ", "id_number": taken, "phone": "abc"},
                                     htmx=True), "请填写姓名。")
    assert operators.ID_TAKEN in html and "联系电话应为 11 位手机号" in html
    assert state() == before


# --- 证书打印, 是/否, 打印异常申请 ------------------------------------------------------------------

def test_export_with_a_bad_query_is_refused(client, operator):
    before = state()
    refused(operator.post("/certificates/export", {"issued_from": "2026-02-30"}, token_from="/certificates/"),
            "日期格式应为 YYYY-MM-DD。")
    assert state() == before


def test_print_without_a_kind_or_a_row_says_what_is_missing(app, client, operator):
    cert, = printable(app)
    paired_control()
    before = state()
    refused(operator.post("/printing/jobs", {"ids": cert.id, "kind": "everything"}, token_from="/certificates/"),
            "请选择打印方式：打印正副本、打印正本或打印副本。")
    refused(operator.post("/printing/jobs", {"kind": "original"}, token_from="/certificates/"), "请勾选要打印的证书。")
    assert operator.post("/printing/jobs", {"ids": "中", "kind": "original"},
                         token_from="/certificates/").status_code == 404
    assert state() == before


def test_confirm_with_neither_yes_nor_no_changes_nothing(app, client, operator):
    from test_printing import print_button, printed_by_control
    cert, = printable(app)
    _, token = paired_control()
    print_button(operator, [cert], kind=enums.PrintKind.ORIGINAL)
    job = PrintJob.get()
    printed_by_control(client, token, job.id)
    before = state()
    for answer in ("", "maybe", "是", "y" * 1000):
        refused(operator.post(f"/printing/jobs/{job.id}/confirm", {"answer": answer}, htmx=True),
                "请点击“是”或“否”确认打印结果。")
    assert state() == before and PrintJob.get_by_id(job.id).confirmed_at is None


def test_exception_application_refuses_bad_input_keeping_it(client, operator):
    from test_exceptions import own_certificates, printed
    cert = printed(own_certificates()[0])
    before = state()
    cases = [({"reason": ""}, exception_rules.REASON_REQUIRED),
             ({"reason": "中"}, exception_rules.REASON_REQUIRED),
             ({"reason": "other", "details": "   "}, exception_rules.DETAILS_REQUIRED),
             ({"reason": "paper_jam", "details": "卡" * 501}, exception_rules.DETAILS_TOO_LONG)]
    for fields, message in cases:
        html = refused(operator.post("/exceptions/apply", {"certificate": cert.id, **fields}, htmx=True), message)
        if fields.get("details", "").strip():
            assert fields["details"] in html
    assert operator.post("/exceptions/apply", {"certificate": "١", "reason": "paper_jam"}).status_code == 404
    assert state() == before


def test_the_simulator_refuses_values_too_long(client, ops):
    before = state()
    html = refused(ops.post("/ops/simulator", {"exporter_id": "9" * 30, "applicant_id": "1", "cert_type": "E",
                                               "country": "INDONESIA"}), "出口商不能超过 20 个字符。")
    assert "INDONESIA" in html
    assert state() == before


# --- A JSON body is not a form ----------------------------------------------------------------

@pytest.mark.parametrize("body", [[1], "s", 5, {"card_number": 5, "pin": ["x"]}, {"username": {"a": 1}}])
def test_a_json_body_posted_to_a_form_is_refused_as_nothing_posted(client, demo, actions, body):
    """CSRF accepts the X-CSRFToken header, so anyone can post JSON to the login forms: it is
    read as an empty form (the form's message, 422), never as fields (a list or number was a 500)."""
    before = state()
    for path, message in (("/login/card", "请输入卡号和卡密码。"), ("/login/password", "请输入用户名和密码。")):
        response = client.post(path, json=body, headers={"X-CSRFToken": actions.token("/login")})
        refused(response, message)
    assert state() == before


def test_a_json_body_posted_to_a_signed_in_form_changes_nothing(client, legal_person):
    before = state()
    response = client.post("/authorisation/agents", json={"agent_code": 5},
                           headers={"X-CSRFToken": legal_person.token("/authorisation/agents")})
    assert response.status_code == 422, response.get_data(as_text=True)[:300]
    assert state() == before
