"""管理员账号信息管理 (reached from the company name, top right): the enterprise and 我的操作员."""
from flask import Blueprint
from flask_login import current_user

from coo.models import Card, Operator
from coo.services.accounts import enterprise_required, legal_person_required
from coo.web.htmx import render

bp = Blueprint("account", __name__, url_prefix="/account")


@bp.get("/")
@enterprise_required
def index():
    enterprise = current_user.enterprise
    operators = (Operator.select().where(Operator.enterprise == enterprise)
                 .order_by(Operator.is_legal_person.desc(), Operator.id))
    cards = {c.holder_id: c for c in Card.select().where(Card.enterprise == enterprise)}
    return render("account/index.html", enterprise=enterprise, operators=operators, cards=cards)


@bp.get("/audit")
@legal_person_required
def audit():
    """审计日志 of the legal person's own enterprise: the ops query with the enterprise fixed."""
    from coo.web.ops import render_audit
    return render_audit(enterprise=current_user.enterprise)
