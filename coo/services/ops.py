"""Ops: the audit log query (ops see every enterprise; a legal person sees only their own) and
the health report for load balancers.

One query serves both audit pages: `audit_events(criteria, enterprise=…)` — the legal person's
page passes its own enterprise, which no request parameter can widen.
"""
import datetime
import time
from dataclasses import dataclass, field

from flask import current_app
from peewee import JOIN, fn

from coo import clock, enums
from coo.models import AuditEvent, CustomsExchange, Enterprise, database

def action_label(action: str) -> str:
    """The Chinese name of an audit action (an unknown code, from an older release, as is)."""
    member = enums.AuditAction.parse(action)
    return member.label if member is not None else action


@dataclass
class AuditCriteria:
    """The 审计日志 query as the user typed it (strings are kept for re-rendering the form)."""
    enterprise_id: int | None = None
    person: str = ""
    action: str = ""
    date_from: datetime.date | None = None
    date_to: datetime.date | None = None
    page: int = 1
    raw: dict = field(default_factory=dict)
    errors: list = field(default_factory=list)

    def query_args(self, **change) -> dict:
        """The query string of this search (for the pager), with `change` applied."""
        args = {k: v for k, v in self.raw.items() if v}
        args.update({k: v for k, v in change.items()})
        return args


def _date(value: str, label: str, errors: list):
    if not value:
        return None
    try:
        return datetime.date.fromisoformat(value)
    except ValueError:
        errors.append(f"{label}格式应为 YYYY-MM-DD。")
        return None


def parse_audit_criteria(args) -> AuditCriteria:
    raw = {k: (args.get(k) or "").strip() for k in ("enterprise", "person", "action", "date_from", "date_to")}
    errors = []
    enterprise_id = None
    if raw["enterprise"]:
        if raw["enterprise"].isdigit():
            enterprise_id = int(raw["enterprise"])
        else:
            errors.append("企业选择无效。")
    date_from = _date(raw["date_from"], "起始日期", errors)
    date_to = _date(raw["date_to"], "结束日期", errors)
    if date_from and date_to and date_from > date_to:
        errors.append("起始日期不能晚于结束日期。")
    page = args.get("page", "1")
    page = int(page) if str(page).isdigit() and int(page) > 0 else 1
    return AuditCriteria(enterprise_id=enterprise_id, person=raw["person"][:100], action=raw["action"][:64],
                         date_from=date_from, date_to=date_to, page=page, raw=raw, errors=errors)


def _utc_start(day: datetime.date) -> datetime.datetime:
    """The UTC instant a local (China) day starts."""
    local = datetime.datetime.combine(day, datetime.time()).replace(tzinfo=clock.CST)
    return local.astimezone(datetime.timezone.utc).replace(tzinfo=None)


def audit_events(criteria: AuditCriteria, enterprise: Enterprise | None = None):
    """Audit events matching the criteria, newest first. With `enterprise`, only that
    enterprise's events, whatever the criteria say."""
    query = AuditEvent.select(AuditEvent, Enterprise).join(Enterprise, join_type=JOIN.LEFT_OUTER,
                                                            on=(AuditEvent.enterprise == Enterprise.id))
    if enterprise is not None:
        query = query.where(AuditEvent.enterprise == enterprise)
    elif criteria.enterprise_id is not None:
        query = query.where(AuditEvent.enterprise == criteria.enterprise_id)
    if criteria.person:
        needle = criteria.person.lower()
        query = query.where(fn.LOWER(AuditEvent.actor).contains(needle)
                            | fn.LOWER(AuditEvent.login).contains(needle))
    if criteria.action:
        query = query.where(AuditEvent.action == criteria.action)
    if criteria.date_from:
        query = query.where(AuditEvent.at >= _utc_start(criteria.date_from))
    if criteria.date_to:
        query = query.where(AuditEvent.at < _utc_start(criteria.date_to + datetime.timedelta(days=1)))
    return query.order_by(AuditEvent.at.desc(), AuditEvent.id.desc())


@dataclass
class Page:
    items: list
    page: int
    pages: int
    total: int


def paginate(query, page: int, size: int | None = None) -> Page:
    size = size or current_app.config["PAGE_SIZE"]
    total = query.count()
    pages = max(1, -(-total // size))
    page = min(max(1, page), pages)
    return Page(items=list(query.paginate(page, size)), page=page, pages=pages, total=total)


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
