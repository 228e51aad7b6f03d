"""The rules table (coo.services.rules) walked over every state combination.

Each certificate state is a combination of: 证书类别/平台 × 打印状态 × 归档状态 × 下载状态 ×
版式状态 × 授权 (none / approved before / after the first successful authorisation) × 打印异常申请
(none / 已提交 / 接收成功) × print job (none / in flight / printed original waiting for 是/否) ×
view (the exporter's own / an agent in the entrusting enterprise's view / another enterprise).
For every one and every action, `EXPECTED` below — the manual's rules written out as a reader
checks them — says whether the action is allowed and, if not, which reason is shown; the test
asserts that `rules.check` agrees and that the reason's words come from the one table.

The checks run on in-memory rows and a precomputed context: no database, as the list uses them.
"""
import datetime
import itertools
import math
from types import SimpleNamespace as NS

import pytest

from coo import enums
from coo.services import rules
from coo.services.access import View

A, C = rules.Action, rules.Code
E = enums
T0 = datetime.datetime(2026, 6, 1, 8, 0)
SINCE = T0 - datetime.timedelta(days=30)            # the exporter's first successful authorisation
GRANTED = T0 - datetime.timedelta(days=60)          # the agent's 代理打印授权

EXPORTER = NS(id=1, name_zh="浙江华东进出口有限公司")
AGENT = NS(id=2, name_zh="上海通达报关代理有限公司")
OTHER = NS(id=3, name_zh="江苏远洋贸易有限公司")

TYPES = {
    "E-single-window": (NS(code="E", name_zh="中国-东盟自贸区原产地证书", self_print=True, e_download=True),
                        E.Platform.SINGLE_WINDOW),
    "E-gov-platform": (NS(code="E", name_zh="中国-东盟自贸区原产地证书", self_print=True, e_download=True),
                       E.Platform.GOV_SERVICE),
    "P-print-only": (NS(code="P", name_zh="中国-巴基斯坦自贸区原产地证书", self_print=True, e_download=False),
                     E.Platform.SINGLE_WINDOW),
    "G-not-self-print": (NS(code="G", name_zh="普惠制原产地证书", self_print=False, e_download=False),
                         E.Platform.SINGLE_WINDOW),
}
DIMENSIONS = {
    "type": tuple(TYPES),
    "print": ("pending", "printed"),
    "archive": ("unarchived", "archived"),
    "download": ("pending", "downloaded"),
    "layout": ("generated", "sending", "received", "refused"),
    "authorisation": ("none", "before", "after"),
    "exception": ("none", "submitted", "accepted"),
    "job": ("none", "in_flight", "awaiting"),
    "view": ("own", "agent", "other"),
}


def states():
    names = tuple(DIMENSIONS)
    for values in itertools.product(*DIMENSIONS.values()):
        yield dict(zip(names, values))


def build(state, cert_id=7):
    cert_type, platform = TYPES[state["type"]]
    approved = {"none": T0, "before": SINCE - datetime.timedelta(days=1), "after": T0}[state["authorisation"]]
    cert = NS(
        id=cert_id, number="E263301000000007", cert_type=cert_type, platform=platform,
        exporter_id=EXPORTER.id if state["view"] != "other" else OTHER.id,
        applicant_id=AGENT.id if state["view"] == "agent" else (EXPORTER.id if state["view"] == "own" else OTHER.id),
        approved_at=approved,
        print_status=E.PrintStatus(state["print"]),
        archive_status=E.ArchiveStatus(state["archive"]),
        download_status=E.DownloadStatus(state["download"]),
        layout_status={"generated": E.LayoutStatus.CUSTOMS_GENERATED, "sending": E.LayoutStatus.SENDING,
                       "received": E.LayoutStatus.RECEIVED,
                       "refused": E.LayoutStatus.CUSTOMS_GENERATED}[state["layout"]],
        layout_error="货物共 10 项，证书货物栏和附页都无法完整打印。" if state["layout"] == "refused" else "",
        reprint_allowed=state["exception"] == "accepted",
        layout_original_path="layouts/ab/original.pdf" if state["layout"] == "received" else "",
        layout_copy_path="layouts/ab/copy.pdf" if state["layout"] == "received" else "",
    )
    if state["view"] == "agent":
        view = View(own=AGENT, principal=EXPORTER, grant=NS(granted_at=GRANTED, principal=EXPORTER))
    else:
        view = View(own=EXPORTER)          # "other": the certificate belongs to another exporter
    since = None if state["authorisation"] == "none" else SINCE
    ctx = rules.Context(view, since={EXPORTER.id: since, OTHER.id: since})
    ctx.loaded.add(cert.id)
    ctx.applications_loaded.add(cert.id)
    kind = E.PrintKind.ORIGINAL
    if state["job"] == "in_flight":
        ctx.jobs[cert.id] = (E.PrintJobStatus.PRINTING, kind)
    elif state["job"] == "awaiting":
        ctx.jobs[cert.id] = (E.PrintJobStatus.DONE, kind)
    if state["exception"] != "none":
        ctx.applications[cert.id] = (E.ExceptionStatus.SUBMITTED if state["exception"] == "submitted"
                                     else E.ExceptionStatus.ACCEPTED)
    return cert, ctx


# --- The specification, as the manual reads -------------------------------------------------------

def _seen(s):
    return None if s["view"] != "other" else C.OTHER_ENTERPRISE


def _self_printable(s):
    if not TYPES[s["type"]][0].self_print:
        return C.NOT_SELF_PRINT_TYPE
    if s["authorisation"] == "none":
        return C.NO_AUTHORISATION
    if s["authorisation"] == "before":
        return C.BEFORE_AUTHORISATION
    return None


def _layout(s):
    return {"received": None, "refused": C.LAYOUT_REFUSED}.get(s["layout"], C.LAYOUT_NOT_RECEIVED)


def _job(s, originals_only=False):
    return {"none": None, "in_flight": C.JOB_IN_FLIGHT, "awaiting": C.AWAITING_CONFIRMATION}[s["job"]]


def _first(*reasons):
    return next((r for r in reasons if r is not None), None)


def expected(s, action):
    archived = C.ARCHIVED if s["archive"] == "archived" else None
    electronic = _first(None if TYPES[s["type"]][0].e_download else C.NOT_E_DOWNLOAD,
                        None if TYPES[s["type"]][1] == E.Platform.SINGLE_WINDOW else C.NOT_SINGLE_WINDOW)
    if action == A.LAYOUT:
        return _self_printable(s)
    if action == A.LIST:
        return _first(_seen(s), _self_printable(s))
    if action == A.PREVIEW_COPY:
        return _first(_seen(s), _layout(s))
    if action == A.DOWNLOAD_COPY:
        return _first(_seen(s), electronic, _layout(s))
    printing = _first(_seen(s), _self_printable(s), archived, _layout(s), _job(s))
    if action == A.PRINT_COPY:
        return printing
    if action in (A.PRINT_ORIGINAL, A.PRINT_BOTH):
        if printing or s["exception"] == "accepted":          # an accepted 异常申请 re-opens it
            return printing
        if s["print"] == "printed":                          # one original: only 打印异常申请 reprints
            return C.EXCEPTION_SUBMITTED if s["exception"] == "submitted" else C.ALREADY_PRINTED
        if s["download"] == "downloaded":                    # ... or it was downloaded
            return C.ORIGINAL_DOWNLOADED
        return None
    if action == A.DOWNLOAD_ORIGINAL:
        before = _first(_seen(s), electronic, _layout(s))
        if before or s["download"] == "downloaded":          # the same signed file again
            return before
        return _first(_self_printable(s), archived, _job(s),
                      C.ALREADY_PRINTED if s["print"] == "printed" else None)
    if action == A.APPLY_EXCEPTION:
        return _first(_seen(s), archived, None if s["print"] == "printed" else C.NOT_PRINTED, _job(s),
                      {"submitted": C.EXCEPTION_SUBMITTED, "accepted": C.EXCEPTION_ACCEPTED}.get(s["exception"]))
    raise AssertionError(action)


# --- The walk ---------------------------------------------------------------------------------------

def test_every_action_in_every_state_follows_the_table():
    walked = 0
    for state in states():
        cert, ctx = build(state)
        for action in A:
            got = rules.check(cert, ctx, action)
            want = expected(state, action)
            assert (got.code if got else None) == want, (state, action.label, got and got.message)
            if got is not None:
                assert cert.number in got.message and got.message == rules.TABLE[got.code].message.format(
                    number=cert.number, **got.facts)
                assert got.steps, got.code
            walked += 1
    assert walked == math.prod(len(values) for values in DIMENSIONS.values()) * len(A) == 93_312


def test_every_reason_has_words_and_a_remedy():
    facts = dict(why="", principal="某企业", type_name="某类别", layout_error="原因", layout_status="海关端生成",
                 job_status="打印中", platform="其他系统", approved="2026-01-01 08:00", authorised="2026-01-02 08:00")
    for code in C:
        entry = rules.TABLE[code]
        assert entry.message.format(number="E263301000000007", **facts)
        assert entry.steps and all(step.format(number="X", **facts) for step in entry.steps)


def test_the_row_buttons_are_the_checks():
    for state in states():
        if state["view"] == "other":
            continue
        cert, ctx = build(state)
        buttons = rules.buttons(cert, ctx)
        assert buttons.preview_copy == (expected(state, A.PREVIEW_COPY) is None)
        assert buttons.print_original == buttons.print_both == (expected(state, A.PRINT_ORIGINAL) is None)
        assert buttons.print_copy == (expected(state, A.PRINT_COPY) is None)
        assert (buttons.original_reason.code if buttons.original_reason else None) == expected(state, A.PRINT_ORIGINAL)


# --- A few rows read aloud, with the words the user sees -------------------------------------------

BASE = dict(type="E-single-window", print="pending", archive="unarchived", download="pending",
            layout="received", authorisation="after", exception="none", job="none", view="own")


@pytest.mark.parametrize("change, action, words", [
    ({}, A.PRINT_ORIGINAL, None),
    ({"print": "printed"}, A.PRINT_ORIGINAL, "的正本已打印（已自助打印），不能再打印或下载正本；"),
    ({"print": "printed"}, A.PRINT_COPY, None),
    ({"print": "printed", "exception": "accepted"}, A.PRINT_ORIGINAL, None),
    ({"print": "printed", "exception": "submitted"}, A.PRINT_ORIGINAL, "的打印异常申请已提交，正在等待海关回执"),
    ({"print": "printed"}, A.DOWNLOAD_ORIGINAL, "不能再打印或下载正本"),
    ({"job": "awaiting"}, A.DOWNLOAD_ORIGINAL, "的正本已发送至打印机，请先确认打印结果（是 / 否）。"),
    ({"job": "in_flight"}, A.DOWNLOAD_ORIGINAL, "有未完成的打印任务（打印中）"),
    ({"download": "downloaded"}, A.PRINT_ORIGINAL, "的正本已下载（下载状态：已下载），不能再打印正本。"),
    ({"download": "downloaded", "archive": "archived"}, A.DOWNLOAD_ORIGINAL, None),
    ({"archive": "archived"}, A.PRINT_COPY, "已归档，不可打印，不可进行打印异常申请"),
    ({"archive": "archived"}, A.PREVIEW_COPY, None),
    ({"print": "printed", "archive": "archived"}, A.APPLY_EXCEPTION, "已归档，不可打印，不可进行打印异常申请"),
    ({}, A.APPLY_EXCEPTION, "的打印状态为待打印，只有已打印的证书才能进行异常申请。"),
    ({"print": "printed", "job": "awaiting"}, A.APPLY_EXCEPTION, "请先确认打印结果"),
    ({"authorisation": "before"}, A.LIST, "早于出口商印章签名授权成功的时间"),
    ({"layout": "refused"}, A.PRINT_COPY, "不能生成自助打印版式：货物共 10 项"),
    ({"type": "E-gov-platform"}, A.DOWNLOAD_ORIGINAL, "使用单一窗口申请的证书才能使用该功能"),
    ({"view": "other"}, A.PREVIEW_COPY, "不属于当前企业，无权查看"),
])
def test_rows_read_aloud(change, action, words):
    cert, ctx = build({**BASE, **change})
    got = rules.check(cert, ctx, action)
    if words is None:
        assert got is None, got and got.message
    else:
        assert got is not None and words in got.message, (got and got.message)


@pytest.mark.parametrize("download", ["pending", "downloaded"])
def test_a_received_layout_without_its_file_is_not_received_for_that_download(download):
    for part, action, other in (("original", A.DOWNLOAD_ORIGINAL, A.DOWNLOAD_COPY),
                                ("copy", A.DOWNLOAD_COPY, A.DOWNLOAD_ORIGINAL)):
        cert, ctx = build({**BASE, "download": download})
        setattr(cert, f"layout_{part}_path", "")
        got = rules.check(cert, ctx, action)
        assert got is not None and got.code == C.LAYOUT_NOT_RECEIVED
        assert "的版式尚未接收成功（当前版式状态：接收成功）" in got.message
        assert rules.check(cert, ctx, other) is None


def test_an_agent_in_the_entrusting_view_is_told_what_it_may_do_there():
    """华东 declared this one itself: in 通达's view of 华东 it is not 通达's to print, and the
    agent (already switched) is not told to switch."""
    cert, ctx = build({**BASE, "view": "agent"})
    cert.applicant_id = EXPORTER.id
    got = rules.check(cert, ctx, A.LIST)
    assert got.code == C.NOT_DECLARED_BY_AGENT
    assert f"不是本企业为{EXPORTER.name_zh}代理申报的证书" in got.message
    assert "不属于当前企业" not in got.message and not any("切换到" in step for step in got.steps)
    cert.exporter_id = OTHER.id
    got = rules.check(cert, ctx, A.LIST)
    assert got.code == C.OUTSIDE_AGENT_VIEW and "返回本企业" in " ".join(got.steps)
    assert OTHER.name_zh not in got.message + " ".join(got.steps)


def test_the_renewable_layouts_query_is_the_negation_of_layout_is_final(app, demo):
    """What the sweep and a new authorisation render again (SQL) and what the layout worker
    refuses to touch (`layout_is_final`, Python) are one rule."""
    from coo.models import Certificate
    cert = Certificate.select().order_by(Certificate.id).first()
    for layout, printed, downloaded, archived in itertools.product(
            (E.LayoutStatus.RECEIVED, E.LayoutStatus.SENDING), E.PrintStatus, E.DownloadStatus, E.ArchiveStatus):
        Certificate.update(layout_status=layout, print_status=printed, download_status=downloaded,
                           archive_status=archived).where(Certificate.id == cert.id).execute()
        row = Certificate.get_by_id(cert.id)
        selected = Certificate.select().where((Certificate.id == cert.id)
                                              & rules.renewable_layout_condition()).exists()
        assert selected == (layout == E.LayoutStatus.RECEIVED and not rules.layout_is_final(row)), \
            (layout, printed, downloaded, archived)
