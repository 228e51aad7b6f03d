"""The database's lifecycle: bind the proxy from DATABASE_URL, connect per request, migrate.

SQLite (the embedded default) and PostgreSQL (production) are both reached through a URL.
"""
from pathlib import Path

from peewee import PostgresqlDatabase, SqliteDatabase
from playhouse.db_url import parse
from playhouse.migrations import Runner

from coo.models import database

MIGRATIONS = Path(__file__).resolve().parent.parent / "migrations"


def make_database(url: str):
    """A Peewee database for a URL. SQLite gets WAL and a busy timeout so a web process and a
    worker can write the same file; PostgreSQL reconnects per request/job."""
    if url.startswith("sqlite"):
        path = url.split("sqlite:///", 1)[1] if "sqlite:///" in url else ":memory:"
        if path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        return SqliteDatabase(path, pragmas={
            "journal_mode": "wal", "foreign_keys": 1, "busy_timeout": 10000, "synchronous": "normal",
        }, check_same_thread=False)
    if url.startswith(("postgres://", "postgresql://")):
        params = parse(url)
        name = params.pop("database")
        return PostgresqlDatabase(name, **params)
    raise ValueError(f"unsupported DATABASE_URL: {url}")


def init_app(app):
    database.initialize(make_database(app.config["DATABASE_URL"]))

    @app.before_request
    def _connect():
        database.connect(reuse_if_open=True)

    @app.teardown_appcontext
    def _close(exc):
        if not database.is_closed() and not app.config.get("DB_KEEP_OPEN"):
            database.close()


def migrate():
    """Apply pending migrations; returns the names applied."""
    database.connect(reuse_if_open=True)
    return Runner(database.obj, directory=str(MIGRATIONS)).up()


def migration_status():
    database.connect(reuse_if_open=True)
    return Runner(database.obj, directory=str(MIGRATIONS)).status()


def is_current() -> bool:
    return all(m.applied for m in migration_status())

