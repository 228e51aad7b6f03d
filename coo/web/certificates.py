"""证书打印 (manual 4.1, 4.2, 4.4): the 证书查询区 + 证书展示区 list, 查看解决办法, 导出 Excel.

One route serves the page and, for htmx, only its `results` block; the same URL works without
JavaScript. Rules live in `coo.services.certificates` and `coo.services.exports`.
"""
from flask import Blueprint, current_app, request, send_file, url_for
from flask_login import current_user

from coo.clock import utcnow
from coo.services import audit, certificates, exports
from coo.services.access import current_view
from coo.services.accounts import enterprise_required
from coo.web.htmx import render, see_other

bp = Blueprint("certificates", __name__, url_prefix="/certificates")

PRINT_ENDPOINT = "printing.create_jobs"
COPY_ENDPOINT = "printing.copy_pdf"


def init_app(app):
    app.jinja_env.globals["certificate_url"] = certificate_url


def certificate_url(endpoint: str, certificate_id: int) -> str | None:
    """URL of a per-certificate endpoint of another area, or None while it is not registered.
    The id goes into the rule's only argument, whatever that area named it."""
    if endpoint not in current_app.view_functions:
        return None
    arguments = sorted(next(current_app.url_map.iter_rules(endpoint)).arguments)
    if len(arguments) != 1:
        return None
    return url_for(endpoint, **{arguments[0]: certificate_id})


def _endpoint_url(endpoint):
    return url_for(endpoint) if endpoint in current_app.view_functions else None


def _render_list(q, status=200):
    view = current_view()
    page = diagnosis = None
    if q.ok:
        page = certificates.list_page(view, q)
        number = q.value("number")
        if number and (not page.rows or not certificates.original_printable(page.rows[0])):
            diagnosis = certificates.why_not(view, number, q)
    rows = [(c, certificates.allowed_actions(c)) for c in page.rows] if page else []
    return render("certificates/index.html", "results", status, q=q, page=page, rows=rows,
                  diagnosis=diagnosis,
                  print_url=_endpoint_url(PRINT_ENDPOINT),
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
