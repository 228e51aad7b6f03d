"""The web side: one blueprint per area of the manual, and what every response shares
(login, CSRF, htmx, security headers, Vary: HX-Request, error pages, template filters).

`csrf` is owned here: a blueprint that must be exempt (the machine APIs, the RQ dashboard) says
so with `from coo.web import csrf`."""
import importlib
from pathlib import Path

from flask import current_app, render_template, request
from flask_login import current_user
from flask_wtf.csrf import CSRFProtect
from htmx_flask import Htmx

from coo import clock, enums

csrf = CSRFProtect()

# Blueprints, in the manual's menu order. Each module defines `bp`.
AREAS = ("auth", "home", "seals", "authorisation", "account", "certificates", "printing",
         "exceptions", "downloads", "verify", "ops", "api")

CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
       "object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'")


def init_app(app):
    from coo.params import IdConverter
    from coo.services import accounts
    from coo.web.signing import SessionInterface
    Htmx(app)
    app.session_interface = SessionInterface()
    csrf.init_app(app)
    from coo.web.signing import csrf_token
    app.jinja_env.globals["csrf_token"] = csrf_token     # Flask-WTF's generate_csrf, its signer kept
    accounts.init_login(app)
    from coo.web import forms
    # Before any route is added: every `<int:…>` is a row id (1 … 2^63−1, else 404).
    app.url_map.converters["int"] = IdConverter
    for name in AREAS:
        module = importlib.import_module(f"coo.web.{name}")
        app.register_blueprint(module.bp)
        if hasattr(module, "init_app"):
            module.init_app(app)

    app.before_request(forms.refuse_nul_bytes)
    app.after_request(_common_headers)
    for code in (400, 403, 404, 405, 413, 422, 429, 500):
        app.register_error_handler(code, _error_page)
    app.jinja_env.filters["local_dt"] = _local_dt
    app.jinja_env.filters["local_date"] = _local_date
    app.jinja_env.globals["enums"] = enums
    app.context_processor(_shell_context)


# Set on every response unless the view set its own (the header names in lower case).
SECURITY_HEADERS = (("content-security-policy", "Content-Security-Policy", CSP),
                    ("x-content-type-options", "X-Content-Type-Options", "nosniff"),
                    ("x-frame-options", "X-Frame-Options", "DENY"),
                    ("referrer-policy", "Referrer-Policy", "same-origin"))


def _common_headers(response):
    headers = response.headers
    present = {name.lower() for name, _ in headers}
    headers.add("Vary", "HX-Request")
    for lower, name, value in SECURITY_HEADERS:
        if lower not in present:
            headers.add(name, value)
    # Private by default: pages, PDFs, exports and signed originals carry certificates and
    # personal data, and "no-cache" (send_file's) still lets a shared cache keep a copy. Only
    # static assets, and what a view declares `public` (the published keys), may be stored.
    if not (request.endpoint or "").endswith("static") and not (
            "cache-control" in present and response.cache_control.public):
        headers["Cache-Control"] = "no-store"
    hsts = current_app.config["HSTS_MAX_AGE_S"]
    if hsts and "strict-transport-security" not in present:
        headers.add("Strict-Transport-Security", f"max-age={hsts}")
    return response


ERROR_WORDS = {
    400: "请求无效（可能是页面已过期，请刷新页面后重试）。",
    403: "没有权限访问该页面。",
    404: "页面或数据不存在。",
    405: "不支持的请求方式。",
    413: "上传的文件过大。",
    422: "提交的内容有误。",
    429: "操作过于频繁，请稍后再试。",
    500: "系统内部错误，请稍后重试；如仍有问题请联系客服热线 010-95198。",
}


def _error_page(error):
    code = getattr(error, "code", 500) or 500
    description = getattr(error, "description", "")
    # Werkzeug's English defaults are replaced by our words; our own abort(…, "中文") is kept.
    message = description if description and not description.isascii() else ERROR_WORDS.get(code, "")
    if request.path.startswith("/api/"):
        # Machine clients get JSON, even for routing errors (404/405) no blueprint handler sees.
        from flask import jsonify
        response = jsonify({"status": "refused", "error": "http_error", "message": f"{message} / HTTP {code}"})
        return response, code
    return render_template("errors/error.html", code=code, message=message), code


def _local_dt(value, fmt="%Y-%m-%d %H:%M:%S"):
    value = clock.to_local(value)
    return value.strftime(fmt) if value else "-"


def _local_date(value):
    return value.strftime("%Y-%m-%d") if value else "-"


# The manual's menu.
MENU = (
    ("使用说明", "home.index"),
    ("印章管理", "seals.index"),
    ("授权管理", "authorisation.index"),
    ("证书打印", "certificates.index"),
    ("打印异常申请", "exceptions.index"),
    ("证书下载", "downloads.index"),
    ("版本说明", "home.changelog"),
)


def _shell_context():
    from coo.services.access import current_view
    view = None
    if current_user.is_authenticated and current_user.enterprise is not None:
        view = current_view()
    return {"view": view, "menu": MENU}


def read_changelog() -> str:
    return (Path(__file__).resolve().parents[2] / "CHANGELOG.md").read_text(encoding="utf-8")
