"""导出 (manual 4.2): the current query as .xlsx, opened back and compared with the list; large
exports run on a real worker with a progress fragment and end with a file that expires; only the
view that asked can fetch it."""
import datetime
import io
import re
import unicodedata

import pytest
from openpyxl import load_workbook

from coo import enums
from coo.models import AgentAuthorisation, Certificate, ExportTask
from coo.services import sweep

from certdata import HUADONG, TONGDA, YUANYANG, authorise, enterprise, listed_for

HEADERS = ["序号", "证书编号", "发票号", "申请人", "出口商", "证书类别", "签发日期", "版式状态", "归档状态", "打印状态"]


@pytest.fixture
def authorised(unauthorised_demo):
    return {name: authorise(enterprise(name)) for name in (HUADONG, YUANYANG)}


def export(actions, data):
    return actions.post("/certificates/export", data=data, token_from="/certificates/")


def fetch(client, url):
    """GET a file download and close the response (it holds the file open)."""
    response = client.get(url)
    response.get_data()
    response.close()
    return response


def sheet_rows(body):
    wb = load_workbook(io.BytesIO(body))
    ws = wb.active
    return ws, [list(r) for r in ws.iter_rows(values_only=True)]


def test_export_is_the_current_query_as_xlsx(client, operator, authorised):
    huadong = enterprise(HUADONG)
    every_other = [c.id for c in Certificate.select(Certificate.id)][::2]
    Certificate.update(print_status=enums.PrintStatus.PRINTED).where(Certificate.id.in_(every_other)).execute()
    expected = [c for c in listed_for(huadong, authorised[HUADONG].receipt_at)
                if c.print_status == enums.PrintStatus.PENDING]
    response = export(operator, {"print": "pending"})
    assert response.status_code == 200
    assert response.mimetype == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    assert "attachment" in response.headers["Content-Disposition"]
    assert ".xlsx" in response.headers["Content-Disposition"]
    ws, rows = sheet_rows(response.get_data())
    assert rows[0] == HEADERS
    assert [r[1] for r in rows[1:]] == [c.number for c in expected]
    first = expected[0]
    assert rows[1] == [1, first.number, first.invoice_number, first.applicant.name_zh, "浙江华东进出口有限公司",
                       first.cert_type.name_zh, datetime.datetime.combine(first.issue_date, datetime.time()),
                       "海关端生成", "未归档", "待打印"]
    assert ws.freeze_panes == "A2"
    assert ws["G2"].is_date and ws["G2"].number_format == "yyyy-mm-dd"
    assert_widths_cover_the_content(ws)


def display_width(value) -> int:
    """What a cell's text needs in Excel's width unit (one Latin digit; CJK characters two)."""
    if isinstance(value, (datetime.date, datetime.datetime)):
        return 10
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in str(value or ""))


def assert_widths_cover_the_content(ws):
    from openpyxl.utils import get_column_letter
    for index, column in enumerate(ws.iter_cols(values_only=True), start=1):
        letter = get_column_letter(index)
        needed = max(display_width(v) for v in column)
        width = ws.column_dimensions[letter].width
        assert needed <= width <= needed + 4, (letter, column[0], needed, width)


def test_column_widths_follow_the_longest_text(client, operator, authorised):
    """证书类别 holds names of 30 CJK characters and 发票号 numbers longer than the old fixed widths
    (40 and 18 characters): the columns are as wide as their longest value, CJK counting double."""
    listed = listed_for(enterprise(HUADONG), authorised[HUADONG].receipt_at)
    long_invoice = "INV-2026-11-0000123456/A-0000123457"
    Certificate.update(invoice_number=long_invoice).where(Certificate.id == listed[-1].id).execute()
    ws, rows = sheet_rows(export(operator, {}).get_data())
    assert long_invoice in [r[2] for r in rows]
    assert_widths_cover_the_content(ws)
    types = [r[5] for r in rows[1:]]
    longest = max(types, key=display_width)
    assert display_width(longest) > 40 and ws.column_dimensions["F"].width >= display_width(longest)
    assert ws.column_dimensions["C"].width >= len(long_invoice) > 18


def test_export_follows_the_sort(client, operator, authorised):
    listed = listed_for(enterprise(HUADONG), authorised[HUADONG].receipt_at)
    _, rows = sheet_rows(export(operator, {"sort": "issue_date"}).get_data())
    assert [r[1] for r in rows[1:]] == [c.number for c in sorted(listed, key=lambda c: (c.issue_date, c.id))]


def test_export_of_a_bad_query_is_422_and_writes_nothing(client, operator, authorised):
    response = export(operator, {"issued_from": "2026-02-30"})
    assert response.status_code == 422 and "不是有效日期" in response.get_data(as_text=True)
    assert ExportTask.select().count() == 0


def test_agent_export_contains_only_its_view(client, agent, authorised):
    huadong, tongda = enterprise(HUADONG), enterprise(TONGDA)
    with client.session_transaction() as session:
        session["acting_for"] = huadong.id
    grant = AgentAuthorisation.get(AgentAuthorisation.agent == tongda)
    expected = [c.number for c in listed_for(huadong, authorised[HUADONG].receipt_at)
                if c.applicant_id == tongda.id and c.approved_at >= grant.granted_at]
    _, rows = sheet_rows(export(agent, {}).get_data())
    assert [r[1] for r in rows[1:]] == expected and expected


@pytest.fixture
def small_sync_limit(app):
    before = (app.config["EXPORT_SYNC_LIMIT"], app.config["EXPORT_PROGRESS_EVERY"])
    app.config.update(EXPORT_SYNC_LIMIT=5, EXPORT_PROGRESS_EVERY=3)
    yield
    app.config.update(EXPORT_SYNC_LIMIT=before[0], EXPORT_PROGRESS_EVERY=before[1])


def _task_url(response):
    assert response.status_code == 303
    match = re.search(r"/certificates/exports/(\d+)$", response.headers["Location"])
    assert match, response.headers["Location"]
    return response.headers["Location"], int(match.group(1))


def test_a_large_export_runs_on_a_worker_with_progress_and_ends_with_a_file(
        client, operator, authorised, small_sync_limit, worker):
    listed = listed_for(enterprise(HUADONG), authorised[HUADONG].receipt_at)
    url, task_id = _task_url(export(operator, {}))
    waiting = client.get(url).get_data(as_text=True)
    assert "等待导出" in waiting and "<progress" in waiting and "刷新" in waiting
    assert 'hx-trigger="load delay:500ms"' in waiting and "http-equiv" not in waiting
    fragment = client.get(url, headers={"HX-Request": "true"}).get_data(as_text=True)
    assert "<html" not in fragment and f'id="export-{task_id}"' in fragment

    result = worker.subprocess_burst(queues=("exports",))
    assert result.returncode == 0, result.stderr
    done = client.get(url, headers={"HX-Request": "true"}).get_data(as_text=True)
    assert "导出完成" in done and "hx-trigger" not in done
    assert f"共导出 {len(listed)} 条证书" in done
    link = re.search(r'href="(/certificates/exports/\d+/file)"', done).group(1)
    response = fetch(client, link)
    assert response.status_code == 200 and "attachment" in response.headers["Content-Disposition"]
    _, rows = sheet_rows(response.get_data())
    assert [r[1] for r in rows[1:]] == [c.number for c in listed]
    task = ExportTask.get_by_id(task_id)
    assert task.done == task.total == len(listed) and task.expires_at > task.updated_at


def test_progress_of_a_running_export_is_shown_and_repolled(client, operator, authorised, small_sync_limit):
    url, task_id = _task_url(export(operator, {}))
    ExportTask.update(status=enums.ExportStatus.RUNNING, total=10, done=3).where(ExportTask.id == task_id).execute()
    html = client.get(url, headers={"HX-Request": "true"}).get_data(as_text=True)
    assert "正在导出" in html and 'value="3" max="10"' in html and "3 / 10 条" in html
    assert 'hx-trigger="load delay:500ms"' in html


def test_the_writer_reports_progress_every_n_rows(app, authorised):
    from coo.services import certificates, exports
    from coo.services.access import View
    huadong = enterprise(HUADONG)
    total = len(listed_for(huadong, authorised[HUADONG].receipt_at))
    seen = []
    with app.test_request_context():
        written = exports.write_xlsx(View(own=huadong), certificates.parse({}), io.BytesIO(),
                                     progress=seen.append, every=3)
    assert written == total and seen == list(range(3, total + 1, 3))


def test_another_enterprise_cannot_see_or_fetch_an_export(client, demo, actions, authorised, small_sync_limit, worker):
    actions.login_password("hd_op", demo.DEMO_PASSWORD)
    url, task_id = _task_url(export(actions, {}))
    worker.burst(queues=("exports",))
    assert fetch(client, f"{url}/file").status_code == 200
    actions.logout()
    actions.login_password("yy_op", demo.DEMO_PASSWORD)
    assert client.get(url).status_code == 404
    assert client.get(f"{url}/file").status_code == 404
    actions.logout()
    # the agent of 华东, in its own view and in 华东's view: not its export either
    actions.login_password("td_agent", demo.DEMO_PASSWORD)
    assert client.get(f"{url}/file").status_code == 404
    with client.session_transaction() as session:
        session["acting_for"] = enterprise(HUADONG).id
    assert client.get(f"{url}/file").status_code == 404


def test_expired_exports_are_swept(app, client, operator, authorised, small_sync_limit, worker):
    url, task_id = _task_url(export(operator, {}))
    worker.burst(queues=("exports",))
    task = ExportTask.get_by_id(task_id)
    with app.app_context():
        from coo import storage
        assert storage.exists(task.file_path)
        ExportTask.update(expires_at=datetime.datetime(2000, 1, 1)).where(ExportTask.id == task_id).execute()
        assert sweep.run()["exports"] == 1
        assert not storage.exists(task.file_path)
    assert ExportTask.get_by_id(task_id).status == enums.ExportStatus.EXPIRED
    assert "已过期" in client.get(url).get_data(as_text=True)
    assert client.get(f"{url}/file").status_code == 404


def test_the_sweep_restarts_an_export_a_lost_job_left_behind(app, client, operator, authorised, small_sync_limit, worker):
    from coo import queue
    url, task_id = _task_url(export(operator, {}))
    with app.app_context():
        queue.redis().flushdb()                     # Redis lost the job
        ExportTask.update(updated_at=datetime.datetime(2000, 1, 1)).where(ExportTask.id == task_id).execute()
        assert sweep.run()["exports"] == 1
    worker.burst(queues=("exports",))
    assert ExportTask.get_by_id(task_id).status == enums.ExportStatus.COMPLETE


# --- Formula injection (OWASP): hostile text is exported as text ---------------------------------

HOSTILE_INVOICES = ['=HYPERLINK("http://x","发票")', "+cmd|' /C calc'!A0", "@SUM(1)", "-2+3", "\t=1+1", "\r=1+1"]


@pytest.fixture
def hostile_certificates(app, client, authorised):
    """Certificates received through the real customs API whose 发票号 (and 申请人's name) start
    like a formula."""
    from test_intake import post, record
    numbers = []
    for i, invoice in enumerate(HOSTILE_INVOICES):
        number = f"E26330150000{i + 1:04d}"
        response, _ = post(client, app, record(number, invoice_number=invoice, consignee_text="+cmd\n@SUM(1)",
                                               issue_date=datetime.date.today().isoformat(),
                                               approved_at=datetime.datetime.now().astimezone().isoformat()))
        assert response.status_code == 201, response.get_json()
        numbers.append(number)
    applicant = Certificate.get(Certificate.number == numbers[0]).applicant
    applicant.name_zh = "=1+2 浙江华东"
    applicant.save()
    return numbers


def _assert_no_formula(body, numbers):
    import zipfile
    with zipfile.ZipFile(io.BytesIO(body)) as archive:
        sheets = [n for n in archive.namelist() if n.startswith("xl/worksheets/")]
        xml = "".join(archive.read(n).decode() for n in sheets)
    assert sheets and "<f>" not in xml and "<f " not in xml
    ws, rows = sheet_rows(body)
    by_number = {r[1]: r for r in rows[1:]}
    for number in numbers:
        stored = Certificate.get(Certificate.number == number)
        row = by_number[number]
        assert row[2] == stored.invoice_number and row[2].lstrip("\t\r")[:1] in "=+-@"
        assert row[3] == "=1+2 浙江华东"
    assert by_number[numbers[0]][2] == '=HYPERLINK("http://x","发票")'
    assert all(cell.data_type == "s" for row in ws.iter_rows(min_row=2, min_col=3, max_col=4) for cell in row)


def test_hostile_text_is_exported_as_text_not_formulas(client, operator, hostile_certificates):
    response = export(operator, {})
    assert response.status_code == 200
    _assert_no_formula(response.get_data(), hostile_certificates)


def test_a_background_export_holds_no_formula_either(client, operator, hostile_certificates,
                                                      small_sync_limit, worker):
    url, _ = _task_url(export(operator, {}))
    assert worker.subprocess_burst(queues=("exports",)).returncode == 0
    link = re.search(r'href="(/certificates/exports/\d+/file)"',
                     client.get(url).get_data(as_text=True)).group(1)
    response = fetch(client, link)
    assert response.status_code == 200
    _assert_no_formula(response.get_data(), hostile_certificates)
