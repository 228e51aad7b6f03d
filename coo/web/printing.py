"""证书打印 through the print control (打印控件).

Two blueprints:
- `printing` (`/printing/...`): the enterprise's pages — the 打印控件 page (status, pairing code,
  revoke, 执行安装 / 下载安装包, install guide), 预览/下载副本, the print buttons' target
  `create_jobs`, the per-row progress fragment and the 是/否 confirmation. Originals are never
  served here: there is no route for them.
- `printcontrol_api` (`/api/printcontrol/v1/...`): JSON for the control, CSRF-exempt,
  authenticated by the control's token. Anything not the token's own (no token, a revoked one,
  another enterprise's job) is 404.
"""
import functools

from flask import (
    Blueprint, Response, abort, current_app, flash, g, jsonify, redirect, request, send_file, url_for,
)
from flask_login import current_user

from coo import storage
from coo.params import parse_ids, parse_seconds
from coo.services import printcontrol, printjobs, rules
from coo.services.access import certificate_or_404, current_view, visible_certificates
from coo.services.accounts import enterprise_required
from coo.services.ratelimit import allow
from coo.web import csrf
from coo.models import Certificate
from coo.web.forms import ConfirmForm, PrintJobsForm
from coo.web.htmx import render, retarget, see_other, trigger, wants_fragment

bp = Blueprint("printing", __name__, url_prefix="/printing")
api = Blueprint("printcontrol_api", __name__, url_prefix="/api/printcontrol/v1")


def init_app(app):
    app.register_blueprint(api)
    csrf.exempt(api)
    app.jinja_env.globals["print_confirm_words"] = printjobs.confirm_words


def _who():
    return current_user.display_name


# --- 打印控件 page ------------------------------------------------------------------------------

def _control_page(status=200, code=None):
    view = current_view()
    return render("printing/control.html", block="pairing" if code else "controls", status=status,
                  control=printcontrol.control_status(view.own), controls=printcontrol.controls_for_page(view.own),
                  code=code, ttl_min=_ttl_min(), windows_exe=printcontrol.windows_executable() is not None)


def _ttl_min():
    from flask import current_app
    return current_app.config["PAIRING_CODE_TTL_S"] // 60


@bp.get("/control")
@enterprise_required
def control():
    return _control_page()


@bp.post("/control/pairing-code")
@enterprise_required
def pairing_code():
    code = printcontrol.new_pairing_code(current_view().own, _who())
    return _control_page(code=code)


@bp.post("/control/<int:control_id>/revoke")
@enterprise_required
def revoke(control_id):
    if not printcontrol.revoke(current_view().own, control_id, _who()):
        abort(404)
    if wants_fragment():
        return _control_page()
    flash("已撤销该打印控件，它将不能再接收打印任务。")
    return see_other(url_for(".control"))


@bp.get("/control/" + printcontrol.ZIPAPP_NAME)
@enterprise_required
def download():
    """执行安装 / 下载安装包: the control as one file, carrying this server's address."""
    # PUBLIC_BASE_URL, never the request's Host: a forged Host would send the control elsewhere.
    data = printcontrol.control_zipapp(current_app.config["PUBLIC_BASE_URL"])
    response = Response(data, mimetype="application/octet-stream")
    response.headers["Content-Disposition"] = f"attachment; filename={printcontrol.ZIPAPP_NAME}"
    return response


@bp.get("/control/" + printcontrol.EXE_NAME)
@enterprise_required
def download_exe():
    """下载 Windows 版: the one-file executable (a double-click pairs, installs and runs it)."""
    path = printcontrol.windows_executable()
    if path is None:
        abort(404)
    return send_file(path, mimetype="application/vnd.microsoft.portable-executable", as_attachment=True,
                     download_name=printcontrol.EXE_NAME, max_age=0)


@bp.get("/control/install")
@enterprise_required
def install():
    return render("printing/install.html", control=printcontrol.control_status(current_view().own),
                  windows_exe=printcontrol.windows_executable() is not None,
                  server=current_app.config["PUBLIC_BASE_URL"].rstrip("/"))


@bp.get("/control/status")
@enterprise_required
def status():
    """The control's state as a small fragment (the 证书打印 page shows it above the list)."""
    return render("printing/_control_status.html", control=printcontrol.control_status(current_view().own))


# --- 预览/下载副本 --------------------------------------------------------------------------------

@bp.get("/certificates/<int:certificate_id>/copy.pdf")
@enterprise_required
def copy_pdf(certificate_id):
    cert = certificate_or_404(current_view(), certificate_id)
    refused = rules.check(cert, current_view(), rules.Action.PREVIEW_COPY)
    if refused or not cert.layout_copy_path:
        abort(404, refused.message if refused else "副本版式尚未接收成功。")
    try:
        response = storage.send(cert.layout_copy_path, mimetype="application/pdf",
                                as_attachment=request.args.get("download") == "1",
                                download_name=f"{cert.number}-副本.pdf", max_age=0)
    except storage.NotFound:
        abort(404)
    # The browser's own PDF viewer must be allowed to show it.
    response.headers["Content-Security-Policy"] = "frame-ancestors 'none'"
    return response


# --- print buttons, progress, confirmation ----------------------------------------------------

def _dialog(status, **context):
    """The print dialog: the control hint, the refusals, or the jobs with their progress.
    For htmx it is appended to the page (replacing an earlier one); without JS it is a page."""
    context.setdefault("errors", [])
    response = render("printing/jobs.html", block="dialog", status=status,
                      control=printcontrol.control_status(current_view().own), **context)
    if wants_fragment():
        retarget(response, "body", "beforeend")
        trigger(response, "coo:replace-dialog")
    return response


def _rows(view, ids):
    certs = {c.id: c for c in visible_certificates(view).where(Certificate.id.in_(ids))}
    if len(certs) != len(ids):
        abort(404)
    jobs = printjobs.latest_jobs(view, ids)
    return [(certs[i], jobs.get(i)) for i in ids]


@bp.post("/jobs")
@enterprise_required
def create_jobs():
    view = current_view()
    form = PrintJobsForm()
    kind, ids = form.print_kind, form.ids.ids
    if ids is None:
        abort(404)
    errors = form.problems()
    if errors:
        return _dialog(422, errors=errors, kind=kind)
    if visible_certificates(view).where(Certificate.id.in_(ids)).count() != len(ids):
        abort(404)
    control = printcontrol.control_status(view.own)
    if not control.ready:
        return _dialog(409, kind=kind)
    try:
        result = printjobs.create_jobs(view, ids, kind, _who())
    except LookupError:
        abort(404)
    if result.errors:
        return _dialog(422, errors=result.errors, kind=kind)
    if wants_fragment():
        response = _dialog(200, kind=kind, rows=_rows(view, ids))
        return trigger(response, "print-jobs-created")
    return redirect(url_for(".jobs", ids=ids), code=303)


@bp.get("/jobs")
@enterprise_required
def jobs():
    """The print dialog as a page (without JavaScript: reload it to see the progress)."""
    ids = parse_ids(request.args.getlist("ids"))
    if not ids:
        abort(404)
    return render("printing/jobs.html", block="dialog", control=printcontrol.control_status(current_view().own),
                  rows=_rows(current_view(), ids), errors=[], kind=None)


@bp.get("/certificates/<int:certificate_id>/progress")
@enterprise_required
def progress(certificate_id):
    """One certificate's latest print job: a fragment that polls itself until the job is done."""
    view = current_view()
    cert = certificate_or_404(view, certificate_id)
    job = printjobs.latest_jobs(view, [cert.id]).get(cert.id)
    return render("printing/_progress.html", cert=cert, job=job)


@bp.post("/jobs/<int:job_id>/confirm")
@enterprise_required
def confirm(job_id):
    view = current_view()
    job = printjobs.job_for_view(view, job_id)
    if job is None:
        abort(404)
    form = ConfirmForm()
    if not form.validate():
        return render("printing/_progress.html", cert=job.certificate, job=job, status=422,
                      error=form.first_message())
    ok = form.answer.data == "yes"
    printjobs.confirm(view, job, ok, _who())
    cert = Certificate.get_by_id(job.certificate_id)
    if not ok:
        # The manual: 否 → 界面将跳转异常打印界面 with that certificate chosen.
        return see_other(url_for("exceptions.index", selected=cert.number))
    if wants_fragment():
        response = render("printing/_progress.html", cert=cert, job=printjobs.job_for_view(view, job_id))
        return trigger(response, "certificates-changed")
    return see_other(url_for(".jobs", ids=[cert.id]))


# --- the control's API ------------------------------------------------------------------------

def _not_found():
    return jsonify(error="not found"), 404


def token_required(view):
    @functools.wraps(view)
    def wrapped(*args, **kwargs):
        header = request.headers.get("Authorization", "")
        token = header[7:].strip() if header.startswith("Bearer ") else ""
        control = printcontrol.control_for_token(token)
        if control is None:
            return _not_found()
        g.print_control = control
        return view(*args, **kwargs)
    return wrapped


def _json():
    data = request.get_json(silent=True)
    return data if isinstance(data, dict) else {}


@api.post("/pair")
def api_pair():
    from flask import current_app
    if not allow("pair", request.remote_addr or "", current_app.config["PAIRING_RATE_LIMIT_PER_MIN"]):
        return jsonify(error="尝试过于频繁，请一分钟后再试。"), 429
    data = _json()
    control, token = printcontrol.pair(str(data.get("code", "")), str(data.get("name", "")),
                                   str(data.get("version", "")))
    if control is None:
        return jsonify(error="配对码无效或已过期，请在打印控件页面重新生成。"), 404
    return jsonify(token=token, enterprise=control.enterprise.name_zh, control_id=control.id,
                   api=printcontrol.control_api_url())


@api.post("/heartbeat")
@token_required
def api_heartbeat():
    data = _json()
    printers = data.get("printers") if isinstance(data.get("printers"), list) else []
    return jsonify(printcontrol.heartbeat(g.print_control, str(data.get("version", "")), printers))


@api.get("/jobs/next")
@token_required
def api_next_job():
    wait = parse_seconds(request.args.get("wait"), default=0.0, high=86400)
    if wait is None:
        return jsonify({"status": "refused", "error": "bad_wait",
                        "message": "wait 应为 0 至 86400 之间的秒数 / wait must be a number of seconds"}), 422
    job = printjobs.wait_for_job(g.print_control, wait)
    if job is None:
        return Response(status=204)
    return jsonify(printjobs.job_payload(job))


@api.get("/jobs/<int:job_id>/<any(original, copy):part>.pdf")
@token_required
def api_document(job_id, part):
    key = printjobs.job_document(g.print_control, job_id, part)
    if key is None:
        return _not_found()
    try:
        response = storage.send(key, mimetype="application/pdf", max_age=0)
    except storage.NotFound:
        return _not_found()
    response.headers["Cache-Control"] = "no-store"
    return response


@api.post("/jobs/<int:job_id>/result")
@token_required
def api_result(job_id):
    data = _json()
    job = printjobs.report(g.print_control, job_id, bool(data.get("ok")), str(data.get("message", "")),
                          str(data.get("printer", "")))
    if job is None:
        return _not_found()
    return jsonify(status=job.status.value, label=job.status.label)
