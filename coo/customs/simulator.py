"""The embedded customs simulator: behaves like the origin-management system (原产地管理系统).

It answers each request with a receipt once a delay has passed (`SIMULATOR_RECEIPT_DELAY_S`;
`SIMULATOR_ARCHIVE_DELAY_S` for archiving), and fails a share of calls
(`SIMULATOR_FAILURE_RATE`) the way a remote system does: 503 before the request arrived, or a
timeout after it arrived (so a retry must be idempotent by reference). Which call fails is
decided by hashing `SIMULATOR_SEED`, the reference, the operation and the call's number, not by
a global random generator: a run is reproducible. Its state is rows of `SimulatorMessage` in
our database, so it survives restarts.

Customs checks an authorisation against the seal and signature it has on file: a seal or
signature that is disabled, deleted, out of its validity or changed since the request makes
the receipt 失败 with a customs-like message. `SIMULATOR_AUTH_FAILURE_RATE` adds refusals of
otherwise good requests (same hashing).

Customs approving a new certificate (the ops page's 海关模拟器, `simulator-approve`) is
`coo.services.approval`: it builds the record and hands it to intake, as the signed endpoint does.
"""
import datetime
import hashlib
import json

from peewee import IntegrityError

from coo import enums
from coo.clock import today_local, utcnow
from coo.customs import Gateway, GatewayError, Receipt, UnknownReference
from coo.db import write_transaction
from coo.models import Seal, Signature, SimulatorMessage, database


def _kind(kind) -> str:
    return getattr(kind, "value", kind)


class Simulator(Gateway):
    def __init__(self, seed=0, failure_rate=0.0, receipt_delay_s=0.0, archive_delay_s=0.0,
                 auth_failure_rate=0.0):
        self.seed = seed
        self.failure_rate = failure_rate
        self.receipt_delay_s = receipt_delay_s
        self.archive_delay_s = archive_delay_s
        self.auth_failure_rate = auth_failure_rate

    @classmethod
    def from_config(cls, config):
        return cls(seed=config["SIMULATOR_SEED"], failure_rate=config["SIMULATOR_FAILURE_RATE"],
                   receipt_delay_s=config["SIMULATOR_RECEIPT_DELAY_S"],
                   archive_delay_s=config["SIMULATOR_ARCHIVE_DELAY_S"],
                   auth_failure_rate=config.get("SIMULATOR_AUTH_FAILURE_RATE", 0.0))

    # --- determinism ---------------------------------------------------------------------

    def _draw(self, *parts) -> float:
        """A number in [0, 1) fixed by the seed and `parts`."""
        digest = hashlib.sha256(":".join(str(p) for p in (self.seed, *parts)).encode()).digest()
        return int.from_bytes(digest[:8], "big") / 2 ** 64

    def _count_call(self, kind: str, reference: str) -> int:
        """Number this call (1, 2, …) for `reference`; the row is created on the first call."""
        with write_transaction():
            if not SimulatorMessage.select().where(SimulatorMessage.reference == reference).exists():
                try:
                    with database.atomic():
                        SimulatorMessage.create(reference=reference, kind=kind)
                except IntegrityError:
                    pass   # created by a concurrent call
            (SimulatorMessage.update(calls=SimulatorMessage.calls + 1)
             .where(SimulatorMessage.reference == reference).execute())
            return SimulatorMessage.get(SimulatorMessage.reference == reference).calls

    # --- the Gateway interface -----------------------------------------------------------

    def send(self, kind, reference, payload):
        kind = _kind(kind)
        call = self._count_call(kind, reference)
        fails = self._draw(reference, "send", call) < self.failure_rate
        if fails and self._draw(reference, "send-lost", call) < 0.5:
            raise GatewayError("原产地管理系统暂时不可用（HTTP 503），请稍后重试。")
        now = utcnow()
        delay = self.archive_delay_s if kind == enums.ExchangeKind.ARCHIVE.value else self.receipt_delay_s
        # Idempotent by reference: only the first delivery counts.
        (SimulatorMessage.update(payload=json.dumps(payload, ensure_ascii=False, default=str),
                                 delivered_at=now, answer_at=now + datetime.timedelta(seconds=delay))
         .where((SimulatorMessage.reference == reference) & SimulatorMessage.delivered_at.is_null())
         .execute())
        if fails:
            # The request arrived, the answer got lost: the caller will send it again.
            raise GatewayError("等待原产地管理系统响应超时。")

    def poll(self, kind, reference):
        kind = _kind(kind)
        call = self._count_call(kind, reference)
        if self._draw(reference, "poll", call) < self.failure_rate:
            raise GatewayError("查询回执超时（原产地管理系统繁忙），请稍后重试。")
        row = SimulatorMessage.get(SimulatorMessage.reference == reference)
        if row.delivered_at is None:
            raise UnknownReference(f"原产地管理系统未收到参考号为 {reference} 的申请。")
        if row.answered_at is None:
            if utcnow() < row.answer_at:
                return None
            ok, message, data = self._decide(kind, reference, json.loads(row.payload or "{}"))
            (SimulatorMessage.update(answered_at=utcnow(), ok=ok, message=message,
                                     data=json.dumps(data, ensure_ascii=False))
             .where((SimulatorMessage.reference == reference) & SimulatorMessage.answered_at.is_null())
             .execute())
            row = SimulatorMessage.get(SimulatorMessage.reference == reference)
        return Receipt(ok=row.ok, message=row.message, at=row.answered_at,
                       data=json.loads(row.data or "{}"))

    # --- what customs answers ------------------------------------------------------------

    def _decide(self, kind, reference, payload) -> tuple[bool, str, dict]:
        if kind == enums.ExchangeKind.AUTHORISATION.value:
            problem = authorisation_problem(payload)
            if problem:
                return False, problem, {}
            if self._draw(reference, "auth-refused") < self.auth_failure_rate:
                return False, "印章图像与电子口岸备案信息核对不一致，授权失败，请重新制作印章后再授权。", {}
            return True, "印章签名授权成功。", {}
        if kind == enums.ExchangeKind.ARCHIVE.value:
            return True, "证书已归档。", {"archived_at": utcnow().isoformat(timespec="seconds")}
        if kind == enums.ExchangeKind.EXCEPTION.value:
            problem = exception_problem(payload)
            if problem:
                return False, problem, {}
            return True, enums.ExceptionStatus.ACCEPTED.label + "。", {}
        return True, "已接收。", {}


def exception_problem(payload: dict) -> str:
    """Customs' reason to refuse a 打印异常申请, or '': an archived certificate is final."""
    from coo.models import Certificate
    cert = Certificate.get_or_none(Certificate.number == payload.get("certificate_number"))
    if cert is not None and cert.archive_status == enums.ArchiveStatus.ARCHIVED:
        return f"证书{cert.number}已归档，不能进行打印异常申请。"
    return ""


def authorisation_problem(payload: dict) -> str:
    """Customs' reason to refuse an authorisation, or '' when the seal and signature are usable.
    It checks what it has on file (our Seal/Signature rows stand in for the e-port registry)."""
    today = today_local()
    seal_info, sig_info = payload.get("seal") or {}, payload.get("signature") or {}
    uscc = (payload.get("enterprise") or {}).get("uscc")
    seal = Seal.get_or_none(Seal.id == seal_info.get("id")) if seal_info.get("id") else None
    if seal is None or seal.enterprise.uscc != uscc:
        return "未查询到该企业的印章备案信息，授权失败。"
    name = seal.name
    if seal.deleted_at is not None:
        return f"印章【{name}】已删除，授权失败。"
    if seal.status != enums.UsageStatus.ENABLED:
        return f"印章【{name}】已停用，授权失败。"
    if not (seal.valid_from <= today <= seal.valid_to):
        return f"印章【{name}】不在有效期内（{seal.valid_from}至{seal.valid_to}），授权失败。"
    if seal_info.get("image_sha256") != seal.image_sha256:
        return f"印章【{name}】的图像与申请时不一致，请刷新后重新授权。"
    sig = Signature.get_or_none(Signature.id == sig_info.get("id")) if sig_info.get("id") else None
    if sig is None or sig.enterprise.uscc != uscc:
        return "未查询到该企业的申报员签名备案信息，授权失败。"
    if sig.deleted_at is not None:
        return f"申报员签名【{sig.name}】已删除，授权失败。"
    if sig.status != enums.UsageStatus.ENABLED:
        return f"申报员签名【{sig.name}】已停用，授权失败。"
    if not sig.declarant.active:
        return f"申报员{sig.declarant.name}已注销，其签名不能授权。"
    if sig_info.get("image_sha256") != sig.image_sha256:
        return f"申报员签名【{sig.name}】的图像与申请时不一致，请刷新后重新授权。"
    return ""
