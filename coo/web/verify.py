"""出口原产地证书核查 / Certificate of Origin verification: public, no login, Chinese + English,
a plain GET form (the QR on a certificate carries `?no=…&code=…`). Rate limited per client."""
from flask import Blueprint, current_app, request

from coo.services import verify
from coo.services.ratelimit import allow
from coo.web.htmx import render

bp = Blueprint("verify", __name__)

LIMITED = "查询过于频繁，请一分钟后再试。Too many inquiries: please try again in a minute."


@bp.get("/verify")
def index():
    number = request.args.get("no", "")
    code = request.args.get("code", "")
    context = {"number": number.strip(), "code": code.strip(), "searched": False, "cert": None}
    if not (number.strip() or code.strip()):
        return render("verify/index.html", block="result", **context)
    if not allow("verify", request.remote_addr or "", current_app.config["VERIFY_RATE_LIMIT_PER_MIN"]):
        return render("verify/index.html", block="result", status=429, limited=LIMITED, **context)
    cert = verify.lookup(number, code)
    verify.log_inquiry(number, cert)
    context.update(searched=True, cert=cert, office=verify.office_of(cert) if cert else None)
    return render("verify/index.html", block="result", **context)
