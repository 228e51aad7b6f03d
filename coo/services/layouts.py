"""版式: the original and copy PDFs of a certificate, and 版式状态.

海关端生成 (approved, waiting) → 发送中 (a worker picked it up) → 接收成功 (both PDFs stored,
content-addressed, paths on the certificate). The layout carries the exporter's seal and the
declarant's signature of the authorisation in force (`Authorisation.latest_success`), also for a
certificate an agent declared. `layout_key` is a hash of everything the PDFs are made from (the
certificate, its goods, the seal and signature images, the verification link), so a layout is
re-rendered only when one of those changed — and never once the certificate was printed,
downloaded or archived: what the user holds on paper is what stays stored.

Speed: WeasyPrint's FontConfiguration and the parsed stylesheet are built once per process, and
seal/signature images are decoded once (they are content-addressed, so a cached one never goes
stale). Safety: the URL fetcher serves only our static folder and storage; everything else —
http, data:, other files — is refused, and certificate text is autoescaped by Jinja.
"""
import hashlib
import json
import mimetypes
from pathlib import Path
from urllib.parse import unquote, urlsplit

from flask import current_app
from markupsafe import Markup

from coo import barcode, enums, storage
from coo.clock import utcnow
from coo.db import lock_rows, write_transaction
from coo.models import Authorisation, Certificate, GoodsLine
from coo.security import verification_code, verification_url
from coo.services import rules

# Part of layout_key: bump when the templates change in a way stored layouts must follow.
LAYOUT_VERSION = 1
FAMILIES = {"E": "form_e", "RCEP": "rcep", "C": "general", "FTA": "fta", "PR": "processing",
            "TR": "reexport"}
QR_MODULE_MM = 0.6          # version 5 (37 modules) → 22 mm symbol, 27 mm with the quiet zone
OFFICES_EN = {"杭州海关": "HANGZHOU CUSTOMS", "宁波海关": "NINGBO CUSTOMS", "南京海关": "NANJING CUSTOMS",
              "上海海关": "SHANGHAI CUSTOMS", "广州海关": "GUANGZHOU CUSTOMS", "深圳海关": "SHENZHEN CUSTOMS",
              "青岛海关": "QINGDAO CUSTOMS", "天津海关": "TIANJIN CUSTOMS"}

class LayoutUnavailable(Exception):
    """The certificate cannot have a self-print layout; the message says why, in Chinese."""


# --- the rules -----------------------------------------------------------------------------------

def authorisation_in_force(cert: Certificate) -> Authorisation | None:
    """The exporter's authorisation whose seal and signature go on the layout."""
    return Authorisation.latest_success(cert.exporter_id)


def layout_blocker(cert: Certificate, auth: Authorisation | None = None) -> str | None:
    """Why this certificate gets no self-print layout, or None when it may have one. The rules
    decide (`coo.services.rules`, `Action.LAYOUT`: self-print type, approved at/after the
    exporter's first successful authorisation); `auth` is accepted for the callers that have it."""
    refused = rules.check(cert, None, rules.Action.LAYOUT)
    return refused.message if refused else None


# Printed, downloaded or archived: the stored layout is what was issued (the rules decide).
layout_is_final = rules.layout_is_final


def _stored(relative: str) -> bool:
    return bool(relative) and storage.path(relative).is_file()


def layout_key(cert: Certificate, auth: Authorisation) -> str:
    """SHA-256 of everything the layout is made from."""
    seal, signature = auth.seal, auth.signature
    data = {
        "version": LAYOUT_VERSION,
        "certificate": {f: getattr(cert, f) for f in (
            "number", "cert_type_id", "invoice_number", "invoice_date", "exporter_text",
            "consignee_text", "producer_text", "importing_country", "transport_text",
            "departure_date", "remarks", "issue_date", "issuing_office", "third_party_invoicing",
            "exhibition", "back_to_back")},
        "goods": [{f: getattr(g, f) for f in (
            "line_no", "marks", "description", "hs_code", "quantity", "origin_criterion",
            "fob_value", "currency", "invoice_ref")} for g in _goods(cert)],
        "seal": [seal.image_sha256, seal.height_mm, seal.width_mm],
        "signature": [signature.image_sha256, signature.height_mm, signature.width_mm,
                      signature.declarant.name],
        "verify": verification_url(cert.number),
    }
    blob = json.dumps(data, sort_keys=True, default=str, ensure_ascii=False).encode()
    return hashlib.sha256(blob).hexdigest()


def layout_is_current(cert: Certificate) -> bool:
    """接收成功 with both PDFs stored, made from today's data and authorisation (or final)."""
    if cert.layout_status != enums.LayoutStatus.RECEIVED:
        return False
    if not (_stored(cert.layout_original_path) and _stored(cert.layout_copy_path)):
        return False
    if layout_is_final(cert):
        return True
    auth = authorisation_in_force(cert)
    return auth is not None and layout_blocker(cert, auth) is None and cert.layout_key == layout_key(cert, auth)


def job_id(cert_id) -> str:
    return f"layout-{cert_id}"


def request_layout(cert: Certificate):
    """Ask a worker for this certificate's layout unless the stored one is current.
    Returns the RQ job, or None when nothing is to do or the job is already queued/running."""
    if layout_is_current(cert):
        return None
    return enqueue_render(cert.id)


def enqueue_render(certificate_id: int, queue_name: str = "layouts"):
    """Enqueue the layout job (job id ``layout-<id>``, queue ``layouts``, or ``layouts_bulk`` for
    batches nobody waits for); None if already live."""
    from coo.queue import enqueue
    return enqueue("jobs.layouts.render_certificate", certificate_id, job_id=job_id(certificate_id),
                   queue_name=queue_name)


def request_layouts_for(exporter, limit: int | None = None) -> int:
    """After an exporter's authorisation changed (call it from the 成功 receipt, or let the sweep
    find them): re-render its layouts that carry another authorisation and are not final yet.
    Returns how many jobs were enqueued."""
    auth = Authorisation.latest_success(exporter)
    if auth is None:
        return 0
    rows = _outdated_query(exporter, auth.id)
    if limit is not None:
        rows = rows.limit(limit)
    from coo.queue import BULK_LAYOUTS
    return sum(1 for row in rows if enqueue_render(row.id, BULK_LAYOUTS) is not None)


def _outdated_query(exporter, auth_id):
    C = Certificate
    return (C.select(C.id)
            .where((C.exporter == exporter) & (C.layout_status == enums.LayoutStatus.RECEIVED)
                   & (C.archive_status == enums.ArchiveStatus.UNARCHIVED)
                   & (C.print_status == enums.PrintStatus.PENDING)
                   & (C.download_status == enums.DownloadStatus.PENDING)
                   & ((C.layout_authorisation_id != auth_id) | C.layout_authorisation_id.is_null()))
            .order_by(C.id))


# --- the state machine (run by jobs.layouts.render_certificate) -----------------------------------

def run(certificate_id: int) -> str:
    """Bring one certificate's layout up to date. Idempotent; returns what it did:
    "missing", "blocked", "current", "final" or "rendered"."""
    for _ in range(3):
        cert = Certificate.get_or_none(Certificate.id == certificate_id)
        if cert is None:
            return "missing"
        if layout_is_final(cert):
            return "final"
        auth = authorisation_in_force(cert)
        blocker = layout_blocker(cert, auth)
        if blocker is not None:
            if cert.layout_status != enums.LayoutStatus.RECEIVED:
                (Certificate.update(layout_status=enums.LayoutStatus.CUSTOMS_GENERATED,
                                    layout_error=blocker, layout_updated_at=utcnow())
                 .where((Certificate.id == cert.id)
                        & (Certificate.layout_status != enums.LayoutStatus.RECEIVED)).execute())
            return "blocked"
        key = layout_key(cert, auth)
        if (cert.layout_status == enums.LayoutStatus.RECEIVED and cert.layout_key == key
                and _stored(cert.layout_original_path) and _stored(cert.layout_copy_path)):
            return "current"
        if cert.layout_status == enums.LayoutStatus.CUSTOMS_GENERATED:
            # 发送中: a worker has it. (A stored layout being refreshed stays 接收成功 meanwhile.)
            (Certificate.update(layout_status=enums.LayoutStatus.SENDING, layout_error="",
                                layout_updated_at=utcnow())
             .where((Certificate.id == cert.id)
                    & (Certificate.layout_status == enums.LayoutStatus.CUSTOMS_GENERATED)).execute())
        try:
            original, copy = _render_pair(cert, auth)
        except LayoutUnavailable as refusal:
            # E.g. more goods than the boxes hold. A layout stored for older data must not stay
            # printable either: the certificate goes back to 海关端生成 with the reason, unless
            # it was printed (or downloaded, archived) meanwhile: what is on paper stays.
            with write_transaction():
                lock_rows(Certificate, cert.id)     # a 是 or 下载正本 racing us goes first, or waits
                if layout_is_final(Certificate.get_by_id(cert.id)):
                    return "final"
                (Certificate.update(layout_status=enums.LayoutStatus.CUSTOMS_GENERATED,
                                    layout_error=str(refusal), layout_updated_at=utcnow())
                 .where(Certificate.id == cert.id).execute())
            return "blocked"
        original_path, _ = storage.put(original, "layouts", ".pdf")
        copy_path, _ = storage.put(copy, "layouts", ".pdf")
        with write_transaction():
            lock_rows(Certificate, cert.id)
            fresh = Certificate.get_by_id(cert.id)
            fresh_auth = authorisation_in_force(fresh)
            if layout_is_final(fresh):
                return "final"
            if fresh_auth is None or layout_key(fresh, fresh_auth) != key:
                continue     # the data or the authorisation moved while we rendered: again
            (Certificate.update(layout_status=enums.LayoutStatus.RECEIVED,
                                layout_original_path=original_path, layout_copy_path=copy_path,
                                layout_key=key, layout_error="", layout_authorisation_id=auth.id,
                                layout_updated_at=utcnow())
             .where(Certificate.id == cert.id).execute())
        return "rendered"
    raise RuntimeError(f"certificate {certificate_id} kept changing while its layout was rendered")


# --- rendering ----------------------------------------------------------------------------------

def render_certificate(certificate: Certificate) -> tuple[bytes, bytes]:
    """(original PDF, copy PDF) of a certificate, with the authorisation in force.
    Raises LayoutUnavailable when it cannot have a self-print layout."""
    auth = authorisation_in_force(certificate)
    blocker = layout_blocker(certificate, auth)
    if blocker is not None:
        raise LayoutUnavailable(blocker)
    return _render_pair(certificate, auth)


def _render_pair(cert, auth) -> tuple[bytes, bytes]:
    """The original and the copy. Goods that do not fit boxes 5-10 continue on an attached
    sheet: the front keeps the lines that fit and says where the rest is; no line is ever cut
    off (LayoutUnavailable if even that cannot be laid out)."""
    template = current_app.jinja_env.get_template(template_name(cert))
    context = layout_context(cert, auth)
    original = _document(template.render(context, is_copy=False))
    fitting, total = goods_fit(original)
    if fitting < total:
        on_front = max(fitting - 1, 0)     # one line of room for "continued on the attached sheet"
        context = dict(context, goods=context["goods"][:on_front], continuation=context["goods"][on_front:])
        original = _document(template.render(context, is_copy=False))
        if goods_fit(original)[0] < on_front:
            raise LayoutUnavailable(
                f"货物共 {total} 项，证书货物栏和附页都无法完整打印。为避免打印出的证书缺少货物，"
                "本证书不生成自助打印版式，请到签证机构打印。")
    copy = _document(template.render(context, is_copy=True))
    return original.write_pdf(), copy.write_pdf()


def _goods(cert):
    return list(cert.goods.order_by(GoodsLine.line_no))


def template_name(cert) -> str:
    return f"layouts/{FAMILIES.get(cert.cert_type.form_family, 'general')}.html"


def layout_context(cert, auth) -> dict:
    seal, signature = auth.seal, auth.signature
    url = verification_url(cert.number)
    import segno
    qr = segno.make(url, error="m", micro=False)
    retroactive = bool(cert.departure_date and cert.issue_date > cert.departure_date)
    return {
        "cert": cert,
        "ctype": cert.cert_type,
        "goods": _goods(cert),            # the lines on the front ...
        "continuation": [],               # ... and those on the attached sheet, when they do not fit
        "exporter": cert.exporter,
        "verify_url": url,
        "verify_code": verification_code(cert.number),
        "qr_svg": Markup(qr.svg_inline(scale=QR_MODULE_MM, border=4, unit="mm")),
        "seal_qr": _seal_qr(cert),
        "barcode_svg": Markup(barcode.svg(cert.number)),
        "seal": {"src": storage.path(seal.image_path).as_uri(),
                 "width_mm": float(seal.width_mm), "height_mm": float(seal.height_mm)},
        "signature": {"src": storage.path(signature.image_path).as_uri(),
                      "width_mm": float(signature.width_mm), "height_mm": float(signature.height_mm),
                      "name": signature.declarant.name},
        "office_en": OFFICES_EN.get(cert.issuing_office, cert.issuing_office),
        "flags": {"retroactive": retroactive,
                  "back_to_back": cert.back_to_back or cert.cert_type.code == "BR",
                  "third_party": cert.third_party_invoicing, "exhibition": cert.exhibition,
                  "movement": cert.back_to_back},
    }


def _seal_qr(cert) -> dict:
    """The self-verifying QR (coo/proof/qr.py): signed data an officer checks offline."""
    from coo.proof import qr as seal
    svg, width_mm = seal.symbol_svg(seal.seal_text(cert, verification_code(cert.number)))
    return {"svg": Markup(svg), "width_mm": width_mm,
            "keys_url": current_app.config["PUBLIC_BASE_URL"].rstrip("/") + "/.well-known/coo-keys.json"}


def layout_html(cert, auth) -> tuple[str, str]:
    """The HTML of the original and of the copy (same template, marked differently)."""
    template = current_app.jinja_env.get_template(template_name(cert))
    context = layout_context(cert, auth)
    return template.render(context, is_copy=False), template.render(context, is_copy=True)


# --- WeasyPrint, warm and local-only ------------------------------------------------------------

_weasy = {}
_IMAGE_CACHE_MAX = 64


def _roots() -> list[Path]:
    return [Path(current_app.static_folder).resolve(), storage.root().resolve()]


def url_fetcher():
    from weasyprint.urls import URLFetcher, URLFetcherResponse

    class LocalOnlyFetcher(URLFetcher):
        """Serves files of our static folder and storage; refuses every other URL (no network,
        no data: URLs, no other files), so a template can never make a request."""

        def __init__(self, roots):
            super().__init__(allowed_protocols=("file",))
            self.roots = roots

        def fetch(self, url, headers=None):
            parts = urlsplit(url)
            if parts.scheme != "file" or parts.netloc not in ("", "localhost"):
                raise ValueError(f"refused (not a local file): {url[:80]}")
            path = Path(unquote(parts.path)).resolve()
            if not any(root in path.parents for root in self.roots) or not path.is_file():
                raise ValueError(f"refused (outside static and storage): {url[:80]}")
            mime = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
            return URLFetcherResponse(path.as_uri(), path.read_bytes(), {"Content-Type": mime})

    return LocalOnlyFetcher(_roots())


def _warm():
    """Font configuration, fetcher and parsed stylesheet: once per process (and storage root)."""
    roots = tuple(_roots())
    if _weasy.get("roots") != roots:
        from weasyprint import CSS
        from weasyprint.text.fonts import FontConfiguration
        fonts = FontConfiguration()
        fetcher = url_fetcher()
        css_path = Path(current_app.static_folder) / "css" / "layout.css"
        _weasy.update(roots=roots, fonts=fonts, fetcher=fetcher, images={},
                      css=[CSS(filename=str(css_path), font_config=fonts, url_fetcher=fetcher)])
    if len(_weasy["images"]) > _IMAGE_CACHE_MAX:
        _weasy["images"].clear()
    return _weasy


def stylesheet_text() -> str:
    """The layout stylesheet, for a benchmark that renders the same HTML with bare WeasyPrint."""
    return (Path(current_app.static_folder) / "css" / "layout.css").read_text()


def _document(html: str):
    """A layout laid out by WeasyPrint (fonts, stylesheet and images warm), not yet a PDF."""
    from weasyprint import HTML
    warm = _warm()
    return HTML(string=html, base_url=Path(current_app.static_folder).resolve().as_uri() + "/",
                url_fetcher=warm["fetcher"]).render(stylesheets=warm["css"], font_config=warm["fonts"],
                                                    cache=warm["images"])


def _boxes(box):
    yield box
    for child in getattr(box, "children", ()):
        yield from _boxes(child)


def _tag(element) -> str:
    return element.tag.rsplit("}", 1)[-1]


def _is_goods_row(tr) -> bool:
    """A row of the goods table's body, not its header or the closing asterisks."""
    return "end-row" not in (tr.get("class") or "").split() and not any(
        _tag(cell) == "th" for cell in tr)


def goods_fit(document, tolerance_pt: float = 0.5) -> tuple[int, int]:
    """(goods lines laid out wholly inside the goods boxes, goods lines) of a rendered layout:
    the zone clips what runs past its bottom edge, so compare each row with that edge."""
    fitting = total = 0
    for page in document.pages:
        for box in _boxes(page._page_box):
            element = getattr(box, "element", None)
            if (element is None or getattr(box, "element_tag", "") != "div"
                    or "goods" not in (element.get("class") or "").split()):
                continue
            # Rows are counted in the document (rows past the page end may not be laid out at
            # all) and measured where they were laid out.
            total += sum(1 for tr in element.iter() if _tag(tr) == "tr" and _is_goods_row(tr))
            bottom = box.content_box_y() + box.height + tolerance_pt
            for group in _boxes(box):
                if type(group).__name__ != "TableRowGroupBox" or group.is_header or group.is_footer:
                    continue
                fitting += sum(1 for row in group.children if _is_goods_row(row.element)
                               and row.position_y + row.margin_height() <= bottom)
    return fitting, total
