"""出口原产地证书核查 / Certificate of Origin verification: public, no login, Chinese + English,
a plain GET form (the QR on a certificate carries `?no=…&code=…`; the digital-seal QR's text
goes in `?seal=…`). Rate limited per client. Also the public keys (/.well-known/coo-keys.json)
and the signed record an importing customs' system fetches (/verify/<number>.json?code=…)."""
from flask import Blueprint, current_app, jsonify, request

from coo.proof import keys as keyring
from coo.proof import qr as seal_qr
from coo.proof import record as signed_record
from coo.services import verify
from coo.services.ratelimit import allow
from coo.web.htmx import render

bp = Blueprint("verify", __name__)

LIMITED = "查询过于频繁，请一分钟后再试。Too many inquiries: please try again in a minute."
SEAL_MAX_CHARS = 4096


def _allowed() -> bool:
    return allow("verify", request.remote_addr or "", current_app.config["VERIFY_RATE_LIMIT_PER_MIN"])


@bp.get("/verify")
def index():
    number = request.args.get("no", "")
    code = request.args.get("code", "")
    seal = request.args.get("seal", "")[:SEAL_MAX_CHARS].strip("\r\n\t")
    context = {"number": number.strip(), "code": code.strip(), "seal": seal.strip(), "searched": False,
               "cert": None, "verdict": None}
    if not (number.strip() or code.strip() or seal.strip()):
        return render("verify/index.html", block="result", **context)
    if not _allowed():
        return render("verify/index.html", block="result", status=429, limited=LIMITED, **context)
    if seal.strip():
        verdict = seal_qr.verify(seal, keyring.published_keys())
        cert = verify.lookup(verdict.data["number"], verdict.data["code"]) if verdict.valid else None
        verify.log_inquiry(verdict.data.get("number", "(seal)"), cert)
        context.update(searched=True, verdict=verdict, cert=cert)
        return render("verify/index.html", block="result", **context)
    cert = verify.lookup(number, code)
    verify.log_inquiry(number, cert)
    context.update(searched=True, cert=cert, office=verify.office_of(cert) if cert else None)
    return render("verify/index.html", block="result", **context)


@bp.get("/verify/<number>.json")
def record(number):
    """The archived certificate as a JWS, with the page's rate limit and archived-only rule."""
    if not _allowed():
        return jsonify(error="too many inquiries, try again in a minute"), 429
    cert = verify.lookup(number, request.args.get("code", ""))
    verify.log_inquiry(number, cert)
    if cert is None:
        return jsonify(error="no archived certificate with this number and code"), 404
    response = current_app.response_class(signed_record.signed_record(cert), mimetype=signed_record.MEDIA_TYPE)
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/.well-known/coo-keys.json")
def published_keys():
    """The JWKS of every key a certificate in circulation may be signed with (current, retired)."""
    response = jsonify(keyring.jwks())
    response.headers["Cache-Control"] = "public, max-age=3600"
    response.headers["Access-Control-Allow-Origin"] = "*"
    return response
