"""打印异常申请 (the manual's 第五章): the printed, unarchived certificates, the application, its
receipt from customs, and the reprint it allows. Who may apply, and why not, is
`coo.services.rules` (`Action.APPLY_EXCEPTION`).

Life of an application: 已提交 (sent to customs by a job) → 异常处理申请接收成功 (the original may be
printed again: `Certificate.reprint_allowed`) → 已重新打印 (when the reprinted original is sent
to the printer: printing counts it and calls `note_reprint`), or → 异常处理申请被拒绝 with customs'
reason. One application per
certificate may be open (已提交 / 接收成功) at a time; a partial unique index holds that line in the
database.
"""
from dataclasses import dataclass, field, replace

from peewee import IntegrityError

from coo import enums
from coo.clock import utcnow
from coo.db import locked, write_transaction
from coo.models import Certificate, ExceptionApplication
from coo.services import audit, certificates, rules
from coo.services.access import View, certificate_or_404, visible_certificates
from coo.services.listquery import DateRange, ListQuery, parse_query

REASON_REQUIRED = "请选择异常操作类型。"
DETAILS_REQUIRED = "异常操作类型为“其他”时，请填写异常问题详情。"
DETAILS_MAX = 500
DETAILS_TOO_LONG = f"异常问题详情不能超过{DETAILS_MAX}个字。"
SUBMITTED = "异常申请已提交，请等待海关回执（异常处理申请接收成功后即可重新打印正本）。"


# --- The query of both tabs -------------------------------------------------------------------

FIELDS = (
    *certificates.fields("number", "invoice", "type", "applicant", "exporter"),
    replace(certificates.FIELD["issued"], captions=("签发开始日期", "签发结束日期"),
            ends=("开始日期", "结束日期")),
    DateRange("applied", "异常申请日期", column=ExceptionApplication.applied_at,
              captions=("异常申请开始日期", "异常申请结束日期"), ends=("开始日期", "结束日期")),
)
def parse(args) -> ListQuery:
    """The query of both tabs (the shared 查询区: `coo.services.listquery`)."""
    return parse_query(args, FIELDS, (), "")


# --- Tab 已打印证书列表 --------------------------------------------------------------------------

def eligible(view: View, query=None):
    """Printed (an original went to the printer, whatever 是/否 said) and not archived."""
    return visible_certificates(view, query).where(rules.exception_candidates_condition())


def printed_certificates(view: View, q: ListQuery):
    """The eligible certificates matching the query; 异常申请日期 picks those with an application
    made on those days."""
    query = q.filter(eligible(view, certificates.rows_query(certificates.WHOLE_ROWS)), skip=("applied",))
    if q.value("applied"):
        applied = q.filter(ExceptionApplication.select(ExceptionApplication.certificate), only=("applied",))
        query = query.where(Certificate.id.in_(applied))
    return query.order_by(Certificate.issue_date.desc(), Certificate.id.desc())


def open_application(certificate_id):
    return (ExceptionApplication.select()
            .where((ExceptionApplication.certificate == certificate_id)
                   & ExceptionApplication.status.in_(ExceptionApplication.OPEN))
            .first())


def refusal(certificate: Certificate, view: View | None = None) -> str:
    """Why this certificate may not get an application now, or '' (the rules' words)."""
    refused = rules.check(certificate, view, rules.Action.APPLY_EXCEPTION)
    return refused.message if refused else ""


def selected_reason(view: View, number: str) -> str:
    """For ?selected=<number> that is not in the list: why, in the user's words."""
    cert = visible_certificates(view).where(Certificate.number == number).first()
    if cert is None:
        return f"证书 {number} 不存在或不属于当前企业。"
    return refusal(cert, view)


# --- The application and its receipt ------------------------------------------------------------

@dataclass
class Outcome:
    application: ExceptionApplication | None = None
    errors: dict = field(default_factory=dict)


def apply(view: View, certificate_id, why: enums.ExceptionReason, details: str, applied_by: str) -> Outcome:
    """提交打印: record the application and send it to customs, or say why not (nothing changes).
    The form (`coo.web.forms.ExceptionForm`) has checked the reason and the details."""
    from coo.services.exchanges import create_exchange, start
    cert = certificate_or_404(view, certificate_id)
    try:
        with write_transaction():
            # Re-read inside the transaction: another tab may have applied, customs may have archived.
            cert = locked(Certificate.select().where(Certificate.id == cert.id)).get()
            reason = refusal(cert, view)
            if reason:
                return Outcome(errors={"certificate": reason})
            application = ExceptionApplication.create(
                certificate=cert, enterprise=view.own, reason=why,
                details=details, applied_by=applied_by)
            exchange = create_exchange(enums.ExchangeKind.EXCEPTION, application.id,
                                       payload(application, cert))
            audit.record("exception_apply", cert.number,
                         f"{application.reason.label}：{application.details or '-'}")
    except IntegrityError:
        # The partial unique index: a concurrent request opened one first.
        return Outcome(errors={"certificate": refusal(Certificate.get_by_id(cert.id), view)
                               or rules.reason(rules.Code.EXCEPTION_SUBMITTED, cert.number).message})
    start(exchange)        # after the commit: the job must find the rows
    return Outcome(application=application)


def payload(application: ExceptionApplication, cert: Certificate) -> dict:
    return {
        "certificate_number": cert.number,
        "exporter_customs_code": cert.exporter.customs_code,
        "applicant_customs_code": application.enterprise.customs_code,
        "reason": application.reason.value,
        "reason_label": application.reason.label,
        "details": application.details,
        "applied_at": application.applied_at.isoformat(timespec="seconds"),
    }


def apply_receipt(exchange, receipt) -> None:
    """`exchanges.HANDLERS[EXCEPTION]`: customs' answer, in the transaction that completes the exchange.
    Acts only on an application still 已提交, so a repeated receipt changes nothing."""
    application = ExceptionApplication.get_or_none(ExceptionApplication.id == exchange.subject_id)
    if application is None or application.status != enums.ExceptionStatus.SUBMITTED:
        return
    cert = application.certificate
    accepted = receipt.ok and cert.archive_status != enums.ArchiveStatus.ARCHIVED
    status = enums.ExceptionStatus.ACCEPTED if accepted else enums.ExceptionStatus.REFUSED
    message = receipt.message or (status.label if accepted
                                  else rules.reason(rules.Code.ARCHIVED, cert.number).message)
    (ExceptionApplication.update(status=status, receipt_at=receipt.at or utcnow(),
                                 receipt_message=message)
     .where((ExceptionApplication.id == application.id)
            & (ExceptionApplication.status == enums.ExceptionStatus.SUBMITTED))
     .execute())
    if accepted:
        Certificate.update(reprint_allowed=True, updated_at=utcnow()).where(
            (Certificate.id == cert.id)
            & (Certificate.archive_status == enums.ArchiveStatus.UNARCHIVED)).execute()
    audit.record("exception_receipt", cert.number, f"{status.label}：{message}",
                 enterprise=application.enterprise, actor="海关")


def note_reprint(certificate_id) -> bool:
    """The original was sent to the printer again under an accepted application: printjobs calls
    this in the transaction that counts the reprint (`printjobs.original_sent`). Closes the
    application (已重新打印); without an accepted application it changes nothing."""
    done = (ExceptionApplication.update(status=enums.ExceptionStatus.REPRINTED, reprinted_at=utcnow())
            .where((ExceptionApplication.certificate == certificate_id)
                   & (ExceptionApplication.status == enums.ExceptionStatus.ACCEPTED))
            .execute())
    return bool(done)


# --- Tab 异常申请记录 ----------------------------------------------------------------------------

def records(view: View, q: ListQuery):
    query = (ExceptionApplication
             .select(ExceptionApplication, Certificate)
             .join(Certificate)
             .where(Certificate.id.in_(visible_certificates(view).select(Certificate.id))))
    return q.filter(query).order_by(ExceptionApplication.applied_at.desc(), ExceptionApplication.id.desc())
