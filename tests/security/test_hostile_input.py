"""SPEC section 6: no input, however crafted, gets a 5xx. Bad ids are 404, bad fields the form's
422 (or 400 for a NUL byte), never 500.

Generated from the URL map, like the isolation matrix: every registered route, every method,
is sent every hostile value below in its path arguments, its query arguments and its form fields
(with a valid CSRF token), as the demo's legal person, as ops for the ops pages, and with no login
for the public and machine routes. A route added later is covered the moment it is registered.

Which argument names to fill is not a hand list either: the names every template's form fields
and every `request.args/form.get("…")` in `coo/` use, and those the route was seen reading (the
request's argument dicts record each name looked up). Each name is sent alone too (with the other
id-like fields set to a row the user owns), so a route that stops at its first bad field cannot
hide the second.
"""
import json
import re
from pathlib import Path
from urllib.parse import quote, quote_from_bytes

import pytest
from flask import Request
from werkzeug.datastructures import ImmutableMultiDict
from werkzeug.routing import AnyConverter, IntegerConverter, PathConverter

from coo.customs import signing

from printing_support import paired_control
from test_intake import URL as CUSTOMS_URL, record

from .conftest import CARDS
from .routes import PUBLIC, choice, csrf_exempt, is_ops, routes
from .test_isolation_matrix import own_values

ROOT = Path(__file__).resolve().parents[2]

BIG = "100 kB"
# The hand list: hostile values (str, or bytes for what is not UTF-8), by what they test.
HOSTILE = {
    "superscript two (isdigit, not int)": "²",
    "arabic-indic digit": "١٢",
    "full-width digits": "１２",
    "ID-number shaped, one superscript digit": "11010119900101²23X",
    "beyond 64 bits": "99999999999999999999",
    "5,000 digits": "9" * 5000,
    "zero": "0",
    "negative": "-1",
    "year 1": "0001-01-01",
    "year 9999": "9999-12-31",
    "infinity": "inf",
    "not a number": "nan",
    "chinese": "中",
    "NUL byte": "1\x00",
    "invalid UTF-8": b"\xff\xfe",
    BIG: "9" * 100_000,
    "markup": "<script>x</script>'\"",
}
# Values an HTTP header carries as latin-1 (what a server decodes UTF-8 bytes to).
HOSTILE_HEADERS = {
    "chinese": "中".encode().decode("latin-1"),
    "superscript two": "²".encode().decode("latin-1"),
    "beyond 64 bits": "99999999999999999999",
    "long": "f" * 8000,
    "invalid UTF-8": "\xff\xfe",
}
# Headers our code reads (machine authentication, htmx).
HEADERS = (signing.TIMESTAMP, signing.NONCE, signing.SIGNATURE, "Authorization", "HX-Request",
           "HX-Current-URL", "HX-Target", "Origin", "Referer", "X-Forwarded-For")

# Form fields that name a row: the base value is a row the user owns, so the other fields are
# parsed too. Argument name -> kind of row (tests/security/routes.py's kinds).
ID_FIELDS = {"certificate": "certificate", "ids": "certificate", "seal_id": "seal",
             "signature_id": "signature", "owner_id": "card_holder", "declarant_id": "operator",
             "grant_id": "grant", "principal_id": "principal", "operator_id": "operator",
             "enterprise": "enterprise", "selected": "certificate_number", "number": "certificate_number"}


# --- Which names to fill --------------------------------------------------------------------------

def harvested_names() -> set[str]:
    names = set()
    for path in (ROOT / "templates").rglob("*.html"):
        names |= set(re.findall(r'\bname="([A-Za-z_][\w-]*)"', path.read_text(encoding="utf-8")))
    for path in (ROOT / "coo").rglob("*.py"):
        if "printcontrol" in path.parts:
            continue
        text = path.read_text(encoding="utf-8")
        names |= set(re.findall(r'\.(?:get|getlist)\(\s*["\'](\w+)["\']', text))
    # Lower-case names only: upper-case `.get("…")` keys are settings and headers, not fields.
    return {n for n in names if n.islower()} - {"csrf_token"}


class _Recording(ImmutableMultiDict):
    """The request's args/form, noting each name a route looks up (`seen`)."""
    seen: set = set()

    def get(self, key, *args, **kwargs):
        _Recording.seen.add(key)
        return super().get(key, *args, **kwargs)

    def getlist(self, key, *args, **kwargs):
        _Recording.seen.add(key)
        return super().getlist(key, *args, **kwargs)

    def __getitem__(self, key):
        _Recording.seen.add(key)
        return super().__getitem__(key)

    def __contains__(self, key):
        _Recording.seen.add(key)
        return super().__contains__(key)

    def to_dict(self, flat=True):
        return _RecordingDict(super().to_dict(flat))


class _RecordingDict(dict):
    def get(self, key, *args):
        _Recording.seen.add(key)
        return super().get(key, *args)

    def pop(self, key, *args):
        _Recording.seen.add(key)
        return super().pop(key, *args)

    def __getitem__(self, key):
        _Recording.seen.add(key)
        return super().__getitem__(key)


@pytest.fixture
def recording():
    before = Request.parameter_storage_class
    Request.parameter_storage_class = _Recording
    try:
        yield _Recording.seen
    finally:
        Request.parameter_storage_class = before


# --- Building requests ------------------------------------------------------------------------

def _encode(value) -> str:
    return quote_from_bytes(value, safe="") if isinstance(value, bytes) else quote(value, safe="")


def _pairs(fields: dict) -> str:
    return "&".join(f"{_encode(k)}={_encode(v)}" for k, v in fields.items())


def _placeholder(i, converter):
    return 987_654_300 + i if isinstance(converter, IntegerConverter) else f"zzarg{i}zz"


def _path(route, values: dict) -> str:
    """The route's URL with `values` in its path arguments (percent-encoded as sent); arguments
    without a value take their first choice or "x". `any(…)` arguments keep their choice: no
    other value can match them."""
    build, replace = {}, {}
    for i, (name, converter) in enumerate(route.arguments):
        if isinstance(converter, AnyConverter):
            build[name] = choice(name, converter)
            continue
        build[name] = _placeholder(i, converter)
        value = values.get(name, choice(name, converter) or "x")
        safe = "/" if isinstance(converter, PathConverter) else ""
        encoded = (quote_from_bytes(value, safe=safe) if isinstance(value, bytes)
                   else quote(str(value), safe=safe))
        replace[str(build[name])] = encoded
    built = route.build(build)
    for placeholder, encoded in replace.items():
        built = built.replace(placeholder, encoded, 1)
    return built


# The one 5xx that is an answer: /healthz says 503 when the node is unhealthy (no worker runs
# in this test), which is what load balancers read.
EXPECTED_5XX = {"/healthz": 503}


class Sender:
    def __init__(self, client, token, problems, environ=None):
        self.client, self.token, self.problems, self.environ = client, token, problems, environ
        self.sent = 0

    def send(self, method, path, fields=None, headers=None, json_body=None, label=""):
        query = _pairs(fields) if fields and method == "GET" else ""
        url = f"{path}?{query}" if query else path
        kwargs = {"headers": headers or {}}
        if self.environ:
            kwargs["environ_base"] = self.environ()
        if method != "GET":
            if json_body is not None:
                kwargs.update(data=json.dumps(json_body), content_type="application/json")
            else:
                body = {"csrf_token": self.token, **(fields or {})}
                kwargs.update(data=_pairs(body), content_type="application/x-www-form-urlencoded")
        self.sent += 1
        try:
            response = self.client.open(url, method=method, **kwargs)
        except Exception as error:  # the test app propagates what would be a 500
            self.problems.append(f"{method} {url[:160]} [{label}] -> {type(error).__name__}: {str(error)[:120]}")
            return 500
        status = response.status_code
        response.close()
        if status >= 500 and EXPECTED_5XX.get(path) != status:
            self.problems.append(f"{method} {url[:160]} [{label}] -> {status}")
        return status


def _own(world, kind):
    if kind == "card_holder":
        from coo.models import Card
        return [Card.get_by_id(world.rows[("card", "A")][0]).holder_id]
    return own_values(world, "A", kind)


def _base_fields(world, names):
    base = {}
    for name in names:
        kind = ID_FIELDS.get(name)
        if kind:
            own = _own(world, kind)
            if own:
                base[name] = str(own[0])
    return base


def _path_values(world, route):
    """Path arguments: each id-like one the user's own row, the others their first choice."""
    values = {}
    for name, converter in route.arguments:
        own = own_values(world, "A", route.kind_of(name, converter) or "") if route.kind_of(name, converter) else []
        if own:
            values[name] = own[0]
    return values


def fuzz_route(sender, route, world, names, seen, extra_headers=None):
    path_own = _path_values(world, route)
    for method in route.methods:
        # What the route reads: looked up by a request with no fields, and by one with the
        # user's own rows in the id-like fields (so it gets past "pick a certificate first").
        url = _path(route, path_own)
        seen.clear()
        sender.send(method, url, {}, label="probe", headers=extra_headers)
        sender.send(method, url, _base_fields(world, ID_FIELDS), label="probe", headers=extra_headers)
        read = sorted(seen - {"csrf_token"})
        # 1. Path arguments, one at a time (the others the user's own).
        for name, converter in route.arguments:
            if isinstance(converter, AnyConverter):
                continue
            for label, value in HOSTILE.items():
                sender.send(method, _path(route, {**path_own, name: value}), label=f"path {name}: {label}",
                            headers=extra_headers)
        # 2. Every known name at once, one value at a time (100 kB only name by name, below).
        for label, value in HOSTILE.items():
            if label == BIG:
                continue
            sender.send(method, url, {n: value for n in names}, label=f"all fields: {label}",
                        headers=extra_headers)
        # 3. Each name the route read, alone, over a base of the user's own rows.
        base = _base_fields(world, read)
        for name in read:
            for label, value in HOSTILE.items():
                sender.send(method, url, {**base, name: value}, label=f"{name}: {label}",
                            headers=extra_headers)


def _token(client, path):
    html = client.get(path).get_data(as_text=True)
    match = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert match, path
    return match.group(1)


def _ordered(found):
    # 退出 last: it ends the login the other routes need.
    return sorted(found, key=lambda r: r.endpoint == "auth.logout")


def test_no_route_answers_5xx_to_hostile_input(app, world, demo, recording):
    names = harvested_names()
    assert {"page", "ids", "certificate", "date_from", "no", "code", "wait"} <= names, names
    problems, routes_seen = [], 0
    every = routes(app)
    machine = [r for r in every if csrf_exempt(app, r) and not is_ops(r)]
    public = [r for r in every if r.endpoint in PUBLIC]

    # The legal person of 浙江华东 (卡介质登录), on every enterprise route and the public ones.
    client = app.test_client()
    assert client.post("/login/card", data={"card_number": CARDS["A"], "pin": demo.DEMO_PIN,
                                             "csrf_token": _token(client, "/login")}).status_code == 303
    sender = Sender(client, _token(client, "/home"), problems)
    for route in _ordered(r for r in every if not is_ops(r) and r not in machine
                          and r.endpoint not in ("auth.login_card", "auth.login_password")):
        fuzz_route(sender, route, world, names, recording)
        routes_seen += 1

    # Ops, on the ops pages (the RQ dashboard included).
    client = app.test_client()
    assert client.post("/login/password", data={"username": "ops", "password": demo.OPS_PASSWORD,
                                                 "csrf_token": _token(client, "/login")}).status_code == 303
    sender = Sender(client, _token(client, "/ops/"), problems)
    for route in (r for r in every if is_ops(r)):
        fuzz_route(sender, route, world, names, recording,
                   extra_headers={"Origin": "http://localhost"})
        routes_seen += 1

    # No login: the public routes and the machine APIs, each request from its own address
    # (the per-address rate limits would otherwise answer before the parsers are reached).
    addresses = iter(range(1, 10 ** 7))

    def environ():
        n = next(addresses)
        return {"REMOTE_ADDR": f"10.{n >> 16 & 255}.{n >> 8 & 255}.{n & 255}"}

    client = app.test_client()
    sender = Sender(client, _token(client, "/login"), problems, environ=environ)
    _, control_token = paired_control()
    for route in public + machine:
        # The print control's API answers only its token: give it one, so the parsers are reached.
        auth = {"Authorization": f"Bearer {control_token}"} if route.path.startswith("/api/printcontrol/") else None
        fuzz_route(sender, route, world, names, recording, extra_headers=auth)
        routes_seen += 1
        for method in route.methods:
            url = _path(route, {})
            for label, value in HOSTILE_HEADERS.items():
                sender.send(method, url, headers={h: value for h in HEADERS}, label=f"headers: {label}")
                for header in HEADERS:
                    sender.send(method, url, headers={**(auth or {}), header: value}, label=f"{header}: {label}")
            if method != "GET":
                for label, value in HOSTILE.items():
                    if isinstance(value, str):
                        for body in ({n: value for n in names}, {"printers": [value], "ok": value, "code": value}):
                            sender.send(method, url, json_body=body, headers=auth, label=f"json: {label}")

    assert routes_seen >= len(every), "a route was left out of the passes"
    assert sender.sent > 0
    assert not problems, f"{len(problems)} requests got a 5xx:\n" + "\n".join(problems[:60])


def test_the_customs_api_answers_signed_hostile_records_without_5xx(app, client, demo):
    """The customs API behind a valid signature: every field of a valid record, in turn, holds
    each hostile value (and the record itself is replaced by one): a 4xx, never a 5xx."""
    key = app.config["CUSTOMS_SHARED_KEY"]
    problems = []

    def post(body):
        data = json.dumps(body, ensure_ascii=False).encode()
        headers = {**signing.sign(key, "POST", CUSTOMS_URL, data), "Content-Type": "application/json"}
        status = client.post(CUSTOMS_URL, data=data, headers=headers).status_code
        if status >= 500:
            problems.append(f"{json.dumps(body, ensure_ascii=False)[:160]} -> {status}")
        return status

    base = record()
    for n, field in enumerate(base):
        for label, value in HOSTILE.items():
            if isinstance(value, str):
                post({**record(f"E2633015{n:04d}{len(problems):04d}"), field: value})
        post({**record(), field: [1, {"x": None}]})
    for label, value in HOSTILE.items():
        if isinstance(value, str):
            post(value)
            post([value])
    goods = base.get("goods") or []
    if goods:
        for field in goods[0]:
            for label, value in HOSTILE.items():
                if isinstance(value, str):
                    post({**record(), "goods": [{**goods[0], field: value}]})
    assert not problems, "\n".join(problems[:40])


# --- The cases the production review found, one by one, with what the user sees ------------------

@pytest.mark.parametrize("path", ["/certificates/", "/downloads/", "/exceptions/", "/exceptions/?tab=records",
                                  "/account/audit"])
def test_a_crafted_page_number_is_the_forms_422(client, legal_person, path):
    for page in ("²", "99999999999999999999", "0", "-1"):
        response = client.get(f"{path}{'&' if '?' in path else '?'}page={quote(page)}")
        assert response.status_code == 422, (path, page)
        assert "页码应为正整数" in response.get_data(as_text=True)


def test_ids_beyond_64_bits_are_404_not_an_overflow(client, legal_person):
    for path in ("/downloads/99999999999999999999/copy", "/printing/certificates/99999999999999999999/copy.pdf",
                 "/certificates/exports/9223372036854775808", "/seals/99999999999999999999/image.png"):
        assert client.get(path).status_code == 404, path
    # The largest id there can be is looked up (and is nobody's).
    assert client.get("/downloads/9223372036854775807/copy").status_code == 404


@pytest.mark.parametrize("path,arg,label", [
    ("/exceptions/", "applied_from", "异常申请日期"), ("/exceptions/?tab=records", "applied_to", "异常申请日期"),
    ("/certificates/", "issued_from", "签发日期"), ("/account/audit", "date_to", "操作日期"),
])
def test_dates_out_of_range_are_the_forms_422(client, legal_person, path, arg, label):
    for day in ("0001-01-01", "9999-12-31"):
        response = client.get(f"{path}{'&' if '?' in path else '?'}{arg}={day}")
        html = response.get_data(as_text=True)
        assert response.status_code == 422, (path, day)
        assert f"{label}的" in html and "日期应在 1900-01-01 至 2999-12-31 之间" in html


def test_the_ops_audit_refuses_out_of_range_dates(client, ops):
    response = client.get("/ops/audit?date_from=0001-01-01&enterprise=%C2%B2")
    html = response.get_data(as_text=True)
    assert response.status_code == 422 and "日期应在" in html and "企业选择无效" in html


def test_print_ids_that_are_no_ids_are_404(client, legal_person, actions):
    for ids in ("²", "9" * 5000, "99999999999999999999"):
        response = actions.post("/printing/jobs", {"ids": ids, "kind": "original"}, token_from="/certificates/")
        assert response.status_code == 404, ids
    from coo.models import PrintJob
    assert PrintJob.select().count() == 0


def test_exception_apply_with_a_crafted_certificate(client, legal_person, actions):
    response = client.get("/exceptions/apply?certificate=%C2%B2")
    assert response.status_code == 303 and response.headers["Location"].endswith("/exceptions/")
    assert "请先勾选一条已打印的证书" in client.get("/exceptions/").get_data(as_text=True)
    assert actions.post("/exceptions/apply", {"certificate": "²", "reason": "paper_jam"},
                        token_from="/exceptions/").status_code == 404


def test_verify_compares_a_non_ascii_code(client, app, demo):
    response = client.get("/verify?no=E263301500000001&code=%E4%B8%AD")
    assert response.status_code == 200
    assert "未查询到该证书" in response.get_data(as_text=True)


def test_customs_api_refuses_a_non_ascii_signature(client, app):
    data = json.dumps(record()).encode()
    headers = signing.sign(app.config["CUSTOMS_SHARED_KEY"], "POST", CUSTOMS_URL, data)
    headers[signing.SIGNATURE] = "中".encode().decode("latin-1")
    response = client.post(CUSTOMS_URL, data=data, headers={**headers, "Content-Type": "application/json"})
    assert response.status_code == 401 and response.get_json()["error"] == "bad_signature"


def test_a_long_poll_wait_that_is_no_number_of_seconds_is_422(client, app, demo):
    _, token = paired_control()
    for wait in ("inf", "nan", "-1", "1e400", "²"):
        response = client.get(f"/api/printcontrol/v1/jobs/next?wait={quote(wait)}",
                              headers={"Authorization": f"Bearer {token}"})
        assert response.status_code == 422 and response.get_json()["error"] == "bad_wait", wait
    response = client.get("/api/printcontrol/v1/jobs/next?wait=0", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 204


def test_a_nul_byte_is_refused_before_any_route(client, legal_person):
    # In a value, in a name, after other arguments; a literal "%00" typed into a field arrives
    # as %2500 and is only text.
    for url in ("/certificates/?number=E26%00", "/certificates/?n%00=1", "/certificates/?type=E&invoice=a%00b"):
        response = client.get(url)
        assert response.status_code == 400 and "无效字符" in response.get_data(as_text=True), url
    response = client.get("/certificates/?invoice=%2500", headers={"HX-Request": "true"})
    assert response.status_code == 200 and "无效字符" not in response.get_data(as_text=True)
    # In a JSON body (the print control's API), a name or a nested value.
    for body in ({"code": "12\u0000"}, {"a\u0000": 1}, {"list": [{"deep": "x\u0000"}]}):
        response = client.post("/api/printcontrol/v1/pair", json=body)
        assert response.status_code == 400 and "无效字符" in response.get_json()["message"], body


def test_verify_while_redis_is_down_answers_please_retry(test_env, demo):
    """A real Redis URL where no Redis listens: the rate limiter fails safe (refuses), no 500."""
    import socket
    from coo import create_app
    from coo.models import database
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        down = f"redis://127.0.0.1:{s.getsockname()[1]}/0"
    bound = database.obj
    database.close()
    try:
        app = create_app("test", DATABASE_URL=test_env["TEST_DATABASE_URL"], REDIS_URL=down,
                         STORAGE_PATH=test_env["COO_STORAGE_PATH"], RQ_DASHBOARD_REDIS_URL=down)
        response = app.test_client().get("/verify?no=E263301500000001&code=ABCDEF")
    finally:
        if not database.is_closed():
            database.close()
        database.initialize(bound)      # the suite's database object again
    assert response.status_code == 429
    assert "请一分钟后再试" in response.get_data(as_text=True)
