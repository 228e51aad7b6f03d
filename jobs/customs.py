"""Customs exchanges, moved one step at a time (SPEC section 5).

`run_exchange(id)` re-reads the `CustomsExchange` row and acts from its state:

    待发送 (PENDING) --send--> 已发送 (SENT) --poll--> receipt --exchanges.HANDLERS[kind]--> 已完成 (DONE)

Every state change is a conditional UPDATE on the status it expects, and the receipt is applied
in the same transaction that marks the row DONE, so two runs of the same exchange (a retry, the
sweep, a second worker) never apply a receipt twice. No receipt yet: the job schedules itself
again after `CUSTOMS_POLL_INTERVAL_S`. A GatewayError is recorded (attempts, last_error) and
retried after an exponential backoff. A lost job is found by the sweep (`coo.services.sweep`).

A request customs never received (still 待发送) of a kind in `exchanges.GIVE_UP_KINDS` gives up after
`CUSTOMS_GIVE_UP_S`: the row becomes 失败 and its handler gets a failed receipt saying the
request did not reach customs, so the user may submit again. Once 已发送, customs has the request
and its answer is awaited however long it takes.
"""
import datetime
import json

from flask import current_app

from coo import enums
from coo.clock import utcnow
from coo.customs import GatewayError, Receipt, UnknownReference, gateway
from coo.db import write_transaction
from coo.models import CustomsExchange
from coo.queue import enqueue_in
from coo.services.exchanges import GIVE_UP_KINDS, handler
from jobs import with_app

S = enums.ExchangeStatus


def backoff(attempts: int) -> float:
    config = current_app.config
    return min(config["CUSTOMS_RETRY_MAX_S"], config["CUSTOMS_RETRY_BASE_S"] * 2 ** max(0, attempts - 1))


def _again(exchange_id: int, attempts: int, seconds: float) -> None:
    """Schedule the next step. The running job's own id is live, so the next one is numbered."""
    (CustomsExchange.update(next_poll_at=utcnow() + datetime.timedelta(seconds=seconds))
     .where(CustomsExchange.id == exchange_id).execute())
    enqueue_in(seconds, "jobs.customs.run_exchange", exchange_id,
               job_id=f"exchange-{exchange_id}-r{attempts}", queue_name="customs")


def _record(exchange_id, expected, **changes) -> int:
    """A conditional update: only from the `expected` status. Returns the rows changed."""
    changes.setdefault("updated_at", utcnow())
    return (CustomsExchange.update(attempts=CustomsExchange.attempts + 1, **changes)
            .where((CustomsExchange.id == exchange_id) & (CustomsExchange.status == expected))
            .execute())


def not_delivered_message() -> str:
    hours = current_app.config["CUSTOMS_GIVE_UP_S"] / 3600
    return f"连续 {hours:g} 小时无法连接海关，请求未送达海关，请重新提交。"


def _gives_up(exchange) -> bool:
    limit = datetime.timedelta(seconds=current_app.config["CUSTOMS_GIVE_UP_S"])
    return (exchange.status == S.PENDING and exchange.kind in GIVE_UP_KINDS
            and utcnow() - exchange.created_at >= limit)


def _give_up(exchange, error) -> str:
    """失败, with the kind's failed receipt applied in the same transaction (once)."""
    now = utcnow()
    with write_transaction():
        changed = _record(exchange.id, S.PENDING, status=S.FAILED, last_error=str(error),
                          completed_at=now, next_poll_at=None)
        if changed:
            handler(exchange.kind)(CustomsExchange.get_by_id(exchange.id),
                                    Receipt(ok=False, message=not_delivered_message(), at=now))
    return f"gave up: {error}" if changed else "moved by another run"


def _failed(exchange, error) -> str:
    if _gives_up(exchange):
        return _give_up(exchange, error)
    _record(exchange.id, exchange.status, last_error=str(error))
    attempts = exchange.attempts + 1
    _again(exchange.id, attempts, backoff(attempts))
    return f"retry: {error}"


def apply_receipt(exchange_id: int, receipt) -> bool:
    """Mark the exchange DONE and apply its receipt, once. True when this call applied it."""
    response = {"ok": receipt.ok, "message": receipt.message,
                "at": receipt.at.isoformat() if receipt.at else None, "data": receipt.data}
    now = utcnow()
    with write_transaction():
        changed = (CustomsExchange.update(
            status=S.DONE, response_payload=json.dumps(response, ensure_ascii=False),
            completed_at=now, updated_at=now, next_poll_at=None, last_error="")
            .where((CustomsExchange.id == exchange_id) & (CustomsExchange.status == S.SENT))
            .execute())
        if changed:
            handler(CustomsExchange.get_by_id(exchange_id).kind)(
                CustomsExchange.get_by_id(exchange_id), receipt)
    return bool(changed)


@with_app
def run_exchange(exchange_id: int) -> str:
    exchange = CustomsExchange.get_or_none(CustomsExchange.id == exchange_id)
    if exchange is None or exchange.status not in (S.PENDING, S.SENT):
        return "nothing to do"
    customs = gateway()
    if exchange.status == S.PENDING:
        try:
            customs.send(exchange.kind, exchange.external_ref, json.loads(exchange.request_payload or "{}"))
        except GatewayError as error:
            return _failed(exchange, error)
        if not _record(exchange.id, S.PENDING, status=S.SENT, last_error=""):
            return "moved by another run"
        exchange = CustomsExchange.get_by_id(exchange.id)
    try:
        receipt = customs.poll(exchange.kind, exchange.external_ref)
    except UnknownReference as error:
        # Customs lost (or never got) the request: send it again under the same reference.
        _record(exchange.id, S.SENT, status=S.PENDING, last_error=str(error))
        _again(exchange.id, exchange.attempts + 1, 0)
        return "send again"
    except GatewayError as error:
        return _failed(exchange, error)
    if receipt is None:
        if not _record(exchange.id, S.SENT):
            return "moved by another run"
        attempts = exchange.attempts + 1
        _again(exchange.id, attempts, current_app.config["CUSTOMS_POLL_INTERVAL_S"])
        return "waiting for the receipt"
    (CustomsExchange.update(attempts=CustomsExchange.attempts + 1)
     .where(CustomsExchange.id == exchange.id).execute())
    return "applied" if apply_receipt(exchange.id, receipt) else "already applied"
