"""授权管理 (the manual's chapter 3): 印章签名授权 and 代理打印授权.

印章签名授权: the legal person picks a 默认印章 and a 默认签名 among the usable ones (enabled,
not deleted, the seal inside its validity, the signature's declarant still active) and presses 授权. That makes one `Authorisation`
(等待回执) and one AUTHORISATION exchange with customs; the receipt (`apply_receipt`, the
handler in `coo.services.exchanges.HANDLERS`) makes it 成功 or 失败. While one is pending, 授权 makes no
other request (the database holds at most one pending authorisation per enterprise). The
result may be viewed `AUTH_RESULT_DELAY_S` seconds after submitting (查看结果's countdown),
and the server enforces it. The latest successful authorisation's seal and signature go on the
layouts; self-printing starts at the FIRST successful one (`coo.services.rules`): certificates
approved before it keep the old way of printing.

代理打印授权: the entrusting enterprise's legal person grants an agent (by USCC or customs code),
only once its own authorisation has succeeded; a revocation takes effect at once (the agent
view, `coo.services.access`, only honours a grant that is not revoked).
"""
import datetime
import math
from dataclasses import dataclass

from flask import current_app
from peewee import IntegrityError

from coo import enums
from coo.clock import today_local, utcnow
from coo.db import lock_rows, write_transaction
from coo.models import (
    AgentAuthorisation, Authorisation, Enterprise, EnterpriseDefaults, Operator, Seal, Signature, database,
)
from coo.params import parse_id
from coo.services import audit, exchanges
from coo.validators import is_valid_customs_code, is_valid_uscc

R = enums.ReceiptStatus

NO_DEFAULTS = "请先在“操作”列设置默认印章和默认签名，再点击“授权”。"
SEAL_NOT_USABLE = "只能将已启用且在有效期内的印章设为默认印章。"
SIGNATURE_NOT_USABLE = "只能将已启用、且申报员未停用的签名设为默认签名。"
DEFAULT_SEAL_GONE = "默认印章已停用、已删除或不在有效期内，请重新设置默认印章。"
DEFAULT_SIGNATURE_GONE = "默认签名已停用、已删除或其申报员已停用，请重新设置默认签名。"
PENDING = "授权申请已提交，正在等待海关回执，请勿重复提交。"
SUBMITTED = "授权申请已提交海关，请稍后点击“查看结果”查看授权结果。"


# --- seals and signatures ---------------------------------------------------------------------

def seals(enterprise):
    """Every seal of the list (not deleted), newest first."""
    return (Seal.select().where((Seal.enterprise == enterprise) & Seal.deleted_at.is_null())
            .order_by(Seal.created_at.desc(), Seal.id.desc()))


def signatures(enterprise):
    return (Signature.select().where((Signature.enterprise == enterprise) & Signature.deleted_at.is_null())
            .order_by(Signature.created_at.desc(), Signature.id.desc()))


def usable_seals(enterprise):
    """Seals that may be the 默认印章: enabled, not deleted, inside their validity today."""
    today = today_local()
    return seals(enterprise).where((Seal.status == enums.UsageStatus.ENABLED)
                                   & (Seal.valid_from <= today) & (Seal.valid_to >= today))


def usable_signatures(enterprise):
    """Signatures that may be the 默认签名 and be sent to customs: enabled, not deleted, of a
    declarant who is still active (a disabled operator's signature is never authorised)."""
    return (signatures(enterprise).join(Operator, on=(Signature.declarant == Operator.id))
            .where((Signature.status == enums.UsageStatus.ENABLED)
                   & (Operator.active == True) & Operator.is_declarant))  # noqa: E712


def defaults(enterprise) -> EnterpriseDefaults | None:
    return EnterpriseDefaults.get_or_none(EnterpriseDefaults.enterprise == enterprise)


def _set_default(enterprise, by, **field):
    with write_transaction():
        changed = (EnterpriseDefaults.update(updated_by=by, updated_at=utcnow(), **field)
                   .where(EnterpriseDefaults.enterprise == enterprise).execute())
        if not changed:
            try:
                with database.atomic():
                    EnterpriseDefaults.create(enterprise=enterprise, updated_by=by, **field)
            except IntegrityError:   # created meanwhile by another tab
                (EnterpriseDefaults.update(updated_by=by, updated_at=utcnow(), **field)
                 .where(EnterpriseDefaults.enterprise == enterprise).execute())


def set_default_seal(enterprise, seal_id, by: str) -> str:
    """默认印章. Returns an error message, or '' when set."""
    return _choose_default(enterprise, by, "seal", usable_seals(enterprise), seal_id, SEAL_NOT_USABLE)


def set_default_signature(enterprise, signature_id, by: str) -> str:
    """默认签名. Returns an error message, or '' when set."""
    return _choose_default(enterprise, by, "signature", usable_signatures(enterprise), signature_id,
                           SIGNATURE_NOT_USABLE)


def _choose_default(enterprise, by: str, kind: str, usable, item_id, refusal: str) -> str:
    """Make one of the `usable` seals or signatures (`kind`) the enterprise's default."""
    item = usable.where(usable.model.id == _int(item_id)).first()
    if item is None:
        return refusal
    _set_default(enterprise, by, **{kind: item})
    audit.record(f"default_{kind}_set", target=item.name, enterprise=enterprise)
    return ""


def _int(value):
    return parse_id(value) or 0


# --- 授权 --------------------------------------------------------------------------------------

@dataclass
class Submitted:
    authorisation: Authorisation | None
    created: bool = False
    error: str = ""


def _payload(enterprise, seal, signature, by, at):
    return {
        "enterprise": {"uscc": enterprise.uscc, "customs_code": enterprise.customs_code,
                       "name": enterprise.name_zh},
        "seal": {"id": seal.id, "name": seal.name, "type": seal.seal_type.value, "shape": seal.shape.value,
                 "owner": seal.owner.name, "valid_from": seal.valid_from.isoformat(),
                 "valid_to": seal.valid_to.isoformat(), "height_mm": str(seal.height_mm),
                 "width_mm": str(seal.width_mm), "image_sha256": seal.image_sha256},
        "signature": {"id": signature.id, "name": signature.name, "declarant": signature.declarant.name,
                      "declarant_id_number": signature.declarant.id_number,
                      "image_sha256": signature.image_sha256},
        "requested_by": by, "submitted_at": at.isoformat(timespec="seconds"),
    }


def pending(enterprise) -> Authorisation | None:
    return Authorisation.get_or_none((Authorisation.enterprise == enterprise) & (Authorisation.status == R.PENDING))


def submit(enterprise, by: str) -> Submitted:
    """授权: one request to customs. A second press while one is pending returns that one."""
    exchange = None
    with write_transaction():
        lock_rows(Enterprise, enterprise.id)      # two tabs: the second waits, then finds this one
        existing = pending(enterprise)
        if existing is not None:
            return Submitted(existing, error=PENDING)
        chosen = defaults(enterprise)
        if chosen is None or chosen.seal_id is None or chosen.signature_id is None:
            return Submitted(None, error=NO_DEFAULTS)
        seal = usable_seals(enterprise).where(Seal.id == chosen.seal_id).first()
        if seal is None:
            return Submitted(None, error=DEFAULT_SEAL_GONE)
        signature = usable_signatures(enterprise).where(Signature.id == chosen.signature_id).first()
        if signature is None:
            return Submitted(None, error=DEFAULT_SIGNATURE_GONE)
        now = utcnow()
        try:
            with database.atomic():
                auth = Authorisation.create(enterprise=enterprise, seal=seal, signature=signature,
                                            requested_by=by, submitted_at=now)
        except IntegrityError:
            # Another request (double-click, second tab) got there first: that one stands.
            return Submitted(pending(enterprise), error=PENDING)
        exchange = exchanges.create_exchange(enums.ExchangeKind.AUTHORISATION, auth.id,
                                             _payload(enterprise, seal, signature, by, now))
        audit.record("authorisation_submitted", target=f"{seal.name} / {signature.name}",
                     enterprise=enterprise)
    exchanges.start(exchange)
    return Submitted(auth, created=True)


def apply_receipt(exchange, receipt) -> None:
    """`exchanges.HANDLERS[AUTHORISATION]`: the receipt makes the authorisation 成功 or 失败 (once)."""
    status = R.SUCCESS if receipt.ok else R.FAILED
    changed = (Authorisation.update(status=status, receipt_at=receipt.at or utcnow(),
                                    receipt_message=receipt.message)
               .where((Authorisation.id == exchange.subject_id) & (Authorisation.status == R.PENDING))
               .execute())
    if changed:
        auth = Authorisation.get_by_id(exchange.subject_id)
        audit.record("authorisation_receipt", target=status.label, detail=receipt.message,
                     enterprise=auth.enterprise, actor="customs")


def latest(enterprise) -> Authorisation | None:
    """The latest request, whatever its receipt (授权结果 shows it)."""
    return (Authorisation.select().where(Authorisation.enterprise == enterprise)
            .order_by(Authorisation.submitted_at.desc(), Authorisation.id.desc()).first())


def authorised_since(enterprise) -> datetime.datetime | None:
    """When self-printing started: certificates approved before it are not self-printable
    (SPEC section 3). The rule lives in coo.services.rules."""
    from coo.services import rules
    return rules.authorised_since(enterprise)


def seconds_until_result(auth: Authorisation | None) -> int:
    """查看结果: seconds left before the result may be shown (0 = now)."""
    if auth is None:
        return 0
    ready = auth.submitted_at + datetime.timedelta(seconds=current_app.config["AUTH_RESULT_DELAY_S"])
    return max(0, math.ceil((ready - utcnow()).total_seconds()))


@dataclass
class State:
    """What the 印章签名授权 page says about the enterprise's authorisation."""
    latest: Authorisation | None
    success: Authorisation | None
    defaults: EnterpriseDefaults | None

    @property
    def needs_reauthorisation(self) -> bool:
        return self.success is not None and self.success.superseded_at is not None

    @property
    def pending(self) -> bool:
        return self.latest is not None and self.latest.status == R.PENDING


def state(enterprise) -> State:
    return State(latest(enterprise), Authorisation.latest_success(enterprise), defaults(enterprise))


# --- 代理打印授权 ---------------------------------------------------------------------------------

AGENT_CODE_EMPTY = "请输入代理企业的统一社会信用代码（18位）或海关编码（10位）。"
AGENT_CODE_BAD = "代理企业代码格式错误：统一社会信用代码为18位（校验位正确），海关编码为10位。"
AGENT_NOT_FOUND = "未找到该企业，请核对代理企业的统一社会信用代码或海关编码。"
AGENT_NOT_AGENT = "该企业不是代理录入申报企业，不能进行代理打印授权。"
AGENT_SELF = "不能对本企业进行代理打印授权。"
AGENT_EXISTS = "已对该企业进行代理打印授权，无需重复授权。"
OWN_NOT_AUTHORISED = "本企业的印章签名授权尚未成功，请先完成印章制作、签名制作并授权成功后，再进行代理打印授权。"


def agent_grants(principal):
    """代理打印授权 list of the entrusting enterprise: active first, then revoked."""
    return (AgentAuthorisation.select(AgentAuthorisation, Enterprise)
            .join(Enterprise, on=(AgentAuthorisation.agent == Enterprise.id))
            .where(AgentAuthorisation.principal == principal)
            .order_by(AgentAuthorisation.revoked_at.is_null(False), AgentAuthorisation.granted_at.desc()))


def find_agent(code: str) -> tuple[Enterprise | None, str]:
    code = (code or "").strip().upper()
    if not code:
        return None, AGENT_CODE_EMPTY
    if len(code) == 18 and is_valid_uscc(code):
        agent = Enterprise.get_or_none(Enterprise.uscc == code)
    elif len(code) == 10 and is_valid_customs_code(code):
        agent = Enterprise.get_or_none(Enterprise.customs_code == code)
    else:
        return None, AGENT_CODE_BAD
    if agent is None:
        return None, AGENT_NOT_FOUND
    return agent, ""


def grant_agent(principal, code: str, by: str) -> tuple[AgentAuthorisation | None, str]:
    """新增代理授权. Returns the grant, or None and the reason."""
    if Authorisation.latest_success(principal) is None:
        return None, OWN_NOT_AUTHORISED
    agent, error = find_agent(code)
    if error:
        return None, error
    if agent.id == principal.id:
        return None, AGENT_SELF
    if not agent.is_agent:
        return None, AGENT_NOT_AGENT
    try:
        with write_transaction():
            grant = AgentAuthorisation.create(principal=principal, agent=agent, granted_by=by)
    except IntegrityError:
        return None, AGENT_EXISTS
    audit.record("agent_granted", target=agent.name_zh, detail=agent.uscc, enterprise=principal)
    return grant, ""


def revoke_agent(principal, grant_id, by: str) -> AgentAuthorisation | None:
    """撤销: at once. None when the grant is not this enterprise's or already revoked."""
    changed = (AgentAuthorisation.update(revoked_at=utcnow(), revoked_by=by)
               .where((AgentAuthorisation.id == _int(grant_id))
                      & (AgentAuthorisation.principal == principal)
                      & AgentAuthorisation.revoked_at.is_null())
               .execute())
    if not changed:
        return None
    grant = AgentAuthorisation.get_by_id(_int(grant_id))
    audit.record("agent_revoked", target=grant.agent.name_zh, detail=grant.agent.uscc, enterprise=principal)
    return grant


def principals_of(agent):
    """委托企业列表: enterprises whose grant to `agent` is in force."""
    return (AgentAuthorisation.select(AgentAuthorisation, Enterprise)
            .join(Enterprise, on=(AgentAuthorisation.principal == Enterprise.id))
            .where((AgentAuthorisation.agent == agent) & AgentAuthorisation.revoked_at.is_null())
            .order_by(Enterprise.name_zh))
