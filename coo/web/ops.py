"""Ops: the RQ dashboard at /ops/rq, the 审计日志 at /ops/audit and the customs simulator at
/ops/simulator (ops accounts only; 404 for everyone else), and /healthz for load balancers (no
login, no secrets)."""
from urllib.parse import urlsplit

import rq_dashboard
from flask import Blueprint, abort, current_app, flash, jsonify, url_for
from redis.exceptions import ResponseError
from rq.exceptions import NoSuchJobError
from htmx_flask import request
from flask_login import current_user

from coo.queue import QUEUES
from coo.models import Enterprise
from coo.services import ops as ops_service, paging
from coo.services.paging import paginate
from coo.services.accounts import ops_required
from coo.web import csrf
from coo.web.forms import SimulatorForm
from coo.web.htmx import render, see_other

# No url_prefix: /healthz sits at the root, where load balancers look for it.
bp = Blueprint("ops", __name__)

# rq-dashboard has no authentication of its own, its pages carry inline scripts, and its
# tables are underscore.js templates, which compile with `new Function` ('unsafe-eval'; without
# it they stay at "Loading..."). This policy is sent on its blueprint's responses only; every
# other page keeps the strict one of coo.web. Hooks go on its (module-level) blueprint once.
DASHBOARD_CSP = ("default-src 'self'; script-src 'self' 'unsafe-inline' 'unsafe-eval'; "
                 "style-src 'self' 'unsafe-inline'; img-src 'self' data:; object-src 'none'; "
                 "base-uri 'self'; form-action 'self'; frame-ancestors 'none'")


@rq_dashboard.blueprint.before_request
def _ops_only():
    if not (current_user.is_authenticated and current_user.is_ops):
        abort(404)
    # Its AJAX posts carry no CSRF token we check (the blueprint is exempt), so a state change
    # must come from our own origin; 全部重新入队 also answers GET, which a link could trigger.
    if request.endpoint == "rq_dashboard.requeue_all" and request.method == "GET":
        abort(405)
    if request.method not in ("GET", "HEAD"):
        source = request.headers.get("Origin") or request.headers.get("Referer") or ""
        ours = {request.host, urlsplit(current_app.config["PUBLIC_BASE_URL"]).netloc}
        if urlsplit(source).netloc not in ours:
            abort(403)
    if request.endpoint == "rq_dashboard.compact_queue" and not _queue_exists(request.view_args["queue_name"]):
        # RQ's Queue.compact() RENAMEs the queue's list, which Redis refuses for an empty
        # queue (no key): a 500 for "nothing to compact". Answer what compacting would.
        return jsonify(status="OK")


def _queue_exists(name: str) -> bool:
    from rq import Queue
    connection = current_app.redis_conn     # the dashboard's own connection (its instance)
    return bool(connection.exists(Queue(name, connection=connection).key))


@rq_dashboard.blueprint.after_request
def _dashboard_csp(response):
    response.headers["Content-Security-Policy"] = DASHBOARD_CSP
    return response


@rq_dashboard.blueprint.errorhandler(NoSuchJobError)
@rq_dashboard.blueprint.errorhandler(ValueError)
@rq_dashboard.blueprint.errorhandler(ResponseError)
def _dashboard_not_found(error):
    """rq-dashboard raises on a job, queue or page argument that names nothing (`Job.fetch` of
    an unknown or malformed id, `int()` of a page, a queue key that does not exist): 404."""
    return render("errors/error.html", code=404, message="页面或数据不存在。", status=404)


def init_app(app):
    app.config.setdefault("RQ_DASHBOARD_REDIS_URL", app.config["REDIS_URL"])
    app.register_blueprint(rq_dashboard.blueprint, url_prefix="/ops/rq")
    rq_dashboard.web.setup_rq_connection(app)
    csrf.exempt(rq_dashboard.blueprint)


@bp.get("/ops/")
@ops_required
def index():
    from coo.services import layouts
    return render("ops/index.html", queues=QUEUES, failed_layouts=list(layouts.failed_layouts()))


def _simulator_page(status=200, error="", form=None):
    from coo.services import approval
    from coo.models import CertificateType, Enterprise, SimulatorMessage
    recent = (SimulatorMessage.select().where(SimulatorMessage.kind == "certificate")
              .order_by(SimulatorMessage.id.desc()).limit(10))
    return render("ops/simulator.html", "approve_form", status=status, error=error, form=form or {},
                  exporters=Enterprise.select().where(Enterprise.is_exporter).order_by(Enterprise.id),
                  applicants=Enterprise.select().where(Enterprise.is_exporter | Enterprise.is_agent)
                  .order_by(Enterprise.id),
                  types=CertificateType.select().order_by(CertificateType.sort_order),
                  countries=list(approval.COUNTRIES), recent=recent)


@bp.get("/ops/simulator")
@ops_required
def simulator_page():
    """海关模拟器: approve a new certificate into the system, as customs would."""
    return _simulator_page()


@bp.post("/ops/simulator")
@ops_required
def simulator_approve():
    from coo.services import approval, audit, intake
    posted = SimulatorForm()
    form = posted.refill()
    if not posted.validate():
        return _simulator_page(status=422, error="；".join(posted.messages().values()), form=form)
    try:
        cert = approval.approve_by_ids(form["exporter_id"], form["applicant_id"], form["cert_type"],
                                       form["country"])
    except intake.IntakeError as error:
        return _simulator_page(status=422, error="；".join(error.errors), form=form)
    audit.record("simulator_approved", target=cert.number, detail=cert.exporter.name_zh)
    flash(f"证书 {cert.number} 已审批通过并发送至本系统（出口商：{cert.exporter.name_zh}）。")
    return see_other(url_for("ops.simulator_page"))


@bp.get("/ops/audit")
@ops_required
def audit():
    """审计日志 of every enterprise, filtered by enterprise, person, action and date."""
    return render_audit(enterprise=None)


def render_audit(enterprise):
    """The audit page (or its results fragment for htmx); `enterprise` fixes the scope."""
    q = ops_service.parse_audit_query(request.args, enterprise)
    if q.ok:
        page = paginate(ops_service.audit_events(q, enterprise=enterprise), q.page)
    else:
        page = paging.empty()
    enterprises = [] if enterprise is not None else Enterprise.select().order_by(Enterprise.name_zh)
    return render("ops/audit.html", "results", status=200 if q.ok else 422, q=q, page=page,
                  scope_enterprise=enterprise, enterprises=enterprises,
                  actions=ops_service.audit_actions(enterprise), action_label=ops_service.action_label,
                  endpoint=request.endpoint)


@bp.get("/healthz")
def health():
    healthy, report = ops_service.health()
    response = jsonify(report)
    response.status_code = 200 if healthy else 503
    response.headers["Cache-Control"] = "no-store"
    return response
