"""授权管理: 印章签名授权 (+ 授权结果), 代理打印授权, 委托企业列表 and the agent view switch.

Rules live in `coo.services.authorisation`; the agent view in `coo.services.access`.
"""
from flask import Blueprint, abort, current_app, flash, redirect, url_for
from flask_login import current_user

from coo.services import access, audit
from coo.services import authorisation as auth
from coo.services.accounts import enterprise_required, legal_person_required
from coo.web.forms import AgentForm, DefaultChoiceForm
from coo.web.htmx import render, see_other, trigger, wants_fragment

bp = Blueprint("authorisation", __name__, url_prefix="/authorisation")


def _enterprise():
    return current_user.enterprise


def _index_context(error="", **extra):
    enterprise = _enterprise()
    chosen = auth.defaults(enterprise)
    return dict(
        enterprise=enterprise, state=auth.state(enterprise), error=error,
        seals=list(auth.seals(enterprise)), signatures=list(auth.signatures(enterprise)),
        usable_seal_ids={s.id for s in auth.usable_seals(enterprise)},
        usable_signature_ids={s.id for s in auth.usable_signatures(enterprise)},
        default_seal_id=chosen.seal_id if chosen else None,
        default_signature_id=chosen.signature_id if chosen else None,
        delay=current_app.config["AUTH_RESULT_DELAY_S"], **extra)


@bp.get("/")
@enterprise_required
def index():
    """印章签名授权 (法人卡). A user of an agent enterprise without the legal-person card is taken
    to its 委托企业列表, the part of 授权管理 it may use."""
    if not current_user.is_legal_person_card and _enterprise().is_agent:
        return redirect(url_for("authorisation.principals"))
    return _seals_page()


@legal_person_required
def _seals_page():
    # 刷新 re-reads the seals and signatures: for htmx only the lists are sent back.
    return render("authorisation/index.html", "lists", **_index_context())


def _set_default(setter, field):
    form = DefaultChoiceForm()
    form.validate()     # nothing to refuse here: whether the row may be the default is the setter's rule
    error = setter(_enterprise(), form[field].row_id, current_user.display_name)
    if error:
        return render("authorisation/index.html", "lists", status=422, **_index_context(error=error))
    if wants_fragment():
        return trigger(render("authorisation/index.html", "lists", **_index_context()), "defaults-changed")
    flash("默认印章和默认签名设置后，请点击“授权”。")
    return see_other(url_for("authorisation.index"))


@bp.post("/default-seal")
@legal_person_required
def default_seal():
    return _set_default(auth.set_default_seal, "seal_id")


@bp.post("/default-signature")
@legal_person_required
def default_signature():
    return _set_default(auth.set_default_signature, "signature_id")


@bp.post("/authorise")
@legal_person_required
def authorise():
    result = auth.submit(_enterprise(), current_user.display_name)
    if result.authorisation is None:
        return render("authorisation/index.html", "lists", status=422, **_index_context(error=result.error))
    flash(auth.SUBMITTED if result.created else result.error)
    return see_other(url_for("authorisation.index"))


@bp.get("/result/countdown")
@legal_person_required
def result_countdown():
    """查看结果's button: counts down, then leads to 授权结果. Without htmx it is the result page."""
    remaining = auth.seconds_until_result(auth.latest(_enterprise()))
    if not wants_fragment():
        return redirect(url_for("authorisation.result"), code=303)
    if remaining <= 0:
        return see_other(url_for("authorisation.result"))
    return render("authorisation/index.html", "countdown", remaining=remaining,
                  delay=current_app.config["AUTH_RESULT_DELAY_S"])


@bp.get("/result")
@legal_person_required
def result():
    """授权结果: the latest receipt, once `AUTH_RESULT_DELAY_S` has passed since submitting."""
    latest = auth.latest(_enterprise())
    remaining = auth.seconds_until_result(latest)
    return render("authorisation/result.html", "receipt", latest=latest if remaining <= 0 else None,
                  submitted=latest is not None, remaining=remaining,
                  delay=current_app.config["AUTH_RESULT_DELAY_S"],
                  since=auth.authorised_since(_enterprise()))


# --- 代理打印授权 (entrusting enterprise) ----------------------------------------------------------

def _agents_page(status=200, error="", code=""):
    enterprise = _enterprise()
    return render("authorisation/agents.html", "agent_form" if error else "agent_list", status=status,
                  grants=list(auth.agent_grants(enterprise)), error=error, code=code,
                  authorised=auth.authorised_since(enterprise) is not None)


@bp.get("/agents")
@legal_person_required
def agents():
    return _agents_page()


@bp.post("/agents")
@legal_person_required
def add_agent():
    form = AgentForm()
    code = form.agent_code.data or ""
    if not form.validate():
        return _agents_page(status=422, error=form.first_message(), code=code)
    grant, error = auth.grant_agent(_enterprise(), code, current_user.display_name)
    if error:
        return _agents_page(status=422, error=error, code=code)
    flash(f"已对{grant.agent.name_zh}进行代理打印授权。")
    return see_other(url_for("authorisation.agents"))


@bp.post("/agents/<int:grant_id>/revoke")
@legal_person_required
def revoke_agent(grant_id):
    grant = auth.revoke_agent(_enterprise(), grant_id, current_user.display_name)
    if grant is None:
        abort(404)
    flash(f"已撤销对{grant.agent.name_zh}的代理打印授权，立即生效。")
    return see_other(url_for("authorisation.agents"))


# --- 委托企业列表 (agent enterprise) ---------------------------------------------------------------

@bp.get("/principals")
@enterprise_required
def principals():
    return render("authorisation/principals.html", "principal_list",
                  grants=list(auth.principals_of(_enterprise())))


@bp.post("/principals/<int:principal_id>/switch")
@enterprise_required
def switch(principal_id):
    view = access.switch_to(principal_id)
    audit.record("agent_view_entered", target=view.principal.name_zh)
    return see_other(url_for("certificates.index"))


@bp.post("/switch-back")
@enterprise_required
def switch_back():
    view = access.current_view()
    if view.is_agent_view:
        audit.record("agent_view_left", target=view.principal.name_zh)
    access.switch_back()
    return see_other(url_for("authorisation.principals"))
