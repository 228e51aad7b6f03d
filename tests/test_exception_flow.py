"""打印异常申请 end to end, with a real worker and the customs simulator: print the original, 是,
apply, customs' receipt, print the original again through the print control, 是 — counted twice,
one exception reprint — then customs archives it and no further application is possible."""
import pytest

from coo import enums
from coo.models import Certificate, CustomsExchange, ExceptionApplication

from printing_support import paired_control, printable


def control_prints(client, token, job_id):
    """What the print control does with a job: take it, print it, report."""
    headers = {"Authorization": f"Bearer {token}"}
    taken = client.get("/api/printcontrol/v1/jobs/next?wait=0", headers=headers)
    assert taken.status_code == 200 and taken.get_json()["id"] == job_id
    done = client.post(f"/api/printcontrol/v1/jobs/{job_id}/result", headers=headers,
                       json={"ok": True, "message": "PDF: 打印完成", "printer": "PDF"})
    assert done.status_code == 200


def print_original(client, operator, cert, token):
    response = operator.post("/printing/jobs", {"ids": [str(cert.id)], "kind": enums.PrintKind.ORIGINAL.value})
    assert response.status_code == 303
    from coo.models import PrintJob
    job = PrintJob.select().where(PrintJob.certificate == cert).order_by(PrintJob.id.desc()).first()
    control_prints(client, token, job.id)
    answer = operator.post(f"/printing/jobs/{job.id}/confirm", {"answer": "yes"})
    assert answer.status_code in (200, 303)


def test_apply_receipt_reprint_counts_two_then_archived(app, client, operator, worker):
    # Customs archives slowly here, so the first print's archive request is still open when the
    # exception application is made (as after a 是 clicked by mistake).
    app.config["SIMULATOR_ARCHIVE_DELAY_S"] = 3600
    try:
        cert, = printable(app)
        _, token = paired_control()
        print_original(client, operator, cert, token)
        assert Certificate.get_by_id(cert.id).print_count == 1

        response = operator.post("/exceptions/apply", {"certificate": cert.id, "reason": "content_missing",
                                                       "details": "第二页印章缺失"})
        assert response.status_code == 303
        worker.burst()
        application = ExceptionApplication.get(ExceptionApplication.certificate == cert)
        assert application.status == enums.ExceptionStatus.ACCEPTED
        assert Certificate.get_by_id(cert.id).reprint_allowed
        html = client.get("/exceptions/?tab=records").get_data(as_text=True)
        assert "异常处理申请接收成功" in html and "第二页印章缺失" in html

        print_original(client, operator, cert, token)
    finally:
        app.config["SIMULATOR_ARCHIVE_DELAY_S"] = 0
    after = Certificate.get_by_id(cert.id)
    assert after.print_count == 2 and after.exception_reprints == 1 and not after.reprint_allowed
    assert ExceptionApplication.get_by_id(application.id).status == enums.ExceptionStatus.REPRINTED
    html = client.get(f"/exceptions/?number={cert.number}").get_data(as_text=True)
    assert cert.number in html and "<td>1</td>" in html          # 异常打印次数 shown
    assert "已重新打印" in client.get("/exceptions/?tab=records").get_data(as_text=True)

    # one archive request, from the first 是; the reprint did not open another
    assert CustomsExchange.select().where(CustomsExchange.kind == enums.ExchangeKind.ARCHIVE).count() == 1


def test_customs_refuses_an_application_for_a_certificate_it_archived_meanwhile(app, client, operator, worker):
    """是, then an application before the worker ran: customs archives first and refuses it."""
    cert, = printable(app)
    _, token = paired_control()
    print_original(client, operator, cert, token)
    assert operator.post("/exceptions/apply", {"certificate": cert.id, "reason": "paper_jam"}).status_code == 303
    worker.burst()
    after = Certificate.get_by_id(cert.id)
    assert after.archive_status == enums.ArchiveStatus.ARCHIVED and not after.reprint_allowed
    application = ExceptionApplication.get(ExceptionApplication.certificate == cert)
    assert application.status == enums.ExceptionStatus.REFUSED and "已归档" in application.receipt_message
    html = client.get("/exceptions/?tab=records").get_data(as_text=True)
    assert "异常处理申请被拒绝" in html
