"""管理员账号信息管理 (reached from the company name, top right): the enterprise and 我的操作员.
Everyone of the enterprise sees the list; changes (新增无卡操作员, 停用, 启用) need the 法人卡."""
from flask import Blueprint, abort, flash, url_for
from flask_login import current_user

from coo.models import Card, Operator
from coo.services import operators as service
from coo.services.accounts import enterprise_required, legal_person_required
from coo.web.forms import OperatorForm
from coo.web.htmx import render, retarget, see_other, wants_fragment

bp = Blueprint("account", __name__, url_prefix="/account")


def _page(block=None, status=200, **context):
    enterprise = current_user.enterprise
    operators = (Operator.select().where(Operator.enterprise == enterprise)
                 .order_by(Operator.is_legal_person.desc(), Operator.id))
    cards = {c.holder_id: c for c in Card.select().where(Card.enterprise == enterprise)}
    context.setdefault("form", {})
    context.setdefault("errors", {})
    context.setdefault("show_form", False)
    context.setdefault("list_error", "")
    context.setdefault("list_message", "")
    return render("account/index.html", block, status, enterprise=enterprise, operators=operators,
                  cards=cards, **context)


@bp.get("/")
@enterprise_required
def index():
    return _page()


@bp.get("/operators/new")
@legal_person_required
def new_operator():
    """新增无卡操作员: the form (a fragment for htmx, the page with the form open otherwise)."""
    return _page("operator_form", show_form=True)


@bp.post("/operators/new")
@legal_person_required
def create_operator():
    form = OperatorForm()
    person, enterprise = None, current_user.enterprise
    if form.validate():
        person, errors = service.create_operator(enterprise, form.name.data, form.id_number.data, form.phone.data)
    else:
        # Every mistake at once: a well-formed ID number the enterprise already has is said too.
        errors = form.messages()
        if "id_number" not in errors and service.id_number_taken(enterprise, form.id_number.data):
            errors["id_number"] = service.ID_TAKEN
    if errors:
        return _page("operator_form", 422, show_form=True, form=form.refill(), errors=errors)
    message = f"已新增无卡操作员“{person.name}”。"
    if wants_fragment():
        # The editor closes and the list shows the new operator in place (an HX-Redirect to this
        # same page and a `#` would only scroll: the old error stayed, the operator was missing).
        response = _page("operators", list_message=message, close_editor=True)
        return retarget(response, "#operator-list", "outerHTML")
    flash(message)
    return see_other(url_for("account.index") + "#operators")


@bp.post("/operators/<int:operator_id>/<any(disable, enable):op>")
@legal_person_required
def set_operator_active(operator_id, op):
    """停用 / 启用 a cardless operator."""
    person = service.operator_or_none(current_user.enterprise, operator_id)
    if person is None:
        abort(404)
    error = service.set_active(person, op == "enable")
    if error:
        return _page("operators", 422, list_error=error)
    message = f"已{'启用' if op == 'enable' else '停用'}操作员“{person.name}”。"
    if wants_fragment():
        return _page("operators", list_message=message)
    flash(message)
    return see_other(url_for("account.index") + "#operators")


@bp.get("/audit")
@legal_person_required
def audit():
    """审计日志 of the legal person's own enterprise: the ops query with the enterprise fixed."""
    from coo.web.ops import render_audit
    return render_audit(enterprise=current_user.enterprise)
