"""Two tabs and a double click on every state change (SPEC section 6): five identical submits
at once, from one login session (the same cookie, the same CSRF token, as a browser's tabs send
them), make exactly one effect, and none of them gets a 5xx.

Each submit runs in its own thread with its own test client, released together by a barrier, so
the five requests really overlap in the database (SQLite's write lock, PostgreSQL's row locks).
"""
import datetime
import threading

import pytest

from coo import enums
from coo.clock import utcnow
from coo.models import (
    AgentAuthorisation, Authorisation, AuditEvent, Certificate, CustomsExchange, DownloadRecord,
    ExceptionApplication, PrintJob,
)
from customs_helpers import HUADONG, enterprise, forget_demo_authorisations, make_seal, make_signature
from printing_support import paired_control, printable
from tests.test_downloads import downloadable
from tests.test_exceptions import own_certificates, printed
from tests.history import undo_demo_history  # noqa: F401  (autouse: nothing printed or downloaded yet)

TABS = 5
ROUNDS = 3      # each race is run a few times: one overlap may by chance not collide


def fresh(*models):
    """Back to before the race: the rows it made are gone (the next round races again)."""
    for model in models:
        model.delete().execute()


def race(actions, path, data, token_from="/home", htmx=False, n=TABS):
    """`n` identical POSTs at once from the session of `actions`. Returns their responses;
    an exception the app raised (TESTING propagates it) counts as a 500."""
    token = actions.token(token_from)
    app = actions.client.application
    clients = []
    for _ in range(n):
        tab = app.test_client()
        for cookie in actions.client._cookies.values():
            tab.set_cookie(cookie.key, cookie.value, domain=cookie.domain, path=cookie.path)
        clients.append(tab)
    barrier = threading.Barrier(n)
    results = [None] * n

    def submit(i):
        headers = {"HX-Request": "true"} if htmx else {}
        barrier.wait()
        try:
            response = clients[i].post(path, data={**data, "csrf_token": token}, headers=headers)
            results[i] = (response.status_code, response.get_data(), response.headers)
        except Exception as error:        # noqa: BLE001 (what a user would see as 系统内部错误)
            results[i] = (500, repr(error).encode(), {})

    threads = [threading.Thread(target=submit, args=(i,)) for i in range(n)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert all(r is not None for r in results), "a submit did not finish"
    return results


def assert_no_5xx(results):
    errors = [(status, body[:300]) for status, body, _ in results if status >= 500]
    assert not errors, errors


def count_events(action):
    return AuditEvent.select().where(AuditEvent.action == action).count()


# --- 授权 ---------------------------------------------------------------------------------------

def test_five_authorise_presses_make_one_request(app, client, legal_person):
    forget_demo_authorisations()
    ent = enterprise(HUADONG)
    seal, signature = make_seal(ent, "公司章"), make_signature(ent, "王建国签名")
    for path, data in (("/authorisation/default-seal", {"seal_id": seal.id}),
                       ("/authorisation/default-signature", {"signature_id": signature.id})):
        assert legal_person.post(path, data, token_from="/authorisation/").status_code == 303

    for _ in range(ROUNDS):
        fresh(Authorisation, CustomsExchange, AuditEvent)
        results = race(legal_person, "/authorisation/authorise", {}, token_from="/authorisation/")
        assert_no_5xx(results)
        assert Authorisation.select().where(Authorisation.enterprise == ent).count() == 1
        assert CustomsExchange.select().where(CustomsExchange.kind == enums.ExchangeKind.AUTHORISATION).count() == 1
        assert count_events("authorisation_submitted") == 1
        # each tab is taken back to the page (the others' notice: 请勿重复提交)
        assert {status for status, _, _ in results} == {303}
        html = client.get("/authorisation/").get_data(as_text=True)
        assert enums.ReceiptStatus.PENDING.label in html


def test_five_agent_authorisations_make_one_grant(app, client, legal_person):
    from tests.test_authorisation import _new_agent, _succeeded
    _succeeded(HUADONG)
    agent = _new_agent()
    for _ in range(ROUNDS):
        fresh(AgentAuthorisation, AuditEvent)
        results = race(legal_person, "/authorisation/agents", {"agent_code": agent.uscc},
                       token_from="/authorisation/agents")
        assert_no_5xx(results)
        assert AgentAuthorisation.select().where(AgentAuthorisation.agent == agent).count() == 1
        assert count_events("agent_granted") == 1
        refused = [body.decode() for status, body, _ in results if status == 422]
        assert len(refused) == TABS - 1 and all("已对该企业进行代理打印授权" in body for body in refused)


# --- 打印正本, 是, 否 -----------------------------------------------------------------------------

def test_five_print_original_presses_make_one_job(app, client, operator):
    cert, = printable(app)
    paired_control()
    for _ in range(ROUNDS):
        fresh(PrintJob, AuditEvent)
        results = race(operator, "/printing/jobs", {"ids": str(cert.id), "kind": enums.PrintKind.ORIGINAL.value},
                       htmx=True)
        assert_no_5xx(results)
        assert PrintJob.select().where(PrintJob.certificate == cert.id).count() == 1
        assert count_events("print_requested") == 1
        bodies = [body.decode() for _, body, _ in results]
        assert sum("有未完成的打印任务" in body for body in bodies) == TABS - 1


def _printed_original(client, cert, token):
    """A fresh original job that the control printed: waiting for 是/否."""
    from tests.test_printing import printed_by_control
    fresh(PrintJob, CustomsExchange, AuditEvent)
    Certificate.update(print_status=enums.PrintStatus.PENDING, print_count=0).where(
        Certificate.id == cert.id).execute()
    job = PrintJob.create(certificate=cert, enterprise=cert.exporter, kind=enums.PrintKind.ORIGINAL,
                          requested_by="李晓梅")
    printed_by_control(client, token, job.id)
    return job


def test_five_yes_answers_confirm_one_print_and_archive_once(app, client, operator):
    cert, = printable(app)
    _, token = paired_control()
    for _ in range(ROUNDS):
        job = _printed_original(client, cert, token)
        results = race(operator, f"/printing/jobs/{job.id}/confirm", {"answer": "yes"}, htmx=True)
        assert_no_5xx(results)
        after = Certificate.get_by_id(cert.id)
        assert after.print_status == enums.PrintStatus.PRINTED and after.print_count == 1
        assert CustomsExchange.select().where((CustomsExchange.kind == enums.ExchangeKind.ARCHIVE)
                                              & (CustomsExchange.subject_id == cert.id)).count() == 1
        assert count_events("print_confirmed") == 1
        assert PrintJob.get_by_id(job.id).confirmed_ok is True
        # every tab shows the same answer: 已确认打印成功
        assert {status for status, _, _ in results} == {200}
        assert all("已确认打印成功" in body.decode() for _, body, _ in results)


def test_five_no_answers_record_one_answer_and_archive_nothing(app, client, operator):
    cert, = printable(app)
    _, token = paired_control()
    for _ in range(ROUNDS):
        job = _printed_original(client, cert, token)
        results = race(operator, f"/printing/jobs/{job.id}/confirm", {"answer": "no"}, htmx=True)
        assert_no_5xx(results)
        after = Certificate.get_by_id(cert.id)
        assert after.print_status == enums.PrintStatus.PENDING and after.print_count == 0
        assert CustomsExchange.select().where(CustomsExchange.kind == enums.ExchangeKind.ARCHIVE).count() == 0
        assert count_events("print_confirmed") == 1
        assert PrintJob.get_by_id(job.id).confirmed_ok is False
        # every tab is taken to 打印异常申请 with the certificate selected
        assert {status for status, _, _ in results} == {204}
        assert all(headers["HX-Redirect"].endswith(f"?selected={cert.number}") for _, _, headers in results)


# --- 异常申请 -------------------------------------------------------------------------------------

def test_five_exception_applications_make_one(app, client, operator):
    cert = printed(own_certificates(1)[0])
    for _ in range(ROUNDS):
        fresh(ExceptionApplication, CustomsExchange, AuditEvent)
        results = race(operator, "/exceptions/apply",
                       {"certificate": str(cert.id), "reason": "paper_jam", "details": "卡纸"},
                       token_from="/exceptions/", htmx=True)
        assert_no_5xx(results)
        assert ExceptionApplication.select().where(ExceptionApplication.certificate == cert.id).count() == 1
        assert CustomsExchange.select().where(CustomsExchange.kind == enums.ExchangeKind.EXCEPTION).count() == 1
        assert count_events("exception_apply") == 1
        refused = [body.decode() for status, body, _ in results if status == 422]
        assert len(refused) == TABS - 1 and all("请勿重复申请" in body for body in refused)


# --- 下载正本 -------------------------------------------------------------------------------------

def test_five_original_downloads_mark_it_once_and_serve_one_document(app, client, operator):
    cert, = downloadable(app)
    for _ in range(ROUNDS):
        fresh(DownloadRecord, CustomsExchange, AuditEvent)
        Certificate.update(download_status=enums.DownloadStatus.PENDING).where(Certificate.id == cert.id).execute()
        results = race(operator, f"/downloads/{cert.id}/original", {}, token_from="/downloads/")
        assert_no_5xx(results)
        assert {status for status, _, _ in results} == {200}
        # every tab gets the same signed original; each fetch is recorded (who, when), the first
        # one marks 已下载 and asks customs to archive, once
        assert len({body for _, body, _ in results}) == 1 and results[0][1].startswith(b"%PDF")
        records = list(DownloadRecord.select().where(DownloadRecord.original == True))  # noqa: E712
        assert len(records) == TABS and len({r.file_path for r in records}) == 1
        assert Certificate.get_by_id(cert.id).download_status == enums.DownloadStatus.DOWNLOADED
        assert CustomsExchange.select().where(CustomsExchange.kind == enums.ExchangeKind.ARCHIVE).count() == 1
        first = AuditEvent.select().where((AuditEvent.action == "download_original")
                                          & AuditEvent.detail.contains("首次下载正本"))
        assert first.count() == 1
