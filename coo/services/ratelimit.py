"""Counters in Redis, shared by every web process: at most N hits per key within a window that
starts with the key's first hit. Keys expire with their window.

When Redis does not answer, a limiter fails safe: it answers "limited" (the caller shows its
"请稍后再试"), never an exception, so an outage neither opens the door to guessing nor shows a 500.
"""
import logging

from redis.exceptions import RedisError

from coo.queue import redis

log = logging.getLogger(__name__)


def key(name: str, ident: str) -> str:
    return f"ratelimit:{name}:{ident}"


def allow(name: str, ident: str, limit: int, window_s: int = 60) -> bool:
    """Count one hit for `ident`; False once it has made more than `limit` in the window."""
    try:
        return hit(name, ident, window_s) <= limit
    except RedisError as error:
        log.warning("rate limiter %s unavailable (%s): refusing", name, type(error).__name__)
        return False


def hit(name: str, ident: str, window_s: int) -> int:
    """Count one hit; the number of hits in the window so far (raises RedisError)."""
    name = key(name, ident)
    pipe = redis().pipeline()
    pipe.incr(name)
    pipe.expire(name, window_s, nx=True)
    count, _ = pipe.execute()
    return count


def count(name: str, ident: str) -> int:
    """Hits in the current window (raises RedisError)."""
    return int(redis().get(key(name, ident)) or 0)


def reset(name: str, ident: str) -> None:
    redis().delete(key(name, ident))
