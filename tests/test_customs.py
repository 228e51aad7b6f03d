"""The customs gateway and the exchange job: receipts on a real RQ worker over real Redis,
customs failing half its calls, a lost job found by the sweep, the signed HTTP client against
a real server, and the signature rules."""
import datetime
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from redis import Redis

from coo import enums, queue
from coo.clock import utcnow
from coo.customs import GatewayError, UnknownReference, gateway, signing
from coo.customs.http import HttpGateway
from coo.models import Authorisation, CustomsExchange, SimulatorMessage
from coo.services import authorisation, exchanges
from coo.services.exchanges import HANDLERS
from customs_helpers import (
    forget_demo_authorisations,
    HUADONG, YUANYANG, enterprise, make_seal, make_signature, receipts_applied,
)

S = enums.ExchangeStatus


def _ready(name):
    """An enterprise with a usable default seal and signature."""
    ent = enterprise(name)
    seal, sig = make_seal(ent), make_signature(ent)
    assert authorisation.set_default_seal(ent, seal.id, "test") == ""
    assert authorisation.set_default_signature(ent, sig.id, "test") == ""
    return ent, seal, sig


def _submit(app, name):
    ent, seal, sig = _ready(name)
    with app.test_request_context():
        result = authorisation.submit(ent, "王建国")
    assert result.created
    return result.authorisation, seal, sig


def test_an_authorisation_receipt_arrives_through_a_worker_process(app, demo, worker):
    auth, seal, sig = _submit(app, HUADONG)
    exchange = CustomsExchange.get(CustomsExchange.subject_id == auth.id)
    assert exchange.status == S.PENDING and exchange.kind == enums.ExchangeKind.AUTHORISATION
    result = worker.subprocess_burst(queues=("customs",))
    assert result.returncode == 0, result.stderr
    exchange = CustomsExchange.get_by_id(exchange.id)
    auth = Authorisation.get_by_id(auth.id)
    assert exchange.status == S.DONE and exchange.completed_at is not None
    assert json.loads(exchange.response_payload)["ok"] is True
    assert auth.status == enums.ReceiptStatus.SUCCESS and auth.receipt_at is not None
    assert auth.receipt_message == "印章签名授权成功。"
    assert Authorisation.latest_success(auth.enterprise).id == auth.id


def test_a_seal_disabled_before_customs_checks_it_gets_a_failure_receipt(app, demo, worker):
    forget_demo_authorisations()
    auth, seal, sig = _submit(app, HUADONG)
    seal.status = enums.UsageStatus.DISABLED
    seal.save()
    worker.burst(queues=("customs",))
    auth = Authorisation.get_by_id(auth.id)
    assert auth.status == enums.ReceiptStatus.FAILED
    assert auth.receipt_message == "印章【公司章】已停用，授权失败。"
    assert Authorisation.latest_success(auth.enterprise) is None


def test_a_signature_image_changed_after_the_request_fails_with_customs_words(app, demo, worker):
    auth, seal, sig = _submit(app, YUANYANG)
    sig.image_sha256 = "0" * 64
    sig.save()
    worker.burst(queues=("customs",))
    auth = Authorisation.get_by_id(auth.id)
    assert auth.status == enums.ReceiptStatus.FAILED
    assert "图像与申请时不一致" in auth.receipt_message


def test_customs_failing_half_the_calls_converges_with_one_receipt_per_request(app, demo, worker, monkeypatch):
    monkeypatch.setitem(app.config, "SIMULATOR_FAILURE_RATE", 0.5)
    monkeypatch.setitem(HANDLERS, enums.ExchangeKind.ARCHIVE, "customs_helpers.count_receipt")
    auths = [_submit(app, name)[0] for name in (HUADONG, YUANYANG)]
    with app.app_context():
        archives = [exchanges.open_exchange(enums.ExchangeKind.ARCHIVE, 1000 + i, {"number": f"N{i}"})
                    for i in range(12)]
    worker.burst(queues=("customs",))
    rows = list(CustomsExchange.select())
    assert len(rows) == 14 and all(r.status == S.DONE for r in rows)
    assert sum(r.attempts for r in rows) > 2 * len(rows), "the simulator should have failed some calls"
    for exchange in archives:
        assert receipts_applied(exchange.id) == 1
    for auth in auths:
        assert Authorisation.get_by_id(auth.id).status == enums.ReceiptStatus.SUCCESS
    # one request per exchange reached customs, under its own reference
    assert SimulatorMessage.select().where(SimulatorMessage.delivered_at.is_null(False)).count() == 14


def test_running_an_exchange_again_never_applies_its_receipt_twice(app, demo, monkeypatch):
    monkeypatch.setitem(HANDLERS, enums.ExchangeKind.ARCHIVE, "customs_helpers.count_receipt")
    with app.app_context():
        exchange = exchanges.open_exchange(enums.ExchangeKind.ARCHIVE, 7, {"number": "X"})
        queue.redis().flushdb()
    from jobs.customs import run_exchange
    assert run_exchange(exchange.id) == "applied"
    assert run_exchange(exchange.id) == "nothing to do"
    from jobs.customs import apply_receipt
    from coo.customs import Receipt
    with app.app_context():
        assert apply_receipt(exchange.id, Receipt(ok=True)) is False
    assert receipts_applied(exchange.id) == 1


def _sweep(app, worker):
    with app.app_context():
        queue.enqueue("jobs.maintenance.sweep", job_id=f"sweep-{time.monotonic_ns()}")
    worker.burst(queues=("default", "customs"))


def test_a_job_killed_after_sending_is_picked_up_by_the_sweep(app, demo, worker):
    auth, seal, sig = _submit(app, HUADONG)
    exchange = CustomsExchange.get(CustomsExchange.subject_id == auth.id)
    with app.app_context():
        gateway().send(exchange.kind, exchange.external_ref, json.loads(exchange.request_payload))
        queue.redis().flushdb()          # the worker died with its job; Redis lost it too
    long_ago = utcnow() - datetime.timedelta(hours=1)
    CustomsExchange.update(status=S.SENT, updated_at=long_ago, attempts=1).where(
        CustomsExchange.id == exchange.id).execute()
    worker.burst(queues=("customs",))
    assert CustomsExchange.get_by_id(exchange.id).status == S.SENT   # nothing runs it by itself
    _sweep(app, worker)
    assert CustomsExchange.get_by_id(exchange.id).status == S.DONE
    assert Authorisation.get_by_id(auth.id).status == enums.ReceiptStatus.SUCCESS
    assert SimulatorMessage.select().count() == 1


def test_the_sweep_leaves_a_recently_moved_exchange_alone(app, demo, worker):
    auth, seal, sig = _submit(app, HUADONG)
    with app.app_context():
        queue.redis().flushdb()
        from coo.services import sweep
        assert sweep.exchanges() == 0
    exchange = CustomsExchange.get(CustomsExchange.subject_id == auth.id)
    assert exchange.status == S.PENDING


def test_an_exchange_customs_never_received_is_sent_again(app, demo, worker, monkeypatch):
    monkeypatch.setitem(HANDLERS, enums.ExchangeKind.ARCHIVE, "customs_helpers.count_receipt")
    with app.app_context():
        exchange = exchanges.open_exchange(enums.ExchangeKind.ARCHIVE, 9, {"number": "Y"})
        queue.redis().flushdb()
    CustomsExchange.update(status=S.SENT).where(CustomsExchange.id == exchange.id).execute()
    with app.app_context():
        with pytest.raises(UnknownReference):
            gateway().poll(exchange.kind, exchange.external_ref)
        queue.enqueue("jobs.customs.run_exchange", exchange.id, job_id=f"exchange-{exchange.id}",
                      queue_name="customs")
    worker.burst(queues=("customs",))
    row = CustomsExchange.get_by_id(exchange.id)
    assert row.status == S.DONE and receipts_applied(exchange.id) == 1


def _created_hours_ago(exchange, hours):
    CustomsExchange.update(created_at=utcnow() - datetime.timedelta(hours=hours)).where(
        CustomsExchange.id == exchange.id).execute()


def test_an_authorisation_customs_never_received_fails_after_the_limit_and_may_be_resubmitted(
        app, demo, monkeypatch):
    from jobs.customs import run_exchange
    forget_demo_authorisations()
    monkeypatch.setitem(app.config, "SIMULATOR_FAILURE_RATE", 1.0)    # customs unreachable
    auth, seal, sig = _submit(app, HUADONG)
    exchange = CustomsExchange.get(CustomsExchange.subject_id == auth.id)
    with app.app_context():
        queue.redis().flushdb()
    _created_hours_ago(exchange, 5)
    assert run_exchange(exchange.id).startswith("retry")          # within the limit: again later
    assert Authorisation.get_by_id(auth.id).status == enums.ReceiptStatus.PENDING
    _created_hours_ago(exchange, 7)
    assert run_exchange(exchange.id).startswith("gave up")
    row, auth = CustomsExchange.get_by_id(exchange.id), Authorisation.get_by_id(auth.id)
    assert row.status == S.FAILED and row.completed_at is not None and row.last_error
    assert auth.status == enums.ReceiptStatus.FAILED
    assert auth.receipt_message == "连续 6 小时无法连接海关，请求未送达海关，请重新提交。"
    assert run_exchange(exchange.id) == "nothing to do"
    # the enterprise is no longer blocked by a request stuck in 待发送
    with app.test_request_context():
        assert authorisation.submit(auth.enterprise, "王建国").created


def test_an_archive_request_is_retried_however_long_customs_is_unreachable(app, demo, monkeypatch):
    from jobs.customs import run_exchange
    monkeypatch.setitem(HANDLERS, enums.ExchangeKind.ARCHIVE, "customs_helpers.count_receipt")
    monkeypatch.setitem(app.config, "SIMULATOR_FAILURE_RATE", 1.0)
    with app.app_context():
        exchange = exchanges.open_exchange(enums.ExchangeKind.ARCHIVE, 11, {"number": "Z"})
        queue.redis().flushdb()
    _created_hours_ago(exchange, 72)
    assert run_exchange(exchange.id).startswith("retry")
    row = CustomsExchange.get_by_id(exchange.id)
    assert row.status == S.PENDING and row.attempts == 1 and receipts_applied(exchange.id) == 0


def test_open_exchange_refuses_to_enqueue_inside_a_transaction(app, demo):
    from coo.models import database
    with app.app_context(), database.atomic():
        with pytest.raises(RuntimeError):
            exchanges.open_exchange(enums.ExchangeKind.ARCHIVE, 1, {})


def test_the_simulator_is_deterministic_under_its_seed(app):
    from coo.customs.simulator import Simulator
    outcomes = []
    for _ in range(2):
        SimulatorMessage.delete().execute()
        sim = Simulator(seed=7, failure_rate=0.5)
        run = []
        for i in range(20):
            try:
                sim.send("exception", f"REF-{i}", {})
                run.append("ok")
            except GatewayError as error:
                run.append(str(error))
        outcomes.append(run)
    assert outcomes[0] == outcomes[1]
    assert "ok" in outcomes[0] and any(o != "ok" for o in outcomes[0])
    other = Simulator(seed=8, failure_rate=0.5)
    SimulatorMessage.delete().execute()
    run = []
    for i in range(20):
        try:
            other.send("exception", f"REF-{i}", {})
            run.append("ok")
        except GatewayError as error:
            run.append(str(error))
    assert run != outcomes[0]


def test_the_simulator_holds_the_receipt_until_its_delay_has_passed(app):
    from coo.customs.simulator import Simulator
    sim = Simulator(receipt_delay_s=3600)
    sim.send("exception", "REF-late", {"number": "E1"})
    sim.send("exception", "REF-late", {"number": "changed"})     # idempotent by reference
    assert sim.poll("exception", "REF-late") is None
    row = SimulatorMessage.get(SimulatorMessage.reference == "REF-late")
    assert json.loads(row.payload) == {"number": "E1"}
    SimulatorMessage.update(answer_at=utcnow() - datetime.timedelta(seconds=1)).execute()
    receipt = sim.poll("exception", "REF-late")
    assert receipt.ok and receipt.message == "异常处理申请接收成功。"
    assert sim.poll("exception", "REF-late") == receipt


# --- the signed HTTP client against a real server ------------------------------------------

class FakeCustoms(BaseHTTPRequestHandler):
    """A small customs gateway: verifies every signature, answers like the simulator."""
    key = "shared-test-key"
    redis_url = ""
    fail_first = 0
    delay_s = 0.0
    messages: dict = {}
    seen: list = []

    def log_message(self, *args):
        pass

    def _reply(self, status, body):
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _handle(self):
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        try:
            signing.verify(self.key, self.command, self.path, body, self.headers, window=300,
                           remember=signing.redis_nonces(Redis.from_url(self.redis_url)))
        except signing.SignatureError as error:
            return self._reply(401, {"error": error.code, "message": error.message})
        cls = type(self)
        cls.seen.append((self.command, self.path, self.headers[signing.NONCE]))
        if cls.delay_s:
            time.sleep(cls.delay_s)
        if cls.fail_first > 0:
            cls.fail_first -= 1
            return self._reply(503, {"message": "busy"})
        if self.command == "POST":
            message = json.loads(body)
            cls.messages.setdefault(message["reference"], message)
            return self._reply(202, {"accepted": True})
        _, _, kind, reference = self.path.strip("/").split("/")
        if reference not in cls.messages:
            return self._reply(404, {"message": "unknown reference"})
        return self._reply(200, {"state": "answered", "receipt": {
            "ok": True, "message": "印章签名授权成功。", "at": "2026-11-26T08:00:00+00:00", "data": {}}})

    do_GET = do_POST = _handle


@pytest.fixture
def fake_customs(redis_url):
    FakeCustoms.redis_url = redis_url
    FakeCustoms.fail_first, FakeCustoms.delay_s = 0, 0.0
    FakeCustoms.messages, FakeCustoms.seen = {}, []
    server = ThreadingHTTPServer(("127.0.0.1", 0), FakeCustoms)
    # Join handler threads at close: a slow request of this test must not write into the next
    # test's (class-level) message book.
    server.daemon_threads = False
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_http_client_signs_retries_a_503_and_reads_the_receipt(app, fake_customs):
    FakeCustoms.fail_first = 2
    client = HttpGateway(fake_customs, FakeCustoms.key, timeout_s=2, retries=3, backoff_s=0.01)
    client.send("authorisation", "AUTH-1", {"seal": {"id": 1}})
    assert len(FakeCustoms.seen) == 3                       # two 503s, then accepted
    assert len({nonce for _, _, nonce in FakeCustoms.seen}) == 3   # each retry signed afresh
    receipt = client.poll("authorisation", "AUTH-1")
    assert receipt.ok and receipt.message == "印章签名授权成功。"
    assert receipt.at == datetime.datetime(2026, 11, 26, 8, 0)
    with pytest.raises(UnknownReference):
        client.poll("authorisation", "AUTH-unknown")


def test_http_client_with_the_wrong_key_is_refused_without_retrying(app, fake_customs):
    client = HttpGateway(fake_customs, "not-the-key", timeout_s=2, retries=3, backoff_s=0.01)
    with pytest.raises(GatewayError, match="401"):
        client.send("authorisation", "AUTH-2", {})
    assert FakeCustoms.seen == [] and FakeCustoms.messages == {}


def test_http_client_times_out_and_reports_a_gateway_error(app, fake_customs):
    FakeCustoms.delay_s = 1.0
    client = HttpGateway(fake_customs, FakeCustoms.key, timeout_s=0.2, retries=1, backoff_s=0.01)
    with pytest.raises(GatewayError, match="无法连接海关网关"):
        client.send("authorisation", "AUTH-3", {})


def test_http_client_gives_up_after_retries_when_nobody_listens(app):
    import socket
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    client = HttpGateway(f"http://127.0.0.1:{port}", "k", timeout_s=0.5, retries=2, backoff_s=0.01)
    with pytest.raises(GatewayError, match="无法连接海关网关"):
        client.poll("archive", "ARCH-1")


def test_an_authorisation_goes_through_the_http_gateway_on_a_worker(app, demo, worker, fake_customs, monkeypatch):
    monkeypatch.setitem(app.config, "CUSTOMS_GATEWAY", "http")
    monkeypatch.setitem(app.config, "CUSTOMS_HTTP_BASE_URL", fake_customs)
    monkeypatch.setitem(app.config, "CUSTOMS_SHARED_KEY", FakeCustoms.key)
    FakeCustoms.fail_first = 1
    auth, seal, sig = _submit(app, HUADONG)
    worker.burst(queues=("customs",))
    assert Authorisation.get_by_id(auth.id).status == enums.ReceiptStatus.SUCCESS
    assert len(FakeCustoms.messages) == 1, FakeCustoms.messages
    (reference, message), = FakeCustoms.messages.items()
    assert message["kind"] == "authorisation" and message["payload"]["seal"]["name"] == "公司章"


def test_gateway_factory_picks_by_configuration(app, monkeypatch):
    from coo.customs.simulator import Simulator
    with app.app_context():
        assert isinstance(gateway(), Simulator)
        monkeypatch.setitem(app.config, "CUSTOMS_GATEWAY", "http")
        monkeypatch.setitem(app.config, "CUSTOMS_HTTP_BASE_URL", "https://customs.example/gw")
        assert isinstance(gateway(), HttpGateway)
        monkeypatch.setitem(app.config, "CUSTOMS_GATEWAY", "carrier-pigeon")
        with pytest.raises(ValueError):
            gateway()


# --- signatures -----------------------------------------------------------------------------

def test_signature_rules(app):
    from coo.customs.nonces import remember   # what our endpoint remembers nonces with
    body = b'{"number": "E1"}'
    headers = signing.sign("k", "POST", "/api/x", body)
    signing.verify("k", "POST", "/api/x", body, headers, window=300, remember=remember)
    with pytest.raises(signing.SignatureError) as replay:
        signing.verify("k", "POST", "/api/x", body, headers, window=300, remember=remember)
    assert replay.value.code == "replayed_nonce"
    for key, path, data, code in [("other", "/api/x", body, "bad_signature"),
                                  ("k", "/api/y", body, "bad_signature"),
                                  ("k", "/api/x", body + b" ", "bad_signature")]:
        fresh = signing.sign("k", "POST", "/api/x", body)
        with pytest.raises(signing.SignatureError) as error:
            signing.verify(key, "POST", path, data, fresh, window=300, remember=remember)
        assert error.value.code == code
    old = signing.sign("k", "POST", "/api/x", body, timestamp=time.time() - 301)
    with pytest.raises(signing.SignatureError) as stale:
        signing.verify("k", "POST", "/api/x", body, old, window=300, remember=remember)
    assert stale.value.code == "stale_timestamp"
    with pytest.raises(signing.SignatureError) as missing:
        signing.verify("k", "POST", "/api/x", body, {}, window=300, remember=remember)
    assert missing.value.code == "missing_signature"
