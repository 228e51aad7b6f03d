"""Exchanges with customs: one `CustomsExchange` row per request, moved by
`jobs.customs.run_exchange` until its receipt is applied by the kind's handler (`HANDLERS`,
the one table of what a receipt does, keyed by `enums.ExchangeKind`).

Other areas open an exchange in one of two ways:

- `open_exchange(kind, subject_id, payload)` — outside any transaction: creates the row and
  enqueues the job at once;
- inside your own `coo.db.write_transaction()` block (the exchange must exist iff your row does):
  `create_exchange(...)` in the block, then `start(exchange)` after the block has committed.
  (If the enqueue never happens, e.g. Redis is down, the sweep starts it later.)
"""
import importlib
import json
import logging
import uuid

from redis.exceptions import RedisError

from coo import enums
from coo.db import write_transaction
from coo.models import CustomsExchange, database
from coo.queue import enqueue

log = logging.getLogger(__name__)

# What a receipt does, per kind: `handler(exchange, receipt)`, called in the transaction that
# marks the exchange done. Dotted paths, imported when a receipt arrives (the handlers' modules
# import this one). Every ExchangeKind has one: tests/test_architecture.py checks it.
HANDLERS: dict[enums.ExchangeKind, str] = {
    enums.ExchangeKind.AUTHORISATION: "coo.services.authorisation.apply_receipt",
    enums.ExchangeKind.ARCHIVE: "coo.services.archiving.apply_receipt",
    enums.ExchangeKind.EXCEPTION: "coo.services.exceptions.apply_receipt",
}

# Kinds whose request, if customs cannot be reached for CUSTOMS_GIVE_UP_S, ends as a failed
# receipt ("not delivered, submit again"): the user can simply ask again. An archive request is
# not one of them: a printed certificate must reach customs, so it is retried for as long as it
# takes (ops see it on /healthz as the oldest open exchange).
GIVE_UP_KINDS = frozenset({enums.ExchangeKind.AUTHORISATION, enums.ExchangeKind.EXCEPTION})


def handler(kind):
    """The function that applies a receipt of `kind` (an ExchangeKind or its value)."""
    module, _, name = HANDLERS[enums.ExchangeKind(kind)].rpartition(".")
    return getattr(importlib.import_module(module), name)


def _payload_text(payload: dict) -> str:
    return json.dumps(payload, ensure_ascii=False, default=str, sort_keys=True)


def create_exchange(kind: enums.ExchangeKind, subject_id: int, payload: dict) -> CustomsExchange:
    """The row of a new exchange (status 待发送), under a reference of its own that customs
    sees: sending it twice is one request."""
    kind = enums.ExchangeKind(kind)
    reference = f"{kind.value[:4].upper()}-{uuid.uuid4().hex}"
    return CustomsExchange.create(kind=kind, subject_id=subject_id, external_ref=reference,
                                  request_payload=_payload_text(payload))


def start(exchange: CustomsExchange) -> None:
    """Enqueue the job of a committed exchange. The row is the truth: if Redis cannot take
    the job now, the sweep enqueues it later, so the caller's action still stands."""
    try:
        enqueue("jobs.customs.run_exchange", exchange.id, job_id=f"exchange-{exchange.id}",
                queue_name="customs")
    except RedisError:
        log.warning("exchange %s not enqueued (Redis unavailable); the sweep will start it", exchange.id)


def open_exchange(kind: enums.ExchangeKind, subject_id: int, payload: dict) -> CustomsExchange:
    """Create the exchange and enqueue its job after the row is committed."""
    if database.in_transaction():
        raise RuntimeError("open_exchange() inside a transaction: call create_exchange() in the "
                           "transaction and start() after it commits")
    with write_transaction():
        exchange = create_exchange(kind, subject_id, payload)
    start(exchange)
    return exchange


def latest(kind: enums.ExchangeKind, subject_id: int) -> CustomsExchange | None:
    return (CustomsExchange.select()
            .where((CustomsExchange.kind == kind) & (CustomsExchange.subject_id == subject_id))
            .order_by(CustomsExchange.id.desc()).first())
