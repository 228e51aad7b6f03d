"""印章管理: the rules of seals (印章制作) and signatures (签名制作), one place each.

An upload is processed at once (`coo.scan`) and both files, the processed PNG and the original,
are stored content-addressed (`coo.storage`). Between the preview and 保存印章 the form carries a
signed, time-limited token naming those files and the measured facts; the server never takes a
path or a size from the client. Saving re-checks every field and the legal-person card PIN
(a wrong PIN counts toward the card lock). When a seal or signature of the enterprise's current
authorisation changes, the authorisation is marked superseded: 需要重新授权.
"""
import datetime
from dataclasses import dataclass, field
from typing import Callable
from decimal import Decimal

from flask import abort, current_app
from itsdangerous import BadSignature, URLSafeTimedSerializer
from peewee import IntegrityError

from coo import enums, scan, storage
from coo.clock import today_local, utcnow
from coo.db import write_transaction
from coo.models import Authorisation, Card, Operator, Seal, Signature
from coo.params import parse_id
from coo.services import audit
from coo.services.accounts import verify_legal_person_pin

UPLOAD_MAX_AGE_S = 2 * 3600
NAME_MAX = 100
MSG_UPLOAD_EXPIRED = "预览已过期，请重新选择扫描图片。"


@dataclass(frozen=True)
class Kind:
    """Seals and signatures are one thing made twice (scan, preview, 保存 with the PIN, 停用,
    启用, 删除): this table says where the two differ, and every function below, the routes
    (`coo.web.seals`) and the one template set (`templates/seals/`) read it."""
    key: str                # coo.scan's kind: how the scan is measured and its size limits
    noun: str               # 印章 / 签名, in every message and button
    model: type
    folder: str             # storage prefix of the processed PNGs
    person: str             # the row's person: owner (印章操作员) / declarant (签名申报员)
    id_field: str           # the list's radio buttons
    name_taken: str         # {name}: a name the enterprise already uses
    editable: bool          # 修改印章; a signature is replaced (停用, 删除, 新增) instead
    check: Callable = None  # (enterprise, values, row) -> (values, errors)
    describe: Callable = None   # (row, upload) -> the audit line of 新增

    @property
    def name_label(self) -> str:
        return f"{self.noun}名称"

    @property
    def pick_file(self) -> str:
        return f"请选择{self.noun}扫描图片，预览无误后再保存{self.noun}。"

    @property
    def delete_enabled(self) -> str:
        return f"只能删除已停用的{self.noun}：请先停用{self.noun}，再删除{self.noun}。"


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
    image_path, digest = storage.put(result.png, KINDS[kind].folder, ".png")
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
    if not storage.exists(upload.image_path):
        return None
    return upload


STAGED_FOLDERS = ("seals", "signatures", "uploads")     # SEAL.folder, SIGNATURE.folder, originals


def remove_unsaved_uploads(now: datetime.datetime | None = None) -> int:
    """Scans stored by 上传预览 but never saved with a seal or signature: removed once no form
    token can name them any more (UPLOAD_MAX_AGE_S, plus an hour). Files any seal or signature
    row names, deleted ones included, stay. Returns how many files were removed."""
    referenced = set()
    for model in (kind.model for kind in KINDS.values()):
        for image_path, original_path in model.select(model.image_path, model.original_path).tuples():
            referenced.update((image_path, original_path))
    # Wall-clock time, as the files' own times are (a folder's mtime, an object's LastModified).
    now = now or datetime.datetime.now(datetime.timezone.utc)
    cutoff = now - datetime.timedelta(seconds=UPLOAD_MAX_AGE_S + 3600)
    removed = 0
    for folder in STAGED_FOLDERS:
        # Listed first, deleted after: the same on a folder and on an object store.
        stale = [entry.key for entry in storage.list(f"{folder}/")
                 if entry.key not in referenced and entry.modified < cutoff]
        for key in stale:
            storage.delete(key)
            removed += 1
    return removed


# --- Queries ------------------------------------------------------------------------------------

def rows_of(kind: Kind, enterprise):
    """The 印章制作 / 签名制作 table: every row not deleted, newest first, with its person."""
    model = kind.model
    return (model.select(model, Operator).join(Operator, on=(getattr(model, kind.person) == Operator.id))
            .where((model.enterprise == enterprise) & model.deleted_at.is_null())
            .order_by(model.created_at.desc(), model.id.desc()))


def row_or_404(kind: Kind, enterprise, row_id):
    row_id = parse_id(row_id)
    row = rows_of(kind, enterprise).where(kind.model.id == row_id).first() if row_id is not None else None
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
# The form (`coo.web.forms`) has said what each field alone may be; `values` holds its clean
# values, None where a field failed. These are the rules that need the enterprise's rows.

def _name_taken(kind: Kind, enterprise, name, errors, exclude_id=None):
    if not name or "name" in errors:
        return
    model = kind.model
    query = model.select().where((model.enterprise == enterprise) & (model.name == name)
                                 & model.deleted_at.is_null())
    if exclude_id is not None:
        query = query.where(model.id != exclude_id)
    if query.exists():
        errors["name"] = kind.name_taken.format(name=name)


def _check_seal(enterprise, values: dict, seal: Seal | None = None):
    """新增印章 / 修改印章: the card holder, a free name, the validity inside the card's."""
    errors = {}
    holders = {card.holder_id: card for card in card_holders(enterprise)}
    card = holders.get(values.get("owner_id"))
    if card is None:
        errors["owner_id"] = "请选择印章操作员（绑卡的法人或操作员）。"
    if values.get("seal_type") is None:
        errors["seal_type"] = "请选择印章类型。"
    _name_taken(SEAL, enterprise, values.get("name"), errors, seal.id if seal else None)
    start, end = values.get("valid_from"), values.get("valid_to")
    if start and end:
        if end < start:
            errors["valid_to"] = "结束日期不能早于起始日期。"
        elif end < today_local():
            errors["valid_to"] = "结束日期不能早于今天。"
        elif card and (start < card.valid_from or end > card.valid_to):
            errors["valid_to"] = (f"印章有效期必须在印章操作员卡证书有效期内"
                                  f"（{card.valid_from:%Y-%m-%d} 至 {card.valid_to:%Y-%m-%d}）。")
    clean = {"owner": card.holder if card else None, "seal_type": values.get("seal_type"),
             "name": values.get("name"), "valid_from": start, "valid_to": end}
    return clean, errors


def _check_signature(enterprise, values: dict, row=None):
    """新增签名: an active declarant, and a free name (the declarant's own when left empty)."""
    errors = {}
    people = {p.id: p for p in declarants(enterprise)}
    person = people.get(values.get("declarant_id"))
    if person is None:
        errors["declarant_id"] = ("请选择签名申报员名称。如果下拉列表中没有该申报员，请点击右上角的公司名称进入"
                                  "管理员账号信息管理，在我的操作员中新增无卡操作员。")
    name = values.get("name")
    if name is not None:
        name = name or (person.name if person else "")
        if not name:
            errors["name"] = f"请填写{SIGNATURE.name_label}。"
    _name_taken(SIGNATURE, enterprise, name, errors)
    return {"declarant": person, "name": name}, errors


def _check_pin(pin, errors):
    """Only once every field is right: a wrong PIN counts toward the card lock."""
    if errors:
        return
    message = verify_legal_person_pin(pin or "", current_app.config["LOGIN_MAX_FAILURES"])
    if message:
        errors["pin"] = message
        audit.record("pin_failed", detail=message)


def _image_columns(kind: Kind, upload: Upload) -> dict:
    columns = dict(height_mm=upload.height_mm, width_mm=upload.width_mm, dpi=upload.dpi,
                   image_path=upload.image_path, original_path=upload.original_path,
                   image_sha256=upload.sha256)
    if kind.key == scan.SEAL:
        columns["shape"] = upload.shape
    return columns


# --- 新增, 修改, 停用, 启用, 删除 -------------------------------------------------------------------

def create(kind: Kind, enterprise, values: dict, upload: Upload | None, pin: str) -> Outcome:
    """保存印章 / 保存签名 of a new one: the form (`coo.web.forms`) has checked each field alone;
    here the rules that need the database (`kind.check`: the person is ours, the name is free),
    then the PIN."""
    clean, errors = kind.check(enterprise, values, None)
    if upload is None:
        errors["file"] = kind.pick_file
    _check_pin(pin, errors)
    if errors:
        return Outcome(errors=errors)
    try:
        with write_transaction():
            row = kind.model.create(enterprise=enterprise, **clean, **_image_columns(kind, upload))
            audit.record(f"{kind.key}_create", target=f"{kind.key}:{row.id}", detail=kind.describe(row, upload))
    except IntegrityError:
        return Outcome(errors={"name": f"{kind.name_label}“{clean['name']}”已存在：请换一个名称。"})
    return Outcome(row=row)


def update(kind: Kind, row, values: dict, upload: Upload | None, pin: str) -> Outcome:
    """修改印章: owner, name, type, validity, and optionally a new scan."""
    assert kind.editable
    clean, errors = kind.check(row.enterprise, values, row)
    _check_pin(pin, errors)
    if errors:
        return Outcome(errors=errors)
    changes = dict(clean, updated_at=utcnow())
    if upload is not None:
        changes.update(_image_columns(kind, upload))
    model = kind.model
    try:
        with write_transaction():
            model.update(changes).where((model.id == row.id) & model.deleted_at.is_null()).execute()
            audit.record(f"{kind.key}_update", target=f"{kind.key}:{row.id}",
                         detail=f"{row.name} → {clean['name']}，{clean['valid_from']}–{clean['valid_to']}"
                                + ("，更换印章图片" if upload else ""))
            _supersede(row.enterprise, **{kind.key: row})
    except IntegrityError:
        return Outcome(errors={"name": f"{kind.name_label}“{clean['name']}”已存在：请换一个名称。"})
    return Outcome(row=model.get_by_id(row.id))


def set_status(kind: Kind, row, to_status: enums.UsageStatus) -> str:
    """停用 / 启用: a conditional update, so a double click or two tabs change it once."""
    model = kind.model
    from_status = (enums.UsageStatus.ENABLED if to_status == enums.UsageStatus.DISABLED
                   else enums.UsageStatus.DISABLED)
    with write_transaction():
        changed = (model.update(status=to_status, updated_at=utcnow())
                   .where((model.id == row.id) & (model.status == from_status) & model.deleted_at.is_null())
                   .execute())
        if not changed:
            return f"该{kind.noun}已是{to_status.label}状态。"
        action = "disable" if to_status == enums.UsageStatus.DISABLED else "enable"
        audit.record(f"{kind.key}_{action}", target=f"{kind.key}:{row.id}", detail=row.name)
        if to_status == enums.UsageStatus.DISABLED:
            _supersede(row.enterprise, **{kind.key: row})
    return ""


def disable(kind: Kind, row) -> str:
    return set_status(kind, row, enums.UsageStatus.DISABLED)


def enable(kind: Kind, row) -> str:
    return set_status(kind, row, enums.UsageStatus.ENABLED)


def delete(kind: Kind, row) -> str:
    """删除: only a disabled one; soft delete (authorisations keep their reference)."""
    model = kind.model
    with write_transaction():
        changed = (model.update(deleted_at=utcnow(), updated_at=utcnow())
                   .where((model.id == row.id) & (model.status == enums.UsageStatus.DISABLED)
                          & model.deleted_at.is_null())
                   .execute())
        if not changed:
            return kind.delete_enabled
        audit.record(f"{kind.key}_delete", target=f"{kind.key}:{row.id}", detail=row.name)
        _supersede(row.enterprise, **{kind.key: row})
    return ""


# --- The kinds ----------------------------------------------------------------------------------

SEAL = Kind(
    key=scan.SEAL, noun="印章", model=Seal, folder="seals", person="owner", id_field="seal_id",
    editable=True,
    name_taken="印章名称“{name}”已存在：印章名称用于区别不同印章，请换一个名称。",
    check=_check_seal,
    describe=lambda row, upload: (f"{row.name}，{upload.shape.label} {upload.width_mm}×{upload.height_mm} 毫米，"
                                  f"{row.valid_from}–{row.valid_to}，使用人 {row.owner.name}"))
SIGNATURE = Kind(
    key=scan.SIGNATURE, noun="签名", model=Signature, folder="signatures", person="declarant",
    id_field="signature_id", editable=False,
    name_taken="签名名称“{name}”已存在：请换一个名称，或先停用并删除原签名。",
    check=_check_signature,
    describe=lambda row, upload: (f"{row.name}（申报员 {row.declarant.name}），"
                                  f"{upload.width_mm}×{upload.height_mm} 毫米"))
KINDS = {kind.key: kind for kind in (SEAL, SIGNATURE)}


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
