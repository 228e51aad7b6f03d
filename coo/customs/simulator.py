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

`approve_certificate` plays customs approving a new certificate: it builds a realistic record
and hands it to `coo.services.intake`, exactly as the signed endpoint would.
"""
import datetime
import hashlib
import json

from peewee import IntegrityError

from coo import enums
from coo.clock import today_local, utcnow
from coo.customs import Gateway, GatewayError, Receipt, UnknownReference, offices, visa
from coo.db import write_transaction
from coo.models import Operator, Seal, Signature, SimulatorMessage, database
from coo.params import parse_id


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


# --- customs approving a new certificate ----------------------------------------------------

# Importing countries offered by the ops page, with a consignee and port each.
COUNTRIES = {
    "INDONESIA": ("PT SINAR JAYA ABADI", "JL. GATOT SUBROTO KAV. 52, JAKARTA 12950, INDONESIA", "JAKARTA"),
    "SINGAPORE": ("LIONCITY TRADING PTE. LTD.", "10 ANSON ROAD #22-01, SINGAPORE 079903", "SINGAPORE"),
    "JAPAN": ("KANTO SHOJI CO., LTD.", "2-4-1 SHIBAKOEN, MINATO-KU, TOKYO 105-0011, JAPAN", "TOKYO"),
    "KOREA": ("HANBIT TRADING CO., LTD.", "123 TEHERAN-RO, GANGNAM-GU, SEOUL, KOREA", "BUSAN"),
    "AUSTRALIA": ("SOUTHERN CROSS IMPORTS PTY LTD", "45 GEORGE STREET, SYDNEY NSW 2000, AUSTRALIA", "SYDNEY"),
    "NEW ZEALAND": ("KIWI HOME GOODS LIMITED", "12 QUEEN STREET, AUCKLAND 1010, NEW ZEALAND", "AUCKLAND"),
    "CHILE": ("ANDES COMERCIAL SPA", "AV. PROVIDENCIA 1234, SANTIAGO, CHILE", "SAN ANTONIO"),
    "INDIA": ("BHARAT IMPEX PVT. LTD.", "PLOT 7, MIDC ANDHERI EAST, MUMBAI 400093, INDIA", "NHAVA SHEVA"),
    "PAKISTAN": ("INDUS TRADERS (PVT) LTD.", "PLOT 22, SITE AREA, KARACHI, PAKISTAN", "KARACHI"),
}
GOODS = [
    ("COTTON T-SHIRTS FOR MEN, KNITTED", "6109.10", "WO", "PCS"),
    ("STAINLESS STEEL KITCHEN SINKS", "7324.10", "RVC 45%", "SETS"),
    ("LED LAMPS FOR INDOOR LIGHTING", "8539.52", "CTH", "PCS"),
    ("CERAMIC TABLEWARE SETS", "6912.00", "PE", "SETS"),
    ("ELECTRIC KETTLES, 1.7L", "8516.79", "RVC 40%", "PCS"),
    ("POLYESTER WOVEN FABRIC", "5407.61", "CC", "MTRS"),
]
# The offices the simulator approves at (the one table: coo.customs.offices).
OFFICES = [offices.BY_NAME[name] for name in ("杭州海关", "宁波海关", "南京海关", "上海海关")]


def _criterion(type_code: str, criterion: str) -> str:
    """What the goods line's criterion box holds: a re-export certificate names the goods'
    country of origin, a processing certificate the work done in China."""
    return {"TR": "JAPAN", "PR": "ASSEMBLY OF IMPORTED PARTS"}.get(type_code, criterion)


def certificate_record(exporter, applicant, cert_type, country: str, sequence: int) -> dict:
    """A realistic approved certificate (docs/certificate.schema.json), fixed by `sequence`."""
    consignee, address, port = COUNTRIES[country]
    now = utcnow()
    issued = today_local()
    office = OFFICES[sequence % len(OFFICES)]
    office_code = office.code
    number = f"{cert_type.code}{issued:%y}{office_code}{sequence:09d}"
    invoice = f"INV{issued:%Y%m}S{sequence:05d}"
    goods = []
    for line in range(1 + sequence % 3):
        desc, hs, criterion, unit = GOODS[(sequence + line) % len(GOODS)]
        goods.append({"line_no": line + 1, "marks": "N/M", "description": desc, "hs_code": hs,
                      "quantity": f"{(sequence * 7 + line * 13) % 90 * 100 + 100} {unit}",
                      "origin_criterion": _criterion(cert_type.code, criterion),
                      "fob_value": f"{(sequence * 131 + line * 977) % 90000 + 1000}.00",
                      "currency": "USD", "invoice_ref": invoice})
    creator = (Operator.select().where((Operator.enterprise == applicant) & ~Operator.is_legal_person)
               .order_by(Operator.id).first())
    return {
        "number": number, "type": cert_type.code, "invoice_number": invoice,
        "invoice_date": issued.isoformat(),
        "exporter_uscc": exporter.uscc, "applicant_uscc": applicant.uscc,
        "exporter_text": f"{exporter.name_en}\n{exporter.address_en}",
        "consignee_text": f"{consignee}\n{address}",
        "producer_text": "SAME AS EXPORTER",
        "importing_country": country,
        "transport_text": f"FROM NINGBO, CHINA TO {port}, {country} BY SEA",
        "departure_date": (issued + datetime.timedelta(days=3)).isoformat(),
        "remarks": "",
        "issue_date": issued.isoformat(), "issuing_office": office.name_zh,
        "certification": visa.certification_for(office),
        "platform": enums.Platform.SINGLE_WINDOW.value,
        "creator": creator.name if creator else applicant.name_zh,
        "approved_at": now.replace(tzinfo=datetime.timezone.utc).isoformat(timespec="seconds"),
        "goods": goods,
        **({"original_certificate_number": f"KR{issued:%y}-{sequence % 100000:05d}-BTB",
            "original_certificate_date": (issued - datetime.timedelta(days=20)).isoformat()}
           if cert_type.code == "BR" else {}),
    }


def approve_certificate(exporter, applicant, cert_type, country: str):
    """Customs approves a new certificate: it is recorded in the simulator's state and goes
    through intake like one from the signed endpoint. Returns the Certificate; raises
    `coo.services.intake.IntakeError` when intake refuses it."""
    from coo.models import Certificate
    from coo.services import intake
    if country not in COUNTRIES:
        raise intake.IntakeError("invalid", [f"importing_country：不支持的进口国 {country}"])
    sequence = 500000000 + SimulatorMessage.select().where(SimulatorMessage.kind == "certificate").count() + 1
    while True:
        record = certificate_record(exporter, applicant, cert_type, country, sequence)
        if not Certificate.select().where(Certificate.number == record["number"]).exists():
            break
        sequence += 1
    SimulatorMessage.create(reference=f"CERT-{record['number']}", kind="certificate",
                            payload=json.dumps(record, ensure_ascii=False), calls=1,
                            delivered_at=utcnow(), answered_at=utcnow(), ok=True, message="审批通过")
    return intake.import_certificate(record)


def approve_by_ids(exporter_id, applicant_id, type_code, country):
    """The ops page's 审批通过: the same as `approve_certificate`, from submitted ids."""
    from coo.models import CertificateType, Enterprise
    from coo.services import intake
    errors = []
    exporter = Enterprise.get_or_none((Enterprise.id == _as_int(exporter_id)) & Enterprise.is_exporter)
    applicant = Enterprise.get_or_none(Enterprise.id == _as_int(applicant_id))
    cert_type = CertificateType.get_or_none(CertificateType.code == (type_code or ""))
    if exporter is None:
        errors.append("请选择出口商。")
    if applicant is None:
        errors.append("请选择申请人。")
    elif exporter is not None and applicant.id != exporter.id and not applicant.is_agent:
        errors.append("申请人须为出口商本身或代理录入申报企业。")
    if cert_type is None:
        errors.append("请选择证书类别。")
    if country not in COUNTRIES:
        errors.append("请选择进口国。")
    if errors:
        raise intake.IntakeError("invalid", errors)
    return approve_certificate(exporter, applicant, cert_type, country)


def _as_int(value):
    return parse_id(value) or 0
