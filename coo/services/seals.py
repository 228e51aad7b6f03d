"""印章管理: the rules of seals (印章制作) and signatures (签名制作), one place each.

An upload is processed at once (`coo.scan`) and both files, the processed PNG and the original,
are stored content-addressed (`coo.storage`). Between the preview and 保存印章 the form carries a
signed, time-limited token naming those files and the measured facts; the server never takes a
path or a size from the client. Saving re-checks every field and the legal-person card PIN
(a wrong PIN counts toward the card lock). When a seal or signature of the enterprise's current
authorisation changes, the authorisation is marked superseded: 需要重新授权.
"""
import datetime
import time
from dataclasses import dataclass, field
from decimal import Decimal

from flask import abort, current_app
from itsdangerous import BadSignature, URLSafeTimedSerializer
from peewee import IntegrityError

from coo import enums, scan, storage
from coo.clock import today_local, utcnow
from coo.db import write_transaction
from coo.models import Authorisation, Card, Operator, Seal, Signature
from coo.services import audit
from coo.services.accounts import verify_legal_person_pin

UPLOAD_MAX_AGE_S = 2 * 3600
NAME_MAX = 100

MSG_PICK_FILE = {
    scan.SEAL: "请选择印章扫描图片，预览无误后再保存印章。",
    scan.SIGNATURE: "请选择签名扫描图片，预览无误后再保存签名。",
}
MSG_UPLOAD_EXPIRED = "预览已过期，请重新选择扫描图片。"
MSG_DELETE_ENABLED = "只能删除已停用的印章：请先停用印章，再删除印章。"
MSG_DELETE_ENABLED_SIGNATURE = "只能删除已停用的签名：请先停用签名，再删除签名。"


@dataclass(frozen=True)
class Upload:
    """A processed scan waiting for 保存: the stored files and what was measured."""
    kind: str
    image_path: str
    original_path: str
    sha256: str
    width_mm: Decimal
    height_mm: Decimal
    dpi: int
    shape: enums.SealShape | None
    token: str

    @property
    def width_css_px(self) -> int:
        return css_px(self.width_mm)

    @property
    def height_css_px(self) -> int:
        return css_px(self.height_mm)


@dataclass
class Outcome:
    """What a save did: the row, or the messages per form field."""
    row: object = None
    errors: dict = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.errors


def css_px(millimetres) -> int:
    """CSS pixels (1/96 in) for a length in mm: the preview shows the seal at real size."""
    return round(float(millimetres) * 96 / 25.4)


# --- Uploads: process, store, sign --------------------------------------------------------------

def _serializer(kind):
    return URLSafeTimedSerializer(current_app.secret_key, salt=f"coo-scan-upload-{kind}")


def store_scan(kind: str, data: bytes, result: scan.ScanResult | None = None):
    """Process (unless done) and store a scan: (result, processed path, sha256, original path)."""
    if result is None:
        result = scan.process(data, kind, max_bytes=current_app.config["SCAN_MAX_BYTES"],
                              max_pixels=current_app.config.get("SCAN_MAX_PIXELS", scan.DEFAULT_MAX_PIXELS))
    image_path, digest = storage.put(result.png, "seals" if kind == scan.SEAL else "signatures", ".png")
    original_path, _ = storage.put(data, "uploads", result.suffix)
    return result, image_path, digest, original_path


def stage_upload(enterprise, kind: str, data: bytes) -> Upload:
    """Process an uploaded scan and store it; raises `scan.ScanError` with the user's message."""
    result, image_path, digest, original_path = store_scan(kind, data)
    payload = {"e": enterprise.id, "k": kind, "i": image_path, "o": original_path, "d": digest,
               "w": str(result.width_mm), "h": str(result.height_mm), "r": result.dpi,
               "s": result.shape.value if result.shape else None}
    token = _serializer(kind).dumps(payload)
    audit.record(f"{kind}_upload", target=digest[:16],
                 detail=f"{result.width_mm}×{result.height_mm} mm, {result.dpi} dpi, "
                        f"{result.shape.label if result.shape else '签名'}, 原图 {original_path}")
    return _upload(payload, token)


def _upload(payload, token):
    return Upload(kind=payload["k"], image_path=payload["i"], original_path=payload["o"],
                  sha256=payload["d"], width_mm=Decimal(payload["w"]), height_mm=Decimal(payload["h"]),
                  dpi=payload["r"], shape=enums.SealShape(payload["s"]) if payload["s"] else None,
                  token=token)


def upload_from_token(enterprise, kind: str, token: str) -> Upload | None:
    """The staged upload a form's token names, if the token is genuine, fresh and this enterprise's."""
    if not token:
        return None
    try:
        payload = _serializer(kind).loads(token, max_age=UPLOAD_MAX_AGE_S)
    except BadSignature:
        return None
    if payload.get("e") != enterprise.id or payload.get("k") != kind:
        return None
    upload = _upload(payload, token)
    if not storage.path(upload.image_path).exists():
        return None
    return upload


STAGED_KINDS = ("seals", "signatures", "uploads")


def remove_unsaved_uploads() -> int:
    """Scans stored by 上传预览 but never saved with a seal or signature: removed once no form
    token can name them any more (UPLOAD_MAX_AGE_S, plus an hour). Files any seal or signature
    row names, deleted ones included, stay. Returns how many files were removed."""
    referenced = set()
    for model in (Seal, Signature):
        for image_path, original_path in model.select(model.image_path, model.original_path).tuples():
            referenced.update((image_path, original_path))
    cutoff = time.time() - UPLOAD_MAX_AGE_S - 3600
    root = storage.root()
    removed = 0
    for kind in STAGED_KINDS:
        for file in (root / kind).rglob("*"):
            if (file.is_file() and file.relative_to(root).as_posix() not in referenced
                    and file.stat().st_mtime < cutoff):
                file.unlink(missing_ok=True)
                removed += 1
    return removed


# --- Queries ------------------------------------------------------------------------------------

def seals_of(enterprise):
    """The 印章制作 table: every seal not deleted."""
    return (Seal.select(Seal, Operator).join(Operator, on=(Seal.owner == Operator.id))
            .where((Seal.enterprise == enterprise) & Seal.deleted_at.is_null())
            .order_by(Seal.created_at.desc(), Seal.id.desc()))


def signatures_of(enterprise):
    return (Signature.select(Signature, Operator).join(Operator, on=(Signature.declarant == Operator.id))
            .where((Signature.enterprise == enterprise) & Signature.deleted_at.is_null())
            .order_by(Signature.created_at.desc(), Signature.id.desc()))


def usable_seals(enterprise):
    """Seals that may be authorised (默认印章): enabled, not deleted, valid today."""
    today = today_local()
    return seals_of(enterprise).where((Seal.status == enums.UsageStatus.ENABLED)
                                      & (Seal.valid_from <= today) & (Seal.valid_to >= today))


def usable_signatures(enterprise):
    """Signatures that may be authorised (默认签名): enabled, not deleted, of an active declarant."""
    return signatures_of(enterprise).where((Signature.status == enums.UsageStatus.ENABLED)
                                           & (Operator.active == True))  # noqa: E712


def seal_or_404(enterprise, seal_id) -> Seal:
    seal = seals_of(enterprise).where(Seal.id == seal_id).first() if str(seal_id).isdigit() else None
    if seal is None:
        abort(404)
    return seal


def signature_or_404(enterprise, signature_id) -> Signature:
    row = (signatures_of(enterprise).where(Signature.id == signature_id).first()
           if str(signature_id).isdigit() else None)
    if row is None:
        abort(404)
    return row


def card_holders(enterprise):
    """印章操作员 choices: people of the enterprise holding a card (一般选择法人), with that card."""
    holders = {}
    cards = (Card.select(Card, Operator).join(Operator, on=(Card.holder == Operator.id))
             .where((Card.enterprise == enterprise) & (Operator.active == True))  # noqa: E712
             .order_by(Operator.is_legal_person.desc(), Operator.id, Card.valid_to.desc()))
    for card in cards:
        holders.setdefault(card.holder_id, card)
    return list(holders.values())


def declarants(enterprise):
    """签名申报员名称 choices: the enterprise's active declarants (申报员)."""
    return list(Operator.select().where((Operator.enterprise == enterprise) & Operator.is_declarant
                                        & (Operator.active == True))  # noqa: E712
                .order_by(Operator.is_legal_person.desc(), Operator.id))


def current_authorisation(enterprise) -> Authorisation | None:
    """The latest successful authorisation: the one whose seal and signature are marked."""
    return Authorisation.latest_success(enterprise)


# --- Form checks --------------------------------------------------------------------------------

def _date(value, label, errors, key):
    value = (value or "").strip()
    if not value:
        errors[key] = f"请选择{label}。"
        return None
    try:
        return datetime.date.fromisoformat(value)
    except ValueError:
        errors[key] = f"{label}格式应为 年-月-日（例如 2026-01-31）。"
        return None


def _name(value, label, errors):
    value = " ".join((value or "").split())
    if not value:
        errors["name"] = f"请填写{label}。"
    elif len(value) > NAME_MAX:
        errors["name"] = f"{label}不能超过 {NAME_MAX} 个字。"
    return value


def _name_taken(model, enterprise, name, exclude_id=None):
    query = model.select().where((model.enterprise == enterprise) & (model.name == name)
                                 & model.deleted_at.is_null())
    if exclude_id is not None:
        query = query.where(model.id != exclude_id)
    return query.exists()


def check_seal_form(enterprise, form: dict, seal: Seal | None = None):
    """Clean the 新增印章 / 修改印章 fields; returns (values, errors)."""
    errors = {}
    values = {}
    holders = {card.holder_id: card for card in card_holders(enterprise)}
    owner_id = str(form.get("owner_id") or "")
    card = holders.get(int(owner_id)) if owner_id.isdigit() else None
    if card is None:
        errors["owner_id"] = "请选择印章操作员（绑卡的法人或操作员）。"
    values["owner"] = card.holder if card else None
    values["seal_type"] = enums.SealType.parse(form.get("seal_type") or enums.SealType.COMPANY.value)
    if values["seal_type"] is None:
        errors["seal_type"] = "请选择印章类型。"
    values["name"] = _name(form.get("name"), "印章名称", errors)
    if "name" not in errors and _name_taken(Seal, enterprise, values["name"], seal.id if seal else None):
        errors["name"] = f"印章名称“{values['name']}”已存在：印章名称用于区别不同印章，请换一个名称。"
    start = _date(form.get("valid_from"), "起始日期", errors, "valid_from")
    end = _date(form.get("valid_to"), "结束日期", errors, "valid_to")
    if start and end:
        if end < start:
            errors["valid_to"] = "结束日期不能早于起始日期。"
        elif end < today_local():
            errors["valid_to"] = "结束日期不能早于今天。"
        elif card and (start < card.valid_from or end > card.valid_to):
            errors["valid_to"] = (f"印章有效期必须在印章操作员卡证书有效期内"
                                  f"（{card.valid_from:%Y-%m-%d} 至 {card.valid_to:%Y-%m-%d}）。")
    values["valid_from"], values["valid_to"] = start, end
    return values, errors


def check_signature_form(enterprise, form: dict):
    errors = {}
    people = {p.id: p for p in declarants(enterprise)}
    declarant_id = str(form.get("declarant_id") or "")
    person = people.get(int(declarant_id)) if declarant_id.isdigit() else None
    if person is None:
        errors["declarant_id"] = ("请选择签名申报员名称。如果下拉列表中没有该申报员，请点击右上角的公司名称进入"
                                  "管理员账号信息管理，在我的操作员中新增无卡操作员。")
    name = _name(form.get("name") or (person.name if person else ""), "签名名称", errors)
    if "name" not in errors and _name_taken(Signature, enterprise, name):
        errors["name"] = f"签名名称“{name}”已存在：请换一个名称，或先停用并删除原签名。"
    return {"declarant": person, "name": name}, errors


def _check_pin(pin, errors):
    """Only once every field is right: a wrong PIN counts toward the card lock."""
    if errors:
        return
    message = verify_legal_person_pin(pin or "", current_app.config["LOGIN_MAX_FAILURES"])
    if message:
        errors["pin"] = message
        audit.record("pin_failed", detail=message)


# --- Seals --------------------------------------------------------------------------------------

def create_seal(enterprise, form: dict, upload: Upload | None, pin: str) -> Outcome:
    values, errors = check_seal_form(enterprise, form)
    if upload is None:
        errors["file"] = MSG_PICK_FILE[scan.SEAL]
    _check_pin(pin, errors)
    if errors:
        return Outcome(errors=errors)
    try:
        with write_transaction():
            seal = Seal.create(
                enterprise=enterprise, owner=values["owner"], name=values["name"],
                seal_type=values["seal_type"], shape=upload.shape, valid_from=values["valid_from"],
                valid_to=values["valid_to"], height_mm=upload.height_mm, width_mm=upload.width_mm,
                dpi=upload.dpi, image_path=upload.image_path, original_path=upload.original_path,
                image_sha256=upload.sha256)
            audit.record("seal_create", target=f"seal:{seal.id}",
                         detail=f"{seal.name}，{upload.shape.label} {upload.width_mm}×{upload.height_mm} 毫米，"
                                f"{seal.valid_from}–{seal.valid_to}，使用人 {values['owner'].name}")
    except IntegrityError:
        return Outcome(errors={"name": f"印章名称“{values['name']}”已存在：请换一个名称。"})
    return Outcome(row=seal)


def update_seal(seal: Seal, form: dict, upload: Upload | None, pin: str) -> Outcome:
    """修改印章: owner, name, type, validity, and optionally a new scan."""
    values, errors = check_seal_form(seal.enterprise, form, seal)
    _check_pin(pin, errors)
    if errors:
        return Outcome(errors=errors)
    changes = {"owner": values["owner"], "name": values["name"], "seal_type": values["seal_type"],
               "valid_from": values["valid_from"], "valid_to": values["valid_to"], "updated_at": utcnow()}
    if upload is not None:
        changes.update(shape=upload.shape, height_mm=upload.height_mm, width_mm=upload.width_mm,
                       dpi=upload.dpi, image_path=upload.image_path, original_path=upload.original_path,
                       image_sha256=upload.sha256)
    try:
        with write_transaction():
            Seal.update(changes).where((Seal.id == seal.id) & Seal.deleted_at.is_null()).execute()
            audit.record("seal_update", target=f"seal:{seal.id}",
                         detail=f"{seal.name} → {values['name']}，{values['valid_from']}–{values['valid_to']}"
                                + ("，更换印章图片" if upload else ""))
            _supersede(seal.enterprise, seal=seal)
    except IntegrityError:
        return Outcome(errors={"name": f"印章名称“{values['name']}”已存在：请换一个名称。"})
    return Outcome(row=Seal.get_by_id(seal.id))


def _set_status(model, row, to_status, action, noun):
    """停用 / 启用: a conditional update, so a double click or two tabs change it once."""
    from_status = (enums.UsageStatus.ENABLED if to_status == enums.UsageStatus.DISABLED
                   else enums.UsageStatus.DISABLED)
    with write_transaction():
        changed = (model.update(status=to_status, updated_at=utcnow())
                   .where((model.id == row.id) & (model.status == from_status) & model.deleted_at.is_null())
                   .execute())
        if not changed:
            return f"该{noun}已是{to_status.label}状态。"
        audit.record(action, target=f"{model.__name__.lower()}:{row.id}", detail=row.name)
        if to_status == enums.UsageStatus.DISABLED:
            _supersede(row.enterprise, **{model.__name__.lower(): row})
    return ""


def _delete(model, row, action, refusal):
    with write_transaction():
        changed = (model.update(deleted_at=utcnow(), updated_at=utcnow())
                   .where((model.id == row.id) & (model.status == enums.UsageStatus.DISABLED)
                          & model.deleted_at.is_null())
                   .execute())
        if not changed:
            return refusal
        audit.record(action, target=f"{model.__name__.lower()}:{row.id}", detail=row.name)
        _supersede(row.enterprise, **{model.__name__.lower(): row})
    return ""


def disable_seal(seal):
    return _set_status(Seal, seal, enums.UsageStatus.DISABLED, "seal_disable", "印章")


def enable_seal(seal):
    return _set_status(Seal, seal, enums.UsageStatus.ENABLED, "seal_enable", "印章")


def delete_seal(seal):
    """删除印章: only a disabled seal; soft delete (authorisations keep their reference)."""
    return _delete(Seal, seal, "seal_delete", MSG_DELETE_ENABLED)


# --- Signatures ---------------------------------------------------------------------------------

def create_signature(enterprise, form: dict, upload: Upload | None, pin: str) -> Outcome:
    values, errors = check_signature_form(enterprise, form)
    if upload is None:
        errors["file"] = MSG_PICK_FILE[scan.SIGNATURE]
    _check_pin(pin, errors)
    if errors:
        return Outcome(errors=errors)
    try:
        with write_transaction():
            row = Signature.create(
                enterprise=enterprise, declarant=values["declarant"], name=values["name"],
                height_mm=upload.height_mm, width_mm=upload.width_mm, dpi=upload.dpi,
                image_path=upload.image_path, original_path=upload.original_path, image_sha256=upload.sha256)
            audit.record("signature_create", target=f"signature:{row.id}",
                         detail=f"{row.name}（申报员 {values['declarant'].name}），"
                                f"{upload.width_mm}×{upload.height_mm} 毫米")
    except IntegrityError:
        return Outcome(errors={"name": f"签名名称“{values['name']}”已存在：请换一个名称。"})
    return Outcome(row=row)


def disable_signature(row):
    return _set_status(Signature, row, enums.UsageStatus.DISABLED, "signature_disable", "签名")


def enable_signature(row):
    return _set_status(Signature, row, enums.UsageStatus.ENABLED, "signature_enable", "签名")


def delete_signature(row):
    return _delete(Signature, row, "signature_delete", MSG_DELETE_ENABLED_SIGNATURE)


# --- The authorisation they belong to -----------------------------------------------------------

def _supersede(enterprise, seal=None, signature=None):
    """A changed seal or signature of the current authorisation: 需要重新授权."""
    current = current_authorisation(enterprise)
    if current is None or current.superseded_at is not None:
        return
    if (seal is not None and current.seal_id == seal.id) or (
            signature is not None and current.signature_id == signature.id):
        changed = (Authorisation.update(superseded_at=utcnow())
                   .where((Authorisation.id == current.id) & Authorisation.superseded_at.is_null())
                   .execute())
        if changed:
            audit.record("authorisation_superseded", target=f"authorisation:{current.id}",
                         detail="印章或签名已修改、停用或删除，需要重新授权")


def supersede_for_operator(operator):
    """A declarant or seal owner was disabled: their authorised seal/signature no longer counts."""
    current = current_authorisation(operator.enterprise)
    if current is None or current.superseded_at is not None:
        return
    if current.seal.owner_id == operator.id:
        _supersede(operator.enterprise, seal=current.seal)
    elif current.signature.declarant_id == operator.id:
        _supersede(operator.enterprise, signature=current.signature)
