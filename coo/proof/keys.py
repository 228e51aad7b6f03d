"""The ECDSA P-256 keys that sign the certificate QR (COSE_Sign1) and the JSON record (JWS).

One key is current: `COO_VERIFY_KEY` (a PEM private key; production points it at a key kept
like any signing key). Keys that signed certificates still in circulation stay published as
retired: `COO_VERIFY_RETIRED_KEYS`, PEM files (public or private) separated by the path
separator. Rotation is configuration: make a new key, move the old file to the retired list,
point `COO_VERIFY_KEY` at the new one; certificates printed before still verify.

Without `COO_VERIFY_KEY` a demo key is made once under INSTANCE_PATH/signing/ (atomically: two
processes never end up with different keys). A key id (kid) is the first 8 bytes of the
SHA-256 of the public key's SubjectPublicKeyInfo, as the EU Digital COVID Certificate does.
"""
import base64
import hashlib
import os
from dataclasses import dataclass
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from flask import current_app

from coo.security import write_secret_once

DEMO_FILE = "verify-key.pem"
CURRENT, RETIRED = "current", "retired"


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def b64url_decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


@dataclass(frozen=True)
class VerifyKey:
    public: ec.EllipticCurvePublicKey
    status: str                                   # current | retired
    private: ec.EllipticCurvePrivateKey | None = None

    @property
    def kid(self) -> bytes:
        spki = self.public.public_bytes(serialization.Encoding.DER,
                                        serialization.PublicFormat.SubjectPublicKeyInfo)
        return hashlib.sha256(spki).digest()[:8]

    def jwk(self) -> dict:
        numbers = self.public.public_numbers()
        return {"kty": "EC", "crv": "P-256", "alg": "ES256", "use": "sig", "kid": b64url(self.kid),
                "x": b64url(numbers.x.to_bytes(32, "big")), "y": b64url(numbers.y.to_bytes(32, "big")),
                "status": self.status}


def key_from_jwk(jwk: dict) -> VerifyKey:
    if jwk.get("kty") != "EC" or jwk.get("crv") != "P-256":
        raise ValueError("only EC P-256 keys are used")
    x, y = (int.from_bytes(b64url_decode(jwk[c]), "big") for c in ("x", "y"))
    public = ec.EllipticCurvePublicNumbers(x, y, ec.SECP256R1()).public_key()
    return VerifyKey(public=public, status=jwk.get("status", CURRENT))


def _load_pem(data: bytes, status: str) -> VerifyKey:
    if b"PRIVATE KEY" in data:
        private = serialization.load_pem_private_key(data, password=None)
        if not isinstance(private, ec.EllipticCurvePrivateKey):
            raise ValueError("a verification key must be an EC P-256 key")
        return VerifyKey(public=private.public_key(), status=status, private=private)
    public = serialization.load_pem_public_key(data)
    if not isinstance(public, ec.EllipticCurvePublicKey):
        raise ValueError("a verification key must be an EC P-256 key")
    return VerifyKey(public=public, status=status)


def _demo_key_path() -> Path:
    return Path(current_app.config["INSTANCE_PATH"]) / "signing" / DEMO_FILE


def _make_demo(path: Path) -> None:
    key = ec.generate_private_key(ec.SECP256R1())
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                            serialization.NoEncryption())
    write_secret_once(path, pem)


def current_key() -> VerifyKey:
    configured = current_app.config.get("VERIFY_KEY_PATH")
    path = Path(configured) if configured else _demo_key_path()
    if not configured and not path.exists():
        _make_demo(path)
    key = _load_pem(path.read_bytes(), CURRENT)
    if key.private is None:
        raise ValueError(f"COO_VERIFY_KEY {path} holds no private key")
    return key


def retired_keys() -> list[VerifyKey]:
    listed = current_app.config.get("VERIFY_RETIRED_KEY_PATHS") or ""
    return [_load_pem(Path(p).read_bytes(), RETIRED) for p in listed.split(os.pathsep) if p.strip()]


def published_keys() -> list[VerifyKey]:
    """Every key a certificate in circulation may carry: the current one first."""
    return [current_key(), *retired_keys()]


def jwks() -> dict:
    return {"keys": [k.jwk() for k in published_keys()]}


def keys_from_jwks(document: dict) -> list[VerifyKey]:
    return [key_from_jwk(k) for k in document.get("keys", [])]
