"""`python -m coo.printcontrol pair|run|printers` (or `python3 coo-printcontrol.pyz ...`)."""
import argparse
import json
import logging
import os
import pkgutil
import platform
import signal
import socket
import sys
import tempfile
import threading
import time
import urllib.error
from pathlib import Path

from . import VERSION
from .backends import BACKENDS, PrintError
from .client import Client, ServerError

log = logging.getLogger("coo.printcontrol")


def default_config_path() -> Path:
    return Path(os.environ.get("COO_PRINTCONTROL_CONFIG") or Path.home() / ".coo-printcontrol.json")


def packaged_defaults() -> dict:
    """The zipapp served by the page carries the server's address, so `pair CODE` is enough."""
    try:
        data = pkgutil.get_data(__package__, "defaults.json")
    except OSError:
        return {}
    return json.loads(data) if data else {}


def load_config(path: Path) -> dict:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}


def save_config(path: Path, config: dict):
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    # Only the user may read the token.
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        json.dump(config, fh, ensure_ascii=False, indent=2)
    os.replace(tmp, path)


def make_backend(args, config):
    name = args.backend or config.get("backend") or "cups"
    if name == "directory":
        folder = args.directory or config.get("directory")
        if not folder:
            raise SystemExit("目录打印需要 --directory")
        return BACKENDS[name](folder)
    return BACKENDS[name](args.printer or config.get("printer"))


def cmd_pair(args) -> int:
    path = Path(args.config) if args.config else default_config_path()
    config = load_config(path)
    server = args.server or config.get("server") or packaged_defaults().get("server")
    if not server:
        print("请用 --server 指定系统地址", file=sys.stderr)
        return 2
    name = args.name or f"{socket.gethostname()} ({platform.system()})"
    try:
        answer = Client(server).pair(args.code.strip(), name)
    except ServerError as exc:
        print(f"配对失败：{exc.message}", file=sys.stderr)
        return 1
    except (urllib.error.URLError, OSError) as exc:
        print(f"无法连接 {server}：{exc}", file=sys.stderr)
        return 1
    config.update(server=server, token=answer["token"], enterprise=answer.get("enterprise", ""))
    for key in ("backend", "directory", "printer"):
        if getattr(args, key, None):
            config[key] = getattr(args, key)
    save_config(path, config)
    print(f"配对成功：{answer.get('enterprise', '')}（配置已保存到 {path}）")
    return 0


class Control:
    """The `run` loop: heartbeats in a thread, jobs by long-poll in the main thread."""

    def __init__(self, client: Client, backend, wait_s: float, heartbeat_s: float):
        self.client = client
        self.backend = backend
        self.wait_s = wait_s
        self.heartbeat_s = heartbeat_s
        self.stop = threading.Event()

    def heartbeat(self):
        try:
            printers = self.backend.printers()
        except PrintError as exc:
            log.warning("无法列出打印机：%s", exc)
            printers = []
        answer = self.client.heartbeat(printers)
        if answer and answer.get("outdated"):
            log.warning("打印控件版本过低（%s），最低版本 %s：请下载最新版本", VERSION, answer.get("min_version"))
        return answer

    def _heartbeats(self):
        while not self.stop.wait(self.heartbeat_s):
            try:
                self.heartbeat()
            except (ServerError, urllib.error.URLError, OSError) as exc:
                log.warning("心跳失败：%s", exc)

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
                except (PrintError, ServerError, urllib.error.URLError, OSError) as exc:
                    ok = False
                    messages.append(getattr(exc, "message", None) or str(exc))
                    break
                finally:
                    path.unlink(missing_ok=True)
        log.info("任务 %s（%s）%s：%s", job["id"], job["number"], "成功" if ok else "失败", "；".join(messages))
        self.report(job["id"], ok, "；".join(messages))

    def report(self, job_id, ok, message):
        delay = 1
        for _ in range(10):
            try:
                return self.client.report(job_id, ok, message, self.backend.printer)
            except (urllib.error.URLError, OSError) as exc:
                log.warning("报告结果失败，%s 秒后重试：%s", delay, exc)
                time.sleep(delay)
                delay = min(delay * 2, 30)
        log.error("无法报告任务 %s 的结果", job_id)

    def run(self) -> int:
        try:
            self.heartbeat()
        except ServerError as exc:
            print(f"打印控件未能连接系统：{exc.message}（如已撤销，请重新配对）", file=sys.stderr)
            return 2
        threading.Thread(target=self._heartbeats, daemon=True).start()
        log.info("打印控件 %s 已启动，打印机：%s", VERSION, self.backend.printer)
        try:
            while not self.stop.is_set():
                try:
                    job = self.client.next_job(self.wait_s)
                except ServerError as exc:
                    if exc.status in (401, 404):
                        print("令牌已失效（已撤销），请在打印控件页面重新配对", file=sys.stderr)
                        return 2
                    log.warning("取打印任务失败：%s", exc)
                    time.sleep(5)
                    continue
                except (urllib.error.URLError, OSError) as exc:
                    log.warning("无法连接系统：%s", exc)
                    time.sleep(5)
                    continue
                if job:
                    self.print_job(job)
        finally:
            self.stop.set()
        return 0


def cmd_run(args) -> int:
    path = Path(args.config) if args.config else default_config_path()
    config = load_config(path)
    if not config.get("token"):
        print("打印控件尚未配对：请先运行 pair <配对码>", file=sys.stderr)
        return 2
    backend = make_backend(args, config)
    control = Control(Client(config["server"], config["token"]), backend,
                      wait_s=args.wait, heartbeat_s=args.heartbeat)
    return control.run()


def cmd_printers(args) -> int:
    path = Path(args.config) if args.config else default_config_path()
    backend = make_backend(args, load_config(path))
    for name in backend.printers():
        print(name)
    return 0


def _terminate(signum, frame):
    # Turn SIGTERM into SystemExit so the temporary folder is removed on the way out.
    raise SystemExit(0)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="coo-printcontrol", description="打印控件")
    parser.add_argument("--version", action="version", version=f"coo-printcontrol {VERSION}")
    parser.add_argument("--config", help="配置文件（默认 ~/.coo-printcontrol.json）")
    sub = parser.add_subparsers(dest="command", required=True)

    def backend_options(p):
        p.add_argument("--backend", choices=sorted(BACKENDS), help="cups（默认）或 directory")
        p.add_argument("--printer", help="CUPS 打印机名称（默认：系统默认打印机）")
        p.add_argument("--directory", help="directory 后端写入 PDF 的目录")

    p = sub.add_parser("pair", help="用打印控件页面上的配对码与企业配对")
    p.add_argument("code")
    p.add_argument("--server", help="系统地址，如 https://coo.example.cn")
    p.add_argument("--name", help="本机名称（显示在打印控件页面）")
    backend_options(p)
    p.set_defaults(func=cmd_pair)

    p = sub.add_parser("run", help="启动打印控件")
    backend_options(p)
    p.add_argument("--wait", type=float, default=20, help="长轮询等待秒数")
    p.add_argument("--heartbeat", type=float, default=10, help="心跳间隔秒数")
    p.set_defaults(func=cmd_run)

    p = sub.add_parser("printers", help="列出打印机")
    backend_options(p)
    p.set_defaults(func=cmd_printers)

    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s", stream=sys.stderr)
    signal.signal(signal.SIGTERM, _terminate)
    return args.func(args)
