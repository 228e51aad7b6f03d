"""证书打印 (manual 4.1, 4.2, 4.4): the 证书查询区 + 证书展示区 list, 查看解决办法, 导出 Excel.

One route serves the page and, for htmx, only its `results` block; the same URL works without
JavaScript. What a certificate allows is `coo.services.rules`; the list is
`coo.services.certificates`, the export `coo.services.exports`.
"""
import re

from flask import Blueprint, abort, current_app, request, send_file, url_for
from flask_login import current_user
from markupsafe import Markup, escape

from coo import enums, storage
from coo.clock import utcnow
from coo.services import audit, certificates, exports, rules
from coo.services.access import current_view
from coo.services.accounts import enterprise_required
from coo.web.forms import ExportForm
from coo.web.htmx import render, see_other
from coo.web.signing import csrf_token

bp = Blueprint("certificates", __name__, url_prefix="/certificates")

PRINT_ENDPOINT = "printing.create_jobs"
COPY_ENDPOINT = "printing.copy_pdf"
JOBS_ENDPOINT = "printing.jobs"


class _ListURLs:
    """The URLs of the list fragment, which depend only on the app's URL map and the script
    root: built once per app (url_for is about 10 µs each)."""
    __slots__ = ("index", "export", "print", "jobs", "jobs_html", "_copy")

    def __init__(self):
        self.index, self.export = url_for("certificates.index"), url_for("certificates.export")
        self.print, self.jobs = url_for(PRINT_ENDPOINT), url_for(JOBS_ENDPOINT)
        self.jobs_html = _e(self.jobs)
        (argument,) = next(current_app.url_map.iter_rules(COPY_ENDPOINT)).arguments
        marker = "987654321987"
        self._copy = tuple(_e(part) for part in url_for(COPY_ENDPOINT, **{argument: int(marker)}).split(marker))

    def copy_html(self, certificate_id) -> str:
        """The row's 预览/下载副本 URL, HTML-escaped (formatted from the URL built once)."""
        head, tail = self._copy
        return f"{head}{int(certificate_id)}{tail}"


def _list_urls() -> _ListURLs:
    kept = current_app.extensions.setdefault("coo_list_urls", {})
    key = request.script_root
    if key not in kept:
        kept[key] = _ListURLs()
    return kept[key]


def _unindented(html: str) -> str:
    """`html` without its source indentation (each line stays a line: the same whitespace for
    the browser; the fragment of 20 rows is about a sixth smaller)."""
    return "\n".join(line.strip() for line in html.strip().splitlines()) + "\n"


# The list's hot path: a row is one string format with the certificate's text escaped (Jinja
# per row cost a third of the request). The table around it is in certificates/index.html.
ROW_HTML = _unindented("""
        <tr>
          <td><input type="checkbox" name="ids" value="%(id)s" aria-label="选择 %(number)s"%(off_any)s></td>
          <td>%(index)s</td>
          <td>%(number)s</td>
          <td>%(invoice)s</td>
          <td>%(applicant)s</td>
          <td>%(exporter)s</td>
          <td title="%(type_code)s">%(type_name)s</td>
          <td>%(issued)s</td>
          <td class="%(layout_class)s">%(layout)s</td>
          <td>%(archive)s</td>
          <td class="%(print_class)s">%(printed)s%(job)s</td>
          <td class="actions">
            %(copy)s
            <button type="submit"%(form)s name="kind" value="%(both_value)s"%(off_both)s>%(both_label)s</button>
            <button type="submit"%(form)s name="kind" value="%(original_value)s"%(off_original)s>%(original_label)s</button>
            <button type="submit"%(form)s name="kind" value="%(copy_value)s"%(off_copy)s>%(copy_label)s</button>
          </td>
        </tr>
      """)
# The form a row's print buttons submit (forms cannot nest in the table's `print-selected`),
# rendered only for a row that may print; a row that may not has no form, and its (disabled)
# buttons name none (`form=` must point at a form of the page).
FORM_HTML = _unindented("""
  <form id="row-%(id)s" method="post" action="%(print_url)s" class="row-form">
    <input type="hidden" name="csrf_token" value="%(token)s"><input type="hidden" name="ids" value="%(id)s">
  </form>
  """)
JOB_HTML = '<br><a class="status-wait print-job-link" href="%s?ids=%d">%s</a>'
COPY_LINK_HTML = '<a class="button" href="%s" target="_blank" rel="noopener">预览/下载副本</a>'
NO_COPY_HTML = '<button type="button" disabled>预览/下载副本</button>'
K = enums.PrintKind
_KINDS = {"both_value": K.ORIGINAL_AND_COPY.value, "both_label": escape(K.ORIGINAL_AND_COPY.label),
          "original_value": K.ORIGINAL.value, "original_label": escape(K.ORIGINAL.label),
          "copy_value": K.COPY.value, "copy_label": escape(K.COPY.label)}


def _positional(template: str, constants: dict) -> tuple[str, list[str]]:
    """`template` with its constant fields filled in and the others turned into positional %s:
    filling a tuple is about twice as fast as filling a mapping, and this runs for every row.
    Returns the template and the names of its positions, in order."""
    names = []

    def field(match):
        name = match.group(1)
        if name in constants:
            return str(constants[name]).replace("%", "%%")
        names.append(name)
        return "%s"
    return re.sub(r"%\((\w+)\)s", field, template), names


_ROW_POSITIONAL, _ROW_FIELDS = _positional(ROW_HTML, _KINDS)
_OFF = {True: "", False: " disabled"}
_LABEL = {m: str(escape(m.label)) for e in (enums.LayoutStatus, enums.ArchiveStatus, enums.PrintStatus) for m in e}
_RECEIVED, _PRINTED = enums.LayoutStatus.RECEIVED, enums.PrintStatus.PRINTED
_needs_escape = re.compile(r"[&<>\"']").search


def _e(text) -> str:
    """HTML-escaped text, as Jinja's autoescape writes it (most values need nothing)."""
    text = text if type(text) is str else str(text)
    return str(escape(text)) if _needs_escape(text) else text


def _off_original(allowed) -> str:
    """A disabled original button says why (the rules' reason) when the user points at it."""
    if allowed.print_original:
        return ""
    reason = allowed.original_reason
    return f' disabled title="{_e(reason.message)}"' if reason is not None else " disabled"


def _row_html(c, allowed, texts, copy_url, index, jobs_url) -> str:
    """One row of the table: ROW_HTML filled in, every text of the certificate escaped (the
    texts rows share, through `texts`; the URLs come escaped)."""
    number = _e(c.number)
    off_any = _OFF[allowed.any_print]
    off_original = _off_original(allowed)
    type_code, type_name = texts.type(c.cert_type)
    job = c.job_status
    # The buttons name the row's form only when it is rendered (FORM_HTML, when any print is allowed).
    form = f' form="row-{c.id}"' if allowed.any_print else ""
    # In the order of ROW_HTML's fields (_ROW_FIELDS, checked at import).
    return _ROW_POSITIONAL % (
        c.id, number, off_any, index, number, _e(c.invoice_number), texts.applicant(c.applicant_name),
        texts.exporter, type_code, type_name,
        c.issue_date.isoformat() if c.issue_date else "-",
        "status-ok" if c.layout_status is _RECEIVED else "status-wait",
        _LABEL[c.layout_status], _LABEL[c.archive_status],
        "status-ok" if c.print_status is _PRINTED else "",
        _LABEL[c.print_status] + ("（可重新打印）" if c.reprint_allowed else ""),
        JOB_HTML % (jobs_url, c.id, _e(job_label(job))) if job and jobs_url else "",
        COPY_LINK_HTML % copy_url if copy_url else NO_COPY_HTML,
        form, off_original, form, off_original, form, _OFF[allowed.print_copy])


class _SharedTexts:
    """The escaped texts a page's rows share, each escaped once per page: the exporter (the
    view's own), the 证书类别 and the applicants (an exporter has few)."""
    __slots__ = ("exporter", "_types", "_applicants")

    def __init__(self, exporter_name):
        self.exporter = _e(exporter_name)
        self._types, self._applicants = {}, {}

    def type(self, cert_type) -> tuple[str, str]:
        found = self._types.get(cert_type.code)
        if found is None:
            found = self._types[cert_type.code] = (_e(cert_type.code), _e(cert_type.name_zh))
        return found

    def applicant(self, name) -> str:
        found = self._applicants.get(name)
        if found is None:
            found = self._applicants[name] = _e(name)
        return found


# _row_html fills ROW_HTML by position: these are its fields in order (a change to ROW_HTML must
# change both; the import fails otherwise).
if _ROW_FIELDS != ["id", "number", "off_any", "index", "number", "invoice", "applicant", "exporter", "type_code",
                   "type_name", "issued", "layout_class", "layout", "archive", "print_class", "printed", "job",
                   "copy", "form", "off_both", "form", "off_original", "form", "off_copy"]:
    raise RuntimeError(f"ROW_HTML's fields changed ({_ROW_FIELDS}): update _row_html")


def job_label(status: enums.PrintJobStatus | None) -> str:
    if status == enums.PrintJobStatus.DONE:
        return "已打印，待确认打印结果"
    return f"{status.label}…" if status else ""


def _rows_html(view, page, urls: _ListURLs, token) -> tuple[str, str]:
    """The page's rows (ROW_HTML each) and the forms their print buttons submit (FORM_HTML, one
    per row that may print). Each row's buttons are the rules' decision (`rules.buttons`); the
    rows' open print jobs, read by the list query itself (`rules.open_job_column`), prime the
    rules' context and give the job label."""
    form = FORM_HTML.replace("%(print_url)s", _e(urls.print).replace("%", "%%")).replace(
        "%(token)s", _e(token).replace("%", "%%")).replace("%(id)s", "%d")
    ctx = rules.context(view, jobs={cert.id: cert.job for cert in page.items})
    texts = _SharedTexts(view.enterprise.name_zh)
    rows, forms = [], []
    buttons = rules.buttons
    for index, cert in enumerate(page.items, page.first):
        allowed = buttons(cert, ctx)
        copy_url = urls.copy_html(cert.id) if allowed.preview_copy else None
        rows.append(_row_html(cert, allowed, texts, copy_url, index, urls.jobs_html))
        if allowed.any_print:
            forms.append(form % (cert.id, cert.id))
    return "".join(rows), "".join(forms)


def _render_list(q, status=200):
    view = current_view()
    page = diagnosis = None
    if q.ok:
        page = certificates.list_page(view, q)
        number = q.value("number")
        if number and (not page.items or not rules.allows(page.items[0], view, rules.Action.PRINT_ORIGINAL)):
            diagnosis = certificates.why_not(view, number, q)
    urls = _list_urls()
    token = csrf_token()
    rows_html, forms_html = _rows_html(view, page, urls, token) if page and page.items else ("", "")
    # The block's URLs are the app's, built once (`_list_urls`), and its forms' CSRF token is
    # this request's, passed once. The block reads only what is passed here (`view` too): the
    # context processors do not run for the fragment.
    return render("certificates/index.html", "results", status, own_context=True, view=view,
                  q=q, page=page, rows=bool(rows_html),
                  rows_html=Markup(rows_html), row_forms_html=Markup(forms_html), token=token,
                  list_url=urls.index, export_url=urls.export, diagnosis=diagnosis, print_url=urls.print,
                  sync_limit=current_app.config["EXPORT_SYNC_LIMIT"])


@bp.get("/")
@enterprise_required
def index():
    q = certificates.parse(request.args)
    return _render_list(q, 200 if q.ok else 422)


@bp.post("/export")
@enterprise_required
def export():
    """导出: the current query; small ones are the response, large ones a background task."""
    q = certificates.parse(ExportForm().posted)
    if not q.ok:
        return _render_list(q, 422)
    view = current_view()
    count = exports.count_for_export(view, q)
    audit.record("export_certificates", target=view.enterprise.name_zh,
                 detail=q.query_string(page=None))
    if count <= current_app.config["EXPORT_SYNC_LIMIT"]:
        return send_file(exports.export_now(view, q), mimetype=exports.XLSX_MIMETYPE,
                         as_attachment=True, download_name=exports.filename())
    task = exports.start(view, q, requested_by=current_user.display_name)
    return see_other(url_for("certificates.export_status", task_id=task.id))


@bp.get("/exports/<int:task_id>")
@enterprise_required
def export_status(task_id):
    """The export's state as one self-replacing fragment (contact.app's archive widget)."""
    task = exports.task_or_404(current_view(), task_id)
    return render("certificates/export.html", "progress", task=task, now=utcnow())


@bp.get("/exports/<int:task_id>/file")
@enterprise_required
def export_file(task_id):
    task = exports.task_or_404(current_view(), task_id)
    key = exports.file_of(task)
    try:
        response = storage.send(key, mimetype=exports.XLSX_MIMETYPE, as_attachment=True,
                                download_name=exports.filename(task.created_at), etag=True)
    except storage.NotFound:        # swept (or lost) meanwhile
        abort(404)
    audit.record("download_export", target=str(task.id))
    return response
