"""The session cookie and the CSRF token, signed exactly as Flask and Flask-WTF sign them (same
format, keys, fallbacks, salts, digest and checks: a cookie or token of one is valid for the
other), without rebuilding their signing objects on every request.

Flask builds an itsdangerous serializer twice per request (open and save) and Flask-WTF one
more for the token, and every sign or check derives the HMAC key from the secret again. Here the
serializers are kept per (keys, salt) and the derived key per (secret, salt): both are pure
functions of the app's secret, which the process holds anyway. Two differences in how, not in
what: HMAC-SHA1 is one OpenSSL call (`_HMACSHA1`), and payloads are written uncompressed
(`_Serializer`; compressed ones are read as before).
"""
import hashlib
import hmac
import os
import time

from flask import current_app, g, session
from flask.sessions import SecureCookieSessionInterface
from flask.sessions import _lazy_sha1 as _flask_sha1
from itsdangerous import BadSignature, TimestampSigner, URLSafeTimedSerializer
from itsdangerous.encoding import base64_encode, want_bytes
from itsdangerous.signer import HMACAlgorithm
from itsdangerous.signer import _lazy_sha1 as _itsdangerous_sha1
from itsdangerous.url_safe import URLSafeSerializerMixin

_MAX_KEPT = 64      # distinct (secret, salt) pairs kept; more (tests making apps) starts over


def _keep(store: dict, limit: int, key, value):
    """store[key] = value, the store emptied first when it holds `limit` entries (everything
    kept here is cheap to make again); returns `value`."""
    if len(store) >= limit:
        store.clear()
    store[key] = value
    return value


class _HMACSHA1(HMACAlgorithm):
    """HMAC-SHA1 (what Flask and Flask-WTF sign with) in one call of OpenSSL: given itsdangerous'
    lazy sha1 function, `hmac.new` takes the pure-Python construction instead."""

    def __init__(self):
        super().__init__(hashlib.sha1)

    def get_signature(self, key: bytes, value: bytes) -> bytes:
        return hmac.digest(key, value, "sha1")


_SHA1 = _HMACSHA1()
# What Flask's session and itsdangerous' default sign with: each returns hashlib.sha1(data).
_SHA1_FUNCTIONS = (_flask_sha1, _itsdangerous_sha1, hashlib.sha1)


class _Signer(TimestampSigner):
    """itsdangerous' TimestampSigner, its derived key computed once per (secret, salt), and
    HMAC-SHA1 in one call (`_HMACSHA1`): the same signatures."""
    _derived: dict = {}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if type(self.algorithm) is HMACAlgorithm and self.algorithm.digest_method in _SHA1_FUNCTIONS:
            self.algorithm = _SHA1

    def derive_key(self, secret_key=None):
        secret_key = self.secret_keys[-1] if secret_key is None else want_bytes(secret_key)
        key = (secret_key, self.salt, self.key_derivation, self.digest_method)
        derived = self._derived.get(key)
        if derived is None:
            derived = _keep(self._derived, _MAX_KEPT, key, super().derive_key(secret_key))
        return derived


class _Serializer(URLSafeTimedSerializer):
    """URLSafeTimedSerializer that writes its payload uncompressed. itsdangerous zlib-compresses
    a payload when that makes it shorter: a deflate state set up (and 64 KiB of it zeroed) to
    save about 80 bytes of a session cookie, and tried in vain on every CSRF token. Reading is
    unchanged: a compressed payload (Flask's, Flask-WTF's, an older cookie) is still read, and
    ours is read by them."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._signers: dict = {}

    def dump_payload(self, obj) -> bytes:
        return base64_encode(super(URLSafeSerializerMixin, self).dump_payload(obj))

    def make_signer(self, salt=None):
        """itsdangerous makes a new signer for every sign and check (`loads` through
        `iter_unsigners`); it holds only the keys, salt and options, which a serializer's never
        change: one per salt."""
        signer = self._signers.get(salt)
        if signer is None:
            signer = self._signers[salt] = super().make_signer(salt)
        return signer


_serializers: dict = {}


def serializer(keys: tuple, salt, **kwargs) -> URLSafeTimedSerializer:
    """URLSafeTimedSerializer(list(keys), salt=salt, signer=_Signer, ...), one per arguments
    (an uncompressed `_Serializer`)."""
    key = (keys, salt, tuple(sorted((k, repr(v)) for k, v in kwargs.items())))
    found = _serializers.get(key)
    if found is None:
        found = _keep(_serializers, _MAX_KEPT, key,
                      _Serializer(list(keys), salt=salt, signer=_Signer, **kwargs))
    return found


# Session cookies already verified, by (serializer, cookie): (their data, when they were signed).
_opened: dict = {}
_OPENED_KEPT = 2048         # cookies kept; more starts over
_SCALARS = (str, int, float, bool, type(None))


class SessionInterface(SecureCookieSessionInterface):
    """Flask's signed-cookie session, its serializer kept between requests (the last one used,
    by its keys: Flask asks twice per request), and a cookie it has verified read from memory
    the next time it comes (`open_session`)."""
    _kept = None

    def open_session(self, app, request):
        """Flask's open_session. A browser sends the same cookie with every request until the
        session changes; checking its signature and decoding its JSON each time cost about a
        sixth of the list page (165 of 930 µs, in-process). A cookie that verified is kept with
        its data and its signing time, and is read back from them: the same answer, since the
        cookie is the same bytes under the same keys, and its age is checked against the
        lifetime on every request, as itsdangerous does. Only sessions of plain values are kept
        (the copy handed out is shallow); a cookie that did not verify is never kept."""
        s = self.get_signing_serializer(app)
        if s is None:
            return None
        val = request.cookies.get(self.get_cookie_name(app))
        if not val:
            return self.session_class()
        max_age = int(app.permanent_session_lifetime.total_seconds())
        key = (s, val)
        kept = _opened.get(key)
        if kept is not None:
            age = int(time.time()) - kept[1]
            if 0 <= age <= max_age:
                return self.session_class(kept[0])
            _opened.pop(key, None)
            return self.session_class()
        try:
            data, signed = s.loads(val, max_age=max_age, return_timestamp=True)
        except BadSignature:
            return self.session_class()
        if isinstance(data, dict) and all(type(v) in _SCALARS for v in data.values()):
            _keep(_opened, _OPENED_KEPT, key, (dict(data), int(signed.timestamp())))
        return self.session_class(data)

    def get_signing_serializer(self, app):
        if not app.secret_key:
            return None
        keys = (*(app.config["SECRET_KEY_FALLBACKS"] or ()), app.secret_key)
        kept = self._kept
        if kept is not None and kept[0] == keys:
            return kept[1]
        found = serializer(keys, self.salt, serializer=self.serializer,
                           signer_kwargs={"key_derivation": self.key_derivation,
                                          "digest_method": self.digest_method})
        self._kept = (keys, found)
        return found


# Signed CSRF tokens by (secret, the session's raw token): (token, when it was signed).
_tokens: dict = {}
_TOKENS_KEPT = 4096         # sessions whose token is kept; more starts over
_TOKEN_REUSE_S = 60.0


def _signed(secret_key, raw: str, time_limit) -> str:
    """The signed token of `raw`, signed at most a minute ago (a tenth of WTF_CSRF_TIME_LIMIT
    when that is shorter). The token is the raw token and the time it was signed; Flask-WTF
    accepts it for as long as the raw token is the session's (WTF_CSRF_TIME_LIMIT None, ours),
    else for that limit after the signing. Signing it again on every page cost about as much as
    rendering the list's toolbar."""
    reuse_s = _TOKEN_REUSE_S if time_limit is None else min(_TOKEN_REUSE_S, time_limit / 10)
    now = time.monotonic()
    key = (secret_key, raw)
    kept = _tokens.get(key)
    if kept is not None and now - kept[1] < reuse_s:
        return kept[0]
    token = serializer((secret_key,), "wtf-csrf-token").dumps(raw)
    _keep(_tokens, _TOKENS_KEPT, key, (token, now))
    return token


def csrf_token() -> str:
    """flask_wtf.csrf.generate_csrf(): this request's signed CSRF token (made once per request,
    kept in `g` where Flask-WTF keeps it; the session's raw token made when it has none)."""
    config = current_app.config
    field_name = config.get("WTF_CSRF_FIELD_NAME", "csrf_token")
    token = g.get(field_name)
    if token is None:
        secret_key = config.get("WTF_CSRF_SECRET_KEY") or current_app.secret_key
        if field_name not in session:
            session[field_name] = hashlib.sha1(os.urandom(64)).hexdigest()
        raw = session[field_name]
        if not isinstance(raw, str):        # as Flask-WTF: a raw token that is not text is replaced
            raw = session[field_name] = hashlib.sha1(os.urandom(64)).hexdigest()
        token = _signed(secret_key, raw, config.get("WTF_CSRF_TIME_LIMIT"))
        setattr(g, field_name, token)
    return token

