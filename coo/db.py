"""The database's lifecycle: bind the proxy from DATABASE_URL, connect per request, migrate.

SQLite (the embedded default) and PostgreSQL (production) are both reached through a URL. Each
process keeps a small pool (peewee's playhouse.pool): a request or job checks a connection out
and gives it back, instead of paying a PostgreSQL login (or SQLite open and pragmas) every time.
A forked child (RQ's work horse, a preloading gunicorn) never uses its parent's connections.
"""
import os
from pathlib import Path

from peewee import PostgresqlDatabase, SqliteDatabase
from playhouse.db_url import parse
from playhouse.migrations import Runner
from playhouse.pool import PooledPostgresqlDatabase, PooledSqliteDatabase

from coo.models import database

MIGRATIONS = Path(__file__).resolve().parent.parent / "migrations"


# Idle pooled connections are closed after this many seconds (PostgreSQL may drop them anyway);
# a process waits this long for a free connection before the request fails.
POOL_STALE_SECONDS = 300
POOL_WAIT_SECONDS = 30


def make_database(url: str, pool_size: int = 8):
    """A Peewee database for a URL. SQLite gets WAL and a busy timeout so a web process and a
    worker can write the same file."""
    pool = {"max_connections": pool_size, "stale_timeout": POOL_STALE_SECONDS, "timeout": POOL_WAIT_SECONDS}
    if url.startswith("sqlite"):
        path = url.split("sqlite:///", 1)[1] if "sqlite:///" in url else ":memory:"
        pragmas = {"journal_mode": "wal", "foreign_keys": 1, "busy_timeout": 10000, "synchronous": "normal"}
        if path == ":memory:":   # every connection would be a different empty database
            return SqliteDatabase(path, pragmas=pragmas, check_same_thread=False)
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        return PooledSqliteDatabase(path, pragmas=pragmas, check_same_thread=False, **pool)
    if url.startswith(("postgres://", "postgresql://")):
        params = parse(url)
        name = params.pop("database")
        return PooledPostgresqlDatabase(name, **params, **pool)
    raise ValueError(f"unsupported DATABASE_URL: {url}")


_inherited = []


def _after_fork_in_child():
    """Give the child a pool of its own. The parent's connections are kept referenced, never
    closed or used: closing a PostgreSQL connection here would end the parent's session too."""
    source = getattr(database.obj, "coo_source", None)
    if source is None:
        return
    _inherited.append(database.obj)
    database.initialize(make_database(*source))
    database.obj.coo_source = source


os.register_at_fork(after_in_child=_after_fork_in_child)


def init_app(app):
    source = (app.config["DATABASE_URL"], app.config["DATABASE_POOL_SIZE"])
    database.initialize(make_database(*source))
    database.obj.coo_source = source

    @app.before_request
    def _connect():
        database.connect(reuse_if_open=True)

    @app.teardown_appcontext
    def _close(exc):
        if not database.is_closed():
            database.close()     # back to the pool


def write_transaction():
    """The transaction of every state change (a user's 授权, 是/否, 异常申请, 下载正本, 打印正本,
    and the jobs' receipts, layouts and archiving).

    On SQLite it takes the write lock first (BEGIN IMMEDIATE): a second tab waits up to the busy
    timeout for the first to commit, then reads what it wrote. A deferred transaction that read
    before writing would instead fail at its first write with "database is locked" (its snapshot
    is stale, so SQLite cannot wait). On PostgreSQL it is an ordinary transaction; lock the row
    two requests race for with `lock_rows` (or `locked`) as its first statement. Nested in another
    transaction it is a savepoint of that one."""
    db = database.obj
    if isinstance(db, SqliteDatabase):
        return db.atomic("IMMEDIATE")
    return db.atomic()


def locked(query):
    """`query` as SELECT ... FOR UPDATE where the database has row locks (PostgreSQL): the rows
    stay locked until the transaction ends, so a racing request waits and then sees the winner's
    change. On SQLite the same query unchanged: `write_transaction` already holds the one write lock."""
    return query.for_update() if database.obj.for_update else query


def lock_rows(model, *ids) -> None:
    """Lock the rows `ids` of `model` for the rest of the transaction (see `locked`)."""
    if database.obj.for_update and ids:
        list(locked(model.select(model.id).where(model.id.in_(list(ids))).order_by(model.id)))


def is_postgres(db=None) -> bool:
    """Whether `db` (default: the bound database) is PostgreSQL, pooled or not."""
    return isinstance(db if db is not None else database.obj, PostgresqlDatabase)


def migrate():
    """Apply pending migrations; returns the names applied."""
    database.connect(reuse_if_open=True)
    return Runner(database.obj, directory=str(MIGRATIONS)).up()


def migration_status():
    database.connect(reuse_if_open=True)
    return Runner(database.obj, directory=str(MIGRATIONS)).status()


def is_current() -> bool:
    return all(m.applied for m in migration_status())

