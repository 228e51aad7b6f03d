"""Ops: the RQ dashboard at /ops/rq (ops accounts only; 404 for everyone else)."""
import rq_dashboard
from flask import Blueprint, abort
from flask_login import current_user

from coo import csrf
from coo.queue import QUEUES
from coo.services.accounts import ops_required
from coo.web.htmx import render

bp = Blueprint("ops", __name__, url_prefix="/ops")

# rq-dashboard has no authentication of its own, and its pages carry inline scripts.
# Hooks go on its (module-level) blueprint once, at import.
DASHBOARD_CSP = ("default-src 'self'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; "
                 "img-src 'self' data:; frame-ancestors 'none'")


@rq_dashboard.blueprint.before_request
def _ops_only():
    if not (current_user.is_authenticated and current_user.is_ops):
        abort(404)


@rq_dashboard.blueprint.after_request
def _dashboard_csp(response):
    response.headers["Content-Security-Policy"] = DASHBOARD_CSP
    return response


def init_app(app):
    app.config.setdefault("RQ_DASHBOARD_REDIS_URL", app.config["REDIS_URL"])
    app.register_blueprint(rq_dashboard.blueprint, url_prefix="/ops/rq")
    rq_dashboard.web.setup_rq_connection(app)
    csrf.exempt(rq_dashboard.blueprint)


@bp.get("/")
@ops_required
def index():
    return render("ops/index.html", queues=QUEUES)
