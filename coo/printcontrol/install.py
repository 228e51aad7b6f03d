"""`install`: the desktop shortcut (打印控件) and the start-at-login entry, for the platform
it runs on, so the manual's "在桌面双击打印控件快捷方式" is true.

- Windows: `打印控件.lnk` on the desktop and in the Startup folder
  (`%APPDATA%\\Microsoft\\Windows\\Start Menu\\Programs\\Startup`), made by WScript.Shell;
- Linux (XDG): `coo-printcontrol.desktop` in `$XDG_CONFIG_HOME/autostart`, in
  `$XDG_DATA_HOME/applications` and on the desktop (`XDG_DESKTOP_DIR` of user-dirs.dirs, e.g.
  `~/桌面`, else `~/Desktop`);
- macOS: a LaunchAgent (`~/Library/LaunchAgents/cn.coo.printcontrol.plist`) and
  `打印控件.command` on the desktop.

Each runs this very program (the exe, the .pyz, or the module) with `run`.
"""
from __future__ import annotations

import os
import platform
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path
from typing import List, Optional, Tuple

NAME = "打印控件"
DESKTOP_FILE = "coo-printcontrol.desktop"
LAUNCH_AGENT = "cn.coo.printcontrol"


def app_dir() -> Path:
    """Where `install` keeps its own copy of the executable or .pyz (so a shortcut does not point
    into the Downloads folder)."""
    system = platform.system()
    if system == "Windows":
        base = Path(os.environ.get("LOCALAPPDATA") or _home() / "AppData" / "Local") / "Programs"
    elif system == "Darwin":
        base = _home() / "Library" / "Application Support"
    else:
        base = xdg_data_home()
    return base / "coo-printcontrol"


def _program() -> Optional[Path]:
    """The one file this control runs from (the exe or the .pyz), or None for the source tree."""
    if getattr(sys, "frozen", False):                 # PyInstaller one-file executable
        return Path(sys.executable)
    package = Path(__file__).resolve().parent
    return next((p for p in package.parents if p.suffix == ".pyz"), None)


def installed_program() -> Optional[Path]:
    """Copy the exe or .pyz into app_dir() (replacing an older copy) and return the copy; when
    the copy cannot be replaced (the old control still runs it), the file we run from."""
    program = _program()
    if program is None:
        return None
    target = app_dir() / program.name
    if target.resolve() == program.resolve():
        return target
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = target.with_name(target.name + ".new")
        shutil.copyfile(str(program), str(tmp))
        tmp.chmod(0o755)
        os.replace(str(tmp), str(target))
    except OSError:
        return program
    return target


def launch_command(config: Path) -> Tuple[List[str], str]:
    """(argv, working directory) that starts this control with `run`."""
    extra = ["--config", str(config)]
    program = installed_program()
    if program is not None and getattr(sys, "frozen", False):
        return [str(program), *extra, "run"], str(program.parent)
    python = _gui_python() if os.name == "nt" else sys.executable
    if program is not None:                           # the .pyz served by the page
        return [python, str(program), *extra, "run"], str(program.parent)
    root = Path(__file__).resolve().parent.parent.parent   # the source tree: python -m coo.printcontrol
    return [python, "-m", "coo.printcontrol", *extra, "run"], str(root)


def _gui_python() -> str:
    """pythonw.exe: no console window for the autostarted control."""
    candidate = Path(sys.executable).with_name("pythonw.exe")
    return str(candidate) if candidate.exists() else sys.executable


# --- Linux (XDG) ------------------------------------------------------------------------------

def _home() -> Path:
    return Path(os.environ.get("HOME") or Path.home())


def xdg_config_home() -> Path:
    return Path(os.environ.get("XDG_CONFIG_HOME") or _home() / ".config")


def xdg_data_home() -> Path:
    return Path(os.environ.get("XDG_DATA_HOME") or _home() / ".local" / "share")


def desktop_dir() -> Path:
    """XDG_DESKTOP_DIR from the environment or user-dirs.dirs (a Chinese desktop is ~/桌面)."""
    value = os.environ.get("XDG_DESKTOP_DIR")
    if not value:
        dirs = xdg_config_home() / "user-dirs.dirs"
        if dirs.exists():
            match = re.search(r'^XDG_DESKTOP_DIR="?([^"\n]+)"?', dirs.read_text(encoding="utf-8"), re.M)
            value = match.group(1) if match else None
    if value:
        return Path(value.replace("$HOME", str(_home())))
    return _home() / "Desktop"


def _desktop_quote(arg: str) -> str:
    """Quoting of the Desktop Entry Specification's Exec key."""
    if re.search(r'[\s"\'\\><~|&;$*?#()`]', arg):
        return '"' + re.sub(r'(["`$\\])', r"\\\1", arg) + '"'
    return arg.replace("%", "%%")


def desktop_entry(argv: List[str], workdir: str) -> str:
    return "\n".join([
        "[Desktop Entry]",
        "Type=Application",
        f"Name={NAME}",
        "Name[zh_CN]=打印控件",
        "Comment=原产地证书自助打印的打印控件",
        "Exec=" + " ".join(_desktop_quote(a) for a in argv),
        f"Path={workdir}",
        "Terminal=false",
        "Categories=Office;",
        "X-GNOME-Autostart-enabled=true",
        "",
    ])


def _install_xdg(config: Path):
    argv, workdir = launch_command(config)
    text = desktop_entry(argv, workdir)
    created = []
    for what, folder in (("开机自动启动", xdg_config_home() / "autostart"),
                         ("应用程序菜单项", xdg_data_home() / "applications"),
                         ("桌面快捷方式", desktop_dir())):
        folder.mkdir(parents=True, exist_ok=True)
        target = folder / DESKTOP_FILE
        target.write_text(text, encoding="utf-8")
        target.chmod(0o755)                  # desktops run only executable launchers
        created.append((what, target))
    desktop = created[-1][1]
    try:                                     # GNOME: mark the launcher trusted (best effort)
        subprocess.run(["gio", "set", str(desktop), "metadata::trusted", "true"],
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=10)
    except (OSError, subprocess.TimeoutExpired):
        pass
    return created


def _xdg_paths():
    return [xdg_config_home() / "autostart" / DESKTOP_FILE, xdg_data_home() / "applications" / DESKTOP_FILE,
            desktop_dir() / DESKTOP_FILE]


# --- Windows ----------------------------------------------------------------------------------

def windows_folders() -> Tuple[Path, Path]:
    appdata = Path(os.environ.get("APPDATA") or _home() / "AppData" / "Roaming")
    startup = appdata / "Microsoft" / "Windows" / "Start Menu" / "Programs" / "Startup"
    desktop = Path(os.environ.get("USERPROFILE") or _home()) / "Desktop"
    try:
        out = subprocess.run(["powershell", "-NoProfile", "-Command", "[Environment]::GetFolderPath('Desktop')"],
                             stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, universal_newlines=True,
                             timeout=30).stdout.strip()
        if out:
            desktop = Path(out)
    except (OSError, subprocess.TimeoutExpired):
        pass
    return desktop, startup


def shortcut_script(link: Path, argv: List[str], workdir: str, minimized: bool) -> str:
    """PowerShell that makes a .lnk through WScript.Shell (present on every Windows)."""
    def ps(text):
        return "'" + str(text).replace("'", "''") + "'"
    arguments = subprocess.list2cmdline(argv[1:])
    return "; ".join([
        "$s = (New-Object -ComObject WScript.Shell).CreateShortcut(" + ps(link) + ")",
        "$s.TargetPath = " + ps(argv[0]),
        "$s.Arguments = " + ps(arguments),
        "$s.WorkingDirectory = " + ps(workdir),
        "$s.Description = " + ps("原产地证书自助打印的打印控件"),
        f"$s.WindowStyle = {7 if minimized else 1}",
        "$s.Save()",
    ])


def _install_windows(config: Path):
    argv, workdir = launch_command(config)
    desktop, startup = windows_folders()
    created = []
    for what, folder, minimized in (("桌面快捷方式", desktop, False), ("开机自动启动", startup, True)):
        folder.mkdir(parents=True, exist_ok=True)
        link = folder / f"{NAME}.lnk"
        result = subprocess.run(["powershell", "-NoProfile", "-ExecutionPolicy", "Bypass", "-Command",
                                 shortcut_script(link, argv, workdir, minimized)],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, universal_newlines=True, timeout=60)
        if result.returncode != 0 or not link.exists():
            raise OSError(result.stderr.strip() or f"无法创建 {link}")
        created.append((what, link))
    return created


def _windows_paths():
    desktop, startup = windows_folders()
    return [desktop / f"{NAME}.lnk", startup / f"{NAME}.lnk"]


# --- macOS ------------------------------------------------------------------------------------

def _mac_paths():
    return [_home() / "Library" / "LaunchAgents" / f"{LAUNCH_AGENT}.plist", _home() / "Desktop" / f"{NAME}.command"]


def _install_mac(config: Path):
    from xml.sax.saxutils import escape
    argv, workdir = launch_command(config)
    agent, command = _mac_paths()
    agent.parent.mkdir(parents=True, exist_ok=True)
    args = "".join(f"<string>{escape(a)}</string>" for a in argv)
    agent.write_text(
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<!DOCTYPE plist PUBLIC "-//Apple//DTD PLIST 1.0//EN" "http://www.apple.com/DTDs/PropertyList-1.0.dtd">\n'
        f'<plist version="1.0"><dict><key>Label</key><string>{LAUNCH_AGENT}</string>'
        f'<key>ProgramArguments</key><array>{args}</array>'
        f'<key>WorkingDirectory</key><string>{escape(workdir)}</string>'
        '<key>RunAtLoad</key><true/></dict></plist>\n', encoding="utf-8")
    command.parent.mkdir(parents=True, exist_ok=True)
    command.write_text("#!/bin/sh\ncd " + shlex.quote(workdir) + " && exec "
                       + " ".join(shlex.quote(a) for a in argv) + "\n", encoding="utf-8")
    command.chmod(0o755)
    return [("开机自动启动", agent), ("桌面快捷方式", command)]


# --- dispatch ---------------------------------------------------------------------------------

def install(config: Path, system: str = ""):
    system = system or platform.system()
    if system == "Windows":
        return _install_windows(config)
    if system == "Darwin":
        return _install_mac(config)
    return _install_xdg(config)


def _paths(system: str = ""):
    system = system or platform.system()
    return _windows_paths() if system == "Windows" else _mac_paths() if system == "Darwin" else _xdg_paths()


def installed() -> bool:
    return all(path.exists() for path in _paths())


def uninstall():
    removed = []
    for path in _paths():
        if path.exists():
            path.unlink()
            removed.append(path)
    return removed
