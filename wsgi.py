"""WSGI entry point: `gunicorn wsgi:app`, `flask --app wsgi ...`."""
import os

from werkzeug.middleware.proxy_fix import ProxyFix

from coo import create_app

app = create_app(os.environ.get("COO_CONFIG", "development"))
if os.environ.get("TRUSTED_PROXIES"):
    # Behind a load balancer: take the client address from X-Forwarded-For (audit "from where").
    app.wsgi_app = ProxyFix(app.wsgi_app, x_for=int(os.environ["TRUSTED_PROXIES"]), x_proto=1)
