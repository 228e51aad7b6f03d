"""XSS: hostile text in every certificate field (and in names, audit details and query
parameters) is shown as text, never run: escaped in HTML, plain strings (no formulas) in Excel,
no script in PDFs. Every GET route is visited, so pages that land later are covered."""
import io
import re
import subprocess
from urllib.parse import urlencode

from peewee import CharField, TextField

from coo import enums, storage
from coo.models import AuditEvent, Certificate, Enterprise, ExportTask, GoodsLine, Operator, Seal, Signature
from coo.services import exports, layouts

from .conftest import Actor, log_in, own_certificates
from .routes import choice, converter_kind, is_ops, routes
from .test_isolation_matrix import own_values

SCRIPT = '<script>alert("xss")</script>'
IMG = '"><img src=x onerror=alert(1)>'
FORMULA = '=HYPERLINK("http://127.0.0.1:9/x","点我")'
PAYLOAD = f"{SCRIPT}{IMG}"
RAW_MARKERS = ("<script>alert(", "<img src=x onerror")
JS_URL = re.compile(r"""(href|src|action|formaction)\s*=\s*["']?\s*javascript:""", re.I)

# Query parameters the list pages may echo back (证书编号, 发票号, 申请人, ...).
REFLECTED_PARAMS = ("number", "certificate_number", "no", "invoice_number", "invoice", "q", "applicant",
                    "exporter", "person", "action", "consignee", "code", "reason", "details")

# Fields that hold codes with a fixed format (the payload would not be a valid value).
FORMAT_FIELDS = {"number", "cert_type", "importing_country_code", "layout_original_path", "layout_copy_path",
                 "layout_key", "currency", "platform", "layout_status", "print_status", "download_status",
                 "archive_status", "visa_seal_path", "visa_signature_path"}   # storage keys, not text


def _text_fields(model):
    return [f for f in model._meta.sorted_fields
            if isinstance(f, (CharField, TextField)) and f.name not in FORMAT_FIELDS
            and not getattr(f, "enum", None) and not f.unique]


def _poison(world):
    """Every free-text field of A's certificates and goods, and names shown around them."""
    a = world.enterprises["A"]
    for field in _text_fields(Certificate):
        value = (PAYLOAD if field.name != "remarks" else FORMULA + PAYLOAD)[: getattr(field, "max_length", None) or 10_000]
        Certificate.update({field: value}).where(Certificate.exporter == a).execute()
    certs = Certificate.select(Certificate.id).where(Certificate.exporter == a)
    for field in _text_fields(GoodsLine):
        value = (FORMULA if field.name == "description" else PAYLOAD)[: getattr(field, "max_length", None) or 10_000]
        GoodsLine.update({field: value}).where(GoodsLine.certificate.in_(certs)).execute()
    Operator.update(name=SCRIPT[:50]).where((Operator.enterprise == a) & ~Operator.is_legal_person).execute()
    for model in (Seal, Signature):   # names are unique per enterprise: the row id keeps them apart
        for row in model.select().where(model.enterprise == a):
            model.update(name=f"{PAYLOAD}{row.id}"[-100:]).where(model.id == row.id).execute()
    Enterprise.update(name_en=PAYLOAD).where(Enterprise.id == a.id).execute()
    AuditEvent.create(enterprise=a, actor=PAYLOAD[:100], login=IMG, action="xss_probe", target=PAYLOAD[:100],
                      detail=PAYLOAD)


def _url(route, world, actor):
    values = {}
    for name, converter in route.arguments:
        if (name, converter) in route.id_arguments and not is_ops(route):
            own = own_values(world, actor, route.kind_of(name, converter) or "")
            values[name] = own[0] if own else 2_000_000_000
        else:
            values[name] = choice(name, converter) or (0 if converter_kind(converter) == "int" else "default")
    return route.build(values)


def _inspect(response, url, problems, kinds):
    mimetype = response.mimetype or ""
    if response.status_code == 200:
        kinds.add(mimetype)
    data = response.get_data()
    if mimetype in ("text/html", "application/json") or mimetype.startswith("text/"):
        text = data.decode("utf-8", "replace")
        for marker in RAW_MARKERS:
            if marker in text:
                problems.append(f"{url}: raw {marker!r} in {mimetype}")
        if JS_URL.search(text):
            problems.append(f"{url}: javascript: URL")
    elif mimetype.endswith("spreadsheetml.sheet"):
        from openpyxl import load_workbook
        book = load_workbook(io.BytesIO(data))
        for sheet in book.worksheets:
            for row in sheet.iter_rows():
                for cell in row:
                    if cell.data_type == "f" or (isinstance(cell.value, str) and cell.value.startswith("=")):
                        problems.append(f"{url}: formula in Excel cell {sheet.title}!{cell.coordinate}: {cell.value!r}")
    elif mimetype == "application/pdf":
        for marker in (b"/JavaScript", b"/JS ", b"/JS(", b"/Launch", b"javascript:"):
            if marker in data:
                problems.append(f"{url}: {marker!r} in PDF")
        text = subprocess.run(["pdftotext", "-layout", "-", "-"], input=data, capture_output=True,
                              check=True).stdout.decode()
        if b"/Annot" in data and b"/URI" in data and b"127.0.0.1:9" in data:
            problems.append(f"{url}: a link annotation from certificate text in PDF")
        if "alert(" in text:
            kinds.add("pdf with the payload as text")
    response.close()


def test_hostile_text_is_inert_on_every_page(app, client, actions, world, demo):
    _poison(world)
    # A's 导出 Excel made again from the poisoned certificates (the file route serves it below).
    export_id = world.rows[("export", "A")][0]
    ExportTask.update(status=enums.ExportStatus.WAITING, file_path="").where(ExportTask.id == export_id).execute()
    with app.app_context():
        assert exports.run(export_id) == "complete"
        # ... and the 副本版式 A's first certificate shows, rendered by WeasyPrint from that data.
        cert = own_certificates(world, Actor("A"))[0]
        _, copy = layouts.render_certificate(Certificate.get_by_id(cert.id))
        layout, _ = storage.put(copy, "layouts", ".pdf")
    Certificate.update(layout_copy_path=layout, layout_status=enums.LayoutStatus.RECEIVED).where(
        Certificate.id == cert.id).execute()
    problems, seen, kinds = [], 0, set()
    gets = [r for r in routes(app) if "GET" in r.methods and r.endpoint != "static"]
    for actor in (Actor("A"), Actor("X", "A")):
        log_in(client, actions, world, actor, demo.DEMO_PIN)
        for route in gets:
            if is_ops(route):
                continue
            base = _url(route, world, actor)
            for url in (base, base + "?" + urlencode({p: PAYLOAD for p in REFLECTED_PARAMS})):
                for headers in ({}, {"HX-Request": "true"}):
                    _inspect(client.get(url, headers=headers), url, problems, kinds)
                    seen += 1
        actions.logout()
    actions.login_password("ops", demo.OPS_PASSWORD)
    for url in ("/ops/audit", "/ops/audit?" + urlencode({"person": PAYLOAD, "action": PAYLOAD})):
        response = client.get(url)
        if url == "/ops/audit":
            assert "&lt;script&gt;alert(" in response.get_data(as_text=True)   # shown, as text
        _inspect(response, url, problems, kinds)
    assert seen > 0
    # The poisoned data did reach a page, the Excel export and the PDF layout (as text).
    assert {"text/html", "application/pdf", "pdf with the payload as text"} <= kinds, kinds
    assert any(k.endswith("spreadsheetml.sheet") for k in kinds), kinds
    assert not problems, "\n".join(problems)


def test_a_hostile_login_name_is_echoed_as_text(client, demo, actions):
    response = client.post("/login/password", data={"username": PAYLOAD, "password": "x",
                                                     "csrf_token": actions.token()})
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "&lt;script&gt;" in html and SCRIPT not in html
