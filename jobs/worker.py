"""The worker class of `rq worker -w jobs.worker.CooWorker`: the app (config, templates, fonts)
is built once in the parent, so every forked job starts warm.

It also comes back from faults in seconds where RQ 3.0 alone takes minutes:

- **A dead scheduler's lock.** RQ's scheduler holds `rq:scheduler-lock:<queue>` with a TTL of
  61 s, refreshed every second. A worker killed with -9 leaves it behind; the next worker fails
  to take it at start and RQ tries again only at its ten-minute maintenance, so every retry and
  archive poll waits for the cron sweep. Here the worker looks every few seconds whether its
  scheduler runs; if not, a lock nobody refreshed for `SCHEDULER_STALE_S` is the lock of a dead
  scheduler: it is removed (atomically, only if still stale) and the locks are taken.
- **A Redis restart.** Redis comes back empty: RQ's worker reconnects and keeps working, but its
  registration (`rq:workers`, its hash) is gone, so it is invisible to `Worker.all()`, the
  dashboard and /healthz. Here every heartbeat checks the registration and writes it again.
- **Idle waits are short** (`IDLE_WAIT_S`), so an idle worker runs those checks too.
"""
import logging
import os
import time

from redis.exceptions import RedisError
from rq import worker_registration
from rq.scheduler import RQScheduler
from rq.worker import Worker

import jobs

log = logging.getLogger(__name__)

IDLE_WAIT_S = 5               # longest BLPOP of an idle worker: it heartbeats in between
RECOVERY_CHECK_S = 5          # how often the registration and the scheduler are checked
SCHEDULER_STALE_S = 15        # a scheduler lock not refreshed for this long has no live owner

# KEYS[1] = lock key; ARGV[1] = remaining TTL (ms) below which nobody has refreshed it lately.
# Deletes the lock only if it is still that stale, so a live scheduler's lock is never taken.
_CLEAR_STALE_LOCK = """
local ttl = redis.call('PTTL', KEYS[1])
if ttl == -2 then return 0 end
if ttl == -1 or ttl < tonumber(ARGV[1]) then
    redis.call('DEL', KEYS[1])
    return 1
end
return 0
"""


class CooWorker(Worker):
    def __init__(self, *args, **kwargs):
        jobs.app()
        super().__init__(*args, **kwargs)
        self._coo_pid = os.getpid()        # the work horse (a fork) must not run the checks
        self._coo_checked_at = 0.0

    @property
    def dequeue_timeout(self) -> int:
        return min(super().dequeue_timeout, IDLE_WAIT_S)

    def heartbeat(self, timeout=None, pipeline=None):
        super().heartbeat(timeout, pipeline)
        if pipeline is None and os.getpid() == self._coo_pid:
            self._recover()

    def _recover(self):
        if time.monotonic() - self._coo_checked_at < RECOVERY_CHECK_S:
            return
        self._coo_checked_at = time.monotonic()
        try:
            self._register_again()
            self._restart_scheduler()
        except RedisError as error:        # Redis away again: the next heartbeat retries
            log.warning("Worker %s: recovery check failed: %s", self.name, error)

    def _register_again(self):
        """Write the registration Redis lost (a restart, a flush), as `register_birth` does."""
        if self.birth_date is None or self.connection.sismember(self.redis_workers_keys, self.key):
            return
        self.log.warning("Worker %s: registration lost (Redis restarted?); registering again", self.name)
        with self.connection.pipeline() as pipeline:
            pipeline.hset(self.key, mapping=self.serialize())
            worker_registration.register(self, pipeline)
            pipeline.expire(self.key, self.worker_ttl + 60)
            pipeline.execute()

    def _restart_scheduler(self):
        """`--with-scheduler`: when our scheduler process is not running (it did not get the locks
        at start, or it died with Redis), clear the locks of dead schedulers and take them."""
        scheduler = self.scheduler
        if scheduler is None or (scheduler._process is not None and scheduler._process.is_alive()):
            return
        clear = self.connection.register_script(_CLEAR_STALE_LOCK)
        fresh_ms = (scheduler.interval + 60 - SCHEDULER_STALE_S) * 1000
        for name in scheduler._queue_names:
            if clear(keys=[RQScheduler.get_locking_key(name)], args=[fresh_ms]):
                self.log.warning("Worker %s: removed the stale scheduler lock of %s (its scheduler died)",
                                 self.name, name)
        scheduler.acquire_locks(auto_start=True)
