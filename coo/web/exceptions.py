"""打印异常申请: tab 已打印证书列表 (select one → 异常申请) and tab 异常申请记录."""
from flask import Blueprint, abort, flash, url_for
from flask_login import current_user
from htmx_flask import request

from coo import enums
from coo.params import parse_id
from coo.services import exceptions as service
from coo.services.access import certificate_or_404, current_view
from coo.services.accounts import enterprise_required
from coo.services.paging import paginate
from coo.web.forms import ExceptionForm
from coo.web.htmx import render, see_other, trigger

bp = Blueprint("exceptions", __name__, url_prefix="/exceptions")

TABS = ("printed", "records")


@bp.get("/")
@enterprise_required
def index():
    view = current_view()
    tab = request.args.get("tab") if request.args.get("tab") in TABS else "printed"
    args = request.args.to_dict()
    selected = (args.pop("selected", "") or "").strip()
    if selected and not args.get("number"):
        args["number"] = selected        # 否 after a print lands here with that certificate chosen
    q = service.parse(args)
    status = 200 if q.ok else 422
    page = notice = None
    if q.ok:
        if tab == "printed":
            page = paginate(service.printed_certificates(view, q), q.page)
            if selected and not any(c.number == selected for c in page.items):
                notice = service.selected_reason(view, selected)
        else:
            page = paginate(service.records(view, q), q.page)
    return render("exceptions/index.html", "results", status=status, tab=tab, q=q, page=page,
                  selected=selected, notice=notice, query_args=q.args(page=None))


def _dialog(cert, values=None, errors=None, status=200):
    return render("exceptions/apply.html", "dialog", status=status, cert=cert,
                  values=values or {}, errors=errors or {}, reasons=list(enums.ExceptionReason),
                  refusal=service.refusal(cert, current_view()) if not errors else "")


@bp.get("/apply")
@enterprise_required
def apply_form():
    """异常申请 dialog for the chosen certificate (a page of its own without JavaScript)."""
    certificate_id = parse_id(request.args.get("certificate"))
    if certificate_id is None:
        flash("请先勾选一条已打印的证书，再点击异常申请。", "error")
        return see_other(url_for("exceptions.index"))
    return _dialog(certificate_or_404(current_view(), certificate_id))


@bp.post("/apply")
@enterprise_required
def apply():
    form = ExceptionForm()
    certificate_id = form.certificate.row_id
    if certificate_id is None:
        abort(404)
    view = current_view()
    cert = certificate_or_404(view, certificate_id)
    if not form.validate():
        return _dialog(cert, form.refill(), form.messages(), status=422)
    outcome = service.apply(view, certificate_id, form.exception_reason, form.details.data or "",
                            current_user.display_name)
    if outcome.errors:
        return _dialog(cert, form.refill(), outcome.errors, status=422)
    flash(service.SUBMITTED, "ok")
    response = see_other(url_for("exceptions.index", tab="records"))
    return trigger(response, "exception-applied")
