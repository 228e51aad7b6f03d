"""WSGI entry point: `gunicorn wsgi:app`, `flask --app wsgi ...`.

`COO_CONFIG` picks the settings (development by default). Production refuses to start on unsafe
settings; the process then ends with the list of what to fix, not a traceback."""
import os
import sys

from config import UnsafeConfiguration
from coo import create_app

try:
    app = create_app(os.environ.get("COO_CONFIG", "development"))
except UnsafeConfiguration as refusal:
    print(refusal, file=sys.stderr, flush=True)
    raise SystemExit(3) from None
