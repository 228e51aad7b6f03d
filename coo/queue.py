"""The one place the app talks to RQ: queue names, retry policy, job ids.

Jobs are module-level functions in `jobs/` that take ids. A job id derived from what the job is
about (e.g. ``layout-42``) makes a repeated enqueue a no-op while the first is still queued or
running; the database row stays the truth, so a job lost with Redis is re-enqueued by the sweep.
"""
import datetime

from flask import current_app
from redis import Redis
from rq import Queue, Retry
from rq.exceptions import DuplicateJobError
from rq.job import Job, JobStatus

# In the order a worker serves them (Procfile): customs first (an archive must not wait behind
# rendering), then the user's own work; `layouts_bulk` takes the layouts nobody is waiting for
# (the demo seed's, the re-renders after a new 授权, the sweep's), so a new approval's layout
# (`layouts`) never waits behind hundreds of them.
QUEUES = ("customs", "default", "layouts", "exports", "layouts_bulk")
BULK_LAYOUTS = "layouts_bulk"
DEFAULT_RETRY = Retry(max=3, interval=[10, 30, 60])
# States in which a job with the same id still stands for the work: enqueueing again is a no-op.
_LIVE = {JobStatus.QUEUED, JobStatus.STARTED, JobStatus.DEFERRED, JobStatus.SCHEDULED}


def init_app(app):
    app.extensions["coo_redis"] = Redis.from_url(app.config["REDIS_URL"])


def redis() -> Redis:
    return current_app.extensions["coo_redis"]


def queue(name: str = "default") -> Queue:
    if name not in QUEUES:
        raise ValueError(f"unknown queue {name}")
    return Queue(name, connection=redis())


def _id_in_use(job_id: str) -> bool:
    """Whether a job with this id is queued, scheduled or running; a finished or failed one is
    deleted, so the id is free again."""
    conn = redis()
    existing = Job.fetch(job_id, connection=conn) if Job.exists(job_id, connection=conn) else None
    if existing is None:
        return False
    if existing.get_status(refresh=True) in _LIVE:
        return True
    existing.delete()
    return False


def enqueue(func, *args, job_id: str, queue_name: str = "default", retry=DEFAULT_RETRY,
            job_timeout: int = 300, **kwargs) -> Job | None:
    """Enqueue `func(*args)` under `job_id`; returns None when that job is already live.

    A finished or failed job with the same id is replaced: the caller asked for the work again
    because the row says it is still to be done.
    """
    if _id_in_use(job_id):
        return None
    try:
        return queue(queue_name).enqueue(
            func, *args, job_id=job_id, unique=True, retry=retry, job_timeout=job_timeout,
            result_ttl=3600, failure_ttl=7 * 24 * 3600, **kwargs)
    except DuplicateJobError:
        return None


def enqueue_in(seconds: float, func, *args, job_id: str, queue_name: str = "default",
               retry=DEFAULT_RETRY, job_timeout: int = 300, **kwargs) -> Job | None:
    """Like `enqueue`, but the job runs `seconds` from now (RQ's scheduler: the worker runs
    with ``--with-scheduler``). `seconds <= 0` enqueues at once. Returns None when a job with
    this id is already live. A job re-scheduling itself must use a new id (its own is live
    while it runs), e.g. with a counter: ``exchange-7-r3``."""
    if seconds <= 0:
        return enqueue(func, *args, job_id=job_id, queue_name=queue_name, retry=retry,
                       job_timeout=job_timeout, **kwargs)
    if _id_in_use(job_id):
        return None
    return queue(queue_name).enqueue_in(
        datetime.timedelta(seconds=seconds), func, *args, job_id=job_id, retry=retry,
        job_timeout=job_timeout, result_ttl=3600, failure_ttl=7 * 24 * 3600, **kwargs)


def job_status(job_id: str):
    conn = redis()
    if not Job.exists(job_id, connection=conn):
        return None
    return Job.fetch(job_id, connection=conn)
