"""证书下载 (the manual's 第六章): the 12 electronic types, single-window certificates only,
副本预览/下载, 下载正本 with a PDF signature that verifies, and the state and archiving it starts."""
import io
import re

import pytest
import weasyprint
from pyhanko.keys.pemder import load_certs_from_pemder_data
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.validation import validate_pdf_signature
from pyhanko_certvalidator import ValidationContext
from pypdf import PdfReader

from coo import enums, signing, storage
from coo.models import (
    AuditEvent, Certificate, CertificateType, CustomsExchange, DownloadRecord, Enterprise,
)
from tests.history import undo_demo_history  # noqa: F401  (autouse)

HUADONG = "浙江华东进出口有限公司"
NOTICE = "温馨提示：请下载证书正本在通关环节使用，副本不应作为通关材料，存在被外方取消关税优惠的风险。"


def huadong_certificates(**where):
    ent = Enterprise.get(Enterprise.name_zh == HUADONG)
    query = (Certificate.select().join(CertificateType)
             .where((Certificate.exporter == ent) & (Certificate.applicant == ent)))
    for name, value in where.items():
        query = query.where(getattr(CertificateType, name) == value if name == "e_download"
                            else getattr(Certificate, name) == value)
    return list(query.order_by(Certificate.id))


def with_layout(app, cert):
    """What the layouts worker leaves: original and copy PDFs stored, 版式状态 接收成功."""
    with app.app_context():
        paths = {}
        for part in ("ORIGINAL", "COPY"):
            pdf = weasyprint.HTML(string=f"<h1>{cert.number}</h1><p>{part}</p>").write_pdf()
            paths[part] = storage.put(pdf, "layouts", ".pdf")[0]
    Certificate.update(layout_status=enums.LayoutStatus.RECEIVED, layout_original_path=paths["ORIGINAL"],
                       layout_copy_path=paths["COPY"]).where(Certificate.id == cert.id).execute()
    return Certificate.get_by_id(cert.id)


def downloadable(app, n=1):
    certs = huadong_certificates(e_download=True, platform=enums.Platform.SINGLE_WINDOW)[:n]
    assert len(certs) == n
    return [with_layout(app, c) for c in certs]


def row_of(html, number):
    """The <tr> of one certificate in the list."""
    match = re.search(rf"<tr>\s*<td>\d+</td>\s*<td>{number}</td>.*?</tr>", html, re.S)
    assert match, f"no row for {number}"
    return match.group(0)


def row_cells(html, number):
    """The text of each cell of that row (序号 at 0, 证书编号 at 1, …, 打印下载状态 at 9, 操作 at 10)."""
    return [re.sub(r"<[^>]+>", " ", cell).strip()
            for cell in re.findall(r"<td[^>]*>(.*?)</td>", row_of(html, number), re.S)]


def state():
    return (DownloadRecord.select().count(), CustomsExchange.select().count(),
            [(c.id, c.download_status, c.archive_status) for c in Certificate.select().order_by(Certificate.id)])


def test_the_list_has_the_12_types_from_the_single_window_only(client, operator):
    shown = {c.number for c in huadong_certificates(e_download=True, platform=enums.Platform.SINGLE_WINDOW)}
    others = {c.number for c in huadong_certificates(e_download=False)} | {
        c.number for c in huadong_certificates(platform=enums.Platform.GOV_SERVICE)}
    assert shown and others
    html = client.get("/downloads/?applicant=" + HUADONG).get_data(as_text=True)
    for number in shown:
        assert number in html
    for number in others:
        assert number not in html
    for head in ("序号", "证书编号", "发票号", "申请人", "出口商", "证书类别", "签发日期", "版式状态",
                 "海关归档状态", "打印下载状态"):
        assert f"<th>{head}</th>" in html
    assert NOTICE in html and "使用单一窗口申请的证书才能使用该功能" in html
    assert "待下载" in html and "下载正本" in html
    fragment = client.get("/downloads/", headers={"HX-Request": "true"}).get_data(as_text=True)
    assert "<html" not in fragment and "打印下载状态" in fragment


def test_tip_dialog_lists_the_12_types_until_acknowledged(client, operator):
    html = client.get("/downloads/").get_data(as_text=True)
    assert "支持下载证书类型如下：" in html and "已知悉" in html
    for code in ("E", "C", "A", "K", "F", "N", "X", "B", "PR", "TR", "RC", "BR"):
        assert f"（{code} 证书）" in html
    assert "（P 证书）" not in html and "（G 证书）" not in html
    assert "中国-东盟自贸区原产地证书（输印度尼西亚、新加坡）（E 证书）" in html
    response = operator.post("/downloads/tip", token_from="/downloads/")
    assert response.status_code == 303 and response.headers["Location"].endswith("/downloads/")
    assert "支持下载证书类型如下：" not in client.get("/downloads/").get_data(as_text=True)
    assert "支持下载证书类型如下：" in client.get("/downloads/?tip=1").get_data(as_text=True)
    assert operator.post("/downloads/tip", htmx=True, token_from="/downloads/").get_data(as_text=True) == ""


def test_a_certificate_from_another_platform_is_refused_with_the_reason(app, client, operator):
    cert = with_layout(app, huadong_certificates(e_download=True, platform=enums.Platform.GOV_SERVICE)[0])
    html = client.get(f"/downloads/?number={cert.number}").get_data(as_text=True)
    assert f"证书 {cert.number} 通过海关政务服务一体化平台申请，使用单一窗口申请的证书才能使用该功能。" in html
    before = state()
    response = operator.post(f"/downloads/{cert.id}/original", token_from="/downloads/")
    assert response.status_code == 422
    assert "使用单一窗口申请的证书才能使用该功能" in response.get_data(as_text=True)
    assert client.get(f"/downloads/{cert.id}/copy").status_code == 422
    assert state() == before


def test_a_type_without_electronic_version_is_refused(app, client, operator):
    cert = with_layout(app, huadong_certificates(e_download=False)[0])
    html = client.get(f"/downloads/?number={cert.number}").get_data(as_text=True)
    assert f"证书 {cert.number} 的证书类别（{cert.cert_type.name_zh}）不支持电子版下载。" in html
    before = state()
    response = operator.post(f"/downloads/{cert.id}/original", token_from="/downloads/")
    assert response.status_code == 422 and "不支持电子版下载" in response.get_data(as_text=True)
    assert state() == before


def test_another_enterprises_certificate_is_404(app, client, operator):
    other = Certificate.select().join(Enterprise, on=(Certificate.exporter == Enterprise.id)).where(
        Enterprise.name_zh == "江苏远洋贸易有限公司").first()
    with_layout(app, other)
    before = state()
    assert operator.post(f"/downloads/{other.id}/original", token_from="/downloads/").status_code == 404
    assert client.get(f"/downloads/{other.id}/copy").status_code == 404
    assert state() == before


def test_copy_preview_is_inline_and_download_is_recorded(app, client, operator):
    cert, = downloadable(app)
    preview = client.get(f"/downloads/{cert.id}/copy")
    assert preview.status_code == 200 and preview.mimetype == "application/pdf"
    assert preview.headers["Content-Disposition"].startswith("inline")
    assert "COPY" in PdfReader(io.BytesIO(preview.data)).pages[0].extract_text()
    assert DownloadRecord.select().count() == 0
    saved = client.get(f"/downloads/{cert.id}/copy?download=1")
    assert saved.headers["Content-Disposition"].startswith("attachment")
    record = DownloadRecord.get()
    assert not record.original and record.who == "李晓梅"
    assert Certificate.get_by_id(cert.id).download_status == enums.DownloadStatus.PENDING


def _trust(tsa):
    """What a receiver trusts: our signing certificate, and the root of the TSA's timestamps."""
    return ValidationContext(trust_roots=[*load_certs_from_pemder_data(signing.trust_root_pem()),
                                          *load_certs_from_pemder_data((tsa[1] / "root.pem").read_bytes())])


def _status(data, tsa):
    return validate_pdf_signature(PdfFileReader(io.BytesIO(data)).embedded_signatures[0], _trust(tsa),
                                  ts_validation_context=_trust(tsa))


def test_downloaded_original_is_signed_recorded_and_starts_archiving(app, client, operator, artifacts, tsa):
    cert, = downloadable(app)
    response = operator.post(f"/downloads/{cert.id}/original", token_from="/downloads/")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert response.headers["Content-Disposition"].startswith("attachment")
    data = response.data
    (artifacts / "download-original-signed.pdf").write_bytes(data)
    assert "ORIGINAL" in PdfReader(io.BytesIO(data)).pages[0].extract_text()
    with app.app_context():
        status = _status(data, tsa)
        assert status.intact and status.valid and status.trusted and status.bottom_line
        tampered = bytearray(data)
        at = data.index(b"stream\n") + len(b"stream\n") + 10
        tampered[at] ^= 0x01                     # one bit of the first page's content
        broken = _status(bytes(tampered), tsa)
        assert not broken.intact and not broken.bottom_line

    row = Certificate.get_by_id(cert.id)
    assert row.download_status == enums.DownloadStatus.DOWNLOADED
    record = DownloadRecord.get(DownloadRecord.original == True)  # noqa: E712
    assert record.who == "李晓梅" and record.at is not None and record.enterprise_id == row.exporter_id
    archive = CustomsExchange.get(CustomsExchange.kind == enums.ExchangeKind.ARCHIVE)
    assert archive.subject_id == cert.id
    assert AuditEvent.select().where(AuditEvent.action == "download_original").exists()
    html = client.get(f"/downloads/?number={cert.number}").get_data(as_text=True)
    assert row_cells(html, cert.number)[9] == "已下载"          # the row's 打印下载状态

    # again: the same signed document, one more record, no second archive request
    again = operator.post(f"/downloads/{cert.id}/original", token_from="/downloads/")
    assert again.status_code == 200 and again.data == data
    assert DownloadRecord.select().where(DownloadRecord.original == True).count() == 2  # noqa: E712
    assert CustomsExchange.select().where(CustomsExchange.kind == enums.ExchangeKind.ARCHIVE).count() == 1


def test_archived_or_self_printed_certificates_offer_no_new_original(app, client, operator):
    a, b = downloadable(app, 2)
    Certificate.update(archive_status=enums.ArchiveStatus.ARCHIVED).where(Certificate.id == a.id).execute()
    Certificate.update(print_status=enums.PrintStatus.PRINTED).where(Certificate.id == b.id).execute()
    before = state()
    response = operator.post(f"/downloads/{a.id}/original", token_from="/downloads/")
    assert response.status_code == 422 and f"证书 {a.number} 已归档" in response.get_data(as_text=True)
    assert "也不能再下载正本" in response.get_data(as_text=True)
    response = operator.post(f"/downloads/{b.id}/original", token_from="/downloads/")
    assert response.status_code == 422 and "的正本已打印（已自助打印），不能再打印或下载正本" in response.get_data(as_text=True)
    assert state() == before
    html = client.get(f"/downloads/?number={b.number}").get_data(as_text=True)
    cells = row_cells(html, b.number)
    assert cells[9] == "已自助打印"                  # the row's 打印下载状态
    assert "不能再打印或下载正本" in cells[10] and re.search(r"<button[^>]*disabled[^>]*>下载正本", row_of(html, b.number))


def test_layout_not_received_yet_is_refused(app, client, operator):
    cert = huadong_certificates(e_download=True, platform=enums.Platform.SINGLE_WINDOW)[0]
    before = state()
    response = operator.post(f"/downloads/{cert.id}/original", token_from="/downloads/")
    assert response.status_code == 422 and "的版式尚未接收成功（当前版式状态：海关端生成）" in response.get_data(as_text=True)
    assert state() == before


@pytest.mark.parametrize("query, expect", [
    ("download_status=downloaded", "downloaded"),
    ("download_status=pending", "pending"),
    ("archive=archived", "archived"),
    ("creator=李晓梅", "all"),
    ("creator=nobody", "none"),
])
def test_query_by_download_state_archive_state_and_creator(app, client, operator, query, expect):
    a, b, c = downloadable(app, 3)
    Certificate.update(download_status=enums.DownloadStatus.DOWNLOADED).where(Certificate.id == a.id).execute()
    Certificate.update(archive_status=enums.ArchiveStatus.ARCHIVED).where(Certificate.id == b.id).execute()
    html = client.get(f"/downloads/?{query}&number=", headers={"HX-Request": "true"}).get_data(as_text=True)
    present = {cert.number for cert in (a, b, c) if cert.number in html}
    assert present == {"downloaded": {a.number}, "pending": {b.number, c.number}, "archived": {b.number},
                       "all": {a.number, b.number, c.number}, "none": set()}[expect]


def test_pending_lists_no_self_printed_certificate(app, client, operator):
    """下载状态=待下载 lists what may still be downloaded as an original: a printed certificate
    (打印下载状态 已自助打印, its 下载正本 refused) is under 全部 only."""
    printed, pending = downloadable(app, 2)
    Certificate.update(print_status=enums.PrintStatus.PRINTED).where(Certificate.id == printed.id).execute()
    html = client.get("/downloads/?download_status=pending", headers={"HX-Request": "true"}).get_data(as_text=True)
    assert row_cells(html, pending.number)[9] == "待下载"
    assert printed.number not in html
    html = client.get(f"/downloads/?number={printed.number}", headers={"HX-Request": "true"}).get_data(as_text=True)
    assert row_cells(html, printed.number)[9] == "已自助打印"
    statuses = re.findall(r"<td>(已自助打印|已下载|待下载)</td>",
                          client.get("/downloads/?download_status=pending").get_data(as_text=True))
    assert statuses and set(statuses) == {"待下载"}


def test_the_query_area_has_the_manuals_fields_and_bad_input_is_422_keeping_the_form(client, operator):
    html = client.get("/downloads/").get_data(as_text=True)
    for word in ("证书编号", "发票号", "证书类别", "申请人", "出口商", "<legend>下载状态</legend>", "待下载",
                 "已下载", "<legend>签发日期</legend>", "自 <input", "至 <input", "归档状态", "创建人"):
        assert word in html
    for query, message in (("issued_from=2024-13-40&creator=李晓梅", "日期格式应为 YYYY-MM-DD。"),
                           ("issued_from=2024-05-07&issued_to=2024-05-03", "起始日期不能晚于结束日期。"),
                           ("download_status=lost", "下载状态的取值无效，请从列表中选择。")):
        for headers in ({}, {"HX-Request": "true"}):
            response = client.get(f"/downloads/?{query}", headers=headers)
            assert response.status_code == 422 and message in response.get_data(as_text=True)
        page = client.get(f"/downloads/?{query}").get_data(as_text=True)
        assert "<form" in page and "下载正本" not in page
    assert 'value="李晓梅"' in client.get("/downloads/?issued_from=2024-13-40&creator=李晓梅").get_data(as_text=True)
