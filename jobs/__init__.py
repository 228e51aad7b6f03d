"""RQ job functions. Each takes ids, re-reads its rows, acts only from the state it expects,
records the attempt, and is safe to run twice. The database is the truth, not Redis.

Jobs run inside an app context (`with_app`): the worker builds the app once before forking
(`jobs.worker.CooWorker`), and each job opens and closes its own database connection. The
worker's app has no blueprints (`create_app(web=False)`): jobs reach only `coo.services`, and
tests/test_architecture.py runs a receipt and the sweep with `coo.web` unimportable.
"""
import functools
import os

_app = None


def app():
    global _app
    if _app is None:
        from coo import create_app
        _app = create_app(os.environ.get("COO_CONFIG", "development"), web=False)
    return _app


def with_app(func):
    """Run a job in the app context with a database connection of its own."""
    @functools.wraps(func)
    def wrapped(*args, **kwargs):
        from coo.models import database
        with app().app_context():
            database.connect(reuse_if_open=True)
            try:
                return func(*args, **kwargs)
            finally:
                if not database.is_closed():
                    database.close()
    return wrapped
