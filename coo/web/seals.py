"""印章管理: 印章制作 (/seals) and 签名制作 (/seals/signatures). Legal-person card only.

新增印章 opens the form; 上传预览 processes the scan and shows it on a ruler at real size; 保存印章
asks for the 法人卡 PIN. The processed-but-unsaved image is stored content-addressed and named by a
signed token in the form (`coo.services.seals.Upload`), never by a path the client sends.
"""
from flask import Blueprint, Response, abort, current_app, flash, url_for
from flask_login import current_user
from htmx_flask import request
from werkzeug.exceptions import RequestEntityTooLarge

from coo import enums, scan, storage
from coo.clock import today_local
from coo.services import seals as service
from coo.services.accounts import legal_person_required
from coo.web.htmx import render, see_other, wants_fragment

bp = Blueprint("seals", __name__, url_prefix="/seals")

SEAL_FIELDS = ("owner_id", "seal_type", "name", "valid_from", "valid_to")
SIGNATURE_FIELDS = ("declarant_id", "name")


def _enterprise():
    return current_user.enterprise


def _form(fields):
    return {name: (request.form.get(name) or request.args.get(name) or "").strip() for name in fields}


def _staged(kind, errors):
    """The upload of this request: a new file, else the one the form's token names."""
    enterprise = _enterprise()
    upload = service.upload_from_token(enterprise, kind, request.form.get("upload_token", ""))
    file = request.files.get("scan")
    if file is not None and file.filename:
        try:
            upload = service.stage_upload(enterprise, kind, file.read(current_app.config["SCAN_MAX_BYTES"] + 1))
        except scan.ScanError as error:
            errors["file"] = error.message
            return upload
    elif request.form.get("upload_token") and upload is None:
        errors["file"] = service.MSG_UPLOAD_EXPIRED
    return upload


@bp.errorhandler(RequestEntityTooLarge)
def _body_too_large(error):
    """A body over MAX_CONTENT_LENGTH cannot be parsed at all (the CSRF check already fails on
    it): answer with the upload form and the size message (422) instead of an error page."""
    limit = current_app.config["SCAN_MAX_BYTES"] / 1048576
    errors = {"file": f"文件过大：扫描图片不能超过 {limit:.0f} MB，请重新填写并选择图片。"}
    if not current_user.is_authenticated or not current_user.is_legal_person_card:
        return error
    if request.endpoint == "seals.create_signature":
        return _signature_page(422, "signature_form", editing=True, form={}, errors=errors)
    seal = None
    if request.endpoint == "seals.update":
        seal = service.seal_or_404(_enterprise(), request.view_args.get("seal_id"))
    return _seal_page(422, "seal_form", editing=True, seal=seal, form={}, errors=errors)


# --- 印章制作 -------------------------------------------------------------------------------------

def _seal_page(status=200, block=None, **context):
    enterprise = _enterprise()
    context.setdefault("form", {})
    context.setdefault("errors", {})
    context.setdefault("editing", False)
    context.setdefault("table_error", "")
    context.setdefault("table_message", "")
    return render("seals/index.html", block, status, enterprise=enterprise,
                  seals=list(service.seals_of(enterprise)), holders=service.card_holders(enterprise),
                  auth=service.current_authorisation(enterprise), seal_types=enums.SealType,
                  **context)


@bp.get("/")
@legal_person_required
def index():
    return _seal_page(block="seal_table")


@bp.get("/new")
@legal_person_required
def new():
    holders = service.card_holders(_enterprise())
    form = {"owner_id": str(holders[0].holder_id) if holders else "", "seal_type": "company"}
    if holders:
        form["valid_from"] = max(holders[0].valid_from, today_local()).isoformat()
        form["valid_to"] = holders[0].valid_to.isoformat()
    return _seal_page(block="seal_form", editing=True, form=form)


@bp.post("/new")
@legal_person_required
def create():
    return _save_seal(None)


@bp.get("/edit")
@legal_person_required
def edit():
    seal_id = request.args.get("seal_id", "")
    if not seal_id:
        return _seal_page(422, "seal_form", editing=True, form={},
                          errors={"form": "请先在列表中选择要修改的印章。"}, choose_first=True)
    seal = service.seal_or_404(_enterprise(), seal_id)
    form = {"owner_id": str(seal.owner_id), "seal_type": seal.seal_type.value, "name": seal.name,
            "valid_from": seal.valid_from.isoformat(), "valid_to": seal.valid_to.isoformat()}
    return _seal_page(block="seal_form", editing=True, seal=seal, form=form)


@bp.post("/<int:seal_id>/edit")
@legal_person_required
def update(seal_id):
    return _save_seal(service.seal_or_404(_enterprise(), seal_id))


def _save_seal(seal):
    enterprise = _enterprise()
    form = _form(SEAL_FIELDS)
    errors = {}
    upload = _staged(scan.SEAL, errors)
    if request.form.get("action") == "save" and not errors:
        if seal is None:
            outcome = service.create_seal(enterprise, form, upload, request.form.get("pin", ""))
        else:
            outcome = service.update_seal(seal, form, upload, request.form.get("pin", ""))
        if outcome.ok:
            flash(f"印章“{outcome.row.name}”已保存。" if seal else f"印章“{outcome.row.name}”制作成功。")
            return see_other(url_for("seals.index"))
        errors = outcome.errors
    elif not errors:
        # 上传预览: show what was measured, and any field that is already wrong.
        errors = service.check_seal_form(enterprise, form, seal)[1]
        if upload is None and seal is None:
            errors["file"] = service.MSG_PICK_FILE[scan.SEAL]
    status = 422 if errors else 200
    return _seal_page(status, "seal_form", editing=True, seal=seal, form=form, errors=errors, upload=upload)


@bp.post("/act")
@legal_person_required
def act():
    """停用印章 / 启用印章 / 删除印章 on the selected row."""
    actions = {"disable": (service.disable_seal, "已停用印章“{}”。"),
               "enable": (service.enable_seal, "已启用印章“{}”。"),
               "delete": (service.delete_seal, "已删除印章“{}”。")}
    op = request.form.get("op", "")
    if op not in actions:
        abort(400)
    seal_id = request.form.get("seal_id", "")
    if not seal_id:
        return _table_result(_seal_page, "seal_table", "seals.index", "请先在列表中选择印章。", "")
    seal = service.seal_or_404(_enterprise(), seal_id)
    func, done = actions[op]
    error = func(seal)
    return _table_result(_seal_page, "seal_table", "seals.index", error, done.format(seal.name))


def _table_result(page, block, endpoint, error, message):
    """After a table button (停用/启用/删除): the table with the refusal (422) or the message;
    without htmx, a redirect back to the page with the message flashed."""
    if error:
        return page(422, block, table_error=error)
    if wants_fragment():
        return page(200, block, table_message=message)
    flash(message)
    return see_other(url_for(endpoint))


@bp.get("/upload/<token>.png")
@legal_person_required
def staged_image(token):
    return _png(service.upload_from_token(_enterprise(), scan.SEAL, token))


@bp.get("/<int:seal_id>/image.png")
@legal_person_required
def image(seal_id):
    return _png(service.seal_or_404(_enterprise(), seal_id))


def _png(row):
    if row is None:
        abort(404)
    # Small files, read whole: nothing is left open if the client goes away.
    response = Response(storage.read(row.image_path), mimetype="image/png")
    response.headers["Cache-Control"] = "private, no-store"
    return response


# --- 签名制作 -------------------------------------------------------------------------------------

def _signature_page(status=200, block=None, **context):
    enterprise = _enterprise()
    context.setdefault("form", {})
    context.setdefault("errors", {})
    context.setdefault("editing", False)
    context.setdefault("table_error", "")
    context.setdefault("table_message", "")
    people = service.declarants(enterprise)
    chosen = next((p for p in people if str(p.id) == context["form"].get("declarant_id")), None)
    return render("seals/signatures.html", block, status, enterprise=enterprise,
                  signatures=list(service.signatures_of(enterprise)), people=people, chosen=chosen,
                  auth=service.current_authorisation(enterprise), **context)


@bp.get("/signatures")
@legal_person_required
def signatures():
    return _signature_page(block="signature_table")


@bp.get("/signatures/new")
@legal_person_required
def new_signature():
    """The form; choosing 签名申报员名称 reloads it with the ID number and signature name filled in."""
    form = _form(SIGNATURE_FIELDS)
    people = service.declarants(_enterprise())
    chosen = next((p for p in people if str(p.id) == form["declarant_id"]), None)
    if chosen is not None and not request.args.get("name"):
        form["name"] = chosen.name
    return _signature_page(block="signature_form", editing=True, form=form)


@bp.post("/signatures/new")
@legal_person_required
def create_signature():
    enterprise = _enterprise()
    form = _form(SIGNATURE_FIELDS)
    errors = {}
    upload = _staged(scan.SIGNATURE, errors)
    if request.form.get("action") == "save" and not errors:
        outcome = service.create_signature(enterprise, form, upload, request.form.get("pin", ""))
        if outcome.ok:
            flash(f"签名“{outcome.row.name}”制作成功。")
            return see_other(url_for("seals.signatures"))
        errors = outcome.errors
    elif not errors:
        errors = service.check_signature_form(enterprise, form)[1]
        if upload is None:
            errors["file"] = service.MSG_PICK_FILE[scan.SIGNATURE]
    if not form["name"] and "declarant_id" not in errors:
        form["name"] = service.check_signature_form(enterprise, form)[0]["name"]
    return _signature_page(422 if errors else 200, "signature_form", editing=True, form=form,
                           errors=errors, upload=upload)


@bp.post("/signatures/act")
@legal_person_required
def signature_act():
    actions = {"disable": (service.disable_signature, "已停用签名“{}”。"),
               "enable": (service.enable_signature, "已启用签名“{}”。"),
               "delete": (service.delete_signature, "已删除签名“{}”。")}
    op = request.form.get("op", "")
    if op not in actions:
        abort(400)
    signature_id = request.form.get("signature_id", "")
    if not signature_id:
        return _table_result(_signature_page, "signature_table", "seals.signatures", "请先在列表中选择签名。", "")
    row = service.signature_or_404(_enterprise(), signature_id)
    func, done = actions[op]
    return _table_result(_signature_page, "signature_table", "seals.signatures", func(row), done.format(row.name))


@bp.get("/signatures/upload/<token>.png")
@legal_person_required
def staged_signature_image(token):
    return _png(service.upload_from_token(_enterprise(), scan.SIGNATURE, token))


@bp.get("/signatures/<int:signature_id>/image.png")
@legal_person_required
def signature_image(signature_id):
    return _png(service.signature_or_404(_enterprise(), signature_id))
