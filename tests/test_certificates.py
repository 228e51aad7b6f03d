"""证书打印 (manual 4.1, 4.4): the list shows exactly the self-printable certificates the user may
see, every 查询区 filter narrows it, paging and sorting keep the query, a number that is not in the
list gets its reason and 查看解决办法, and bad input is a Chinese message with HTTP 422."""
import datetime
import re
from html.parser import HTMLParser

import pytest
from playhouse.test_utils import count_queries

from coo import enums
from coo.models import AgentAuthorisation, Authorisation, Certificate, PrintJob
from coo.services import certificates, rules
from coo.services.access import View

from certdata import HUADONG, TONGDA, YUANYANG, authorise, enterprise, listed_for, receive_layouts

NUMBER = re.compile(r"<td>([A-Z]{1,2}\d{15})</td>")


def numbers(response):
    return NUMBER.findall(response.get_data(as_text=True))


def get(client, query="", htmx=False):
    headers = {"HX-Request": "true"} if htmx else {}
    return client.get(f"/certificates/{('?' + query) if query else ''}", headers=headers)


@pytest.fixture
def authorised(unauthorised_demo):
    """Both exporters' authorisations succeeded 200 days ago (as in the demo's story)."""
    return {name: authorise(enterprise(name)) for name in (HUADONG, YUANYANG)}


def huadong_listed(authorised):
    return listed_for(enterprise(HUADONG), authorised[HUADONG].receipt_at)


# --- The list ---------------------------------------------------------------------------------

def test_menu_leads_to_the_list_with_query_and_result_areas(client, operator, authorised):
    home = client.get("/home").get_data(as_text=True)
    assert 'href="/certificates/"' in home and "证书打印" in home
    response = get(client)
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "<html" in html
    for word in ("证书编号", "发票号", "证书类别", "申请人", "出口商", "签发日期", "版式状态", "归档状态",
                 "打印状态", "查询", "重置", "序号", "导出", "预览/下载副本", "打印正副本", "打印正本", "打印副本"):
        assert word in html, word
    assert 'hx-get="/certificates/"' in html and 'hx-push-url="true"' in html and 'hx-target="#results"' in html


def test_the_list_shows_only_self_printable_types_approved_after_the_authorisation(client, operator, authorised):
    expected = huadong_listed(authorised)
    shown = numbers(get(client, "page=1"))
    assert shown == [c.number for c in expected[:20]]
    everything = set(numbers(get(client))) | set(numbers(get(client, "page=2")))
    assert everything == {c.number for c in expected}
    others = Certificate.select().where(Certificate.number.not_in([c.number for c in expected]))
    assert not everything & {c.number for c in others}
    # the demo has old (pre-authorisation) and non-self-print (G) certificates of 华东: not listed
    assert any(c.approved_at < authorised[HUADONG].receipt_at for c in others if c.exporter_id == enterprise(HUADONG).id)
    assert any(c.cert_type_id == "G" for c in others if c.exporter_id == enterprise(HUADONG).id)


def test_a_new_authorisation_does_not_take_certificates_out_of_self_print(client, operator, authorised):
    """Self-printing starts at the FIRST successful authorisation: authorising a new seal later
    changes the seal on the layouts, not which certificates may be printed."""
    before = set(numbers(get(client))) | set(numbers(get(client, "page=2")))
    Seal = authorised[HUADONG].seal.__class__
    Seal.update(name="旧公司章").where(Seal.id == authorised[HUADONG].seal_id).execute()
    Signature = authorised[HUADONG].signature.__class__
    Signature.update(name="旧签名").where(Signature.id == authorised[HUADONG].signature_id).execute()
    authorise(enterprise(HUADONG), days_ago=10)
    after = set(numbers(get(client))) | set(numbers(get(client, "page=2")))
    assert after == before and before


def test_without_a_successful_authorisation_nothing_is_listed(client, operator, unauthorised_demo):
    authorise(enterprise(HUADONG), status=enums.ReceiptStatus.FAILED)
    html = get(client).get_data(as_text=True)
    assert NUMBER.findall(html) == [] and "无符合条件的查询结果" in html and "查看解决办法" in html


def test_the_fragment_is_the_result_block_only_and_varies_on_hx_request(client, operator, authorised):
    page = get(client, "type=E")
    fragment = get(client, "type=E", htmx=True)
    html = fragment.get_data(as_text=True)
    assert fragment.status_code == 200 and "<html" not in html and 'id="results"' in html
    assert "证书查询" not in html.split('id="results"')[0]
    assert numbers(fragment) == numbers(page) and numbers(page)
    assert "HX-Request" in fragment.headers["Vary"]


def test_archived_certificates_stay_listed_with_print_buttons_off(client, operator, authorised):
    cert = huadong_listed(authorised)[0]
    Certificate.update(archive_status=enums.ArchiveStatus.ARCHIVED,
                       layout_status=enums.LayoutStatus.RECEIVED).where(Certificate.id == cert.id).execute()
    html = get(client, f"number={cert.number}").get_data(as_text=True)
    assert numbers_in(html) == [cert.number]
    cells = row_cells(html, cert.number)
    assert cells[9] == "已归档"                       # the row's 归档状态 column
    buttons = row_of(html, cert.number)
    assert "预览/下载副本</a>" in buttons              # the preview stays
    for label in ("打印正副本", "打印正本", "打印副本"):
        assert re.search(rf'<button[^>]*disabled[^>]*>{label}</button>', buttons), label


def numbers_in(html):
    return NUMBER.findall(html)


def row_of(html, number):
    """The <tr> of one certificate in the list."""
    match = re.search(rf"<tr>\s*<td><input[^>]*>\s*</td>\s*<td>\d+</td>\s*<td>{number}</td>.*?</tr>", html, re.S)
    assert match, f"no row for {number}"
    return match.group(0)


def row_cells(html, number):
    """The text of each cell of that row (序号 at 1, 证书编号 at 2, …, 打印状态 at 10)."""
    return [re.sub(r"<[^>]+>", "", cell).strip()
            for cell in re.findall(r"<td[^>]*>(.*?)</td>", row_of(html, number), re.S)]


# --- Each filter ------------------------------------------------------------------------------

def _filter_cases(listed):
    c = listed[3]
    return [
        ("number", c.number.lower(), lambda x: x.number == c.number),
        ("invoice", c.invoice_number, lambda x: x.invoice_number == c.invoice_number),
        ("type", "RC", lambda x: x.cert_type_id == "RC"),
        ("applicant", "通达", lambda x: x.applicant.name_zh == TONGDA),
        ("exporter", "华东", lambda x: True),
        ("exporter", "远洋", lambda x: False),
        ("layout", "received", lambda x: x.layout_status == enums.LayoutStatus.RECEIVED),
        ("archive", "archived", lambda x: x.archive_status == enums.ArchiveStatus.ARCHIVED),
        ("print", "printed", lambda x: x.print_status == enums.PrintStatus.PRINTED),
    ]


@pytest.mark.parametrize("case", range(9))
def test_each_filter_narrows_the_list(client, operator, authorised, case):
    listed = huadong_listed(authorised)
    ids = [c.id for c in listed]
    Certificate.update(layout_status=enums.LayoutStatus.RECEIVED).where(Certificate.id.in_(ids[::2])).execute()
    Certificate.update(archive_status=enums.ArchiveStatus.ARCHIVED).where(Certificate.id.in_(ids[:5])).execute()
    Certificate.update(print_status=enums.PrintStatus.PRINTED).where(Certificate.id.in_(ids[3:9])).execute()
    listed = huadong_listed(authorised)
    name, value, keep = _filter_cases(listed)[case]
    expected = [c.number for c in listed if keep(c)]
    response = get(client, f"{name}={value}")
    assert response.status_code == 200
    assert set(numbers(response)) == set(expected[:20]) and len(numbers(response)) == min(20, len(expected))
    assert 0 < len(expected) < len(listed) or name == "exporter"


def test_one_query_shape_built_once_serves_each_requests_own_values(client, operator, authorised):
    """The list's SQL is built once per shape and run with parameters: the same filters with
    other values, or another half of a date range, still give exactly their own rows."""
    listed = huadong_listed(authorised)
    types = sorted({c.cert_type.code for c in listed})
    assert len(types) >= 2
    sizes = []
    for code in types + types[:1]:
        shown = set(numbers(get(client, f"type={code}", htmx=True)))
        expected = [c.number for c in listed if c.cert_type.code == code]
        assert shown == set(expected[:20]) and shown
        sizes.append(len(certificates._prepared._prepared))
    assert len(set(sizes)) == 1        # the first request built the shape; the others reused it
    day = listed[5].issue_date
    assert set(numbers(get(client, f"issued_from={day}"))) == {c.number for c in listed if c.issue_date >= day}
    assert set(numbers(get(client, f"issued_to={day}"))) == {c.number for c in listed if c.issue_date <= day}


def test_issue_date_range_is_inclusive(client, operator, authorised):
    listed = huadong_listed(authorised)
    start, end = listed[10].issue_date, listed[2].issue_date
    expected = {c.number for c in listed if start <= c.issue_date <= end}
    response = get(client, f"issued_from={start}&issued_to={end}")
    assert set(numbers(response)) == expected and expected
    assert f'value="{start}"' in response.get_data(as_text=True)


def test_filters_combine(client, operator, authorised):
    listed = huadong_listed(authorised)
    expected = {c.number for c in listed if c.applicant.name_zh == TONGDA and c.layout_status == enums.LayoutStatus.CUSTOMS_GENERATED}
    assert set(numbers(get(client, "applicant=通达&layout=generated"))) == expected and expected


# --- Paging and sorting -----------------------------------------------------------------------

def test_paging_keeps_the_query_and_counts_on(client, operator, authorised):
    listed = huadong_listed(authorised)
    assert len(listed) > 20
    first = get(client).get_data(as_text=True)
    assert f"共 {len(listed)} 条" in first and "下一页" in first
    assert 'href="/certificates/?page=2"' in first and 'hx-get="/certificates/?page=2"' in first
    second = get(client, "page=2", htmx=True)
    html = second.get_data(as_text=True)
    assert numbers(second) == [c.number for c in listed[20:]]
    assert "<td>21</td>" in html and "上一页" in html
    # the demo has a few printed ones: make every listed certificate 待打印 so the filter keeps >20
    Certificate.update(print_status=enums.PrintStatus.PENDING, archive_status=enums.ArchiveStatus.UNARCHIVED).where(
        Certificate.id.in_([c.id for c in listed])).execute()
    filtered = get(client, "print=pending").get_data(as_text=True)
    assert 'href="/certificates/?print=pending&amp;page=2"' in filtered


def test_sort_by_issue_date_both_ways(client, operator, authorised):
    listed = huadong_listed(authorised)
    descending = numbers(get(client))
    ascending = numbers(get(client, "sort=issue_date"))
    assert descending == [c.number for c in listed[:20]]
    oldest_first = sorted(listed, key=lambda c: (c.issue_date, c.id))
    assert ascending == [c.number for c in oldest_first[:20]]
    assert "sort=issue_date" in get(client).get_data(as_text=True)


def test_a_page_past_the_end_is_empty_not_an_error(client, operator, authorised):
    response = get(client, "page=99")
    assert response.status_code == 200 and numbers(response) == []
    # The count is a column of the rows' query; a page without rows counts on its own.
    listed = huadong_listed(authorised)
    assert f"共 {len(listed)} 条" in response.get_data(as_text=True)
    assert f"共 {len(listed)} 条" in get(client, "page=2").get_data(as_text=True)


# --- Bad input --------------------------------------------------------------------------------

@pytest.mark.parametrize("query, message", [
    ("issued_from=2026-13-45", "不是有效日期"),
    ("issued_from=2026-05-02&issued_to=2026-05-01", "起始日期不能晚于结束日期"),
    ("layout=printed-ish", "版式状态的取值无效"),
    ("archive=maybe", "归档状态的取值无效"),
    ("print=x", "打印状态的取值无效"),
    ("type=G", "证书类别的取值无效"),
    ("page=abc", "页码应为正整数"),
    ("sort=number", "排序方式无效"),
    ("number=" + "E" * 30, "证书编号不能超过20个字符"),
])
def test_bad_query_input_is_a_chinese_message_with_422_keeping_the_form(client, operator, authorised, query, message):
    before = Certificate.select().count()
    page = get(client, query + "&invoice=INV-KEPT")
    html = page.get_data(as_text=True)
    assert page.status_code == 422 and message in html and "<html" in html
    assert 'value="INV-KEPT"' in html and numbers(page) == []
    fragment = get(client, query, htmx=True)
    assert fragment.status_code == 422 and message in fragment.get_data(as_text=True)
    assert "<html" not in fragment.get_data(as_text=True)
    assert Certificate.select().count() == before


# --- Scoping ----------------------------------------------------------------------------------

def _agent_view(client, principal):
    with client.session_transaction() as session:
        session["acting_for"] = principal.id


def test_agent_view_shows_only_what_the_agent_declared_after_its_grant(client, agent, authorised):
    huadong, tongda = enterprise(HUADONG), enterprise(TONGDA)
    grant = AgentAuthorisation.get(AgentAuthorisation.agent == tongda)
    assert numbers(get(client)) == []            # the agent's own view: it exports nothing itself
    _agent_view(client, huadong)
    html = get(client).get_data(as_text=True)
    assert "代理打印：浙江华东进出口有限公司" in html
    expected = [c.number for c in huadong_listed(authorised)
                if c.applicant_id == tongda.id and c.approved_at >= grant.granted_at]
    older = [c for c in huadong_listed(authorised) if c.applicant_id == tongda.id and c.approved_at < grant.granted_at]
    assert expected and older
    assert set(numbers_in(html)) == set(expected)


def test_a_revoked_grant_ends_the_agent_view(client, agent, authorised):
    _agent_view(client, enterprise(HUADONG))
    AgentAuthorisation.update(revoked_at=datetime.datetime(2026, 1, 1)).execute()
    html = get(client).get_data(as_text=True)
    assert numbers_in(html) == [] and "代理打印：" not in html


def test_another_exporter_sees_only_its_own(client, demo, actions, authorised):
    actions.login_password("yy_op", demo.DEMO_PASSWORD)
    shown = set(numbers(get(client))) | set(numbers(get(client, "page=2")))
    yuanyang = enterprise(YUANYANG)
    assert shown and all(Certificate.get(Certificate.number == n).exporter_id == yuanyang.id for n in shown)


# --- 查看解决办法 ------------------------------------------------------------------------------

def _diagnosis(client, number, extra=""):
    response = get(client, f"number={number}{extra}", htmx=True)
    html = response.get_data(as_text=True)
    match = re.search(r'data-reason="([a-z_]+)"', html)
    return response, html, match.group(1) if match else None


def test_why_not_unknown_number(client, operator, authorised):
    response, html, reason = _diagnosis(client, "E269999999999999")
    assert response.status_code == 200 and reason == "unknown"
    assert "系统中没有证书编号为 E269999999999999 的证书" in html and "查看解决办法" in html


def test_why_not_another_enterprises_certificate_says_nothing_about_it(client, operator, authorised):
    cert = Certificate.get(Certificate.exporter == enterprise(YUANYANG))
    _, html, reason = _diagnosis(client, cert.number)
    assert reason == "other_enterprise" and "不属于当前企业" in html
    for secret in (cert.invoice_number, "江苏远洋", cert.consignee_text.split("\n")[0], cert.cert_type.name_zh):
        assert secret not in html


def test_why_not_type_not_self_print(client, operator, authorised):
    cert = Certificate.get((Certificate.exporter == enterprise(HUADONG)) & (Certificate.cert_type == "G"))
    _, html, reason = _diagnosis(client, cert.number)
    assert reason == "not_self_print_type" and "不支持自助打印" in html and "现行的打印方式" in html


def test_why_not_approved_before_the_authorisation_shows_both_times(client, operator, authorised):
    since = authorised[HUADONG].receipt_at
    cert = (Certificate.select().where((Certificate.exporter == enterprise(HUADONG))
                                       & (Certificate.approved_at < since)
                                       & (Certificate.cert_type != "G")).first())
    _, html, reason = _diagnosis(client, cert.number)
    assert reason == "before_authorisation" and "早于出口商印章签名授权成功的时间" in html
    from coo.clock import to_local
    assert f"{to_local(cert.approved_at):%Y-%m-%d %H:%M:%S}" in html
    assert f"{to_local(since):%Y-%m-%d %H:%M:%S}" in html


def test_why_not_no_authorisation_at_all(client, operator, unauthorised_demo):
    cert = Certificate.get((Certificate.exporter == enterprise(HUADONG)) & (Certificate.cert_type == "E"))
    _, html, reason = _diagnosis(client, cert.number)
    assert reason == "no_authorisation" and "尚未完成印章签名授权" in html and "授权管理" in html


def test_why_not_layout_not_received_yet(client, operator, authorised):
    cert = huadong_listed(authorised)[0]
    response, html, reason = _diagnosis(client, cert.number)
    assert numbers(response) == [cert.number]       # listed, but cannot be printed yet
    assert reason == "layout_not_received" and "版式尚未接收成功（当前版式状态：海关端生成）" in html


def test_why_not_archived(client, operator, authorised):
    cert = huadong_listed(authorised)[0]
    Certificate.update(archive_status=enums.ArchiveStatus.ARCHIVED,
                       layout_status=enums.LayoutStatus.RECEIVED).where(Certificate.id == cert.id).execute()
    _, html, reason = _diagnosis(client, cert.number, "&archive=unarchived")
    assert reason == "archived" and "已归档，不可打印" in html and "不可进行打印异常申请" in html


def test_why_not_other_filters_exclude_it(client, operator, authorised):
    cert = huadong_listed(authorised)[0]
    receive_layouts(Certificate.id == cert.id)
    response, html, reason = _diagnosis(client, cert.number, "&print=printed")
    assert numbers(response) == [] and reason == "filtered" and "重置" in html


def test_why_not_already_printed_points_to_the_exception_application(client, operator, authorised):
    cert = huadong_listed(authorised)[0]
    Certificate.update(print_status=enums.PrintStatus.PRINTED,
                       layout_status=enums.LayoutStatus.RECEIVED).where(Certificate.id == cert.id).execute()
    _, html, reason = _diagnosis(client, cert.number)
    assert reason == "already_printed" and "打印异常申请" in html


def test_a_printable_certificate_needs_no_explanation(client, operator, authorised):
    cert = huadong_listed(authorised)[0]
    receive_layouts(Certificate.id == cert.id)
    response, html, reason = _diagnosis(client, cert.number)
    assert numbers(response) == [cert.number] and reason is None


def test_why_not_agent_not_authorised_when_approved_before_the_grant(client, agent, authorised):
    huadong, tongda = enterprise(HUADONG), enterprise(TONGDA)
    grant = AgentAuthorisation.get(AgentAuthorisation.agent == tongda)
    cert = (Certificate.select().where((Certificate.applicant == tongda) & (Certificate.approved_at < grant.granted_at)
                                       & (Certificate.approved_at >= authorised[HUADONG].receipt_at)).first())
    _agent_view(client, huadong)
    _, html, reason = _diagnosis(client, cert.number)
    assert reason == "agent_not_authorised" and "代理打印授权时间" in html


def test_why_not_agent_without_any_grant(client, agent, authorised):
    AgentAuthorisation.update(revoked_at=datetime.datetime(2026, 1, 1)).execute()
    cert = Certificate.get(Certificate.applicant == enterprise(TONGDA))
    _, html, reason = _diagnosis(client, cert.number)
    assert reason == "agent_not_authorised" and "代理打印授权" in html


def test_why_not_agent_in_its_own_view_is_told_to_switch(client, agent, authorised):
    grant = AgentAuthorisation.get(AgentAuthorisation.agent == enterprise(TONGDA))
    cert = Certificate.get((Certificate.applicant == enterprise(TONGDA)) & (Certificate.approved_at >= grant.granted_at))
    _, html, reason = _diagnosis(client, cert.number)
    assert reason == "switch_view" and "委托企业列表" in html


def test_why_not_agent_view_certificate_declared_by_someone_else(client, agent, authorised):
    huadong = enterprise(HUADONG)
    cert = huadong_listed(authorised)[0]
    assert cert.applicant_id == huadong.id
    _agent_view(client, huadong)
    _, html, reason = _diagnosis(client, cert.number)
    # explained by what the agent may do in 华东's view, not as another enterprise's certificate
    assert reason == "not_declared_by_agent" and cert.invoice_number not in html
    assert f"不是本企业为{HUADONG}代理申报的证书" in html and "不属于当前企业" not in html
    assert "切换到委托企业" not in html


def test_why_not_agent_view_certificate_of_another_exporter(client, agent, authorised):
    _agent_view(client, enterprise(HUADONG))
    cert = Certificate.get(Certificate.exporter == enterprise(YUANYANG))
    _, html, reason = _diagnosis(client, cert.number)
    assert reason == "outside_agent_view" and f"当前是{HUADONG}的委托企业视图" in html and "返回本企业" in html
    assert cert.invoice_number not in html and "江苏远洋" not in html


# --- The buttons ------------------------------------------------------------------------------

def test_buttons_follow_layout_archive_and_print_status(app, authorised):
    cert = huadong_listed(authorised)[0]
    view = View(own=enterprise(HUADONG))
    with app.test_request_context():
        def buttons():
            certificates.forget_authorisation_cache()
            b = rules.buttons(Certificate.get_by_id(cert.id), rules.context(view))
            return (b.preview_copy, b.print_both, b.print_original, b.print_copy)
        assert buttons() == (False, False, False, False)          # 海关端生成: nothing yet
        receive_layouts(Certificate.id == cert.id)
        assert buttons() == (True, True, True, True)
        Certificate.update(print_status=enums.PrintStatus.PRINTED).where(Certificate.id == cert.id).execute()
        assert buttons() == (True, False, False, True)
        Certificate.update(reprint_allowed=True).where(Certificate.id == cert.id).execute()
        assert buttons() == (True, True, True, True)
        Certificate.update(archive_status=enums.ArchiveStatus.ARCHIVED).where(Certificate.id == cert.id).execute()
        assert buttons() == (True, False, False, False)
        Authorisation.update(receipt_at=datetime.datetime(2100, 1, 1)).execute()
        Certificate.update(archive_status=enums.ArchiveStatus.UNARCHIVED).where(Certificate.id == cert.id).execute()
        assert buttons() == (True, False, False, False)   # approved before


def test_self_printable_condition_agrees_with_the_per_certificate_check(app, authorised):
    huadong = enterprise(HUADONG)
    every_fifth = [c.id for c in Certificate.select(Certificate.id)][::5]
    Certificate.update(archive_status=enums.ArchiveStatus.ARCHIVED).where(Certificate.id.in_(every_fifth)).execute()
    view = View(own=huadong)
    with app.test_request_context():
        for exporter in (None, huadong):
            by_sql = {c.id for c in Certificate.select(Certificate.id).where(
                certificates.self_printable_condition(exporter) & (Certificate.exporter == huadong))}
            by_row = {c.id for c in Certificate.select().where(Certificate.exporter == huadong)
                      if rules.check(c, view, rules.Action.LIST) is None
                      and rules.unarchived(c, None) is None}
            assert by_sql == by_row and by_sql


def test_row_buttons_follow_the_rules(client, operator, authorised):
    listed = huadong_listed(authorised)
    receive_layouts(Certificate.id == listed[0].id)
    html = get(client).get_data(as_text=True)
    ready = re.search(rf'<button type="submit" form="row-{listed[0].id}" name="kind" value="original">', html)
    waiting = re.search(rf'<input type="checkbox" name="ids" value="{listed[1].id}"(?:(?!</tr>).)*'
                        rf'<button type="submit" name="kind" value="original" disabled '
                        rf'title="证书 {listed[1].number} 的版式尚未接收成功（当前版式状态：海关端生成）。"', html, re.S)
    assert ready and waiting                # 海关端生成: never enabled, and the button says why
    assert f'id="row-{listed[0].id}"' in html and f'row-{listed[1].id}' not in html   # no form to print it
    assert 'id="print-selected"' in html and 'name="ids"' in html
    # A button names a row form only when that form is on the page (none for a row that cannot print).
    named = set(re.findall(r'<button [^>]*form="(row-\d+)"', html))
    assert named == set(re.findall(r'<form id="(row-\d+)"', html)) == {f"row-{listed[0].id}"}


def test_the_list_rows_open_jobs_are_the_ones_the_rules_would_load(app, authorised):
    """The list reads each row's open print job in its own query and hands it to the rules
    (`rules.context(view, jobs=...)`): for every kind of job the buttons are the same as when
    the rules load the jobs themselves, and a closed job leaves the buttons on."""
    S, K = enums.PrintJobStatus, enums.PrintKind
    listed = huadong_listed(authorised)[:8]
    receive_layouts(Certificate.id.in_([c.id for c in listed]))
    jobs = [(S.QUEUED, K.COPY), (S.PRINTING, K.ORIGINAL), (S.DONE, K.ORIGINAL), (S.DONE, K.COPY),
            (S.CONFIRMED, K.ORIGINAL_AND_COPY), (S.FAILED, K.ORIGINAL), (S.DONE, K.ORIGINAL_AND_COPY)]
    for cert, (status, kind) in zip(listed, jobs):
        PrintJob.create(certificate=cert, enterprise=cert.exporter, kind=kind, status=status, requested_by="李晓梅")
    # two jobs of one certificate: a closed one, then an open one (the open one counts)
    PrintJob.create(certificate=listed[7], enterprise=listed[7].exporter, kind=K.COPY, status=S.FAILED,
                    requested_by="李晓梅")
    PrintJob.create(certificate=listed[7], enterprise=listed[7].exporter, kind=K.ORIGINAL, status=S.QUEUED,
                    requested_by="李晓梅")
    view = View(own=enterprise(HUADONG))
    with app.test_request_context("/certificates/"):
        page = certificates.list_page(view, certificates.parse({}))
        rows = {c.id: c for c in page.items}
        primed = rules.context(view, jobs={c.id: c.job for c in page.items})
        loaded = rules.context(view, page.items)
        assert {i: primed.open_job(rows[i]) for i in rows} == {i: loaded.open_job(rows[i]) for i in rows}
        assert {i: rules.buttons(rows[i], primed) for i in rows} == {i: rules.buttons(rows[i], loaded) for i in rows}
        on = [rules.buttons(rows[c.id], primed).print_copy for c in listed]
        assert on == [False, False, False, True, True, True, False, False]
        assert rows[listed[7].id].job == (S.QUEUED, K.ORIGINAL)


class _Markup(HTMLParser):
    """The forms, the elements naming a form (`form=`), the table's header cells and the
    empty-result cell of a 证书打印 page or fragment."""

    def __init__(self, html):
        super().__init__()
        self.form_ids, self.pointing, self.headers, self.colspans, self._in_thead = set(), [], 0, [], False
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form" and attrs.get("id"):
            self.form_ids.add(attrs["id"])
        if "form" in attrs:
            self.pointing.append((tag, attrs["form"], attrs.get("value")))
        if tag == "thead":
            self._in_thead = True
        if tag == "th" and self._in_thead:
            self.headers += 1
        if tag == "td" and "colspan" in attrs:
            self.colspans.append(int(attrs["colspan"]))

    def handle_endtag(self, tag):
        if tag == "thead":
            self._in_thead = False


@pytest.mark.parametrize("htmx", [True, False])
def test_every_button_names_a_form_of_the_page_and_the_empty_row_spans_the_table(client, operator, authorised,
                                                                                   htmx):
    """Assistive technology and the browser follow a button's `form=`: it must name a form the
    page has. Rows that may not print have no form of their own, so their buttons name none."""
    listed = huadong_listed(authorised)
    receive_layouts(Certificate.id.in_([c.id for c in listed[:3]]))
    Certificate.update(archive_status=enums.ArchiveStatus.ARCHIVED).where(Certificate.id == listed[2].id).execute()
    page = _Markup(get(client, htmx=htmx).get_data(as_text=True))
    assert page.pointing and page.headers == 12
    missing = [(tag, target) for tag, target, _ in page.pointing if target not in page.form_ids]
    assert not missing, missing
    printable = {target for _, target, _ in page.pointing}
    assert printable == {f"row-{listed[0].id}", f"row-{listed[1].id}"}       # the archived one has none
    empty = _Markup(get(client, "invoice=NO-SUCH-INVOICE", htmx=htmx).get_data(as_text=True))
    assert "无符合条件的查询结果" in get(client, "invoice=NO-SUCH-INVOICE", htmx=htmx).get_data(as_text=True)
    assert empty.colspans == [empty.headers] == [12]


# --- No N+1 -----------------------------------------------------------------------------------

def test_the_list_costs_the_same_queries_for_one_row_and_twenty(app, authorised):
    huadong = enterprise(HUADONG)
    view = View(own=huadong)
    listed = huadong_listed(authorised)
    with app.test_request_context("/certificates/"):
        certificates.certificate_types()        # the 证书类别 table, read once for a while
        counts = []
        for args in ({"number": listed[0].number}, {}):
            q = certificates.parse(args)
            certificates.forget_authorisation_cache()
            with count_queries() as counter:
                page = certificates.list_page(view, q)
                ctx = rules.context(view, page.items)
                for c in page.items:
                    rules.buttons(c, ctx)
                    c.applicant_name, c.exporter.name_zh, c.cert_type.name_zh
            counts.append(counter.count)
        assert len(page.items) == 20
        assert counts[0] == counts[1] <= 5


def test_a_page_of_the_list_is_two_statements_with_the_login_check(client, operator, authorised):
    """The login check reads the enterprise's first authorisation too; the count is a column of
    the rows' query."""
    get(client, htmx=True)        # the 证书类别 table, read once for a while
    with count_queries() as counter:
        response = get(client, htmx=True)
    assert len(numbers(response)) == 20
    assert counter.count == 2, [query.msg[0][:60] for query in counter.get_queries()]


def test_a_large_list_counts_up_to_the_cap_and_still_pages_on(app, client, operator, authorised):
    listed = huadong_listed(authorised)
    app.config["LIST_COUNT_CAP"] = 5
    try:
        first = get(client).get_data(as_text=True)
        second = get(client, "page=2")
    finally:
        app.config["LIST_COUNT_CAP"] = 500
    assert "共 20+ 条" in first and "下一页" in first    # counted at least to this page's end
    assert numbers(second) == [c.number for c in listed[20:]] and "下一页" not in second.get_data(as_text=True)
