"""pdf_layout_vs_bare_weasyprint: our layout job (original + copy, database and storage included)
divided by bare ``weasyprint.HTML(string=...).write_pdf()`` of the same two HTML documents (the
stylesheet inlined as <style>, images as file URLs: what someone without our warm-up would do).
Goal ≤ 1.1. Runs on a throwaway SQLite database and storage folder; needs no Redis."""
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

ROUNDS = int(os.environ.get("BENCH_LAYOUT_ROUNDS", 8))


def main():
    with tempfile.TemporaryDirectory(prefix="coo-bench-layout-") as tmp:
        os.environ.setdefault("COO_INSTANCE_PATH", tmp)
        from coo import create_app, db
        from coo.models import Certificate, database

        app = create_app("test", DATABASE_URL=f"sqlite:///{tmp}/bench.sqlite3", STORAGE_PATH=f"{tmp}/storage")
        with app.app_context():
            db.migrate()
            from coo.services import demo, layouts
            demo.seed(n_certificates=48)
            # The self-printable certificate with the most goods lines (three in the demo).
            cert = max((c for c in Certificate.select().order_by(Certificate.id)
                        if layouts.layout_blocker(c) is None), key=lambda c: c.goods.count())
            auth = layouts.authorisation_in_force(cert)
            html_original, html_copy = layouts.layout_html(cert, auth)
            style = f"<style>{layouts.stylesheet_text()}</style></head>"
            bare_docs = [h.replace("</head>", style, 1) for h in (html_original, html_copy)]
            import weasyprint
            fetcher = layouts.url_fetcher()

            def ours():
                Certificate.update(layout_key="").where(Certificate.id == cert.id).execute()
                started = time.perf_counter()
                assert layouts.run(cert.id) == "rendered"
                return time.perf_counter() - started

            def bare():
                started = time.perf_counter()
                for doc in bare_docs:
                    # (our fetcher only to read the seal and signature from the storage)
                    pdf = weasyprint.HTML(string=doc, url_fetcher=fetcher).write_pdf()
                    assert pdf.startswith(b"%PDF")
                return time.perf_counter() - started

            for _ in range(2):          # warm both: imports, fonts, first layout
                ours(), bare()
            ours_s, bare_s = [], []
            for i in range(ROUNDS):      # interleaved, alternating order: the machine is shared
                if i % 2:
                    ours_s.append(ours()), bare_s.append(bare())
                else:
                    bare_s.append(bare()), ours_s.append(ours())
            database.close()
    o, b = statistics.median(ours_s), statistics.median(bare_s)
    print(f"# layout job (original + copy): median {o * 1000:.0f} ms per certificate; "
          f"bare WeasyPrint of the same HTML: {b * 1000:.0f} ms ({ROUNDS} rounds)")
    print(f"BENCH name=pdf_layout_ms_per_certificate value={o * 1000:.0f} unit=ms")
    print(f"BENCH name=pdf_layout_vs_bare_weasyprint value={o / b:.3f} unit=ratio")


if __name__ == "__main__":
    main()
