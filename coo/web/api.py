"""Machine-to-machine: customs pushes approved certificates to us (`docs/customs-gateway.md`).

    POST /api/customs/v1/certificates     one certificate record (docs/certificate.schema.json)

Signed like every message with customs (`coo.customs.signing`); no session, no CSRF token.
Every refusal is JSON with a code and a Chinese + English message, and changes nothing.
"""
import json
import logging

from flask import Blueprint, current_app, jsonify, request
from werkzeug.exceptions import HTTPException

from coo.customs import nonces, signing
from coo.services import audit, intake
from coo.web import csrf

log = logging.getLogger(__name__)
bp = Blueprint("api", __name__, url_prefix="/api/customs/v1")
csrf.exempt(bp)


def _refuse(status, code, message, **extra):
    response = jsonify({"status": "refused", "error": code, "message": message, **extra})
    response.status_code = status
    return response


@bp.errorhandler(HTTPException)
def _http_error(error):
    return _refuse(error.code, "http_error", f"{error.code} {error.name}")


@bp.post("/certificates")
def receive_certificate():
    body = request.get_data(cache=True)
    try:
        signing.verify(current_app.config["CUSTOMS_SHARED_KEY"], request.method, request.path, body,
                       request.headers, window=current_app.config["CUSTOMS_REPLAY_WINDOW_S"],
                       remember=nonces.remember)
    except signing.SignatureError as error:
        # Logged, not audited: a refused request leaves the database exactly as it was.
        log.warning("customs API refused %s: %s from %s", request.path, error.code, request.remote_addr)
        return _refuse(401, error.code, error.message)
    try:
        record = json.loads(body)
    except ValueError:
        return _refuse(400, "malformed_json", "请求内容不是有效的 JSON / malformed JSON body")
    try:
        cert = intake.import_certificate(record)
    except intake.IntakeError as error:
        if error.code == "duplicate":
            return _refuse(409, "duplicate_number",
                           f"证书编号 {error.number} 已存在 / certificate number already exists",
                           number=error.number)
        return _refuse(422, "invalid_record", "证书记录校验失败 / invalid certificate record",
                       errors=error.errors)
    audit.record("certificate_received", target=cert.number, detail="api", actor="customs",
                 enterprise=cert.exporter)
    response = jsonify({"status": "created", "number": cert.number, "id": cert.id})
    response.status_code = 201
    return response
