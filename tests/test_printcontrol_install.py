"""`coo-printcontrol install` on Linux, for real in a temporary HOME: the XDG autostart entry and
the desktop shortcut (打印控件) exist, and the shortcut's Exec starts the control, which then
heartbeats — so the 未启动 hint's "在桌面双击打印控件快捷方式" is true."""
import configparser
import json
import os
import shlex
import subprocess
import sys

import pytest

from coo.models import PrintControl
from coo.services.printcontrol import HINTS
from coo import enums

from control_support import ControlProcess, Served, wait_for, write_config
from printing_support import code_from, paired_control

pytestmark = pytest.mark.slow


def xdg_env(tmp_path):
    home = tmp_path / "home"
    (home / ".config").mkdir(parents=True)
    # A Chinese desktop: user-dirs.dirs names ~/桌面.
    (home / ".config" / "user-dirs.dirs").write_text('XDG_DESKTOP_DIR="$HOME/桌面"\n', encoding="utf-8")
    return {"HOME": str(home), "XDG_CONFIG_HOME": str(home / ".config"),
            "XDG_DATA_HOME": str(tmp_path / "share"), "XDG_DESKTOP_DIR": ""}


def read_entry(path):
    parser = configparser.ConfigParser(interpolation=None)
    parser.optionxform = str
    parser.read(path, encoding="utf-8")
    return parser["Desktop Entry"]


def test_install_creates_the_autostart_entry_and_the_desktop_shortcut_which_runs_the_control(
        app, demo, tmp_path):
    env = xdg_env(tmp_path)
    config = tmp_path / "control.json"
    row, token = paired_control(heartbeat_age_s=None)
    server = Served(app).start()
    write_config(config, server.url, token, tmp_path / "printed")
    environ = dict(os.environ, **env)
    environ.pop("XDG_DESKTOP_DIR")
    result = subprocess.run([sys.executable, "-m", "coo.printcontrol", "--config", str(config), "install"],
                            capture_output=True, text=True, env=environ, timeout=60)
    assert result.returncode == 0, result.stderr
    assert "已创建桌面快捷方式" in result.stdout and "已创建开机自动启动" in result.stdout

    home = tmp_path / "home"
    autostart = home / ".config" / "autostart" / "coo-printcontrol.desktop"
    desktop = home / "桌面" / "coo-printcontrol.desktop"
    menu = tmp_path / "share" / "applications" / "coo-printcontrol.desktop"
    for path in (autostart, desktop, menu):
        assert path.exists(), path
        assert os.access(path, os.X_OK)
        entry = read_entry(path)
        assert entry["Type"] == "Application" and entry["Name"] == "打印控件"
        assert entry["Terminal"] == "false"
    assert "打印控件快捷方式" in HINTS[enums.PrintControlState.NOT_RUNNING]
    assert "在桌面双击" in HINTS[enums.PrintControlState.NOT_RUNNING]

    # Double-click: what the desktop runs is the shortcut's Exec in its Path.
    entry = read_entry(desktop)
    argv = shlex.split(entry["Exec"])
    assert argv[-1] == "run" and str(config) in argv
    started = ControlProcess(tmp_path, cmd=argv, cwd=entry["Path"], env={k: v for k, v in env.items() if v})
    try:
        wait_for("the shortcut's control to heartbeat",
                 lambda: PrintControl.get_by_id(row.id).last_heartbeat_at is not None)
        assert started.running
        # A second double-click finds it running and says so instead of starting another.
        second = subprocess.run(argv, cwd=entry["Path"], env=environ, capture_output=True, text=True, timeout=60)
        assert second.returncode == 0 and "已在运行" in second.stderr
    finally:
        assert started.stop() == 0, started.text()
        server.stop()

    removed = subprocess.run([sys.executable, "-m", "coo.printcontrol", "--config", str(config), "uninstall"],
                             capture_output=True, text=True, env=environ, timeout=60)
    assert removed.returncode == 0 and not desktop.exists() and not autostart.exists()


def test_the_downloaded_pyz_double_clicked_pairs_installs_a_copy_and_its_shortcut_runs_it(
        app, client, operator, tmp_path):
    """The .pyz from 下载安装包 on Debian's own python3 (no venv): started without a command it
    asks for the code, pairs, copies itself out of the download folder, creates the shortcuts
    and runs; the shortcut then starts that copy."""
    env = xdg_env(tmp_path)
    environ = {k: v for k, v in env.items() if v}
    server = Served(app).start()
    downloads = tmp_path / "Downloads"
    downloads.mkdir()
    pyz = downloads / "coo-printcontrol.pyz"
    pyz.write_bytes(client.get("/printing/control/coo-printcontrol.pyz").get_data())
    config = tmp_path / "home" / ".coo-printcontrol.json"
    # This server's test address (the download carries the test client's) and a folder printer.
    config.write_text(json.dumps({"server": server.url, "backend": "directory",
                                  "directory": str(tmp_path / "printed")}), encoding="utf-8")
    code = code_from(operator.post("/printing/control/pairing-code", token_from="/printing/control")
                     .get_data(as_text=True))
    started = ControlProcess(tmp_path, cmd=["/usr/bin/python3", "-I", str(pyz)], cwd=downloads, env=environ,
                             stdin_text=f"{code}\n")
    try:
        started.wait_line("配对成功")
        started.wait_line("已创建桌面快捷方式")
        wait_for("a heartbeat", lambda: PrintControl.select().where(PrintControl.last_heartbeat_at.is_null(False))
                 .exists())
    finally:
        assert started.stop() == 0, started.text()
    copy = tmp_path / "share" / "coo-printcontrol" / "coo-printcontrol.pyz"
    assert copy.read_bytes() == pyz.read_bytes()
    entry = read_entry(tmp_path / "home" / "桌面" / "coo-printcontrol.desktop")
    argv = shlex.split(entry["Exec"])
    assert argv[:2] == ["/usr/bin/python3", str(copy)] and argv[-1] == "run"

    pyz.unlink()                      # the download may be deleted: the shortcut runs the copy
    PrintControl.update(last_heartbeat_at=None).execute()
    again = ControlProcess(tmp_path, cmd=argv, cwd=entry["Path"], env=environ)
    try:
        wait_for("the shortcut's heartbeat",
                 lambda: PrintControl.select().where(PrintControl.last_heartbeat_at.is_null(False)).exists())
    finally:
        assert again.stop() == 0, again.text()
        server.stop()
