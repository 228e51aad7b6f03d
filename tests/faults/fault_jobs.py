"""Jobs for the fault tests only: slow enough to be killed in the middle, idempotent like the
real ones (the effect is recorded once, by a key the row holds)."""
import time

from jobs import with_app


@with_app
def slow_mark(marker: str, seconds: float):
    """Wait, then record `marker` once (a second run finds it and does nothing)."""
    from coo.models import AuditEvent
    # (rows of the test's own kinds: audit.record takes only the product's AuditAction)
    AuditEvent.create(action="fault_started", target=marker, actor="worker")
    time.sleep(seconds)
    if not AuditEvent.select().where((AuditEvent.action == "fault_done") & (AuditEvent.target == marker)).exists():
        AuditEvent.create(action="fault_done", target=marker, actor="worker")
    return marker
