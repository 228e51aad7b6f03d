"""coo/web/signing.py signs the session cookie and the CSRF token itself (its serializers kept
between requests). What it makes must be exactly what Flask and Flask-WTF make and check: a
cookie or token of one is valid for the other, a tampered one is refused by both, and a key
moved to SECRET_KEY_FALLBACKS still opens the cookies it signed."""
import pytest
from flask import request, session
from flask.sessions import SecureCookieSessionInterface
from flask_wtf.csrf import generate_csrf, validate_csrf
from wtforms import ValidationError

from coo.web.signing import SessionInterface, csrf_token


def _cookie(interface, app, data):
    """The Set-Cookie value `interface` writes for a session holding `data`."""
    with app.test_request_context("/"):
        sess = interface.open_session(app, request)
        sess.update(data)
        response = app.response_class()
        interface.save_session(app, sess, response)
        header = response.headers["Set-Cookie"]
    return header.split(";", 1)[0].split("=", 1)[1]


def _open(interface, app, value):
    with app.test_request_context("/", headers={"Cookie": f"{app.config['SESSION_COOKIE_NAME']}={value}"}):
        return interface.open_session(app, request)


def test_our_session_cookie_is_flasks_and_flasks_is_ours(app):
    ours, flasks = SessionInterface(), SecureCookieSessionInterface()
    data = {"_user_id": "card:17", "acting_for": 3, "名": "华东"}
    for writer, reader in ((ours, flasks), (flasks, ours), (ours, ours)):
        opened = _open(reader, app, _cookie(writer, app, data))
        assert dict(opened) == data


def test_a_tampered_session_cookie_is_refused_by_both(app):
    value = _cookie(SessionInterface(), app, {"_user_id": "card:17"})
    payload, stamp, signature = value.rsplit(".", 2)
    forged = f"{payload}.{stamp}.{'A' if signature[0] != 'A' else 'B'}{signature[1:]}"
    for reader in (SessionInterface(), SecureCookieSessionInterface()):
        assert dict(_open(reader, app, forged)) == {}


def test_a_retired_secret_still_opens_its_cookies_and_a_foreign_one_does_not(app):
    old_secret, new_secret = app.secret_key, "a-new-secret-for-rotation-0123456789"
    value = _cookie(SessionInterface(), app, {"_user_id": "card:17"})
    saved = app.secret_key, app.config.get("SECRET_KEY_FALLBACKS")
    try:
        app.secret_key = new_secret
        app.config["SECRET_KEY_FALLBACKS"] = [old_secret]
        assert dict(_open(SessionInterface(), app, value)) == {"_user_id": "card:17"}
        app.config["SECRET_KEY_FALLBACKS"] = []
        assert dict(_open(SessionInterface(), app, value)) == {}
    finally:
        app.secret_key, app.config["SECRET_KEY_FALLBACKS"] = saved


def test_our_csrf_token_is_flask_wtfs(app):
    with app.test_request_context("/"):
        token = csrf_token()
        assert csrf_token() == token                      # once per request, as Flask-WTF
        validate_csrf(token)                              # Flask-WTF checks ours
        raw = session["csrf_token"]
    with app.test_request_context("/"):
        session["csrf_token"] = raw
        theirs = generate_csrf()
        validate_csrf(theirs)
    with app.test_request_context("/"):
        session["csrf_token"] = raw
        validate_csrf(theirs)
        validate_csrf(csrf_token())
        with pytest.raises(ValidationError):
            validate_csrf(token[:-2] + ("AA" if token[-2:] != "AA" else "BB"))
    with app.test_request_context("/"):
        session["csrf_token"] = "another session's raw token"
        with pytest.raises(ValidationError):
            validate_csrf(token)                          # a token is bound to its session


def test_both_sign_with_the_one_call_hmac_sha1_and_its_signatures_are_hmacs(app):
    """The signers take HMAC-SHA1 in one OpenSSL call (`_HMACSHA1`) for Flask's session digest and
    itsdangerous' default; its signature is the standard HMAC-SHA1 of the value."""
    import hashlib
    import hmac

    from coo.web.signing import _HMACSHA1, serializer
    session_signer = SessionInterface().get_signing_serializer(app).make_signer()
    csrf_signer = serializer((app.secret_key,), "wtf-csrf-token").make_signer()
    for signer in (session_signer, csrf_signer):
        assert type(signer.algorithm) is _HMACSHA1
        key = signer.derive_key()
        assert signer.algorithm.get_signature(key, b"value") == hmac.new(key, b"value", hashlib.sha1).digest()


def test_ours_writes_uncompressed_payloads_and_reads_compressed_ones_both_ways(app):
    """Flask compresses a payload when that makes it shorter ('.' before it); ours never does
    (no deflate state per request). Each still reads the other's."""
    ours, flasks = SessionInterface(), SecureCookieSessionInterface()
    data = {"_id": "ab" * 64, "_user_id": "account:2:" + "x" * 32, "csrf_token": "0" * 40}
    ours_cookie, flasks_cookie = _cookie(ours, app, data), _cookie(flasks, app, data)
    assert flasks_cookie.startswith(".") and not ours_cookie.startswith(".")
    assert dict(_open(flasks, app, ours_cookie)) == data
    assert dict(_open(ours, app, flasks_cookie)) == data
    with app.test_request_context("/"):
        token = csrf_token()
        validate_csrf(token)          # Flask-WTF accepts our uncompressed token
        assert not token.startswith(".")


def test_a_sessions_csrf_token_is_signed_again_after_a_minute_and_every_one_validates(app, monkeypatch):
    """The signed token of a session's raw token is kept for a minute (a tenth of
    WTF_CSRF_TIME_LIMIT when that is shorter); any of them passes Flask-WTF's check, and another
    session's raw token never gets it."""
    import time

    from coo.web import signing
    clock, stamp = [1000.0], [int(time.time()) - 60]      # the token's time: Flask-WTF checks it
    monkeypatch.setattr(signing.time, "monotonic", lambda: clock[0])
    monkeypatch.setattr(signing._Signer, "get_timestamp", lambda self: stamp[0])

    def token_for(raw):
        with app.test_request_context("/"):
            session["csrf_token"] = raw
            token = csrf_token()
            validate_csrf(token)
            return token

    first = token_for("raw-of-session-a")
    stamp[0] += 30
    clock[0] += 30
    assert token_for("raw-of-session-a") == first              # kept
    assert token_for("raw-of-session-b") != first              # bound to its session
    clock[0] += 31
    again = token_for("raw-of-session-a")
    assert again != first                                      # signed again, with the new time
    monkeypatch.setitem(app.config, "WTF_CSRF_TIME_LIMIT", 100)
    stamp[0] += 5
    clock[0] += 11                                             # more than a tenth of 100 s
    assert token_for("raw-of-session-a") != again


def test_a_kept_session_cookie_still_expires_and_a_mutable_one_is_never_shared(app, monkeypatch):
    """A verified cookie is read from memory the next time it comes: the same data, but its age
    is still checked against the session's lifetime on every request, and a session holding a
    list (flashed messages) is decoded afresh each time, so one request's change never reaches
    the next."""
    import datetime
    import time

    from coo.web import signing
    monkeypatch.setattr(app, "permanent_session_lifetime", datetime.timedelta(seconds=600))
    data = {"_user_id": "card:17", "_fresh": True}
    value = _cookie(SessionInterface(), app, data)
    assert dict(_open(SessionInterface(), app, value)) == data
    assert any(cookie == value for _, cookie in signing._opened)        # kept
    assert dict(_open(SessionInterface(), app, value)) == data          # and read back
    now = time.time()
    monkeypatch.setattr(signing.time, "time", lambda: now + 601)
    assert dict(_open(SessionInterface(), app, value)) == {}            # expired, kept or not
    assert dict(_open(SecureCookieSessionInterface(), app, value)) == {}
    monkeypatch.undo()

    flashed = _cookie(SessionInterface(), app, {"_flashes": [["message", "已保存"]]})
    first = _open(SessionInterface(), app, flashed)
    first["_flashes"].append(["message", "另一条"])
    assert _open(SessionInterface(), app, flashed)["_flashes"] == [["message", "已保存"]]
    assert not any(cookie == flashed for _, cookie in signing._opened)
