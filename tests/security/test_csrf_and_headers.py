"""CSRF on every POST a browser makes, token/HMAC authentication on the machine endpoints, and
the security headers on every GET route. Generated from the URL map."""
import time

from coo.customs import signing
from coo.models import AuditEvent, Certificate, PrintControl, PrintJob

from .conftest import Actor, log_in
from .routes import PUBLIC, choice, converter_kind, csrf_exempt, is_ops, routes
from .test_isolation_matrix import own_values

BROWSER_HEADERS = ("Content-Security-Policy", "X-Content-Type-Options", "X-Frame-Options", "Referrer-Policy")


def _url(route, world, key="A"):
    values = {}
    for name, converter in route.arguments:
        if (name, converter) in route.id_arguments and not is_ops(route):
            own = own_values(world, key, route.kind_of(name, converter) or "")
            values[name] = own[0] if own else 2_000_000_000
        else:
            values[name] = choice(name, converter) or (0 if converter_kind(converter) == "int" else "default")
    return route.build(values)


def test_every_browser_post_without_a_csrf_token_is_400(app, client, actions, world, demo):
    log_in(client, actions, world, Actor("A"), demo.DEMO_PIN)
    posts = [r for r in routes(app) if "POST" in r.methods and not csrf_exempt(app, r)]
    assert any(r.endpoint == "auth.logout" for r in posts)
    problems = []
    for route in posts:
        url = _url(route, world)
        for headers in ({}, {"HX-Request": "true"}):
            response = client.post(url, data={}, headers=headers)
            if response.status_code != 400:
                problems.append(f"POST {url} {headers} -> {response.status_code}")
        wrong = client.post(url, data={"csrf_token": "forged"}, headers={"X-CSRFToken": "forged"})
        if wrong.status_code != 400:
            problems.append(f"POST {url} with a forged token -> {wrong.status_code}")
    assert not problems, "\n".join(problems)
    # Still logged in: none of the refused posts (退出 among them) did anything.
    assert client.get("/home").status_code == 200


def test_machine_endpoints_refuse_requests_without_their_credentials(app, client, actions, world, demo):
    """The customs API (HMAC) and the print-control API (token) are exempt from CSRF because they
    authenticate every request themselves: without credentials, with forged ones, and with a
    logged-in browser's session cookie (the CSRF case) they refuse (401/403), or answer 404, and
    change nothing."""
    exempt = [r for r in routes(app) if csrf_exempt(app, r) and r.endpoint not in PUBLIC]
    # Exempt are the machine APIs and the RQ dashboard (tested below), nothing else.
    assert all(r.path.startswith("/api/") or is_ops(r) for r in exempt), [str(r) for r in exempt]
    machine = [r for r in exempt if r.path.startswith("/api/")]
    assert {r.path.split("/")[2] for r in machine} == {"customs", "printcontrol"}
    forged = {"Authorization": "Bearer forged-token", signing.TIMESTAMP: str(int(time.time())),
              signing.NONCE: "0123456789abcdef", signing.SIGNATURE: "0" * 64}
    def state():   # (the browser login itself is audited: leave it out)
        return (Certificate.select().count(), PrintControl.select().count(), PrintJob.select().count(),
                AuditEvent.select().where(AuditEvent.action != "login").count())
    before = state()
    problems = []
    for logged_in in (False, True):
        if logged_in:
            log_in(client, actions, world, Actor("A"), demo.DEMO_PIN)
        for route in machine:
            url = _url(route, world)
            for method in route.methods:
                for headers in ({}, forged):
                    response = client.open(url, method=method, json={"code": "000000", "number": "x"},
                                           headers=headers)
                    if response.status_code not in (401, 403, 404):
                        problems.append(f"{method} {url} {sorted(headers)} logged in={logged_in} "
                                        f"-> {response.status_code}")
    assert not problems, "\n".join(problems)
    assert state() == before


def test_the_rq_dashboard_changes_nothing_from_another_origin(client, actions, demo):
    """rq-dashboard posts by AJAX without our CSRF token (its blueprint is exempt): a logged-in
    ops user's browser must still refuse a post from another site, and 全部重新入队 by a link."""
    assert actions.login_password("ops", demo.OPS_PASSWORD).status_code == 303
    url = "/ops/rq/requeue/default"
    for headers in ({}, {"Origin": "https://evil.example"}, {"Referer": "https://evil.example/page"}):
        assert client.post(url, headers=headers).status_code == 403, headers
    assert client.post("/ops/rq/queue/default/compact", headers={"Origin": "https://evil.example"}).status_code == 403
    assert client.get(url).status_code == 405
    # The dashboard's own buttons (same origin) still work.
    assert client.post(url, headers={"Origin": "http://localhost"}).status_code == 200
    assert client.post(url, headers={"Referer": "http://localhost/ops/rq/"}).status_code == 200


def _check_headers(response, url, problems):
    for header in BROWSER_HEADERS:
        if header not in response.headers:
            problems.append(f"{url} ({response.status_code}): no {header}")
    csp = response.headers.get("Content-Security-Policy", "")
    if "frame-ancestors 'none'" not in csp:
        problems.append(f"{url}: CSP without frame-ancestors 'none': {csp}")
    if "HX-Request" not in response.headers.get("Vary", ""):
        problems.append(f"{url}: no Vary: HX-Request")
    response.close()   # file responses (static, downloads) hold their file open until closed


def test_security_headers_on_every_get_route(app, client, actions, world, demo):
    gets = [r for r in routes(app) if "GET" in r.methods]
    problems = []
    for route in gets:   # anonymous: the login redirect and public pages carry them too
        _check_headers(client.get(_url(route, world)), _url(route, world), problems)
    log_in(client, actions, world, Actor("A"), demo.DEMO_PIN)
    for route in gets:
        url = _url(route, world)
        response = client.get(url)
        cache = response.headers.get("Cache-Control", "")
        # Only static files and a public route's deliberately public answer may be cached.
        if route.endpoint != "static" and response.status_code == 200 and "no-store" not in cache \
                and not (route.endpoint in PUBLIC and cache.startswith("public")):
            problems.append(f"{url}: an enterprise response ({response.mimetype}) without Cache-Control: no-store")
        _check_headers(response, url, problems)
    actions.logout()
    actions.login_password("ops", demo.OPS_PASSWORD)
    for route in gets:   # (the RQ dashboard's data URLs with made-up ids raise inside rq-dashboard)
        if is_ops(route) and not route.arguments:
            url = _url(route, world)
            _check_headers(client.get(url, follow_redirects=True), url, problems)
    assert not problems, "\n".join(problems)


def test_error_pages_carry_the_headers_too(client):
    response = client.get("/no-such-page")
    assert response.status_code == 404
    problems = []
    _check_headers(response, "/no-such-page", problems)
    assert not problems
