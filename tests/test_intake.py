"""Approved certificates coming in: the signed endpoint (and every refusal changing nothing),
the import command, the ops page of the simulator, and the documented schema."""
import copy
import json
import time
from pathlib import Path

import pytest

from coo import queue
from coo.customs import signing
from coo.models import AuditEvent, Certificate, GoodsLine, SimulatorMessage
from coo.services import intake
from customs_helpers import HUADONG, TONGDA, enterprise

ROOT = Path(__file__).resolve().parent.parent
SCHEMA = json.loads((ROOT / "docs" / "certificate.schema.json").read_text(encoding="utf-8"))
URL = "/api/customs/v1/certificates"


def record(number="E263301500000001", **changes):
    rec = copy.deepcopy(SCHEMA["examples"][0])
    rec["number"] = number
    rec.update(changes)
    return rec


def post(client, app, body, *, key=None, timestamp=None, headers=None):
    data = body if isinstance(body, bytes) else json.dumps(body, ensure_ascii=False).encode()
    signed = headers or signing.sign(key or app.config["CUSTOMS_SHARED_KEY"], "POST", URL, data,
                                     timestamp=timestamp)
    return client.post(URL, data=data, headers={**signed, "Content-Type": "application/json"}), signed


def snapshot():
    return (Certificate.select().count(), GoodsLine.select().count(), AuditEvent.select().count(),
            [(c.number, c.invoice_number) for c in Certificate.select().order_by(Certificate.id)])


def test_a_signed_certificate_is_stored_and_its_layout_is_enqueued(client, app, demo):
    response, _ = post(client, app, record())
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    cert = Certificate.get(Certificate.number == "E263301500000001")
    assert body == {"status": "created", "number": cert.number, "id": cert.id}
    assert cert.exporter.name_zh == HUADONG and cert.applicant.name_zh == HUADONG
    assert [g.hs_code for g in cert.goods] == ["6109.10"]
    assert cert.approved_at.hour == 1 and cert.approved_at.minute == 30    # 09:30 China time in UTC
    with app.app_context():
        job = queue.job_status(f"layout-{cert.id}")
    assert job is not None and job.origin == "layouts" and job.func_name == "jobs.layouts.render_certificate"


@pytest.mark.parametrize("case", ["bad_signature", "stale_timestamp", "replayed_nonce", "malformed_json",
                                  "duplicate_number", "invalid_record", "missing_signature"])
def test_each_refusal_is_a_clear_4xx_and_changes_nothing(client, app, demo, case):
    if case in ("replayed_nonce", "duplicate_number"):
        first, signed = post(client, app, record())
        assert first.status_code == 201
    before = snapshot()
    if case == "bad_signature":
        response, _ = post(client, app, record(), key="somebody-else")
    elif case == "stale_timestamp":
        response, _ = post(client, app, record(), timestamp=time.time() - app.config["CUSTOMS_REPLAY_WINDOW_S"] - 5)
    elif case == "replayed_nonce":
        response, _ = post(client, app, record(), headers=signed)
    elif case == "malformed_json":
        response, _ = post(client, app, b'{"number": "E2633015000000')
    elif case == "duplicate_number":
        response, _ = post(client, app, record(invoice_number="OTHER-INVOICE"))
    elif case == "invalid_record":
        response, _ = post(client, app, record(number="E12345", exporter_uscc="91330100MA2H3K5L70"))
    else:
        response = client.post(URL, json=record())
    expected = {"bad_signature": 401, "stale_timestamp": 401, "replayed_nonce": 401,
                "missing_signature": 401, "malformed_json": 400, "duplicate_number": 409,
                "invalid_record": 422}[case]
    body = response.get_json()
    assert response.status_code == expected
    assert body["status"] == "refused" and body["error"] == case
    assert " / " in body["message"] and any("\u4e00" <= ch <= "\u9fff" for ch in body["message"])
    assert snapshot() == before
    if case == "invalid_record":
        assert any("证书编号 E12345 格式错误" in e for e in body["errors"])
        assert any("统一社会信用代码" in e and "校验位错误" in e for e in body["errors"])


def test_the_endpoint_needs_no_csrf_token_but_only_answers_post(client, app):
    response = client.get(URL)
    assert response.status_code == 405 and response.get_json()["status"] == "refused"
    assert client.get("/api/customs/v1/nothing-here").get_json()["message"].startswith("页面或数据不存在")


@pytest.mark.parametrize("changes, reason", [
    ({"type": "ZZ"}, "未知的证书类别 ZZ"),
    ({"type": "C"}, "证书编号前缀 E 与证书类别 C 不符"),
    ({"exporter_uscc": "91110000100000000R"}, "未在本系统注册"),
    ({"goods": []}, "至少需要一项货物"),
    ({"goods": [{"description": "X", "hs_code": "61", "quantity": "1", "origin_criterion": "WO"}]}, "HS编码 61 格式错误"),
    ({"issue_date": "2999-01-01"}, "签发日期不能晚于今天"),
    ({"approved_at": "yesterday"}, "审批时间格式错误"),
    ({"consignee_text": ""}, "收货人信息不能为空"),
    ({"platform": "fax"}, "未知的申报平台 fax"),
    ({"third_party_invoicing": "yes"}, "third_party_invoicing：第三方发票应为 true 或 false"),
    ({"exhibition": 1}, "exhibition：展览应为 true 或 false"),
])
def test_intake_explains_each_bad_field(app, demo, changes, reason):
    fields, errors = intake.validate(record(**changes))
    assert any(reason in e for e in errors), errors


def test_an_agent_may_be_the_applicant_but_another_exporter_may_not(app, demo):
    agent = enterprise(TONGDA)
    assert intake.validate(record(applicant_uscc=agent.uscc))[1] == []
    other = enterprise("江苏远洋贸易有限公司")
    errors = intake.validate(record(applicant_uscc=other.uscc))[1]
    assert any("既不是出口商本身，也不是代理录入申报企业" in e for e in errors)


def test_schema_required_fields_are_the_ones_intake_requires():
    assert tuple(SCHEMA["required"]) == intake.REQUIRED


def test_import_command_imports_good_records_and_rejects_bad_ones_one_by_one(app, demo, tmp_path):
    path = tmp_path / "certs.json"
    path.write_text(json.dumps({"certificates": [
        record("E263301500000011"),
        record("E2633"),
        record("E263301500000012", exporter_uscc="91110000100000000R"),
        record("E263301500000013", invoice_number="INV-2"),
        record("E263301500000011"),
    ]}, ensure_ascii=False), encoding="utf-8")
    result = app.test_cli_runner().invoke(args=["coo", "import-certificates", str(path)])
    assert result.exit_code == 1
    out = result.output
    assert "第1条 E263301500000011：已导入" in out and "第4条 E263301500000013：已导入" in out
    assert "第2条 E2633：已拒绝" in out and "格式错误" in out
    assert "第3条 E263301500000012：已拒绝" in out and "未在本系统注册" in out
    assert "第5条 E263301500000011：已拒绝" in out and "已存在" in out
    assert "共 5 条：导入 2 条，拒绝 3 条" in out
    assert out.index("第2条") < out.index("第3条") < out.index("第4条") < out.index("第5条")
    numbers = {c.number for c in Certificate.select().where(Certificate.number.startswith("E26330150"))}
    assert numbers == {"E263301500000011", "E263301500000013"}


def test_import_command_refuses_a_file_that_is_not_json(app, tmp_path):
    path = tmp_path / "broken.json"
    path.write_text("[{", encoding="utf-8")
    result = app.test_cli_runner().invoke(args=["coo", "import-certificates", str(path)])
    assert result.exit_code != 0 and "文件不是有效的 JSON" in result.output


def test_simulator_command_approves_a_certificate(app, demo):
    before = Certificate.select().count()
    result = app.test_cli_runner().invoke(args=["coo", "simulator-approve", "--exporter", "3301960001",
                                                "--applicant", "3101980003", "--type", "RC",
                                                "--country", "JAPAN"])
    assert result.exit_code == 0, result.output
    assert Certificate.select().count() == before + 1
    cert = Certificate.select().order_by(Certificate.id.desc()).first()
    assert cert.number.startswith("RC") and len(cert.number) == 17 and cert.applicant.name_zh == TONGDA
    assert f"证书 {cert.number} 已审批通过" in result.output


# --- ops page -------------------------------------------------------------------------------

def test_ops_approves_a_certificate_into_the_simulator(client, app, ops):
    html = client.get("/ops/simulator").get_data(as_text=True)
    assert "海关模拟器" in html and HUADONG in html and "INDONESIA" in html
    huadong, tongda = enterprise(HUADONG), enterprise(TONGDA)
    before = Certificate.select().count()
    response = ops.post("/ops/simulator", {"exporter_id": huadong.id, "applicant_id": tongda.id,
                                           "cert_type": "E", "country": "INDONESIA"}, token_from="/ops/simulator")
    assert response.status_code == 303 and response.headers["Location"].endswith("/ops/simulator")
    cert = Certificate.select().order_by(Certificate.id.desc()).first()
    assert Certificate.select().count() == before + 1
    assert cert.exporter_id == huadong.id and cert.applicant_id == tongda.id and cert.importing_country == "INDONESIA"
    assert cert.goods.count() >= 1
    assert SimulatorMessage.get(SimulatorMessage.reference == f"CERT-{cert.number}").ok
    assert f"证书 {cert.number} 已审批通过" in client.get("/ops/simulator").get_data(as_text=True)


def test_ops_form_errors_come_back_as_a_fragment_and_change_nothing(client, app, ops):
    before = Certificate.select().count()
    response = ops.post("/ops/simulator", {"exporter_id": "", "applicant_id": "", "cert_type": "E",
                                           "country": "MARS"}, htmx=True, token_from="/ops/simulator")
    html = response.get_data(as_text=True)
    assert response.status_code == 422 and "<html" not in html
    assert "请选择出口商" in html and "请选择进口国" in html and 'value="E" selected' in html
    assert Certificate.select().count() == before


def test_the_simulator_page_is_404_for_enterprise_users(client, operator):
    assert client.get("/ops/simulator").status_code == 404
    assert operator.post("/ops/simulator", {"exporter_id": 1}).status_code == 404


@pytest.mark.parametrize("changes, field, words", [
    ({"type": "E", "importing_country": "JAPAN"}, "importing_country", "不是中国-东盟自贸协定"),
    ({"number": "A263301500000001", "type": "A", "importing_country": "JAPAN",
      "goods": [{**SCHEMA["examples"][0]["goods"][0], "origin_criterion": "WO"}]},
     "importing_country", "不是中国-澳大利亚自贸协定"),
    ({"issuing_office": "无锡海关"}, "issuing_office", "签证机构 无锡海关 不存在"),
    ({"goods": [{**SCHEMA["examples"][0]["goods"][0], "hs_code": "6109"}]}, "goods[1].hs_code", "6至10位"),
    ({"goods": [{**SCHEMA["examples"][0]["goods"][0], "origin_criterion": "XYZ"}]},
     "goods[1].origin_criterion", "不是中国-东盟自贸协定的原产地标准"),
])
def test_intake_refuses_what_customs_would_never_approve(client, app, demo, changes, field, words):
    """Intake checks what customs checks: the importing country is a party of the type's
    agreement, the issuing office exists (one table), HS codes have 6+ digits, the criteria are
    the agreement's. The API answers 422 naming the field; nothing is stored."""
    before = snapshot()
    response, _ = post(client, app, record(**changes))
    assert response.status_code == 422
    errors = response.get_json()["errors"]
    assert any(e.startswith(f"{field}：") and words in e for e in errors), errors
    assert snapshot() == before


def test_the_cli_names_the_refused_field_in_chinese(app, demo, tmp_path):
    path = tmp_path / "bad.json"
    path.write_text(json.dumps([record("E263301500000077", importing_country="JAPAN")], ensure_ascii=False),
                    encoding="utf-8")
    result = app.test_cli_runner().invoke(args=["coo", "import-certificates", str(path)])
    assert "已拒绝" in result.output and "importing_country：进口国 JAPAN 不是中国-东盟自贸协定" in result.output
    with app.app_context():
        assert not Certificate.select().where(Certificate.number == "E263301500000077").exists()


def test_the_approval_carries_the_visa_seal_and_officer_signature(client, app, demo):
    """The simulator's approval carries the office's visa seal and the officer's name and
    signature; intake stores them with the certificate (one table of offices: 宁波海关 is 3100)."""
    from coo import storage
    from coo.customs import offices, visa
    ningbo = offices.find("3100")
    assert ningbo.name_zh == "宁波海关"
    response, _ = post(client, app, record(issuing_office="3100", certification=visa.certification_for(ningbo)))
    assert response.status_code == 201, response.get_json()
    with app.app_context():
        cert = Certificate.get(Certificate.number == "E263301500000001")
        assert cert.issuing_office == "宁波海关" and cert.visa_officer_name == ningbo.officer
        assert storage.read(cert.visa_seal_path) == visa.visa_seal_png(ningbo)
        assert float(cert.visa_seal_width_mm) == visa.SEAL_MM
    bad = visa.certification_for(ningbo)
    bad["visa_seal"] = {**bad["visa_seal"], "png_base64": "bm90IGEgcG5n"}
    response, _ = post(client, app, record("E263301500000002", certification=bad))
    assert response.status_code == 422
    assert any(e.startswith("certification.visa_seal.png_base64：") for e in response.get_json()["errors"])


def test_nonces_are_kept_in_the_database_and_the_sweep_prunes_only_expired_ones(client, app, demo):
    import datetime
    from coo.clock import utcnow
    from coo.models import CustomsNonce
    from coo.services import sweep
    first, signed = post(client, app, record())
    assert first.status_code == 201
    kept = CustomsNonce.get(CustomsNonce.nonce == signed[signing.NONCE])
    window = app.config["CUSTOMS_REPLAY_WINDOW_S"]
    # remembered for as long as any request with this nonce could pass the timestamp check
    assert kept.expires_at >= utcnow() + datetime.timedelta(seconds=2 * window - 5)
    CustomsNonce.create(nonce="0ldn0nce0ldn0nce", expires_at=utcnow() - datetime.timedelta(seconds=1))
    with app.app_context():
        assert sweep.run()["customs_nonces"] == 1
    assert [n.nonce for n in CustomsNonce.select()] == [signed[signing.NONCE]]
    replay, _ = post(client, app, record(), headers=signed)
    assert replay.status_code == 401 and replay.get_json()["error"] == "replayed_nonce"
