"""The POST forms of the web side, one WTForms class each (Flask-WTF).

A form parses and checks what one field alone can say (given, not too long, the right shape),
in the Chinese the user reads; the rules that need the database (is this seal's name taken, is
this card holder ours, may this certificate be printed) stay in `coo.services`, which get the
form's clean values. A route re-renders its form fragment with `form.refill()` (what was typed)
and `form.messages()` (one message per field) and HTTP 422; nothing is changed on bad input.

CSRF: `coo.web.csrf` (CSRFProtect) checks every POST before the route runs (the token comes from the
form's ``csrf_token`` field or htmx's X-CSRFToken header); FlaskForm's own check then accepts the
request as already checked. Templates keep their hidden ``csrf_token`` inputs.

Not to be confused with `coo.services.forms`: the certificate layout families.
"""
from flask import abort, current_app, request
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from werkzeug.datastructures import FileStorage, MultiDict
from wtforms import HiddenField, PasswordField, StringField, TextAreaField
from wtforms.meta import DefaultMeta
from wtforms.validators import DataRequired, Length, Regexp, StopValidation, ValidationError

from coo import enums, params, scan
from coo.services import exceptions as exception_rules
from coo.services import operators as operator_rules
from coo.services import seals as seal_rules


NUL_REFUSED = "请求中含有无效字符，请检查输入后重试。"


def refuse_nul_bytes():
    """No text with a NUL byte reaches a route: PostgreSQL refuses it in every string, and no
    field of ours may hold one. One check for every path argument, query and form field, before
    any form class or route: the only place that reads the posted fields outside WTForms."""
    values = [v for v in (request.view_args or {}).values() if isinstance(v, str)]
    # The query's names and values hold a NUL only where its raw text says %00 (or a bare NUL):
    # read that instead of decoding every argument (the hot lists are GETs).
    query = request.environ.get("QUERY_STRING", "")
    if "%00" in query or "\x00" in query:
        values.append("\x00")
    # A body is read only for the methods that send one (no route reads a GET's body).
    if request.method not in ("GET", "HEAD"):
        for key, items in request.form.lists():
            values.append(key)
            values.extend(items)
        if request.is_json:
            values.extend(_json_strings(request.get_json(silent=True)))
    if any("\x00" in value for value in values):
        abort(400, NUL_REFUSED)


def _json_strings(data, depth=0):
    if depth > 20:
        return
    if isinstance(data, str):
        yield data
    elif isinstance(data, dict):
        for key, value in data.items():
            yield key
            yield from _json_strings(value, depth + 1)
    elif isinstance(data, list):
        for value in data:
            yield from _json_strings(value, depth + 1)


def strip(value):
    return value.strip() if isinstance(value, str) else value


def squeeze(value):
    """Inner runs of white space become one space (names)."""
    return " ".join(value.split()) if isinstance(value, str) else value


class Form(FlaskForm):
    class Meta:
        # WTForms' own messages (a choice not offered, …) in Chinese where a field gives none.
        locales = ("zh",)

        def get_translations(self, form):
            return DefaultMeta.get_translations(self, form)

        def wrap_formdata(self, form, formdata):
            """Only a posted form is read. Flask-WTF would read a JSON body as the fields, and a
            list or a number in it raised a 500; ours is treated as nothing posted (so each
            field says what is missing, 422)."""
            if request.is_json and not request.form and not request.files:
                return None
            return super().wrap_formdata(form, formdata)

    def messages(self) -> dict[str, str]:
        """The first message of each field that failed."""
        return {name: errors[0] for name, errors in self.errors.items()
                if name != "csrf_token" and errors}

    def first_message(self) -> str:
        messages = self.messages()
        return next(iter(messages.values()), "")

    def refill(self) -> dict[str, str]:
        """What the user typed, per field, to show again (never a password or a file)."""
        values = {}
        for field in self:
            if isinstance(field, (PasswordField, FileField)) or field.name == "csrf_token":
                continue
            if isinstance(field.data, str):
                values[field.name] = field.data
            elif field.raw_data and isinstance(field.raw_data[0], str):
                values[field.name] = field.raw_data[0].strip()
            else:
                values[field.name] = ""
        return values


class IdField(StringField):
    """A row chosen in a list (`params.parse_id`): `.row_id` is the id, or None for anything else.
    Which rows may be chosen is the service's rule (and its message)."""

    @property
    def row_id(self) -> int | None:
        return params.parse_id(self.data)


class IdsField(StringField):
    """Checked rows (`ids=1&ids=2`): `.ids` is the list, or None when one of them is no id."""

    def process_formdata(self, valuelist):
        self.raw_data = valuelist
        self.data = [v for v in valuelist if isinstance(v, str)]

    @property
    def ids(self) -> list[int] | None:
        return params.parse_ids(self.data or [])


class DayField(StringField):
    """A date typed as YYYY-MM-DD (`params.parse_date`); `.day` once valid."""
    day = None

    def __init__(self, label, **kwargs):
        super().__init__(label, filters=[strip], **kwargs)

    def pre_validate(self, form):
        if not self.data:
            raise StopValidation(f"请选择{self.label.text}。")
        self.day, error = params.parse_date(self.data)
        if error:
            raise StopValidation(f"{self.label.text}：{error}")


class Ascii:
    """Only characters of the ASCII set (card numbers, codes: full-width digits are a typo)."""

    def __init__(self, message):
        self.message = message

    def __call__(self, form, field):
        if field.data and not field.data.isascii():
            raise ValidationError(self.message)


class ScanField(FileField):
    """A file field that remembers what was posted under its name (FileField drops text)."""
    posted = ()

    def process_formdata(self, valuelist):
        self.posted = list(valuelist)
        super().process_formdata(valuelist)


class ScanImage:
    """The uploaded scan of a seal or signature: a file, not over SCAN_MAX_BYTES. Its bytes are
    read once, here (`field.content`); what is in them (an image of which format, a seal, its
    size, its colour) is `coo.scan`'s to say."""
    NOT_A_FILE = "请通过“选择”按钮选择扫描图片文件。"

    def __call__(self, form, field):
        field.content = None
        if any(not isinstance(value, FileStorage) for value in field.posted if value not in ("", None)):
            raise StopValidation(self.NOT_A_FILE)
        if field.data is None:
            return
        limit = current_app.config["SCAN_MAX_BYTES"]
        content = field.data.read(limit + 1)
        if len(content) > limit:
            raise StopValidation(scan.TOO_BIG.format(size=len(content) / 1048576, limit=limit / 1048576))
        # What the file is (not its name: a scanner's .jfif or a name without a suffix is fine) is
        # `coo.scan`'s to say, with the reason (a PDF, not an image, …).
        field.content = content


def _limit(n, what):
    return Length(max=n, message=f"{what}不能超过 {n} 个字符。")


# --- 进入或退出系统 --------------------------------------------------------------------------------

class CardLoginForm(Form):
    card_number = StringField("卡号", filters=[strip], validators=[
        DataRequired("请输入卡号和卡密码。"), _limit(32, "卡号"), Ascii("卡号只能包含数字和字母，请检查输入法后重新输入。")])
    pin = PasswordField("卡密码", validators=[DataRequired("请输入卡号和卡密码。"), _limit(64, "卡密码")])


class PasswordLoginForm(Form):
    username = StringField("用户名", filters=[strip], validators=[
        DataRequired("请输入用户名和密码。"), _limit(64, "用户名")])
    password = PasswordField("密码", validators=[DataRequired("请输入用户名和密码。"), _limit(128, "密码")])


# --- 印章管理 -------------------------------------------------------------------------------------

class _ScanForm(Form):
    """What 新增印章 and 新增签名 share: the scan, the preview's token, the PIN and the button."""
    scan = ScanField("扫描图片", validators=[ScanImage()])
    upload_token = HiddenField(filters=[strip], validators=[_limit(2000, "预览凭据")])
    pin = PasswordField("法人卡密码", validators=[_limit(64, "法人卡密码")])
    action = StringField(filters=[strip])

    @property
    def saving(self) -> bool:
        return self.action.data == "save"


class SealForm(_ScanForm):
    owner_id = IdField("印章操作员名称", filters=[strip])
    seal_type = StringField("印章类型", filters=[strip])
    name = StringField("印章名称", filters=[squeeze], validators=[
        DataRequired("请填写印章名称。"),
        Length(max=seal_rules.NAME_MAX, message=f"印章名称不能超过 {seal_rules.NAME_MAX} 个字。")])
    valid_from = DayField("起始日期")
    valid_to = DayField("结束日期")

    def validate_seal_type(self, field):
        if enums.SealType.parse(field.data or enums.SealType.COMPANY.value) is None:
            raise ValidationError("请选择印章类型。")

    def values(self) -> dict:
        """The clean values for `coo.services.seals` (None where a field failed)."""
        return {"owner_id": self.owner_id.row_id,
                "seal_type": enums.SealType.parse(self.seal_type.data or enums.SealType.COMPANY.value),
                "name": self.name.data if "name" not in self.errors else None,
                "valid_from": self.valid_from.day, "valid_to": self.valid_to.day}


class SignatureForm(_ScanForm):
    declarant_id = IdField("签名申报员名称", filters=[strip])
    # Empty is the declarant's own name (the service fills it in).
    name = StringField("签名名称", filters=[squeeze], validators=[
        Length(max=seal_rules.NAME_MAX, message=f"签名名称不能超过 {seal_rules.NAME_MAX} 个字。")])

    def values(self) -> dict:
        return {"declarant_id": self.declarant_id.row_id,
                "name": (self.name.data or "") if "name" not in self.errors else None}


KIND_FORMS = {seal_rules.SEAL.key: SealForm, seal_rules.SIGNATURE.key: SignatureForm}


class RowActionForm(Form):
    """停用 / 启用 / 删除 on the row chosen in a table; one subclass per kind names the table's
    radio buttons (`row_action_form`)."""
    OPS = ("disable", "enable", "delete")
    id_field = ""
    op = StringField(filters=[strip])

    @property
    def row(self) -> IdField:
        return self[self.id_field]

    @property
    def known_op(self) -> bool:
        return self.op.data in self.OPS


def row_action_form(kind) -> type[RowActionForm]:
    """The table form of a kind of `coo.services.seals.KINDS` (seal_id / signature_id)."""
    return _ROW_ACTION_FORMS[kind.key]


_ROW_ACTION_FORMS = {
    kind.key: type(f"{kind.key.title()}ActionForm", (RowActionForm,),
                   {"id_field": kind.id_field, kind.id_field: IdField(filters=[strip])})
    for kind in seal_rules.KINDS.values()}


class DefaultChoiceForm(Form):
    """设为默认印章 / 设为默认签名: the chosen row (whether it may be chosen is the service's rule)."""
    seal_id = IdField(filters=[strip])
    signature_id = IdField(filters=[strip])


# --- 授权管理 / 我的操作员 -------------------------------------------------------------------------

class AgentForm(Form):
    agent_code = StringField("代理企业统一社会信用代码或海关编码", filters=[strip], validators=[
        _limit(32, "代理企业代码"), Ascii("代理企业代码只能包含数字和字母，请检查输入法后重新输入。")])


class OperatorForm(Form):
    """新增无卡操作员 (whether the ID number is already the enterprise's is the service's rule)."""
    name = StringField("姓名", filters=[squeeze], validators=[
        DataRequired("请填写姓名。"), Length(max=50, message="姓名不能超过 50 个字。")])
    id_number = StringField("身份证号", filters=[strip])
    phone = StringField("联系电话", filters=[lambda v: strip(v).replace(" ", "") if isinstance(v, str) else v],
                        validators=[DataRequired("请填写联系电话。"),
                                    Regexp(operator_rules.PHONE, message=operator_rules.PHONE_ERROR)])

    def validate_id_number(self, field):
        field.data, message = operator_rules.check_id_number(field.data)
        if message:
            raise ValidationError(message)


# --- 证书打印, 打印异常申请 ------------------------------------------------------------------------

class ExportForm(Form):
    """导出: the posted 查询区, parsed by the list's own query parser (`coo.services.listquery`,
    shared with the GET lists), so it has no fields of its own here."""

    def process(self, formdata=None, obj=None, data=None, extra_filters=None, **kwargs):
        # The one place a posted mapping is handed on whole: the query parser declares the fields.
        self.posted = self.meta.wrap_formdata(self, formdata) or MultiDict()
        super().process(formdata, obj, data, extra_filters, **kwargs)


class PrintJobsForm(Form):
    """打印正副本 / 打印正本 / 打印副本 for the checked rows."""
    kind = StringField(filters=[strip])
    ids = IdsField()

    @property
    def print_kind(self):
        return enums.PrintKind.parse(self.kind.data or "")

    def problems(self) -> list[str]:
        errors = []
        if not self.ids.data:
            errors.append("请勾选要打印的证书。")
        if self.print_kind is None:
            errors.append("请选择打印方式：打印正副本、打印正本或打印副本。")
        return errors


class ConfirmForm(Form):
    answer = StringField(filters=[strip], validators=[
        DataRequired("请点击“是”或“否”确认打印结果。"), Regexp("^(yes|no)$", message="请点击“是”或“否”确认打印结果。")])


class ExceptionForm(Form):
    """异常申请: a reason of the list; 其他 needs the details."""
    certificate = IdField(filters=[strip])
    reason = StringField("异常原因", filters=[strip])
    details = TextAreaField("异常说明", filters=[strip], validators=[
        Length(max=exception_rules.DETAILS_MAX, message=exception_rules.DETAILS_TOO_LONG)])

    def validate_reason(self, field):
        if self.exception_reason is None:
            raise ValidationError(exception_rules.REASON_REQUIRED)

    def validate(self, extra_validators=None):
        ok = super().validate(extra_validators)
        if self.exception_reason == enums.ExceptionReason.OTHER and not self.details.data:
            self.details.errors.append(exception_rules.DETAILS_REQUIRED)
            ok = False
        return ok

    @property
    def exception_reason(self):
        return enums.ExceptionReason.parse(self.reason.data or "")


# --- Ops ------------------------------------------------------------------------------------------

class SimulatorForm(Form):
    """海关模拟器 审批: the intake checks every value (`coo.services.intake`)."""
    exporter_id = StringField(filters=[strip], validators=[_limit(20, "出口商")])
    applicant_id = StringField(filters=[strip], validators=[_limit(20, "申请人")])
    cert_type = StringField(filters=[strip], validators=[_limit(20, "证书类别")])
    country = StringField(filters=[strip], validators=[_limit(100, "进口国")])
