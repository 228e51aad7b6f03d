"""印章管理: 印章制作 (/seals) and 签名制作 (/seals/signatures). Legal-person card only.

新增印章 opens the form; 上传预览 processes the scan and shows it on a ruler at real size; 保存印章
asks for the 法人卡 PIN. The processed-but-unsaved image is stored content-addressed and named by a
signed token in the form (`coo.services.seals.Upload`), never by a path the client sends.

Seals and signatures are the same screens twice: each route below is written once and
registered per kind (`SCREENS`, over the kind table `coo.services.seals.KINDS`), with one
template, `seals/page.html`.
"""
from dataclasses import dataclass
from types import SimpleNamespace

from flask import Blueprint, Response, abort, current_app, flash, url_for
from flask_login import current_user
from htmx_flask import request
from werkzeug.exceptions import RequestEntityTooLarge

from coo import enums, scan, storage
from coo.clock import today_local
from coo.services import seals as service
from coo.services.accounts import legal_person_required
from coo.web.forms import KIND_FORMS, row_action_form
from coo.web.htmx import render, see_other, wants_fragment

bp = Blueprint("seals", __name__, url_prefix="/seals")


@dataclass(frozen=True)
class Screen:
    """A kind's pages: where they are and what their endpoints are called."""
    kind: service.Kind
    prefix: str             # under /seals
    list: str               # the endpoints, by role
    new: str
    create: str
    act: str
    staged_image: str
    image: str
    edit: str = ""
    update: str = ""

    @property
    def form_class(self):
        return KIND_FORMS[self.kind.key]


SEAL = Screen(service.SEAL, "", list="index", new="new", create="create", act="act",
              staged_image="staged_image", image="image", edit="edit", update="update")
SIGNATURE = Screen(service.SIGNATURE, "/signatures", list="signatures", new="new_signature",
                   create="create_signature", act="signature_act", staged_image="staged_signature_image",
                   image="signature_image")
SCREENS = (SEAL, SIGNATURE)
ENDPOINT_ROLES = ("list", "new", "create", "act", "staged_image", "image", "edit", "update")
TEMPLATE = "seals/page.html"


def _enterprise():
    return current_user.enterprise


def _screen_of_request() -> Screen | None:
    endpoint = (request.endpoint or "").removeprefix("seals.")
    return next((s for s in SCREENS if endpoint in (s.create, s.update)), None)


@bp.errorhandler(RequestEntityTooLarge)
def _body_too_large(error):
    """A body over MAX_CONTENT_LENGTH cannot be parsed at all (the CSRF check already fails on
    it): answer with the upload form and the size message (422) instead of an error page."""
    limit = current_app.config["SCAN_MAX_BYTES"] / 1048576
    errors = {"file": f"文件过大：扫描图片不能超过 {limit:.0f} MB，请重新填写并选择图片。"}
    screen = _screen_of_request()
    if screen is None or not current_user.is_authenticated or not current_user.is_legal_person_card:
        return error
    row = None
    if request.endpoint == f"seals.{screen.update}":
        row = service.row_or_404(screen.kind, _enterprise(), request.view_args.get(screen.kind.id_field))
    return _page(screen, 422, "form", editing=True, row=row, form={}, errors=errors)


def _page(screen: Screen, status=200, block=None, **context):
    """The kind's page (or its `table` / `form` block for htmx)."""
    enterprise = _enterprise()
    kind = screen.kind
    context.setdefault("form", {})
    context.setdefault("errors", {})
    context.setdefault("editing", False)
    context.setdefault("table_error", "")
    context.setdefault("table_message", "")
    context.setdefault("row", None)
    if kind is service.SEAL:
        context.update(holders=service.card_holders(enterprise), seal_types=enums.SealType)
    else:
        people = service.declarants(enterprise)
        context.update(people=people,
                       chosen=next((p for p in people if str(p.id) == context["form"].get("declarant_id")), None))
    endpoints = SimpleNamespace(**{role: f"seals.{getattr(screen, role)}" if getattr(screen, role) else ""
                                   for role in ENDPOINT_ROLES})
    return render(TEMPLATE, block, status, enterprise=enterprise, kind=kind, screen=endpoints,
                  screens=[(s.kind, f"seals.{s.list}") for s in SCREENS],
                  rows=list(service.rows_of(kind, enterprise)),
                  auth=service.current_authorisation(enterprise), **context)


# --- The list and its buttons ---------------------------------------------------------------------

def list_page(screen: Screen):
    return _page(screen, block="table")


def act(screen: Screen):
    """停用 / 启用 / 删除 on the selected row."""
    kind = screen.kind
    form = row_action_form(kind)()
    if not form.known_op:
        abort(400)
    if not form.row.data:
        return _table_result(screen, f"请先在列表中选择{kind.noun}。", "")
    row = service.row_or_404(kind, _enterprise(), form.row.data)
    func, done = {"disable": (service.disable, "已停用"), "enable": (service.enable, "已启用"),
                  "delete": (service.delete, "已删除")}[form.op.data]
    return _table_result(screen, func(kind, row), f"{done}{kind.noun}“{row.name}”。")


def _table_result(screen, error, message):
    """After a table button (停用/启用/删除): the table with the refusal (422) or the message;
    without htmx, a redirect back to the page with the message flashed."""
    if error:
        return _page(screen, 422, "table", table_error=error)
    if wants_fragment():
        return _page(screen, 200, "table", table_message=message)
    flash(message)
    return see_other(url_for(f"seals.{screen.list}"))


# --- 新增 / 修改 ---------------------------------------------------------------------------------

def new(screen: Screen):
    """The empty form. 新增印章 proposes the first card holder and their card's validity;
    choosing 签名申报员名称 reloads 新增签名 with the ID number and signature name filled in."""
    enterprise = _enterprise()
    if screen.kind is service.SEAL:
        holders = service.card_holders(enterprise)
        form = {"owner_id": str(holders[0].holder_id) if holders else "", "seal_type": "company"}
        if holders:
            form["valid_from"] = max(holders[0].valid_from, today_local()).isoformat()
            form["valid_to"] = holders[0].valid_to.isoformat()
    else:
        typed = screen.form_class(formdata=request.args)
        form = typed.refill()
        person = next((p for p in service.declarants(enterprise) if p.id == typed.declarant_id.row_id), None)
        if person is not None and not form["name"]:
            form["name"] = person.name
    return _page(screen, block="form", editing=True, form=form)


def edit(screen: Screen):
    """修改印章 of the row chosen in the list (a GET of the table's form)."""
    kind = screen.kind
    row_id = request.args.get(kind.id_field, "")
    if not row_id:
        return _page(screen, 422, "form", editing=True, form={},
                     errors={"form": f"请先在列表中选择要修改的{kind.noun}。"}, choose_first=True)
    row = service.row_or_404(kind, _enterprise(), row_id)
    form = {"owner_id": str(row.owner_id), "seal_type": row.seal_type.value, "name": row.name,
            "valid_from": row.valid_from.isoformat(), "valid_to": row.valid_to.isoformat()}
    return _page(screen, block="form", editing=True, row=row, form=form)


def create(screen: Screen):
    return _save(screen, None)


def update(screen: Screen, **view_args):
    kind = screen.kind
    return _save(screen, service.row_or_404(kind, _enterprise(), view_args[kind.id_field]))


def _save(screen: Screen, row):
    """上传预览 (process the scan, show it and any field already wrong) or 保存 (with the PIN)."""
    kind = screen.kind
    enterprise = _enterprise()
    form = screen.form_class()
    form.validate()
    errors = form.messages()
    upload = _staged(kind, form, errors)
    for field in ("scan", "upload_token"):     # both are the 选择 file's: said under it
        if field in errors:
            errors.setdefault("file", errors.pop(field))
    values = form.values()
    refill = form.refill()
    if form.saving and not errors:
        if row is None:
            outcome = service.create(kind, enterprise, values, upload, form.pin.data or "")
        else:
            outcome = service.update(kind, row, values, upload, form.pin.data or "")
        if outcome.ok:
            saved = outcome.row.name
            flash(f"{kind.noun}“{saved}”已保存。" if row else f"{kind.noun}“{saved}”制作成功。")
            return see_other(url_for(f"seals.{screen.list}"))
        errors = outcome.errors
    else:
        # 上传预览: show what was measured, and any field that is already wrong.
        rule_errors = kind.check(enterprise, values, row)[1]
        errors = {**rule_errors, **errors}
        if upload is None and row is None and "file" not in errors:
            errors["file"] = kind.pick_file
    if kind is service.SIGNATURE and not refill.get("name"):
        # The declarant's own name, as 新增签名 proposes it.
        person = next((p for p in service.declarants(enterprise) if p.id == values["declarant_id"]), None)
        refill["name"] = person.name if person else ""
    status = 422 if errors else 200
    return _page(screen, status, "form", editing=True, row=row, form=refill, errors=errors, upload=upload)


def _staged(kind, form, errors):
    """The upload of this request: a new scan, else the one the form's token names."""
    enterprise = _enterprise()
    upload = service.upload_from_token(enterprise, kind.key, form.upload_token.data or "")
    content = getattr(form.scan, "content", None)
    if content is not None:
        try:
            upload = service.stage_upload(enterprise, kind.key, content)
        except scan.ScanError as error:
            errors["file"] = error.message
    elif form.upload_token.data and upload is None and "scan" not in errors:
        errors["file"] = service.MSG_UPLOAD_EXPIRED
    return upload


# --- Images ---------------------------------------------------------------------------------------

def staged_image(screen: Screen, token):
    return _png(service.upload_from_token(_enterprise(), screen.kind.key, token))


def image(screen: Screen, **view_args):
    kind = screen.kind
    return _png(service.row_or_404(kind, _enterprise(), view_args[kind.id_field]))


def _png(row):
    if row is None:
        abort(404)
    # Small files, read whole: nothing is left open if the client goes away.
    response = Response(storage.read(row.image_path), mimetype="image/png")
    response.headers["Cache-Control"] = "private, no-store"
    return response


# --- The routes, per kind --------------------------------------------------------------------------

def _route(screen: Screen, rule: str, role: str, view, methods=("GET",)):
    def bound(**view_args):
        return view(screen, **view_args)
    bound.__name__ = bound.__qualname__ = getattr(screen, role)
    bound.__doc__ = view.__doc__
    bp.add_url_rule(screen.prefix + rule, getattr(screen, role), legal_person_required(bound), methods=list(methods))


for _screen in SCREENS:
    _id = _screen.kind.id_field
    _route(_screen, "" if _screen.prefix else "/", "list", list_page)
    _route(_screen, "/new", "new", new)
    _route(_screen, "/new", "create", create, ("POST",))
    _route(_screen, "/act", "act", act, ("POST",))
    _route(_screen, "/upload/<token>.png", "staged_image", staged_image)
    _route(_screen, f"/<int:{_id}>/image.png", "image", image)
    if _screen.kind.editable:
        _route(_screen, "/edit", "edit", edit)
        _route(_screen, f"/<int:{_id}>/edit", "update", update, ("POST",))
