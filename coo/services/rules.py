"""What a user may do with a certificate, and why not: the one place this is decided.

`check(certificate, view, action)` answers every action a user can take on a certificate
(预览/下载副本, 打印正副本 / 打印正本 / 打印副本, 下载正本, 副本预览/下载, 异常申请), the
证书打印 list's 查看解决办法 (`Action.LIST`: why a number is not listed) and the layout worker's
question (`Action.LAYOUT`: may it have a self-print layout at all). It returns None when the
action is allowed, else a `Reason`: a code, the certificate's number and the facts the message
needs. `TABLE` holds every reason's message and 解决办法, once; routes, jobs, buttons and the
diagnosis show those words and no others.

The rules (`RULES`) are ordered guards per action; the first that refuses gives the reason.
They read the manual (4.4, 5, 6) and SPEC section 3:
- self-printable: the type is self-print, approved at/after the exporter's FIRST successful
  seal-signature authorisation (a later one changes the seal on the layouts, not which
  certificates are self-printable), not archived (已归档的证书不可打印，不可进行异常申请);
- one original per certificate. The first original sent to the printer makes 打印状态 已打印
  whatever 是/否 says next; after that the original may be printed again only when an accepted
  打印异常申请 re-opened it (`reprint_allowed`, used up by that reprint). 下载正本 is refused
  while an original is being printed or awaits 是/否, and once one was printed; printing the
  original is refused once it was downloaded. A downloaded original may be fetched again: it
  is the same signed file.

Cheap by design: a check reads only the certificate row (the list's columns suffice) and a
`Context` that holds, per view, the exporter's authorisation time and the open print jobs and
exception applications of the certificates at hand. `context(view, certificates)` loads those
for a whole page (one query, a second only if a printed one needs its application); without
it, a check asks for its one certificate.
"""
import datetime
from dataclasses import dataclass, field
from typing import Callable

from flask import g, has_app_context
from peewee import SQL, NodeList, fn

from coo import enums
from coo.clock import to_local
from coo.models import Authorisation, Certificate, CertificateType, ExceptionApplication, PrintJob
from coo.services.access import View, active_grant, can_see
from coo.services.prepared import Param, ShapeCache, python_value

_prepared = ShapeCache()


# `Action` and `Code` are word tables like coo/enums.py (a stable code and the manual's words a line):
# alike in shape, each the one list of its kind.
class Action(enums.Labelled):
    PREVIEW_COPY = "preview_copy", "预览/下载副本"
    PRINT_BOTH = "print_both", "打印正副本"
    PRINT_ORIGINAL = "print_original", "打印正本"
    PRINT_COPY = "print_copy", "打印副本"
    DOWNLOAD_ORIGINAL = "download_original", "下载正本"
    DOWNLOAD_COPY = "download_copy", "副本预览/下载"
    APPLY_EXCEPTION = "apply_exception", "异常申请"
    LIST = "list", "证书打印列表展示"          # 查看解决办法 explains a refusal of this one
    LAYOUT = "layout", "生成自助打印版式"      # the layout worker's question; no view


PRINT_ACTIONS = {
    enums.PrintKind.ORIGINAL_AND_COPY: Action.PRINT_BOTH,
    enums.PrintKind.ORIGINAL: Action.PRINT_ORIGINAL,
    enums.PrintKind.COPY: Action.PRINT_COPY,
}
ORIGINAL_KINDS = (enums.PrintKind.ORIGINAL_AND_COPY, enums.PrintKind.ORIGINAL)
JOB_IN_FLIGHT = (enums.PrintJobStatus.QUEUED, enums.PrintJobStatus.PRINTING)


class Code(enums.Labelled):
    """Why not. Values are stable (the page carries them as data-reason)."""
    UNKNOWN = "unknown", "证书不存在"
    OTHER_ENTERPRISE = "other_enterprise", "不属于当前企业"
    AGENT_NOT_AUTHORISED = "agent_not_authorised", "无代理打印授权"
    SWITCH_VIEW = "switch_view", "请切换到委托企业"
    NOT_DECLARED_BY_AGENT = "not_declared_by_agent", "非本企业代理申报"
    OUTSIDE_AGENT_VIEW = "outside_agent_view", "不属于当前委托企业"
    NOT_SELF_PRINT_TYPE = "not_self_print_type", "证书类别不支持自助打印"
    NO_AUTHORISATION = "no_authorisation", "未完成印章签名授权"
    BEFORE_AUTHORISATION = "before_authorisation", "审批早于授权"
    ARCHIVED = "archived", "已归档"
    LAYOUT_REFUSED = "layout_refused", "不能生成版式"
    LAYOUT_NOT_RECEIVED = "layout_not_received", "版式尚未接收成功"
    JOB_IN_FLIGHT = "job_in_flight", "打印中"
    AWAITING_CONFIRMATION = "awaiting_confirmation", "待确认打印结果"
    ALREADY_PRINTED = "already_printed", "正本已打印"
    ORIGINAL_DOWNLOADED = "original_downloaded", "正本已下载"
    EXCEPTION_SUBMITTED = "exception_submitted", "异常申请待回执"
    EXCEPTION_ACCEPTED = "exception_accepted", "异常申请已接收成功"
    NOT_PRINTED = "not_printed", "待打印"
    NOT_E_DOWNLOAD = "not_e_download", "不支持电子版下载"
    NOT_SINGLE_WINDOW = "not_single_window", "非单一窗口申请"
    FILTERED = "filtered", "不符合其他查询条件"


@dataclass(frozen=True)
class Entry:
    message: str              # formatted with the Reason's number and facts
    steps: tuple[str, ...]    # 解决办法


HOTLINE = "仍有问题请拨打服务热线 010-95198。"

# THE table of messages and 解决办法. {number} is the certificate's number; other fields come
# from `Reason.facts`.
TABLE: dict[Code, Entry] = {
    Code.UNKNOWN: Entry(
        "系统中没有证书编号为 {number} 的证书。",
        ("请核对证书编号是否输入正确（证书类别代码 + 15 位数字，例如 E231026902330075）。",
         "海关审批通过后，证书数据需要一段时间才能传到本系统，请稍后再查询。",
         "仍查询不到，请联系签证机构或拨打服务热线 010-95198。")),
    Code.OTHER_ENTERPRISE: Entry(
        "证书 {number} 不属于当前企业，无权查看。",
        ("证书打印列表只展示本企业作为出口商的证书，请核对证书编号。",
         "如该证书属于其他企业，请使用该出口商的账号登录后打印。",
         "代理企业请在授权管理 → 委托企业列表中切换到委托企业，查询本企业为其代理申报的证书。")),
    Code.AGENT_NOT_AUTHORISED: Entry(
        "证书 {number} 由本企业代理申报，{why}",
        ("请委托企业（出口商）使用法人卡登录，在授权管理 → 代理打印授权中新增对本企业的代理打印授权。",
         "代理打印授权之后由本企业申报并审批通过的证书才能代理打印；授权之前审批通过的证书请委托企业自行打印。")),
    Code.SWITCH_VIEW: Entry(
        "证书 {number} 由本企业代理申报，属于委托企业{principal}。",
        ("请在授权管理 → 委托企业列表中切换到{principal}后查询、打印。",)),
    Code.NOT_DECLARED_BY_AGENT: Entry(
        "证书 {number} 不是本企业为{principal}代理申报的证书，在{principal}的委托企业视图中不能打印。",
        ("代理企业在委托企业视图中只能查询、打印本企业为该企业代理申报并审批通过的证书。",
         "{principal}自行申报或由其他企业代理申报的证书，请{principal}使用本企业账号登录后打印。")),
    Code.OUTSIDE_AGENT_VIEW: Entry(
        "当前是{principal}的委托企业视图，证书 {number} 的出口商不是{principal}。",
        ("本企业作为出口商的证书：请点击页面上方的“返回本企业”后查询。",
         "本企业为其他委托企业代理申报的证书：请在授权管理 → 委托企业列表中切换到该企业后查询。")),
    Code.NOT_SELF_PRINT_TYPE: Entry(
        "证书 {number} 的证书类别（{type_name}）不支持自助打印。",
        ("该证书类别不在海关总署公告指定的自助打印证书类别范围内。",
         "请采用现行的打印方式，到签证机构领取证书。")),
    Code.NO_AUTHORISATION: Entry(
        "出口商尚未完成印章签名授权，证书 {number} 不能自助打印。",
        ("出口商需先使用法人卡登录，在印章管理中制作印章和签名，并在授权管理 → 印章签名授权中完成授权。",
         "授权成功之后新申请并审批通过的证书才能在证书打印列表中展示及自助打印。")),
    Code.BEFORE_AUTHORISATION: Entry(
        "证书 {number} 审批通过的时间（{approved}）早于出口商印章签名授权成功的时间（{authorised}），不能自助打印。",
        ("印章及申报员签名授权成功之后新申请并审批通过的证书才能自助打印。",
         "授权之前审批通过的证书请采用现行的打印方式。")),
    Code.ARCHIVED: Entry(
        "证书 {number} 已归档，不可打印，不可进行打印异常申请，也不能再下载正本。",
        ("已归档的证书不可打印，不可进行打印异常申请；只有未归档证书才可打印。",
         "证书数据已发送至出口原产地证书核查系统，外方可以查询核实。")),
    Code.LAYOUT_REFUSED: Entry(
        "证书 {number} 不能生成自助打印版式：{layout_error}",
        ("该证书请采用现行的打印方式，到签证机构打印。",
         "如证书数据有误，请联系签证机构修改；修改后的证书会重新生成版式。")),
    Code.LAYOUT_NOT_RECEIVED: Entry(
        "证书 {number} 的版式尚未接收成功（当前版式状态：{layout_status}）。",
        ("版式状态为“接收成功”后才能预览、打印和下载，一般几分钟内完成，请稍后点击查询刷新。",
         "长时间未接收成功，请拨打服务热线 010-95198。")),
    Code.JOB_IN_FLIGHT: Entry(
        "证书 {number} 有未完成的打印任务（{job_status}），请等待打印完成并确认打印结果。",
        ("打印任务由本企业的打印控件接收并打印，请确认打印控件已启动。",
         "打印完成后请如实确认是否打印成功（是 / 否）。")),
    Code.AWAITING_CONFIRMATION: Entry(
        "证书 {number} 的正本已发送至打印机，请先确认打印结果（是 / 否）。",
        ("在证书打印中点击该证书的“已打印，待确认打印结果”，如实确认证书是否已打印成功。",
         "若成功请点击“是”，海关将自动进行归档；若失败请点击“否”，并在“打印异常申请”中申请重新打印。")),
    Code.ALREADY_PRINTED: Entry(
        "证书 {number} 的正本已打印（已自助打印），不能再打印或下载正本；如正本未能正常打印，请通过“打印异常申请”申请重新打印。",
        ("如正本未能正常打印（断电、卡纸、内容缺失等），请在“打印异常申请”中提交异常申请，",
         "海关回执为“异常处理申请接收成功”后即可重新打印正本；证书每次异常打印都会记录打印的次数。")),
    Code.ORIGINAL_DOWNLOADED: Entry(
        "证书 {number} 的正本已下载（下载状态：已下载），不能再打印正本。",
        ("一份证书只有一份正本：请使用已下载的正本在通关环节使用。",
         "如需再次获取，请在“证书下载”中重新下载该正本（与首次下载的是同一份文件）。")),
    Code.EXCEPTION_SUBMITTED: Entry(
        "证书 {number} 的打印异常申请已提交，正在等待海关回执，请勿重复申请。",
        ("海关回执为“异常处理申请接收成功”后即可在证书打印中重新打印正本，请勿重复申请。",
         "回执结果可在“打印异常申请 → 异常申请记录”中查看。")),
    Code.EXCEPTION_ACCEPTED: Entry(
        "证书 {number} 的打印异常申请已接收成功，请在证书打印中重新打印正本。",
        ("重新打印后请如实确认打印结果；证书每次异常打印都会记录打印的次数。",)),
    Code.NOT_PRINTED: Entry(
        "证书 {number} 的打印状态为待打印，只有已打印的证书才能进行异常申请。",
        ("打印异常申请用于正本已发送打印但未正常打印出的证书。",
         "待打印的证书请直接在证书打印中打印。")),
    Code.NOT_E_DOWNLOAD: Entry(
        "证书 {number} 的证书类别（{type_name}）不支持电子版下载。",
        ("支持电子版下载的 12 种证书类型请见证书下载页面的“提示”。",
         "其他证书请在证书打印中打印。")),
    Code.NOT_SINGLE_WINDOW: Entry(
        "证书 {number} 通过{platform}申请，使用单一窗口申请的证书才能使用该功能。",
        ("该证书请在证书打印中打印。",)),
    Code.FILTERED: Entry(
        "证书 {number} 不符合当前的其他查询条件。",
        ("该证书可以在列表中查询到，但不符合当前的其他查询条件。",
         "请点击重置，只输入证书编号后再查询。")),
}


@dataclass(frozen=True)
class Reason:
    """A refusal: what the user sees (`message`, `steps`) and its `code` (data-reason)."""
    code: Code
    number: str
    facts: dict = field(default_factory=dict)
    approved_at: datetime.datetime | None = None
    authorised_at: datetime.datetime | None = None    # authorisation receipt or agent grant

    @property
    def message(self) -> str:
        return TABLE[self.code].message.format(number=self.number, **self.facts)

    @property
    def steps(self) -> list[str]:
        return [step.format(number=self.number, **self.facts) for step in TABLE[self.code].steps]

    @property
    def authorised_label(self) -> str:
        """What `authorised_at` is, for the diagnosis."""
        return "代理打印授权时间" if self.code == Code.AGENT_NOT_AUTHORISED else "印章签名授权成功时间"

    def __str__(self):
        return self.message


def reason(code: Code, number: str, **facts) -> Reason:
    times = {k: facts.pop(k) for k in ("approved_at", "authorised_at") if k in facts}
    return Reason(code, number, facts, **times)


# --- The context: per view, precomputed --------------------------------------------------------

@dataclass
class Context:
    """What a check needs beyond the certificate row. `view` is None for jobs acting for the
    system (the layout worker). `jobs` / `applications` hold, for the certificates loaded, the
    open print job (status, kind) and the open exception application's status."""
    view: View | None
    since: dict = field(default_factory=dict)          # exporter id -> first authorisation or None
    jobs: dict = field(default_factory=dict)
    applications: dict = field(default_factory=dict)
    loaded: set = field(default_factory=set)           # certificate ids `jobs` covers
    applications_loaded: set = field(default_factory=set)

    def authorised_since(self, exporter_id):
        if exporter_id not in self.since:
            self.since[exporter_id] = authorised_since(exporter_id)
        return self.since[exporter_id]

    def open_job(self, cert):
        if cert.id not in self.loaded:
            self.preload([cert.id])
        return self.jobs.get(cert.id)

    def open_application(self, cert):
        """Asked only for printed certificates: loaded on first need, for every certificate
        preloaded so far, in one query."""
        if cert.id not in self.loaded:
            self.preload([cert.id])
        if cert.id not in self.applications_loaded:
            ids = sorted(self.loaded - self.applications_loaded)
            for application in (ExceptionApplication
                                .select(ExceptionApplication.certificate, ExceptionApplication.status)
                                .where(ExceptionApplication.certificate.in_(ids)
                                       & ExceptionApplication.status.in_(ExceptionApplication.OPEN))):
                self.applications[application.certificate_id] = application.status
            self.applications_loaded.update(ids)
        return self.applications.get(cert.id)

    def preload(self, ids):
        """One query for many certificates: their open print jobs (in flight, or a printed
        original waiting for 是/否)."""
        ids = [i for i in ids if i not in self.loaded]
        if not ids:
            return self
        jobs = (PrintJob.select(PrintJob.certificate, PrintJob.status, PrintJob.kind)
                .where(PrintJob.certificate.in_(ids) & open_job_condition())
                .order_by(PrintJob.id))
        for job in jobs:
            self.jobs[job.certificate_id] = (job.status, job.kind)
        self.loaded.update(ids)
        return self

    def prime(self, jobs: dict):
        """The open print jobs of some certificates, read by the caller's own query with
        `open_job_column` (the 证书打印 list's rows carry it): {certificate id: (status, kind)
        or None}. Nothing is kept beyond this context: it is as fresh as that query."""
        for cert_id, job in jobs.items():
            if job is None:
                self.jobs.pop(cert_id, None)
            else:
                self.jobs[cert_id] = job
        self.loaded.update(jobs)
        return self


def context(view: View | None, certificates=(), jobs: dict | None = None) -> Context:
    """The context of one view; pass the page's certificates to load their facts at once.
    `jobs` ({id: (status, kind) or None} for every one of them, from `open_job_column` in the
    same query as the rows) saves the query for their open print jobs."""
    ctx = Context(view)
    if jobs is not None:
        ctx.prime(jobs)
    ids = [c.id for c in certificates]
    if ids:
        ctx.preload(ids)
    return ctx


def open_job_condition():
    """An open print job, as a query condition: in flight, or a printed original waiting for
    是/否 (what `no_print_job` refuses a second print for)."""
    return (PrintJob.status.in_(JOB_IN_FLIGHT)
            | ((PrintJob.status == enums.PrintJobStatus.DONE)
               & PrintJob.kind.in_(ORIGINAL_KINDS) & PrintJob.confirmed_at.is_null()))


_JOB_SEPARATOR = ":"


def open_job_column(certificate_id):
    """A column for a list query that primes a `Context` (`job_of_column` reads it): the
    certificate's latest open print job as "status:kind", NULL when it has none, as a
    correlated subquery on `certificate_id` (e.g. `Certificate.id`). The same job `preload`
    finds: the open one with the highest id."""
    return (PrintJob.select(NodeList((PrintJob.status, SQL(f"|| '{_JOB_SEPARATOR}' ||"), PrintJob.kind)))
            .where((PrintJob.certificate == certificate_id) & open_job_condition())
            .order_by(PrintJob.id.desc()).limit(1))


_JOBS_BY_TEXT = {f"{status.value}{_JOB_SEPARATOR}{kind.value}": (status, kind)
                 for status in enums.PrintJobStatus for kind in enums.PrintKind}


def job_of_column(value):
    """(status, kind) of an `open_job_column` value, None for NULL."""
    return None if value is None else _JOBS_BY_TEXT[value]


def authorised_since(exporter_id) -> datetime.datetime | None:
    """When self-printing started for this exporter: the receipt time of its FIRST successful
    seal-signature authorisation (SPEC section 3). Memoised per app context so a page asks once."""
    exporter_id = getattr(exporter_id, "id", exporter_id)
    cache = g.setdefault("coo_authorised_since", {}) if has_app_context() else {}
    if exporter_id not in cache:
        # Built once, run with the exporter's id (`prepared`): building it cost more than running it.
        query = _prepared.get("authorised_since", lambda: authorised_since_query(Param("exporter")))
        cache[exporter_id] = _receipt_at(query.scalar(exporter=exporter_id))
    return cache[exporter_id]


_receipt_at = python_value(Authorisation.receipt_at)


def remember_authorised_since(exporter_id, receipt_at):
    """`authorised_since(exporter_id)` for this app context, read by a query that selected
    `authorised_since_query` itself (the login check does, for the user's own enterprise): the
    page does not ask again."""
    if has_app_context():
        g.setdefault("coo_authorised_since", {})[exporter_id] = _receipt_at(receipt_at)


def forget_authorisation_cache():
    if has_app_context():
        g.pop("coo_authorised_since", None)


# --- The same rules as query conditions (lists filter by them) ----------------------------------

def authorised_since_query(exporter):
    """Subquery: the exporter's first successful authorisation's receipt time (NULL if never).
    `exporter` is an Enterprise/id or `Certificate.exporter` (correlated, over many exporters)."""
    return (Authorisation.select(fn.MIN(Authorisation.receipt_at))
            .where((Authorisation.enterprise == exporter)
                   & (Authorisation.status == enums.ReceiptStatus.SUCCESS)))


def listed_condition(exporter=None):
    """`Action.LIST` for a query (visibility aside: `access.visible_certificates`): type is
    self-print and approved at/after the first successful authorisation; with none, nothing.
    For one known exporter the receipt time is read first and passed as a value, so the planner
    sees how selective it is (as a subquery PostgreSQL guessed a third of the table)."""
    from coo.services.certificates import self_print_codes
    if exporter is None:
        return (Certificate.cert_type.in_(self_print_codes())
                & (Certificate.approved_at >= authorised_since_query(Certificate.exporter)))
    return listed_since(authorised_since(getattr(exporter, "id", exporter)))


def listed_since(since):
    """`listed_condition` of an exporter whose self-printing started at `since` (None: never;
    a query parameter: the 证书打印 list's prepared query)."""
    from coo.services.certificates import self_print_codes
    types = Certificate.cert_type.in_(self_print_codes())
    if since is None:
        return types & SQL("1 = 0")
    return types & (Certificate.approved_at >= since)


def self_printable_condition(exporter=None):
    """Listed and not archived: SPEC section 3's self-printability as a query condition."""
    return listed_condition(exporter) & (Certificate.archive_status != enums.ArchiveStatus.ARCHIVED)


def exception_candidates_condition():
    """What 打印异常申请's 已打印证书列表 shows: printed and not archived (`Action.APPLY_EXCEPTION`'s
    state guards; an open job or application is said per row)."""
    return ((Certificate.print_status == enums.PrintStatus.PRINTED)
            & (Certificate.archive_status == enums.ArchiveStatus.UNARCHIVED))


def download_page_condition():
    """What 证书下载 lists: the 12 electronic types, declared through the single window
    (the query must join CertificateType)."""
    return CertificateType.e_download & (Certificate.platform == enums.Platform.SINGLE_WINDOW)


def download_status_condition(status: enums.DownloadStatus):
    """证书下载's 下载状态 filter as a query condition. 待下载 is what may still be downloaded as an
    original as far as its print and download states go: not downloaded, and not printed (the
    `not_printed` guard of `Action.DOWNLOAD_ORIGINAL` refuses a printed one, shown 已自助打印)."""
    if status == enums.DownloadStatus.PENDING:
        return ((Certificate.download_status == enums.DownloadStatus.PENDING)
                & (Certificate.print_status != enums.PrintStatus.PRINTED))
    return Certificate.download_status == status


# --- The guards ---------------------------------------------------------------------------------
# Each returns a Reason (refused), ALLOW (allowed, stop here) or None (this one has no objection).

ALLOW = object()
Guard = Callable[[object, Context], object]


def visible(cert, ctx):
    if ctx.view is None or can_see(ctx.view, cert):
        return None
    return _not_visible(cert, ctx.view)


def self_print_type(cert, ctx):
    if not cert.cert_type.self_print:
        return reason(Code.NOT_SELF_PRINT_TYPE, cert.number, type_name=cert.cert_type.name_zh)


def authorised(cert, ctx):
    since = ctx.authorised_since(cert.exporter_id)
    if since is None:
        return reason(Code.NO_AUTHORISATION, cert.number, approved_at=cert.approved_at)
    if cert.approved_at < since:
        return reason(Code.BEFORE_AUTHORISATION, cert.number, approved_at=cert.approved_at,
                      authorised_at=since, approved=_minute(cert.approved_at), authorised=_minute(since))


def _minute(value) -> str:
    return f"{to_local(value):%Y-%m-%d %H:%M}"


def unarchived(cert, ctx):
    if cert.archive_status == enums.ArchiveStatus.ARCHIVED:
        return reason(Code.ARCHIVED, cert.number)


def layout_received(cert, ctx):
    if cert.layout_status == enums.LayoutStatus.RECEIVED:
        return None
    if cert.layout_error:
        return reason(Code.LAYOUT_REFUSED, cert.number, layout_error=cert.layout_error)
    return reason(Code.LAYOUT_NOT_RECEIVED, cert.number, layout_status=cert.layout_status.label)


def _file_stored(part):
    """接收成功 always comes with both files: a row without the file `part` is treated as not
    received (what 下载 hands out is the stored file itself)."""
    attribute = f"layout_{part}_path"

    def stored(cert, ctx):
        if not getattr(cert, attribute):
            return reason(Code.LAYOUT_NOT_RECEIVED, cert.number, layout_status=cert.layout_status.label)
    stored.__name__ = f"{part}_stored"
    return stored


copy_stored, original_stored = _file_stored("copy"), _file_stored("original")


def _job_reason(cert, job):
    status, _ = job
    if status == enums.PrintJobStatus.DONE:
        return reason(Code.AWAITING_CONFIRMATION, cert.number)
    return reason(Code.JOB_IN_FLIGHT, cert.number, job_status=status.label)


def no_print_job(cert, ctx):
    """Any job in flight, or a printed original waiting for 是/否: no second print meanwhile."""
    job = ctx.open_job(cert)
    if job is not None:
        return _job_reason(cert, job)


def no_original_job(cert, ctx):
    """For 下载正本: an original on its way to the printer or waiting for 是/否."""
    job = ctx.open_job(cert)
    if job is not None and job[1] in ORIGINAL_KINDS:
        return _job_reason(cert, job)


def original_not_issued(cert, ctx):
    """One original per certificate: printed or downloaded, only an accepted exception re-opens it."""
    if cert.reprint_allowed:
        return ALLOW
    if cert.print_status == enums.PrintStatus.PRINTED:
        if ctx.open_application(cert) == enums.ExceptionStatus.SUBMITTED:
            return reason(Code.EXCEPTION_SUBMITTED, cert.number)
        return reason(Code.ALREADY_PRINTED, cert.number)
    if cert.download_status == enums.DownloadStatus.DOWNLOADED:
        return reason(Code.ORIGINAL_DOWNLOADED, cert.number)


def e_download_type(cert, ctx):
    if not cert.cert_type.e_download:
        return reason(Code.NOT_E_DOWNLOAD, cert.number, type_name=cert.cert_type.name_zh)


def single_window(cert, ctx):
    if cert.platform != enums.Platform.SINGLE_WINDOW:
        return reason(Code.NOT_SINGLE_WINDOW, cert.number, platform=cert.platform.label)


def downloaded_before(cert, ctx):
    """The original was downloaded: fetching it again serves the same signed file."""
    if cert.download_status == enums.DownloadStatus.DOWNLOADED:
        return ALLOW


def not_printed(cert, ctx):
    if cert.print_status == enums.PrintStatus.PRINTED:
        return reason(Code.ALREADY_PRINTED, cert.number)


def printed(cert, ctx):
    if cert.print_status != enums.PrintStatus.PRINTED:
        return reason(Code.NOT_PRINTED, cert.number)


def no_open_application(cert, ctx):
    status = ctx.open_application(cert)
    if status == enums.ExceptionStatus.SUBMITTED:
        return reason(Code.EXCEPTION_SUBMITTED, cert.number)
    if status == enums.ExceptionStatus.ACCEPTED or cert.reprint_allowed:
        return reason(Code.EXCEPTION_ACCEPTED, cert.number)


_PRINT = (visible, self_print_type, authorised, unarchived, layout_received, no_print_job)

# THE rules: per action, the guards in order.
RULES: dict[Action, tuple[Guard, ...]] = {
    Action.LAYOUT: (self_print_type, authorised),
    Action.LIST: (visible, self_print_type, authorised),
    Action.PREVIEW_COPY: (visible, layout_received),
    Action.PRINT_COPY: _PRINT,
    Action.PRINT_ORIGINAL: _PRINT + (original_not_issued,),
    Action.PRINT_BOTH: _PRINT + (original_not_issued,),
    Action.DOWNLOAD_COPY: (visible, e_download_type, single_window, layout_received, copy_stored),
    Action.DOWNLOAD_ORIGINAL: (visible, e_download_type, single_window, layout_received, original_stored,
                               downloaded_before,
                               self_print_type, authorised, unarchived, no_original_job, not_printed),
    Action.APPLY_EXCEPTION: (visible, unarchived, printed, no_print_job, no_open_application),
}


def check(certificate, view, action: Action) -> Reason | None:
    """None when `view` (a View, a Context, or None for the system) may do `action` with
    `certificate`; else the Reason."""
    ctx = view if isinstance(view, Context) else Context(view)
    return _run(RULES[Action(action)], certificate, ctx)[0]


def _run(guards, certificate, ctx: Context):
    """The guards in order: (the first refusal or None, whether a guard decided: refused or
    ALLOW). Not decided means none objected, and guards after these may still refuse."""
    for guard in guards:
        outcome = guard(certificate, ctx)
        if outcome is ALLOW:
            return None, True
        if outcome is not None:
            return outcome, True
    return None, False


def allows(certificate, view, action: Action) -> bool:
    return check(certificate, view, action) is None


def print_action(kind) -> Action:
    return PRINT_ACTIONS[enums.PrintKind(kind)]


@dataclass(slots=True)
class Buttons:
    """The 证书打印 row's buttons (manual 4.4), each on or off, and why the original is off.
    Made for every row of every list page: a plain slotted class (a frozen dataclass sets each
    field through object.__setattr__)."""
    preview_copy: bool = False
    print_both: bool = False
    print_original: bool = False
    print_copy: bool = False
    original_reason: Reason | None = None

    @property
    def any_print(self) -> bool:
        return self.print_both or self.print_original or self.print_copy

    def allows(self, kind) -> bool:
        return {Action.PRINT_BOTH: self.print_both, Action.PRINT_ORIGINAL: self.print_original,
                Action.PRINT_COPY: self.print_copy}[print_action(kind)]


def buttons(certificate, ctx: Context) -> Buttons:
    """A row's buttons from one pass of the rules (no query when `ctx` was preloaded). The
    original's guards begin with the copy's (`RULES`): those run once and answer both, exactly
    as `check` of each would (the first guard that decides gives the same answer to both)."""
    copy_guards, original_guards = RULES[Action.PRINT_COPY], RULES[Action.PRINT_ORIGINAL]
    if original_guards[:len(copy_guards)] == copy_guards:
        copy, decided = _run(copy_guards, certificate, ctx)
        original = copy if decided else _run(original_guards[len(copy_guards):], certificate, ctx)[0]
    else:
        copy, original = _run(copy_guards, certificate, ctx)[0], _run(original_guards, certificate, ctx)[0]
    preview = _run(RULES[Action.PREVIEW_COPY], certificate, ctx)[0] is None
    return Buttons(preview, original is None, original is None, copy is None, original)


def layout_is_final(cert) -> bool:
    """Printed, downloaded or archived: the stored layout is what was issued; it is never
    rendered again (the layout worker asks this before it touches one)."""
    return cert.layout_status == enums.LayoutStatus.RECEIVED and (
        cert.print_status == enums.PrintStatus.PRINTED
        or cert.download_status == enums.DownloadStatus.DOWNLOADED
        or cert.archive_status == enums.ArchiveStatus.ARCHIVED)


def renewable_layout_condition():
    """Received layouts that are not final (`layout_is_final`), as a query condition: the ones
    a new authorisation or the sweep may render again."""
    C = Certificate
    return ((C.layout_status == enums.LayoutStatus.RECEIVED) & (C.print_status == enums.PrintStatus.PENDING)
            & (C.download_status == enums.DownloadStatus.PENDING)
            & (C.archive_status == enums.ArchiveStatus.UNARCHIVED))


# --- Not visible: explained by what the view may do ----------------------------------------------

def _not_visible(cert, view: View) -> Reason:
    """Why the view does not see `cert`. Says nothing about the certificate beyond its number
    and the enterprises the user already knows (its own and its principal)."""
    own, number = view.own, cert.number
    declared_by_us = cert.applicant_id == own.id
    if view.is_agent_view:
        principal = view.principal
        if cert.exporter_id != principal.id:
            return reason(Code.OUTSIDE_AGENT_VIEW, number, principal=principal.name_zh)
        if not declared_by_us:
            return reason(Code.NOT_DECLARED_BY_AGENT, number, principal=principal.name_zh)
        return reason(Code.AGENT_NOT_AUTHORISED, number,
                      why="审批通过的时间早于委托企业对本企业代理打印授权的时间，不能代理打印。",
                      approved_at=cert.approved_at, authorised_at=view.grant.granted_at)
    if declared_by_us and cert.exporter_id != own.id:
        grant = active_grant(cert.exporter_id, own)
        if grant is None:
            return reason(Code.AGENT_NOT_AUTHORISED, number,
                          why="但出口商尚未对本企业进行代理打印授权（或授权已撤销）。")
        if cert.approved_at < grant.granted_at:
            return reason(Code.AGENT_NOT_AUTHORISED, number,
                          why="审批通过的时间早于出口商对本企业代理打印授权的时间，不能代理打印。",
                          approved_at=cert.approved_at, authorised_at=grant.granted_at)
        return reason(Code.SWITCH_VIEW, number, principal=grant.principal.name_zh)
    return reason(Code.OTHER_ENTERPRISE, number)
