"""The data model of SPEC section 2, in Peewee.

One module, sectioned by the manual's areas. Query helpers live on the models; rules that span
models (who may see a certificate, what may move to what) live in `coo/services/`.
"""
from peewee import (
    BooleanField, CharField, DatabaseProxy, DateField, DateTimeField, DecimalField,
    ForeignKeyField, IntegerField, Model, TextField,
)

from coo import enums
from coo.clock import utcnow

database = DatabaseProxy()


class EnumField(CharField):
    """Stores a `Labelled` enum by its value; reads it back as the member."""

    def __init__(self, enum, *args, **kwargs):
        self.enum = enum
        kwargs.setdefault("max_length", 32)
        super().__init__(*args, **kwargs)

    def db_value(self, value):
        return None if value is None else self.enum(value).value

    def python_value(self, value):
        return None if value is None else self.enum(value)


class BaseModel(Model):
    class Meta:
        database = database
        legacy_table_names = False


# --- Enterprises, people, cards, accounts -----------------------------------------------------

class Enterprise(BaseModel):
    uscc = CharField(max_length=18, unique=True)          # 统一社会信用代码 (GB 32100)
    customs_code = CharField(max_length=10, unique=True)  # 海关编码
    name_zh = CharField(max_length=200)
    name_en = CharField(max_length=300)
    address_en = TextField(default="")
    is_exporter = BooleanField(default=True)
    is_agent = BooleanField(default=False)
    created_at = DateTimeField(default=utcnow)

    def __str__(self):
        return self.name_zh


class Operator(BaseModel):
    """A person of an enterprise: the legal person, operators with a card, cardless operators."""
    enterprise = ForeignKeyField(Enterprise, backref="operators", on_delete="CASCADE")
    name = CharField(max_length=50)
    id_number = CharField(max_length=18)                  # 身份证号 (GB 11643)
    phone = CharField(max_length=20, default="")
    is_legal_person = BooleanField(default=False)
    is_declarant = BooleanField(default=True)             # 申报员: signature may be used
    active = BooleanField(default=True)
    created_at = DateTimeField(default=utcnow)

    class Meta:
        indexes = ((("enterprise", "id_number"), True),)

    @property
    def role_label(self):
        return "法人" if self.is_legal_person else "操作员"


class Card(BaseModel):
    """电子口岸卡: an e-port IC card held by one person of one enterprise."""
    number = CharField(max_length=32, unique=True)
    kind = EnumField(enums.CardKind)
    enterprise = ForeignKeyField(Enterprise, backref="cards", on_delete="CASCADE")
    holder = ForeignKeyField(Operator, backref="cards", on_delete="CASCADE")
    valid_from = DateField()
    valid_to = DateField()
    pin_hash = CharField(max_length=200)
    failed_pin_count = IntegerField(default=0)
    locked_at = DateTimeField(null=True)
    created_at = DateTimeField(default=utcnow)

    @property
    def locked(self):
        return self.locked_at is not None


class UserAccount(BaseModel):
    """用户名密码登录. Enterprise users belong to an operator; ops accounts to no enterprise."""
    username = CharField(max_length=64, unique=True)
    password_hash = CharField(max_length=200)
    role = EnumField(enums.Role, default=enums.Role.ENTERPRISE)
    enterprise = ForeignKeyField(Enterprise, backref="accounts", null=True, on_delete="CASCADE")
    operator = ForeignKeyField(Operator, backref="accounts", null=True, on_delete="CASCADE")
    failed_password_count = IntegerField(default=0)
    locked_at = DateTimeField(null=True)
    active = BooleanField(default=True)
    created_at = DateTimeField(default=utcnow)

    @property
    def locked(self):
        return self.locked_at is not None


# --- 印章管理 -------------------------------------------------------------------------------------

class Seal(BaseModel):
    enterprise = ForeignKeyField(Enterprise, backref="seals", on_delete="CASCADE")
    owner = ForeignKeyField(Operator, backref="seals")          # 使用人: a card holder
    name = CharField(max_length=100)                              # 印章名称
    seal_type = EnumField(enums.SealType, default=enums.SealType.COMPANY)
    shape = EnumField(enums.SealShape)
    status = EnumField(enums.UsageStatus, default=enums.UsageStatus.ENABLED)
    valid_from = DateField()
    valid_to = DateField()
    height_mm = DecimalField(max_digits=5, decimal_places=1)
    width_mm = DecimalField(max_digits=5, decimal_places=1)
    dpi = IntegerField()
    image_path = CharField(max_length=255)      # processed transparent PNG (storage-relative)
    original_path = CharField(max_length=255)   # the upload as received, kept for audit
    image_sha256 = CharField(max_length=64)
    created_at = DateTimeField(default=utcnow)
    updated_at = DateTimeField(default=utcnow)
    deleted_at = DateTimeField(null=True)       # 删除印章 hides it; authorisations keep their reference

    class Meta:
        # Also unique (enterprise, name) WHERE deleted_at IS NULL: migrations/0010_seal_names_unique.py
        indexes = ((("enterprise", "name"), False),)


class Signature(BaseModel):
    # Unique (enterprise, name) WHERE deleted_at IS NULL: migrations/0010_seal_names_unique.py
    enterprise = ForeignKeyField(Enterprise, backref="signatures", on_delete="CASCADE")
    declarant = ForeignKeyField(Operator, backref="signatures")
    name = CharField(max_length=100)                              # 签名名称
    status = EnumField(enums.UsageStatus, default=enums.UsageStatus.ENABLED)
    height_mm = DecimalField(max_digits=5, decimal_places=1)
    width_mm = DecimalField(max_digits=5, decimal_places=1)
    dpi = IntegerField()
    image_path = CharField(max_length=255)
    original_path = CharField(max_length=255)
    image_sha256 = CharField(max_length=64)
    created_at = DateTimeField(default=utcnow)
    updated_at = DateTimeField(default=utcnow)
    deleted_at = DateTimeField(null=True)


# --- 授权管理 and the customs exchanges ------------------------------------------------------------

class Authorisation(BaseModel):
    """印章签名授权: a default seal + signature sent to customs, and its receipt (回执)."""
    enterprise = ForeignKeyField(Enterprise, backref="authorisations", on_delete="CASCADE")
    seal = ForeignKeyField(Seal, backref="authorisations")
    signature = ForeignKeyField(Signature, backref="authorisations")
    requested_by = CharField(max_length=100)
    submitted_at = DateTimeField(default=utcnow, index=True)
    status = EnumField(enums.ReceiptStatus, default=enums.ReceiptStatus.PENDING)
    receipt_at = DateTimeField(null=True)
    receipt_message = TextField(default="")
    # Set when a seal or signature of this authorisation changes: 需要重新授权.
    superseded_at = DateTimeField(null=True)

    # Migration 0020 adds a partial unique index: at most one PENDING authorisation per
    # enterprise, so a double-click or two tabs make one request to customs.
    class Meta:
        # latest_success reads the newest receipt_at per enterprise (its seal goes on the layouts),
        # the self-printability rule (coo.services.rules) the first one.
        indexes = ((("enterprise", "status", "receipt_at"), False),)

    @classmethod
    def latest_success(cls, enterprise):
        return (cls.select()
                .where((cls.enterprise == enterprise) & (cls.status == enums.ReceiptStatus.SUCCESS))
                .order_by(cls.receipt_at.desc(), cls.id.desc())
                .first())


class EnterpriseDefaults(BaseModel):
    """默认印章 and 默认签名 chosen in the 操作 column of 印章签名授权; 授权 sends them."""
    enterprise = ForeignKeyField(Enterprise, unique=True, on_delete="CASCADE")
    seal = ForeignKeyField(Seal, null=True, on_delete="SET NULL")
    signature = ForeignKeyField(Signature, null=True, on_delete="SET NULL")
    updated_by = CharField(max_length=100, default="")
    updated_at = DateTimeField(default=utcnow)


class AgentAuthorisation(BaseModel):
    """代理打印授权: the entrusting enterprise lets an agent print what the agent declared for it."""
    principal = ForeignKeyField(Enterprise, backref="agent_grants", on_delete="CASCADE")  # 委托企业
    agent = ForeignKeyField(Enterprise, backref="agencies", on_delete="CASCADE")          # 代理企业
    granted_by = CharField(max_length=100)
    granted_at = DateTimeField(default=utcnow)
    revoked_at = DateTimeField(null=True)
    revoked_by = CharField(max_length=100, default="")

    class Meta:
        # Migration 0020 adds a partial unique index: one active grant per (principal, agent).
        indexes = ((("agent", "principal"), False),)


class CustomsExchange(BaseModel):
    """One message exchange with customs. The database, not Redis, is the truth: a row stays
    PENDING/SENT until its receipt is recorded, and the sweep re-enqueues what a lost job left."""
    kind = EnumField(enums.ExchangeKind)
    subject_id = IntegerField()            # Authorisation / Certificate / ExceptionApplication id
    status = EnumField(enums.ExchangeStatus, default=enums.ExchangeStatus.PENDING)
    request_payload = TextField(default="")
    response_payload = TextField(default="")
    external_ref = CharField(max_length=64, default="")
    attempts = IntegerField(default=0)
    last_error = TextField(default="")
    created_at = DateTimeField(default=utcnow)
    updated_at = DateTimeField(default=utcnow, index=True)
    next_poll_at = DateTimeField(null=True)
    completed_at = DateTimeField(null=True)

    class Meta:
        indexes = ((("kind", "subject_id"), False), (("status", "updated_at"), False))


class SimulatorMessage(BaseModel):
    """What the embedded customs simulator (`coo.customs.simulator`) has received and answered.
    Its state lives in the database so it survives restarts, like the real system's."""
    reference = CharField(max_length=64, unique=True)
    kind = CharField(max_length=32)
    payload = TextField(default="")
    calls = IntegerField(default=0)              # every send/poll for this reference, for the seed
    delivered_at = DateTimeField(null=True)      # a send got through
    answer_at = DateTimeField(null=True)         # the receipt is ready from then on
    answered_at = DateTimeField(null=True)       # the receipt was decided (kept; polls repeat it)
    ok = BooleanField(null=True)
    message = TextField(default="")
    data = TextField(default="")


class CustomsNonce(BaseModel):
    """A nonce of a signed request customs sent us, kept until no request carrying it could pass
    the timestamp check any more (the sweep deletes it then). In the database, not Redis: a
    Redis restart must not reopen the replay window."""
    nonce = CharField(max_length=64, unique=True)
    expires_at = DateTimeField(index=True)


# --- Certificates -----------------------------------------------------------------------------

class CertificateType(BaseModel):
    """证书类别, as data."""
    code = CharField(max_length=4, primary_key=True)
    name_zh = CharField(max_length=100)
    name_en = CharField(max_length=200)
    form_family = CharField(max_length=8)   # which layout template family renders it
    self_print = BooleanField(default=True)
    e_download = BooleanField(default=False)
    sort_order = IntegerField(default=0)


class Certificate(BaseModel):
    number = CharField(max_length=20, unique=True)               # 证书编号
    cert_type = ForeignKeyField(CertificateType, column_name="cert_type")
    invoice_number = CharField(max_length=64, index=True)       # 发票号
    invoice_date = DateField(null=True)
    applicant = ForeignKeyField(Enterprise, backref="declared_certificates")  # 申请人 (may be an agent)
    exporter = ForeignKeyField(Enterprise, backref="certificates")            # 出口商
    exporter_text = TextField(default="")          # box 1 as approved (name, address, country)
    consignee_text = TextField(default="")         # box 2
    producer_text = TextField(default="")
    importing_country = CharField(max_length=64)
    transport_text = TextField(default="")         # means of transport and route
    departure_date = DateField(null=True)
    remarks = TextField(default="")
    # Box 13 as approved (Form E; RCEP has the same flags): the layout ticks them.
    third_party_invoicing = BooleanField(default=False)
    exhibition = BooleanField(default=False)
    back_to_back = BooleanField(default=False)      # Form E "Movement Certificate"; RCEP back-to-back
    issue_date = DateField(index=True)             # 签发日期
    issuing_office = CharField(max_length=100)     # 签证机构
    # The issuing authority's certification, sent by customs with the approval (migration 0150):
    # the office's visa seal and the officer's name and signature, printed at their real size.
    visa_officer_name = CharField(max_length=64, default="")
    visa_seal_path = CharField(max_length=255, default="")
    visa_seal_width_mm = DecimalField(max_digits=5, decimal_places=1, default=0)
    visa_seal_height_mm = DecimalField(max_digits=5, decimal_places=1, default=0)
    visa_signature_path = CharField(max_length=255, default="")
    visa_signature_width_mm = DecimalField(max_digits=5, decimal_places=1, default=0)
    visa_signature_height_mm = DecimalField(max_digits=5, decimal_places=1, default=0)
    # RCEP back-to-back (BR): the original certificate it is based on.
    original_certificate_number = CharField(max_length=64, default="")
    original_certificate_date = DateField(null=True)
    platform = EnumField(enums.Platform, default=enums.Platform.SINGLE_WINDOW)
    creator = CharField(max_length=64, default="")  # 创建人
    approved_at = DateTimeField(index=True)
    layout_status = EnumField(enums.LayoutStatus, default=enums.LayoutStatus.CUSTOMS_GENERATED)
    print_status = EnumField(enums.PrintStatus, default=enums.PrintStatus.PENDING)
    download_status = EnumField(enums.DownloadStatus, default=enums.DownloadStatus.PENDING)
    archive_status = EnumField(enums.ArchiveStatus, default=enums.ArchiveStatus.UNARCHIVED)
    archived_at = DateTimeField(null=True)
    verification_published_at = DateTimeField(null=True)
    print_count = IntegerField(default=0)          # originals sent to the printer (whatever 是/否 said)
    exception_reprints = IntegerField(default=0)   # reprints allowed through 打印异常申请
    reprint_allowed = BooleanField(default=False)  # an accepted exception re-opens the original
    layout_original_path = CharField(max_length=255, default="")
    layout_copy_path = CharField(max_length=255, default="")
    layout_key = CharField(max_length=64, default="")   # hash of the data the layout was made from
    layout_error = TextField(default="")
    # Which authorisation (seal + signature) the stored layout carries, and when 版式状态 last
    # moved: the sweep finds layouts stuck, or made with a seal that is no longer in force.
    layout_authorisation_id = IntegerField(null=True)
    layout_updated_at = DateTimeField(null=True)
    created_at = DateTimeField(default=utcnow)
    updated_at = DateTimeField(default=utcnow)

    class Meta:
        indexes = (
            (("layout_status", "layout_updated_at"), False),
            (("exporter", "issue_date"), False),
            (("applicant", "exporter", "issue_date"), False),
            (("exporter", "archive_status", "print_status"), False),
            # 证书打印 list: ordered by 签发日期 with id as the tie-break, with and without the
            # common 证书类别 filter. Migration 0080 makes both covering (the filtered status
            # columns ride along), which Meta cannot say; the migrations are the schema.
        )


class GoodsLine(BaseModel):
    certificate = ForeignKeyField(Certificate, backref="goods", on_delete="CASCADE")
    line_no = IntegerField()
    marks = TextField(default="")
    description = TextField()
    hs_code = CharField(max_length=16)
    quantity = CharField(max_length=64)            # e.g. "1,200 PCS; G.W. 3,400 KGS"
    origin_criterion = CharField(max_length=32)
    fob_value = DecimalField(max_digits=14, decimal_places=2, null=True)
    currency = CharField(max_length=3, default="USD")
    invoice_ref = CharField(max_length=100, default="")

    class Meta:
        indexes = ((("certificate", "line_no"), True),)


# --- Printing, exceptions, downloads ----------------------------------------------------------

class PrintControl(BaseModel):
    """打印控件 paired with an enterprise."""
    enterprise = ForeignKeyField(Enterprise, backref="print_controls", on_delete="CASCADE")
    name = CharField(max_length=100, default="")
    pairing_code_hash = CharField(max_length=64, null=True, unique=True)
    pairing_expires_at = DateTimeField(null=True)
    token_hash = CharField(max_length=64, null=True, unique=True)
    paired_at = DateTimeField(null=True)
    version = CharField(max_length=32, default="")
    printers = TextField(default="")               # JSON list reported by heartbeat
    last_heartbeat_at = DateTimeField(null=True)
    revoked_at = DateTimeField(null=True)
    created_by = CharField(max_length=100, default="")
    created_at = DateTimeField(default=utcnow)


class PrintJob(BaseModel):
    certificate = ForeignKeyField(Certificate, backref="print_jobs", on_delete="CASCADE")
    enterprise = ForeignKeyField(Enterprise)       # the enterprise whose view sent it (agent or exporter)
    control = ForeignKeyField(PrintControl, backref="jobs", null=True)
    kind = EnumField(enums.PrintKind)
    status = EnumField(enums.PrintJobStatus, default=enums.PrintJobStatus.QUEUED)
    requested_by = CharField(max_length=100)
    message = TextField(default="")
    printer = CharField(max_length=200, default="")
    created_at = DateTimeField(default=utcnow, index=True)
    taken_at = DateTimeField(null=True)
    finished_at = DateTimeField(null=True)
    confirmed_at = DateTimeField(null=True)
    confirmed_ok = BooleanField(null=True)          # 是 / 否


class ExceptionApplication(BaseModel):
    """打印异常申请."""
    certificate = ForeignKeyField(Certificate, backref="exceptions", on_delete="CASCADE")
    enterprise = ForeignKeyField(Enterprise)
    reason = EnumField(enums.ExceptionReason)
    details = TextField(default="")
    status = EnumField(enums.ExceptionStatus, default=enums.ExceptionStatus.SUBMITTED)
    applied_by = CharField(max_length=100)
    applied_at = DateTimeField(default=utcnow, index=True)
    receipt_at = DateTimeField(null=True)
    receipt_message = TextField(default="")
    reprinted_at = DateTimeField(null=True)

    # One open application (已提交 / 异常处理申请接收成功, not yet reprinted) per certificate: a
    # partial unique index (migration 0070) enforces it in the database, whatever the UI does.
    OPEN = (enums.ExceptionStatus.SUBMITTED, enums.ExceptionStatus.ACCEPTED)


class DownloadRecord(BaseModel):
    certificate = ForeignKeyField(Certificate, backref="downloads", on_delete="CASCADE")
    enterprise = ForeignKeyField(Enterprise)
    who = CharField(max_length=100)
    original = BooleanField()                      # 正本 or 副本
    at = DateTimeField(default=utcnow)
    remote_addr = CharField(max_length=64, default="")
    file_path = CharField(max_length=255, default="")   # the signed original served (storage path)


class ExportTask(BaseModel):
    """A background 导出 Excel; the row is the truth, the RQ job only does the work.
    It belongs to the view that asked: `enterprise` (the user's own) and, in an agent view,
    `principal` (the 委托企业); nobody else can see or fetch it."""
    job_id = CharField(max_length=64, unique=True)
    enterprise = ForeignKeyField(Enterprise)
    principal = ForeignKeyField(Enterprise, null=True, column_name="principal_id")
    requested_by = CharField(max_length=100)
    query = TextField()                            # the query string of the list
    total = IntegerField(default=0)
    done = IntegerField(default=0)
    status = EnumField(enums.ExportStatus, max_length=16, default=enums.ExportStatus.WAITING)
    message = TextField(default="")
    file_path = CharField(max_length=255, default="")
    created_at = DateTimeField(default=utcnow)
    updated_at = DateTimeField(null=True)
    expires_at = DateTimeField(null=True)

    class Meta:
        indexes = ((("status", "expires_at"), False),)


class AuditEvent(BaseModel):
    """Who (person, login), enterprise, what, when, from where."""
    at = DateTimeField(default=utcnow, index=True)
    enterprise = ForeignKeyField(Enterprise, null=True, on_delete="SET NULL")
    actor = CharField(max_length=100)
    login = CharField(max_length=64, default="")   # card number or username
    action = CharField(max_length=64, index=True)
    target = CharField(max_length=100, default="")
    detail = TextField(default="")
    remote_addr = CharField(max_length=64, default="")


class LoginSession(BaseModel):
    """One login. The session cookie carries the key (stored here only as a digest); 退出
    revokes the row, so a copy of the old cookie no longer logs anyone in."""
    key_digest = CharField(max_length=64, unique=True)
    principal = CharField(max_length=40, index=True)   # "card:<id>" or "account:<id>"
    created_at = DateTimeField(default=utcnow)
    revoked_at = DateTimeField(null=True)
    remote_addr = CharField(max_length=64, default="")


MODELS = [
    Enterprise, Operator, Card, UserAccount, Seal, Signature, Authorisation, EnterpriseDefaults,
    AgentAuthorisation, CustomsExchange, SimulatorMessage, CertificateType, Certificate, GoodsLine,
    PrintControl, PrintJob, ExceptionApplication, DownloadRecord, ExportTask, AuditEvent, LoginSession,
]
