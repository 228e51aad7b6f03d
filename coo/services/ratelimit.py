"""A counter in Redis, shared by every web process: at most N hits per key within a window that
starts with the key's first hit."""
from coo.queue import redis


def allow(name: str, ident: str, limit: int, window_s: int = 60) -> bool:
    """Count one hit for `ident`; False once it has made more than `limit` in the window."""
    key = f"ratelimit:{name}:{ident}"
    pipe = redis().pipeline()
    pipe.incr(key)
    pipe.expire(key, window_s, nx=True)
    count, _ = pipe.execute()
    return count <= limit
