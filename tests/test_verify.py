"""出口原产地证书核查: public, no login, Chinese + English; wrong code, unarchived and unknown look the
same; rate limited per client; every inquiry logged."""
import datetime
import re

from coo import enums
from coo.clock import utcnow
from coo.models import AuditEvent, Certificate
from coo.security import verification_code, verification_url

from printing_support import printable


def archived(app):
    cert, = printable(app)
    Certificate.update(archive_status=enums.ArchiveStatus.ARCHIVED, print_status=enums.PrintStatus.PRINTED,
                       archived_at=utcnow() - datetime.timedelta(hours=1),
                       verification_published_at=utcnow()).where(Certificate.id == cert.id).execute()
    return Certificate.get_by_id(cert.id)


def code_of(app, number):
    with app.app_context():
        return verification_code(number)


def test_the_form_works_without_login_in_chinese_and_english(app, client):
    response = client.get("/verify")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "出口原产地证书核查" in html and "Certificate No." in html and "Verification code" in html
    assert 'method="get"' in html


def test_the_qr_address_shows_the_archived_certificates_data(app, client, demo):
    cert = archived(app)
    with app.app_context():
        url = verification_url(cert.number)
    path = url.split("127.0.0.1:8000", 1)[1]
    response = client.get(path)
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert cert.number in html and "已归档" in html and "archived by China Customs" in html
    assert "ZHEJIANG HUADONG IMPORT &amp; EXPORT CO., LTD." in html          # exporter
    assert cert.consignee_text.splitlines()[0] in html                         # consignee
    for line in cert.goods:
        assert line.hs_code in html and line.description in html
    assert cert.issue_date.strftime("%Y-%m-%d") in html and cert.issuing_office in html
    english = {"杭州海关": "HANGZHOU CUSTOMS", "宁波海关": "NINGBO CUSTOMS", "南京海关": "NANJING CUSTOMS",
               "上海海关": "SHANGHAI CUSTOMS"}[cert.issuing_office]
    assert f'<span class="en" lang="en">{english}</span>' in html         # the office in English too
    fragment = client.get(path, headers={"HX-Request": "true"}).get_data(as_text=True)
    assert "<html" not in fragment and cert.number in fragment
    assert AuditEvent.select().where((AuditEvent.action == "verify_inquiry") & (AuditEvent.target == cert.number)
                                     & (AuditEvent.detail == "查到已归档证书")).count() == 2


def test_wrong_code_unarchived_and_unknown_look_the_same(app, client, demo):
    cert = archived(app)
    unarchived, = printable(app)
    pages = []
    for number, code in [(cert.number, "WRONGCODE2"),
                         (unarchived.number, code_of(app, unarchived.number)),
                         ("E269999999999999", code_of(app, "E269999999999999"))]:
        response = client.get("/verify", query_string={"no": number, "code": code})
        assert response.status_code == 200
        page = response.get_data(as_text=True).replace(number, "NUMBER").replace(code, "CODE")
        # (the CSRF token is signed with the second it was made in: the pages may straddle one)
        pages.append(re.sub(r'("X-CSRFToken": "|name="csrf_token" value=")[^"]+', r"\1TOKEN", page))
    assert pages[0] == pages[1] == pages[2]
    assert "未查询到该证书" in pages[0] and "No certificate found" in pages[0]
    assert AuditEvent.select().where((AuditEvent.action == "verify_inquiry")
                                     & (AuditEvent.detail == "未查到（编号或核查码不符，或未归档）")).count() == 3


def test_more_than_n_inquiries_a_minute_are_refused(app, client, demo):
    cert = archived(app)
    code = code_of(app, cert.number)
    limit = app.config["VERIFY_RATE_LIMIT_PER_MIN"]
    for _ in range(limit):
        assert client.get("/verify", query_string={"no": "E260000000000000", "code": "X"}).status_code == 200
    refused = client.get("/verify", query_string={"no": cert.number, "code": code})
    html = refused.get_data(as_text=True)
    assert refused.status_code == 429
    assert "查询过于频繁" in html and "Too many inquiries" in html and "ZHEJIANG HUADONG" not in html
    # another client is not affected
    other = client.get("/verify", query_string={"no": cert.number, "code": code},
                       environ_base={"REMOTE_ADDR": "10.0.0.8"})
    assert other.status_code == 200 and "ZHEJIANG HUADONG" in other.get_data(as_text=True)
