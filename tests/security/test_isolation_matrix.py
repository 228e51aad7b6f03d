"""SPEC section 6, isolation: a user sees and touches only their enterprise's data, or, as an
agent, exactly the certificates it declared for an enterprise that authorised it. Any other id
gets 404.

The matrix is generated from the URL map: every route with an id-like argument, every method,
for every actor of the world fixture (two exporters, the authorised agent in its own and in the
principal's view, the unauthorised agent), with every id that actor must not reach. A new route
is in the matrix the moment it is registered.
"""
import pytest

from coo.models import Certificate

from .conftest import ACTORS, Actor, log_in, own_certificates
from .routes import (
    PUBLIC, choice, converter_kind, csrf_exempt, is_ops, routes,
)

# Enterprises with a relation: what one may see of the other is decided row by row (the
# certificate rule), so for the other kinds of rows the matrix only uses unrelated owners.
RELATED = {frozenset("AX")}
MISSING_INT, MISSING_STR = 2_000_000_000, "no-such-row"

# Routes where even the owner may get 404 for the world's rows, with the reason.
OWNER_MAY_404 = {}


def matrix_routes(app):
    return [r for r in routes(app)
            if r.endpoint not in PUBLIC and r.id_arguments and not csrf_exempt(app, r) and not is_ops(r)]


def ops_routes(app):
    return [r for r in routes(app) if is_ops(r)]


def _unrelated(a, b):
    return a != b and frozenset((a, b)) not in RELATED


def foreign_certificates(world, actor: Actor):
    ents = world.enterprises
    own = ents[actor.key]
    picks = []
    for key in ("A", "B"):
        if actor.acting_for == key and actor.key == "X":
            # In A's view X sees what X declared for A since the grant: not what A declared itself.
            picks.append(Certificate.select().where((Certificate.exporter == ents["A"])
                                                    & (Certificate.applicant == ents["A"])).first())
            continue
        if ents[key] != own:
            picks.append(Certificate.select().where(Certificate.exporter == ents[key]).first())
    if actor.key == "X" and actor.acting_for is None:
        # What X declared for A, seen from X's own view (not switched): not X's certificate.
        picks.append(Certificate.select().where((Certificate.exporter == ents["A"])
                                                & (Certificate.applicant == ents["X"])).first())
    return [c for c in picks if c is not None]


def foreign_values(world, actor: Actor, kind: str):
    ents = world.enterprises
    if kind in ("certificate", "certificate_number"):
        certs = foreign_certificates(world, actor)
        return [c.id for c in certs] + [MISSING_INT] if kind == "certificate" else \
            [c.number for c in certs] + ["E260000000000000"]
    if kind == "principal":
        # Enterprises that never authorised this actor as their agent.
        return [e.id for k, e in ents.items() if k != actor.key and not (actor.key == "X" and k == "A")] + [MISSING_INT]
    if kind == "grant":
        return ([] if actor.key in ("A", "X") else world.rows[("grant", "A")]) + [MISSING_INT]
    values = []
    for owner in ents:
        if _unrelated(actor.key, owner):
            values += world.rows.get((kind, owner), [])
    if kind in ("seal_upload", "signature_upload"):
        # The actor's own token of the other kind (a seal scan is no signature), and a forged one.
        other = "signature_upload" if kind == "seal_upload" else "seal_upload"
        return values + world.rows.get((other, actor.acting_for or actor.key), []) + [MISSING_STR]
    return values + [MISSING_STR if kind == "export_job" else MISSING_INT]


def own_values(world, actor, kind: str):
    """Ids `actor` owns of one kind (an enterprise key means that enterprise in its own view)."""
    actor = Actor(actor) if isinstance(actor, str) else actor
    if kind in ("certificate", "certificate_number"):
        certs = own_certificates(world, actor)[:1]
        return [c.id if kind == "certificate" else c.number for c in certs]
    if actor.acting_for is not None:
        # In a principal's view the agent works only on the principal's certificates.
        return []
    if kind == "principal":
        return [world.enterprises["A"].id] if actor.key == "X" else []
    return world.rows.get((kind, actor.key), [])[:1]


def _fill(route, id_values: dict):
    values = {}
    for name, converter in route.arguments:
        values[name] = id_values[name] if name in id_values else choice(name, converter)
    return values


def _cases(route, pick):
    """One URL per id argument value (the other id arguments take the actor's own values)."""
    ids = route.id_arguments
    for name, converter in ids:
        kind = route.kind_of(name, converter)
        for value in pick(kind, "foreign"):
            others = {}
            for other, other_converter in ids:
                if other != name:
                    own = pick(route.kind_of(other, other_converter), "own")
                    others[other] = own[0] if own else MISSING_INT
            yield route.build(_fill(route, {name: value, **others}))


def _request(client, method, url, token, follow_redirects=False):
    if method == "GET":
        return client.get(url, follow_redirects=follow_redirects)
    return client.open(url, method=method, data={"csrf_token": token}, follow_redirects=follow_redirects)


def test_every_id_argument_is_known(app):
    """A new route with an id argument the matrix cannot fill is named here, so it gets added."""
    unknown = []
    for route in matrix_routes(app):
        for name, converter in route.arguments:
            if (name, converter) in route.id_arguments:
                if route.kind_of(name, converter) is None:
                    unknown.append(f"{route}: id argument <{name}> ({converter_kind(converter)}): add it to ID_ARGUMENTS")
            elif choice(name, converter) is None:
                unknown.append(f"{route}: argument <{name}>: add sample values to CHOICE_ARGUMENTS")
    assert not unknown, "\n".join(unknown)


@pytest.mark.parametrize("actor", ACTORS, ids=lambda a: a.name)
def test_foreign_ids_are_404_for(actor, app, client, actions, world, demo):
    log_in(client, actions, world, actor, demo.DEMO_PIN)
    token = actions.token("/home")

    def pick(kind, which):
        return foreign_values(world, actor, kind) if which == "foreign" else own_values(world, actor, kind)

    leaks, checked = [], 0
    for route in matrix_routes(app):
        for url in _cases(route, pick):
            for method in route.methods:
                response = _request(client, method, url, token)
                checked += 1
                if response.status_code != 404:
                    leaks.append(f"{method} {url} -> {response.status_code}")
    # Ops pages (the RQ dashboard, the audit log) are not advertised: 404 whatever the arguments.
    for route in ops_routes(app):
        values = {n: (0 if converter_kind(c) == "int" else "default") for n, c in route.arguments}
        url = route.build(values)
        for method in route.methods:
            # (werkzeug answers a rule's default-valued URL with 308 to its canonical one)
            response = _request(client, method, url, token, follow_redirects=True)
            checked += 1
            if response.status_code != 404:
                leaks.append(f"{method} {url} -> {response.status_code}")
    assert checked > 0
    assert not leaks, f"{actor.name} reached rows that are not theirs:\n" + "\n".join(leaks)


def test_owners_reach_their_own_rows(app, client, actions, world, demo):
    """The matrix's control: the same routes do answer their owner (so a 404 above means
    'not yours', not 'broken'). X's own rows are reached in its own view, the principal in
    the switch routes."""
    problems, checked = [], set()
    for actor in (Actor("A"), Actor("X"), Actor("X", "A")):
        log_in(client, actions, world, actor, demo.DEMO_PIN)
        for route in matrix_routes(app):
            if "GET" not in route.methods or route.endpoint in OWNER_MAY_404:
                continue
            values, complete = {}, True
            for name, converter in route.id_arguments:
                own = own_values(world, actor, route.kind_of(name, converter))
                if not own:
                    complete = False
                    break
                values[name] = own[0]
            if not complete:
                continue
            url = route.build(_fill(route, values))
            response = client.get(url)
            status = response.status_code
            response.close()   # file responses hold their file open until closed
            checked.add(route.endpoint)
            if status == 404 or status >= 500:
                problems.append(f"{actor.name}: GET {url} -> {status}")
        assert actions.logout().status_code == 303
    assert not problems, "\n".join(problems)
    # Every GET route of the matrix had an owner to try it (or is listed with its reason).
    untried = {r.endpoint for r in matrix_routes(app) if "GET" in r.methods} - checked - set(OWNER_MAY_404)
    assert not untried, untried


def test_every_private_route_needs_a_login(app, client, world):
    """Anonymous: every route outside the public list sends to the login page or answers 404."""
    problems = []
    for route in routes(app):
        if route.endpoint in PUBLIC or csrf_exempt(app, route):
            continue
        values = {n: (world.rows[("seal", "A")][0] if converter_kind(c) == "int" else (choice(n, c) or "x"))
                  for n, c in route.arguments}
        url = route.build(values)
        for method in route.methods:
            response = client.open(url, method=method)
            location = response.headers.get("Location", "")
            if not (response.status_code in (302, 303) and "/login" in location) \
                    and response.status_code not in (400, 404):
                problems.append(f"{method} {url} -> {response.status_code} {location}")
    assert not problems, "\n".join(problems)
