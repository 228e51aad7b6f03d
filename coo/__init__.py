"""coo: Certificate of Origin self-print (原产地证书自助打印).

`create_app(config_name)` builds the Flask app: settings from `config/`, the database proxy,
the RQ connection, storage, and (unless `web=False`) login, CSRF, htmx and the blueprints of the
manual's areas. A worker (`jobs.app()`) builds it with `web=False`: no job depends on a blueprint
having been imported (the receipt handlers and sweep steps are tables in `coo.services`).
"""
import os

from flask import Flask


def create_app(config_name: str | None = None, *, web: bool = True, **overrides) -> Flask:
    from config import CONFIGS, ROOT

    config_name = config_name or os.environ.get("COO_CONFIG", "development")
    app = Flask(
        __name__,
        template_folder=str(ROOT / "templates"),
        static_folder=str(ROOT / "static"),
        instance_path=CONFIGS[config_name].INSTANCE_PATH,
    )
    app.config.from_object(CONFIGS[config_name]())
    app.config.update(overrides)
    app.config["CONFIG_NAME"] = config_name

    from coo import db, queue, storage

    storage.check_settings(app.config)
    db.init_app(app)
    queue.init_app(app)
    if web:
        from coo import web as web_side
        web_side.init_app(app)
    register_cli(app)
    if app.config["TRUSTED_PROXIES"]:
        # Behind load balancers: the client address (audit "from where") and the scheme come
        # from their X-Forwarded-For/-Proto, one hop each. Never X-Forwarded-Host: absolute
        # URLs come from PUBLIC_BASE_URL alone.
        from werkzeug.middleware.proxy_fix import ProxyFix
        hops = app.config["TRUSTED_PROXIES"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=0, x_port=0, x_prefix=0)
    return app


def register_cli(app):
    from coo import cli
    app.cli.add_command(cli.coo)
