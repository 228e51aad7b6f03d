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
    return AuditEvent.create(
        enterprise=enterprise, actor=actor or "system", login=login or "", action=action.value,
        target=str(target)[:100], detail=detail, remote_addr=remote,
    )
