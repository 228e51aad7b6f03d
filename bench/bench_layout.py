"""Our layout job (original + copy, database and storage included) against plain WeasyPrint
rendering the same two HTML documents, all in the same run, interleaved:

`pdf_layout_vs_warm_weasyprint` (goal ≤ 1.1): the fair baseline, the best plain use of the
library: one FontConfiguration reused for every document and the stylesheet parsed once
(`weasyprint.CSS(..., font_config=fonts)`), as a careful user would.

`pdf_layout_vs_bare_weasyprint` (kept for comparison with older runs): a naive baseline,
``weasyprint.HTML(string=...).write_pdf()`` with the stylesheet inlined as <style> (fonts and
CSS rebuilt on every call: what someone without any warm-up would do).

Runs on a throwaway SQLite database and storage folder; needs no Redis."""
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.support import line, setting  # noqa: E402

ROUNDS = setting("BENCH_LAYOUT_ROUNDS", 8, 1)
WARM_ROUNDS = setting("BENCH_LAYOUT_WARM_ROUNDS", 2, 1)


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
            base_url = Path(app.static_folder).resolve().as_uri() + "/"
            import weasyprint
            from weasyprint.text.fonts import FontConfiguration
            fonts = FontConfiguration()
            images = {}
            css = [weasyprint.CSS(filename=str(Path(app.static_folder) / "css" / "layout.css"), font_config=fonts)]

            def ours():
                Certificate.update(layout_key="").where(Certificate.id == cert.id).execute()
                started = time.perf_counter()
                assert layouts.run(cert.id) == "rendered"
                return time.perf_counter() - started

            def warm():
                started = time.perf_counter()
                for doc in (html_original, html_copy):
                    pdf = weasyprint.HTML(string=doc, base_url=base_url).write_pdf(stylesheets=css, font_config=fonts, cache=images)
                    assert pdf.startswith(b"%PDF")
                return time.perf_counter() - started

            def bare():
                started = time.perf_counter()
                for doc in bare_docs:
                    pdf = weasyprint.HTML(string=doc).write_pdf()
                    assert pdf.startswith(b"%PDF")
                return time.perf_counter() - started

            sides = {"ours": ours, "warm": warm, "bare": bare}
            for _ in range(WARM_ROUNDS):          # warm all: imports, fonts, first layout
                for run in sides.values():
                    run()
            times = {name: [] for name in sides}
            order = list(sides)
            for i in range(ROUNDS):      # interleaved, rotating order: the machine is shared
                for name in order[i % 3:] + order[:i % 3]:
                    times[name].append(sides[name]())
            database.close()
    o, w, b = (statistics.median(times[name]) for name in ("ours", "warm", "bare"))
    print(f"# layout job (original + copy): median {o * 1000:.0f} ms per certificate; plain WeasyPrint "
          f"of the same HTML, warm (fonts + parsed CSS reused): {w * 1000:.0f} ms; bare: {b * 1000:.0f} ms "
          f"({ROUNDS} rounds)", flush=True)
    line("pdf_layout_ms_per_certificate", f"{o * 1000:.0f}", "ms")
    line("pdf_layout_warm_weasyprint_ms", f"{w * 1000:.0f}", "ms")
    line("pdf_layout_vs_warm_weasyprint", f"{o / w:.3f}", "ratio")
    line("pdf_layout_vs_bare_weasyprint", f"{o / b:.3f}", "ratio")


if __name__ == "__main__":
    main()
