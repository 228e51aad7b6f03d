"""Ops: the audit log query (ops see every enterprise; a legal person sees only their own) and
the health report for load balancers.

One query serves both audit pages: `audit_events(q, enterprise=…)` — the legal person's
page passes its own enterprise, which no request parameter can widen.
"""
import datetime
import time
from dataclasses import dataclass

from peewee import JOIN, fn

from coo import clock, enums
from coo.models import AuditEvent, CustomsExchange, Enterprise, database
from coo.params import parse_id
from coo.services.listquery import DateRange, Field, ListQuery, Sort, Text, parse_query

def action_label(action: str) -> str:
    """The Chinese name of an audit action (an unknown code, from an older release, as is)."""
    member = enums.AuditAction.parse(action)
    return member.label if member is not None else action


@dataclass(frozen=True)
class EnterpriseId(Field):
    """企业: a row id from the select (ops only; the legal person's page is fixed to its own)."""

    def parse(self, args):
        text = (args.get(self.name) or "").strip()
        if not text:
            return None, {}
        value = parse_id(text)
        return (value, {}) if value is not None else (None, {self.name: f"{self.label}选择无效。"})

    def apply(self, query, value):
        return query.where(AuditEvent.enterprise == value)


@dataclass(frozen=True)
class Person(Field):
    """人员: part of the name or of the login name, in any case."""
    max_length: int = 100

    def parse(self, args):
        value = (args.get(self.name) or "").strip()
        if len(value) > self.max_length:
            return None, {self.name: f"{self.label}不能超过{self.max_length}个字符。"}
        return (value.lower() or None), {}

    def apply(self, query, value):
        return query.where(fn.LOWER(AuditEvent.actor).contains(value)
                           | fn.LOWER(AuditEvent.login).contains(value))


# The 审计日志's 查询区, parsed like every other one (`coo.services.listquery`).
AUDIT_FIELDS = (
    EnterpriseId("enterprise", "企业"),
    Person("person", "人员"),
    Text("action", "操作", column=AuditEvent.action),
    DateRange("date", "操作日期", column=AuditEvent.at, captions=("起始日期", "结束日期")),
)
AUDIT_SORTS = (Sort("at", "时间", (AuditEvent.at, AuditEvent.id)),)


def parse_audit_query(args, enterprise: Enterprise | None = None) -> ListQuery:
    """The 审计日志 query; on the legal person's page (`enterprise`) there is no 企业 choice."""
    fields = AUDIT_FIELDS if enterprise is None else AUDIT_FIELDS[1:]
    return parse_query(args, fields, AUDIT_SORTS, default_sort="-at")


def audit_events(q: ListQuery, enterprise: Enterprise | None = None):
    """Audit events matching the query, newest first. With `enterprise`, only that
    enterprise's events, whatever the query says."""
    query = AuditEvent.select(AuditEvent, Enterprise).join(Enterprise, join_type=JOIN.LEFT_OUTER,
                                                            on=(AuditEvent.enterprise == Enterprise.id))
    if enterprise is not None:
        query = query.where(AuditEvent.enterprise == enterprise)
    return q.order(q.filter(query, skip=("enterprise",) if enterprise is not None else ()))


def audit_actions(enterprise: Enterprise | None = None) -> list[tuple[str, str]]:
    """The 操作 choice: the actions present in the log, in the enum's order, with their names."""
    query = AuditEvent.select(AuditEvent.action).distinct()
    if enterprise is not None:
        query = query.where(AuditEvent.enterprise == enterprise)
    present = {row.action for row in query}
    known = [(m.value, m.label) for m in enums.AuditAction if m.value in present]
    unknown = [(code, code) for code in sorted(present - {m.value for m in enums.AuditAction})]
    return known + unknown


# --- /healthz --------------------------------------------------------------------------------

OPEN_EXCHANGES = (enums.ExchangeStatus.PENDING, enums.ExchangeStatus.SENT)


def _check(func):
    started = time.perf_counter()
    try:
        value = func()
        ok = True
    except Exception as exc:  # a health check reports failures, it does not raise them
        value, ok = {"error": type(exc).__name__}, False
    return ok, value, round((time.perf_counter() - started) * 1000, 1)


def _database():
    database.connect(reuse_if_open=True)
    database.execute_sql("SELECT 1").fetchone()
    return {}


def _redis_and_queues():
    from coo import queue
    queue.redis().ping()
    return {"queues": {name: len(queue.queue(name)) for name in queue.QUEUES}}


def _workers():
    """Workers registered in Redis. A worker killed with -9 stays listed until its key's TTL
    (RQ's worker_ttl, 420 s) runs out: RQ offers no quicker proof of life."""
    from rq import Worker
    from coo import queue
    workers = [{"name": w.name, "state": str(w.get_state()), "queues": w.queue_names()}
               for w in Worker.all(connection=queue.redis())]
    return {"alive": len(workers), "workers": workers}


def _oldest_exchange():
    oldest = (CustomsExchange.select(fn.MIN(CustomsExchange.created_at))
              .where(CustomsExchange.status.in_(list(OPEN_EXCHANGES))).scalar())
    if oldest is None:
        return {"pending": 0, "oldest_age_s": None}
    if isinstance(oldest, str):   # SQLite returns the aggregate as text
        oldest = datetime.datetime.fromisoformat(oldest)
    pending = CustomsExchange.select().where(CustomsExchange.status.in_(list(OPEN_EXCHANGES))).count()
    return {"pending": pending, "oldest_age_s": round((clock.utcnow() - oldest).total_seconds(), 1)}


def health() -> tuple[bool, dict]:
    """(healthy, report). Healthy: the database and Redis answer and at least one worker is
    alive. The pending customs exchanges are reported for monitoring, not judged: a slow
    customs must not take every web node out of the load balancer. No URLs, no credentials."""
    db_ok, db_info, db_ms = _check(_database)
    redis_ok, redis_info, redis_ms = _check(_redis_and_queues)
    workers_ok, workers_info, _ = _check(_workers) if redis_ok else (False, {"alive": 0}, 0)
    if workers_ok and workers_info["alive"] < 1:
        workers_ok = False
    if db_ok:
        _, exchanges, _ = _check(_oldest_exchange)
    else:
        exchanges = {"error": "database unavailable"}
    healthy = db_ok and redis_ok and workers_ok
    report = {
        "status": "ok" if healthy else "fail",
        "checks": {
            "database": {"ok": db_ok, "ms": db_ms, **db_info},
            "redis": {"ok": redis_ok, "ms": redis_ms, **({} if redis_ok else redis_info)},
            "workers": {"ok": workers_ok, **workers_info},
        },
        "queues": redis_info.get("queues", {}) if redis_ok else {},
        "customs_exchanges": exchanges,
    }
    return healthy, report
