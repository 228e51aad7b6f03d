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
