"""`coo-printcontrol [pair|run|install|status|printers]` — the exe, the .pyz, or
`python -m coo.printcontrol`. Without a command (a double-click) it pairs when needed, creates
the shortcuts and runs.

`run` never dies of the network: an unreachable server, a DNS or TLS failure, a timeout or a
5xx is one Chinese line in the log, then it waits (doubling, capped at `BACKOFF_CAP_S`, with
jitter so thousands of controls do not come back at the same second) and carries on. Only the
server's word that the token is not valid (revoked on the 打印控件 page) stops it, with the
message to pair again.
"""
from __future__ import annotations

import argparse
import datetime
import json
import logging
import logging.handlers
import os
import pkgutil
import platform
import random
import signal
import socket
import sys
import tempfile
import threading
from pathlib import Path
from typing import Optional

from . import VERSION
from .backends import BACKENDS, PrintError, SetupError, default_backend_name
from .client import Client, NetworkError, ServerError

log = logging.getLogger("coo.printcontrol")

DEFAULT_WAIT_S = 20          # the long-poll wait the control asks for (the server's maximum)
DEFAULT_HEARTBEAT_S = 10
BACKOFF_START_S = 1.0
BACKOFF_CAP_S = 60.0
REVOKED = "打印控件的令牌已失效（已在打印控件页面撤销，或配对已删除）：请在打印控件页面生成配对码后重新配对。"
LAST_JOBS = 10


def default_config_path() -> Path:
    return Path(os.environ.get("COO_PRINTCONTROL_CONFIG") or Path.home() / ".coo-printcontrol.json")


def config_path(args) -> Path:
    return Path(args.config) if getattr(args, "config", None) else default_config_path()


def status_path(config: Path) -> Path:
    return config.with_name(config.stem + ".status.json")


def log_path(config: Path) -> Path:
    return config.with_name(config.stem + ".log")


def packaged_defaults() -> dict:
    """The .pyz served by the page carries the server's address, so `pair CODE` is enough."""
    try:
        data = pkgutil.get_data(__package__, "defaults.json")
    except OSError:
        return {}
    return json.loads(data) if data else {}


def load_json(path: Path) -> dict:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (FileNotFoundError, ValueError):
        return {}


def save_json(path: Path, data: dict, private=True):
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    # Only the user may read the token.
    fd = os.open(str(tmp), os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600 if private else 0o644)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        json.dump(data, fh, ensure_ascii=False, indent=2)
    os.replace(str(tmp), str(path))


def make_backend(args, config):
    """The backend asked for, else the one saved at pairing, else the platform's spooler.
    Raises SetupError (a clear message) when it cannot work on this PC."""
    name = getattr(args, "backend", None) or config.get("backend") or default_backend_name()
    if name == "directory":
        folder = getattr(args, "directory", None) or config.get("directory")
        if not folder:
            raise SetupError("目录打印需要 --directory 文件夹")
        backend = BACKENDS[name](folder)
    else:
        backend = BACKENDS[name](getattr(args, "printer", None) or config.get("printer"))
    backend.check()
    return backend


def now_text() -> str:
    return datetime.datetime.now().strftime("%Y-%m-%d %H:%M:%S")


class Backoff:
    """1, 2, 4 … BACKOFF_CAP_S seconds, each drawn from its upper half (jitter)."""

    def __init__(self, start=BACKOFF_START_S, cap=BACKOFF_CAP_S, rng=None):
        self.start, self.cap = start, cap
        self.delay = start
        self.rng = rng or random.Random()

    def next(self) -> float:
        delay = self.delay
        self.delay = min(self.delay * 2, self.cap)
        return round(self.rng.uniform(delay / 2, delay), 1)

    def reset(self):
        self.delay = self.start


# --- pair ---------------------------------------------------------------------------------------

def pair(path: Path, server: str, code: str, name: str, extra: dict) -> int:
    config = load_json(path)
    try:
        answer = Client(server).pair(code.strip(), name)
    except ServerError as exc:
        print(f"配对失败：{exc.message}", file=sys.stderr)
        return 1
    except NetworkError as exc:
        print(f"配对失败：{exc.message}", file=sys.stderr)
        return 1
    config.update(server=server.rstrip("/"), token=answer["token"], enterprise=answer.get("enterprise", ""),
                  api=answer.get("api") or "", paired_at=now_text())
    config.update({k: v for k, v in extra.items() if v})
    save_json(path, config)
    print(f"配对成功：{answer.get('enterprise', '')}（配置已保存到 {path}）")
    return 0


def cmd_pair(args) -> int:
    path = config_path(args)
    server = args.server or load_json(path).get("server") or packaged_defaults().get("server")
    if not server:
        print("请用 --server 指定系统地址，如 https://coo.example.cn", file=sys.stderr)
        return 2
    name = args.name or f"{socket.gethostname()} ({platform.system()})"
    return pair(path, server, args.code, name,
                {"backend": args.backend, "directory": args.directory, "printer": args.printer})


# --- run ----------------------------------------------------------------------------------------

class Status:
    """What the control is doing, in a small JSON file beside the config (read by `status`)."""

    def __init__(self, path: Path, **facts):
        self.path = path
        self.data = dict(load_json(path), **facts)
        self.data.setdefault("jobs", [])
        self.lock = threading.Lock()

    def update(self, **facts):
        with self.lock:
            self.data.update(facts)
            self._save()

    def job(self, job_id, number, ok, message):
        with self.lock:
            self.data["jobs"] = ([{"at": now_text(), "id": job_id, "number": number, "ok": ok,
                                   "message": message[:300]}] + self.data["jobs"])[:LAST_JOBS]
            self._save()

    def _save(self):
        try:
            save_json(self.path, self.data, private=False)
        except OSError as exc:
            log.warning("无法写入状态文件 %s：%s", self.path, exc)


class Control:
    """The `run` loop: heartbeats in a thread, jobs by long-poll in the main thread."""

    def __init__(self, client: Client, backend, wait_s: float = DEFAULT_WAIT_S,
                 heartbeat_s: float = DEFAULT_HEARTBEAT_S, status: Optional[Status] = None,
                 on_api_change=None):
        self.client = client
        self.backend = backend
        self.wait_s = wait_s
        self.heartbeat_s = heartbeat_s
        self.stop = threading.Event()
        self.revoked = False
        self.status = status
        self.on_api_change = on_api_change
        self._link_ok = None          # None: not known yet; False: the last call failed

    # one line per outage from the heartbeat thread; the poll loop says each retry
    def _link(self, ok: bool, message: str = ""):
        if self.status:
            self.status.update(connected=ok, last_error="" if ok else message,
                               **({"last_contact": now_text()} if ok else {}))
        if ok and self._link_ok is False:
            log.info("已恢复与系统的连接")
        self._link_ok = ok

    def heartbeat(self):
        try:
            printers = self.backend.printers()
        except PrintError as exc:
            log.warning("无法列出打印机：%s", exc)
            printers = []
        answer = self.client.heartbeat(printers) or {}
        self._link(True)
        if answer.get("outdated"):
            log.warning("打印控件版本过低（%s），最低版本 %s：请在打印控件页面下载最新版本",
                        VERSION, answer.get("min_version"))
        api = (answer.get("api") or self.client.server).rstrip("/")
        if "api" in answer and api != self.client.api:
            log.info("系统指定的打印控件接口地址：%s", api)
            self.client.api = api
            if self.on_api_change:
                self.on_api_change(answer.get("api") or "")
        return answer

    def _revoked(self):
        # The state file first: once `stop` is set the main thread ends the process, and this
        # may be the heartbeat thread (a daemon), which would die between writing the file and
        # putting it in place (`status` then said 运行中/未运行 instead of 已撤销).
        self.revoked = True
        if self.status:
            self.status.update(state="已撤销", connected=False, last_error=REVOKED)
        self.stop.set()

    def _heartbeats(self):
        while not self.stop.wait(self.heartbeat_s):
            try:
                self.heartbeat()
            except ServerError as exc:
                if exc.revoked:
                    self._revoked()
                    return
                if self._link_ok is not False:
                    log.warning("心跳失败：%s", exc.message)
                self._link(False, exc.message)
            except NetworkError as exc:
                if self._link_ok is not False:
                    log.warning("心跳失败：%s", exc.message)
                self._link(False, exc.message)

    def print_job(self, job: dict):
        """Fetch each document into a private temporary folder, print it, delete it at once:
        no original stays on this PC."""
        ok, messages = True, []
        with tempfile.TemporaryDirectory(prefix="coo-print-") as tmp:
            for document in job["documents"]:
                path = Path(tmp) / f"{document['part']}.pdf"
                try:
                    path.write_bytes(self.client.fetch(document["url"]))
                    messages.append(self.backend.print_pdf(path, f"{job['number']}-{document['part']}"))
                except (PrintError, ServerError, NetworkError, OSError) as exc:
                    ok = False
                    messages.append(getattr(exc, "message", None) or str(exc))
                    break
                finally:
                    if path.exists():
                        path.unlink()
        message = "；".join(messages)
        log.info("任务 %s（%s）%s：%s", job["id"], job["number"], "成功" if ok else "失败", message)
        if self.status:
            self.status.job(job["id"], job["number"], ok, message)
        self.report(job["id"], ok, message)

    def report(self, job_id, ok, message):
        """The result must reach the system (成功 moves the certificate on): retried, backing
        off, until it does, the token is refused, or we are stopped."""
        backoff = Backoff()
        while not self.stop.is_set():
            try:
                return self.client.report(job_id, ok, message, self.backend.printer)
            except ServerError as exc:
                if exc.revoked:
                    log.error("系统不再接受任务 %s 的结果：%s", job_id, exc.message)
                    return None
                problem = exc.message
            except NetworkError as exc:
                problem = exc.message
            delay = backoff.next()
            log.warning("报告任务 %s 的结果失败：%s，%s 秒后重试", job_id, problem, delay)
            self.stop.wait(delay)
        return None

    def _first_contact(self, backoff: Backoff) -> bool:
        while not self.stop.is_set():
            try:
                self.heartbeat()
                return True
            except ServerError as exc:
                if exc.revoked:
                    self._revoked()
                    return False
                problem = exc.message
            except NetworkError as exc:
                problem = exc.message
            delay = backoff.next()
            self._link(False, problem)
            log.warning("无法连接系统：%s，%s 秒后重试", problem, delay)
            self.stop.wait(delay)
        return False

    def run(self) -> int:
        if self.status:
            self.status.update(state="运行中", pid=os.getpid(), started_at=now_text(), version=VERSION,
                               printer=self.backend.printer, backend=self.backend.name)
        log.info("打印控件 %s 已启动，打印机：%s", VERSION, self.backend.printer)
        backoff = Backoff()
        try:
            if self._first_contact(backoff):
                backoff.reset()
                threading.Thread(target=self._heartbeats, daemon=True).start()
            while not self.stop.is_set():
                try:
                    job = self.client.next_job(self.wait_s)
                except ServerError as exc:
                    if exc.revoked:
                        self._revoked()
                        break
                    problem = exc.message
                except NetworkError as exc:
                    problem = exc.message
                else:
                    backoff.reset()
                    if job:
                        self.print_job(job)
                    continue
                delay = backoff.next()
                log.warning("取打印任务失败：%s，%s 秒后重试", problem, delay)
                self._link(False, problem)
                self.stop.wait(delay)
        finally:
            self.stop.set()
            if self.status and not self.revoked:
                self.status.update(state="已停止", connected=False)
        if self.revoked:
            log.error(REVOKED)
            print(REVOKED, file=sys.stderr)
            return 2
        return 0


class SingleInstance:
    """One running control per config: a double-click on the shortcut while the autostarted
    one runs says so instead of starting a second."""

    def __init__(self, path: Path):
        self.path = path
        self.handle = None

    def acquire(self) -> bool:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.handle = open(str(self.path), "a+")
        try:
            if os.name == "nt":
                import msvcrt
                msvcrt.locking(self.handle.fileno(), msvcrt.LK_NBLCK, 1)
            else:
                import fcntl
                fcntl.flock(self.handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            self.handle.close()
            self.handle = None
            return False
        return True


def setup_logging(config: Path):
    # pythonw.exe (the Windows autostart of the .pyz) has no console: sys.stderr is None.
    handlers = [logging.StreamHandler(sys.stderr)] if sys.stderr is not None else []
    try:
        config.parent.mkdir(parents=True, exist_ok=True)
        handlers.append(logging.handlers.RotatingFileHandler(str(log_path(config)), maxBytes=1_000_000,
                                                             backupCount=3, encoding="utf-8"))
    except OSError:
        pass
    for handler in handlers:
        handler.setFormatter(logging.Formatter("%(asctime)s %(message)s"))
    log.handlers[:] = handlers
    log.setLevel(logging.INFO)
    log.propagate = False


def cmd_run(args) -> int:
    path = config_path(args)
    config = load_json(path)
    if not config.get("token"):
        print("打印控件尚未配对：请在打印控件页面生成配对码，然后运行 pair 配对码", file=sys.stderr)
        return 2
    try:
        backend = make_backend(args, config)
    except SetupError as exc:
        print(str(exc), file=sys.stderr)
        return 2
    lock = SingleInstance(path.with_name(path.stem + ".lock"))
    if not lock.acquire():
        print(f"打印控件已在运行（{status_path(path)}）：无需再次启动。", file=sys.stderr)
        return 0
    setup_logging(path)

    def remember_api(api):
        saved = load_json(path)
        saved["api"] = api
        save_json(path, saved)

    status = Status(status_path(path), server=config["server"], enterprise=config.get("enterprise", ""),
                    config=str(path), last_error="")
    control = Control(Client(config["server"], config["token"], api=config.get("api", "")), backend,
                      wait_s=args.wait, heartbeat_s=args.heartbeat, status=status, on_api_change=remember_api)
    return control.run()


# --- status, printers, install ------------------------------------------------------------------

def _alive(status: dict, config: Path) -> bool:
    """Whether the control of this config runs now: its lock is taken."""
    if status.get("state") != "运行中":
        return False
    probe = SingleInstance(config.with_name(config.stem + ".lock"))
    if probe.acquire():
        probe.handle.close()
        return False
    return True


def cmd_status(args) -> int:
    path = config_path(args)
    config = load_json(path)
    status = load_json(status_path(path))
    print(f"打印控件 {VERSION}（配置文件 {path}）")
    if not config.get("token"):
        print("配对：尚未配对。请在系统的“打印控件”页面生成配对码，然后运行 pair 配对码。")
        return 1
    print(f"配对：{config.get('enterprise') or '（企业名称未知）'}，系统 {config.get('server')}"
          f"{'，配对于 ' + config['paired_at'] if config.get('paired_at') else ''}")
    try:
        backend = make_backend(args, config)
        print(f"打印机：{backend.printer or '（未设置默认打印机）'}（{backend.name}）")
    except SetupError as exc:
        print(f"打印机：不可用。{exc}")
    if status.get("state") == "已撤销":
        print(f"状态：已停止。{REVOKED}")
    elif _alive(status, path):
        link = ("已连接系统" if status.get("connected")
                else f"暂时无法连接系统（{status.get('last_error') or '正在重试'}），正在自动重试")
        print(f"状态：运行中（进程 {status.get('pid')}，{status.get('started_at')} 启动），{link}"
              f"{'；最近联系 ' + status['last_contact'] if status.get('last_contact') else ''}")
    else:
        print("状态：未运行。请在桌面双击“打印控件”快捷方式启动，或运行 run。")
    jobs = status.get("jobs") or []
    if jobs:
        print("最近的打印任务：")
        for job in jobs:
            print(f"  {job['at']}  任务 {job['id']}  {job['number']}  {'成功' if job['ok'] else '失败'}：{job['message']}")
    else:
        print("最近的打印任务：无")
    return 0


def cmd_printers(args) -> int:
    try:
        backend = make_backend(args, load_json(config_path(args)))
        names = backend.printers()
    except (SetupError, PrintError) as exc:
        print(str(exc), file=sys.stderr)
        return 2
    for name in names:
        print(name)
    return 0


def cmd_install(args) -> int:
    from .install import install
    path = config_path(args)
    try:
        created = install(path)
    except OSError as exc:
        print(f"创建快捷方式失败：{exc}", file=sys.stderr)
        return 1
    for what, where in created:
        print(f"已创建{what}：{where}")
    return 0


def cmd_uninstall(args) -> int:
    from .install import uninstall
    for where in uninstall():
        print(f"已删除：{where}")
    return 0


def cmd_start(args) -> int:
    """A double-click without a command: pair when not paired yet, create the shortcuts, run."""
    path = config_path(args)
    config = load_json(path)
    if not config.get("token"):
        print(f"打印控件 {VERSION}：尚未与企业配对。")
        print("请在系统的“证书打印 → 打印控件”页面点击“生成配对码”。")
        server = config.get("server") or packaged_defaults().get("server")
        try:
            if not server:
                server = input("系统地址（如 https://coo.example.cn）：").strip()
            code = input("配对码：").strip()
        except EOFError:
            print("请在命令行运行：pair 配对码", file=sys.stderr)
            return 2
        name = f"{socket.gethostname()} ({platform.system()})"
        if not server or not code or pair(path, server, code, name, {}) != 0:
            input_pause()
            return 1
    # Every double-click (re)creates the shortcuts: a newer download replaces the installed copy.
    cmd_install(args)
    args.wait, args.heartbeat = DEFAULT_WAIT_S, DEFAULT_HEARTBEAT_S
    code = cmd_run(args)
    if code:
        input_pause()
    return code


def input_pause():
    """Keep a double-clicked console window open long enough to read the message."""
    if os.name == "nt" and sys.stdin and sys.stdin.isatty():
        try:
            input("按回车键关闭")
        except EOFError:
            pass


def _terminate(signum, frame):
    # Turn SIGTERM into SystemExit so the temporary folder is removed on the way out.
    raise SystemExit(0)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="coo-printcontrol", description="打印控件（原产地证书自助打印）")
    parser.add_argument("--version", action="version", version=f"coo-printcontrol {VERSION}")
    parser.add_argument("--config", help="配置文件（默认 ~/.coo-printcontrol.json）")
    sub = parser.add_subparsers(dest="command")

    def backend_options(p):
        p.add_argument("--backend", choices=sorted(BACKENDS),
                       help="windows（Windows 默认）、cups（Linux、macOS 默认）或 directory（写入文件夹）")
        p.add_argument("--printer", help="打印机名称（默认：系统默认打印机）")
        p.add_argument("--directory", help="directory 后端写入 PDF 的文件夹")

    p = sub.add_parser("pair", help="用打印控件页面上的配对码与企业配对")
    p.add_argument("code")
    p.add_argument("--server", help="系统地址，如 https://coo.example.cn")
    p.add_argument("--name", help="本机名称（显示在打印控件页面）")
    backend_options(p)
    p.set_defaults(func=cmd_pair)

    p = sub.add_parser("run", help="启动打印控件")
    backend_options(p)
    p.add_argument("--wait", type=float, default=DEFAULT_WAIT_S, help="长轮询等待秒数")
    p.add_argument("--heartbeat", type=float, default=DEFAULT_HEARTBEAT_S, help="心跳间隔秒数")
    p.set_defaults(func=cmd_run)

    p = sub.add_parser("status", help="显示打印控件的状态（配对、打印机、最近的任务）")
    backend_options(p)
    p.set_defaults(func=cmd_status)

    p = sub.add_parser("install", help="创建桌面快捷方式和开机自动启动")
    p.set_defaults(func=cmd_install)

    p = sub.add_parser("uninstall", help="删除桌面快捷方式和开机自动启动")
    p.set_defaults(func=cmd_uninstall)

    p = sub.add_parser("printers", help="列出打印机")
    backend_options(p)
    p.set_defaults(func=cmd_printers)

    args = parser.parse_args(argv)
    for stream in (sys.stdout, sys.stderr):
        try:          # each line at once, into a log file or a pipe too (the exe ignores PYTHON* env)
            stream.reconfigure(line_buffering=True)
        except (AttributeError, ValueError):
            pass
    if not args.command:
        args.func = cmd_start
    if not log.handlers:
        logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s", stream=sys.stderr)
    if hasattr(signal, "SIGTERM"):
        signal.signal(signal.SIGTERM, _terminate)
    return args.func(args)
