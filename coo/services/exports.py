"""导出 Excel: the current query of the 证书打印 list as .xlsx.

openpyxl in write-only mode (with lxml) writes rows as they are read; the rows are read in
keyset-ordered chunks, so memory stays flat for 100,000 rows on SQLite and PostgreSQL alike.
Up to EXPORT_SYNC_LIMIT rows the file is the response; more becomes an `ExportTask` row and an
RQ job (`jobs.exports.run_export`, queue `exports`) that records its progress in the row; the
file expires after EXPORT_TTL_S and the sweep deletes it (`expire`).
"""
import datetime
import io
import tempfile
import uuid
from dataclasses import dataclass
from itertools import chain, islice
from unicodedata import east_asian_width
from urllib.parse import parse_qs, urlencode

from flask import abort, current_app
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from peewee import Tuple
from werkzeug.datastructures import MultiDict

from coo import enums, storage
from coo.clock import to_local, utcnow
from coo.db import write_transaction
from coo.models import Certificate, CertificateType, Enterprise, ExportTask, database
from coo.queue import enqueue
from coo.services import certificates
from coo.services.access import View, active_grant
from coo.services.listquery import ListQuery, count_capped

XLSX_MIMETYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CHUNK = 5000


@dataclass(frozen=True)
class Column:
    header: str            # as on screen
    is_date: bool = False
    min_width: int = 0     # for content past the rows the widths are taken from


# The columns of the 证书展示区, in its order (序号 first).
COLUMNS = (
    Column("序号", min_width=6), Column("证书编号"), Column("发票号"), Column("申请人"), Column("出口商"),
    Column("证书类别"), Column("签发日期", is_date=True), Column("版式状态"), Column("归档状态"),
    Column("打印状态"),
)

# Column widths follow the content: the longest value of the first WIDTH_SAMPLE rows (and the
# header), in Excel's width unit (one Latin digit; a CJK character counts two), plus padding,
# at most MAX_WIDTH (序号 has room for six digits). A write-only sheet writes its widths before the first row, so the sample is
# held back until the widths are set; memory stays flat.
WIDTH_SAMPLE = 1000
MAX_WIDTH = 80
WIDTH_PADDING = 2
DATE_WIDTH = 10            # yyyy-mm-dd


def text_width(value) -> int:
    """Width of a cell's text in Excel's unit: CJK (and other wide) characters count two."""
    if value is None:
        return 0
    if isinstance(value, datetime.date):
        return DATE_WIDTH
    text = value if isinstance(value, str) else str(value)
    if text.isascii():
        return len(text)
    return sum(2 if east_asian_width(ch) in "WF" else 1 for ch in text)


def column_widths(rows) -> list[int]:
    """The width of each column for `rows` (tuples in COLUMNS' order) under its header."""
    widths = [max(text_width(c.header), c.min_width) for c in COLUMNS]
    for row in rows:
        for index, value in enumerate(row):
            width = text_width(value)
            if width > widths[index]:
                widths[index] = width
    return [min(w + WIDTH_PADDING, MAX_WIDTH) for w in widths]

EXPORT_FIELDS = (
    Certificate.id, Certificate.number, Certificate.invoice_number, Certificate.issue_date,
    Certificate.layout_status, Certificate.archive_status, Certificate.print_status,
    CertificateType.name_zh, certificates.Applicant.name_zh, certificates.Exporter.name_zh,
)

_LABELS = {
    "layout": {m.value: m.label for m in enums.LayoutStatus},
    "archive": {m.value: m.label for m in enums.ArchiveStatus},
    "print": {m.value: m.label for m in enums.PrintStatus},
}


def _as_date(value):
    """SQLite hands dates back as text; PostgreSQL as date."""
    if isinstance(value, str):
        return datetime.date.fromisoformat(value[:10])
    return value


def iter_rows(view: View, q: ListQuery, chunk: int = CHUNK):
    """The query's rows in the list's order, read in keyset chunks (flat memory)."""
    descending = q.descending
    base = q.filter(certificates.listed_certificates(view, certificates.rows_query(EXPORT_FIELDS)))
    last = None
    while True:
        query = base
        if last is not None:
            # A row-value comparison: both databases seek the list index to it, where the
            # equivalent OR made each chunk scan the exporter's rows from the start.
            key, after = Tuple(Certificate.issue_date, Certificate.id), Tuple(*last)
            query = query.where(key < after if descending else key > after)
        # Raw DB-API rows: the labels and dates are converted once below, not by the ORM.
        batch = database.execute_sql(*q.order(query).limit(chunk).sql()).fetchall()
        if not batch:
            return
        yield from batch
        last = (_as_date(batch[-1][3]), batch[-1][0])
        if len(batch) < chunk:
            return


# OWASP's formula-injection advice: a text cell starting with one of these is what Excel,
# LibreOffice or a later CSV save may run as a formula. Such text is written as a string cell.
FORMULA_START = frozenset("=+-@\t\r")


def _text(ws, value):
    """`value` as a text cell that no spreadsheet evaluates. Only a cell whose first character
    could start a formula pays for a cell object (openpyxl makes every str starting with "=" a
    formula; the others become strings already, and are kept so by the same rule)."""
    if value and value[0] in FORMULA_START:
        cell = WriteOnlyCell(ws, value=value)
        cell.data_type = "s"
        return cell
    return value


def write_xlsx(view: View, q: ListQuery, target, progress=None, every: int = 2000) -> int:
    """Write the query as .xlsx to `target` (a path or binary file); returns the row count.
    `progress(done)` is called every `every` rows."""
    wb = Workbook(write_only=True)
    ws = wb.create_sheet("证书打印")
    rows = _sheet_rows(view, q)
    sample = list(islice(rows, WIDTH_SAMPLE))
    for index, width in enumerate(column_widths(sample), start=1):
        ws.column_dimensions[get_column_letter(index)].width = width
    ws.freeze_panes = "A2"
    bold, fill = Font(bold=True), PatternFill("solid", fgColor="EEF2F7")
    header = []
    for column in COLUMNS:
        cell = WriteOnlyCell(ws, value=column.header)
        cell.font, cell.fill, cell.alignment = bold, fill, Alignment(horizontal="center")
        header.append(cell)
    ws.append(header)
    n = 0
    for n, number, invoice, applicant, exporter, type_name, issued, lay, arc, pri in chain(sample, rows):
        # Text that came from outside (customs' record, enterprise names) is written as text.
        ws.append((n, _text(ws, number), _text(ws, invoice), _text(ws, applicant), _text(ws, exporter),
                   _text(ws, type_name), issued, lay, arc, pri))
        if progress is not None and n % every == 0:
            progress(n)
    wb.save(target)
    return n


def _sheet_rows(view: View, q: ListQuery):
    """The query's rows as the sheet shows them, in COLUMNS' order (序号 counted from 1); dates as
    dates (openpyxl gives them the yyyy-mm-dd number format: a real date in Excel)."""
    layout, archive, printed = _LABELS["layout"], _LABELS["archive"], _LABELS["print"]
    for n, (ident, number, invoice, issued, lay, arc, pri, type_name, applicant, exporter) in enumerate(
            iter_rows(view, q), start=1):
        yield (n, number, invoice, applicant, exporter, type_name, _as_date(issued), layout[lay], archive[arc],
               printed[pri])


def filename(now=None) -> str:
    return f"证书打印_{to_local(now or utcnow()):%Y%m%d%H%M%S}.xlsx"


# --- Sync or background -----------------------------------------------------------------------

def count_for_export(view: View, q: ListQuery) -> int:
    """Rows of the query, counted up to EXPORT_SYNC_LIMIT + 1 (enough to choose the path)."""
    limit = current_app.config["EXPORT_SYNC_LIMIT"]
    return count_capped(q.filter(certificates.listed_certificates(
        view, Certificate.select(Certificate.id))), limit)


def export_now(view: View, q: ListQuery) -> io.BytesIO:
    """The .xlsx in memory (at most EXPORT_SYNC_LIMIT rows: a few hundred KiB)."""
    buffer = io.BytesIO()
    write_xlsx(view, q, buffer)
    buffer.seek(0)
    return buffer


def start(view: View, q: ListQuery, requested_by: str) -> ExportTask:
    """Record an ExportTask for the view and enqueue its job."""
    args = q.args(page=None)
    task = ExportTask.create(
        job_id=f"export-{uuid.uuid4().hex}", enterprise=view.own.id,
        principal=view.principal.id if view.is_agent_view else None,
        requested_by=requested_by, query=urlencode(args), updated_at=utcnow())
    enqueue_task(task)
    return task


def enqueue_task(task: ExportTask):
    return enqueue("jobs.exports.run_export", task.id, job_id=task.job_id, queue_name="exports",
                   job_timeout=1800)


def task_or_404(view: View, task_id: int) -> ExportTask:
    """An export of this very view (own enterprise and, for an agent, the same 委托企业)."""
    principal = view.principal.id if view.is_agent_view else None
    task = ExportTask.get_or_none(
        (ExportTask.id == task_id) & (ExportTask.enterprise == view.own.id)
        & ((ExportTask.principal == principal) if principal else ExportTask.principal.is_null()))
    if task is None:
        abort(404)
    return task


def file_of(task: ExportTask) -> str:
    """The storage key of a finished export's file (404 unless 导出完成). The file itself may
    be gone (swept): reading it raises storage.NotFound."""
    if task.status != enums.ExportStatus.COMPLETE or not task.file_path:
        abort(404)
    return task.file_path


# --- The job's work ---------------------------------------------------------------------------

def view_of(task: ExportTask) -> View | None:
    """The view the task was asked in, rebuilt; None when an agent's authorisation ended."""
    own = Enterprise.get_by_id(task.enterprise_id)
    if task.principal_id is None:
        return View(own=own)
    grant = active_grant(task.principal_id, own)
    if grant is None:
        return None
    return View(own=own, principal=grant.principal, grant=grant)


def run(task_id: int) -> str:
    """Do the export of one task: from 等待导出/正在导出 (a retried job starts over) to 导出完成."""
    task = ExportTask.get_or_none(ExportTask.id == task_id)
    if task is None or task.status not in (enums.ExportStatus.WAITING, enums.ExportStatus.RUNNING):
        return "skipped"
    view = view_of(task)
    if view is None:
        _update(task_id, status=enums.ExportStatus.FAILED, message="代理打印授权已撤销，无法导出。")
        return "failed"
    q = certificates.parse(MultiDict(parse_qs(task.query)))
    total = count_capped(q.filter(certificates.listed_certificates(
        view, Certificate.select(Certificate.id))), 10_000_000)
    _update(task_id, status=enums.ExportStatus.RUNNING, total=total, done=0)
    relative = f"exports/{task.job_id}.xlsx"
    # Written to a local temporary file (openpyxl needs one), then streamed into the storage:
    # every host, not only this worker's, can serve it.
    with tempfile.TemporaryFile(prefix="coo-export-", suffix=".xlsx") as tmp:
        done = write_xlsx(view, q, tmp, progress=lambda n: _update(task_id, done=n),
                          every=current_app.config["EXPORT_PROGRESS_EVERY"])
        tmp.seek(0)
        storage.put_file(relative, tmp)
    now = utcnow()
    _update(task_id, status=enums.ExportStatus.COMPLETE, done=done, total=done,
            file_path=relative,
            expires_at=now + datetime.timedelta(seconds=current_app.config["EXPORT_TTL_S"]))
    return "complete"


def _update(task_id, **values):
    values["updated_at"] = utcnow()
    with write_transaction():
        ExportTask.update(**values).where(ExportTask.id == task_id).execute()


# --- The sweep --------------------------------------------------------------------------------

def expire(now=None) -> int:
    """Delete the files of finished exports past their expiry; the row says 已过期."""
    now = now or utcnow()
    count = 0
    for task in ExportTask.select().where((ExportTask.status == enums.ExportStatus.COMPLETE)
                                          & (ExportTask.expires_at <= now)):
        if task.file_path:
            try:
                storage.delete(task.file_path)
            except ValueError:       # not a storage key: nothing of ours to delete
                pass
        ExportTask.update(status=enums.ExportStatus.EXPIRED, file_path="", updated_at=now).where(
            (ExportTask.id == task.id) & (ExportTask.status == enums.ExportStatus.COMPLETE)).execute()
        count += 1
    return count


def restart_stale(stale_before) -> int:
    """Exports still 等待导出/正在导出 whose row has not moved: enqueue again (a no-op if live)."""
    count = 0
    for task in ExportTask.select().where(
            ExportTask.status.in_([enums.ExportStatus.WAITING, enums.ExportStatus.RUNNING])
            & (ExportTask.updated_at < stale_before)):
        if enqueue_task(task) is not None:
            count += 1
    return count
