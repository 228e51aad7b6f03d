"""The customs gateway (SPEC section 5): the only way to the origin-management system.

Every exchange with customs has the same shape: we **send** a request under a reference we
choose (idempotent: sending the same reference twice is one request), then **poll** that
reference until customs has answered with a receipt. The four messages of the spec map onto it:

| ExchangeKind   | we send                                   | the receipt says                       |
|----------------|-------------------------------------------|----------------------------------------|
| AUTHORISATION  | enterprise, default seal + signature      | 成功 / 失败 with customs' message        |
| ARCHIVE        | certificate printed or downloaded         | 已归档 (ok) or refused with the reason    |
| EXCEPTION      | certificate, reason, details              | 异常处理申请接收成功 or refused             |

(Approved certificates come *in* through `coo.services.intake`, from the signed API endpoint
or the import CLI.) Two implementations are picked by `CUSTOMS_GATEWAY`: the embedded
`simulator` and the `http` client. Each `CustomsExchange` row records one exchange; the job
`jobs.customs.run_exchange` moves it, and `coo.services.exchanges.HANDLERS` apply a receipt
to the rows it is about (this package knows nothing of them).
"""
import datetime
from abc import ABC, abstractmethod
from dataclasses import dataclass, field


class GatewayError(Exception):
    """A transient failure (timeout, 5xx, connection refused): try again later."""


class UnknownReference(GatewayError):
    """Customs has no request under this reference (it never arrived): send it again."""


@dataclass(frozen=True)
class Receipt:
    ok: bool
    message: str = ""
    at: datetime.datetime | None = None
    data: dict = field(default_factory=dict)


class Gateway(ABC):
    """Interface of both implementations."""

    @abstractmethod
    def send(self, kind, reference: str, payload: dict) -> None:
        """Deliver a request. Idempotent by `reference`. Raises GatewayError when not delivered."""

    @abstractmethod
    def poll(self, kind, reference: str) -> Receipt | None:
        """The receipt for `reference`, or None while customs has not answered yet.
        Raises GatewayError when customs could not be asked."""


def gateway() -> Gateway:
    """The gateway `CUSTOMS_GATEWAY` names: "simulator" (embedded, default) or "http"."""
    from flask import current_app
    name = current_app.config.get("CUSTOMS_GATEWAY", "simulator")
    if name == "simulator":
        from coo.customs.simulator import Simulator
        return Simulator.from_config(current_app.config)
    if name == "http":
        from coo.customs.http import HttpGateway
        return HttpGateway.from_config(current_app.config)
    raise ValueError(f"unknown CUSTOMS_GATEWAY {name!r}: use 'simulator' or 'http'")
