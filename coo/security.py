"""Hashing of passwords, card PINs and tokens."""
import hashlib
import hmac
import secrets

from werkzeug.security import check_password_hash, generate_password_hash


def hash_secret(secret: str) -> str:
    return generate_password_hash(secret, method="pbkdf2:sha256:100000")


def check_secret(hashed: str, secret: str) -> bool:
    return bool(hashed) and check_password_hash(hashed, secret or "")


def new_token(nbytes: int = 32) -> str:
    return secrets.token_urlsafe(nbytes)


def token_digest(token: str) -> str:
    """Tokens are stored as SHA-256 digests: a database leak does not give working tokens."""
    return hashlib.sha256(token.encode()).hexdigest()


def hmac_hex(key: str, message: str) -> str:
    return hmac.new(key.encode(), message.encode(), hashlib.sha256).hexdigest()


def verification_code(certificate_number: str) -> str:
    """The per-certificate code printed with the QR (出口原产地证书核查): an HMAC of the number,
    so it cannot be guessed from the number. 10 characters, upper case, unambiguous."""
    from flask import current_app
    digest = hmac.new(current_app.config["SECRET_KEY"].encode(), b"verify:" + certificate_number.encode(),
                      hashlib.sha256).digest()
    alphabet = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
    value = int.from_bytes(digest[:8], "big")
    return "".join(alphabet[(value >> (5 * i)) & 31] for i in range(10))


def verification_url(certificate_number: str) -> str:
    """The address the QR on a certificate carries (served by the `verify` blueprint)."""
    from urllib.parse import urlencode
    from flask import current_app
    base = current_app.config["PUBLIC_BASE_URL"].rstrip("/")
    return f"{base}/verify?" + urlencode({"no": certificate_number, "code": verification_code(certificate_number)})


def write_secret_once(path, data: bytes) -> None:
    """Write a key file once, atomically, readable by its owner only: when two processes make
    one at the same time, the first to land wins and the other's is dropped, so no process
    ends up with a key that another process does not have."""
    import os
    import tempfile
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
    with os.fdopen(fd, "wb") as fh:
        fh.write(data)
    os.chmod(tmp, 0o600)
    try:
        os.link(tmp, path)
    except FileExistsError:
        pass
    finally:
        os.unlink(tmp)

