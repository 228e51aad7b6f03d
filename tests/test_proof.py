"""Verifiable anywhere: the digital-seal QR a border officer checks without network (COSE_Sign1,
base45, the published JWKS), the signed JSON record an importing customs' system fetches (JWS),
and downloaded originals certified in PAdES B-T that show any later change."""
import datetime
import io
import json
import subprocess
import zlib

import base45
import cbor2
import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from coo import enums
from coo.clock import utcnow
from coo.models import Certificate, CertificateType, GoodsLine
from coo.proof import keys as keyring
from coo.proof import qr as seal_qr
from coo.proof import record as signed_record
from coo.security import verification_code
from coo.services import layouts
from test_layouts import authorised, _cert  # noqa: F401  (fixture)
from test_verify import archived


def _raster_texts(pdf: bytes, folder, page: int) -> list[str]:
    """What a phone or a scanner reads off the printed page: pdftoppm at 300 dpi, then zbarimg."""
    folder.mkdir(parents=True, exist_ok=True)
    subprocess.run(["pdftoppm", "-r", "300", "-png", "-f", str(page), "-l", str(page), "-", str(folder / "p")],
                   input=pdf, check=True)
    png = next(folder.glob("p*.png"))
    out = subprocess.run(["zbarimg", "--quiet", "--raw", "-Sdisable", "-Sqrcode.enable", str(png)],
                         capture_output=True, text=True)
    return out.stdout.splitlines()      # base45 has spaces: one symbol per line


def _saved_jwks(client, tmp_path):
    response = client.get("/.well-known/coo-keys.json")
    assert response.status_code == 200 and response.mimetype == "application/json"
    path = tmp_path / "coo-keys.json"
    path.write_text(response.get_data(as_text=True), encoding="utf-8")
    return path


def _pem_file(tmp_path, name, private=True):
    key = ec.generate_private_key(ec.SECP256R1())
    path = tmp_path / name
    if private:
        path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return key, path


@pytest.mark.slow
def test_the_seal_qr_round_trips_from_a_300_dpi_scan_to_an_offline_verdict(app, authorised, client, artifacts,
                                                                           tmp_path):
    with app.app_context():
        cert = _cert("E")
        # forty goods lines: the largest payload a certificate of ours carries still fits
        for n in range(len(cert.goods) + 1, 41):
            GoodsLine.create(certificate=cert, line_no=n, description=f"SPARE PART {n}",
                             hs_code=f"8708.{n:02d}", quantity="10 PCS", origin_criterion="WO",
                             fob_value=100, currency="USD")
        cert = Certificate.get_by_id(cert.id)
        code = verification_code(cert.number)
        original, copy = layouts.render_certificate(cert)
        hs = [g.hs_code.replace(".", "") for g in cert.goods.order_by(GoodsLine.line_no)]
    (artifacts / "proof").mkdir(parents=True, exist_ok=True)
    (artifacts / "proof" / "E-40-lines-original.pdf").write_bytes(original)
    keys_file = _saved_jwks(client, tmp_path)
    for name, pdf in (("original", original), ("copy", copy)):
        texts = [t for t in _raster_texts(pdf, artifacts / "proof" / name, page=2) if t.startswith("COO1:")]
        assert len(texts) == 1, f"the {name}'s overleaf carries one digital seal that scans back"
        result = app.test_cli_runner().invoke(args=["coo", "verify-qr", texts[0], "--keys", str(keys_file)])
        assert result.exit_code == 0, result.output
        assert result.output.startswith("VALID 有效")
        assert f"Certificate No. / 证书编号: {cert.number}" in result.output
        assert f"Verification code / 核查码: {code}" in result.output
        assert "HS codes / HS编码: " + ", ".join(hs) in result.output
        assert "Total quantity / 数量合计: " in result.output and "Total FOB value / FOB金额合计: USD" in result.output
    # the PDF itself, as an officer who was e-mailed it would check it
    pdf_file = artifacts / "proof" / "E-40-lines-original.pdf"
    result = app.test_cli_runner().invoke(args=["coo", "verify-qr", str(pdf_file), "--keys", str(keys_file)])
    assert result.exit_code == 0 and "VALID" in result.output, result.output


def test_the_printed_seal_is_at_most_30_mm_with_its_quiet_zone(app, authorised):
    with app.app_context():
        cert = _cert("RC")
        svg, width_mm = seal_qr.symbol_svg(seal_qr.seal_text(cert, verification_code(cert.number)))
    assert 15 <= width_mm <= 30
    assert 'width="%smm"' % f"{width_mm:g}" in svg or f"{width_mm:g}mm" in svg


def _seal(app, cert_code="RC"):
    with app.app_context():
        cert = _cert(cert_code)
        return cert, seal_qr.seal_text(cert, verification_code(cert.number))


def test_a_forged_seal_and_one_signed_by_an_unknown_key_are_refused(app, authorised, client, tmp_path):
    cert, text = _seal(app)
    keys_file = _saved_jwks(client, tmp_path)
    signed = zlib.decompress(base45.b45decode(text[5:]))
    message = cbor2.loads(signed)
    payload = cbor2.loads(message.value[2])
    payload[9] = "USD 1.00"                                   # the FOB value, lowered
    message.value[2] = cbor2.dumps(payload)
    forged = "COO1:" + base45.b45encode(zlib.compress(cbor2.dumps(message))).decode()
    result = app.test_cli_runner().invoke(args=["coo", "verify-qr", forged, "--keys", str(keys_file)])
    assert result.exit_code == 1 and "INVALID 无效" in result.output and "签名无效" in result.output

    stranger = keyring.VerifyKey(public=(k := ec.generate_private_key(ec.SECP256R1())).public_key(),
                                 status="current", private=k)
    with app.app_context():
        foreign = seal_qr.encode(seal_qr.claims(cert, verification_code(cert.number)), stranger)
    result = app.test_cli_runner().invoke(args=["coo", "verify-qr", foreign, "--keys", str(keys_file)])
    assert result.exit_code == 1 and "签名密钥未知" in result.output

    for junk in ("COO1:%%%", "HC1:ABC", "COO1:" + base45.b45encode(zlib.compress(b"\0" * 100000)).decode()):
        assert not seal_qr.verify(junk, keyring.keys_from_jwks(json.loads(keys_file.read_text()))).valid


def test_a_retired_key_still_verifies_the_certificates_it_signed(app, authorised, client, tmp_path):
    _, old_file = _pem_file(tmp_path, "old.pem")
    _, new_file = _pem_file(tmp_path, "new.pem")
    saved = dict(app.config)
    try:
        app.config["VERIFY_KEY_PATH"] = str(old_file)
        cert, old_text = _seal(app)
        app.config.update(VERIFY_KEY_PATH=str(new_file), VERIFY_RETIRED_KEY_PATHS=str(old_file))
        jwks = client.get("/.well-known/coo-keys.json").get_json()
        assert [k["status"] for k in jwks["keys"]] == ["current", "retired"]
        verdict = seal_qr.verify(old_text, keyring.keys_from_jwks(jwks))
        assert verdict.valid and verdict.key_status == "retired" and verdict.data["number"] == cert.number
        _, new_text = _seal(app)
        assert seal_qr.verify(new_text, keyring.keys_from_jwks(jwks)).key_status == "current"
        # once no longer published, the old key's certificates are refused
        app.config["VERIFY_RETIRED_KEY_PATHS"] = ""
        assert not seal_qr.verify(old_text, keyring.keys_from_jwks(client.get("/.well-known/coo-keys.json")
                                                                    .get_json())).valid
    finally:
        app.config.clear()
        app.config.update(saved)


def test_the_verification_page_checks_a_scanned_seal_and_says_whether_archived(app, demo, client):
    from printing_support import printable
    cert, = printable(app)
    with app.app_context():
        text = seal_qr.seal_text(cert, verification_code(cert.number))
    html = client.get("/verify", query_string={"seal": text}).get_data(as_text=True)
    assert "防伪二维码有效" in html and "VALID seal" in html and cert.number in html
    assert "尚未归档" in html
    Certificate.update(archive_status=enums.ArchiveStatus.ARCHIVED, print_status=enums.PrintStatus.PRINTED,
                       archived_at=utcnow() - datetime.timedelta(hours=1),
                       verification_published_at=utcnow()).where(Certificate.id == cert.id).execute()
    html = client.get("/verify", query_string={"seal": text}).get_data(as_text=True)
    assert "防伪二维码有效" in html and "已归档" in html
    tampered = text[:-3] + ("AAA" if not text.endswith("AAA") else "BBB")
    for bad in (tampered, "中文", "COO1:" + "Z" * 4000):
        response = client.get("/verify", query_string={"seal": bad})
        assert response.status_code == 200 and "防伪二维码无效" in response.get_data(as_text=True)
    # A NUL byte is refused before any route, like in every other field (coo.web.forms.refuse_nul_bytes).
    response = client.get("/verify", query_string={"seal": "\x00"})
    assert response.status_code == 400 and "无效字符" in response.get_data(as_text=True)


def test_the_signed_record_verifies_against_the_published_keys(app, demo, client):
    cert = archived(app)
    with app.app_context():
        code = verification_code(cert.number)
    response = client.get(f"/verify/{cert.number}.json", query_string={"code": code})
    assert response.status_code == 200 and response.mimetype == "application/jose"
    assert response.headers["Cache-Control"] == "no-store"
    token = response.get_data(as_text=True)
    jwks = client.get("/.well-known/coo-keys.json").get_json()
    # an integrator's own JOSE library (PyJWT), given only the JWKS
    header = jwt.get_unverified_header(token)
    jwk = next(k for k in jwks["keys"] if k["kid"] == header["kid"])
    data = jwt.decode(token, key=jwt.PyJWK(jwk).key, algorithms=["ES256"])
    assert data["number"] == cert.number and data["archive_status"] == "archived"
    assert [g["hs_code"] for g in data["goods"]] == [g.hs_code for g in cert.goods.order_by(GoodsLine.line_no)]
    assert data == signed_record.verify(token, keyring.keys_from_jwks(jwks))
    head, body, sig = token.split(".")
    with pytest.raises(ValueError):
        signed_record.verify(f"{head}.{body[:-2]}AA.{sig}", keyring.keys_from_jwks(jwks))
    # the page's rules: the code is required, archived only
    assert client.get(f"/verify/{cert.number}.json", query_string={"code": "WRONG"}).status_code == 404
    Certificate.update(archive_status=enums.ArchiveStatus.UNARCHIVED).where(Certificate.id == cert.id).execute()
    assert client.get(f"/verify/{cert.number}.json", query_string={"code": code}).status_code == 404


def test_the_signed_record_is_rate_limited_like_the_page(app, demo, client):
    limit = app.config["VERIFY_RATE_LIMIT_PER_MIN"]
    codes = [client.get("/verify/E000000000000000.json", query_string={"code": "X"}).status_code
             for _ in range(limit + 1)]
    assert codes[:limit] == [404] * limit and codes[-1] == 429


def _validation_context(tsa):
    from pyhanko.keys.pemder import load_certs_from_pemder_data
    from pyhanko_certvalidator import ValidationContext
    from coo import signing
    roots = list(load_certs_from_pemder_data(signing.trust_root_pem()))
    roots += list(load_certs_from_pemder_data((tsa[1] / "root.pem").read_bytes()))
    return ValidationContext(trust_roots=roots)


def _validate(data, tsa):
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign.validation import validate_pdf_signature
    embedded = PdfFileReader(io.BytesIO(data)).embedded_signatures[0]
    return validate_pdf_signature(embedded, _validation_context(tsa),
                                  ts_validation_context=_validation_context(tsa))


def test_a_downloaded_original_is_certified_timestamped_and_shows_any_change(app, client, operator, tsa,
                                                                           artifacts):
    from pyhanko.pdf_utils.generic import pdf_name
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.sign.fields import MDPPerm
    from pyhanko.sign.diff_analysis import ModificationLevel
    from test_downloads import downloadable

    cert, = downloadable(app)
    response = operator.post(f"/downloads/{cert.id}/original", token_from="/downloads/")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    data = response.data
    (artifacts / "proof").mkdir(parents=True, exist_ok=True)
    (artifacts / "proof" / "original-pades-bt.pdf").write_bytes(data)
    with app.app_context():
        status = _validate(data, tsa)
        assert status.intact and status.valid and status.trusted and status.bottom_line
        from pyhanko.pdf_utils.reader import PdfFileReader
        signature = PdfFileReader(io.BytesIO(data)).embedded_signatures[0]
        assert signature.docmdp_level == MDPPerm.NO_CHANGES, "a certification signature: no change permitted"
        assert status.timestamp_validity is not None, "PAdES B-T: a signature timestamp from the TSA"
        ts = status.timestamp_validity
        assert ts.intact and ts.valid and ts.trusted
        assert abs((ts.timestamp - datetime.datetime.now(datetime.timezone.utc)).total_seconds()) < 600
        assert "/ETSI.CAdES.detached" in data.decode("latin-1"), "PAdES subfilter"

        tampered = bytearray(data)
        at = data.index(b"stream\n") + len(b"stream\n") + 10
        tampered[at] ^= 0x01
        broken = _validate(bytes(tampered), tsa)
        assert not broken.intact and not broken.bottom_line

        # an annotation added as an incremental update, as any PDF editor would save it
        writer = IncrementalPdfFileWriter(io.BytesIO(data))
        from pyhanko.pdf_utils import generic
        page = writer.root["/Pages"]["/Kids"][0].get_object()
        annot = writer.add_object(generic.DictionaryObject({
            pdf_name("/Type"): pdf_name("/Annot"), pdf_name("/Subtype"): pdf_name("/Text"),
            pdf_name("/Rect"): generic.ArrayObject([generic.FloatObject(x) for x in (50, 50, 80, 80)]),
            pdf_name("/Contents"): generic.TextStringObject("VALUE CHANGED")}))
        page[pdf_name("/Annots")] = generic.ArrayObject([annot])
        writer.update_container(page)
        out = io.BytesIO()
        writer.write(out)
        edited = _validate(out.getvalue(), tsa)
        assert edited.intact, "the signed revision itself is untouched ..."
        assert edited.modification_level != ModificationLevel.NONE
        assert not edited.docmdp_ok and not edited.bottom_line, "... but the certification is broken"


def test_without_a_tsa_configured_originals_are_still_signed(app, client, operator, tsa):
    from test_downloads import downloadable
    cert, = downloadable(app)
    saved = app.config["TSA_URL"]
    app.config["TSA_URL"] = ""
    try:
        response = operator.post(f"/downloads/{cert.id}/original", token_from="/downloads/")
    finally:
        app.config["TSA_URL"] = saved
    with app.app_context():
        status = _validate(response.data, tsa)
    assert status.bottom_line and status.timestamp_validity is None
