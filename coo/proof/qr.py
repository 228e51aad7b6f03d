"""The self-verifying QR (a visible digital seal) printed on every original and copy.

Its text is `COO1:` + base45(zlib(COSE_Sign1)), all in the QR alphanumeric alphabet, as the EU
Digital COVID Certificate does it (`HC1:`). The COSE_Sign1 (RFC 9052, ES256, the key id in the
protected header) signs a CBOR map with small integer keys, so forty goods lines still fit a
QR of at most 30 mm. An officer's app or `flask --app wsgi coo verify-qr` checks it with the
published keys (/.well-known/coo-keys.json), offline. The format is `docs/verification.md`'s.

Payload (version 1), CBOR map:
  1 certificate number        2 verification code        3 type code
  4 exporter (English name)    5 importing country        6 issue date (YYYY-MM-DD)
  7 HS code of each goods line, in line order
  8 total quantity, per unit ("1200 PCS; 300 SETS")
  9 total FOB value with currency ("USD 12345.00")
 10 issuing office code or name
 11 SHA-256 of the approved record (the JSON of docs/certificate.schema.json, canonical)
"""
import hashlib
import json
import re
import zlib
from collections import OrderedDict
from dataclasses import dataclass, field
from decimal import Decimal

import base45
import cbor2
from cwt import COSE, COSEKey
from cryptography.hazmat.primitives import serialization

from coo.proof import keys as keyring

PREFIX = "COO1:"
MAX_SIGNED_BYTES = 16384        # a seal is ~1 KB; more is not ours (a zlib bomb)
ALG_ES256 = -7
HEADER_ALG, HEADER_KID = 1, 4

FIELDS = OrderedDict([
    (1, ("number", "Certificate No.", "证书编号")),
    (2, ("code", "Verification code", "核查码")),
    (3, ("type", "Type", "证书类别")),
    (4, ("exporter", "Exporter", "出口商")),
    (5, ("importing_country", "Importing country", "进口国")),
    (6, ("issue_date", "Issue date", "签发日期")),
    (7, ("hs_codes", "HS codes", "HS编码")),
    (8, ("total_quantity", "Total quantity", "数量合计")),
    (9, ("total_fob", "Total FOB value", "FOB金额合计")),
    (10, ("issuing_office", "Issuing office", "签证机构")),
    (11, ("record_sha256", "Record hash (SHA-256)", "证书数据摘要")),
])
BY_NAME = {name: label for label, (name, _en, _zh) in FIELDS.items()}


def approved_record(cert) -> dict:
    """The certificate as customs approved it: the fields of docs/certificate.schema.json."""
    goods = [{"line_no": g.line_no, "marks": g.marks, "description": g.description,
              "hs_code": g.hs_code, "quantity": g.quantity, "origin_criterion": g.origin_criterion,
              "fob_value": None if g.fob_value is None else f"{Decimal(g.fob_value):.2f}",
              "currency": g.currency, "invoice_ref": g.invoice_ref}
             for g in cert.goods.order_by(cert.goods.model.line_no)]
    iso = lambda d: d.isoformat() if d else None  # noqa: E731
    return {
        "number": cert.number, "type": cert.cert_type.code, "invoice_number": cert.invoice_number,
        "invoice_date": iso(cert.invoice_date), "exporter_uscc": cert.exporter.uscc,
        "applicant_uscc": cert.applicant.uscc, "exporter_text": cert.exporter_text,
        "consignee_text": cert.consignee_text, "producer_text": cert.producer_text,
        "importing_country": cert.importing_country, "transport_text": cert.transport_text,
        "departure_date": iso(cert.departure_date), "remarks": cert.remarks,
        "third_party_invoicing": cert.third_party_invoicing, "exhibition": cert.exhibition,
        "back_to_back": cert.back_to_back, "issue_date": iso(cert.issue_date),
        "issuing_office": cert.issuing_office, "platform": cert.platform.value,
        "creator": cert.creator, "goods": goods,
    }


def record_digest(record: dict) -> bytes:
    canonical = json.dumps(record, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).digest()


_QTY = re.compile(r"^\s*([0-9][0-9,]*(?:\.[0-9]+)?)\s*([A-Za-z]+)")


def total_quantity(quantities) -> str:
    """The sum per unit of each line's leading quantity ("1,200 PCS; G.W. 3,400 KGS" → 1200 PCS)."""
    totals = OrderedDict()
    for text in quantities:
        match = _QTY.match(text or "")
        if match:
            unit = match.group(2).upper()
            totals[unit] = totals.get(unit, Decimal(0)) + Decimal(match.group(1).replace(",", ""))
    return "; ".join(f"{value.normalize():f} {unit}" for unit, value in totals.items())


def total_fob(goods) -> str:
    sums = OrderedDict()
    for line in goods:
        if line.fob_value is not None:
            sums[line.currency] = sums.get(line.currency, Decimal(0)) + Decimal(line.fob_value)
    return "; ".join(f"{currency} {value:.2f}" for currency, value in sums.items())


def claims(cert, code: str) -> dict:
    goods = list(cert.goods.order_by(cert.goods.model.line_no))
    return {
        1: cert.number, 2: code, 3: cert.cert_type.code, 4: cert.exporter.name_en,
        5: cert.importing_country, 6: cert.issue_date.isoformat(),
        7: [g.hs_code.replace(".", "") for g in goods],
        8: total_quantity(g.quantity for g in goods), 9: total_fob(goods),
        10: cert.issuing_office, 11: record_digest(approved_record(cert)),
    }


def _cose_key(key: keyring.VerifyKey, private: bool):
    if private:
        pem = key.private.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                        serialization.NoEncryption())
    else:
        pem = key.public.public_bytes(serialization.Encoding.PEM,
                                      serialization.PublicFormat.SubjectPublicKeyInfo)
    return COSEKey.from_pem(pem, alg="ES256", kid=key.kid)


def encode(payload: dict, key: keyring.VerifyKey) -> str:
    signed = COSE.new().encode_and_sign(cbor2.dumps(payload), key=_cose_key(key, private=True),
                                        protected={HEADER_ALG: ALG_ES256, HEADER_KID: key.kid})
    return PREFIX + base45.b45encode(zlib.compress(signed, 9)).decode("ascii")


def seal_text(cert, code: str) -> str:
    """The QR text of one certificate, signed with the current key."""
    return encode(claims(cert, code), keyring.current_key())


@dataclass
class Verdict:
    valid: bool
    reason_zh: str = ""
    reason_en: str = ""
    data: dict = field(default_factory=dict)    # name -> value, for a valid seal only
    kid: str = ""
    key_status: str = ""

    def rows(self):
        """(English label, Chinese label, printable value) in payload order."""
        for name, (en, zh) in ((n, (e, z)) for _l, (n, e, z) in FIELDS.items()):
            if name in self.data:
                value = self.data[name]
                if isinstance(value, list):
                    value = ", ".join(value)
                elif isinstance(value, bytes):
                    value = value.hex()
                yield en, zh, value


def _refuse(zh, en, kid=b""):
    return Verdict(valid=False, reason_zh=zh, reason_en=en, kid=keyring.b64url(kid) if kid else "")


def verify(text: str, known_keys: list) -> Verdict:
    """Check a scanned QR text against the given keys (a JWKS's or our own). Never raises."""
    # base45 has the space among its digits: only line breaks around the text are not its own
    text = (text or "").strip("\r\n\t")
    if not text.startswith(PREFIX):
        return _refuse("不是原产地证书防伪二维码（应以 COO1: 开头）。",
                       "Not a certificate-of-origin seal (it must start with COO1:).")
    try:
        inflater = zlib.decompressobj()
        signed = inflater.decompress(base45.b45decode(text[len(PREFIX):]), MAX_SIGNED_BYTES)
        if inflater.unconsumed_tail or not inflater.eof:
            raise ValueError("not one complete zlib stream of a seal's size")
        message = cbor2.loads(signed)
        protected = cbor2.loads(message.value[0]) if message.value[0] else {}
        kid = protected.get(HEADER_KID, b"")
        alg = protected.get(HEADER_ALG)
    except Exception:
        return _refuse("二维码内容已损坏或不完整，无法读取。",
                       "The QR content is damaged or incomplete and cannot be read.")
    if alg != ALG_ES256:
        return _refuse("二维码签名算法不受支持。", "The seal's signature algorithm is not supported.", kid)
    key = next((k for k in known_keys if k.kid == kid), None)
    if key is None:
        return _refuse("签名密钥未知：二维码不是中国海关原产地证书系统签发的，或密钥列表已过期。",
                       "Unknown signing key: the seal was not issued by this system, or the key list is out of date.",
                       kid)
    try:
        payload = cbor2.loads(COSE.new().decode(signed, keys=_cose_key(key, private=False)))
    except Exception:
        return _refuse("签名无效：二维码内容被改动过，证书不可信。",
                       "Invalid signature: the seal's content was altered. Do not accept this certificate.", kid)
    data = {FIELDS[label][0]: value for label, value in payload.items() if label in FIELDS}
    return Verdict(valid=True, data=data, kid=keyring.b64url(kid), key_status=key.status)


# The printed symbol: at most 30 mm with its 4-module quiet zone, modules no smaller than a
# 300-dpi scan reads back reliably (0.25 mm is three dots).
MAX_SYMBOL_MM = 30.0
MIN_MODULE_MM = 0.25
MAX_MODULE_MM = 0.5


class SealTooLarge(ValueError):
    pass


def symbol_svg(text: str) -> tuple[str, float]:
    """(inline SVG, printed width in mm) of the seal text as an alphanumeric QR, error level M."""
    import segno
    symbol = segno.make(text, error="m", mode="alphanumeric", micro=False, boost_error=False)
    modules = symbol.symbol_size(border=4)[0]
    module_mm = min(MAX_MODULE_MM, MAX_SYMBOL_MM / modules)
    if module_mm < MIN_MODULE_MM:
        raise SealTooLarge(f"the seal needs {modules} modules: more than {MAX_SYMBOL_MM} mm")
    module_mm = int(module_mm * 100) / 100          # whole hundredths: no rounding past 30 mm
    return symbol.svg_inline(scale=module_mm, border=4, unit="mm"), modules * module_mm
