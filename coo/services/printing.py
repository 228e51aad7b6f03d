"""Printing through the print control (打印控件): pairing, control status, print jobs, the 是/否
confirmation, and the archive receipt.

The rules, one place each:
- a control belongs to the enterprise of the user who paired it (an agent prints on its own PC);
  its token is stored as a digest and can be revoked on the 打印控件 page;
- a print button first asks `control_status`: 未安装 / 未启动 / 版本过低 stop it with the manual's hint;
- `create_jobs` re-checks every certificate against what the view may see and what it may print;
- originals leave the server only to the control holding the job (`job_document`), never to a browser;
- 是 (`confirm`) moves 打印状态 to 已打印, counts the print and opens the archive exchange in one
  conditional UPDATE, so two tabs, a double click or a retried request archive once.
"""
import datetime
import functools
import io
import json
import secrets
import time
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

from flask import current_app
from coo import enums
from coo.clock import utcnow
from coo.customs import HANDLERS
from coo.db import lock_rows, write_transaction
from coo.models import (
    Authorisation, Certificate, CustomsExchange, Enterprise, PrintControl, PrintJob,
)
from coo.queue import redis
from coo.security import new_token, token_digest
from coo.services import audit, sweep
from coo.services.access import visible_certificates

HANDLERS[enums.ExchangeKind.ARCHIVE.value] = "coo.services.printing.apply_archive_receipt"

ORIGINAL_KINDS = (enums.PrintKind.ORIGINAL_AND_COPY, enums.PrintKind.ORIGINAL)
PARTS = {
    enums.PrintKind.ORIGINAL_AND_COPY: ("original", "copy"),
    enums.PrintKind.ORIGINAL: ("original",),
    enums.PrintKind.COPY: ("copy",),
}
UNFINISHED = (enums.PrintJobStatus.QUEUED, enums.PrintJobStatus.PRINTING)
PAIRING_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"

# The manual's hints (4.4: 未安装、版本过低或未启动打印控件会给出提示).
HINTS = {
    enums.PrintControlState.NOT_INSTALLED:
        "本企业尚未安装打印控件（未安装）。请点击“执行安装”下载并安装打印控件，与本企业配对后根据提示刷新界面或重新登录。",
    enums.PrintControlState.NOT_RUNNING:
        "打印控件未启动。如已安装打印控件，请在桌面双击打印控件快捷方式重新启动打印控件；如未安装，请点击“执行安装”。",
    enums.PrintControlState.OUTDATED:
        "打印控件版本过低，请点击“执行安装”下载最新版本的打印控件。",
}

CONFIRM_WORDS = ("请如实确认证书（{number}）是否已打印成功！若成功，请务必点击“是”，海关将自动进行归档；"
                 "若打印正本失败，请务必点击“否”，系统将不会进行自动归档，请在排除故障后及时在“打印异常申请”"
                 "功能进行重新打印，并确定打印结果。请注意：海关归档后证书数据才可在外方可被查询到，"
                 "查询不到将影响境外通关！")


def confirm_words(number: str) -> str:
    return CONFIRM_WORDS.format(number=number)


# --- versions and control status --------------------------------------------------------------

def parse_version(text: str) -> tuple:
    parts = []
    for piece in (text or "").strip().split("."):
        digits = "".join(ch for ch in piece if ch.isdigit())
        parts.append(int(digits) if digits else 0)
    return tuple(parts) or (0,)


def is_outdated(version: str) -> bool:
    return parse_version(version) < parse_version(current_app.config["PRINT_CONTROL_MIN_VERSION"])


@dataclass
class ControlStatus:
    state: enums.PrintControlState
    control: PrintControl | None = None
    min_version: str = ""

    @property
    def ready(self):
        return self.state == enums.PrintControlState.READY

    @property
    def hint(self):
        return HINTS.get(self.state, "")


def paired_controls(enterprise):
    return (PrintControl.select()
            .where((PrintControl.enterprise == enterprise) & PrintControl.token_hash.is_null(False)
                   & PrintControl.revoked_at.is_null())
            .order_by(PrintControl.last_heartbeat_at.desc(nulls="LAST"), PrintControl.id.desc()))


def control_status(enterprise) -> ControlStatus:
    """未安装 = never paired (or every pairing revoked); 未启动 = no heartbeat for
    PRINT_CONTROL_HEARTBEAT_S; 版本过低 = the running control is below PRINT_CONTROL_MIN_VERSION."""
    min_version = current_app.config["PRINT_CONTROL_MIN_VERSION"]
    controls = list(paired_controls(enterprise))
    if not controls:
        return ControlStatus(enums.PrintControlState.NOT_INSTALLED, None, min_version)
    fresh_after = utcnow().timestamp() - current_app.config["PRINT_CONTROL_HEARTBEAT_S"]
    running = [c for c in controls
               if c.last_heartbeat_at is not None and _ts(c.last_heartbeat_at) >= fresh_after]
    if not running:
        return ControlStatus(enums.PrintControlState.NOT_RUNNING, controls[0], min_version)
    current = [c for c in running if not is_outdated(c.version)]
    if not current:
        return ControlStatus(enums.PrintControlState.OUTDATED, running[0], min_version)
    return ControlStatus(enums.PrintControlState.READY, current[0], min_version)


def _ts(naive_utc):
    return naive_utc.replace(tzinfo=datetime.timezone.utc).timestamp()


# --- pairing ----------------------------------------------------------------------------------

def new_pairing_code(enterprise, who: str) -> str:
    """A one-time code for the 打印控件 page; only its digest is stored."""
    code = "".join(secrets.choice(PAIRING_ALPHABET) for _ in range(10))
    code = f"{code[:5]}-{code[5:]}"
    PrintControl.create(
        enterprise=enterprise, created_by=who, pairing_code_hash=token_digest(code),
        pairing_expires_at=utcnow() + datetime.timedelta(seconds=current_app.config["PAIRING_CODE_TTL_S"]))
    audit.record("printcontrol_pairing_code", enterprise.name_zh, "生成打印控件配对码")
    return code


def normalise_code(code: str) -> str:
    code = "".join(ch for ch in (code or "").upper() if ch.isalnum())
    return f"{code[:5]}-{code[5:]}" if len(code) == 10 else code


def pair(code: str, name: str, version: str):
    """Exchange a pairing code for a token (once). Returns (control, token) or (None, None)."""
    digest = token_digest(normalise_code(code))
    token = new_token()
    now = utcnow()
    with write_transaction():
        taken = (PrintControl.update(token_hash=token_digest(token), pairing_code_hash=None,
                                     paired_at=now, name=(name or "")[:100], version=(version or "")[:32])
                 .where((PrintControl.pairing_code_hash == digest) & (PrintControl.pairing_expires_at > now)
                        & PrintControl.token_hash.is_null() & PrintControl.revoked_at.is_null())
                 .execute())
        if not taken:
            return None, None
        control = PrintControl.get(PrintControl.token_hash == token_digest(token))
    audit.record("printcontrol_paired", control.name, f"打印控件已配对，版本 {control.version}",
                 enterprise=control.enterprise, actor="打印控件")
    return control, token


def control_for_token(token: str):
    if not token:
        return None
    return (PrintControl.select(PrintControl, Enterprise).join(Enterprise)
            .where((PrintControl.token_hash == token_digest(token)) & PrintControl.revoked_at.is_null())
            .first())


def revoke(enterprise, control_id: int, who: str) -> bool:
    done = (PrintControl.update(revoked_at=utcnow())
            .where((PrintControl.id == control_id) & (PrintControl.enterprise == enterprise)
                   & PrintControl.revoked_at.is_null())
            .execute())
    if done:
        audit.record("printcontrol_revoked", str(control_id), f"{who} 撤销打印控件")
    return bool(done)


def heartbeat(control, version: str, printers) -> dict:
    printers = [str(p)[:200] for p in (printers or [])][:50]
    (PrintControl.update(version=(version or "")[:32], printers=json.dumps(printers, ensure_ascii=False),
                         last_heartbeat_at=utcnow())
     .where(PrintControl.id == control.id).execute())
    return {"min_version": current_app.config["PRINT_CONTROL_MIN_VERSION"], "outdated": is_outdated(version)}


# --- what may be printed ----------------------------------------------------------------------

def _allows(cert, kind) -> bool:
    """The list page's rule (`coo.services.certificates.allowed_actions`), re-checked here."""
    try:
        from coo.services.certificates import allowed_actions
    except ImportError:
        return kind.value in _self_print_actions(cert)
    return allowed_actions(cert).allows(kind)


def _self_print_actions(cert) -> set:
    """SPEC section 3, for as long as the 证书打印 list's rule module is not there."""
    if (not cert.cert_type.self_print or cert.archive_status != enums.ArchiveStatus.UNARCHIVED
            or cert.layout_status != enums.LayoutStatus.RECEIVED):
        return set()
    granted = Authorisation.latest_success(cert.exporter)
    if granted is None or cert.approved_at < granted.receipt_at:
        return set()
    actions = {enums.PrintKind.COPY.value}
    if cert.print_status == enums.PrintStatus.PENDING or cert.reprint_allowed:
        actions |= {enums.PrintKind.ORIGINAL.value, enums.PrintKind.ORIGINAL_AND_COPY.value}
    return actions


def refusal(cert, kind) -> str:
    """Why `kind` may not be printed for `cert`, in the user's words; '' when it may."""
    if _allows(cert, kind):
        if kind in ORIGINAL_KINDS and not cert.layout_original_path:
            return f"证书{cert.number}的正本版式尚未接收成功，暂不能打印。"
        if not cert.layout_copy_path and kind != enums.PrintKind.ORIGINAL:
            return f"证书{cert.number}的副本版式尚未接收成功，暂不能打印。"
        return ""
    if cert.archive_status == enums.ArchiveStatus.ARCHIVED:
        return f"证书{cert.number}已归档，不可打印。"
    if cert.layout_status != enums.LayoutStatus.RECEIVED:
        return f"证书{cert.number}的版式状态为“{cert.layout_status.label}”，接收成功后才能打印。"
    if kind in ORIGINAL_KINDS and cert.print_status == enums.PrintStatus.PRINTED:
        return f"证书{cert.number}的正本已打印；如需重新打印正本，请通过“打印异常申请”申请。"
    return f"证书{cert.number}不能自助{kind.label}。"


# --- jobs -------------------------------------------------------------------------------------

def _wake_key(enterprise_id) -> str:
    return f"printcontrol:wake:{enterprise_id}"


def open_jobs(cert_ids):
    """Jobs still in flight, or printed originals waiting for 是/否."""
    return (PrintJob.select()
            .where(PrintJob.certificate.in_(list(cert_ids))
                   & (PrintJob.status.in_(UNFINISHED)
                      | ((PrintJob.status == enums.PrintJobStatus.DONE) & PrintJob.kind.in_(ORIGINAL_KINDS)
                         & PrintJob.confirmed_at.is_null()))))


def open_job_states(cert_ids) -> dict[int, enums.PrintJobStatus]:
    """For the 证书打印 list: certificate id -> status of its job in flight (排队/打印中) or of
    its printed original waiting for 是/否. One query for a page."""
    query = open_jobs(cert_ids).select(PrintJob.certificate, PrintJob.status).order_by(PrintJob.id)
    return {job.certificate_id: job.status for job in query}


@dataclass
class CreateResult:
    jobs: list = field(default_factory=list)
    errors: list = field(default_factory=list)


def parse_ids(values) -> list[int] | None:
    ids = []
    for value in values:
        value = (value or "").strip()
        if not value.isdigit():
            return None
        if int(value) not in ids:
            ids.append(int(value))
    return ids


def create_jobs(view, ids: list[int], kind, who: str) -> CreateResult:
    """One job per selected certificate, all or none. Every id must be one the view may see
    (else LookupError → 404); every certificate must allow `kind` now."""
    certs = list(visible_certificates(view).where(Certificate.id.in_(ids)))
    if len(certs) != len(ids):
        raise LookupError("certificate not visible")
    certs.sort(key=lambda c: ids.index(c.id))
    result = CreateResult()
    result.errors = [reason for reason in (refusal(c, kind) for c in certs) if reason]
    if result.errors:
        return result
    # Two tabs pressing 打印正本 at once: the check for a job in flight and the insert happen
    # under a lock (the certificates' rows on PostgreSQL, the write lock on SQLite).
    with write_transaction():
        lock_rows(Certificate, *ids)
        busy = {job.certificate_id for job in open_jobs(ids)}
        result.errors = [f"证书{c.number}有未完成的打印任务，请等待打印完成并确认打印结果。"
                         for c in certs if c.id in busy]
        if result.errors:
            return result
        for cert in certs:
            result.jobs.append(PrintJob.create(certificate=cert, enterprise=view.own, kind=kind,
                                               requested_by=who))
    for job in result.jobs:
        audit.record("print_requested", job.certificate.number, f"{kind.label}（任务 {job.id}）")
    key = _wake_key(view.own.id)
    redis().pipeline().lpush(key, "1").expire(key, 60).execute()
    return result


def take_next_job(control):
    """The oldest queued job of the control's enterprise, taken atomically (two controls of one
    enterprise never take the same job)."""
    for job in (PrintJob.select()
                .where((PrintJob.enterprise == control.enterprise_id)
                       & (PrintJob.status == enums.PrintJobStatus.QUEUED))
                .order_by(PrintJob.id).limit(5)):
        taken = (PrintJob.update(status=enums.PrintJobStatus.PRINTING, control=control, taken_at=utcnow())
                 .where((PrintJob.id == job.id) & (PrintJob.status == enums.PrintJobStatus.QUEUED))
                 .execute())
        if taken:
            return PrintJob.get_by_id(job.id)
    return None


def wait_for_job(control, wait_s: float):
    """Long-poll: a job as soon as one is queued, or None after `wait_s` seconds. The page wakes
    the waiting request through a Redis list; the database stays the truth."""
    deadline = time.monotonic() + max(0.0, min(wait_s, current_app.config["PRINT_CONTROL_LONG_POLL_S"]))
    while True:
        job = take_next_job(control)
        remaining = deadline - time.monotonic()
        if job is not None or remaining <= 0:
            return job
        redis().blpop([_wake_key(control.enterprise_id)], timeout=max(0.1, min(remaining, 5.0)))


def job_payload(job) -> dict:
    return {
        "id": job.id, "number": job.certificate.number, "kind": job.kind.value,
        "documents": [{"part": part, "url": f"/api/printcontrol/v1/jobs/{job.id}/{part}.pdf"}
                      for part in PARTS[job.kind]],
    }


def job_document(control, job_id: int, part: str) -> Path | None:
    """The PDF of a job the control is printing now; None (→ 404) for anything else: another
    enterprise's job, another control's, a job not taken or already reported."""
    job = (PrintJob.select(PrintJob, Certificate).join(Certificate)
           .where((PrintJob.id == job_id) & (PrintJob.enterprise == control.enterprise_id)
                  & (PrintJob.control == control) & (PrintJob.status == enums.PrintJobStatus.PRINTING))
           .first())
    if job is None or part not in PARTS[job.kind]:
        return None
    from coo import storage
    relative = job.certificate.layout_original_path if part == "original" else job.certificate.layout_copy_path
    if not relative:
        return None
    path = storage.path(relative)
    return path if path.exists() else None


def report(control, job_id: int, ok: bool, message: str, printer: str):
    """成功 / 失败 from the control, once; a repeated report changes nothing. None → 404."""
    job = PrintJob.get_or_none((PrintJob.id == job_id) & (PrintJob.enterprise == control.enterprise_id)
                               & (PrintJob.control == control))
    if job is None:
        return None
    status = enums.PrintJobStatus.DONE if ok else enums.PrintJobStatus.FAILED
    moved = (PrintJob.update(status=status, message=(message or "")[:2000], printer=(printer or "")[:200],
                             finished_at=utcnow())
             .where((PrintJob.id == job.id) & (PrintJob.status == enums.PrintJobStatus.PRINTING))
             .execute())
    if moved:
        audit.record("print_reported", job.certificate.number,
                     f"任务 {job.id} {'成功' if ok else '失败'}：{message}"[:500],
                     enterprise=control.enterprise, actor="打印控件")
    return PrintJob.get_by_id(job.id)


STALE_TAKEN = "打印控件在规定时间内未报告打印结果（可能已中断）。请检查打印机：如正本已打印出，请勿重复打印。"
STALE_QUEUED = "打印控件未在规定时间内接收任务，任务已取消。请确认打印控件已启动后重新打印。"


def expire_stale_jobs() -> int:
    """Sweep step: a job no control took (none running) or that a control took and never reported
    (it crashed) must not block its certificate forever. Both end as 打印失败 with a message."""
    now = utcnow()
    limit = datetime.timedelta(seconds=current_app.config["PRINT_JOB_TIMEOUT_S"])
    count = 0
    for status, since, message in ((enums.PrintJobStatus.QUEUED, PrintJob.created_at, STALE_QUEUED),
                                   (enums.PrintJobStatus.PRINTING, PrintJob.taken_at, STALE_TAKEN)):
        count += (PrintJob.update(status=enums.PrintJobStatus.FAILED, message=message, finished_at=now)
                  .where((PrintJob.status == status) & (since < now - limit))
                  .execute())
    return count


if expire_stale_jobs not in sweep.STEPS:
    sweep.STEPS.append(expire_stale_jobs)


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


def needs_confirmation(job) -> bool:
    return (job.status == enums.PrintJobStatus.DONE and job.kind in ORIGINAL_KINDS
            and job.confirmed_at is None)


def confirm(view, job, ok: bool, who: str) -> bool:
    """是 / 否 for a printed original. Returns True when this request changed something.

    是: in one transaction the job is marked confirmed only if it still waits for an answer, and
    only then the certificate becomes 已打印 (counted, reprint permission used up) and the archive
    exchange row is created; its job is enqueued once the transaction has committed. A second
    是 — another tab, a double click, a retried request — finds the job already confirmed and
    changes nothing.
    """
    from coo.services.exceptions import note_reprint
    from coo.services.exchanges import start
    now = utcnow()
    exchange = None
    with write_transaction():
        answered = (PrintJob.update(status=enums.PrintJobStatus.CONFIRMED, confirmed_at=now, confirmed_ok=ok)
                    .where((PrintJob.id == job.id) & (PrintJob.status == enums.PrintJobStatus.DONE)
                           & PrintJob.confirmed_at.is_null() & PrintJob.kind.in_(ORIGINAL_KINDS))
                    .execute())
        if not answered:
            return False
        if ok:
            printed = (Certificate.update(print_status=enums.PrintStatus.PRINTED,
                                          print_count=Certificate.print_count + 1,
                                          reprint_allowed=False, updated_at=now)
                       .where((Certificate.id == job.certificate_id)
                              & (Certificate.archive_status == enums.ArchiveStatus.UNARCHIVED)
                              & ((Certificate.print_status == enums.PrintStatus.PENDING)
                                 | (Certificate.reprint_allowed == True)))  # noqa: E712
                       .execute())
            cert = Certificate.get_by_id(job.certificate_id)
            if printed:
                note_reprint(cert.id)          # a reprint under an accepted 打印异常申请 is counted
                exchange = create_archive_exchange(cert, printed_at=now.isoformat(timespec="seconds"),
                                                   print_count=cert.print_count)
        audit.record("print_confirmed", job.certificate.number,
                     f"{who} 确认打印{'成功（是）' if ok else '失败（否）'}，任务 {job.id}")
    if exchange is not None:
        start(exchange)
    return True


def create_archive_exchange(cert, **facts):
    """The archive request for a printed (是) or downloaded (证书下载 → 下载正本) certificate, in the
    caller's transaction; None when one is already open or done. The caller `start()`s the
    returned exchange after its transaction has committed."""
    from coo.services.exchanges import create_exchange
    if _archive_open(cert.id):
        return None
    return create_exchange(enums.ExchangeKind.ARCHIVE, cert.id, {
        "certificate_number": cert.number, "exporter_customs_code": cert.exporter.customs_code, **facts})


def _archive_open(cert_id) -> bool:
    return (CustomsExchange.select()
            .where((CustomsExchange.kind == enums.ExchangeKind.ARCHIVE) & (CustomsExchange.subject_id == cert_id)
                   & CustomsExchange.status.in_([enums.ExchangeStatus.PENDING, enums.ExchangeStatus.SENT,
                                                 enums.ExchangeStatus.DONE]))
            .exists())


def apply_archive_receipt(exchange, receipt):
    """HANDLERS["archive"]: customs has answered the archive request. 已归档 publishes the
    certificate to the verification portal; a refusal leaves it 未归档 (recorded)."""
    cert = Certificate.get_or_none(Certificate.id == exchange.subject_id)
    if cert is None:
        return
    if not receipt.ok:
        audit.record("archive_refused", cert.number, receipt.message, enterprise=cert.exporter, actor="海关")
        return
    now = utcnow()
    archived = (Certificate.update(archive_status=enums.ArchiveStatus.ARCHIVED, archived_at=receipt.at or now,
                                   verification_published_at=now, updated_at=now)
                .where((Certificate.id == cert.id) & (Certificate.archive_status == enums.ArchiveStatus.UNARCHIVED))
                .execute())
    if archived:
        audit.record("archived", cert.number, "海关已归档，已发布至出口原产地证书核查系统",
                     enterprise=cert.exporter, actor="海关")


# --- the downloadable control -----------------------------------------------------------------

ZIPAPP_NAME = "coo-printcontrol.pyz"
_ZIP_DATE = (2026, 1, 1, 0, 0, 0)


@functools.lru_cache(maxsize=8)
def control_zipapp(server: str) -> bytes:
    """The print control as one file that needs only Python 3 (a zipapp), carrying the
    server's address. Built from the package on first request, then cached."""
    import coo.printcontrol as package
    source = Path(package.__file__).parent
    buffer = io.BytesIO()
    buffer.write(b"#!/usr/bin/env python3\n")
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        def add(name, data):
            info = zipfile.ZipInfo(name, date_time=_ZIP_DATE)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            archive.writestr(info, data)
        add("__main__.py", "import sys\nfrom coo.printcontrol.cli import main\nsys.exit(main())\n")
        add("coo/__init__.py", '"""coo print control (zipapp)."""\n')
        for path in sorted(source.glob("*.py")):
            add(f"coo/printcontrol/{path.name}", path.read_bytes())
        add("coo/printcontrol/defaults.json", json.dumps({"server": server.rstrip("/")}))
    return buffer.getvalue()


def controls_for_page(enterprise):
    query = (PrintControl.select()
             .where((PrintControl.enterprise == enterprise) & PrintControl.token_hash.is_null(False))
             .order_by(PrintControl.revoked_at.is_null(False), PrintControl.id.desc()))
    rows = []
    for control in query:
        try:
            printers = json.loads(control.printers or "[]")
        except ValueError:
            printers = []
        rows.append((control, printers))
    return rows

