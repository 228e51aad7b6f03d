"""The manual's print discipline (4.4, 第五章, 第六章), end to end through the pages, the print
control's API and a real worker with the customs simulator:

- the first original sent to the printer makes 打印状态 已打印, whatever 是/否 says next;
- after 否 the only way to print the original again is 打印异常申请, and every reprint is
  counted ("证书每次异常打印都会记录打印的次数");
- one original per certificate: no second one by printing or by 下载正本.
"""
import re

from coo import enums
from coo.models import (
    Authorisation, Certificate, CertificateType, CustomsExchange, DownloadRecord, Enterprise,
    ExceptionApplication, PrintJob,
)

from printing_support import authorise, paired_control, printable
from tests.history import undo_demo_history  # noqa: F401  (autouse)
from test_downloads import with_layout

HUADONG = "浙江华东进出口有限公司"


def print_button(actions, cert, kind=enums.PrintKind.ORIGINAL):
    return actions.post("/printing/jobs", {"ids": [str(cert.id)], "kind": kind.value})


def control_prints(client, token):
    """The print control takes the next job and reports it printed; returns the job id."""
    headers = {"Authorization": f"Bearer {token}"}
    job = client.get("/api/printcontrol/v1/jobs/next?wait=0", headers=headers).get_json()
    assert client.post(f"/api/printcontrol/v1/jobs/{job['id']}/result", headers=headers,
                       json={"ok": True, "message": "PDF: 打印完成", "printer": "PDF"}).status_code == 200
    return job["id"]


def cells(html, number):
    """The text of the cells of one certificate's row in a list page."""
    row = re.search(rf"<tr>(?:(?!</tr>).)*?<td>{number}</td>.*?</tr>", html, re.S)
    assert row, f"no row for {number}"
    return [re.sub(r"<[^>]+>", " ", cell).strip() for cell in re.findall(r"<td[^>]*>(.*?)</td>", row.group(0), re.S)]


def print_row(client, cert):
    html = client.get(f"/certificates/?number={cert.number}").get_data(as_text=True)
    row = re.search(rf"<tr>(?:(?!</tr>).)*?<td>{cert.number}</td>.*?</tr>", html, re.S).group(0)
    return row, cells(html, cert.number)


def enabled(row, kind):
    return re.search(rf'<button type="submit" form="row-\d+" name="kind" value="{kind.value}">', row) is not None


def test_no_makes_it_printed_and_only_an_exception_application_reprints_it_counted(app, client, operator, worker):
    cert, = printable(app)
    _, token = paired_control()
    assert print_button(operator, cert).status_code == 303
    job_id = control_prints(client, token)

    # sent to the printer: 已打印 at once, before any answer
    assert Certificate.get_by_id(cert.id).print_status == enums.PrintStatus.PRINTED
    answer = operator.post(f"/printing/jobs/{job_id}/confirm", {"answer": "no"})
    assert answer.status_code == 303 and answer.headers["Location"].endswith(f"/exceptions/?selected={cert.number}")
    after = Certificate.get_by_id(cert.id)
    assert after.print_status == enums.PrintStatus.PRINTED and after.print_count == 1
    assert not CustomsExchange.select().where(CustomsExchange.kind == enums.ExchangeKind.ARCHIVE).exists()

    # 证书打印: the row says 已打印; 打印正本 / 打印正副本 are off (the copy may still be printed)
    row, row_cells = print_row(client, cert)
    assert row_cells[10] == "已打印" and row_cells[9] == "未归档"
    assert not enabled(row, enums.PrintKind.ORIGINAL) and not enabled(row, enums.PrintKind.ORIGINAL_AND_COPY)
    assert enabled(row, enums.PrintKind.COPY)
    assert "不能再打印或下载正本；如正本未能正常打印，请通过“打印异常申请”申请重新打印。" in row   # the buttons' title
    for kind in (enums.PrintKind.ORIGINAL, enums.PrintKind.ORIGINAL_AND_COPY):
        refused = print_button(operator, cert, kind)
        assert refused.status_code == 422
        assert f"证书 {cert.number} 的正本已打印（已自助打印），不能再打印或下载正本；" in refused.get_data(as_text=True)
    assert PrintJob.select().count() == 1

    # 已打印证书列表 (打印异常申请) shows it 已打印, chosen, with no exception print yet
    html = client.get(f"/exceptions/?selected={cert.number}").get_data(as_text=True)
    listed = cells(html, cert.number)
    assert listed[8] == "已打印" and listed[10] == "0"
    assert f'value="{cert.id}" aria-label="选择 {cert.number}" checked' in html

    # 打印异常申请 → customs accepts → the original may be printed once more, and it is counted
    assert operator.post("/exceptions/apply", {"certificate": cert.id, "reason": "paper_jam"}).status_code == 303
    refused = print_button(operator, cert)                     # not before customs' receipt
    assert refused.status_code == 422 and "的打印异常申请已提交，正在等待海关回执" in refused.get_data(as_text=True)
    worker.burst()
    assert ExceptionApplication.get().status == enums.ExceptionStatus.ACCEPTED
    row, _ = print_row(client, cert)
    assert enabled(row, enums.PrintKind.ORIGINAL)
    assert print_button(operator, cert).status_code == 303
    reprint = control_prints(client, token)
    after = Certificate.get_by_id(cert.id)
    assert after.print_count == 2 and after.exception_reprints == 1 and not after.reprint_allowed
    assert ExceptionApplication.get().status == enums.ExceptionStatus.REPRINTED
    html = client.get(f"/exceptions/?number={cert.number}").get_data(as_text=True)
    assert cells(html, cert.number)[10] == "1"                  # 异常打印次数

    # the reprint used the permission up: 否 again, and again only 打印异常申请 reprints
    assert operator.post(f"/printing/jobs/{reprint}/confirm", {"answer": "no"}).status_code == 303
    assert print_button(operator, cert).status_code == 422
    assert operator.post("/exceptions/apply", {"certificate": cert.id, "reason": "power_cut"}).status_code == 303
    worker.burst()
    assert print_button(operator, cert).status_code == 303
    control_prints(client, token)
    after = Certificate.get_by_id(cert.id)
    assert after.print_count == 3 and after.exception_reprints == 2


def downloadable_printable(app):
    """A 华东 certificate of an electronic type, declared through the single window, approved after
    the authorisation, its layouts received."""
    huadong = Enterprise.get(Enterprise.name_zh == HUADONG)
    granted = Authorisation.latest_success(huadong) or authorise(huadong)
    cert = (Certificate.select().join(CertificateType)
            .where((Certificate.exporter == huadong) & (Certificate.applicant == huadong)
                   & CertificateType.e_download & CertificateType.self_print
                   & (Certificate.platform == enums.Platform.SINGLE_WINDOW)
                   & (Certificate.approved_at > granted.receipt_at))
            .order_by(Certificate.id).first())
    assert cert is not None
    return with_layout(app, cert)


def test_no_second_original_by_download_while_printing_or_after_a_print(app, client, operator):
    cert = downloadable_printable(app)
    _, token = paired_control()
    assert print_button(operator, cert).status_code == 303

    # queued for the printer: 下载正本 is refused, with its reason
    refused = operator.post(f"/downloads/{cert.id}/original", token_from="/downloads/")
    assert refused.status_code == 422 and f"证书 {cert.number} 有未完成的打印任务" in refused.get_data(as_text=True)

    job_id = control_prints(client, token)
    # printed, waiting for 是/否: refused, and the page says why in the row
    refused = operator.post(f"/downloads/{cert.id}/original", token_from="/downloads/")
    assert refused.status_code == 422 and "的正本已发送至打印机，请先确认打印结果（是 / 否）。" in refused.get_data(as_text=True)
    html = client.get(f"/downloads/?number={cert.number}").get_data(as_text=True)
    assert cells(html, cert.number)[9] == "已自助打印" and "请先确认打印结果" in cells(html, cert.number)[10]

    # after 否 (or 是) the original was printed: never downloaded as a second original
    assert operator.post(f"/printing/jobs/{job_id}/confirm", {"answer": "no"}).status_code == 303
    refused = operator.post(f"/downloads/{cert.id}/original", token_from="/downloads/")
    assert refused.status_code == 422 and "不能再打印或下载正本" in refused.get_data(as_text=True)
    assert not DownloadRecord.select().exists()
    assert Certificate.get_by_id(cert.id).download_status == enums.DownloadStatus.PENDING


def test_no_second_original_by_print_after_a_download(app, client, operator):
    cert = downloadable_printable(app)
    paired_control()
    downloaded = operator.post(f"/downloads/{cert.id}/original", token_from="/downloads/")
    assert downloaded.status_code == 200 and downloaded.data.startswith(b"%PDF")
    for kind in (enums.PrintKind.ORIGINAL, enums.PrintKind.ORIGINAL_AND_COPY):
        refused = print_button(operator, cert, kind)
        assert refused.status_code == 422
        assert f"证书 {cert.number} 的正本已下载（下载状态：已下载），不能再打印正本。" in refused.get_data(as_text=True)
    assert PrintJob.select().count() == 0
    row, _ = print_row(client, cert)
    assert not enabled(row, enums.PrintKind.ORIGINAL) and "不能再打印正本" in row
    # the copy may be printed; the original downloaded again is the same signed file
    assert print_button(operator, cert, enums.PrintKind.COPY).status_code == 303
    again = operator.post(f"/downloads/{cert.id}/original", token_from="/downloads/")
    assert again.status_code == 200 and again.data == downloaded.data


def test_migration_0140_makes_originals_answered_no_or_unanswered_printed(app, client, operator):
    """Rows from before the rule: 否 (or no answer yet) left them 待打印; the migration makes them
    已打印 with the print counted, and leaves certificates whose only job was a copy alone."""
    import importlib.util
    from pathlib import Path
    from coo.models import database
    from coo.clock import utcnow
    no, waiting, copy_only, yes = printable(app, count=4)
    for cert, kind, status, ok in ((no, enums.PrintKind.ORIGINAL, enums.PrintJobStatus.CONFIRMED, False),
                                   (waiting, enums.PrintKind.ORIGINAL_AND_COPY, enums.PrintJobStatus.DONE, None),
                                   (copy_only, enums.PrintKind.COPY, enums.PrintJobStatus.DONE, None),
                                   (yes, enums.PrintKind.ORIGINAL, enums.PrintJobStatus.CONFIRMED, True)):
        PrintJob.create(certificate=cert, enterprise=cert.exporter, kind=kind, status=status, requested_by="李晓梅",
                        confirmed_ok=ok, confirmed_at=utcnow() if ok is not None else None)
    Certificate.update(print_status=enums.PrintStatus.PRINTED, print_count=1).where(Certificate.id == yes.id).execute()
    path = Path(__file__).resolve().parents[1] / "migrations" / "0140_original_sent_is_printed.py"
    spec = importlib.util.spec_from_file_location("m0140", path)
    migration = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(migration)
    migration.up(None, database.obj)
    got = {c.id: (c.print_status, c.print_count) for c in Certificate.select().where(
        Certificate.id.in_([no.id, waiting.id, copy_only.id, yes.id]))}
    assert got == {no.id: (enums.PrintStatus.PRINTED, 1), waiting.id: (enums.PrintStatus.PRINTED, 1),
                   copy_only.id: (enums.PrintStatus.PENDING, 0), yes.id: (enums.PrintStatus.PRINTED, 1)}
