"""证书打印 (manual 4.1, 4.2, 4.4): the 证书查询区 + 证书展示区 list, 查看解决办法, 导出 Excel.

One route serves the page and, for htmx, only its `results` block; the same URL works without
JavaScript. Rules live in `coo.services.certificates` and `coo.services.exports`.
"""
from dataclasses import dataclass

from flask import Blueprint, current_app, request, send_file, url_for
from flask_login import current_user

from coo import enums
from coo.clock import utcnow
from coo.services import audit, certificates, exports, printing
from coo.services.access import current_view
from coo.services.accounts import enterprise_required
from coo.web.htmx import render, see_other

bp = Blueprint("certificates", __name__, url_prefix="/certificates")

PRINT_ENDPOINT = "printing.create_jobs"
COPY_ENDPOINT = "printing.copy_pdf"


def id_url(endpoint: str):
    """url_for(endpoint, <its one int argument>=id) for many ids: built once per request, then
    formatted per row (url_for per row was a tenth of the list's time). None while the endpoint
    is not registered."""
    if endpoint not in current_app.view_functions:
        return None
    (argument,) = next(current_app.url_map.iter_rules(endpoint)).arguments
    marker = "987654321987"
    head, tail = url_for(endpoint, **{argument: int(marker)}).split(marker)
    return lambda certificate_id: f"{head}{int(certificate_id)}{tail}"


@dataclass(frozen=True)
class Row:
    """One row of 证书展示区: the certificate, its buttons (SPEC 4.4), its 预览/下载副本 link,
    and its print job in flight or waiting for 是/否 (None when there is none)."""
    cert: object
    allowed: certificates.AllowedActions
    copy_url: str | None
    job_status: enums.PrintJobStatus | None = None

    @property
    def job_label(self) -> str:
        if self.job_status == enums.PrintJobStatus.DONE:
            return "已打印，待确认打印结果"
        return f"{self.job_status.label}…" if self.job_status else ""


def _rows(page):
    copy_url = id_url(COPY_ENDPOINT)
    jobs = printing.open_job_states([cert.id for cert in page.items]) if page.items else {}
    rows = []
    for cert in page.items:
        allowed = certificates.allowed_actions(cert, job_open=cert.id in jobs)
        rows.append(Row(cert, allowed, copy_url(cert.id) if copy_url and allowed.preview_copy else None,
                        jobs.get(cert.id)))
    return rows


def _render_list(q, status=200):
    view = current_view()
    page = diagnosis = None
    if q.ok:
        page = certificates.list_page(view, q)
        number = q.value("number")
        if number and (not page.items or not certificates.original_printable(page.items[0])):
            diagnosis = certificates.why_not(view, number, q)
    print_url = url_for(PRINT_ENDPOINT) if PRINT_ENDPOINT in current_app.view_functions else None
    return render("certificates/index.html", "results", status, q=q, page=page,
                  rows=_rows(page) if page else [], diagnosis=diagnosis, print_url=print_url,
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
    q = certificates.parse(request.form)
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
    path = exports.file_of(task)
    audit.record("download_export", target=str(task.id))
    return send_file(path, mimetype=exports.XLSX_MIMETYPE, as_attachment=True,
                     download_name=exports.filename(task.created_at))
