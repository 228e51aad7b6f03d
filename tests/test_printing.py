"""证书打印 through the 打印控件: the control's hints, pairing and revoking, print jobs for several
certificates, originals only to the control, the 是/否 confirmation, archiving."""
import datetime
import json
import subprocess
import io
import zipfile

from coo import enums
from coo.clock import utcnow
from coo.models import (
    AuditEvent, Certificate, CustomsExchange, Enterprise, PrintControl, PrintJob,
)
from coo.printcontrol import VERSION
from coo.security import token_digest
from coo.services import archiving, printcontrol
from coo.services.access import ACTING_FOR_KEY
from coo.customs import Receipt

from printing_support import code_from, paired_control, printable

HX = {"HX-Request": "true"}
CONFIRM_START = "请如实确认证书（{}）是否已打印成功！若成功，请务必点击“是”，海关将自动进行归档；"
CONFIRM_END = "请注意：海关归档后证书数据才可在外方可被查询到，查询不到将影响境外通关！"


def print_button(actions, certs, kind=enums.PrintKind.ORIGINAL_AND_COPY, htmx=False):
    return actions.post("/printing/jobs", {"ids": [str(c.id) for c in certs], "kind": kind.value}, htmx=htmx)


def api(client, method, path, token, **kw):
    return getattr(client, method)(f"/api/printcontrol/v1{path}",
                                   headers={"Authorization": f"Bearer {token}"}, **kw)


def printed_by_control(client, token, job_id, ok=True, message="PDF: 打印完成"):
    """What the control does with a job: take it (long-poll), then report."""
    taken = api(client, "get", "/jobs/next?wait=0", token)
    assert taken.status_code == 200 and taken.get_json()["id"] == job_id
    answer = api(client, "post", f"/jobs/{job_id}/result", token,
                 json={"ok": ok, "message": message, "printer": "PDF"})
    assert answer.status_code == 200


# --- the control's state, as the print buttons say it -----------------------------------------

def test_print_button_without_a_paired_control_says_not_installed(app, client, operator):
    cert, = printable(app)
    for htmx in (False, True):
        response = print_button(operator, [cert], htmx=htmx)
        html = response.get_data(as_text=True)
        assert response.status_code == 409
        assert "打印控件：<strong>未安装</strong>" in html and "执行安装" in html
        assert "/printing/control/coo-printcontrol.pyz" in html
        assert ("<html" in html) is not htmx
    assert PrintJob.select().count() == 0


def test_control_without_heartbeat_is_not_running(app, client, operator):
    cert, = printable(app)
    paired_control(heartbeat_age_s=app.config["PRINT_CONTROL_HEARTBEAT_S"] + 5)
    response = print_button(operator, [cert], htmx=True)
    html = response.get_data(as_text=True)
    assert response.status_code == 409
    assert "未启动" in html and "在桌面双击打印控件快捷方式" in html and "执行安装" in html
    assert response.headers["HX-Retarget"] == "body"
    assert PrintJob.select().count() == 0


def test_control_below_the_minimum_version_is_too_old(app, client, operator):
    cert, = printable(app)
    control, token = paired_control(version="1.0.0")
    assert api(client, "post", "/heartbeat", token, json={"version": "1.1.9", "printers": ["PDF"]}).get_json() == {
        "min_version": "1.2.0", "outdated": True, "api": ""}
    response = print_button(operator, [cert])
    html = response.get_data(as_text=True)
    assert response.status_code == 409
    assert "版本过低" in html and "1.1.9" in html and "1.2.0" in html and "执行安装" in html
    assert PrintJob.select().count() == 0


def test_control_page_shows_status_and_offers_the_download(app, client, operator):
    html = client.get("/printing/control").get_data(as_text=True)
    assert "打印控件：<strong>未安装</strong>" in html and "下载安装包" in html and "生成配对码" in html
    paired_control()
    html = client.get("/printing/control").get_data(as_text=True)
    assert "已启动" in html and "测试电脑" in html and "PDF" in html and "撤销" in html


# --- pairing, tokens, revoking ------------------------------------------------------------------

def test_pairing_code_gives_one_token_once_then_revoke_ends_it(app, client, operator):
    page = operator.post("/printing/control/pairing-code", htmx=True, token_from="/printing/control")
    assert page.status_code == 200 and "<html" not in page.get_data(as_text=True)
    code = code_from(page.get_data(as_text=True))
    control = PrintControl.get()
    assert control.pairing_code_hash != code and control.token_hash is None   # stored hashed

    answer = client.post("/api/printcontrol/v1/pair", json={"code": code.lower(), "name": "前台电脑",
                                                             "version": "1.3.0"})
    assert answer.status_code == 200 and answer.get_json()["enterprise"] == "浙江华东进出口有限公司"
    token = answer.get_json()["token"]
    assert PrintControl.get_by_id(control.id).token_hash == token_digest(token)
    again = client.post("/api/printcontrol/v1/pair", json={"code": code, "name": "别人的电脑"})
    assert again.status_code == 404 and "配对码无效或已过期" in again.get_json()["error"]

    assert api(client, "post", "/heartbeat", token, json={"version": "1.3.0", "printers": ["PDF"]}).status_code == 200
    revoked = operator.post(f"/printing/control/{control.id}/revoke", token_from="/printing/control")
    assert revoked.status_code == 303 and revoked.headers["Location"].endswith("/printing/control")
    assert api(client, "post", "/heartbeat", token, json={"version": "1.3.0"}).status_code == 404
    assert "已撤销" in client.get("/printing/control").get_data(as_text=True)
    with app.app_context():
        assert printcontrol.control_status(control.enterprise).state == enums.PrintControlState.NOT_INSTALLED


def test_an_expired_pairing_code_is_refused(app, client, operator):
    code = code_from(operator.post("/printing/control/pairing-code", token_from="/printing/control")
                     .get_data(as_text=True))
    PrintControl.update(pairing_expires_at=utcnow() - datetime.timedelta(seconds=1)).execute()
    assert client.post("/api/printcontrol/v1/pair", json={"code": code}).status_code == 404
    assert PrintControl.get().token_hash is None


def test_another_enterprises_control_cannot_revoke_or_see(app, client, operator):
    other, _ = paired_control("江苏远洋贸易有限公司")
    assert operator.post(f"/printing/control/{other.id}/revoke", token_from="/printing/control").status_code == 404
    assert PrintControl.get_by_id(other.id).revoked_at is None
    assert "测试电脑" not in client.get("/printing/control").get_data(as_text=True)


def test_downloaded_control_runs_on_a_plain_python(app, client, operator, tmp_path):
    response = client.get("/printing/control/coo-printcontrol.pyz")
    assert response.status_code == 200
    assert "coo-printcontrol.pyz" in response.headers["Content-Disposition"]
    data = response.get_data()
    assert data.startswith(b"#!/usr/bin/env python3\n")
    names = zipfile.ZipFile(io.BytesIO(data)).namelist()
    assert "__main__.py" in names and "coo/printcontrol/backends.py" in names
    assert json.loads(zipfile.ZipFile(io.BytesIO(data)).read("coo/printcontrol/defaults.json")) == {
        "server": app.config["PUBLIC_BASE_URL"].rstrip("/")}
    pyz = tmp_path / "coo-printcontrol.pyz"
    pyz.write_bytes(data)
    # Debian's own python3, isolated: no Flask, no venv, only the standard library.
    result = subprocess.run(["/usr/bin/python3", "-I", str(pyz), "--version"], capture_output=True, text=True,
                            cwd=tmp_path)
    assert result.returncode == 0 and VERSION in result.stdout
    result = subprocess.run(["/usr/bin/python3", "-I", str(pyz), "--config", str(tmp_path / "c.json"), "run"],
                            capture_output=True, text=True, cwd=tmp_path)
    assert result.returncode == 2 and "尚未配对" in result.stderr


def test_install_guide_page(app, client, operator):
    html = client.get("/printing/control/install").get_data(as_text=True)
    assert "打印控件安装说明" in html and "pair" in html and "双面" in html
    # No Windows executable on this server yet: Windows users get the .pyz way, without `python3`.
    assert "下载安装包（Windows）" not in html
    windows = html[html.index("<h2>Windows</h2>"):html.index("<h2>macOS")]
    assert "双击 <code>coo-printcontrol.pyz</code>" in windows and "SumatraPDF" in windows
    assert "python3" not in windows and "Python 3.8" in windows
    assert client.get("/printing/control/coo-printcontrol.exe").status_code == 404


def test_with_the_windows_executable_the_pages_tell_what_to_download_and_double_click(
        app, client, operator, tmp_path, monkeypatch):
    exe = tmp_path / "coo-printcontrol.exe"
    exe.write_bytes(b"MZ" + b"\0" * 64)
    monkeypatch.setitem(app.config, "PRINT_CONTROL_EXE_PATH", str(exe))
    html = client.get("/printing/control/install").get_data(as_text=True)
    windows = html[html.index("<h2>Windows</h2>"):html.index("<h2>macOS")]
    assert "下载安装包（Windows）" in windows and "双击 <code>coo-printcontrol.exe</code>" in windows
    assert app.config["PUBLIC_BASE_URL"] in windows          # the address the window asks for
    assert "在桌面创建“打印控件”快捷方式" in windows
    page = client.get("/printing/control").get_data(as_text=True)
    assert 'href="/printing/control/coo-printcontrol.exe"' in page
    response = client.get("/printing/control/coo-printcontrol.exe")
    assert response.status_code == 200 and response.get_data() == exe.read_bytes()
    assert "coo-printcontrol.exe" in response.headers["Content-Disposition"]
    response.close()
    code_page = operator.post("/printing/control/pairing-code", token_from="/printing/control").get_data(as_text=True)
    assert "python3" not in code_page and "双击" in code_page


# --- print jobs --------------------------------------------------------------------------------

def test_several_certificates_print_in_one_go_and_show_progress(app, client, operator):
    certs = printable(app, count=3)
    control, token = paired_control()
    response = print_button(operator, certs, htmx=True)
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "<html" not in html
    assert response.headers["HX-Reswap"] == "beforeend" and "coo:replace-dialog" in response.headers["HX-Trigger"]
    assert all(c.number in html for c in certs) and "等待打印控件" in html
    jobs = list(PrintJob.select().order_by(PrintJob.id))
    assert [j.certificate_id for j in jobs] == [c.id for c in certs]
    assert all(j.kind == enums.PrintKind.ORIGINAL_AND_COPY and j.enterprise_id == control.enterprise_id
               for j in jobs)

    # The row polls itself while the job runs...
    progress = client.get(f"/printing/certificates/{certs[0].id}/progress", headers=HX).get_data(as_text=True)
    assert 'hx-trigger="load delay:1s"' in progress
    payload = api(client, "get", "/jobs/next?wait=0", token).get_json()
    assert payload["number"] == certs[0].number
    assert [d["part"] for d in payload["documents"]] == ["original", "copy"]
    assert "打印中" in client.get(f"/printing/certificates/{certs[0].id}/progress").get_data(as_text=True)
    api(client, "post", f"/jobs/{payload['id']}/result", token, json={"ok": True, "message": "ok", "printer": "PDF"})
    # ...and stops when it is done: the confirmation takes its place.
    progress = client.get(f"/printing/certificates/{certs[0].id}/progress", headers=HX).get_data(as_text=True)
    assert "hx-trigger" not in progress.split(">")[0]
    assert CONFIRM_START.format(certs[0].number) in progress and CONFIRM_END in progress


def test_plain_form_goes_to_the_jobs_page(app, client, operator):
    cert, = printable(app)
    paired_control()
    response = print_button(operator, [cert], kind=enums.PrintKind.COPY)
    assert response.status_code == 303 and f"/printing/jobs?ids={cert.id}" in response.headers["Location"]
    html = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "<html" in html and cert.number in html and "等待打印控件" in html and "刷新" in html


def test_print_button_needs_a_selection_and_a_kind(app, client, operator):
    cert, = printable(app)
    paired_control()
    response = operator.post("/printing/jobs", {"kind": "both"}, htmx=True)
    assert response.status_code == 422 and "请勾选要打印的证书" in response.get_data(as_text=True)
    response = operator.post("/printing/jobs", {"ids": [str(cert.id)], "kind": "everything"})
    assert response.status_code == 422 and "请选择打印方式" in response.get_data(as_text=True)
    assert PrintJob.select().count() == 0


def test_another_enterprises_certificate_is_404_and_nothing_is_queued(app, client, operator):
    mine, = printable(app)
    theirs, = printable(app, "江苏远洋贸易有限公司")
    paired_control()
    assert print_button(operator, [mine, theirs]).status_code == 404
    assert PrintJob.select().count() == 0


def test_an_original_already_printed_goes_through_the_exception_application(app, client, operator):
    printed, fresh = printable(app, count=2)
    Certificate.update(print_status=enums.PrintStatus.PRINTED, print_count=1).where(
        Certificate.id == printed.id).execute()
    paired_control()
    response = print_button(operator, [fresh, printed], kind=enums.PrintKind.ORIGINAL)
    html = response.get_data(as_text=True)
    assert response.status_code == 422 and printed.number in html and "打印异常申请" in html
    assert PrintJob.select().count() == 0                      # all or nothing
    # the copy may still be printed
    assert print_button(operator, [printed], kind=enums.PrintKind.COPY).status_code == 303
    # and an accepted exception re-opens the original once
    Certificate.update(reprint_allowed=True).where(Certificate.id == printed.id).execute()
    assert print_button(operator, [printed], kind=enums.PrintKind.ORIGINAL).status_code == 422   # copy job still open


def test_an_archived_certificate_is_not_printable(app, client, operator):
    cert, = printable(app)
    Certificate.update(archive_status=enums.ArchiveStatus.ARCHIVED).where(Certificate.id == cert.id).execute()
    paired_control()
    response = print_button(operator, [cert], kind=enums.PrintKind.ORIGINAL)
    assert response.status_code == 422 and "已归档" in response.get_data(as_text=True)
    assert PrintJob.select().count() == 0


def test_agent_prints_what_it_declared_for_the_principal(app, client, agent):
    tongda = Enterprise.get(Enterprise.name_zh == "上海通达报关代理有限公司")
    declared, = printable(app, applicant=tongda)
    not_declared, = printable(app)
    paired_control("上海通达报关代理有限公司")
    principal = Enterprise.get(Enterprise.name_zh == "浙江华东进出口有限公司")
    # 委托企业列表 → 切换 (the 授权管理 area's page) stores the principal in the session
    with client.session_transaction() as session:
        session[ACTING_FOR_KEY] = principal.id
    assert print_button(agent, [not_declared]).status_code == 404
    assert print_button(agent, [declared]).status_code == 303
    job = PrintJob.get()
    assert job.enterprise_id == tongda.id        # the agent's own control prints it


# --- originals only to the control ---------------------------------------------------------------

def test_the_original_is_never_served_to_a_browser_session(app, client, operator):
    cert, = printable(app)
    control, token = paired_control()
    print_button(operator, [cert])
    job = PrintJob.get()
    api(client, "get", "/jobs/next?wait=0", token)
    assert client.get(f"/api/printcontrol/v1/jobs/{job.id}/original.pdf").status_code == 404
    assert client.get(f"/printing/certificates/{cert.id}/original.pdf").status_code == 404
    served = api(client, "get", f"/jobs/{job.id}/original.pdf", token)
    assert served.status_code == 200 and served.mimetype == "application/pdf"
    assert served.headers["Cache-Control"] == "no-store"
    # once reported, not even the control gets it again
    api(client, "post", f"/jobs/{job.id}/result", token, json={"ok": True, "message": "", "printer": "PDF"})
    assert api(client, "get", f"/jobs/{job.id}/original.pdf", token).status_code == 404


def test_copy_preview_is_served_to_the_browser(app, client, operator):
    cert, = printable(app)
    theirs, = printable(app, "江苏远洋贸易有限公司")
    response = client.get(f"/printing/certificates/{cert.id}/copy.pdf")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    from pypdf import PdfReader
    reader = PdfReader(io.BytesIO(response.get_data()))
    assert len(reader.pages) == 2 and f"COPY {cert.number}" in reader.pages[0].extract_text()
    download = client.get(f"/printing/certificates/{cert.id}/copy.pdf?download=1")
    assert "attachment" in download.headers["Content-Disposition"]
    assert client.get(f"/printing/certificates/{theirs.id}/copy.pdf").status_code == 404


def test_another_enterprises_token_gets_404_for_its_jobs(app, client, operator):
    cert, = printable(app)
    mine, my_token = paired_control()
    _, their_token = paired_control("江苏远洋贸易有限公司")
    print_button(operator, [cert])
    job = PrintJob.get()
    assert api(client, "get", "/jobs/next?wait=0", their_token).status_code == 204
    assert api(client, "get", f"/jobs/{job.id}/original.pdf", their_token).status_code == 404
    assert api(client, "post", f"/jobs/{job.id}/result", their_token, json={"ok": True}).status_code == 404
    assert PrintJob.get_by_id(job.id).status == enums.PrintJobStatus.QUEUED
    api(client, "get", "/jobs/next?wait=0", my_token)
    assert api(client, "get", f"/jobs/{job.id}/copy.pdf", their_token).status_code == 404
    assert api(client, "get", f"/jobs/{job.id}/copy.pdf", "no-such-token").status_code == 404


def test_a_failed_print_shows_the_printers_message_and_may_be_retried(app, client, operator):
    cert, = printable(app)
    _, token = paired_control()
    print_button(operator, [cert], kind=enums.PrintKind.ORIGINAL)
    printed_by_control(client, token, PrintJob.get().id, ok=False, message="PDF: 卡纸 (media-jam)")
    html = client.get(f"/printing/certificates/{cert.id}/progress").get_data(as_text=True)
    assert "打印失败" in html and "卡纸 (media-jam)" in html and "请如实确认" not in html
    assert Certificate.get_by_id(cert.id).print_status == enums.PrintStatus.PENDING
    assert print_button(operator, [cert], kind=enums.PrintKind.ORIGINAL).status_code == 303


def _list_row(client, cert):
    """The 证书打印 row of `cert`, as the htmx fragment shows it."""
    html = client.get(f"/certificates/?number={cert.number}", headers=HX).get_data(as_text=True)
    row = next(r for r in html.split("<tr>") if f'value="{cert.id}"' in r)
    return row.split("</tr>")[0]


def test_the_list_row_shows_a_job_in_flight_and_where_to_confirm_it(app, client, operator):
    """A user who closed the print dialog finds the job again from 证书打印: the row says the job
    is printing, then waits for 是/否, links to the dialog, and offers no second print meanwhile."""
    cert, = printable(app)
    _, token = paired_control()
    row = _list_row(client, cert)
    assert "print-job-link" not in row and f'form="row-{cert.id}" name="kind" value="original" disabled' not in row
    print_button(operator, [cert], kind=enums.PrintKind.ORIGINAL)
    job = PrintJob.get()
    row = _list_row(client, cert)
    assert "等待打印控件…" in row and f"/printing/jobs?ids={cert.id}" in row
    assert all(f'value="{k.value}" disabled' in row for k in enums.PrintKind)
    printed_by_control(client, token, job.id)
    row = _list_row(client, cert)
    assert "已打印，待确认打印结果" in row
    dialog = client.get(f"/printing/jobs?ids={cert.id}").get_data(as_text=True)
    assert CONFIRM_START.format(cert.number) in dialog
    operator.post(f"/printing/jobs/{job.id}/confirm", {"answer": "yes"}, htmx=True)
    row = _list_row(client, cert)
    assert "print-job-link" not in row and "已打印" in row


# --- 是 / 否 ------------------------------------------------------------------------------------

def _printed_job(app, client, operator, kind=enums.PrintKind.ORIGINAL_AND_COPY):
    cert, = printable(app)
    _, token = paired_control()
    print_button(operator, [cert], kind=kind)
    job = PrintJob.get()
    printed_by_control(client, token, job.id)
    return cert, job


def test_yes_marks_printed_counts_and_opens_one_archive_exchange(app, client, operator):
    cert, job = _printed_job(app, client, operator)
    # the original went to the printer: 已打印 and counted already, before any answer
    sent = Certificate.get_by_id(cert.id)
    assert sent.print_status == enums.PrintStatus.PRINTED and sent.print_count == 1
    response = operator.post(f"/printing/jobs/{job.id}/confirm", {"answer": "yes"}, htmx=True)
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "已确认打印成功" in html and "已打印" in html and "未归档" in html
    assert "certificates-changed" in response.headers["HX-Trigger"]
    after = Certificate.get_by_id(cert.id)
    assert after.print_status == enums.PrintStatus.PRINTED and after.print_count == 1 and not after.reprint_allowed
    exchanges = list(CustomsExchange.select().where(CustomsExchange.kind == enums.ExchangeKind.ARCHIVE))
    assert [e.subject_id for e in exchanges] == [cert.id]
    assert json.loads(exchanges[0].request_payload)["certificate_number"] == cert.number

    # a double click, a second tab, a retried request: nothing more
    for htmx in (True, False):
        again = operator.post(f"/printing/jobs/{job.id}/confirm", {"answer": "yes"}, htmx=htmx)
        assert again.status_code in (200, 303)
    assert Certificate.get_by_id(cert.id).print_count == 1
    assert CustomsExchange.select().count() == 1
    assert AuditEvent.select().where(AuditEvent.action == "print_confirmed").count() == 1


def test_no_archives_nothing_and_leads_to_the_exception_application(app, client, operator):
    cert, job = _printed_job(app, client, operator)
    response = operator.post(f"/printing/jobs/{job.id}/confirm", {"answer": "no"})
    assert response.status_code == 303
    location = response.headers["Location"]
    assert "/exceptions" in location and location.endswith(f"?selected={cert.number}")
    after = Certificate.get_by_id(cert.id)
    # the manual: once the original was sent to the printer, 打印状态 is 已打印 whatever the answer
    assert after.print_status == enums.PrintStatus.PRINTED and after.print_count == 1
    assert after.archive_status == enums.ArchiveStatus.UNARCHIVED
    assert CustomsExchange.select().count() == 0
    assert PrintJob.get_by_id(job.id).confirmed_ok is False
    # a later 是 on the same job changes nothing
    operator.post(f"/printing/jobs/{job.id}/confirm", {"answer": "yes"})
    assert CustomsExchange.select().count() == 0


def test_confirm_needs_an_answer(app, client, operator):
    cert, job = _printed_job(app, client, operator)
    response = operator.post(f"/printing/jobs/{job.id}/confirm", {"answer": "maybe"}, htmx=True)
    assert response.status_code == 422 and "请点击“是”或“否”" in response.get_data(as_text=True)
    assert PrintJob.get_by_id(job.id).confirmed_at is None


def test_a_copy_needs_no_confirmation(app, client, operator):
    cert, job = _printed_job(app, client, operator, kind=enums.PrintKind.COPY)
    html = client.get(f"/printing/certificates/{cert.id}/progress").get_data(as_text=True)
    assert "打印完成" in html and "请如实确认" not in html
    operator.post(f"/printing/jobs/{job.id}/confirm", {"answer": "yes"})
    assert Certificate.get_by_id(cert.id).print_status == enums.PrintStatus.PENDING
    assert CustomsExchange.select().count() == 0


def test_another_users_job_cannot_be_confirmed(app, client, operator):
    cert, = printable(app, "江苏远洋贸易有限公司")
    _, token = paired_control("江苏远洋贸易有限公司")
    job = PrintJob.create(certificate=cert, enterprise=cert.exporter, kind=enums.PrintKind.ORIGINAL,
                          requested_by="刘芳", status=enums.PrintJobStatus.DONE)
    assert operator.post(f"/printing/jobs/{job.id}/confirm", {"answer": "yes"}).status_code == 404
    assert PrintJob.get_by_id(job.id).confirmed_at is None


# --- archiving -----------------------------------------------------------------------------------

def test_the_archive_receipt_archives_and_publishes_once(app, client, operator):
    cert, job = _printed_job(app, client, operator)
    operator.post(f"/printing/jobs/{job.id}/confirm", {"answer": "yes"})
    exchange = CustomsExchange.get()
    with app.app_context():
        archiving.apply_receipt(exchange, Receipt(ok=False, message="数据不完整"))
    assert Certificate.get_by_id(cert.id).archive_status == enums.ArchiveStatus.UNARCHIVED
    at = datetime.datetime(2026, 11, 20, 3, 0, 0)
    with app.app_context():
        archiving.apply_receipt(exchange, Receipt(ok=True, message="已归档", at=at))
        archiving.apply_receipt(exchange, Receipt(ok=True, message="已归档", at=at + datetime.timedelta(days=1)))
    after = Certificate.get_by_id(cert.id)
    assert after.archive_status == enums.ArchiveStatus.ARCHIVED and after.archived_at == at
    assert after.verification_published_at is not None
    assert AuditEvent.select().where(AuditEvent.action == "archived").count() == 1
    # archived: no longer printable
    response = print_button(operator, [cert], kind=enums.PrintKind.ORIGINAL)
    assert response.status_code == 422 and "已归档" in response.get_data(as_text=True)


def test_the_sweep_ends_jobs_a_control_never_took_or_never_reported(app, client, operator, worker):
    taken, waiting = printable(app, count=2)
    _, token = paired_control()
    print_button(operator, [taken, waiting], kind=enums.PrintKind.ORIGINAL)
    assert api(client, "get", "/jobs/next?wait=0", token).get_json()["number"] == taken.number   # then dies
    long_ago = utcnow() - datetime.timedelta(seconds=app.config["PRINT_JOB_TIMEOUT_S"] + 1)
    PrintJob.update(created_at=long_ago, taken_at=long_ago).execute()
    with app.app_context():
        from coo import queue
        queue.enqueue("jobs.maintenance.sweep", job_id="sweep-test")
    worker.burst(queues=("default",))
    # taken and never reported: the original may be on paper, so it counts as printed and the
    # user is asked 是/否 like after any printed original
    html = client.get(f"/printing/certificates/{taken.id}/progress").get_data(as_text=True)
    assert "未报告打印结果" in html and "请如实确认证书" in html and 'value="no"' in html
    assert Certificate.get_by_id(taken.id).print_status == enums.PrintStatus.PRINTED
    html = client.get(f"/printing/certificates/{waiting.id}/progress").get_data(as_text=True)
    assert "打印失败" in html and "未在规定时间内接收任务" in html
    assert Certificate.get_by_id(waiting.id).print_status == enums.PrintStatus.PENDING
    # the one never taken may be printed again; the taken one waits for its answer
    assert print_button(operator, [waiting], kind=enums.PrintKind.ORIGINAL).status_code == 303
    refused = print_button(operator, [taken], kind=enums.PrintKind.ORIGINAL)
    assert refused.status_code == 422 and "请先确认打印结果" in refused.get_data(as_text=True)
