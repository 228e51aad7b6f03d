"""A fixed-window counter in Redis, shared by every web process: N hits per key and window."""
import time

from coo.queue import redis


def allow(name: str, ident: str, limit: int, window_s: int = 60) -> bool:
    """Count one hit for `ident`; False once it has made more than `limit` in this window."""
    key = f"ratelimit:{name}:{ident}:{int(time.time() // window_s)}"
    pipe = redis().pipeline()
    pipe.incr(key)
    pipe.expire(key, window_s + 1)
    count, _ = pipe.execute()
    return count <= limit
