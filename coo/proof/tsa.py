"""A local RFC 3161 time-stamping authority for the demo and the tests: a real HTTP responder
(`application/timestamp-query` in, `application/timestamp-reply` out) in a process of its own,
signing each request's message imprint and nonce with its own key at the current time.

    python -m coo.proof.tsa --port 8011 --dir instance/tsa

Production never runs this: `COO_TSA_URL` points at a qualified or commercial TSA. The key and
certificate (a demo root and a TSA certificate with the critical timeStamping purpose) are made
once in --dir; `root.pem` there is what a validator trusts for the demo's timestamps.
"""
import argparse
import datetime
import os
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from asn1crypto import keys as asn1_keys
from asn1crypto import tsp
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

MAX_REQUEST = 16 * 1024


def _name(cn):
    return x509.Name([x509.NameAttribute(NameOID.COUNTRY_NAME, "CN"),
                      x509.NameAttribute(NameOID.ORGANIZATION_NAME, "coo demo"),
                      x509.NameAttribute(NameOID.COMMON_NAME, cn)])


def _pem_key(key):
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption())


def ensure_keys(folder: Path):
    """(TSA certificate, TSA key) as asn1crypto objects, made once under folder."""
    folder.mkdir(parents=True, exist_ok=True)
    cert_file, key_file, root_file = folder / "tsa.pem", folder / "tsa-key.pem", folder / "root.pem"
    if not cert_file.exists():
        now = datetime.datetime.now(datetime.timezone.utc)
        root_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        root = (x509.CertificateBuilder().subject_name(_name("coo demo TSA root"))
                .issuer_name(_name("coo demo TSA root")).public_key(root_key.public_key())
                .serial_number(x509.random_serial_number())
                .not_valid_before(now - datetime.timedelta(days=1))
                .not_valid_after(now + datetime.timedelta(days=3650))
                .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
                .add_extension(x509.KeyUsage(digital_signature=False, content_commitment=False,
                                             key_encipherment=False, data_encipherment=False,
                                             key_agreement=False, key_cert_sign=True, crl_sign=True,
                                             encipher_only=False, decipher_only=False), critical=True)
                .sign(root_key, hashes.SHA256()))
        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        cert = (x509.CertificateBuilder().subject_name(_name("coo demo time-stamping authority"))
                .issuer_name(root.subject).public_key(key.public_key())
                .serial_number(x509.random_serial_number())
                .not_valid_before(now - datetime.timedelta(days=1))
                .not_valid_after(now + datetime.timedelta(days=3650))
                .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
                .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.TIME_STAMPING]), critical=True)
                .sign(root_key, hashes.SHA256()))
        key_file.write_bytes(_pem_key(key))
        os.chmod(key_file, 0o600)
        root_file.write_bytes(root.public_bytes(serialization.Encoding.PEM))
        # Written last: its presence means the set is complete.
        cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM)
                              + root.public_bytes(serialization.Encoding.PEM))
    from pyhanko.keys import load_certs_from_pemder, load_private_key_from_pemder
    certs = list(load_certs_from_pemder([str(cert_file)]))
    return certs[0], certs[1], load_private_key_from_pemder(str(key_file), passphrase=None)


def make_handler(tsa_cert: asn1_x509.Certificate, root: asn1_x509.Certificate,
                 tsa_key: asn1_keys.PrivateKeyInfo):
    from pyhanko.sign.timestamps import DummyTimeStamper
    from pyhanko_certvalidator.registry import SimpleCertificateStore
    stamper = DummyTimeStamper(tsa_cert=tsa_cert, tsa_key=tsa_key,
                               certs_to_embed=SimpleCertificateStore.from_certs([root]))

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            length = int(self.headers.get("Content-Length") or 0)
            if self.headers.get("Content-Type") != "application/timestamp-query" or not 0 < length <= MAX_REQUEST:
                self.send_error(400, "expected an application/timestamp-query")
                return
            try:
                request = tsp.TimeStampReq.load(self.rfile.read(length))
                request.native   # parse it all now: a malformed request is a 400, not a 500
                reply = stamper.request_tsa_response(request).dump()
            except Exception:
                self.send_error(400, "malformed time-stamp request")
                return
            self.send_response(200)
            self.send_header("Content-Type", "application/timestamp-reply")
            self.send_header("Content-Length", str(len(reply)))
            self.end_headers()
            self.wfile.write(reply)

        def log_message(self, fmt, *args):   # quiet: one line per stamp is noise in make run
            pass

    return Handler


def main(argv=None):
    parser = argparse.ArgumentParser(description="coo's local RFC 3161 time-stamping authority (demo, tests)")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8011)
    parser.add_argument("--dir", default=os.environ.get("COO_TSA_DIR", "instance/tsa"))
    args = parser.parse_args(argv)
    tsa_cert, root, tsa_key = ensure_keys(Path(args.dir))
    server = ThreadingHTTPServer((args.host, args.port), make_handler(tsa_cert, root, tsa_key))
    print(f"coo TSA on http://{args.host}:{args.port}/ (trust {Path(args.dir) / 'root.pem'})", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
