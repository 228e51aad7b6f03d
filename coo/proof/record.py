"""The signed machine-readable record an importing customs' system fetches:
`GET /verify/<number>.json?code=…` → a compact JWS (RFC 7515, ES256) whose payload is the
archived certificate's approved data (the fields of docs/certificate.schema.json) plus its
archive facts, signed with the key of the QR seal (the kid names it in the JWKS)."""
import json

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature, encode_dss_signature
from flask import current_app

from coo.proof import keys as keyring
from coo.proof.qr import approved_record

MEDIA_TYPE = "application/jose"


def claims(cert) -> dict:
    record = approved_record(cert)
    record.update({
        "iss": current_app.config["PUBLIC_BASE_URL"].rstrip("/"),
        "archive_status": "archived",
        "archived_at": cert.archived_at.replace(microsecond=0).isoformat() + "Z",
        "exporter_name_en": cert.exporter.name_en,
        "type_name_en": cert.cert_type.name_en,
    })
    return record


def sign(payload: dict, key: keyring.VerifyKey) -> str:
    header = {"alg": "ES256", "kid": keyring.b64url(key.kid), "typ": "coo-record+jws", "cty": "json"}
    signing_input = ".".join(keyring.b64url(json.dumps(part, ensure_ascii=False, separators=(",", ":"))
                                            .encode("utf-8")) for part in (header, payload))
    der = key.private.sign(signing_input.encode("ascii"), ec.ECDSA(hashes.SHA256()))
    r, s = decode_dss_signature(der)
    return signing_input + "." + keyring.b64url(r.to_bytes(32, "big") + s.to_bytes(32, "big"))


def signed_record(cert) -> str:
    return sign(claims(cert), keyring.current_key())


def verify(token: str, known_keys: list) -> dict:
    """The payload of a JWS signed by one of the keys; ValueError if it is not."""
    try:
        head, body, signature = token.split(".")
        header = json.loads(keyring.b64url_decode(head))
        raw = keyring.b64url_decode(signature)
    except Exception:
        raise ValueError("not a compact JWS") from None
    if header.get("alg") != "ES256" or len(raw) != 64:
        raise ValueError("unsupported algorithm")
    key = next((k for k in known_keys if keyring.b64url(k.kid) == header.get("kid")), None)
    if key is None:
        raise ValueError("unknown key")
    der = encode_dss_signature(int.from_bytes(raw[:32], "big"), int.from_bytes(raw[32:], "big"))
    try:
        key.public.verify(der, f"{head}.{body}".encode("ascii"), ec.ECDSA(hashes.SHA256()))
    except Exception:
        raise ValueError("invalid signature") from None
    return json.loads(keyring.b64url_decode(body))
