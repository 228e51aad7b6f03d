"""Printer backends: one small interface, three implementations.

A backend lists its printers and prints one PDF file, returning the printer's own message, or
raising `PrintError` with it:
- `cups` (Linux, macOS): `lp` with duplex and colour options, then waits in `lpstat`;
- `windows`: the Windows spooler (see `coo.printcontrol.windows`: pages rendered at the
  printer's resolution with pypdfium2 and drawn through the GDI with pywin32, or an installed
  SumatraPDF), chosen automatically on Windows;
- `directory`: writes the PDF into a folder (the demo's and the tests' printer).

Runs on Python 3.8+ (Windows 7's last Python), standard library only outside `windows`.
"""
from __future__ import annotations

import os
import platform
import re
import shutil
import subprocess
import time
from pathlib import Path
from typing import List


class PrintError(Exception):
    """The printer refused or failed; the message is reported to the user as 失败."""


class SetupError(Exception):
    """The backend cannot work on this PC (no CUPS, missing Windows parts): said once at start."""


NO_CUPS = ("未找到 CUPS 打印系统（没有 lp/lpstat 命令），无法使用打印机。请安装 CUPS 并设置默认打印机；"
           "或改用目录打印：--backend directory --directory 文件夹（PDF 写入该文件夹，不经打印机）。")


class Backend:
    name = "backend"

    def printers(self) -> List[str]:
        """Names of the printers this backend can print to (sent with every heartbeat)."""
        raise PrintError("no printers")

    def print_pdf(self, path: Path, title: str) -> str:
        """Print the PDF at `path` (duplex, colour) and wait until it has left the queue.
        Returns the printer's message; raises PrintError on failure."""
        raise PrintError("not a printer")

    def check(self):
        """Raise SetupError when this backend cannot work on this PC."""

    @property
    def printer(self) -> str:
        return ""


class DirectoryBackend(Backend):
    """Writes each PDF to a folder under its title: the demo's and the tests' printer."""
    name = "directory"

    def __init__(self, folder):
        self.folder = Path(folder)

    @property
    def printer(self):
        return f"目录 {self.folder}"

    def printers(self):
        return [self.printer]

    def print_pdf(self, path, title):
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            safe = re.sub(r"[^A-Za-z0-9._-]", "_", title) or "document"
            target = self.folder / f"{safe}.pdf"
            shutil.copyfile(str(path), str(target))
        except OSError as exc:
            raise PrintError(f"写入目录失败：{exc}") from exc
        return f"已写入 {target}"


class CupsBackend(Backend):
    """CUPS (Linux, macOS) through `lp`: duplex on the long edge, colour; `lpstat` waits for the
    job to complete so 成功 means the printer took the whole document."""
    name = "cups"
    OPTIONS = ("-o", "sides=two-sided-long-edge", "-o", "ColorModel=RGB")

    def __init__(self, printer=None, timeout_s=300, poll_s=0.5):
        self._printer = printer
        self.timeout_s = timeout_s
        self.poll_s = poll_s

    def check(self):
        if not (shutil.which("lp") and shutil.which("lpstat")):
            raise SetupError(NO_CUPS)

    @property
    def printer(self):
        try:
            return self._printer or self._default() or ""
        except PrintError:
            return self._printer or ""

    @staticmethod
    def _run(*cmd, timeout=30):
        try:
            # The C locale: lpstat's words are parsed below.
            env = dict(os.environ, LC_ALL="C", LANG="C")
            result = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                    universal_newlines=True, timeout=timeout, env=env)
        except FileNotFoundError as exc:
            raise PrintError(NO_CUPS) from exc
        except (OSError, subprocess.TimeoutExpired) as exc:
            raise PrintError(f"{cmd[0]}: {exc}") from exc
        return result

    def _default(self):
        out = self._run("lpstat", "-d").stdout
        match = re.search(r":\s*(\S+)\s*$", out.strip())
        return match.group(1) if match and "no system default" not in out else None

    def printers(self):
        result = self._run("lpstat", "-e")
        return [line.strip() for line in result.stdout.splitlines() if line.strip()]

    def print_pdf(self, path, title):
        printer = self.printer
        if not printer:
            raise PrintError("没有可用的打印机（CUPS 未设置默认打印机）")
        result = self._run("lp", "-d", printer, *self.OPTIONS, "-t", title, str(path))
        if result.returncode != 0:
            raise PrintError((result.stderr or result.stdout).strip() or f"lp 退出码 {result.returncode}")
        match = re.search(r"request id is (\S+)", result.stdout)
        if not match:
            raise PrintError(result.stdout.strip() or "lp 未返回打印任务号")
        job = match.group(1)
        deadline = time.monotonic() + self.timeout_s
        while time.monotonic() < deadline:
            pending = self._run("lpstat", "-W", "not-completed", "-o", printer).stdout.split()
            if job not in pending:
                # Left the queue: completed (CUPS lists cancelled jobs there too, but a cancel
                # on this PC is the user's own doing; a failing printer stops instead, below).
                return f"{printer}: {job} 打印完成"
            state = self._run("lpstat", "-p", printer).stdout.strip()
            if "disabled" in state:
                raise PrintError(state)
            time.sleep(self.poll_s)
        raise PrintError(f"{printer}: {job} 在 {self.timeout_s} 秒内未完成")


def _windows_backend(printer=None):
    from .windows import WindowsBackend
    return WindowsBackend(printer)


BACKENDS = {"directory": DirectoryBackend, "cups": CupsBackend, "windows": _windows_backend}


def default_backend_name(system: str = "") -> str:
    """The spooler of the platform: Windows's own on Windows, CUPS elsewhere (Linux, macOS)."""
    return "windows" if (system or platform.system()) == "Windows" else "cups"
