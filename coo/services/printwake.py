"""Waking the print controls' waiting long-polls: one Redis listener per process.

A control's `GET /api/printcontrol/v1/jobs/next?wait=20` waits for a job of its enterprise. Tens
of thousands of controls wait like that all day, so a waiting request holds neither a database
connection nor a Redis connection of its own: it registers an event here and sleeps on it.
One listener per process (a thread; a greenlet under gunicorn's gevent worker, which patches
`threading`) is subscribed to ``printcontrol:wake:*`` on a connection with no socket timeout
(redis-py 8's default of 5 s would end every idle wait with a TimeoutError) and sets the events
of the enterprise a message names. `create_jobs` publishes after its transaction committed.

A message can be lost (Redis restarted, the listener reconnecting): the database stays the
truth. On every (re)subscribe the listener wakes all waiters so they look again, and while it is
not connected waiters look every `FALLBACK_S` seconds.
"""
import logging
import os
import threading

from redis import Redis
from redis.exceptions import RedisError

log = logging.getLogger(__name__)

PREFIX = "printcontrol:wake:"
FALLBACK_S = 5.0
# The listener pings Redis this often, so a connection that died silently is noticed.
HEALTH_CHECK_S = 15


def channel(enterprise_id) -> str:
    return f"{PREFIX}{enterprise_id}"


class Waker:
    def __init__(self, url: str):
        self.url = url
        self._lock = threading.Lock()
        self._waiters = {}          # enterprise id (str) -> set of threading.Event
        self._pid = None
        self._thread = None
        self.connected = threading.Event()

    # --- the waiting side ---------------------------------------------------------------------

    def register(self, enterprise_id) -> threading.Event:
        """An event set when a job of the enterprise may be there. Register before looking in
        the database, so a job queued between the look and the wait is not missed."""
        self._ensure_listener()
        event = threading.Event()
        with self._lock:
            self._waiters.setdefault(str(enterprise_id), set()).add(event)
        return event

    def unregister(self, enterprise_id, event):
        with self._lock:
            waiting = self._waiters.get(str(enterprise_id))
            if waiting is not None:
                waiting.discard(event)
                if not waiting:
                    del self._waiters[str(enterprise_id)]

    def wait(self, event: threading.Event, timeout: float) -> bool:
        if not self.connected.is_set():
            timeout = min(timeout, FALLBACK_S)
        woken = event.wait(max(0.0, timeout))
        event.clear()
        return woken

    def waiting(self) -> int:
        with self._lock:
            return sum(len(events) for events in self._waiters.values())

    # --- the listener ---------------------------------------------------------------------------

    def _ensure_listener(self):
        # A plain flag, not Thread.is_alive(): under gevent that check yields to other
        # greenlets, and callers may hold a pooled database connection. The listener never
        # returns (it reconnects forever), so "started in this process" is "running".
        if self._pid == os.getpid():
            return
        with self._lock:
            if self._pid == os.getpid():
                return
            self._waiters = {}                 # a forked child: its parent's waiters are not ours
            self.connected = threading.Event()
            self._thread = threading.Thread(target=self._listen, name="printcontrol-waker", daemon=True)
            self._thread.start()
            self._pid = os.getpid()

    def _wake(self, enterprise_id=None):
        with self._lock:
            if enterprise_id is None:
                events = [e for waiting in self._waiters.values() for e in waiting]
            else:
                events = list(self._waiters.get(enterprise_id, ()))
        for event in events:
            event.set()

    def _listen(self):
        delay = 0.5
        while True:
            client = pubsub = None
            try:
                client = Redis.from_url(self.url, socket_timeout=None, socket_connect_timeout=5,
                                        socket_keepalive=True, health_check_interval=HEALTH_CHECK_S)
                pubsub = client.pubsub(ignore_subscribe_messages=True)
                pubsub.psubscribe(PREFIX + "*")
                pubsub.get_message(timeout=5)          # the subscribe confirmation
                self._wake()                           # what was published while we were away
                self.connected.set()
                delay = 0.5
                while True:
                    message = pubsub.get_message(timeout=HEALTH_CHECK_S)
                    if message and message.get("type") == "pmessage":
                        name = message["channel"]
                        name = name.decode() if isinstance(name, bytes) else name
                        self._wake(name[len(PREFIX):])
            except Exception as exc:          # Redis gone, or anything else: never stop listening
                if self.connected.is_set():
                    log.warning("print control waker lost Redis (%s); reconnecting", exc)
                self.connected.clear()
                self._wake()
            finally:
                for closable in (pubsub, client):
                    try:
                        if closable is not None:
                            closable.close()
                    except (RedisError, OSError):
                        pass
            threading.Event().wait(delay)
            delay = min(delay * 2, 10)


_wakers = {}
_wakers_lock = threading.Lock()


def waker(url: str) -> Waker:
    with _wakers_lock:
        if url not in _wakers:
            _wakers[url] = Waker(url)
        return _wakers[url]


def notify(redis_client, enterprise_id):
    """Wake the enterprise's waiting controls in every process. A lost message costs at most
    one long-poll's wait (the database is the truth), so Redis being down is not an error here."""
    try:
        redis_client.publish(channel(enterprise_id), "1")
    except RedisError as exc:
        log.warning("print control wake-up not sent (%s); controls find the job on their next poll", exc)
