"""The periodic sweep: the database is the source of truth, so anything a row says is still to
be done, and that has not moved for a while, is enqueued again. Enqueueing is idempotent (job ids
name the row), so a sweep that finds a job still alive changes nothing.

Each area adds its step to STEPS; a step returns how many rows it re-enqueued.
"""
import datetime

from flask import current_app

from coo import enums
from coo.clock import utcnow
from coo.models import CustomsExchange
from coo.queue import enqueue


def stale_before() -> datetime.datetime:
    return utcnow() - datetime.timedelta(seconds=current_app.config["SWEEP_STALE_AFTER_S"])


def exchanges() -> int:
    """Customs exchanges still open (待发送 / 等待回执) and untouched for too long."""
    rows = (CustomsExchange.select(CustomsExchange.id)
            .where(CustomsExchange.status.in_([enums.ExchangeStatus.PENDING, enums.ExchangeStatus.SENT])
                   & (CustomsExchange.updated_at < stale_before())))
    count = 0
    for row in rows:
        if enqueue("jobs.customs.run_exchange", row.id, job_id=f"exchange-{row.id}",
                   queue_name="customs") is not None:
            count += 1
    return count


def exports() -> int:
    """导出 Excel: delete expired files; enqueue again the exports a lost job left behind."""
    from coo.services import exports as exporting
    return exporting.expire() + exporting.restart_stale(stale_before())


STEPS = [exchanges, exports]


def run() -> dict:
    return {step.__name__: step() for step in STEPS}
