"""Print jobs through the print control (打印控件), and the 是/否 confirmation.

The rules, one place each:
- `create_jobs` re-checks every certificate against what the view may see;
- originals leave the server only to the control holding the job (`job_document`), never to a browser;
- what may be printed is `coo.services.rules` (asked again under a lock when the jobs are made);
- the original sent to the printer (the control's 成功, or a taken job it never reported) makes
  打印状态 已打印 at once (`original_sent`); 是 (`confirm`) then opens the archive exchange
  (`coo.services.archiving`) in one conditional UPDATE, so two tabs, a double click or a retried
  request archive once; 否 archives nothing and leaves 打印异常申请 as the only way to print the
  original again.
"""
import datetime
import time
from dataclasses import dataclass, field

from flask import current_app

from coo import enums
from coo.clock import utcnow
from coo.db import lock_rows, write_transaction
from coo.models import Certificate, PrintJob, database
from coo.queue import redis
from coo.services import archiving, audit, printwake, rules
from coo.services.access import visible_certificates
from coo.services.exchanges import start
from coo.services.printcontrol import hot_sql

ORIGINAL_KINDS = (enums.PrintKind.ORIGINAL_AND_COPY, enums.PrintKind.ORIGINAL)
PARTS = {
    enums.PrintKind.ORIGINAL_AND_COPY: ("original", "copy"),
    enums.PrintKind.ORIGINAL: ("original",),
    enums.PrintKind.COPY: ("copy",),
}

CONFIRM_WORDS = ("请如实确认证书（{number}）是否已打印成功！若成功，请务必点击“是”，海关将自动进行归档；"
                 "若打印正本失败，请务必点击“否”，系统将不会进行自动归档，请在排除故障后及时在“打印异常申请”"
                 "功能进行重新打印，并确定打印结果。请注意：海关归档后证书数据才可在外方可被查询到，"
                 "查询不到将影响境外通关！")


def confirm_words(number: str) -> str:
    return CONFIRM_WORDS.format(number=number)


# --- what may be printed: coo.services.rules decides ----------------------------------------

def refusal(cert, kind, ctx=None) -> str:
    """Why `kind` may not be printed for `cert` now, in the user's words; '' when it may."""
    refused = rules.check(cert, ctx, rules.print_action(kind))
    return refused.message if refused else ""


# --- jobs -------------------------------------------------------------------------------------

@dataclass


class CreateResult:
    jobs: list = field(default_factory=list)
    errors: list = field(default_factory=list)


def create_jobs(view, ids: list[int], kind, who: str) -> CreateResult:
    """One job per selected certificate, all or none. Every id must be one the view may see
    (else LookupError → 404); every certificate must allow `kind` now."""
    certs = list(visible_certificates(view).where(Certificate.id.in_(ids)))
    if len(certs) != len(ids):
        raise LookupError("certificate not visible")
    certs.sort(key=lambda c: ids.index(c.id))
    result = CreateResult()
    ctx = rules.context(view, certs)
    result.errors = [reason for reason in (refusal(c, kind, ctx) for c in certs) if reason]
    if result.errors:
        return result
    # Two tabs pressing 打印正本 at once: the rules are asked again under the lock (the
    # certificates' rows on PostgreSQL, the write lock on SQLite), then the jobs inserted.
    with write_transaction():
        lock_rows(Certificate, *ids)
        fresh = list(Certificate.select().where(Certificate.id.in_(ids)))
        ctx = rules.context(view, fresh)
        result.errors = [reason for reason in (refusal(c, kind, ctx) for c in fresh) if reason]
        if result.errors:
            return result
        for cert in certs:
            result.jobs.append(PrintJob.create(certificate=cert, enterprise=view.own, kind=kind,
                                               requested_by=who))
    for job in result.jobs:
        audit.record("print_requested", job.certificate.number, f"{kind.label}（任务 {job.id}）")
    printwake.notify(redis(), view.own.id)
    return result


def take_next_job(control):
    """The oldest queued job of the control's enterprise, taken atomically (two controls of one
    enterprise never take the same job)."""
    sql = hot_sql("queued_jobs", lambda: PrintJob.select(PrintJob.id)
                   .where((PrintJob.enterprise == 0) & (PrintJob.status == enums.PrintJobStatus.QUEUED))
                   .order_by(PrintJob.id).limit(5))
    queued = [row[0] for row in database.execute_sql(
        sql, (control.enterprise_id, enums.PrintJobStatus.QUEUED.value, 5)).fetchall()]
    for job_id in queued:
        taken = (PrintJob.update(status=enums.PrintJobStatus.PRINTING, control=control, taken_at=utcnow())
                 .where((PrintJob.id == job_id) & (PrintJob.status == enums.PrintJobStatus.QUEUED))
                 .execute())
        if taken:
            return PrintJob.get_by_id(job_id)
    return None


def wait_for_job(control, wait_s: float):
    """Long-poll: a job as soon as one is queued, or None after `wait_s` seconds (at most
    PRINT_CONTROL_LONG_POLL_S). While it waits the request holds no database connection (it goes
    back to the pool) and no Redis connection of its own: the process's one listener
    (`printwake`) wakes it when `create_jobs` says a job of its enterprise is queued. The
    database stays the truth: every wake-up, and the end of the wait, looks there."""
    deadline = time.monotonic() + max(0.0, min(wait_s, current_app.config["PRINT_CONTROL_LONG_POLL_S"]))
    # Under gevent, nothing that may switch to another greenlet (registering, waiting) runs
    # while this request holds a pooled connection: the token check's goes back first.
    database.close()
    waker = printwake.waker(current_app.config["REDIS_URL"])
    event = waker.register(control.enterprise_id)
    try:
        while True:
            database.connect(reuse_if_open=True)
            job = take_next_job(control)
            remaining = deadline - time.monotonic()
            if job is not None or remaining <= 0:
                return job
            database.close()          # back to the pool while we sleep
            waker.wait(event, remaining)
    finally:
        waker.unregister(control.enterprise_id, event)


def job_payload(job) -> dict:
    return {
        "id": job.id, "number": job.certificate.number, "kind": job.kind.value,
        "documents": [{"part": part, "url": f"/api/printcontrol/v1/jobs/{job.id}/{part}.pdf"}
                      for part in PARTS[job.kind]],
    }


def job_document(control, job_id: int, part: str) -> str | None:
    """The storage key of the PDF of a job the control is printing now; None (→ 404) for
    anything else: another enterprise's job, another control's, a job not taken or already
    reported."""
    job = (PrintJob.select(PrintJob, Certificate).join(Certificate)
           .where((PrintJob.id == job_id) & (PrintJob.enterprise == control.enterprise_id)
                  & (PrintJob.control == control) & (PrintJob.status == enums.PrintJobStatus.PRINTING))
           .first())
    if job is None or part not in PARTS[job.kind]:
        return None
    relative = job.certificate.layout_original_path if part == "original" else job.certificate.layout_copy_path
    return relative or None


def report(control, job_id: int, ok: bool, message: str, printer: str):
    """成功 / 失败 from the control, once; a repeated report changes nothing. None → 404."""
    job = PrintJob.get_or_none((PrintJob.id == job_id) & (PrintJob.enterprise == control.enterprise_id)
                               & (PrintJob.control == control))
    if job is None:
        return None
    status = enums.PrintJobStatus.DONE if ok else enums.PrintJobStatus.FAILED
    with write_transaction():
        moved = (PrintJob.update(status=status, message=(message or "")[:2000], printer=(printer or "")[:200],
                                 finished_at=utcnow())
                 .where((PrintJob.id == job.id) & (PrintJob.status == enums.PrintJobStatus.PRINTING))
                 .execute())
        if moved and ok and job.kind in ORIGINAL_KINDS:
            original_sent(job.certificate_id)
    if moved:
        audit.record("print_reported", job.certificate.number,
                     f"任务 {job.id} {'成功' if ok else '失败'}：{message}"[:500],
                     enterprise=control.enterprise, actor="打印控件")
    return PrintJob.get_by_id(job.id)


STALE_TAKEN = ("打印控件在规定时间内未报告打印结果（可能已中断）。请检查打印机，如实确认证书是否已打印成功："
               "若正本未打印出，请点击“否”并在“打印异常申请”中申请重新打印。")
STALE_QUEUED = "打印控件未在规定时间内接收任务，任务已取消。请确认打印控件已启动后重新打印。"


def expire_stale_jobs() -> int:
    """Sweep step (`sweep.print_jobs`): a job no control took (none running) or that a control took and never reported
    (it crashed, the power went) must not block its certificate forever. A queued one ends as
    打印失败. A taken original was sent to the printer as far as anyone knows: it counts as
    printed (已打印) and waits for the user's 是/否 like any printed original; a taken copy fails."""
    now = utcnow()
    limit = datetime.timedelta(seconds=current_app.config["PRINT_JOB_TIMEOUT_S"])
    count = (PrintJob.update(status=enums.PrintJobStatus.FAILED, message=STALE_QUEUED, finished_at=now)
             .where((PrintJob.status == enums.PrintJobStatus.QUEUED) & (PrintJob.created_at < now - limit))
             .execute())
    stale = PrintJob.select(PrintJob.id, PrintJob.kind, PrintJob.certificate).where(
        (PrintJob.status == enums.PrintJobStatus.PRINTING) & (PrintJob.taken_at < now - limit))
    for job in list(stale):
        original = job.kind in ORIGINAL_KINDS
        with write_transaction():
            moved = (PrintJob.update(status=enums.PrintJobStatus.DONE if original else enums.PrintJobStatus.FAILED,
                                     message=STALE_TAKEN, finished_at=now)
                     .where((PrintJob.id == job.id) & (PrintJob.status == enums.PrintJobStatus.PRINTING))
                     .execute())
            if moved and original:
                original_sent(job.certificate_id)
        count += moved
    return count


def original_sent(certificate_id) -> bool:
    """The manual's print discipline, in the transaction that records the print: the first
    original sent to the printer makes 打印状态 已打印 whatever 是/否 says next (counted in
    `print_count`); a reprint that an accepted 打印异常申请 allowed is counted in
    `exception_reprints` too ("证书每次异常打印都会记录打印的次数"), uses the permission up and
    closes the application. Returns whether the certificate changed."""
    from coo.services.exceptions import note_reprint
    C = Certificate
    now = utcnow()
    if C.update(print_status=enums.PrintStatus.PRINTED, print_count=C.print_count + 1,
                exception_reprints=C.exception_reprints + 1, reprint_allowed=False, updated_at=now) \
            .where((C.id == certificate_id) & (C.reprint_allowed == True)).execute():  # noqa: E712
        note_reprint(certificate_id)
        return True
    return bool(C.update(print_status=enums.PrintStatus.PRINTED, print_count=C.print_count + 1, updated_at=now)
                .where((C.id == certificate_id) & (C.print_status == enums.PrintStatus.PENDING)).execute())


def job_for_view(view, job_id: int):
    """A job of the user's enterprise about a certificate the view may see, or None (→ 404)."""
    return (visible_certificates(view, PrintJob.select(PrintJob, Certificate).join(Certificate))
            .where((PrintJob.id == job_id) & (PrintJob.enterprise == view.own))
            .first())


def latest_jobs(view, cert_ids) -> dict:
    """The newest job per certificate, for the progress fragments."""
    jobs = {}
    query = (visible_certificates(view, PrintJob.select(PrintJob, Certificate).join(Certificate))
             .where(PrintJob.certificate.in_(list(cert_ids)) & (PrintJob.enterprise == view.own))
             .order_by(PrintJob.id))
    for job in query:
        jobs[job.certificate_id] = job
    return jobs


def confirm(view, job, ok: bool, who: str) -> bool:
    """是 / 否 for a printed original. Returns True when this request changed something.

    The certificate is already 已打印 (`original_sent`, when the original went to the printer).
    是: in one transaction the job is marked confirmed only if it still waits for an answer, and
    only then the archive exchange row is created; its job is enqueued once the transaction has
    committed. 否: the job is marked so, nothing is archived, and the original can be printed
    again only through 打印异常申请 (the rules refuse 打印正本 until an accepted application).
    A second answer — another tab, a double click, a retried request — changes nothing.
    """
    now = utcnow()
    exchange = None
    with write_transaction():
        answered = (PrintJob.update(status=enums.PrintJobStatus.CONFIRMED, confirmed_at=now, confirmed_ok=ok)
                    .where((PrintJob.id == job.id) & (PrintJob.status == enums.PrintJobStatus.DONE)
                           & PrintJob.confirmed_at.is_null() & PrintJob.kind.in_(ORIGINAL_KINDS))
                    .execute())
        if not answered:
            return False
        cert = Certificate.get_by_id(job.certificate_id)
        if ok and cert.archive_status == enums.ArchiveStatus.UNARCHIVED:
            exchange = archiving.create_archive_exchange(cert, printed_at=now.isoformat(timespec="seconds"),
                                               print_count=cert.print_count)
        audit.record("print_confirmed", job.certificate.number,
                     f"{who} 确认打印{'成功（是）' if ok else '失败（否）'}，任务 {job.id}")
    if exchange is not None:
        start(exchange)
    return True
