"""CSRF on every POST a browser makes, token/HMAC authentication on the machine endpoints, and
the security headers on every GET route. Generated from the URL map."""
from .conftest import Actor, log_in
from .routes import PUBLIC, choice, converter_kind, csrf_exempt, id_kind, is_ops, routes
from .test_isolation_matrix import own_values

BROWSER_HEADERS = ("Content-Security-Policy", "X-Content-Type-Options", "X-Frame-Options", "Referrer-Policy")


def _url(route, world, key="A"):
    values = {}
    for name, converter in route.arguments:
        if (name, converter) in route.id_arguments and not is_ops(route):
            own = own_values(world, key, id_kind(name, converter) or "")
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


def test_machine_endpoints_refuse_requests_without_their_credentials(app, client, world):
    """The customs API and the print-control API are exempt from CSRF because they authenticate
    every request by token or HMAC: without one they refuse (401/403), or do not exist (404)."""
    problems = []
    for route in routes(app):
        if not csrf_exempt(app, route) or route.endpoint in PUBLIC:
            continue
        url = _url(route, world)
        for method in route.methods:
            response = client.open(url, method=method, json={}, follow_redirects=True)
            if response.status_code not in (401, 403, 404):
                problems.append(f"{method} {url} -> {response.status_code}")
    assert not problems, "\n".join(problems)


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
        if response.mimetype == "text/html" and response.status_code == 200 \
                and "no-store" not in response.headers.get("Cache-Control", ""):
            problems.append(f"{url}: an enterprise page without Cache-Control: no-store")
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
