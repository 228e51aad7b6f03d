"""The print control never dies of the network: a real control process against a real server
that goes away and comes back, a name that does not resolve, a TLS handshake with a plain HTTP
port, a proxy answering 502, a revoked token, a PC without CUPS."""
import http.server
import random
import subprocess
import sys
import threading

import pytest

from coo import enums
from coo.models import PrintControl, PrintJob
from coo.printcontrol.cli import BACKOFF_CAP_S, Backoff

from control_support import ControlProcess, Served, free_port, wait_for, write_config
from printing_support import paired_control, printable

pytestmark = pytest.mark.slow


def test_backoff_doubles_with_jitter_and_is_capped():
    backoff = Backoff(rng=random.Random(7))
    delays = [backoff.next() for _ in range(12)]
    assert delays[0] <= 1 and all(d <= BACKOFF_CAP_S for d in delays)
    assert max(delays) > BACKOFF_CAP_S / 2            # it does reach the cap's range
    assert delays[6] > delays[0] * 10                  # and grew to get there
    backoff.reset()
    assert backoff.next() <= 1


def test_the_control_outlives_its_server_stopping_and_starting_again(app, client, operator, tmp_path):
    cert, = printable(app)
    row, token = paired_control(heartbeat_age_s=None)
    server = Served(app)
    printed = tmp_path / "printed"
    write_config(tmp_path / "control.json", server.url, token, printed)
    control = ControlProcess(tmp_path, "run", "--wait", "1", "--heartbeat", "1")
    try:
        # started while the server is down: says so, waits, tries again
        control.wait_line("无法连接系统", "拒绝连接", "秒后重试")
        wait_for("a second attempt", lambda: control.count("无法连接系统", "拒绝连接") >= 2)
        assert control.running

        server.start()
        wait_for("the first heartbeat", lambda: PrintControl.get_by_id(row.id).last_heartbeat_at is not None)

        # the server goes away while the control waits for jobs
        server.stop()
        before = len(control.lines)
        wait_for("the control to notice", lambda: any("拒绝连接" in l for l in control.lines[before:]))
        assert control.running

        # and comes back: the control prints the next job
        server.start()
        control.wait_line("已恢复与系统的连接")
        response = operator.post("/printing/jobs", {"ids": [str(cert.id)], "kind": "both"}, htmx=True)
        assert response.status_code == 200, response.get_data(as_text=True)
        job = PrintJob.get()
        wait_for("the job to be reported", lambda: PrintJob.get_by_id(job.id).status == enums.PrintJobStatus.DONE)
        assert (printed / f"{cert.number}-original.pdf").exists()

        # `status` says what it does, in Chinese (its state file follows the control's next
        # heartbeat after the reconnect, so ask until it has caught up)
        def ask_status():
            return subprocess.run([sys.executable, "-m", "coo.printcontrol", "--config", str(control.config),
                                   "status"], capture_output=True, text=True, timeout=60)
        def caught_up():
            answer = ask_status()
            return answer if answer.returncode or ("运行中" in answer.stdout and "已连接系统" in answer.stdout) else None
        status = wait_for("status to show the reconnect", caught_up)
        out = status.stdout
        assert status.returncode == 0, status.stderr
        assert "浙江华东进出口有限公司" in out and server.url in out
        assert "运行中" in out and "已连接系统" in out
        assert f"目录 {printed}" in out
        assert f"任务 {job.id}" in out and cert.number in out and "成功" in out
    finally:
        code = control.stop()
        server.stop()
    assert code == 0, control.text()
    assert "Traceback" not in control.text()


class _BadGateway(http.server.BaseHTTPRequestHandler):
    """What a reverse proxy answers while the app behind it is down."""

    def _answer(self):
        body = b"<html><body><h1>502 Bad Gateway</h1></body></html>"
        self.send_response(502)
        self.send_header("Content-Type", "text/html")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_GET = do_POST = _answer

    def log_message(self, *args):
        pass


@pytest.fixture
def bad_gateway():
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _BadGateway)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    server.server_close()


@pytest.fixture
def plain_http(app):
    served = Served(app).start()
    yield served.url.replace("http://", "https://")      # TLS spoken to a plain HTTP port
    served.stop()


@pytest.mark.parametrize("where, words", [
    ("dns", "无法解析服务器地址"),
    ("tls", "TLS"),
    ("5xx", "HTTP 502"),
])
def test_dns_tls_and_5xx_failures_are_one_chinese_line_each_and_it_carries_on(
        app, demo, tmp_path, where, words, request):
    url = {"dns": lambda: "https://coo-printcontrol-test.invalid",
           "tls": lambda: request.getfixturevalue("plain_http"),
           "5xx": lambda: request.getfixturevalue("bad_gateway")}[where]()
    _, token = paired_control()
    write_config(tmp_path / "control.json", url, token, tmp_path / "printed")
    control = ControlProcess(tmp_path, "run", "--wait", "1", "--heartbeat", "1")
    try:
        line = control.wait_line(words, "秒后重试")
        assert line.count("\n") == 0 and "无法连接系统" in line
        wait_for("it to try again", lambda: control.count(words) >= 2)
        assert control.running
    finally:
        control.stop()
    assert "Traceback" not in control.text()


def test_a_token_revoked_while_running_stops_it_with_the_message_to_pair_again(app, client, operator, tmp_path):
    server = Served(app).start()
    row, token = paired_control(heartbeat_age_s=None)
    write_config(tmp_path / "control.json", server.url, token, tmp_path / "printed")
    control = ControlProcess(tmp_path, "run", "--wait", "1", "--heartbeat", "1")
    try:
        wait_for("the first heartbeat", lambda: PrintControl.get_by_id(row.id).last_heartbeat_at is not None)
        operator.post(f"/printing/control/{row.id}/revoke", token_from="/printing/control")
        assert control.proc.wait(timeout=60) == 2
    finally:
        control.stop()
        server.stop()
    assert "重新配对" in control.text() and "Traceback" not in control.text()
    status = subprocess.run([sys.executable, "-m", "coo.printcontrol", "--config", str(control.config), "status"],
                            capture_output=True, text=True, timeout=60)
    assert "已撤销" in status.stdout or "重新配对" in status.stdout


@pytest.mark.parametrize("backend", [["--backend", "cups"], []])
def test_without_cups_it_names_the_directory_backend_instead_of_a_traceback(app, demo, tmp_path, backend):
    _, token = paired_control()
    empty = tmp_path / "bin"
    empty.mkdir()
    (tmp_path / "control.json").write_text(
        f'{{"server": "http://127.0.0.1:{free_port()}", "token": "{token}"}}', encoding="utf-8")
    control = ControlProcess(tmp_path, "run", *backend, env={"PATH": str(empty)})
    assert control.proc.wait(timeout=60) == 2
    control.stop()
    text = control.text()
    assert "未找到 CUPS" in text and "--backend directory --directory" in text
    assert "Traceback" not in text
