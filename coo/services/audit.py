"""Audit log of every sensitive action: who, enterprise, what, when, from where."""
from flask import has_request_context, request
from flask_login import current_user

from coo.enums import AuditAction
from coo.models import AuditEvent


def record(action: AuditAction | str, target: str = "", detail: str = "", *, enterprise=None, actor=None,
           login=None):
    """One 审计日志 row. `action` is an AuditAction (or its code): an action without a Chinese
    label cannot be recorded (ValueError), so the log never shows users a code."""
    action = AuditAction(action)
    principal = current_user if has_request_context() and current_user.is_authenticated else None
    if principal is not None:
        enterprise = enterprise if enterprise is not None else principal.enterprise
        actor = actor or principal.display_name
        login = login or principal.login_name
    remote = request.remote_addr or "" if has_request_context() else ""
    # Cut to the columns' sizes: an actor or login may be what a stranger typed (5,000 digits).
    return AuditEvent.create(
        enterprise=enterprise, actor=str(actor or "system")[:100], login=str(login or "")[:64],
        action=action.value, target=str(target)[:100], detail=str(detail)[:4000], remote_addr=remote[:64],
    )
