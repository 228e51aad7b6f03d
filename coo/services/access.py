"""Whose data the current request may see: the enterprise view and the agent view.

An agent enterprise (代理企业) may switch into an entrusting enterprise's view (委托企业列表 → 切换).
In that view it sees exactly the certificates it declared (申请人 = the agent) for that enterprise,
approved while its 代理打印授权 was valid, and only while the authorisation is still in force.
`visible_certificates` is the one place this rule lives: every certificate query, page, PDF,
action and job that acts for a user starts from it.
"""
from dataclasses import dataclass

from flask import abort, g, session
from flask_login import current_user

from coo.models import AgentAuthorisation, Certificate, Enterprise

ACTING_FOR_KEY = "acting_for"


@dataclass(frozen=True)
class View:
    """The enterprise whose certificates the user works on, and on whose behalf."""
    own: Enterprise                           # the logged-in user's enterprise
    principal: Enterprise | None = None       # 委托企业, when an agent switched into its view
    grant: AgentAuthorisation | None = None

    @property
    def is_agent_view(self) -> bool:
        return self.principal is not None

    @property
    def enterprise(self) -> Enterprise:
        """The enterprise the pages are about (the exporter whose certificates are shown)."""
        return self.principal or self.own


def active_grant(principal_id, agent) -> AgentAuthorisation | None:
    return (AgentAuthorisation.select()
            .where((AgentAuthorisation.principal == principal_id)
                   & (AgentAuthorisation.agent == agent)
                   & AgentAuthorisation.revoked_at.is_null())
            .order_by(AgentAuthorisation.granted_at.desc())
            .first())


def current_view() -> View:
    """The view of this request; an agent view whose authorisation was revoked ends at once."""
    if "coo_view" in g:
        return g.coo_view
    own = current_user.enterprise
    view = View(own=own)
    principal_id = session.get(ACTING_FOR_KEY)
    if principal_id is not None:
        grant = active_grant(principal_id, own)
        if grant is None:
            session.pop(ACTING_FOR_KEY, None)
        else:
            view = View(own=own, principal=grant.principal, grant=grant)
    g.coo_view = view
    return view


def switch_to(principal_id: int) -> View:
    """切换 into an entrusting enterprise's view; 404 when there is no active authorisation."""
    grant = active_grant(principal_id, current_user.enterprise)
    if grant is None:
        abort(404)
    session[ACTING_FOR_KEY] = grant.principal_id
    g.pop("coo_view", None)
    return current_view()


def switch_back():
    session.pop(ACTING_FOR_KEY, None)
    g.pop("coo_view", None)


def visible_certificates(view: View, query=None):
    """Certificates the view may see. The only scoping rule of the system."""
    query = query if query is not None else Certificate.select()
    if not view.is_agent_view:
        return query.where(Certificate.exporter == view.own)
    grant = view.grant
    return query.where(
        (Certificate.exporter == view.principal)
        & (Certificate.applicant == view.own)
        & (Certificate.approved_at >= grant.granted_at)
    )


def can_see(view: View, cert) -> bool:
    """`visible_certificates` for one loaded certificate row (the same rule, without a query)."""
    if not view.is_agent_view:
        return cert.exporter_id == view.own.id
    return (cert.exporter_id == view.principal.id and cert.applicant_id == view.own.id
            and cert.approved_at >= view.grant.granted_at)


def certificate_or_404(view: View, certificate_id=None, number=None, query=None) -> Certificate:
    """One certificate the view may see, or 404 (never 403: other ids are not confirmed)."""
    query = visible_certificates(view, query)
    if certificate_id is not None:
        query = query.where(Certificate.id == certificate_id)
    elif number is not None:
        query = query.where(Certificate.number == number)
    else:
        abort(404)
    cert = query.first()
    if cert is None:
        abort(404)
    return cert
