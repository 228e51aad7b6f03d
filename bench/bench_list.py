"""`list_fragment_vs_bare_flask`: req/s of the filtered 证书打印 fragment (100,000 certificates on
SQLite, a logged-in session, gunicorn with 2 workers, wrk on loopback) divided by req/s of a bare
Flask + Jinja route rendering 20 rows from a Python list. Goal >= 0.5.

`list_fragment_1m_pg_p50_ms` / `_p95_ms`: the same fragment with 1,000,000 certificates on
PostgreSQL (100,000 of them the logged-in exporter's), sequential requests: the indexes hold at
production size. The bench database is kept and reused by the next run."""

from bench.support import (
    Server, latencies_ms, line, login, fetch, postgres_url, prepare, requests_per_second, setting, smoke, tmp_sqlite,
)

# Smoke: enough rows for a full 20-row page of the filtered query (one type of eight, half pending).
N = setting("BENCH_LIST_N", 100_000, 2_000)
N_PG_TOTAL = setting("BENCH_PG_N", 1_000_000, 3_000)
PG_EXPORTERS = setting("BENCH_PG_EXPORTERS", 300, 5)
SECONDS = setting("BENCH_SECONDS", 10, 1)
SAMPLES = setting("BENCH_LATENCY_SAMPLES", 200, 20)
# A typical query: one 证书类别, not yet printed, the fragment htmx asks for.
QUERY = "/certificates/?type=E&print=pending"
HX = {"HX-Request": "true"}


def _env(database_url):
    return {"COO_CONFIG": "development", "DATABASE_URL": database_url, "SECRET_KEY": "bench-secret-key",
            "WEB_CONCURRENCY": "2"}


def _fragment_server(database_url):
    server = Server("wsgi:app", env=_env(database_url))
    headers = dict(HX, Cookie=login(server.url))
    status, body = fetch(server.url + QUERY, headers)
    text = body.decode()
    if status != 200 or "<html" in text or text.count("<tr>") < 20:
        server.stop()
        raise RuntimeError(f"the fragment is not a 20-row list: HTTP {status}")
    return server, headers


def main():
    url = tmp_sqlite("list-100k.sqlite3")
    prepare(url, N)
    server, headers = _fragment_server(url)
    bare = Server("bench.bare_app:app")
    # The machine is shared: both servers stay up (an idle one costs nothing) and are measured
    # in turns, ours, bare, bare, ours, each side's better run counting (as bench_export does).
    runs = {"ours": [], "bare": []}
    try:
        for side in ("ours", "bare", "bare", "ours")[:2 if smoke() else 4]:
            if side == "ours":
                runs[side].append(requests_per_second(server.url + QUERY, headers, SECONDS))
            else:
                runs[side].append(requests_per_second(bare.url + "/", {}, SECONDS))
    finally:
        server.stop()
        bare.stop()
    ours, baseline = max(runs["ours"]), max(runs["bare"])
    print(f"# list fragment {ours:.0f} req/s, bare Flask {baseline:.0f} req/s "
          f"(runs: ours {', '.join(f'{r:.0f}' for r in runs['ours'])}; "
          f"bare {', '.join(f'{r:.0f}' for r in runs['bare'])})", flush=True)
    line("list_fragment_vs_bare_flask", f"{ours / baseline:.3f}", "ratio")

    pg = postgres_url("coo_bench_1m")
    prepare(pg, N, n_others=N_PG_TOTAL - N, other_exporters=PG_EXPORTERS)
    server, headers = _fragment_server(pg)
    try:
        p50, p95 = latencies_ms(server.url + QUERY, headers, n=SAMPLES, warmup=min(20, SAMPLES))
        deep50, deep95 = latencies_ms(server.url + QUERY + "&page=50", headers, n=SAMPLES // 2,
                                      warmup=min(20, SAMPLES))
    finally:
        server.stop()
    line("list_fragment_1m_pg_p50", f"{p50:.1f}", "ms")
    line("list_fragment_1m_pg_p95", f"{p95:.1f}", "ms")
    print(f"# page 50 of the same query: p50 {deep50:.1f} ms, p95 {deep95:.1f} ms", flush=True)
