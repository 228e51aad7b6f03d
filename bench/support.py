"""Shared by the benchmarks: a bench database with many certificates (bulk inserts, reused between
runs), gunicorn on loopback, a logged-in session, and a load tool (wrk, or a Python loop)."""
import csv
import datetime
import io
import os
import random
import re
import shutil
import socket
import statistics
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from decimal import Decimal
from http.cookiejar import CookieJar
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from coo.clock import utcnow  # noqa: E402
from coo.db import is_postgres  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
BENCH_DIR = Path(os.environ.get("COO_BENCH_DIR", ROOT / "instance" / "bench"))
USER_AGENT = "coo-bench/1.0"
SECRET_KEY = "bench-secret-key"


def line(name, value, unit):
    print(f"BENCH name={name} value={value} unit={unit}", flush=True)


# --- Smoke mode ---------------------------------------------------------------------------------
# `make bench-smoke` sets BENCH_SMOKE=1: every benchmark runs its real code path with tiny data and
# durations, to prove it still works (not how fast). A benchmark takes each of its sizes and
# durations from `setting`, so it honours smoke mode (and an explicit override) in one line.

def smoke() -> bool:
    """Whether this is a smoke run (BENCH_SMOKE=1)."""
    return os.environ.get("BENCH_SMOKE", "") not in ("", "0")


def setting(env_name: str, full, smoke_value):
    """A benchmark's size or duration: the env var `env_name` when set (e.g. BENCH_LIST_N), else
    `smoke_value` in smoke mode, else `full`. Typed like `full` (int or float)."""
    raw = os.environ.get(env_name)
    if raw not in (None, ""):
        return type(full)(raw)
    return smoke_value if smoke() else full


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# --- Data -------------------------------------------------------------------------------------

def make_app(database_url, **overrides):
    os.environ.setdefault("COO_CONFIG", "development")
    from coo import create_app
    return create_app("development", DATABASE_URL=database_url, SECRET_KEY=SECRET_KEY, **overrides)


def _cert_rows(n, exporters, start, seed):
    """`n` certificates spread over `exporters` (ids), issued over the last three years, all
    approved after the exporters' authorisation; statuses mixed like a live system. Each row is
    a dict of the columns that matter here; `_bulk` fills every other column of the model."""
    from coo.models import CertificateType
    codes = [t.code for t in CertificateType.select().order_by(CertificateType.sort_order)]
    rng = random.Random(seed)
    today = datetime.date.today()
    now = utcnow().replace(microsecond=0)
    offices = ["杭州海关", "宁波海关", "南京海关", "上海海关"]
    for i in range(start, start + n):
        code = codes[i % len(codes)]
        issue = today - datetime.timedelta(days=rng.randint(0, 1000))
        exporter = exporters[i % len(exporters)]
        approved = datetime.datetime.combine(issue, datetime.time(9, 0)) + datetime.timedelta(seconds=i % 36000)
        r = rng.random()
        archived = r < 0.35
        printed = archived or r < 0.5
        yield dict(
            number=f"{code}{issue:%y}{3301 + i % 4}{i:09d}", cert_type=code, invoice_number=f"INV{i:010d}",
            invoice_date=issue, applicant=exporter, exporter=exporter,
            exporter_text="BENCH EXPORTER CO., LTD.\nNO. 1 BENCH ROAD, HANGZHOU, CHINA",
            consignee_text="BENCH CONSIGNEE PTE. LTD.\n1 BENCH STREET, SINGAPORE", importing_country="SINGAPORE",
            transport_text="FROM NINGBO, CHINA TO SINGAPORE BY SEA", departure_date=issue + datetime.timedelta(days=3),
            issue_date=issue, issuing_office=offices[i % 4], creator="李晓梅", approved_at=approved,
            layout_status="received" if rng.random() < 0.9 else "sending",
            print_status="printed" if printed else "pending", archive_status="archived" if archived else "unarchived",
            archived_at=now if archived else None, print_count=1 if printed else 0, created_at=now, updated_at=now)


# A NOT NULL column without a default gets a value of its type, so a new column never breaks the
# bulk insert (the rows above say what matters to the benchmarks; the rest is filler).
_FILLER = {"BooleanField": False, "IntegerField": 0, "BigIntegerField": 0, "SmallIntegerField": 0,
           "FloatField": 0.0, "DecimalField": Decimal("0"), "DateField": datetime.date(2000, 1, 1),
           "DateTimeField": datetime.datetime(2000, 1, 1)}


def model_columns(model):
    """Every column of `model` except its auto-increment key, in table order: (column, field)."""
    return [(f.column_name, f) for f in model._meta.sorted_fields
            if not (f.primary_key and type(f).__name__ == "AutoField")]


def _filled(model, row: dict):
    """Every column's database value for `row` (a dict by field name): the row's value, else the
    field's default, else NULL when nullable, else a filler of the field's type."""
    out = []
    for _, f in model_columns(model):
        if f.name in row:
            value = row[f.name]
        elif f.default is not None:
            value = f.default() if callable(f.default) else f.default
        elif f.null:
            value = None
        else:
            value = next((v for cls in type(f).__mro__ for k, v in _FILLER.items() if cls.__name__ == k), "")
        out.append(None if value is None else f.db_value(value))
    return tuple(out)


def authorise(ent):
    """A successful seal-signature authorisation received long before every bench certificate
    (with the enterprise's seal and signature, made here when it has none)."""
    from coo import enums
    from coo.models import Authorisation, Operator, Seal, Signature
    person = Operator.get((Operator.enterprise == ent) & (Operator.is_legal_person == True))  # noqa: E712
    today = datetime.date.today()
    seal = Seal.select().where(Seal.enterprise == ent).first() or Seal.create(
        enterprise=ent, owner=person, name="公司章", shape=enums.SealShape.ROUND, valid_from=today,
        valid_to=today, height_mm=Decimal("40"), width_mm=Decimal("40"), dpi=300, image_path="-",
        original_path="-", image_sha256="0" * 64)
    signature = Signature.select().where(Signature.enterprise == ent).first() or Signature.create(
        enterprise=ent, declarant=person, name=person.name, height_mm=Decimal("10"), width_mm=Decimal("30"),
        dpi=300, image_path="-", original_path="-", image_sha256="0" * 64)
    at = utcnow() - datetime.timedelta(days=2000)
    Authorisation.create(enterprise=ent, seal=seal, signature=signature, requested_by=person.name,
                         submitted_at=at, status=enums.ReceiptStatus.SUCCESS, receipt_at=at)


def _other_exporters(count):
    from coo.models import Enterprise
    from coo.validators import uscc_check_char
    ids = []
    for k in range(count):
        body = f"91330100MB{k:07d}"
        ent, _ = Enterprise.get_or_create(
            customs_code=f"39{k:08d}",
            defaults={"uscc": body + uscc_check_char(body), "name_zh": f"基准出口企业{k:04d}有限公司",
                      "name_en": f"BENCH EXPORTER {k:04d} CO., LTD."})
        ids.append(ent.id)
    return ids


def prepare(database_url, n_main, n_others=0, other_exporters=0):
    """Migrate, seed the demo logins, authorise 华东, and bulk-insert `n_main` certificates of
    华东 plus `n_others` of other exporters. Reused when the database already holds them."""
    from coo import db
    from coo.models import Certificate, Enterprise, database
    from coo.services import demo
    from coo.services.certificates import authorised_since
    app = make_app(database_url)
    with app.app_context():
        db.migrate()
        demo.seed(n_certificates=0)
        huadong = Enterprise.get(Enterprise.name_zh == "浙江华东进出口有限公司")
        # The demo authorises 华东 recently; the bench certificates go back 1000 days and must all
        # be self-printable, so self-printing has to start before them.
        since = authorised_since(huadong.id)
        if since is None or since > utcnow() - datetime.timedelta(days=1500):
            authorise(huadong)
        have = Certificate.select().where(Certificate.exporter == huadong).count()
        total = Certificate.select().count()
        if have >= n_main and total >= n_main + n_others:
            database.close()
            return app, False
        started = time.perf_counter()
        exporters = _other_exporters(other_exporters) if n_others else []
        _bulk(database, _cert_rows(n_main - have, [huadong.id], total + 1, seed=1))
        if n_others:
            _bulk(database, _cert_rows(n_others, exporters, total + 1 + n_main, seed=2))
        # VACUUM on PostgreSQL sets the visibility map, so the list's covering indexes give
        # index-only scans at once (autovacuum would, some minutes after a real bulk load).
        database.execute_sql("VACUUM ANALYZE" if is_postgres() else "ANALYZE")
        print(f"# prepared {n_main} + {n_others} certificates in {time.perf_counter() - started:.1f}s", flush=True)
        database.close()
    return app, True


def _bulk(database, rows, chunk=5000):
    """Insert certificate rows (dicts, see `_cert_rows`): COPY on PostgreSQL, executemany on
    SQLite. The columns are the model's, so a column added by a migration is filled too."""
    from coo.models import Certificate
    columns = model_columns(Certificate)
    cols = ", ".join(f'"{c}"' for c, _ in columns)
    rows = (_filled(Certificate, row) for row in rows)
    if is_postgres():
        conn = database.connection()
        with database.atomic():
            # Loading into a table with eight indexes in random order is several times slower
            # than building the indexes afterwards (sorted).
            database.execute_sql("SET LOCAL maintenance_work_mem = '256MB'")
            database.execute_sql("SET LOCAL synchronous_commit = off")
            indexes = [r[0] for r in database.execute_sql(
                "SELECT indexdef FROM pg_indexes WHERE tablename = 'certificate' "
                "AND indexname NOT IN (SELECT conname FROM pg_constraint)").fetchall()]
            names = [r[0] for r in database.execute_sql(
                "SELECT indexname FROM pg_indexes WHERE tablename = 'certificate' "
                "AND indexname NOT IN (SELECT conname FROM pg_constraint)").fetchall()]
            for name in names:
                database.execute_sql(f'DROP INDEX "{name}"')
            buf = io.StringIO()
            writer = csv.writer(buf)
            for k, row in enumerate(rows, 1):
                writer.writerow(["\\N" if v is None else v for v in row])
                if k % 100_000 == 0:
                    _copy(conn, buf, cols)
                    buf = io.StringIO()
                    writer = csv.writer(buf)
            _copy(conn, buf, cols)
            for definition in indexes:
                database.execute_sql(definition)
        return
    # A large page cache: the random-order index inserts otherwise thrash SQLite's 2 MiB default.
    database.execute_sql("PRAGMA cache_size = -262144")
    placeholders = ", ".join("?" * len(columns))
    sql = f'INSERT INTO "certificate" ({cols}) VALUES ({placeholders})'
    with database.atomic():
        cursor = database.cursor()
        batch = []
        for row in rows:
            batch.append(tuple(v.isoformat(" ") if isinstance(v, datetime.datetime) else
                               v.isoformat() if isinstance(v, datetime.date) else v for v in row))
            if len(batch) == chunk:
                cursor.executemany(sql, batch)
                batch = []
        if batch:
            cursor.executemany(sql, batch)


def _copy(conn, buf, cols):
    buf.seek(0)
    with conn.cursor() as cur:
        cur.copy_expert(f'COPY "certificate" ({cols}) FROM STDIN WITH (FORMAT csv, NULL \'\\N\')', buf)


# --- Servers and load -------------------------------------------------------------------------

class Server:
    """gunicorn with 2 sync workers on loopback, stopped by `stop()` (its own process group)."""

    def __init__(self, app_path, env=None, workers=2):
        self.port = free_port()
        gunicorn = str(Path(sys.executable).parent / "gunicorn")
        full_env = dict(os.environ, **(env or {}))
        self.proc = subprocess.Popen(
            [gunicorn, "--workers", str(workers), "--bind", f"127.0.0.1:{self.port}",
             "--log-level", "warning", app_path],
            cwd=ROOT, env=full_env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
            start_new_session=True)
        deadline = time.time() + 60
        while time.time() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5):
                    break
            except OSError:
                if self.proc.poll() is not None:
                    raise RuntimeError(self.proc.stderr.read().decode()[-2000:])
                time.sleep(0.2)
        self.url = f"http://127.0.0.1:{self.port}"
        time.sleep(0.5)

    def stop(self):
        self.proc.terminate()
        try:
            self.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


def login(base_url, username="hd_op", password="Demo@2026"):
    """Log in like a browser; returns the Cookie header value."""
    jar = CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    opener.addheaders = [("User-Agent", USER_AGENT)]
    html = opener.open(f"{base_url}/login").read().decode()
    token = re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)
    data = urllib.parse.urlencode({"username": username, "password": password, "csrf_token": token}).encode()
    opener.open(f"{base_url}/login/password", data=data).read()
    return "; ".join(f"{c.name}={c.value}" for c in jar)


def fetch(url, headers):
    request = urllib.request.Request(url, headers=dict(headers, **{"User-Agent": USER_AGENT}))
    with urllib.request.urlopen(request) as response:
        return response.status, response.read()


def requests_per_second(url, headers, seconds=10, connections=4):
    """wrk -t2 -c4 when installed (the NOTES baseline), else a Python keep-alive loop."""
    wrk = shutil.which("wrk")
    if wrk:
        args = [wrk, "-t2", f"-c{connections}", f"-d{seconds}s", "--latency",
                "-H", f"User-Agent: {USER_AGENT}"]
        for k, v in headers.items():
            args += ["-H", f"{k}: {v}"]
        out = subprocess.run(args + [url], capture_output=True, text=True, check=True).stdout
        non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
        if non2xx:
            raise RuntimeError(f"{url}: {non2xx.group(1)} error responses")
        return float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    return _python_rps(url, headers, seconds, connections)


def _python_rps(url, headers, seconds, connections):
    import http.client
    import threading
    parsed = urllib.parse.urlsplit(url)
    path = parsed.path + ("?" + parsed.query if parsed.query else "")
    counts = [0] * connections
    stop = time.time() + seconds

    def loop(k):
        conn = http.client.HTTPConnection(parsed.hostname, parsed.port)
        while time.time() < stop:
            conn.request("GET", path, headers=dict(headers, **{"User-Agent": USER_AGENT}))
            conn.getresponse().read()
            counts[k] += 1
    threads = [threading.Thread(target=loop, args=(k,)) for k in range(connections)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return sum(counts) / seconds


def latencies_ms(url, headers, n=200, warmup=20):
    """Sequential requests on one keep-alive connection: (p50, p95) in ms."""
    import http.client
    parsed = urllib.parse.urlsplit(url)
    path = parsed.path + ("?" + parsed.query if parsed.query else "")
    conn = http.client.HTTPConnection(parsed.hostname, parsed.port)
    samples = []
    for k in range(warmup + n):
        started = time.perf_counter()
        conn.request("GET", path, headers=dict(headers, **{"User-Agent": USER_AGENT}))
        response = conn.getresponse()
        response.read()
        if response.status != 200:
            raise RuntimeError(f"{url}: HTTP {response.status}")
        if k >= warmup:
            samples.append((time.perf_counter() - started) * 1000)
    samples.sort()
    return statistics.median(samples), samples[int(len(samples) * 0.95) - 1]


def tmp_sqlite(name):
    """A bench SQLite database kept for the next run (smoke runs keep theirs apart)."""
    folder = BENCH_DIR / "smoke" if smoke() else BENCH_DIR
    folder.mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{folder / name}"


def postgres_url(name):
    """A bench database next to TEST_POSTGRES_URL (created once, kept for the next run; smoke
    runs use their own, `<name>_smoke`)."""
    name = f"{name}_smoke" if smoke() else name
    base = os.environ.get("BENCH_POSTGRES_URL") or os.environ.get("TEST_POSTGRES_URL") \
        or "postgresql://postgres@127.0.0.1:5432/postgres"
    import psycopg2
    from playhouse.db_url import parse
    params = parse(base)
    # The bench database is created from the server's maintenance database: the one named in the
    # URL may be a shared test database, which the benchmarks never connect to.
    admin = psycopg2.connect(dbname="postgres", user=params.get("user"), host=params.get("host"),
                             port=params.get("port"), password=params.get("password"))
    admin.autocommit = True
    with admin.cursor() as cur:
        cur.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,))
        if cur.fetchone() is None:
            cur.execute(f'CREATE DATABASE "{name}"')
    admin.close()
    return base.rsplit("/", 1)[0] + "/" + name
