"""版式: every certificate type gets an original and a copy PDF (front + overleaf notes) with the
authorised seal and the declarant's signature at their real size, the number as text and as a
barcode, and a QR code that scans back to the verification page. Rendering fetches nothing but
our own files. A real worker moves 版式状态 海关端生成 → 接收成功; layouts are re-rendered only when
the data or the authorisation changed."""
import datetime
import io
import math
import re
import socket
import subprocess
import threading
from decimal import Decimal

import pytest
from pypdf import PdfReader
from pypdf.generic import ContentStream

from customs_helpers import forget_demo_authorisations
from coo import drawing, enums, queue, storage
from coo.clock import to_local, utcnow
from coo.models import (
    Authorisation, Certificate, CertificateType, Enterprise, GoodsLine, Seal, Signature,
)
from coo.security import verification_url
from coo.services import demo_layouts, layouts, rules, sweep

SEAL_MM = 40.0
SIGNATURE_MM = (32.0, 14.0)


@pytest.fixture
def authorised(app, demo):
    """Both demo exporters have a seal, a signature and an authorisation customs answered 成功
    (200 days ago, before the demo certificates were approved), with the sizes these tests measure."""
    forget_demo_authorisations()
    with app.app_context():
        at = utcnow() - datetime.timedelta(days=200)
        result = {}
        for code in ("3301960001", "3202960002"):
            exporter = Enterprise.get(Enterprise.customs_code == code)
            result[code] = demo_layouts.authorise(exporter, SEAL_MM, SIGNATURE_MM, receipt_at=at)
        return result


def _cert(code, **where):
    query = (Certificate.select().join(CertificateType)
             .where(CertificateType.code == code)
             .where(Certificate.approved_at > utcnow() - datetime.timedelta(days=180)))
    for field, value in where.items():
        query = query.where(getattr(Certificate, field) == value)
    return query.order_by(Certificate.id).first()


def _text(pdf: bytes) -> list[str]:
    return [page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages]


def _placed_images(pdf: bytes, page_no: int = 0):
    """(pixel width, pixel height, width mm, height mm) of every image drawn on a page, from the
    content stream's transformation matrices (Form XObjects followed)."""
    reader = PdfReader(io.BytesIO(pdf))
    page = reader.pages[page_no]
    found = []

    def walk(content, resources, ctm):
        xobjects = resources.get("/XObject", {}) if resources else {}
        stack = []
        for operands, op in ContentStream(content, reader).operations:
            if op == b"q":
                stack.append(ctm)
            elif op == b"Q":
                ctm = stack.pop()
            elif op == b"cm":
                a, b, c, d, e, f = (float(x) for x in operands)
                A, B, C, D, E, F = ctm
                ctm = (a * A + b * C, a * B + b * D, c * A + d * C, c * B + d * D,
                       e * A + f * C + E, e * B + f * D + F)
            elif op == b"Do":
                obj = xobjects[operands[0]].get_object()
                if obj["/Subtype"] == "/Image":
                    w = math.hypot(ctm[0], ctm[1]) * 25.4 / 72
                    h = math.hypot(ctm[2], ctm[3]) * 25.4 / 72
                    found.append((int(obj["/Width"]), int(obj["/Height"]), w, h))
                elif obj["/Subtype"] == "/Form":
                    m = [float(x) for x in obj.get("/Matrix", [1, 0, 0, 1, 0, 0])]
                    A, B, C, D, E, F = ctm
                    inner = (m[0] * A + m[1] * C, m[0] * B + m[1] * D, m[2] * A + m[3] * C,
                             m[2] * B + m[3] * D, m[4] * A + m[5] * C + E, m[4] * B + m[5] * D + F)
                    walk(obj, obj.get("/Resources"), inner)

    walk(page.get_contents(), page.get("/Resources"), (1, 0, 0, 1, 0, 0))
    return found


def _seal_and_signature(pdf):
    """The seal and signature as drawn: recognised by their pixel size (600 dpi scans)."""
    seal_px = drawing.px(SEAL_MM)
    sig_px = (drawing.px(SIGNATURE_MM[0]), drawing.px(SIGNATURE_MM[1]))
    images = _placed_images(pdf)
    seals = [i for i in images if (i[0], i[1]) == (seal_px, seal_px)]
    signatures = [i for i in images if (i[0], i[1]) == sig_px]
    return seals, signatures


def _render_png(pdf: bytes, target_stem, dpi=100, first=1, last=1):
    target_stem.parent.mkdir(parents=True, exist_ok=True)
    subprocess.run(["pdftoppm", "-r", str(dpi), "-png", "-f", str(first), "-l", str(last), "-",
                    str(target_stem)], input=pdf, check=True)


SELF_PRINT_TYPES = ["E", "C", "A", "K", "F", "N", "X", "B", "PR", "TR", "RC", "BR", "P", "L", "S"]


@pytest.mark.parametrize("code", SELF_PRINT_TYPES)
def test_every_type_prints_original_and_copy_with_seal_and_signature_at_size(app, authorised, artifacts, code):
    with app.app_context():
        cert = _cert(code)
        assert cert is not None, f"the demo has a recent {code} certificate"
        goods = list(cert.goods.order_by(GoodsLine.line_no))
        original, copy = layouts.render_certificate(cert)

        for pdf, mark in ((original, "ORIGINAL"), (copy, "COPY")):
            reader = PdfReader(io.BytesIO(pdf))
            assert len(reader.pages) == 2, "front + overleaf notes, for duplex"
            front, back = _text(pdf)
            assert cert.number in front
            assert cert.exporter.name_en in front
            for line in goods:
                assert line.description in front
            assert mark in front and mark in back
            assert "NOTES" in back and cert.number in back
            seals, signatures = _seal_and_signature(pdf)
            assert len(seals) == 1 and len(signatures) == 1
            assert seals[0][2] == pytest.approx(SEAL_MM, abs=1)
            assert seals[0][3] == pytest.approx(SEAL_MM, abs=1)
            assert signatures[0][2] == pytest.approx(SIGNATURE_MM[0], abs=1)
            assert signatures[0][3] == pytest.approx(SIGNATURE_MM[1], abs=1)
        assert "副本" in _text(copy)[0]
        assert "COPY" not in _text(original)[0] and "副本" not in _text(original)[0]

        _render_png(original, artifacts / "layouts" / f"{code}-original", last=2)
        _render_png(copy, artifacts / "layouts" / f"{code}-copy")


def test_fonts_are_embedded_subsets(app, authorised):
    with app.app_context():
        _, copy = layouts.render_certificate(_cert("E"))
    fonts = {}
    for page in PdfReader(io.BytesIO(copy)).pages:
        for font in page["/Resources"]["/Font"].values():
            font = font.get_object()
            descendant = font["/DescendantFonts"][0].get_object() if "/DescendantFonts" in font else font
            descriptor = descendant["/FontDescriptor"].get_object()
            fonts[str(font["/BaseFont"])] = any(k in descriptor for k in ("/FontFile", "/FontFile2", "/FontFile3"))
    assert fonts and all(fonts.values()), fonts
    assert all("+" in name for name in fonts), f"subset fonts are named ABCDEF+Name: {list(fonts)}"
    assert any("WenQuanYi" in name for name in fonts), "副本 needs the CJK font"


def test_qr_and_barcode_scan_back_from_a_300_dpi_raster(app, authorised, artifacts):
    with app.app_context():
        cert = _cert("RC")
        original, _ = layouts.render_certificate(cert)
        url = verification_url(cert.number)
    stem = artifacts / "layouts" / "RC-original-300dpi"
    _render_png(original, stem, dpi=300)
    png = next(stem.parent.glob(stem.name + "*.png"))
    out = subprocess.run(["zbarimg", "--quiet", "--raw", "-Sqrcode.enable", "-Scode128.enable", str(png)],
                         capture_output=True, text=True)
    decoded = set(out.stdout.split())
    assert url in decoded, out
    assert cert.number in decoded, "the Code 128 barcode carries the certificate number"
    assert "code=" in url and cert.number in url


def test_a_worker_moves_the_layout_from_customs_generated_to_received(app, authorised, worker):
    with app.app_context():
        cert = _cert("E")
        assert cert.layout_status == enums.LayoutStatus.CUSTOMS_GENERATED
        assert cert.layout_status.label == "海关端生成"
        job = queue.enqueue("jobs.layouts.render_certificate", cert.id, job_id=f"layout-{cert.id}",
                            queue_name="layouts")
        assert job is not None
    worker.burst(queues=("layouts",))
    with app.app_context():
        cert = Certificate.get_by_id(cert.id)
        assert cert.layout_status == enums.LayoutStatus.RECEIVED
        assert cert.layout_status.label == "接收成功"
        assert cert.layout_error == ""
        assert cert.layout_authorisation_id == authorised[cert.exporter.customs_code].id
        original = storage.read(cert.layout_original_path)
        copy = storage.read(cert.layout_copy_path)
        assert cert.number in _text(original)[0] and "副本" in _text(copy)[0]
        assert layouts.layout_is_current(cert)
        assert cert.layout_original_path.startswith("layouts/")


def test_layouts_are_rendered_again_only_when_data_or_authorisation_change(app, authorised):
    with app.app_context():
        cert = _cert("E")
        assert layouts.run(cert.id) == "rendered"
        first = Certificate.get_by_id(cert.id)
        assert layouts.run(cert.id) == "current"
        assert layouts.request_layout(first) is None, "nothing to enqueue for a current layout"
        same = Certificate.get_by_id(cert.id)
        assert (same.layout_key, same.layout_original_path) == (first.layout_key, first.layout_original_path)

        # The data changes: a new layout.
        line = first.goods.order_by(GoodsLine.line_no).first()
        GoodsLine.update(description="PORCELAIN VASES, HAND PAINTED").where(GoodsLine.id == line.id).execute()
        assert not layouts.layout_is_current(Certificate.get_by_id(cert.id))
        assert layouts.run(cert.id) == "rendered"
        second = Certificate.get_by_id(cert.id)
        assert second.layout_key != first.layout_key
        assert "PORCELAIN VASES, HAND PAINTED" in _text(storage.read(second.layout_original_path))[0]

        # A new authorisation (another seal): a new layout, with the new seal at its size.
        demo_layouts.authorise(cert.exporter, seal_diameter_mm=44.0)
        assert not layouts.layout_is_current(Certificate.get_by_id(cert.id))
        assert layouts.run(cert.id) == "rendered"
        third = Certificate.get_by_id(cert.id)
        assert third.layout_key != second.layout_key
        assert third.layout_authorisation_id == Authorisation.latest_success(cert.exporter).id
        sizes = [round(i[2]) for i in _placed_images(storage.read(third.layout_original_path))]
        assert 44 in sizes

        # Printed: what the user holds on paper stays stored, whatever changes afterwards.
        Certificate.update(print_status=enums.PrintStatus.PRINTED).where(Certificate.id == cert.id).execute()
        GoodsLine.update(description="SOMETHING ELSE").where(GoodsLine.id == line.id).execute()
        assert layouts.run(cert.id) == "final"
        assert Certificate.get_by_id(cert.id).layout_original_path == third.layout_original_path


def _add_goods(cert, count, what="CERAMIC TABLEWARE"):
    line = cert.goods.order_by(GoodsLine.line_no.desc()).first()
    for k in range(1, count + 1):
        GoodsLine.create(certificate=cert, line_no=line.line_no + k, marks="N/M",
                         description=f"{what}, LOT {k:02d}", hs_code=line.hs_code,
                         origin_criterion=line.origin_criterion, quantity=line.quantity,
                         fob_value=line.fob_value, currency=line.currency, invoice_ref=line.invoice_ref)


def test_goods_that_do_not_fit_boxes_5_to_10_continue_on_an_attached_sheet(app, authorised, artifacts):
    """A long goods list is never cut off: the front keeps the lines that fit and says where the
    rest is; the attached sheet (after the overleaf) lists the others under the same column heads
    with the exporter's seal and signature at their real size. Every line is printed once."""
    with app.app_context():
        cert = (Certificate.select().where(   # one of 华东's, still open to a new layout
            (Certificate.exporter == Enterprise.get(Enterprise.customs_code == "3301960001"))
            & (Certificate.approved_at > utcnow() - datetime.timedelta(days=180))
            & (Certificate.print_status == enums.PrintStatus.PENDING)
            & (Certificate.archive_status == enums.ArchiveStatus.UNARCHIVED)
            & (Certificate.download_status == enums.DownloadStatus.PENDING)
            & Certificate.cert_type.in_(["E", "C", "RC"])).order_by(Certificate.id).first())
        _add_goods(cert, 3)
        assert layouts.run(cert.id) == "rendered"          # a few more lines still fit the front
        original = storage.read(Certificate.get_by_id(cert.id).layout_original_path)
        assert len(PdfReader(io.BytesIO(original)).pages) == 2
        assert "CERAMIC TABLEWARE, LOT 03" in _text(original)[0]

        _add_goods(cert, 30, what="PORCELAIN MUGS")
        assert layouts.run(cert.id) == "rendered"
        after = Certificate.get_by_id(cert.id)
        assert after.layout_status == enums.LayoutStatus.RECEIVED and after.layout_error == ""
        original, copy = storage.read(after.layout_original_path), storage.read(after.layout_copy_path)
        (artifacts / f"attached-sheet-{cert.number}.pdf").write_bytes(original)
        pages = _text(original)
        assert len(pages) >= 3 and "ATTACHED SHEET" in pages[2] and "Continuation of the goods" not in pages[0]
        assert "CONTINUED ON THE ATTACHED SHEET" in pages[0]
        everything = "".join(pages)
        for k in range(1, 31):
            assert everything.count(f"PORCELAIN MUGS, LOT {k:02d}") == 1, k     # each line once
        on_front = [k for k in range(1, 31) if f"MUGS, LOT {k:02d}" in pages[0]]
        on_sheet = [k for k in range(1, 31) if f"MUGS, LOT {k:02d}" in "".join(pages[2:])]
        assert on_front and on_sheet and max(on_front) < min(on_sheet)
        first_continued = min(g.line_no for g in after.goods if f"LOT {min(on_sheet):02d}" in g.description
                              and g.description.startswith("PORCELAIN"))
        assert f"ITEMS {first_continued} TO " in pages[0].replace("\n", " ")
        # the exporter's seal and signature on the attached sheet, at their real size
        sizes = sorted((round(w), round(h)) for _, _, w, h in _placed_images(original, page_no=len(pages) - 1))
        assert (round(SEAL_MM), round(SEAL_MM)) in sizes and (round(SIGNATURE_MM[0]), round(SIGNATURE_MM[1])) in sizes
        copy_pages = _text(copy)
        assert "ATTACHED SHEET" in copy_pages[2] and "COPY" in copy_pages[2]


def test_a_layout_that_cannot_hold_its_goods_is_refused_with_the_reason(app, authorised, client, operator,
                                                                        monkeypatch):
    """If even the front's share of the goods does not fit (measured again after the split), no
    layout: 版式 生成失败 with the reason, a stored older layout stops being printable,
    and 查看解决办法 says to print at the issuing office."""
    with app.app_context():
        cert = (Certificate.select().where(
            (Certificate.exporter == Enterprise.get(Enterprise.customs_code == "3301960001"))
            & (Certificate.approved_at > utcnow() - datetime.timedelta(days=180))
            & (Certificate.print_status == enums.PrintStatus.PENDING)
            & (Certificate.archive_status == enums.ArchiveStatus.UNARCHIVED)
            & (Certificate.download_status == enums.DownloadStatus.PENDING)).order_by(Certificate.id).first())
        assert layouts.run(cert.id) == "rendered"
        measures = iter([(5, 10), (2, 4)])     # 5 of 10 fit; after the split, 2 of the front's 4
        monkeypatch.setattr(layouts, "goods_fit", lambda document: next(measures))
        GoodsLine.update(description="CHANGED").where(GoodsLine.certificate == cert.id).execute()
        assert layouts.run(cert.id) == "failed"
    after = Certificate.get_by_id(cert.id)
    assert after.layout_status == enums.LayoutStatus.FAILED and after.layout_status.label == "生成失败"
    assert after.layout_error.startswith("货物共 10 项，证书货物栏和附页都无法完整打印")
    html = client.get(f"/certificates/?number={cert.number}", headers={"HX-Request": "true"}).get_data(as_text=True)
    assert 'data-reason="layout_refused"' in html and "请到签证机构打印" in html
    assert client.get(f"/printing/certificates/{cert.id}/copy.pdf").status_code == 404


def test_box_13_ticks_what_customs_approved(app, authorised):
    """Form E box 13: third-party invoicing, exhibition and movement certificate come from the
    approved data (an importing customs checks them); an unflagged certificate ticks none."""
    with app.app_context():
        cert = _cert("E")
        assert layouts.run(cert.id) == "rendered"
        plain = _text(storage.read(Certificate.get_by_id(cert.id).layout_original_path))[0]
        Certificate.update(third_party_invoicing=True, back_to_back=True).where(Certificate.id == cert.id).execute()
        assert layouts.run(cert.id) == "rendered"       # the flags are part of the layout's data
        flagged = _text(storage.read(Certificate.get_by_id(cert.id).layout_original_path))[0]

    def ticked(text, label):
        return re.search(r"X\s*" + re.escape(label), text) is not None
    for label in ("Third Party Invoicing", "Movement Certificate", "Exhibition"):
        assert not ticked(plain, label), label
    assert ticked(flagged, "Third Party Invoicing") and ticked(flagged, "Movement Certificate")
    assert not ticked(flagged, "Exhibition")


def test_without_a_successful_authorisation_the_layout_waits_with_a_reason(app, demo, worker):
    forget_demo_authorisations()
    with app.app_context():
        cert = _cert("E")
        with pytest.raises(layouts.LayoutUnavailable, match="印章签名授权"):
            layouts.render_certificate(cert)
        layouts.request_layout(cert)
    worker.burst(queues=("layouts",))
    with app.app_context():
        cert = Certificate.get_by_id(cert.id)
        assert cert.layout_status == enums.LayoutStatus.CUSTOMS_GENERATED
        assert cert.layout_error == rules.reason(rules.Code.NO_AUTHORISATION, cert.number).message
        assert "尚未完成印章签名授权" in cert.layout_error
        assert cert.layout_original_path == ""


def test_a_failed_authorisation_does_not_count(app, demo):
    forget_demo_authorisations()
    with app.app_context():
        auth = demo_layouts.authorise(Enterprise.get(Enterprise.customs_code == "3301960001"))
        Authorisation.update(status=enums.ReceiptStatus.FAILED).where(Authorisation.id == auth.id).execute()
        cert = _cert("E", exporter=auth.enterprise_id)
        assert layouts.run(cert.id) == "blocked"
        assert Certificate.get_by_id(cert.id).layout_error == rules.reason(rules.Code.NO_AUTHORISATION,
                                                                           cert.number).message


def test_certificates_approved_before_the_authorisation_or_of_a_print_only_type_get_no_layout(app, authorised):
    with app.app_context():
        old = (Certificate.select().where(Certificate.approved_at < utcnow() - datetime.timedelta(days=200))
               .order_by(Certificate.id).first())
        assert old is not None
        assert layouts.run(old.id) == "blocked"
        error = Certificate.get_by_id(old.id).layout_error
        assert "早于" in error and f"{to_local(old.approved_at):%Y-%m-%d %H:%M}" in error

        gsp = _cert("G")
        assert gsp is not None
        assert layouts.run(gsp.id) == "blocked"
        assert Certificate.get_by_id(gsp.id).layout_error == f"证书 {gsp.number} 的证书类别（{gsp.cert_type.name_zh}）不支持自助打印。"
        assert Certificate.get_by_id(gsp.id).layout_status == enums.LayoutStatus.CUSTOMS_GENERATED


def test_an_agent_declared_certificate_carries_the_exporters_seal(app, authorised):
    with app.app_context():
        tongda = Enterprise.get(Enterprise.customs_code == "3101980003")
        cert = (Certificate.select().where((Certificate.applicant == tongda)
                                           & (Certificate.approved_at > utcnow() - datetime.timedelta(days=180)))
                .order_by(Certificate.id).first())
        assert cert is not None and cert.exporter.customs_code == "3301960001"
        original, _ = layouts.render_certificate(cert)
        seals, signatures = _seal_and_signature(original)
        assert len(seals) == 1 and len(signatures) == 1
        assert layouts.layout_context(cert, layouts.authorisation_in_force(cert))["seal"]["src"].endswith(
            authorised["3301960001"].seal.image_path.split("/")[-1])


class RecordingServer:
    """A real listening socket on 127.0.0.1 that records every connection made to it."""

    def __init__(self):
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(8)
        self.sock.settimeout(0.2)
        self.port = self.sock.getsockname()[1]
        self.connections = []
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self):
        while not self.stop.is_set():
            try:
                conn, addr = self.sock.accept()
            except OSError:
                continue
            self.connections.append(addr)
            conn.sendall(b"HTTP/1.0 200 OK\r\nContent-Type: image/svg+xml\r\n\r\n<svg xmlns='http://www.w3.org/2000/svg'/>")
            conn.close()

    def close(self):
        self.stop.set()
        self.thread.join()
        self.sock.close()


@pytest.fixture
def listening():
    server = RecordingServer()
    yield server
    server.close()


def test_html_in_certificate_text_prints_as_text_and_makes_no_request(app, authorised, listening):
    payload = f'<img src="http://127.0.0.1:{listening.port}/x">'
    with app.app_context():
        # The control: the same socket does record a connection when one is made.
        socket.create_connection(("127.0.0.1", listening.port)).close()
        threading.Event().wait(0.5)
        assert len(listening.connections) == 1
        listening.connections.clear()

        cert = _cert("E")
        line = cert.goods.order_by(GoodsLine.line_no).first()
        GoodsLine.update(description=f"TOYS {payload}").where(GoodsLine.id == line.id).execute()
        Certificate.update(consignee_text=f'<link rel="stylesheet" href="http://127.0.0.1:{listening.port}/a.css">'
                                          f'<script>alert(1)</script>ACME').where(Certificate.id == cert.id).execute()
        original, copy = layouts.render_certificate(Certificate.get_by_id(cert.id))
    threading.Event().wait(0.5)
    assert listening.connections == []
    front = _text(original)[0].replace("\n", " ")
    assert f"127.0.0.1:{listening.port}/x" in front and "<img" in front
    assert '<link rel="stylesheet"' in front
    assert "<script>alert(1)</" in front and "script>ACME" in front   # (the line wraps after "</")


def test_the_url_fetcher_serves_only_our_static_files_and_stored_seals(app, authorised, listening, tmp_path):
    outside = tmp_path / "secret.png"
    outside.write_bytes(b"not ours")
    with app.app_context():
        fetcher = layouts.url_fetcher()
        seal = authorised["3301960001"].seal
        ok = fetcher.fetch(layouts.storage_url(seal.image_path))
        assert ok.read() == storage.read(seal.image_path)
        css = fetcher.fetch((layouts.Path(app.static_folder) / "css" / "layout.css").resolve().as_uri())
        assert b"@page" in css.read()
        layout_key, _ = storage.put(b"%PDF-1.7 a stored layout", "layouts", ".pdf")
        for url in (f"http://127.0.0.1:{listening.port}/x", f"https://127.0.0.1:{listening.port}/x",
                    "data:image/png;base64,iVBORw0KGgo=", outside.as_uri(), "file:///etc/passwd",
                    storage.backend().local_path(seal.image_path).as_uri(),     # the storage by path
                    f"coo-storage:{layout_key}", "coo-storage:seals/../layouts/x.pdf",
                    "coo-storage:seals/missing.png", "coo-storage:/etc/passwd",
                    (layouts.Path(app.static_folder) / ".." / "config" / "__init__.py").as_uri()):
            with pytest.raises(ValueError, match="refused"):
                fetcher.fetch(url)
    assert listening.connections == []


def test_the_sweep_enqueues_layouts_left_behind(app, authorised):
    with app.app_context():
        stuck = _cert("C")
        long_ago = utcnow() - datetime.timedelta(hours=1)
        Certificate.update(layout_updated_at=long_ago, updated_at=long_ago).where(Certificate.id == stuck.id).execute()
        fresh = _cert("A")
        Certificate.update(layout_updated_at=utcnow()).where(Certificate.id == fresh.id).execute()
        refused = _cert("G")
        layouts.run(refused.id)      # 海关端生成 with a reason: not the sweep's to retry
        Certificate.update(layout_updated_at=long_ago, updated_at=long_ago).where(Certificate.id == refused.id).execute()

        sweep.layouts()
        assert queue.job_status(f"layout-{stuck.id}") is not None
        assert queue.job_status(f"layout-{fresh.id}") is None
        assert queue.job_status(f"layout-{refused.id}") is None
        assert "layouts" in sweep.run()


def test_the_sweep_renders_again_layouts_made_with_a_superseded_authorisation(app, authorised, worker):
    with app.app_context():
        cert = _cert("K")
        assert layouts.run(cert.id) == "rendered"
        printed = _cert("N")
        assert layouts.run(printed.id) == "rendered"
        Certificate.update(print_status=enums.PrintStatus.PRINTED).where(Certificate.id == printed.id).execute()
        queue.redis().flushdb()
        assert sweep.layouts() == 0
        new = demo_layouts.authorise(cert.exporter, seal_diameter_mm=38.0)
        assert sweep.layouts() >= 1
        assert queue.job_status(f"layout-{cert.id}") is not None
        assert queue.job_status(f"layout-{printed.id}") is None
    worker.burst(queues=("layouts_bulk",))        # a re-render nobody waits for
    with app.app_context():
        assert Certificate.get_by_id(cert.id).layout_authorisation_id == new.id
        assert Certificate.get_by_id(printed.id).layout_authorisation_id != new.id


def test_the_demo_seed_enqueues_the_layouts(app):
    from coo.services import demo
    with app.app_context():
        app.config["DEMO_LAYOUTS"] = True
        try:
            assert demo.seed(n_certificates=16)
        finally:
            app.config["DEMO_LAYOUTS"] = False
        for exporter in Enterprise.select().where(Enterprise.is_exporter):
            assert Authorisation.latest_success(exporter) is not None
        ids = [c.id for c in Certificate.select(Certificate.id)]
        assert all(queue.job_status(f"layout-{i}") is not None for i in ids)
        assert queue.queue("layouts_bulk").count == len(ids)        # behind a new approval's
        assert Seal.select().count() == 2 and Signature.select().count() == 2
        assert Decimal(str(Seal.select().first().height_mm)) == Decimal("42.0")
