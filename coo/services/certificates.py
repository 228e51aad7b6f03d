"""证书打印: which certificates are self-printable, the list and its 查询区, the four buttons a
certificate allows, and why a typed number is not in the list (查看解决办法).

SPEC section 3: a certificate is **self-printable** when its type is self-print, it was approved
at or after the exporter's latest successful seal-signature authorisation, and it is not archived.
`self_printable_condition` says it in SQL, `is_self_printable` for one certificate; both read the
authorisation the same way (`Authorisation.latest_success`: the latest receipt time of a
successful authorisation).

The 证书打印 list shows the certificates the view may see (`access.visible_certificates`) whose
type is self-print and that were approved after the authorisation (`listed_condition`): archived
ones stay in the list, marked 已归档 with the print buttons off, as the manual's 归档状态 column
and filter show.
"""
import datetime
import time
from dataclasses import dataclass, field

from flask import current_app, g
from peewee import SQL, fn

from coo import enums
from coo.models import Authorisation, Certificate, CertificateType, Enterprise
from coo.services.access import View, active_grant, visible_certificates
from coo.services.paging import Page
from coo.services.listquery import (
    Choice, DateRange, EnterpriseName, Field, ListQuery, Sort, Text, count_capped, parse_query,
)

Applicant = Enterprise.alias("applicant")
Exporter = Enterprise.alias("exporter")


# --- The self-printability rule ---------------------------------------------------------------

_TYPES_TTL_S = 60
_types_cache: dict = {}


def certificate_types() -> list[CertificateType]:
    """The 证书类别 rows by sort order. Types are data that change only by migration: read at
    most once a minute per process, not once per request. Shared between requests: read only."""
    now = time.monotonic()
    if _types_cache.get("until", 0) < now:
        _types_cache["rows"] = list(CertificateType.select().order_by(CertificateType.sort_order))
        _types_cache["by_code"] = {t.code: t for t in _types_cache["rows"]}
        _types_cache["until"] = now + _TYPES_TTL_S
    return _types_cache["rows"]


def certificate_type(code: str) -> CertificateType:
    certificate_types()
    return _types_cache["by_code"][code]


def self_print_codes() -> list[str]:
    """The codes of the self-print 证书类别."""
    return [t.code for t in certificate_types() if t.self_print]


def authorised_since_query(exporter):
    """Subquery: when the exporter's first successful authorisation was received (NULL if never).
    `exporter` is an Enterprise/id (one exporter, evaluated once) or `Certificate.exporter`
    (correlated, for queries over many exporters)."""
    return (Authorisation.select(fn.MIN(Authorisation.receipt_at))
            .where((Authorisation.enterprise == exporter)
                   & (Authorisation.status == enums.ReceiptStatus.SUCCESS)))


def listed_condition(exporter=None):
    """Type is self-print and approved at/after the first successful authorisation; with none,
    nothing. For one known exporter the receipt time is read first and passed as a value, so the
    planner sees how selective it is (as a subquery, PostgreSQL guessed a third of the table and
    scanned the approved_at index); without one, a correlated subquery per certificate."""
    types = Certificate.cert_type.in_(self_print_codes())
    if exporter is None:
        return types & (Certificate.approved_at >= authorised_since_query(Certificate.exporter))
    since = authorised_since(getattr(exporter, "id", exporter))
    if since is None:
        return types & SQL("1 = 0")
    return types & (Certificate.approved_at >= since)


def self_printable_condition(exporter=None):
    """THE rule of SPEC section 3 as a query condition (pass the exporter when known)."""
    return listed_condition(exporter) & (Certificate.archive_status != enums.ArchiveStatus.ARCHIVED)


def authorised_since(exporter_id) -> datetime.datetime | None:
    """When self-printing started for this exporter: the receipt time of its FIRST successful
    seal-signature authorisation. Certificates approved before it keep the old way of printing;
    a later re-authorisation (a new seal) changes the seal on the layouts, not which certificates
    are self-printable. Memoised per app context so a list page asks once, not once per row.
    This is the one definition; authorisation and layouts call it."""
    cache = g.setdefault("coo_authorised_since", {})
    if exporter_id not in cache:
        first = (Authorisation.select(fn.MIN(Authorisation.receipt_at))
                 .where((Authorisation.enterprise == exporter_id)
                        & (Authorisation.status == enums.ReceiptStatus.SUCCESS))
                 .scalar())
        cache[exporter_id] = Authorisation.receipt_at.python_value(first)
    return cache[exporter_id]


def forget_authorisation_cache():
    g.pop("coo_authorised_since", None)


def _approved_after_authorisation(cert) -> bool:
    since = authorised_since(cert.exporter_id)
    return since is not None and cert.approved_at >= since


def is_listed(cert) -> bool:
    return bool(cert.cert_type.self_print) and _approved_after_authorisation(cert)


def is_self_printable(cert) -> bool:
    """THE rule of SPEC section 3 for one certificate."""
    return is_listed(cert) and cert.archive_status != enums.ArchiveStatus.ARCHIVED


# --- The four buttons -------------------------------------------------------------------------

@dataclass(frozen=True)
class AllowedActions:
    """Which of the buttons of SPEC 4.4 are enabled for one certificate."""
    preview_copy: bool = False       # 预览/下载副本
    print_both: bool = False         # 打印正副本
    print_original: bool = False     # 打印正本
    print_copy: bool = False         # 打印副本

    def allows(self, kind: enums.PrintKind) -> bool:
        return {enums.PrintKind.ORIGINAL_AND_COPY: self.print_both,
                enums.PrintKind.ORIGINAL: self.print_original,
                enums.PrintKind.COPY: self.print_copy}[enums.PrintKind(kind)]

    @property
    def any_print(self) -> bool:
        return self.print_both or self.print_original or self.print_copy


def original_printable(cert) -> bool:
    """The original may go to the print control: self-printable, layout received, and either
    not printed yet (待打印) or re-opened by an accepted exception application."""
    return (is_self_printable(cert) and cert.layout_status == enums.LayoutStatus.RECEIVED
            and (cert.print_status == enums.PrintStatus.PENDING or cert.reprint_allowed))


def allowed_actions(cert, job_open: bool = False) -> AllowedActions:
    """`job_open`: the certificate has a print job in flight or waiting for 是/否 (printing
    refuses a second one), so no print button until it is done."""
    received = cert.layout_status == enums.LayoutStatus.RECEIVED
    original = original_printable(cert) and not job_open
    return AllowedActions(
        preview_copy=received,
        print_both=original,
        print_original=original,
        # 已归档的证书不可打印 (manual 4.4): the copy too; the preview stays.
        print_copy=received and is_self_printable(cert) and not job_open,
    )


# --- The list's 查询区 ------------------------------------------------------------------------

def type_choices():
    """证书类别 choices of the print list: the self-print types, by sort order."""
    return [(t.code, f"{t.code} {t.name_zh}") for t in certificate_types() if t.self_print]


FIELDS = (
    Text("number", "证书编号", column=Certificate.number, max_length=20, upper=True),
    Text("invoice", "发票号", column=Certificate.invoice_number, max_length=64),
    Choice("type", "证书类别", column=Certificate.cert_type, choices_of=type_choices),
    EnterpriseName("applicant", "申请人", column=Certificate.applicant),
    EnterpriseName("exporter", "出口商", column=Certificate.exporter),
    DateRange("issued", "签发日期", column=Certificate.issue_date),
    Choice("layout", "版式状态", column=Certificate.layout_status, enum=enums.LayoutStatus),
    Choice("archive", "归档状态", column=Certificate.archive_status, enum=enums.ArchiveStatus),
    Choice("print", "打印状态", column=Certificate.print_status, enum=enums.PrintStatus),
)
FIELD = {f.name: f for f in FIELDS}


def fields(*names) -> tuple[Field, ...]:
    """Some of the list's filters, by name: 证书下载 and 打印异常申请 reuse them."""
    return tuple(FIELD[name] for name in names)


SORTS = (Sort("issue_date", "签发日期", (Certificate.issue_date, Certificate.id)),)
DEFAULT_SORT = "-issue_date"


def parse(args, extra_fields=()) -> ListQuery:
    """The 证书打印 query from request args; other lists pass `extra_fields`."""
    return parse_query(args, FIELDS + tuple(extra_fields), SORTS, DEFAULT_SORT)


WHOLE_ROWS = (Certificate, CertificateType, Applicant, Exporter)


def rows_query(columns=WHOLE_ROWS):
    """Certificates with their type, applicant and exporter in one query (no N+1)."""
    return (Certificate.select(*columns)
            .join(CertificateType, on=(Certificate.cert_type == CertificateType.code))
            .switch(Certificate)
            .join(Applicant, on=(Certificate.applicant == Applicant.id), attr="applicant")
            .switch(Certificate)
            .join(Exporter, on=(Certificate.exporter == Exporter.id), attr="exporter"))


def listed_certificates(view: View, query=None):
    """The base set of the 证书打印 list: what the view may see, listed by the rule above."""
    query = query if query is not None else rows_query()
    return visible_certificates(view, query).where(listed_condition(view.enterprise))


# The list's columns. The type comes from the cached type table and the exporter is the view's
# own exporter (scoping guarantees it), so one join, for the applicant's name, is all a row needs;
# rows are flat Certificate objects (`.objects()`), a third cheaper to build than joined models.
LIST_COLUMNS = (
    Certificate.id, Certificate.number, Certificate.invoice_number, Certificate.issue_date,
    Certificate.approved_at, Certificate.layout_status, Certificate.print_status,
    Certificate.archive_status, Certificate.download_status, Certificate.reprint_allowed,
    Certificate.print_count, Certificate.exception_reprints, Certificate.platform,
    Certificate.cert_type, Certificate.applicant, Certificate.exporter,
    Applicant.name_zh.alias("applicant_name"),
)


def _list_rows(view: View, q: ListQuery, size: int):
    query = Certificate.select(*LIST_COLUMNS).join(Applicant, on=(Certificate.applicant == Applicant.id))
    rows = list(q.order(q.filter(listed_certificates(view, query)))
                .limit(size + 1).offset((q.page - 1) * size).objects())
    exporter = view.enterprise
    for cert in rows:
        cert.cert_type = certificate_type(cert.cert_type_id)
        cert.exporter = exporter
    return rows


def list_page(view: View, q: ListQuery, size: int | None = None, cap: int | None = None) -> Page:
    """One page of the list. The count stops at `cap` (LIST_COUNT_CAP, at least this page's
    end): counting every row of a large exporter would cost more than the page itself."""
    size = size or current_app.config["PAGE_SIZE"]
    cap = max(cap or current_app.config["LIST_COUNT_CAP"], q.page * size)
    total = count_capped(q.filter(listed_certificates(view, Certificate.select(Certificate.id))), cap)
    rows = _list_rows(view, q, size) if total >= q.first_row(size) else []
    return Page(items=rows[:size], number=q.page, size=size, total=total, cap=cap,
                more=len(rows) > size)


# --- 查看解决办法: why a number is not in the list ----------------------------------------------

REASON_STEPS = {
    "unknown": ["请核对证书编号是否输入正确（证书类别代码 + 15 位数字，例如 E231026902330075）。",
                "海关审批通过后，证书数据需要一段时间才能传到本系统，请稍后再查询。",
                "仍查询不到，请联系签证机构或拨打服务热线 010-95198。"],
    "other_enterprise": ["证书打印列表只展示本企业作为出口商的证书，请核对证书编号。",
                         "如该证书属于其他企业，请使用该出口商的账号登录后打印。",
                         "代理企业请在委托企业列表中切换到委托企业，查询本企业为其代理申报的证书。"],
    "agent_not_authorised": ["请委托企业（出口商）使用法人卡登录，在授权管理 → 代理打印授权中新增对本企业的代理打印授权。",
                             "代理打印授权之后由本企业申报并审批通过的证书才能代理打印；授权之前审批通过的证书请委托企业自行打印。"],
    "switch_view": ["该证书由本企业代理申报，请在授权管理 → 委托企业列表中切换到对应的委托企业后查询、打印。"],
    "not_self_print_type": ["该证书类别不在海关总署公告指定的自助打印证书类别范围内。",
                            "请采用现行的打印方式，到签证机构领取证书。"],
    "no_authorisation": ["出口商需先使用法人卡登录，在印章管理中制作印章和签名，并在授权管理 → 印章签名授权中完成授权。",
                         "授权成功之后新申请并审批通过的证书才能在证书打印列表中展示及自助打印。"],
    "before_authorisation": ["印章及申报员签名授权成功之后新申请并审批通过的证书才能自助打印。",
                             "授权之前审批通过的证书请采用现行的打印方式。"],
    "archived": ["已归档的证书不可打印，也不可进行打印异常申请。",
                 "证书数据已发送至出口原产地证书核查系统，外方可以查询核实。"],
    "layout_not_received": ["版式状态为“接收成功”后才能预览和打印，一般几分钟内完成，请稍后点击查询刷新。",
                            "长时间未接收成功，请拨打服务热线 010-95198。"],
    "layout_refused": ["该证书请采用现行的打印方式，到签证机构打印。",
                       "如证书数据有误，请联系签证机构修改；修改后的证书会重新生成版式。"],
    "already_printed": ["该证书正本已打印。如打印失败（断电、卡纸、内容缺失等），请在打印异常申请中提交申请，",
                        "海关回执为“异常处理申请接收成功”后即可重新打印正本。"],
    "filtered": ["该证书可以在列表中查询到，但不符合当前的其他查询条件。",
                 "请点击重置，只输入证书编号后再查询。"],
}


@dataclass
class Diagnosis:
    """Why a typed number is not in the list, or not printable, and what to do."""
    code: str
    number: str
    message: str
    steps: list[str] = field(default_factory=list)
    approved_at: datetime.datetime | None = None
    authorised_at: datetime.datetime | None = None     # authorisation receipt or agent grant


def _diagnosis(code, number, message, **times):
    return Diagnosis(code=code, number=number, message=message, steps=REASON_STEPS[code], **times)


def why_not(view: View, number: str, q: ListQuery | None = None) -> Diagnosis | None:
    """The reason `number` is not (or not printably) in the view's list; None when it is listed,
    matches `q`, and its original can be printed. Never reveals another enterprise's data."""
    number = (number or "").strip().upper()
    # Deliberately unscoped: the row is only used to choose a message, never shown.
    cert = (Certificate.select(Certificate, CertificateType)
            .join(CertificateType, on=(Certificate.cert_type == CertificateType.code))
            .where(Certificate.number == number).first())
    if cert is None:
        return _diagnosis("unknown", number, f"系统中没有证书编号为 {number} 的证书。")
    if not visible_certificates(view).where(Certificate.id == cert.id).exists():
        return _not_visible(view, cert, number)
    if not cert.cert_type.self_print:
        return _diagnosis("not_self_print_type", number,
                          f"证书 {number} 的证书类别（{cert.cert_type.name_zh}）不支持自助打印。")
    since = authorised_since(cert.exporter_id)
    if since is None:
        return _diagnosis("no_authorisation", number,
                          f"出口商尚未完成印章签名授权，证书 {number} 不能自助打印。",
                          approved_at=cert.approved_at)
    if cert.approved_at < since:
        return _diagnosis("before_authorisation", number,
                          f"证书 {number} 审批通过的时间早于出口商印章签名授权成功的时间，不能自助打印。",
                          approved_at=cert.approved_at, authorised_at=since)
    if cert.archive_status == enums.ArchiveStatus.ARCHIVED:
        return _diagnosis("archived", number, f"证书 {number} 已归档，不可打印。")
    if cert.layout_status != enums.LayoutStatus.RECEIVED and cert.layout_error:
        return _diagnosis("layout_refused", number,
                          f"证书 {number} 不能生成自助打印版式：{cert.layout_error}")
    if cert.layout_status != enums.LayoutStatus.RECEIVED:
        return _diagnosis("layout_not_received", number,
                          f"证书 {number} 的版式尚未接收成功（当前版式状态：{cert.layout_status.label}）。")
    if q is not None and not q.filter(listed_certificates(view, Certificate.select(Certificate.id))) \
            .where(Certificate.id == cert.id).exists():
        return _diagnosis("filtered", number, f"证书 {number} 不符合当前的其他查询条件。")
    if cert.print_status == enums.PrintStatus.PRINTED and not cert.reprint_allowed:
        return _diagnosis("already_printed", number, f"证书 {number} 的正本已打印。")
    return None


def _not_visible(view: View, cert, number) -> Diagnosis:
    own = view.own
    declared_by_us = cert.applicant_id == own.id
    if view.is_agent_view and declared_by_us and cert.exporter_id == view.principal.id:
        return _diagnosis("agent_not_authorised", number,
                          f"证书 {number} 审批通过的时间早于委托企业对本企业代理打印授权的时间，不能代理打印。",
                          approved_at=cert.approved_at, authorised_at=view.grant.granted_at)
    if declared_by_us and cert.exporter_id != own.id:
        grant = active_grant(cert.exporter_id, own)
        if grant is None:
            return _diagnosis("agent_not_authorised", number,
                              f"证书 {number} 由本企业代理申报，但出口商尚未对本企业进行代理打印授权（或授权已撤销）。")
        if cert.approved_at < grant.granted_at:
            return _diagnosis("agent_not_authorised", number,
                              f"证书 {number} 审批通过的时间早于出口商对本企业代理打印授权的时间，不能代理打印。",
                              approved_at=cert.approved_at, authorised_at=grant.granted_at)
        return _diagnosis("switch_view", number, f"证书 {number} 由本企业代理申报，属于委托企业。")
    return _diagnosis("other_enterprise", number, f"证书 {number} 不属于当前企业，无权查看。")
