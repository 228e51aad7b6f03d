"""The periodic sweep: the database is the source of truth, so anything a row says is still to
be done, and that has not moved for a while, is enqueued again. Enqueueing is idempotent (job ids
name the row), so a sweep that finds a job still alive changes nothing.

Every step is listed in STEPS, here and nowhere else (a step imports its area's service when it
runs); a step returns how many rows it re-enqueued or ended.
"""
import datetime

from flask import current_app
from peewee import fn

from coo import enums
from coo.clock import utcnow
from coo.models import CustomsExchange
from coo.queue import enqueue


def stale_before() -> datetime.datetime:
    return utcnow() - datetime.timedelta(seconds=current_app.config["SWEEP_STALE_AFTER_S"])


def exchanges() -> int:
    """Customs exchanges still open (待发送 / 等待回执) and untouched for too long: past the
    time their next step was due (`next_poll_at`, else `updated_at`) by the stale delay."""
    due = fn.COALESCE(CustomsExchange.next_poll_at, CustomsExchange.updated_at)
    rows = (CustomsExchange.select(CustomsExchange.id)
            .where(CustomsExchange.status.in_([enums.ExchangeStatus.PENDING, enums.ExchangeStatus.SENT])
                   & (CustomsExchange.updated_at < stale_before()) & (due < stale_before())))
    count = 0
    for row in rows:
        if enqueue("jobs.customs.run_exchange", row.id, job_id=f"exchange-{row.id}",
                   queue_name="customs") is not None:
            count += 1
    return count


def layouts() -> int:
    """版式 still to do: certificates stuck in 海关端生成 (not refused for a reason: layout_error
    says why) or 发送中 for too long, and unprinted layouts that carry a superseded authorisation."""
    from peewee import fn
    from coo.models import Authorisation, Certificate
    from coo.services import layouts as layout_service
    C = Certificate
    stuck = (C.select(C.id)
             .where((((C.layout_status == enums.LayoutStatus.CUSTOMS_GENERATED) & (C.layout_error == ""))
                     | (C.layout_status == enums.LayoutStatus.SENDING))
                    & (fn.COALESCE(C.layout_updated_at, C.updated_at) < stale_before()))
             .order_by(C.id).limit(LAYOUT_BATCH))
    from coo.queue import BULK_LAYOUTS
    count = sum(1 for row in stuck if layout_service.enqueue_render(row.id, BULK_LAYOUTS) is not None)
    exporters = (Authorisation.select(Authorisation.enterprise)
                 .where(Authorisation.status == enums.ReceiptStatus.SUCCESS).distinct())
    for row in exporters:
        count += layout_service.request_layouts_for(row.enterprise_id, limit=LAYOUT_BATCH)
    return count


# At most this many stuck layouts per sweep: the next sweep takes the rest.
LAYOUT_BATCH = 1000

def exports() -> int:
    """导出 Excel: delete expired files; enqueue again the exports a lost job left behind."""
    from coo.services import exports as exporting
    return exporting.expire() + exporting.restart_stale(stale_before())


def print_jobs() -> int:
    """Print jobs no control took, or took and never reported (`printjobs.expire_stale_jobs`)."""
    from coo.services import printjobs
    return printjobs.expire_stale_jobs()


def customs_nonces() -> int:
    """Signed-request nonces past their expiry (they are kept in the database, not Redis)."""
    from coo.customs import nonces
    return nonces.prune()


STEPS = [exchanges, layouts, exports, print_jobs, customs_nonces]


def run() -> dict:
    return {step.__name__: step() for step in STEPS}
