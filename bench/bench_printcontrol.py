"""The print controls at national scale, with the Procfile's own processes on loopback.

- `printcontrol_idle_connections`: idle long-polls held at once by the Procfile's `printcontrol`
  process (gunicorn, one gevent worker), each answered 204 after the whole wait, with none
  failing. A bounded asyncio client (its own process) opens BENCH_PC_CONNECTIONS polls over
  BENCH_PC_RAMP_S seconds and re-polls on every 204, as a real control does, until the end; the
  value is the largest number of successful polls that overlapped in time. Goal >= 5,000.
- `list_p95_with_idle_polls_vs_idle`: p95 of the 证书打印 list fragment (web: gunicorn, 2
  workers, the demo's data) while those polls are held, divided by its p95 without them.
  Goal <= 1.5.
- `archive_wait_p95_s_with_layout_backlog`: 是 → 已归档 minus the simulator's archive delay
  (SIMULATOR_ARCHIVE_DELAY_S), p95 over BENCH_PC_ARCHIVES archive requests made while the demo
  seed's layout jobs (BENCH_PC_LAYOUTS of them) wait to be rendered, with the Procfile's
  `worker` and `customs` processes. Goal <= 5 s.
"""
import asyncio
import multiprocessing
import os
import re
import resource
import shutil
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

from bench.support import BENCH_DIR, ROOT, Server, free_port, latencies_ms, line, login, make_app, tmp_sqlite

try:
    from bench.support import setting
except ImportError:          # before `make bench-smoke` (BENCH_SMOKE=1) landed
    def setting(env_name, full, smoke_value):
        raw = os.environ.get(env_name)
        if raw not in (None, ""):
            return type(full)(raw)
        return smoke_value if os.environ.get("BENCH_SMOKE", "") not in ("", "0") else full

CONNECTIONS = setting("BENCH_PC_CONNECTIONS", 6000, 50)
RAMP_S = setting("BENCH_PC_RAMP_S", 15.0, 1.0)
WAIT_S = setting("BENCH_PC_WAIT_S", 20, 2)           # the shipped control's wait
LIST_N = setting("BENCH_PC_LIST_N", 200, 40)
SAMPLES = setting("BENCH_PC_SAMPLES", 300, 20)
LAYOUTS = setting("BENCH_PC_LAYOUTS", 300, 10)
ARCHIVES = setting("BENCH_PC_ARCHIVES", 10, 2)
ARCHIVE_DELAY_S = setting("BENCH_PC_ARCHIVE_DELAY_S", 10.0, 1.0)
CONTROLS = 500               # paired controls (tokens) the connections are spread over
QUERY = "/certificates/?type=E&print=pending"
BIN = Path(sys.executable).parent


def _raise_fd_limit():
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    want = min(hard, 65536) if hard != resource.RLIM_INFINITY else 65536
    if soft < want:
        resource.setrlimit(resource.RLIMIT_NOFILE, (want, hard))
    return resource.getrlimit(resource.RLIMIT_NOFILE)[0]


class Redis:
    def __init__(self):
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.dir = BENCH_DIR / "printcontrol-redis"
        self.dir.mkdir(parents=True, exist_ok=True)
        self.proc = subprocess.Popen([shutil.which("redis-server") or "/usr/bin/redis-server", "--port", str(self.port),
                                      "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
                                      "--dir", str(self.dir)], stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
        _wait_port(self.port)

    def stop(self):
        self.proc.terminate()
        self.proc.wait(timeout=20)


def _wait_port(port, timeout=60, proc=None):
    import socket
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            if proc is not None and proc.poll() is not None:
                raise RuntimeError("the process ended before it listened")
            time.sleep(0.2)
    raise RuntimeError(f"nothing listens on {port}")


class Procfile:
    """One Procfile line run by a shell, as honcho does."""

    def __init__(self, name, env):
        command = next(m.group(1) for m in (re.match(rf"^{name}:\s*(.+)$", l)
                                            for l in (ROOT / "Procfile").read_text().splitlines()) if m)
        environ = dict(os.environ, **env)
        environ["PATH"] = f"{BIN}{os.pathsep}{environ.get('PATH', '')}"
        self.log = BENCH_DIR / f"printcontrol-{name}.log"       # never a pipe nobody reads
        with open(self.log, "w") as log:
            self.proc = subprocess.Popen(["bash", "-c", "exec " + command], cwd=ROOT, env=environ,
                                         stdout=log, stderr=subprocess.STDOUT, start_new_session=True)

    def stop(self):
        try:
            os.killpg(self.proc.pid, signal.SIGTERM)
            self.proc.wait(timeout=60)
        except (ProcessLookupError, subprocess.TimeoutExpired):
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait()


# --- the idle controls' client -------------------------------------------------------------------

async def _poll_loop(port, token, start_at, end_at, wait, intervals, errors, begin):
    await asyncio.sleep(start_at)
    request = (f"GET /api/printcontrol/v1/jobs/next?wait={wait} HTTP/1.1\r\nHost: 127.0.0.1\r\n"
               f"Authorization: Bearer {token}\r\nUser-Agent: coo-bench\r\nConnection: close\r\n\r\n").encode()
    while time.monotonic() - begin < end_at:
        sent = time.monotonic()
        writer = None
        try:
            reader, writer = await asyncio.open_connection("127.0.0.1", port)
            writer.write(request)
            await writer.drain()
            data = await asyncio.wait_for(reader.read(), wait + 30)
            status = int(data.split(b" ", 2)[1]) if data.startswith(b"HTTP/") else 0
        except (OSError, asyncio.TimeoutError, ValueError, IndexError) as exc:
            errors[type(exc).__name__] += 1
            await asyncio.sleep(1)
            continue
        finally:
            if writer is not None:
                writer.close()
        if status == 204:
            intervals.append((sent, time.monotonic()))
        else:
            errors[f"HTTP {status}"] += 1
            await asyncio.sleep(1)


def _client(port, tokens, connections, ramp_s, duration_s, wait, results):
    async def run():
        begin = time.monotonic()
        intervals, errors = [], Counter()
        await asyncio.gather(*(
            _poll_loop(port, tokens[k % len(tokens)], ramp_s * k / connections, duration_s, wait, intervals, errors,
                       begin)
            for k in range(connections)))
        return intervals, errors
    intervals, errors = asyncio.run(run())
    results.put((_peak_overlap(intervals), len(intervals), dict(errors)))


def _peak_overlap(intervals):
    events = sorted([(a, 1) for a, _ in intervals] + [(b, -1) for _, b in intervals], key=lambda e: (e[0], e[1]))
    peak = current = 0
    for _, step in events:
        current += step
        peak = max(peak, current)
    return peak


def _pair_controls(url, count):
    from coo.models import Enterprise, PrintControl, database
    from coo.clock import utcnow
    from coo.security import new_token, token_digest
    app = make_app(url)
    tokens = []
    with app.app_context():
        database.connect(reuse_if_open=True)
        huadong = Enterprise.get(Enterprise.name_zh == "浙江华东进出口有限公司")
        with database.atomic():
            PrintControl.delete().where(PrintControl.name == "bench").execute()
            for _ in range(count):
                token = new_token()
                PrintControl.create(enterprise=huadong, name="bench", token_hash=token_digest(token),
                                    paired_at=utcnow(), version="1.4.0", printers="[]", last_heartbeat_at=utcnow())
                tokens.append(token)
        database.close()
    return tokens


def idle_polls():
    limit = _raise_fd_limit()
    connections = min(CONNECTIONS, max(10, (limit - 200) // 1))
    url = tmp_sqlite("printcontrol.sqlite3")
    from coo import db
    from coo.services import demo
    app = make_app(url, DEMO_LAYOUTS=False)
    with app.app_context():
        db.migrate()
        demo.seed(n_certificates=LIST_N)          # once: the next run finds it there
    tokens = _pair_controls(url, min(CONTROLS, connections))
    redis = Redis()
    env = {"COO_CONFIG": "development", "DATABASE_URL": url, "SECRET_KEY": "bench-secret-key",
           "REDIS_URL": redis.url, "PRINT_CONTROL_LONG_POLL_S": str(WAIT_S)}
    port = free_port()
    controls = Procfile("printcontrol", dict(env, COO_PRINTCONTROL_BIND=f"127.0.0.1:{port}"))
    web = None
    try:
        _wait_port(port, proc=controls.proc)
        web = Server("wsgi:app", env=dict(env, WEB_CONCURRENCY="2"))
        headers = {"HX-Request": "true", "Cookie": login(web.url)}
        _, idle_p95 = latencies_ms(web.url + QUERY, headers, n=SAMPLES)
        duration = RAMP_S + 2.5 * WAIT_S
        results = multiprocessing.get_context("fork").Queue()
        client = multiprocessing.get_context("fork").Process(
            target=_client, args=(port, tokens, connections, RAMP_S, duration, WAIT_S, results))
        client.start()
        time.sleep(RAMP_S + 1)                      # every poll is out: measure while they wait
        _, busy_p95 = latencies_ms(web.url + QUERY, headers, n=SAMPLES)
        peak, answered, errors = results.get(timeout=duration + WAIT_S + 120)
        client.join(timeout=60)
    finally:
        if web is not None:
            web.stop()
        controls.stop()
        redis.stop()
    print(f"# {connections} connections (fd limit {limit}) over {len(tokens)} paired controls, wait {WAIT_S} s: "
          f"{answered} polls answered 204, errors {errors or 'none'}; list p95 {idle_p95:.1f} ms idle, "
          f"{busy_p95:.1f} ms with the polls", flush=True)
    line("printcontrol_idle_connections", peak, "connections")
    line("list_p95_with_idle_polls_vs_idle", f"{busy_p95 / idle_p95:.2f}", "ratio")


# --- archiving behind a layout backlog ------------------------------------------------------------

def archive_wait():
    path = BENCH_DIR / ("smoke" if os.environ.get("BENCH_SMOKE", "") not in ("", "0") else "") / \
        "printcontrol-archive.sqlite3"
    path.parent.mkdir(parents=True, exist_ok=True)
    for stale in path.parent.glob(path.name + "*"):
        stale.unlink()
    storage = BENCH_DIR / "printcontrol-storage"
    shutil.rmtree(storage, ignore_errors=True)
    url = f"sqlite:///{path}"
    redis = Redis()
    env = {"COO_CONFIG": "development", "DATABASE_URL": url, "SECRET_KEY": "bench-secret-key",
           "REDIS_URL": redis.url, "COO_STORAGE_PATH": str(storage),
           "SIMULATOR_ARCHIVE_DELAY_S": str(ARCHIVE_DELAY_S)}
    from coo import db, enums, queue
    from coo.models import Certificate, database
    from coo.services import archiving, demo, exchanges
    app = make_app(url, REDIS_URL=redis.url, STORAGE_PATH=str(storage), DEMO_LAYOUTS=True,
                   SIMULATOR_ARCHIVE_DELAY_S=ARCHIVE_DELAY_S)
    processes = []
    try:
        with app.app_context():
            db.migrate()
            demo.seed(n_certificates=LAYOUTS)        # enqueues every certificate's layout: the backlog
            def layout_jobs():
                return queue.queue("layouts").count + queue.queue(queue.BULK_LAYOUTS).count
            backlog = layout_jobs()
            certs = list(Certificate.select().where(Certificate.archive_status == enums.ArchiveStatus.UNARCHIVED)
                         .order_by(Certificate.id.desc()).limit(ARCHIVES))
            database.close()
        processes = [Procfile(name, env) for name in ("worker", "customs")]
        time.sleep(3)                                # the workers register and start on the backlog
        waits, started = [], {}
        with app.app_context():
            for cert in certs:
                # What 是 does (printjobs.confirm): the archive request, started after its commit.
                with database.atomic():
                    exchange = archiving.create_archive_exchange(cert, printed_at="2026-12-01T10:00:00",
                                                                 print_count=1)
                exchanges.start(exchange)
                started[cert.id] = time.monotonic()
                time.sleep(0.5)
            left_at_last = layout_jobs()
            deadline = time.monotonic() + 300
            while started and time.monotonic() < deadline:
                done = {c.id for c in Certificate.select(Certificate.id)
                        .where(Certificate.id.in_(list(started))
                               & (Certificate.archive_status == enums.ArchiveStatus.ARCHIVED))}
                now = time.monotonic()
                for cert_id in done:
                    waits.append(now - started.pop(cert_id) - ARCHIVE_DELAY_S)
                time.sleep(0.1)
            database.close()
        if started:
            raise RuntimeError(f"{len(started)} certificates never archived")
    finally:
        for process in processes:
            process.stop()
        redis.stop()
    waits.sort()
    p95 = waits[max(0, int(len(waits) * 0.95 + 0.5) - 1)]
    print(f"# {backlog} layout jobs queued by the demo seed, {left_at_last} still queued after the last 是; "
          f"archive waits beyond the {ARCHIVE_DELAY_S:g} s simulator delay: "
          + ", ".join(f"{w:.1f}" for w in waits), flush=True)
    line("archive_wait_p95_s_with_layout_backlog", f"{p95:.1f}", "s")


def _stop(signum, frame):
    raise SystemExit(1)          # run the finally blocks: stop the servers this bench started


def main():
    signal.signal(signal.SIGTERM, _stop)
    idle_polls()
    archive_wait()


if __name__ == "__main__":
    main()
