"""The one-file executable (PyInstaller, packaging/coo-printcontrol.spec), built here for Linux
and used like a user would: pair with the page's code, heartbeat, print into a folder, report,
and `status` tells what it did. (The same spec builds coo-printcontrol.exe on Windows.)"""
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from coo import enums
from coo.models import PrintControl, PrintJob
from coo.printcontrol import VERSION

from control_support import ControlProcess, Served, wait_for
from printing_support import code_from, printable

ROOT = Path(__file__).resolve().parent.parent
pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def executable(tmp_path_factory):
    work = tmp_path_factory.mktemp("pyinstaller")
    pyinstaller = Path(sys.executable).parent / "pyinstaller"
    result = subprocess.run([str(pyinstaller), "--noconfirm", "--log-level", "WARN", "--distpath", str(work / "dist"),
                             "--workpath", str(work / "build"), str(ROOT / "packaging" / "coo-printcontrol.spec")],
                            cwd=work, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr[-3000:]
    exe = work / "dist" / "coo-printcontrol"
    assert exe.exists()
    return exe


def test_a_double_click_on_the_executable_pairs_installs_heartbeats_prints_and_reports(
        app, client, operator, executable, tmp_path):
    version = subprocess.run([str(executable), "--version"], capture_output=True, text=True, timeout=60)
    assert version.returncode == 0 and VERSION in version.stdout

    cert, = printable(app)
    server = Served(app).start()
    home = tmp_path / "home"
    config = home / ".coo-printcontrol.json"
    printed = tmp_path / "printed"
    config.parent.mkdir(parents=True)
    # Print into a folder instead of this machine's printer (the only setting made beforehand).
    config.write_text(json.dumps({"backend": "directory", "directory": str(printed)}), encoding="utf-8")
    xdg = {"HOME": str(home), "XDG_CONFIG_HOME": str(home / ".config"), "XDG_DATA_HOME": str(home / ".local/share")}
    try:
        code = code_from(operator.post("/printing/control/pairing-code", token_from="/printing/control")
                         .get_data(as_text=True))
        # A double-click: no arguments; the console asks for the system's address and the code.
        control = ControlProcess(tmp_path, cmd=[str(executable)], env=xdg, cwd=tmp_path,
                                 stdin_text=f"{server.url}\n{code}\n")
        try:
            control.wait_line("配对成功", "浙江华东进出口有限公司")
            control.wait_line("已创建桌面快捷方式")
            wait_for("the first heartbeat", lambda: PrintControl.get().last_heartbeat_at is not None)
            assert PrintControl.get().version == VERSION
            installed = home / ".local/share" / "coo-printcontrol" / "coo-printcontrol"
            assert installed.exists()
            shortcut = (home / "Desktop" / "coo-printcontrol.desktop").read_text(encoding="utf-8")
            assert f"Exec={installed} --config {config} run" in shortcut

            # the shipped long-poll (20 s) is woken at once by the print button
            response = operator.post("/printing/jobs", {"ids": [str(cert.id)], "kind": "both"}, htmx=True)
            assert response.status_code == 200
            job = PrintJob.get()
            wait_for("the job's result", lambda: PrintJob.get_by_id(job.id).status not in (
                enums.PrintJobStatus.QUEUED, enums.PrintJobStatus.PRINTING))
            job = PrintJob.get_by_id(job.id)
            assert job.status == enums.PrintJobStatus.DONE, job.message
            assert (printed / f"{cert.number}-original.pdf").read_bytes().startswith(b"%PDF")
            assert (printed / f"{cert.number}-copy.pdf").exists()
            status = subprocess.run([str(installed), "--config", str(config), "status"],
                                    capture_output=True, text=True, timeout=60, env=dict(os.environ, **xdg))
            assert "浙江华东进出口有限公司" in status.stdout and "运行中" in status.stdout
            assert cert.number in status.stdout and "成功" in status.stdout
        finally:
            assert control.stop() == 0, control.text()
    finally:
        server.stop()
    assert "Traceback" not in control.text()
