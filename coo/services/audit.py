"""Audit log of every sensitive action: who, enterprise, what, when, from where."""
from flask import has_request_context, request
from flask_login import current_user

from coo.models import AuditEvent


def record(action: str, target: str = "", detail: str = "", *, enterprise=None, actor=None, login=None):
    principal = current_user if has_request_context() and current_user.is_authenticated else None
    if principal is not None:
        enterprise = enterprise if enterprise is not None else principal.enterprise
        actor = actor or principal.display_name
        login = login or principal.login_name
    remote = request.remote_addr or "" if has_request_context() else ""
    return AuditEvent.create(
        enterprise=enterprise, actor=actor or "system", login=login or "", action=action,
        target=str(target)[:100], detail=detail, remote_addr=remote,
    )
