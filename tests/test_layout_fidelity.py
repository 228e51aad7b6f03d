"""What a foreign customs officer checks on paper: for each of the 12 types, an adversarial approved
record (every text field at its schema maximum, unbroken 60-character words, 6-line addresses,
40 goods lines) renders an original and a copy, and the PDFs read back prove that

- every approved word is in the text layer (in drawing order, so a word wrapped at any character
  reads whole),
- every word on every page is visible: inside the page's printable area and drawn in ink in a
  300-dpi-equivalent raster (a word clipped at its box edge stays in the text layer but leaves no
  ink; a word under an opaque COPY mark is light grey, not ink),
- no image (exporter seal, declarant signature, customs visa seal, officer signature) covers any
  word: captions, printed dates and approved text stay readable, and each image stays inside its
  half of the page (the declaration or the certification box),
- every page carries the certificate number, ORIGINAL or COPY, and "page N of M" over the whole
  document; a field continued on the attached sheet says so in its box.
"""
import datetime
import io
import json
import math
import re
import subprocess
from pathlib import Path

import pytest
from PIL import Image
from pypdf import PdfReader
from pypdf.generic import ContentStream

from customs_helpers import forget_demo_authorisations
from coo import enums
from coo.clock import utcnow
from coo.customs import offices, visa
from coo.models import Certificate, Enterprise
from coo.services import demo_layouts, intake, layouts

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parent.parent
SCHEMA = json.loads((ROOT / "docs" / "certificate.schema.json").read_text(encoding="utf-8"))
TOP = SCHEMA["properties"]
GOODS = SCHEMA["properties"]["goods"]["items"]["properties"]
DPI = 100                 # enough to see ink under 6.5 pt glyphs; 300 dpi gives the same verdicts
MM = 72 / 25.4            # PDF points per mm
INK = 200                 # a grey level below this is ink (the copy mark is #e6e6e6 = 230, paper 255)

# The 12 types with electronic download, each to a country its agreement covers.
TYPES = {"E": "INDONESIA", "C": "UNITED STATES OF AMERICA", "A": "AUSTRALIA", "K": "KOREA",
         "F": "CHILE", "N": "NEW ZEALAND", "X": "SINGAPORE", "B": "INDIA", "PR": "GERMANY",
         "TR": "UNITED KINGDOM", "RC": "JAPAN", "BR": "JAPAN"}
# The approved fields each form has a box for (Form E, the general CO, processing and re-export
# certificates, China-Singapore and APTA have no producer box).
NO_PRODUCER = {"E", "C", "PR", "TR", "X", "B"}


def _word(tag: str, length: int = 60) -> str:
    """An unbroken word of `length` characters that starts with a recognisable tag."""
    return (tag + "".join(chr(ord("A") + (i * 7 + len(tag)) % 26) for i in range(length)))[:length]


def _text_at(limit: int, tag: str, lines: int = 6) -> str:
    """Exactly `limit` characters over `lines` lines, each starting with a 60-character word."""
    per_line = (limit - (lines - 1)) // lines
    out = []
    for n in range(lines):
        width = per_line if n < lines - 1 else limit - (lines - 1) - per_line * (lines - 1)
        words = [_word(f"{tag}{n}W", min(60, width))]
        k = 0
        while len(" ".join(words)) < width:
            words.append(f"{tag[:2]}{n}{k}")
            k += 1
        out.append(" ".join(words)[:width].rstrip() or "X")
    text = "\n".join(out)
    return (text + "Z" * limit)[:limit]


def adversarial_record(code: str, exporter, sequence: int) -> dict:
    today = datetime.date.today()
    office = "3100"
    goods = []
    for n in range(1, 41):
        goods.append({
            "line_no": n,
            "marks": _text_at(GOODS["marks"]["maxLength"], f"MK{n:02d}", lines=2),
            "description": _text_at(GOODS["description"]["maxLength"], f"DS{n:02d}", lines=3),
            "hs_code": "6109.10.00",
            "quantity": _word(f"Q{n:02d}", GOODS["quantity"]["maxLength"]),
            "origin_criterion": {"TR": "JAPAN", "PR": "ASSEMBLY OF IMPORTED PARTS", "B": "A"}.get(code, "WO"),
            "fob_value": "123456789.99", "currency": "USD",
            "invoice_ref": _word(f"IR{n:02d}", GOODS["invoice_ref"]["maxLength"]),
        })
    return {
        "number": f"{code}{today:%y}{office}{sequence:0{15 - 2 - len(office)}d}",
        "type": code,
        "invoice_number": _word("INV", TOP["invoice_number"]["maxLength"]),
        "invoice_date": today.isoformat(),
        "exporter_uscc": exporter.uscc, "applicant_uscc": exporter.uscc,
        "exporter_text": _text_at(TOP["exporter_text"]["maxLength"], "EX"),
        "consignee_text": _text_at(TOP["consignee_text"]["maxLength"], "CN"),
        "producer_text": _text_at(TOP["producer_text"]["maxLength"], "PD"),
        "importing_country": TYPES[code],
        "transport_text": _text_at(TOP["transport_text"]["maxLength"], "TP", lines=4),
        "departure_date": today.isoformat(),
        "remarks": _text_at(TOP["remarks"]["maxLength"], "RM"),
        "third_party_invoicing": True,
        "issue_date": today.isoformat(), "issuing_office": "宁波海关",
        "approved_at": utcnow().replace(tzinfo=datetime.timezone.utc).isoformat(timespec="seconds"),
        "goods": goods,
        "certification": visa.certification_for(offices.find("宁波海关")),
        **({"original_certificate_number": _word("ORIG", TOP["original_certificate_number"]["maxLength"]),
            "original_certificate_date": today.isoformat()} if code == "BR" else {}),
    }


def approved_words(record: dict, code: str) -> list[str]:
    fields = ["exporter_text", "consignee_text", "transport_text", "remarks", "importing_country",
              "invoice_number"] + (["original_certificate_number"] if code == "BR" else [])
    if code not in NO_PRODUCER:
        fields.append("producer_text")
    words = [w for f in fields for w in record[f].split()] + [record["certification"]["officer_name"]]
    for line in record["goods"]:
        cells = ["marks", "description", "hs_code", "quantity", "invoice_ref"]
        if code != "C":                       # the general CO has no origin criterion column
            cells.append("origin_criterion")
        words += [w for c in cells for w in line[c].split()]
    return words


# --- reading the PDF back -------------------------------------------------------------------------

def _squeeze(text: str) -> str:
    return re.sub(r"\s+", "", text)


def raw_text(pdf: bytes) -> str:
    """The text layer in drawing order (pdftotext -raw): a wrapped word's pieces are adjacent."""
    return subprocess.run(["pdftotext", "-raw", "-", "-"], input=pdf, capture_output=True, check=True).stdout.decode()


WORD_RE = re.compile(r'<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">([^<]*)</word>')


def words_by_page(pdf: bytes) -> list[list[tuple]]:
    """[(x0, y0, x1, y1, text)] per page, in PDF points from the top left (pdftotext -bbox)."""
    html = subprocess.run(["pdftotext", "-bbox", "-", "-"], input=pdf, capture_output=True, check=True).stdout.decode()
    pages = html.split("<page ")[1:]
    return [[(float(a), float(b), float(c), float(d), t) for a, b, c, d, t in WORD_RE.findall(p)] for p in pages]


def rasters(pdf: bytes, tmp: Path, stem: str) -> list[Image.Image]:
    subprocess.run(["pdftoppm", "-gray", "-r", str(DPI), "-", str(tmp / stem)], input=pdf, check=True)
    return [Image.open(p).convert("L") for p in sorted(tmp.glob(f"{stem}-*.pgm"),
                                                       key=lambda p: int(p.stem.rsplit("-", 1)[1]))]


def has_ink(image: Image.Image, box) -> bool:
    x0, y0, x1, y1 = (v * DPI / 72 for v in box)
    crop = image.crop((math.floor(x0), math.floor(y0), math.ceil(x1), math.ceil(y1)))
    return crop.getextrema()[0] < INK


def placed_images(pdf: bytes) -> list[list[tuple]]:
    """(x0, y0, x1, y1) in points from the top left of every raster image drawn, per page."""
    reader = PdfReader(io.BytesIO(pdf))
    result = []
    for page in reader.pages:
        height = float(page.mediabox.height)
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
                    ctm = _concat([float(x) for x in operands], ctm)
                elif op == b"Do":
                    obj = xobjects[operands[0]].get_object()
                    if obj["/Subtype"] == "/Image":
                        corners = [(ctm[0] * u + ctm[2] * v + ctm[4], ctm[1] * u + ctm[3] * v + ctm[5])
                                   for u, v in ((0, 0), (1, 0), (0, 1), (1, 1))]
                        xs, ys = [c[0] for c in corners], [c[1] for c in corners]
                        found.append((min(xs), height - max(ys), max(xs), height - min(ys)))
                    elif obj["/Subtype"] == "/Form":
                        inner = _concat([float(x) for x in obj.get("/Matrix", [1, 0, 0, 1, 0, 0])], ctm)
                        walk(obj, obj.get("/Resources"), inner)

        walk(page.get_contents(), page.get("/Resources"), (1, 0, 0, 1, 0, 0))
        result.append(found)
    return result


def _concat(m, ctm):
    a, b, c, d, e, f = m
    A, B, C, D, E, F = ctm
    return (a * A + b * C, a * B + b * D, c * A + d * C, c * B + d * D, e * A + f * C + E, e * B + f * D + F)


def _overlap(a, b, slack=0.3):
    return a[0] < b[2] - slack and b[0] < a[2] - slack and a[1] < b[3] - slack and b[1] < a[3] - slack


# --- the suite ------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def fidelity(request, tmp_path_factory):
    """Filled per test by `_render` (module scope keeps the expensive demo set-up once)."""
    return {}


@pytest.fixture
def authorised_exporter(app, demo):
    forget_demo_authorisations()
    with app.app_context():
        exporter = Enterprise.get(Enterprise.customs_code == "3301960001")
        demo_layouts.authorise(exporter, 40.0, (32.0, 14.0),
                               receipt_at=utcnow() - datetime.timedelta(days=200))
        return exporter


@pytest.mark.parametrize("code", list(TYPES))
def test_every_approved_word_is_printed_whole_and_visible(app, authorised_exporter, tmp_path, artifacts, code):
    with app.app_context():
        record = adversarial_record(code, authorised_exporter, 900000 + list(TYPES).index(code))
        cert = intake.import_certificate(record)
        original, copy = layouts.render_certificate(Certificate.get_by_id(cert.id))
    (artifacts / "fidelity").mkdir(parents=True, exist_ok=True)
    (artifacts / "fidelity" / f"{code}-original.pdf").write_bytes(original)
    (artifacts / "fidelity" / f"{code}-copy.pdf").write_bytes(copy)
    expected = approved_words(record, code)
    for pdf, mark in ((original, "ORIGINAL"), (copy, "COPY")):
        text = _squeeze(raw_text(pdf))
        missing = [w for w in expected if _squeeze(w) not in text]
        assert not missing, f"{code} {mark}: approved words not in the text layer: {missing[:5]}"

        pages = words_by_page(pdf)
        images = placed_images(pdf)
        raster = rasters(pdf, tmp_path, mark)
        count = len(pages)
        assert count >= 3 and len(raster) == count == len(images)
        width_pt, height_pt = 210 * MM, 297 * MM
        for n, (words, placed, image) in enumerate(zip(pages, images, raster), start=1):
            page_text = " ".join(w[4] for w in words)
            # the header and footer of every page
            assert cert.number in page_text, (code, mark, n)
            assert (("COPY" in page_text) if mark == "COPY" else ("ORIGINAL" in page_text and "COPY" not in page_text))
            assert f"page {n} of {count}" in page_text, (code, mark, n, page_text[-120:])
            for x0, y0, x1, y1, word in words:
                if mark == "COPY" and word in {"C", "O", "P", "Y", "副", "本", "COPY", "副本"} and y1 - y0 > 30:
                    continue                      # the copy's mark itself (24 mm glyphs), beneath everything
                where = f"{code} {mark} page {n}: {word!r} at ({x0:.0f}, {y0:.0f})"
                assert 5 * MM <= x0 and x1 <= width_pt - 5 * MM and 4 * MM <= y0 and y1 <= height_pt - 4 * MM, \
                    f"{where} is outside the printable area"
                assert has_ink(image, (x0, y0, x1, y1)), f"{where} is not visible (clipped or covered)"
                for rect in placed:
                    assert not _overlap(rect, (x0, y0, x1, y1)), f"{where} is covered by an image at {rect}"
            for rect in placed:
                # inside the page, and within the declaration's or the certification's half
                middle = 10 * MM + 95 * MM
                assert rect[0] >= 10 * MM - 0.5 and rect[2] <= width_pt - 10 * MM + 0.5
                assert rect[2] <= middle + 0.5 or rect[0] >= middle - 0.5, f"{code} {mark} image {rect} straddles boxes"
        everything = " ".join(w[4] for p in pages for w in p)
        assert "SEE ATTACHED SHEET" in everything and "ATTACHED SHEET" in " ".join(w[4] for w in pages[2])
        last = " ".join(w[4] for w in pages[-1])
        assert "Declaration" in last and "Certification" in last, "the attached sheet ends with both references"
        # the exporter's seal and signature, the customs visa seal and the officer's signature, at
        # their real size, on the front and on the attached sheet
        for page in (images[0], images[-1]):
            sizes = sorted((round((r[2] - r[0]) / MM), round((r[3] - r[1]) / MM)) for r in page)
            assert sizes == [(30, 11), (32, 14), (38, 38), (40, 40)], sizes


def test_a_field_that_cannot_be_printed_whole_fails_the_layout_with_a_reason(app, demo):
    """The declaration is the form's own wording: it is never continued. With a 56 mm company seal
    the room left in box 15 cannot hold the RCEP declaration and a 64-character importing country
    even at 6.5 pt: the layout fails (生成失败, the reason on the row), no original is stored, and
    the same data is not rendered again."""
    forget_demo_authorisations()
    with app.app_context():
        exporter = Enterprise.get(Enterprise.customs_code == "3301960001")
        demo_layouts.authorise(exporter, 56.0, (32.0, 14.0), receipt_at=utcnow() - datetime.timedelta(days=200))
        record = adversarial_record("RC", exporter, 999001)
        cert = intake.import_certificate(record)
        Certificate.update(importing_country=_word("CTRY", TOP["importing_country"]["maxLength"])).where(
            Certificate.id == cert.id).execute()
        assert layouts.run(cert.id) == "failed"
        after = Certificate.get_by_id(cert.id)
        assert after.layout_status == enums.LayoutStatus.FAILED and after.layout_status.label == "生成失败"
        assert "Box 15" in after.layout_error and "6.5 pt" in after.layout_error
        assert after.layout_original_path == "" and after.layout_copy_path == ""
        assert layouts.run(cert.id) == "failed", "the same data is not rendered again"
