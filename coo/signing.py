"""PDF digital signature of downloaded originals (证书下载 → 下载正本), with pyHanko.

Production points `COO_SIGNING_KEY` / `COO_SIGNING_CERT` (PEM files; `COO_SIGNING_CHAIN` for
intermediates) at a key issued by a real CA. Without them, a self-signed demo key and
certificate are made on first use under the instance folder (`signing/demo-signing.pem`, key
and certificate in one file written atomically, so two processes never end with a key that
does not match its certificate). A receiver checks the signature against that certificate
(`demo_certificate_pem()`); any changed byte breaks it.
"""
import datetime
import io
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID
from flask import current_app
from pyhanko.keys import load_cert_from_pemder, load_certs_from_pemder, load_private_key_from_pemder
from pyhanko.keys.pemder import load_certs_from_pemder_data, load_private_key_from_pemder_data
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.sign import fields, signers
from pyhanko_certvalidator.registry import SimpleCertificateStore

from coo.security import write_secret_once

FIELD_NAME = "COOriginal"
DEMO_FILE = "demo-signing.pem"
DEMO_SUBJECT = "原产地证书自助打印 电子版正本签名（演示）"


def demo_path() -> Path:
    return Path(current_app.config["INSTANCE_PATH"]) / "signing" / DEMO_FILE


def _make_demo(path: Path) -> None:
    """A self-signed RSA key + certificate, written once; a concurrent writer loses cleanly."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([
        x509.NameAttribute(NameOID.COUNTRY_NAME, "CN"),
        x509.NameAttribute(NameOID.ORGANIZATION_NAME, "coo demo"),
        x509.NameAttribute(NameOID.COMMON_NAME, DEMO_SUBJECT),
    ])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (x509.CertificateBuilder()
            .subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(days=1))
            .not_valid_after(now + datetime.timedelta(days=3650))
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .add_extension(x509.KeyUsage(
                digital_signature=True, content_commitment=True, key_encipherment=False,
                data_encipherment=False, key_agreement=False, key_cert_sign=True, crl_sign=False,
                encipher_only=False, decipher_only=False), critical=True)
            .sign(key, hashes.SHA256()))
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                            serialization.NoEncryption()) + cert.public_bytes(serialization.Encoding.PEM)
    write_secret_once(path, pem)


def signer() -> signers.SimpleSigner:
    key_file = current_app.config.get("SIGNING_KEY_PATH")
    cert_file = current_app.config.get("SIGNING_CERT_PATH")
    if key_file and cert_file:
        chain = current_app.config.get("SIGNING_CHAIN_PATH")
        others = list(load_certs_from_pemder([chain])) if chain else []
        cert = load_cert_from_pemder(cert_file)
        key = load_private_key_from_pemder(key_file, passphrase=None)
    else:
        path = demo_path()
        if not path.exists():
            _make_demo(path)
        data = path.read_bytes()
        cert = next(iter(load_certs_from_pemder_data(data)))
        key = load_private_key_from_pemder_data(data, passphrase=None)
        others = []
    return signers.SimpleSigner(signing_cert=cert, signing_key=key,
                                cert_registry=SimpleCertificateStore.from_certs([cert, *others]))


def trust_root_pem() -> bytes:
    """The certificate a receiver trusts to check a downloaded original (the demo one by default)."""
    cert_file = current_app.config.get("SIGNING_CERT_PATH")
    if cert_file:
        return Path(cert_file).read_bytes()
    path = demo_path()
    if not path.exists():
        _make_demo(path)
    data = path.read_bytes()
    return data[data.index(b"-----BEGIN CERTIFICATE-----"):]


def timestamper():
    """The RFC 3161 time-stamping authority of `COO_TSA_URL` (PAdES B-T), or None (B-B: the
    signing time is then only what the signer says; production refuses to start without it)."""
    url = current_app.config.get("TSA_URL")
    if not url:
        return None
    from pyhanko.sign.timestamps import HTTPTimeStamper
    return HTTPTimeStamper(url, timeout=current_app.config.get("TSA_TIMEOUT_S", 10))


def sign_pdf(data: bytes, *, reason: str, location: str = "") -> bytes:
    """The PDF certified (DocMDP: no change permitted) in PAdES baseline B-T: a signature
    timestamp from the TSA, the signer's chain embedded. Any changed byte breaks the signature;
    any later revision (an annotation, a form fill) breaks the certification.

    pyHanko signs through asyncio.run(), which refuses to run inside a thread that already has
    an event loop running (an async server, a Playwright session): then it signs in a thread of
    its own."""
    import asyncio
    key, stamper = signer(), timestamper()   # read in this thread: they need the app's configuration
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return _sign(data, reason, location, key, stamper)
    from concurrent.futures import ThreadPoolExecutor
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(_sign, data, reason, location, key, stamper).result()


def _sign(data: bytes, reason: str, location: str, key, stamper) -> bytes:
    from pyhanko.sign.fields import MDPPerm, SigSeedSubFilter
    writer = IncrementalPdfFileWriter(io.BytesIO(data))
    meta = signers.PdfSignatureMetadata(field_name=FIELD_NAME, reason=reason, location=location,
                                        md_algorithm="sha256", certify=True,
                                        docmdp_permissions=MDPPerm.NO_CHANGES,
                                        subfilter=SigSeedSubFilter.PADES)
    out = signers.sign_pdf(writer, meta, signer=key, timestamper=stamper,
                           new_field_spec=fields.SigFieldSpec(sig_field_name=FIELD_NAME))
    return out.getvalue()
