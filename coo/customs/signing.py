"""Signed requests between us and customs (both directions): HMAC-SHA256 with a shared key.

A request carries three headers:

    X-Coo-Timestamp: 1764134400                 (Unix seconds, UTC)
    X-Coo-Nonce:     9f1c0e6a2b7d4c5e8a1f3b2c   (random, used once)
    X-Coo-Signature: hex(HMAC-SHA256(key, METHOD \\n PATH \\n TIMESTAMP \\n NONCE \\n hex(SHA256(body))))

The receiver refuses a bad signature, a timestamp outside the replay window
(`CUSTOMS_REPLAY_WINDOW_S`, either side of now), and a nonce it has already seen: `remember`
stores each nonce for twice the window, so every nonce that could still pass the timestamp
check is known. Our endpoint keeps them in the database (`coo.customs.nonces`), where a Redis
restart cannot forget them. The HTTP client (`coo.customs.http`) signs; the inbound
endpoint (`coo.web.api`) verifies.
"""
import hashlib
import hmac
import secrets
import time

TIMESTAMP = "X-Coo-Timestamp"
NONCE = "X-Coo-Nonce"
SIGNATURE = "X-Coo-Signature"
NONCE_PREFIX = "coo:customs:nonce:"


MESSAGES = {
    "missing_signature": "缺少签名信息 / missing signature headers",
    "bad_signature": "签名校验失败 / bad signature",
    "stale_timestamp": "请求时间戳已过期或无效 / stale or invalid timestamp",
    "replayed_nonce": "重复的请求（nonce 已使用） / replayed request (nonce already used)",
}


class SignatureError(Exception):
    """Why a signed request was refused: a code, and the message in Chinese and English."""

    def __init__(self, code: str):
        super().__init__(MESSAGES[code])
        self.code = code
        self.message = MESSAGES[code]


def _message(method: str, path: str, timestamp: str, nonce: str, body: bytes) -> bytes:
    digest = hashlib.sha256(body or b"").hexdigest()
    return "\n".join([method.upper(), path, timestamp, nonce, digest]).encode()


def signature(key: str, method: str, path: str, timestamp: str, nonce: str, body: bytes) -> str:
    return hmac.new(key.encode(), _message(method, path, timestamp, nonce, body), hashlib.sha256).hexdigest()


def sign(key: str, method: str, path: str, body: bytes = b"", *, timestamp: int | None = None,
         nonce: str | None = None) -> dict:
    """The headers that sign one request. A fresh nonce each call: a retry is a new request."""
    ts = str(int(time.time()) if timestamp is None else int(timestamp))
    nonce = nonce or secrets.token_hex(16)
    return {TIMESTAMP: ts, NONCE: nonce, SIGNATURE: signature(key, method, path, ts, nonce, body)}


def verify(key: str, method: str, path: str, body: bytes, headers, *, window: int, remember,
           now: float | None = None) -> None:
    """Raise SignatureError unless the request is signed with `key`, fresh, and not a replay.

    `remember(nonce, seconds)` stores a nonce for that long and says whether it was new. The
    nonce is only remembered once signature and timestamp are good, so nobody can burn nonces
    without the key."""
    ts, nonce, sig = headers.get(TIMESTAMP), headers.get(NONCE), headers.get(SIGNATURE)
    if not ts or not nonce or not sig:
        raise SignatureError("missing_signature")
    if not (8 <= len(nonce) <= 64 and nonce.isalnum()):
        raise SignatureError("bad_signature")
    expected = signature(key, method, path, ts, nonce, body)
    if not hmac.compare_digest(expected, sig.lower()):
        raise SignatureError("bad_signature")
    try:
        stamp = int(ts)
    except ValueError:
        raise SignatureError("stale_timestamp") from None
    now = time.time() if now is None else now
    if abs(now - stamp) > window:
        raise SignatureError("stale_timestamp")
    if not remember(nonce, max(1, 2 * window)):
        raise SignatureError("replayed_nonce")


def redis_nonces(redis):
    """A `remember` for `verify` in Redis (``SET NX`` with a TTL): for a receiver that may forget
    on a Redis restart (the test doubles of customs); our endpoint uses the database."""
    return lambda nonce, seconds: bool(redis.set(NONCE_PREFIX + nonce, "1", nx=True, ex=seconds))
