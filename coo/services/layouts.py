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
import logging
import math
import mimetypes
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urlsplit

from flask import current_app
from markupsafe import Markup

from coo import barcode, enums, storage
from coo.customs import offices
from coo.clock import utcnow
from coo.db import lock_rows, write_transaction
from coo.models import Authorisation, Certificate, GoodsLine
from coo.security import verification_code, verification_url
from coo.services import forms, rules

log = logging.getLogger(__name__)

# Part of layout_key: bump when the templates change in a way stored layouts must follow.
LAYOUT_VERSION = 2
FONT_STEPS_PT = (7.5, 7.0, 6.5)     # the smaller sizes an approved field may step down to ...
MIN_FONT_PT = 6.5                   # ... never below what a customs officer reads at arm's length
MAX_RENDERS = 5                     # measured once; only what does not fit is laid out again
# Every form is data (coo/services/forms.py) laid out by this template.
TEMPLATE = "layouts/form.html"
QR_MODULE_MM = 0.6          # version 5 (37 modules) → 22 mm symbol, 27 mm with the quiet zone
# A certificate whose approval carries no certification cannot be printed (shown as layout_error).
NO_CUSTOMS_CERTIFICATION = ("海关审批信息中没有签证机构的电子签证印章和签证官签名，证书不能自助打印：请联系签证机构重新下发，"
                            "或到签证机构打印。")


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
    return storage.exists(relative)


def layout_key(cert: Certificate, auth: Authorisation) -> str:
    """SHA-256 of everything the layout is made from."""
    seal, signature = auth.seal, auth.signature
    data = {
        "version": LAYOUT_VERSION,
        "certificate": {f: getattr(cert, f) for f in (
            "number", "cert_type_id", "invoice_number", "invoice_date", "exporter_text",
            "consignee_text", "producer_text", "importing_country", "transport_text",
            "departure_date", "remarks", "issue_date", "issuing_office", "third_party_invoicing",
            "exhibition", "back_to_back", "visa_officer_name", "visa_seal_path", "visa_seal_width_mm",
            "visa_seal_height_mm", "visa_signature_path", "visa_signature_width_mm",
            "visa_signature_height_mm", "original_certificate_number", "original_certificate_date")},
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
            .where((C.exporter == exporter) & rules.renewable_layout_condition()
                   & ((C.layout_authorisation_id != auth_id) | C.layout_authorisation_id.is_null()))
            .order_by(C.id))


def failed_layouts(limit: int = 50):
    """Certificates whose layout is 生成失败 (an approved field cannot be printed whole), newest
    first, for the ops page: the reason is `layout_error`."""
    return (Certificate.select().where(Certificate.layout_status == enums.LayoutStatus.FAILED)
            .order_by(Certificate.layout_updated_at.desc(), Certificate.id.desc()).limit(limit))


# --- the state machine (run by jobs.layouts.render_certificate) -----------------------------------

def run(certificate_id: int) -> str:
    """Bring one certificate's layout up to date. Idempotent; returns what it did:
    "missing", "blocked", "current", "final", "failed" (生成失败: cannot be printed whole) or
    "rendered"."""
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
        if cert.layout_status == enums.LayoutStatus.FAILED and cert.layout_key == key:
            return "failed"     # the same data cannot fit again: the reason is on the row
        if cert.layout_status in (enums.LayoutStatus.CUSTOMS_GENERATED, enums.LayoutStatus.FAILED):
            # 发送中: a worker has it. (A stored layout being refreshed stays 接收成功 meanwhile.)
            (Certificate.update(layout_status=enums.LayoutStatus.SENDING, layout_error="",
                                layout_updated_at=utcnow())
             .where((Certificate.id == cert.id)
                    & (Certificate.layout_status == cert.layout_status)).execute())
        try:
            original, copy = _render_pair(cert, auth)
        except LayoutUnavailable as refusal:
            # A field or the goods cannot be printed whole: 生成失败 with the reason (ops see it,
            # 查看解决办法 shows it), and a layout stored for older data stops being printable,
            # unless it was printed (or downloaded, archived) meanwhile: what is on paper stays.
            with write_transaction():
                lock_rows(Certificate, cert.id)     # a 是 or 下载正本 racing us goes first, or waits
                if layout_is_final(Certificate.get_by_id(cert.id)):
                    return "final"
                (Certificate.update(layout_status=enums.LayoutStatus.FAILED, layout_key=key,
                                    layout_error=str(refusal), layout_updated_at=utcnow())
                 .where(Certificate.id == cert.id).execute())
            log.warning("layout of certificate %s failed: %s", cert.number, refusal)
            return "failed"
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


@dataclass
class Fit:
    """How one approved field is printed: at `font_pt` (None: the stylesheet's size), and when
    `keep` is set, only its first `keep` lines in the box, the rest on the attached sheet."""
    font_pt: float | None = None
    keep: int | None = None


def _render_pair(cert, auth) -> tuple[bytes, bytes]:
    """The original and the copy, every approved word printed whole. The first render is
    measured once (goods rows and every `fit` field against its box); only what does not fit
    is laid out again with the form's remedies, in this order: long words already wrap at any
    character; a smaller font step (down to MIN_FONT_PT); the field's last lines, or the goods
    that do not fit boxes 5-10, continued on the attached sheet with a reference in the box.
    What still cannot be printed whole raises LayoutUnavailable: no layout, no original."""
    template = current_app.jinja_env.get_template(template_name(cert))
    context = layout_context(cert, auth)
    if not (context["visa"]["seal"] and context["visa"]["officer_signature"] and context["visa"]["officer_name"]):
        raise LayoutUnavailable(NO_CUSTOMS_CERTIFICATION)
    all_goods = context["goods"]
    fits: dict[str, Fit] = {}
    on_front = None                    # goods lines kept on the front once they did not all fit
    goods_total = len(all_goods)
    for _attempt in range(MAX_RENDERS):
        document = _document(template.render(context, is_copy=False))
        fitting, total = goods_fit(document)
        overflowing = field_overflows(document)
        if on_front is not None and fitting < on_front:
            raise LayoutUnavailable(
                f"货物共 {goods_total} 项，证书货物栏和附页都无法完整打印。为避免打印出的证书缺少货物，"
                "本证书不生成自助打印版式，请到签证机构打印。")
        if not overflowing and fitting >= total:
            break
        if fitting < total:
            goods_total = total
            on_front = max(fitting - 1, 0)  # one line of room for "continued on the attached sheet"
            context = dict(context, goods=all_goods[:on_front], continuation=all_goods[on_front:])
        for over in overflowing:
            fits[over.key] = _remedy(over, fits.get(over.key))
        context = dict(context, fits=dict(fits), continued=_continued(context["fields"], fits, overflowing,
                                                                      context["continued"]))
    else:
        names = "、".join(sorted({o.label for o in overflowing})) or "货物栏"
        raise LayoutUnavailable(f"{names}的内容在最小字号 {MIN_FONT_PT:g} pt 下仍无法在栏内和附页完整打印，"
                                "本证书不生成自助打印版式，请到签证机构打印。")
    copy = _document(template.render(context, is_copy=True))
    return document.write_pdf(), copy.write_pdf()


def _remedy(over, current: "Fit | None") -> Fit:
    """The next remedy for a field that overflows its box (LayoutUnavailable when none is left)."""
    current = current or Fit()
    font = current.font_pt or over.font_pt
    if font > MIN_FONT_PT + 0.01:
        # Text area grows with the square of the size: guess the step that fits in one go.
        wanted = font * math.sqrt(max(over.available, 1e-3) / over.needed) * 0.97
        steps = [s for s in FONT_STEPS_PT if s < font - 0.01]
        step = next((s for s in steps if s <= wanted), MIN_FONT_PT)
        return Fit(font_pt=step, keep=current.keep)
    if over.fixed:
        raise LayoutUnavailable(f"{over.label}的内容在最小字号 {MIN_FONT_PT:g} pt 下仍超出栏框，"
                                "不能完整打印，本证书不生成自助打印版式，请到签证机构打印。")
    # At the smallest size: keep the lines that fit with room for the reference, continue the rest.
    room = over.limit - over.line_height
    shown = over.lines_bottom if current.keep is None else over.lines_bottom[:current.keep]
    keep = sum(1 for bottom in shown if bottom <= room)
    if current.keep is not None:
        keep = min(keep, current.keep - 1)
    if keep < 0 or (current.keep == 0):
        raise LayoutUnavailable(f"{over.label}连同附页说明也无法在栏内打印，本证书不生成自助打印版式，请到签证机构打印。")
    return Fit(font_pt=MIN_FONT_PT, keep=keep)


def _continued(fields, fits, overflowing, previous):
    """The attached sheet's part for each field whose last lines continue there, in box order."""
    labels = {o.key: o.label for o in overflowing} | {p["key"]: p["label"] for p in previous}
    parts = []
    for key, fit in fits.items():
        if fit.keep is not None and key in fields:
            parts.append({"key": key, "label": labels.get(key, key),
                          "lines": (fields[key] or "").split("\n")[fit.keep:]})
    return sorted(parts, key=lambda p: _box_order(p["label"]))


def _box_order(label: str):
    digits = "".join(ch for ch in label if ch.isdigit())
    return int(digits) if digits else 999


def _goods(cert):
    return list(cert.goods.order_by(GoodsLine.line_no))


def template_name(cert) -> str:
    return TEMPLATE


def _date_en(value) -> str:
    return value.strftime("%b. %d, %Y").upper() if value else ""


def approved_fields(cert) -> dict:
    """The approved text printed in the boxes, by key (the `fit` macro prints `fields[key]`)."""
    transport = cert.transport_text or ""
    if cert.departure_date:
        transport = f"{transport}\nDEPARTURE DATE: {_date_en(cert.departure_date)}".lstrip("\n")
    remarks = cert.remarks or ""
    if cert.cert_type.code == "BR" or cert.original_certificate_number:
        original = (f"BACK-TO-BACK CO. ORIGINAL CERTIFICATE NO. {cert.original_certificate_number or 'N/A'}"
                    f"{' DATED ' + _date_en(cert.original_certificate_date) if cert.original_certificate_date else ''}")
        remarks = f"{original}\n{remarks}" if remarks else original
    return {"exporter_text": cert.exporter_text, "consignee_text": cert.consignee_text,
            "producer_text": cert.producer_text, "transport": transport,
            "importing_country": cert.importing_country, "remarks": remarks}


def _image(relative, width_mm, height_mm):
    if not relative:
        return None
    return {"src": storage_url(relative), "width_mm": float(width_mm), "height_mm": float(height_mm)}


def visa_of(cert) -> dict:
    """The issuing authority's certification customs sent with the approval: the office's visa
    seal and the authorised officer's name and signature (images stored with the certificate)."""
    return {"officer_name": cert.visa_officer_name,
            "seal": _image(cert.visa_seal_path, cert.visa_seal_width_mm, cert.visa_seal_height_mm),
            "officer_signature": _image(cert.visa_signature_path, cert.visa_signature_width_mm,
                                        cert.visa_signature_height_mm)}


def layout_context(cert, auth) -> dict:
    seal, signature = auth.seal, auth.signature
    url = verification_url(cert.number)
    import segno
    qr = segno.make(url, error="m", micro=False)
    retroactive = bool(cert.departure_date and cert.issue_date > cert.departure_date)
    columns = forms.goods_columns(cert.cert_type)
    return {
        "cert": cert,
        "ctype": cert.cert_type,
        "goods": _goods(cert),            # the lines on the front ...
        "continuation": [],               # ... and those on the attached sheet, when they do not fit
        "fields": approved_fields(cert),
        "fits": {},                       # key -> Fit: a smaller font, or the lines kept on the front
        "continued": [],                  # [{"label", "lines"}]: field text continued on the sheet
        "exporter": cert.exporter,
        "verify_url": url,
        "verify_code": verification_code(cert.number),
        "qr_svg": Markup(qr.svg_inline(scale=QR_MODULE_MM, border=4, unit="mm")),
        "seal_qr": _seal_qr(cert),
        "barcode_svg": Markup(barcode.svg(cert.number)),
        "seal": {"src": storage_url(seal.image_path),
                 "width_mm": float(seal.width_mm), "height_mm": float(seal.height_mm)},
        "signature": {"src": storage_url(signature.image_path),
                      "width_mm": float(signature.width_mm), "height_mm": float(signature.height_mm),
                      "name": signature.declarant.name},
        "office": offices.for_name(cert.issuing_office),
        "form": forms.form_for(cert.cert_type),
        "columns": columns,
        "widths": [c[2] for c in columns],
        "description_column": next(i for i, c in enumerate(columns) if c[3] in forms.DESCRIPTION_CELLS),
        "visa": visa_of(cert),
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


# Seal and signature images are read from the storage (local folder or object store) through
# this URL scheme, and only those two kinds: a template cannot pull a layout or an export.
STORAGE_SCHEME = "coo-storage"
STORAGE_IMAGE_KINDS = ("seals/", "signatures/", "visas/")   # visas/: the issuing office's seal and officer signature


def storage_url(key: str) -> str:
    return f"{STORAGE_SCHEME}:{storage.check_key(key)}"


def _roots() -> list[Path]:
    return [Path(current_app.static_folder).resolve()]


def url_fetcher():
    from weasyprint.urls import URLFetcher, URLFetcherResponse

    class LocalOnlyFetcher(URLFetcher):
        """Serves files of our static folder and the storage's seals and signatures; refuses
        every other URL (no network, no data: URLs, no other files), so a template can never
        make a request."""

        def __init__(self, roots):
            super().__init__(allowed_protocols=("file",))
            self.roots = roots

        def fetch(self, url, headers=None):
            if url.startswith(STORAGE_SCHEME + ":"):
                key = unquote(url[len(STORAGE_SCHEME) + 1:])
                try:
                    if not key.startswith(STORAGE_IMAGE_KINDS):
                        raise ValueError(key)
                    data = storage.read(storage.check_key(key))
                except (ValueError, storage.NotFound):
                    raise ValueError(f"refused (not a stored seal or signature): {url[:80]}") from None
                mime = mimetypes.guess_type(key)[0] or "application/octet-stream"
                return URLFetcherResponse(url, data, {"Content-Type": mime})
            parts = urlsplit(url)
            if parts.scheme != "file" or parts.netloc not in ("", "localhost"):
                raise ValueError(f"refused (not a local file): {url[:80]}")
            path = Path(unquote(parts.path)).resolve()
            if not any(root in path.parents for root in self.roots) or not path.is_file():
                raise ValueError(f"refused (outside static): {url[:80]}")
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


@dataclass
class Overflow:
    """A `fit` field whose text runs past its box: heights in CSS px of the render measured."""
    key: str
    label: str
    needed: float           # height of the text
    available: float        # room from the text's top to the box's content bottom
    limit: float            # the box's content bottom (page coordinates)
    font_pt: float          # the size it was laid out at
    line_height: float
    lines_bottom: list      # bottom of each source line (page coordinates)
    fixed: bool             # the form's own wording: never continued


def field_overflows(document, tolerance_px: float = 0.5) -> list[Overflow]:
    """The approved fields (elements marked data-fit) whose text does not fit the box they sit in
    (their parent box, fixed in size): measured on the layout WeasyPrint made, not guessed."""
    found = {}
    for page in document.pages:
        _walk_fits(page._page_box, None, found, tolerance_px)
    return list(found.values())


def _walk_fits(box, parent, found, tolerance_px):
    element = getattr(box, "element", None)
    key = element.get("data-fit") if element is not None and getattr(box, "element_tag", "") == "div" else None
    if key and parent is not None and type(box).__name__ in ("BlockBox", "InlineBlockBox"):
        limit = parent.content_box_y() + parent.height
        top = box.content_box_y()
        needed = box.height
        right = max((b.position_x + b.margin_width() for b in _boxes(box) if hasattr(b, "margin_width")),
                    default=0)
        too_wide = right > parent.content_box_x() + parent.width + tolerance_px
        if top + needed > limit + tolerance_px or too_wide:
            font_px = box.style["font_size"]
            found[key] = Overflow(
                key=key, label=element.get("data-label") or key, needed=needed,
                available=limit - top, limit=limit, font_pt=font_px * 0.75,
                line_height=font_px * 1.3,
                lines_bottom=[c.position_y + c.margin_height() for c in box.children
                              if "ln" in (c.element.get("class") or "").split() and "see" not in (c.element.get("class") or "")],
                fixed="fixed" in (element.get("class") or "").split())
        return
    # The box a field sits in is its nearest block ancestor (the sign boxes' text is an inline
    # block, inside a line, inside the fixed block).
    container = box if type(box).__name__ in ("BlockBox", "PageBox") else parent
    for child in getattr(box, "children", ()):
        _walk_fits(child, container, found, tolerance_px)
