"""The URL map, read once and sorted into the kinds of routes the security suite treats alike.

New routes are covered without touching this file, unless they take an id-like argument this
file does not know yet: then `test_every_id_argument_is_known` fails and names it.
"""
from dataclasses import dataclass

from werkzeug.routing import AnyConverter, IntegerConverter, UUIDConverter

# Public routes: no login, no enterprise data behind them. Keep this list small and explicit.
PUBLIC = {
    "static",            # CSS, JS, htmx
    "auth.index",        # / redirects to the login page
    "auth.login",        # the login page
    "auth.login_card", "auth.login_password",
    "ops.health",        # /healthz for load balancers (no secrets)
    "verify.index",      # 出口原产地证书核查: foreign customs check a number + code, no login
    "verify.record",     # the same check for systems: a signed record, number + code, archived only
    "verify.published_keys",   # the public keys (JWKS) of the QR seal and the record
}

# How an id-like argument names rows: argument -> kind of row in the world fixture.
ID_ARGUMENTS = {
    "certificate_id": "certificate", "cert_id": "certificate",
    "number": "certificate_number", "certificate_number": "certificate_number", "no": "certificate_number",
    "seal_id": "seal", "signature_id": "signature", "authorisation_id": "authorisation",
    "grant_id": "grant", "agent_authorisation_id": "grant", "principal_id": "principal",
    "control_id": "print_control", "print_control_id": "print_control",
    "print_job_id": "print_job", "exception_id": "exception", "application_id": "exception",
    "download_id": "download", "export_id": "export", "task_id": "export",
    "operator_id": "operator", "card_id": "card", "enterprise_id": "enterprise",
}
# A string `job_id` names an export task (its RQ job id); an integer one a print job.
ID_ARGUMENTS_BY_CONVERTER = {("job_id", "string"): "export_job", ("job_id", "int"): "print_job"}

# Arguments whose kind depends on the route: a staged scan's signed token (新增印章/签名 preview)
# names one enterprise's upload, and a seal token is no signature token.
ID_ARGUMENTS_BY_ENDPOINT = {
    ("seals.staged_image", "token"): "seal_upload",
    ("seals.staged_signature_image", "token"): "signature_upload",
}

# Arguments that are not ids but choose among a few fixed values (first one is used).
CHOICE_ARGUMENTS = {
    "kind": ["original", "copy", "both"],
    "fmt": ["pdf"], "format": ["pdf"],
    "which": ["original", "copy"],
    "filename": ["x"],
}


def is_id_like(name: str, converter) -> bool:
    return (isinstance(converter, (IntegerConverter, UUIDConverter)) or name in ID_ARGUMENTS
            or name.endswith(("_id", "_no", "_number")) or name in ("id", "no", "number"))


def converter_kind(converter) -> str:
    return "int" if isinstance(converter, IntegerConverter) else "string"


def id_kind(name: str, converter) -> str | None:
    return ID_ARGUMENTS_BY_CONVERTER.get((name, converter_kind(converter))) or ID_ARGUMENTS.get(name)


def choice(name: str, converter):
    if isinstance(converter, AnyConverter):
        # werkzeug keeps the alternatives in the converter's regex: (?:a|b|c)
        return converter.regex.strip("(?:)").split("|")[0].replace("\\", "")
    values = CHOICE_ARGUMENTS.get(name)
    return values[0] if values else None


@dataclass(frozen=True)
class Route:
    rule: object
    endpoint: str
    methods: tuple
    arguments: tuple            # (name, converter)

    @property
    def path(self):
        return self.rule.rule

    @property
    def id_arguments(self):
        return tuple((n, c) for n, c in self.arguments
                     if is_id_like(n, c) or (self.endpoint, n) in ID_ARGUMENTS_BY_ENDPOINT)

    def kind_of(self, name: str, converter) -> str | None:
        """The kind of row an id argument of this route names (None: unknown)."""
        return ID_ARGUMENTS_BY_ENDPOINT.get((self.endpoint, name)) or id_kind(name, converter)

    def build(self, values: dict) -> str:
        built = self.rule.build({**(self.rule.defaults or {}), **values}, append_unknown=False)
        assert built is not None, (self.path, values)
        return built[1]

    def __str__(self):
        return f"{'/'.join(self.methods)} {self.path}"


def routes(app):
    found = []
    for rule in app.url_map.iter_rules():
        methods = tuple(sorted(m for m in rule.methods if m in ("GET", "POST", "PUT", "PATCH", "DELETE")))
        arguments = tuple((name, rule._converters[name]) for name in sorted(rule._converters))
        found.append(Route(rule=rule, endpoint=rule.endpoint, methods=methods, arguments=arguments))
    return sorted(found, key=lambda r: (r.path, r.methods))


def is_ops(route) -> bool:
    return route.path.startswith("/ops/") or route.endpoint.startswith("rq_dashboard.")


def csrf_exempt(app, route) -> bool:
    """Machine-to-machine endpoints (customs API, print-control API) authenticate by token or
    HMAC and are exempt from CSRF; everything a browser posts is not."""
    csrf = app.extensions["csrf"]
    view = app.view_functions[route.endpoint]
    blueprint = route.endpoint.rsplit(".", 1)[0] if "." in route.endpoint else None
    location = f"{view.__module__}.{view.__name__}"
    return location in csrf._exempt_views or app.blueprints.get(blueprint) in csrf._exempt_blueprints
