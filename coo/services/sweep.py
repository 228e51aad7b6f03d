"""The periodic sweep: the database is the source of truth, so anything a row says is still to
be done, and that has not moved for a while, is enqueued again. Enqueueing is idempotent (job ids
name the row), so a sweep that finds a job still alive changes nothing.

Each area adds its step to STEPS; a step returns how many rows it re-enqueued.
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


STEPS = [exchanges]


def run() -> dict:
    return {step.__name__: step() for step in STEPS}
