"""Approved certificates coming in from customs (SPEC section 5): the signed endpoint
`POST /api/customs/v1/certificates`, the CLI `coo import-certificates FILE.json`, and the
simulator's 审批 all call `import_certificate`. The record's shape is
`docs/certificate.schema.json`.

A record is validated as a whole (every problem reported, in Chinese, with its field) and
stored with its goods lines in one transaction; the certificate number is unique, so the same
certificate arriving twice is stored once (the second gets `IntakeError.code == "duplicate"`).
After the commit the layout job is enqueued (`jobs.layouts.render_certificate`).
"""
import base64
import binascii
import datetime
import io
import json
import logging
import re
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path

from peewee import IntegrityError
from redis.exceptions import RedisError

from coo import enums, storage
from coo.customs import agreements, offices
from coo.clock import CST, today_local, utcnow
from coo.db import write_transaction
from coo.models import Certificate, CertificateType, Enterprise, GoodsLine, database
from coo.params import parse_date
from coo.queue import enqueue
from coo.validators import is_valid_uscc

log = logging.getLogger(__name__)

NUMBER_RE = re.compile(r"^([A-Z]{1,2})(\d{15})$")
HS_RE = re.compile(r"^\d{4}\.?\d{2}(\.?\d{2}){0,2}$")    # 6 digits (the HS subheading) or more
CURRENCY_RE = re.compile(r"^[A-Z]{3}$")
MAX_GOODS = 50
# Fields a record must have (kept equal to "required" in docs/certificate.schema.json by a test).
REQUIRED = ("number", "type", "invoice_number", "exporter_uscc", "applicant_uscc", "exporter_text",
            "consignee_text", "importing_country", "issue_date", "issuing_office", "approved_at", "goods")
SCHEMA_PATH = Path(__file__).resolve().parents[2] / "docs" / "certificate.schema.json"


def _limits(properties) -> dict:
    return {name: spec["maxLength"] for name, spec in properties.items() if "maxLength" in spec}


# The longest text customs may send per field: the schema's maxLength (one source; the layout is
# proven to print every field whole at these lengths, tests/test_layout_fidelity.py).
_SCHEMA = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
TEXT_LIMITS = _limits(_SCHEMA["properties"])
GOODS_TEXT_LIMITS = _limits(_SCHEMA["properties"]["goods"]["items"]["properties"])


class IntakeError(Exception):
    """A record that was not imported: `code` is "invalid" or "duplicate"; `errors` say why."""

    def __init__(self, code: str, errors: list[str], number: str = "", certificate_id=None):
        super().__init__("；".join(errors))
        self.code = code
        self.errors = errors
        self.number = number
        self.certificate_id = certificate_id


@dataclass
class ImportReport:
    outcomes: list = field(default_factory=list)   # (index, number, [reasons]), in file order
    imported: list = field(default_factory=list)   # (index, number)
    rejected: list = field(default_factory=list)   # (index, number, [reasons])


def _text(record, name, errors, required=True, label="", limits=None):
    value = record.get(name)
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            errors.append(f"{name}：{label}不能为空")
        return ""
    if not isinstance(value, str):
        errors.append(f"{name}：{label}必须是文本")
        return ""
    value = value.strip()
    limit = (TEXT_LIMITS if limits is None else limits).get(name)
    if limit and len(value) > limit:
        errors.append(f"{name}：{label}不能超过{limit}个字符")
    return value


def _flag(record, name, errors, label=""):
    """An optional yes/no of box 13: absent is no; anything but true/false is refused."""
    value = record.get(name, False)
    if not isinstance(value, bool):
        errors.append(f"{name}：{label}应为 true 或 false")
        return False
    return value


def _date(record, name, errors, required=True, label=""):
    value = record.get(name)
    if value in (None, ""):
        if required:
            errors.append(f"{name}：{label}不能为空")
        return None
    day, error = parse_date(value)
    if error:
        errors.append(f"{name}：{label}{error}")
    return day


def _approved_at(record, errors):
    value = record.get("approved_at")
    if value in (None, ""):
        errors.append("approved_at：审批时间不能为空")
        return None
    try:
        at = datetime.datetime.fromisoformat(value)
        if at.tzinfo is None:
            at = at.replace(tzinfo=CST)   # customs' clock is China Standard Time
        at = at.astimezone(datetime.timezone.utc).replace(tzinfo=None)
    except (TypeError, ValueError, OverflowError):
        errors.append("approved_at：审批时间格式错误，应为 ISO 8601（如 2026-11-26T09:30:00+08:00）")
        return None
    if at > utcnow() + datetime.timedelta(minutes=5):
        errors.append("approved_at：审批时间不能晚于当前时间")
    return at


def _enterprise(record, name, label, errors):
    code = record.get(name)
    if not code:
        errors.append(f"{name}：{label}统一社会信用代码不能为空")
        return None
    if not isinstance(code, str) or not is_valid_uscc(code):
        errors.append(f"{name}：{label}统一社会信用代码 {code} 格式或校验位错误")
        return None
    enterprise = Enterprise.get_or_none(Enterprise.uscc == code.upper())
    if enterprise is None:
        errors.append(f"{name}：{label}（统一社会信用代码 {code}）未在本系统注册")
    return enterprise


MAX_IMAGE_BYTES = 2 * 1024 * 1024


def _image(part, name, label, errors):
    """A PNG image customs sent (base64) with its printed size in mm: (bytes, width, height)."""
    where = f"certification.{name}"
    if not isinstance(part, dict):
        errors.append(f"{where}：{label}不能为空")
        return None
    try:
        data = base64.b64decode(part.get("png_base64") or "", validate=True)
    except (TypeError, ValueError, binascii.Error):
        data = b""
    if not data.startswith(b"\x89PNG\r\n\x1a\n") or len(data) > MAX_IMAGE_BYTES:
        errors.append(f"{where}.png_base64：{label}应为 base64 编码的 PNG 图像（不超过 2 MB）")
        return None
    try:
        from PIL import Image
        with Image.open(io.BytesIO(data)) as image:
            image.verify()
    except Exception:   # noqa: BLE001 - any decoder error means the image is unusable
        errors.append(f"{where}.png_base64：{label}图像无法解码")
        return None
    sizes = []
    for axis in ("width_mm", "height_mm"):
        value = part.get(axis)
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not 5 <= value <= 60:
            errors.append(f"{where}.{axis}：{label}尺寸应为 5 至 60 毫米")
            return None
        sizes.append(Decimal(str(value)).quantize(Decimal("0.1")))
    return data, sizes[0], sizes[1]


def _certification(record, errors) -> dict:
    """The issuing authority's certification: the office's visa seal and the authorised officer's
    name and signature. Stored content-addressed (one file per office's seal)."""
    part = record.get("certification")
    if part is None:
        return {}
    if not isinstance(part, dict):
        errors.append("certification：签证机构签证信息必须是 JSON 对象")
        return {}
    officer = _text(part, "officer_name", errors, label="签证官姓名", limits={"officer_name": 64})
    seal = _image(part.get("visa_seal"), "visa_seal", "签证印章", errors)
    signature = _image(part.get("officer_signature"), "officer_signature", "签证官签名", errors)
    if not (officer and seal and signature):
        return {}
    return {"visa_officer_name": officer, "seal": seal, "signature": signature}


def _store_certification(part: dict) -> dict:
    if not part:
        return {}
    seal_path, _ = storage.put(part["seal"][0], "visas", ".png")
    signature_path, _ = storage.put(part["signature"][0], "visas", ".png")
    return {"visa_officer_name": part["visa_officer_name"],
            "visa_seal_path": seal_path, "visa_seal_width_mm": part["seal"][1],
            "visa_seal_height_mm": part["seal"][2],
            "visa_signature_path": signature_path, "visa_signature_width_mm": part["signature"][1],
            "visa_signature_height_mm": part["signature"][2]}


def _goods(record, errors, type_code=""):
    goods = record.get("goods")
    if not isinstance(goods, list) or not goods:
        errors.append("goods：至少需要一项货物")
        return []
    if len(goods) > MAX_GOODS:
        errors.append(f"goods：货物不能超过{MAX_GOODS}项")
        return []
    lines, seen = [], set()
    for i, item in enumerate(goods, start=1):
        where = f"goods[{i}]"
        if not isinstance(item, dict):
            errors.append(f"{where}：货物必须是 JSON 对象")
            continue
        line_errors = []
        line_no = item.get("line_no", i)
        if not isinstance(line_no, int) or isinstance(line_no, bool) or line_no < 1:
            line_errors.append(f"{where}.line_no：项号必须是正整数")
        elif line_no in seen:
            line_errors.append(f"{where}.line_no：项号 {line_no} 重复")
        seen.add(line_no)
        description = _text(item, "description", line_errors, label="货物描述", limits=GOODS_TEXT_LIMITS)
        marks = _text(item, "marks", line_errors, required=False, label="唛头", limits=GOODS_TEXT_LIMITS)
        invoice_ref = _text(item, "invoice_ref", line_errors, required=False, label="发票号",
                            limits=GOODS_TEXT_LIMITS)
        hs_code = _text(item, "hs_code", line_errors, label="HS编码")
        if hs_code and not HS_RE.match(hs_code):
            line_errors.append(f"hs_code：HS编码 {hs_code} 格式错误（6至10位数字，如 6109.10）")
        quantity = _text(item, "quantity", line_errors, label="数量", limits=GOODS_TEXT_LIMITS)
        criterion = _text(item, "origin_criterion", line_errors, label="原产地标准", limits=GOODS_TEXT_LIMITS)
        if criterion and agreements.criterion_problem(type_code, criterion):
            line_errors.append(f"origin_criterion：{agreements.criterion_problem(type_code, criterion)}")
        fob = item.get("fob_value")
        if fob is not None:
            try:
                fob = Decimal(str(fob))
                if fob < 0 or not fob.is_finite() or fob >= Decimal("1e12"):
                    raise InvalidOperation
            except (InvalidOperation, ValueError):
                line_errors.append(f"fob_value：FOB值 {item.get('fob_value')} 无效")
                fob = None
        currency = item.get("currency") or "USD"
        if not isinstance(currency, str) or not CURRENCY_RE.match(currency):
            line_errors.append(f"currency：币种 {currency} 无效（3位大写字母，如 USD）")
        errors.extend(e if e.startswith(where) else f"{where}.{e}" for e in line_errors)
        lines.append(dict(line_no=line_no, marks=marks, description=description,
                          hs_code=hs_code, quantity=quantity, origin_criterion=criterion,
                          fob_value=fob, currency=currency, invoice_ref=invoice_ref))
    return lines


def validate(record) -> tuple[dict, list[str]]:
    """The certificate's fields and its goods lines, and every problem found (Chinese)."""
    if not isinstance(record, dict):
        return {}, ["证书记录必须是 JSON 对象"]
    errors = []
    number = record.get("number")
    match = NUMBER_RE.match(number) if isinstance(number, str) else None
    if not match:
        errors.append(f"number：证书编号 {number} 格式错误，应为证书类别代码加15位数字（如 E231026902330075）")
    type_code = record.get("type")
    cert_type = CertificateType.get_or_none(CertificateType.code == type_code) if isinstance(type_code, str) else None
    if cert_type is None:
        errors.append(f"type：未知的证书类别 {type_code}")
    elif match and match.group(1) != cert_type.code:
        errors.append(f"number：证书编号前缀 {match.group(1)} 与证书类别 {cert_type.code} 不符")
    exporter = _enterprise(record, "exporter_uscc", "出口商", errors)
    applicant = _enterprise(record, "applicant_uscc", "申请人", errors)
    if exporter is not None and not exporter.is_exporter:
        errors.append(f"exporter_uscc：{exporter.name_zh}不是出口企业")
    if applicant is not None and exporter is not None and applicant.id != exporter.id and not applicant.is_agent:
        errors.append(f"applicant_uscc：申请人{applicant.name_zh}既不是出口商本身，也不是代理录入申报企业")
    platform = enums.Platform.parse(record.get("platform", enums.Platform.SINGLE_WINDOW.value))
    if platform is None:
        errors.append(f"platform：未知的申报平台 {record.get('platform')}")
    fields = dict(
        number=number, cert_type=cert_type,
        invoice_number=_text(record, "invoice_number", errors, label="发票号"),
        invoice_date=_date(record, "invoice_date", errors, required=False, label="发票日期"),
        applicant=applicant, exporter=exporter,
        exporter_text=_text(record, "exporter_text", errors, label="出口商信息"),
        consignee_text=_text(record, "consignee_text", errors, label="收货人信息"),
        producer_text=_text(record, "producer_text", errors, required=False, label="生产商信息"),
        importing_country=_text(record, "importing_country", errors, label="进口国"),
        transport_text=_text(record, "transport_text", errors, required=False, label="运输方式及路线"),
        departure_date=_date(record, "departure_date", errors, required=False, label="离港日期"),
        remarks=_text(record, "remarks", errors, required=False, label="备注"),
        third_party_invoicing=_flag(record, "third_party_invoicing", errors, label="第三方发票"),
        exhibition=_flag(record, "exhibition", errors, label="展览"),
        back_to_back=_flag(record, "back_to_back", errors, label="背对背证书"),
        issue_date=_date(record, "issue_date", errors, label="签发日期"),
        issuing_office=_text(record, "issuing_office", errors, label="签证机构"),
        platform=platform,
        creator=_text(record, "creator", errors, required=False, label="创建人"),
        approved_at=_approved_at(record, errors),
    )
    fields["original_certificate_number"] = _text(record, "original_certificate_number", errors,
                                                  required=False, label="原证书编号")
    fields["original_certificate_date"] = _date(record, "original_certificate_date", errors,
                                                required=False, label="原证书签发日期")
    fields["certification"] = _certification(record, errors)
    office = offices.find(fields["issuing_office"]) if fields["issuing_office"] else None
    if fields["issuing_office"] and office is None:
        errors.append(f"issuing_office：签证机构 {fields['issuing_office']} 不存在（应为海关签证机构名称或关区代码，如 杭州海关 / 2900）")
    elif office is not None:
        fields["issuing_office"] = office.name_zh
    if cert_type is not None and fields["importing_country"]:
        problem = agreements.country_problem(cert_type.code, fields["importing_country"])
        if problem:
            errors.append(f"importing_country：{problem}")
    if fields["issue_date"] and fields["issue_date"] > today_local():
        errors.append("issue_date：签发日期不能晚于今天")
    lines = _goods(record, errors, cert_type.code if cert_type is not None else "")
    fields["goods"] = lines
    return fields, errors


def import_certificate(record) -> Certificate:
    """Store one approved certificate; raises IntakeError (nothing stored) when it is invalid
    or its number is already known. Enqueues the layout job after the commit."""
    if database.in_transaction():
        raise RuntimeError("import_certificate() commits on its own: call it outside a transaction")
    fields, errors = validate(record)
    number = fields.get("number") if isinstance(fields.get("number"), str) else ""
    if errors:
        raise IntakeError("invalid", errors, number)
    existing = Certificate.get_or_none(Certificate.number == number)
    if existing is not None:
        raise IntakeError("duplicate", [f"证书编号 {number} 已存在"], number, existing.id)
    goods = fields.pop("goods")
    fields.update(_store_certification(fields.pop("certification")))
    try:
        with write_transaction():
            cert = Certificate.create(**fields)
            for line in goods:
                GoodsLine.create(certificate=cert, **line)
    except IntegrityError:
        existing = Certificate.get_or_none(Certificate.number == number)
        raise IntakeError("duplicate", [f"证书编号 {number} 已存在"], number,
                          existing.id if existing else None) from None
    try:
        enqueue("jobs.layouts.render_certificate", cert.id, job_id=f"layout-{cert.id}",
                queue_name="layouts")
    except RedisError:
        # The row says 海关端生成: the layout sweep enqueues it when Redis is back.
        log.warning("layout of certificate %s not enqueued (Redis unavailable)", cert.id)
    return cert


def import_records(records) -> ImportReport:
    """Import a list of records one by one: good ones are stored, bad ones reported."""
    report = ImportReport()
    for index, record in enumerate(records, start=1):
        number = record.get("number", "") if isinstance(record, dict) else ""
        try:
            cert = import_certificate(record)
        except IntakeError as error:
            report.rejected.append((index, number, error.errors))
            report.outcomes.append((index, number, error.errors))
        else:
            report.imported.append((index, cert.number))
            report.outcomes.append((index, cert.number, []))
    return report


def load_file(text: str) -> list:
    """The records of an import file: a JSON list of records, or {"certificates": [...]}.
    Raises ValueError with a Chinese message when the file itself is unusable."""
    try:
        data = json.loads(text)
    except ValueError as error:
        raise ValueError(f"文件不是有效的 JSON：{error}") from None
    if isinstance(data, dict) and isinstance(data.get("certificates"), list):
        data = data["certificates"]
    if not isinstance(data, list):
        raise ValueError('文件应为证书记录的 JSON 数组，或 {"certificates": [...]}')
    return data
