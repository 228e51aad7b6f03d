"""Faults with real processes: a worker killed with -9 in the middle of a job, Redis flushed
with work queued, the database locked for a moment. After
each, the database shows every piece of work done exactly once."""
import time

import pytest
from rq import Queue
from rq.registry import StartedJobRegistry

from coo import queue
from coo.models import AuditEvent

from .conftest import wait_for

pytestmark = pytest.mark.slow


def _count(action, marker=None):
    query = AuditEvent.select().where(AuditEvent.action == action)
    if marker is not None:
        query = query.where(AuditEvent.target == marker)
    return query.count()


def test_a_job_killed_with_minus_9_is_retried_and_done_once(app, workers):
    with app.app_context():
        queue.enqueue("tests.faults.fault_jobs.slow_mark", "k9", 4, job_id="fault-k9")
    # (without the scheduler: this test is about the abandoned job; the scheduler's own
    # recovery after a kill -9 is test_recovery.py's)
    first = workers(scheduler=False)
    wait_for(lambda: _count("fault_started", "k9") == 1, what="the job to start")
    first.kill9()
    assert _count("fault_done", "k9") == 0
    with app.app_context():
        # The job is left STARTED: asking for the same work again is a no-op until RQ sees it
        # was abandoned ...
        assert queue.enqueue("tests.faults.fault_jobs.slow_mark", "k9", 4, job_id="fault-k9") is None
        # ... which its maintenance does once the dead horse's heartbeat has expired (about 90 s
        # later); we run that cleanup now instead of waiting. The job has retries left: it is
        # scheduled again.
        StartedJobRegistry(queue=Queue("default", connection=queue.redis())).cleanup(timestamp=time.time() + 3600)
    workers()
    wait_for(lambda: _count("fault_done", "k9") == 1, timeout=60, what="the retried job to finish")
    assert _count("fault_started", "k9") == 2 and _count("fault_done", "k9") == 1


def test_redis_flushed_while_work_is_queued_loses_the_job_not_the_truth(app, workers, redis_control):
    """What Redis held is gone; the job id is free again, so the sweep (or the user) can ask
    for the work once more and it runs once."""
    with app.app_context():
        queue.enqueue("jobs.maintenance.ping", "flushed", job_id="ping-flushed")
    redis_control.flush()
    workers(burst=True).proc.wait(timeout=60)
    assert _count("worker_ping", "flushed") == 0
    with app.app_context():
        assert queue.enqueue("jobs.maintenance.ping", "flushed", job_id="ping-flushed") is not None
    workers(burst=True).proc.wait(timeout=60)
    assert _count("worker_ping", "flushed") == 1


def test_the_database_locked_for_a_moment_delays_but_loses_nothing(app, client, actions, demo, workers,
                                                                    lock_database):
    token = actions.token()
    with app.app_context():
        queue.enqueue("jobs.maintenance.ping", "locked", job_id="ping-locked")
    holder = lock_database(2.0)
    workers()
    response = client.post("/login/password", data={"username": "hd_op", "password": demo.DEMO_PASSWORD,
                                                    "csrf_token": token})
    assert response.status_code == 303
    holder.join(timeout=30)
    wait_for(lambda: _count("worker_ping", "locked") == 1, timeout=60, what="the job to finish")
    assert _count("login") == 1 and _count("worker_ping", "locked") == 1


def test_a_worker_carries_on_after_redis_restarts_empty_in_the_middle_of_a_job(app, workers, redis_control):
    """Redis crashes while a job runs and comes back empty. RQ's worker cannot record the end of
    the job and quits; `jobs.supervise` (as in the Procfile) starts it again, and new work runs
    without anyone restarting anything. The job in hand did its work once."""
    worker = workers()
    with app.app_context():
        queue.enqueue("tests.faults.fault_jobs.slow_mark", "mid", 3, job_id="fault-mid")
    wait_for(lambda: _count("fault_started", "mid") == 1, what="the job to start")
    redis_control.restart(down_for=1.0)
    wait_for(lambda: _count("fault_done", "mid") == 1, what="the job to finish its work")
    with app.app_context():
        queue.enqueue("jobs.maintenance.ping", "after", job_id="ping-after")
    wait_for(lambda: _count("worker_ping", "after") == 1, timeout=60,
             what=f"a job to run after the restart (worker log: {worker.log_path})")
    assert _count("fault_done", "mid") == 1 and worker.proc.poll() is None


def test_a_worker_process_that_dies_is_started_again(app, workers):
    """Whatever ends `rq worker` (here kill -9, in life a Redis error between two steps of
    a job), its supervisor starts a new one and the queue is served again."""
    import os
    import signal
    worker = workers(scheduler=False)
    with app.app_context():
        queue.enqueue("jobs.maintenance.ping", "one", job_id="ping-one")
    wait_for(lambda: _count("worker_ping", "one") == 1, what="the worker to run a job")
    dead = worker.rq_pid()
    os.kill(dead, signal.SIGKILL)
    wait_for(lambda: worker.rq_pid() != dead, what="a new rq worker")
    with app.app_context():
        queue.enqueue("jobs.maintenance.ping", "two", job_id="ping-two")
    wait_for(lambda: _count("worker_ping", "two") == 1, what=f"the new worker to run a job (log: {worker.log_path})")
    assert "starting it again in 1 s" in worker.log_path.read_text()


def test_a_pooled_connection_the_database_dropped_is_replaced_not_failed(app, client, demo, actions):
    """PostgreSQL restarted or failed over: the idle connections in a process's pool are dead.
    The pool checks a connection with a round trip before handing it out, so the next request
    gets a fresh one instead of an error page."""
    from coo.db import is_postgres
    from coo.models import database
    if not is_postgres():
        pytest.skip("PostgreSQL only: a SQLite connection is a file, nothing drops it")
    assert actions.login_password("hd_op", demo.DEMO_PASSWORD).status_code == 303
    assert client.get("/certificates/").status_code == 200
    database.close()
    idle = len(database.obj._connections)
    assert idle >= 1, "the request gave its connection back to the pool"
    # From outside the pool: every session of this database is killed, as a restart would.
    import psycopg2
    name = database.obj.database
    admin = psycopg2.connect(dbname="postgres", **database.obj.connect_params)
    admin.autocommit = True
    with admin.cursor() as cursor:
        cursor.execute("SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                       "WHERE datname = %s AND pid <> pg_backend_pid()", (name,))
        assert cursor.fetchone()[0] >= idle
    admin.close()
    for _ in range(3):
        assert client.get("/certificates/").status_code == 200
