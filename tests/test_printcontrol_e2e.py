"""End to end: a real print control process (`python -m coo.printcontrol`, directory backend)
against the app served by a real HTTP server; a real RQ worker archives; the verification portal
shows the result."""
import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from pypdf import PdfReader
from werkzeug.serving import make_server

from coo import enums
from coo.models import Certificate, CustomsExchange, PrintControl, PrintJob
from coo.printcontrol import VERSION
from coo.security import verification_code

from control_support import wait_for
from printing_support import code_from, printable

ROOT = Path(__file__).resolve().parent.parent
pytestmark = pytest.mark.slow


@pytest.fixture
def served(app):
    """The app on a real threaded HTTP server on a free port."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    server.server_close()      # joins the request threads (a long-poll may still be running)
    thread.join(timeout=10)


def control(*args, tmp, **popen):
    env = dict(os.environ, TMPDIR=str(tmp / "control-tmp"), HOME=str(tmp / "home"), PYTHONUNBUFFERED="1")
    cmd = [sys.executable, "-m", "coo.printcontrol", "--config", str(tmp / "control.json"), *args]
    return subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            **popen)


def files_under(folder: Path):
    return sorted(p for p in folder.rglob("*") if p.is_file())


def test_print_control_prints_original_and_copy_then_yes_archives_and_verification_shows_it(
        app, client, operator, worker, served, tmp_path):
    (tmp_path / "control-tmp").mkdir()
    (tmp_path / "home").mkdir()
    printed = tmp_path / "printed"
    cert, = printable(app)

    # 打印控件 page → 生成配对码 → `pair` on the PC
    code = code_from(operator.post("/printing/control/pairing-code", token_from="/printing/control")
                     .get_data(as_text=True))
    pairing = control("pair", code, "--server", served, "--name", "前台电脑", "--backend", "directory",
                      "--directory", str(printed), tmp=tmp_path)
    out, err = pairing.communicate(timeout=60)
    assert pairing.returncode == 0, err
    assert "配对成功" in out and "浙江华东进出口有限公司" in out

    running = control("run", "--wait", "2", "--heartbeat", "1", tmp=tmp_path)
    try:
        wait_for("the first heartbeat", lambda: PrintControl.get().last_heartbeat_at is not None)
        page = client.get("/printing/control").get_data(as_text=True)
        assert "已启动" in page and VERSION in page and "前台电脑" in page

        # 打印正副本 → the control takes the job, prints both, reports 成功
        response = operator.post("/printing/jobs", {"ids": [str(cert.id)], "kind": "both"}, htmx=True)
        assert response.status_code == 200 and cert.number in response.get_data(as_text=True)
        job = PrintJob.get()
        wait_for("the job to be printed",
                 lambda: PrintJob.get_by_id(job.id).status in (enums.PrintJobStatus.DONE, enums.PrintJobStatus.FAILED))
        job = PrintJob.get_by_id(job.id)
        assert job.status == enums.PrintJobStatus.DONE, job.message
        assert job.printer.startswith("目录")

        original = PdfReader(printed / f"{cert.number}-original.pdf")
        copy = PdfReader(printed / f"{cert.number}-copy.pdf")
        assert len(original.pages) == 2 and f"ORIGINAL {cert.number}" in original.pages[0].extract_text()
        assert len(copy.pages) == 2 and f"COPY {cert.number}" in copy.pages[0].extract_text()
        assert files_under(tmp_path / "control-tmp") == []        # no original kept on the PC

        # the row's fragment now asks the manual's question
        progress = client.get(f"/printing/certificates/{cert.id}/progress", headers={"HX-Request": "true"})
        assert f"请如实确认证书（{cert.number}）是否已打印成功！" in progress.get_data(as_text=True)
    finally:
        running.terminate()
        out, err = running.communicate(timeout=30)
    assert running.returncode == 0, err
    assert "成功" in err

    # 是 → 已打印, archive requested
    answer = operator.post(f"/printing/jobs/{job.id}/confirm", {"answer": "yes"}, htmx=True)
    assert answer.status_code == 200 and "已确认打印成功" in answer.get_data(as_text=True)
    assert Certificate.get_by_id(cert.id).print_status == enums.PrintStatus.PRINTED

    # a real RQ worker runs the archive exchange until customs has archived
    for _ in range(5):
        worker.burst(queues=("customs",), with_scheduler=True)
        if Certificate.get_by_id(cert.id).archive_status == enums.ArchiveStatus.ARCHIVED:
            break
    after = Certificate.get_by_id(cert.id)
    assert after.archive_status == enums.ArchiveStatus.ARCHIVED
    assert after.archived_at is not None and after.verification_published_at is not None
    assert "已归档" in client.get(f"/printing/certificates/{cert.id}/progress").get_data(as_text=True)

    # the verification portal shows it (public: a fresh client without login)
    with app.app_context():
        code = verification_code(cert.number)
    public = app.test_client().get("/verify", query_string={"no": cert.number, "code": code})
    html = public.get_data(as_text=True)
    assert public.status_code == 200 and cert.number in html and "已归档" in html
    assert cert.goods[0].hs_code in html

    # a second 是 changes nothing
    again = operator.post(f"/printing/jobs/{job.id}/confirm", {"answer": "yes"}, htmx=True)
    assert again.status_code == 200
    assert Certificate.get_by_id(cert.id).print_count == 1
    assert CustomsExchange.select().where(CustomsExchange.kind == enums.ExchangeKind.ARCHIVE).count() == 1


def test_a_revoked_control_stops_with_a_clear_message(app, client, operator, served, tmp_path):
    (tmp_path / "control-tmp").mkdir()
    (tmp_path / "home").mkdir()
    code = code_from(operator.post("/printing/control/pairing-code", token_from="/printing/control")
                     .get_data(as_text=True))
    pairing = control("pair", code, "--server", served, "--backend", "directory", "--directory",
                      str(tmp_path / "printed"), tmp=tmp_path)
    assert pairing.wait(timeout=60) == 0
    pairing.communicate()
    row = PrintControl.get()
    operator.post(f"/printing/control/{row.id}/revoke", token_from="/printing/control")
    running = control("run", "--wait", "1", tmp=tmp_path)
    out, err = running.communicate(timeout=60)
    assert running.returncode == 2 and "重新配对" in err
