"""打印异常申请 (the manual's 第五章): the printed list, the 异常申请 dialog, customs' receipt, the
reprint it allows, refusals, and 异常申请记录."""
import datetime

import pytest
from peewee import IntegrityError

from coo import enums
from coo.clock import utcnow
from coo.customs import Receipt
from coo.models import (
    AuditEvent, Certificate, CustomsExchange, Enterprise, ExceptionApplication, PrintJob, database,
)
from tests.history import undo_demo_history  # noqa: F401  (autouse)

HUADONG = "浙江华东进出口有限公司"


def huadong():
    return Enterprise.get(Enterprise.name_zh == HUADONG)


def own_certificates(n=1, declared_by_itself=True):
    """Certificates of 华东 (visible to its operator); by default those it declared itself."""
    ent = huadong()
    query = Certificate.select().where(Certificate.exporter == ent).order_by(Certificate.id)
    if declared_by_itself:
        query = query.where(Certificate.applicant == ent)
    certs = list(query.limit(n))
    assert len(certs) == n
    return certs


def printed(cert, **fields):
    """The state printing leaves after 是: 已打印, counted once, not archived yet."""
    values = dict(print_status=enums.PrintStatus.PRINTED, print_count=1)
    values.update(fields)
    Certificate.update(**values).where(Certificate.id == cert.id).execute()
    return Certificate.get_by_id(cert.id)


def apply(operator, cert, reason="paper_jam", details="", htmx=False):
    return operator.post("/exceptions/apply", {"certificate": cert.id, "reason": reason,
                                               "details": details}, htmx=htmx)


def snapshot():
    return (ExceptionApplication.select().count(), CustomsExchange.select().count(),
            [(c.id, c.reprint_allowed, c.exception_reprints) for c in Certificate.select().order_by(Certificate.id)])


def test_printed_list_shows_printed_unarchived_certificates_only(client, operator):
    a, b, c = own_certificates(3)
    printed(a)
    printed(b, archive_status=enums.ArchiveStatus.ARCHIVED)
    for headers in ({}, {"HX-Request": "true"}):
        response = client.get("/exceptions/", headers=headers)
        html = response.get_data(as_text=True)
        assert response.status_code == 200
        assert a.number in html and b.number not in html and c.number not in html
        assert "显示第 1 到第 1 条记录，总共 1 条记录" in html
    page = client.get("/exceptions/").get_data(as_text=True)
    assert "已打印证书列表" in page and "异常申请记录" in page and "异常申请开始日期" in page
    assert "<html" not in client.get("/exceptions/", headers={"HX-Request": "true"}).get_data(as_text=True)


def test_selected_number_is_preselected_and_a_refused_one_says_why(client, operator):
    a, b = own_certificates(2)
    printed(a)
    html = client.get(f"/exceptions/?selected={a.number}").get_data(as_text=True)
    assert f'value="{a.id}" aria-label="选择 {a.number}" checked' in html
    html = client.get(f"/exceptions/?selected={b.number}").get_data(as_text=True)
    assert "只有已打印的证书才能进行异常申请" in html


def test_an_original_answered_no_is_listed_for_an_application(client, operator):
    """否 after printing the original: 已打印 (it went to the printer), not archived, and here to be
    printed again."""
    cert = printed(own_certificates()[0])
    PrintJob.create(certificate=cert, enterprise=cert.exporter, kind=enums.PrintKind.ORIGINAL_AND_COPY,
                    status=enums.PrintJobStatus.CONFIRMED, requested_by="李晓梅", confirmed_ok=False,
                    confirmed_at=utcnow())
    html = client.get(f"/exceptions/?selected={cert.number}").get_data(as_text=True)
    assert f'value="{cert.id}" aria-label="选择 {cert.number}" checked' in html
    assert apply(operator, cert).status_code == 303


def test_dialog_offers_the_manuals_reasons_as_page_and_fragment(client, operator):
    cert = printed(own_certificates()[0])
    page = client.get(f"/exceptions/apply?certificate={cert.id}")
    fragment = client.get(f"/exceptions/apply?certificate={cert.id}", headers={"HX-Request": "true"})
    for response in (page, fragment):
        html = response.get_data(as_text=True)
        assert response.status_code == 200
        for word in ("异常申请", "异常操作类型", "打印过程中断电", "证书打印内容有缺失", "打印机卡纸",
                     "打印偏移/格式错误", "其他", "异常问题详情", "提交打印", "取消打印", cert.number):
            assert word in html
    assert "<html" in page.get_data(as_text=True)
    assert "<html" not in fragment.get_data(as_text=True)


def test_submit_records_the_application_and_sends_it_to_customs(client, operator):
    cert = printed(own_certificates()[0])
    response = apply(operator, cert, "power_cut")
    assert response.status_code == 303
    assert response.headers["Location"].endswith("/exceptions/?tab=records")
    application = ExceptionApplication.get(ExceptionApplication.certificate == cert)
    assert application.status == enums.ExceptionStatus.SUBMITTED
    assert application.reason == enums.ExceptionReason.POWER_CUT and application.applied_by == "李晓梅"
    exchange = CustomsExchange.get(CustomsExchange.kind == enums.ExchangeKind.EXCEPTION)
    assert exchange.subject_id == application.id and cert.number in exchange.request_payload
    assert AuditEvent.select().where((AuditEvent.action == "exception_apply")
                                     & (AuditEvent.target == cert.number)).exists()
    html = client.get("/exceptions/?tab=records").get_data(as_text=True)
    assert "异常申请已提交" in html and "打印过程中断电" in html and "已提交" in html


def test_submit_by_htmx_redirects_with_hx_redirect(client, operator):
    cert = printed(own_certificates()[0])
    response = apply(operator, cert, htmx=True)
    assert response.status_code == 204 and response.headers["HX-Redirect"].endswith("/exceptions/?tab=records")
    assert "exception-applied" in response.headers["HX-Trigger"]


def test_accepted_receipt_reopens_the_original_and_a_refusal_keeps_its_reason(client, operator):
    from coo.services.exceptions import apply_receipt
    a, b = (printed(c) for c in own_certificates(2))
    apply(operator, a)
    apply(operator, b)
    first, second = ExceptionApplication.select().order_by(ExceptionApplication.id)
    with database.atomic():
        apply_receipt(CustomsExchange.get(CustomsExchange.subject_id == first.id), Receipt(ok=True))
        apply_receipt(CustomsExchange.get(CustomsExchange.subject_id == second.id),
                      Receipt(ok=False, message="该证书已归档，不能进行打印异常申请。"))
        # a repeated receipt changes nothing
        apply_receipt(CustomsExchange.get(CustomsExchange.subject_id == second.id), Receipt(ok=True))
    assert ExceptionApplication.get_by_id(first.id).status == enums.ExceptionStatus.ACCEPTED
    assert Certificate.get_by_id(a.id).reprint_allowed
    assert ExceptionApplication.get_by_id(second.id).status == enums.ExceptionStatus.REFUSED
    assert not Certificate.get_by_id(b.id).reprint_allowed
    html = client.get("/exceptions/?tab=records").get_data(as_text=True)
    assert "异常处理申请接收成功" in html and "异常处理申请被拒绝：该证书已归档，不能进行打印异常申请。" in html


def test_archived_certificate_is_refused_and_nothing_changes(client, operator):
    cert = printed(own_certificates()[0], archive_status=enums.ArchiveStatus.ARCHIVED)
    before = snapshot()
    for htmx in (False, True):
        response = apply(operator, cert, htmx=htmx)
        html = response.get_data(as_text=True)
        assert response.status_code == 422
        assert f"证书 {cert.number} 已归档，不可打印，不可进行打印异常申请" in html
    assert snapshot() == before


def test_a_second_open_application_is_refused(client, operator):
    cert = printed(own_certificates()[0])
    assert apply(operator, cert).status_code == 303
    before = snapshot()
    response = apply(operator, cert, "offset")
    assert response.status_code == 422
    assert "的打印异常申请已提交，正在等待海关回执" in response.get_data(as_text=True)
    assert "请勿重复申请" in response.get_data(as_text=True)
    assert snapshot() == before


def test_the_database_itself_refuses_a_second_open_application(app, demo):
    cert = printed(own_certificates()[0])
    ExceptionApplication.create(certificate=cert, enterprise=cert.exporter,
                                reason=enums.ExceptionReason.PAPER_JAM, applied_by="x")
    with pytest.raises(IntegrityError):
        with database.atomic():
            ExceptionApplication.create(certificate=cert, enterprise=cert.exporter,
                                        reason=enums.ExceptionReason.OFFSET, applied_by="y",
                                        status=enums.ExceptionStatus.ACCEPTED)
    # closed ones (refused, reprinted) may be many
    for status in (enums.ExceptionStatus.REFUSED, enums.ExceptionStatus.REPRINTED):
        ExceptionApplication.create(certificate=cert, enterprise=cert.exporter, status=status,
                                    reason=enums.ExceptionReason.OFFSET, applied_by="z")


def test_other_without_details_is_refused_keeping_what_was_typed(client, operator):
    cert = printed(own_certificates()[0])
    before = snapshot()
    for htmx in (False, True):
        response = apply(operator, cert, "other", "   ", htmx=htmx)
        html = response.get_data(as_text=True)
        assert response.status_code == 422
        assert "异常操作类型为“其他”时，请填写异常问题详情。" in html
        assert 'value="other" checked' in html
    response = apply(operator, cert, "", "纸张有折痕")
    assert response.status_code == 422 and "请选择异常操作类型。" in response.get_data(as_text=True)
    assert "纸张有折痕" in response.get_data(as_text=True)
    assert snapshot() == before
    assert apply(operator, cert, "other", "打印机驱动异常导致版式错位").status_code == 303


def test_another_enterprises_certificate_is_404(client, operator):
    other = Certificate.select().join(Enterprise, on=(Certificate.exporter == Enterprise.id)).where(
        Enterprise.name_zh == "江苏远洋贸易有限公司").first()
    printed(other)
    before = snapshot()
    assert apply(operator, other).status_code == 404
    assert client.get(f"/exceptions/apply?certificate={other.id}").status_code == 404
    assert other.number not in client.get("/exceptions/").get_data(as_text=True)
    assert snapshot() == before


def test_agent_view_lists_only_what_the_agent_declared(client, agent):
    ent = huadong()
    tongda = Enterprise.get(Enterprise.name_zh == "上海通达报关代理有限公司")
    declared = (Certificate.select().where((Certificate.exporter == ent) & (Certificate.applicant == tongda))
                .order_by(Certificate.id).first())
    own = own_certificates()[0]
    printed(declared)
    printed(own)
    with client.session_transaction() as session:
        session["acting_for"] = ent.id
    html = client.get("/exceptions/").get_data(as_text=True)
    assert declared.number in html and own.number not in html
    assert apply(agent, own).status_code == 404
    assert apply(agent, declared).status_code == 303
    assert ExceptionApplication.get().enterprise_id == tongda.id


def _applications(certs, days_ago):
    now = utcnow()
    for i, cert in enumerate(certs):
        ExceptionApplication.create(
            certificate=cert, enterprise=cert.exporter, reason=enums.ExceptionReason.PAPER_JAM,
            status=enums.ExceptionStatus.REPRINTED, applied_by="李晓梅",
            applied_at=now - datetime.timedelta(days=days_ago[i % len(days_ago)], minutes=i))


def test_records_are_paged_with_the_manuals_footer(client, operator):
    certs = own_certificates(25, declared_by_itself=False)
    for cert in certs:
        printed(cert)
    _applications(certs, [1])
    html = client.get("/exceptions/?tab=records").get_data(as_text=True)
    assert "显示第 1 到第 20 条记录，总共 25 条记录" in html
    for head in ("序号", "证书编号", "异常操作类型", "异常问题详情", "签发日期", "异常申请日期", "异常申请状态"):
        assert f"<th>{head}</th>" in html
    fragment = client.get("/exceptions/?tab=records&page=2", headers={"HX-Request": "true"})
    html = fragment.get_data(as_text=True)
    assert "显示第 21 到第 25 条记录，总共 25 条记录" in html and "<html" not in html
    assert html.count("<tr>") == 1 + 5


def test_records_filter_by_number_type_and_application_date(client, operator):
    certs = own_certificates(6)
    for cert in certs:
        printed(cert)
    _applications(certs, [2, 40])           # even ones 2 days ago, odd ones 40 days ago
    today = datetime.date.today()
    html = client.get(f"/exceptions/?tab=records&number={certs[0].number}").get_data(as_text=True)
    assert "总共 1 条记录" in html and certs[0].number in html and certs[1].number not in html
    since = (today - datetime.timedelta(days=10)).isoformat()
    html = client.get(f"/exceptions/?tab=records&applied_from={since}").get_data(as_text=True)
    assert "总共 3 条记录" in html and certs[0].number in html and certs[1].number not in html
    until = (today - datetime.timedelta(days=30)).isoformat()
    html = client.get(f"/exceptions/?tab=records&applied_to={until}").get_data(as_text=True)
    assert "总共 3 条记录" in html and certs[1].number in html and certs[0].number not in html
    code = certs[0].cert_type_id
    expected = sum(1 for c in certs if c.cert_type_id == code)
    html = client.get(f"/exceptions/?tab=records&type={code}").get_data(as_text=True)
    assert f"总共 {expected} 条记录" in html


def test_bad_query_dates_are_422_with_the_reason(client, operator):
    response = client.get("/exceptions/?tab=records&applied_from=2024-13-40", headers={"HX-Request": "true"})
    assert response.status_code == 422 and "日期格式应为 YYYY-MM-DD。" in response.get_data(as_text=True)
    response = client.get("/exceptions/?issued_from=2024-05-07&issued_to=2024-05-03")
    html = response.get_data(as_text=True)
    assert response.status_code == 422 and "开始日期不能晚于结束日期。" in html
    assert 'value="2024-05-07"' in html
    for label in ("签发开始日期", "签发结束日期", "异常申请开始日期", "异常申请结束日期"):
        assert label in html


def test_demo_has_applications_to_show(client, demo, actions):
    from coo.services import demo as demo_data
    from coo.models import database as db
    # the autouse fixture undid the demo's history; seed a fresh copy of it on top
    ent = {"huadong": huadong()}
    with db.atomic():
        demo_data._exceptions_and_downloads(ent)
    actions.login_password("hd_op", demo_data.DEMO_PASSWORD)
    html = client.get("/exceptions/?tab=records").get_data(as_text=True)
    assert "异常处理申请被拒绝" in html and "已重新打印" in html
    assert "总共 2 条记录" in client.get("/exceptions/").get_data(as_text=True)
