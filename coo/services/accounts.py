"""Who is logged in: card login (卡介质登录), password login (用户名密码登录), the principal
object Flask-Login keeps, and the guards for legal-person-only and ops-only pages."""
import functools
from dataclasses import dataclass

from flask import abort, render_template, request
from flask_login import LoginManager, UserMixin, current_user
from peewee import JOIN, fn

from coo import enums
from coo.clock import today_local, utcnow
from coo.models import Card, Enterprise, LoginSession, Operator, UserAccount, database
from coo.params import parse_id
from coo.security import check_secret, new_token, token_digest

login_manager = LoginManager()

LOCKED_CARD_MESSAGE = "该卡已被锁定（连续5次密码错误），请联系当地数据分中心办理解锁。"
LOCKED_ACCOUNT_MESSAGE = "该账号已被锁定（连续5次密码错误），请联系企业管理员或当地数据分中心解锁。"
BAD_CARD_MESSAGE = "卡号或卡密码错误。"
DISABLED_OPERATOR_MESSAGE = "该操作员已被停用，不能登录，请联系本企业法人。"
BAD_PASSWORD_MESSAGE = "用户名或密码错误。"
EXPIRED_CARD_MESSAGE = "该卡证书不在有效期内，请联系当地数据分中心。"
LEGAL_PERSON_ONLY_MESSAGE = "该功能需要使用电子口岸法人卡登录（卡介质登录），请使用法人卡重新登录。"


class Principal(UserMixin):
    """The logged-in person, by card or by account. Its id names the row it was loaded from."""

    def __init__(self, card: Card | None = None, account: UserAccount | None = None, session_key: str = ""):
        self.card = card
        self.account = account
        self.session_key = session_key   # the key of this login's LoginSession row

    @property
    def principal_key(self):
        return f"card:{self.card.id}" if self.card else f"account:{self.account.id}"

    def get_id(self):
        # What Flask-Login keeps in the session cookie: the row and this login's session key.
        return f"{self.principal_key}:{self.session_key}"

    @property
    def login_method(self):
        return enums.LoginMethod.CARD if self.card else enums.LoginMethod.PASSWORD

    @property
    def enterprise(self):
        if self.card:
            return self.card.enterprise
        return self.account.enterprise

    @property
    def person(self):
        return self.card.holder if self.card else self.account.operator

    @property
    def display_name(self):
        person = self.person
        return person.name if person else self.account.username

    @property
    def login_name(self):
        return self.card.number if self.card else self.account.username

    @property
    def is_legal_person_card(self):
        return bool(self.card) and self.card.kind == enums.CardKind.LEGAL

    @property
    def is_ops(self):
        return bool(self.account) and self.account.role == enums.Role.OPS


@dataclass
class LoginResult:
    principal: Principal | None = None
    error: str = ""


def _card_usable(card: Card) -> bool:
    return (not card.locked and card.valid_from <= today_local() <= card.valid_to
            and card.holder.active)


def _account_usable(account: UserAccount) -> bool:
    return (account.active and not account.locked
            and (account.operator is None or account.operator.active))


def _load(user_id: str):
    """Every request: the principal with its enterprise and person, in one query, and only while
    the login is open (退出 revoked it, whatever the cookie says) and the person may still log in."""
    kind, _, rest = (user_id or "").partition(":")
    pk, _, key = rest.partition(":")
    pk = parse_id(pk)
    if pk is None or not key:
        return None
    open_login = fn.EXISTS(LoginSession.select(LoginSession.id).where(
        (LoginSession.key_digest == token_digest(key)) & (LoginSession.principal == f"{kind}:{pk}")
        & LoginSession.revoked_at.is_null()))
    if kind == "card":
        card = (Card.select(Card, Enterprise, Operator)
                .join(Enterprise).switch(Card).join(Operator)
                .where((Card.id == pk) & open_login).first())
        if card and _card_usable(card):
            return Principal(card=card, session_key=key)
    elif kind == "account":
        account = (UserAccount.select(UserAccount, Enterprise, Operator)
                   .join(Enterprise, JOIN.LEFT_OUTER).switch(UserAccount).join(Operator, JOIN.LEFT_OUTER)
                   .where((UserAccount.id == pk) & open_login).first())
        if account and _account_usable(account):
            return Principal(account=account, session_key=key)
    return None


def open_session(principal: Principal) -> Principal:
    """Start a login: a fresh server-side session row whose key the cookie will carry."""
    key = new_token(24)
    LoginSession.create(key_digest=token_digest(key), principal=principal.principal_key,
                        remote_addr=client_addr())
    principal.session_key = key
    return principal


def close_session(principal: Principal) -> None:
    """退出: revoke this login, so a copy of its cookie is worthless."""
    if principal.session_key:
        (LoginSession.update(revoked_at=utcnow())
         .where(LoginSession.key_digest == token_digest(principal.session_key)).execute())


def init_login(app):
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = "请先登录。"
    login_manager.session_protection = "strong"
    login_manager.user_loader(_load)


def _count_failure(model, row_id, counter, limit):
    """Atomically add one failure; lock at `limit`. Returns True when now locked."""
    field = getattr(model, counter)
    with database.atomic():
        model.update({field: field + 1}).where(model.id == row_id).execute()
        row = model.get_by_id(row_id)
        if getattr(row, counter) >= limit and row.locked_at is None:
            model.update(locked_at=utcnow()).where(model.id == row_id).execute()
            return True
    return row.locked_at is not None


def login_with_card(number: str, pin: str, limit: int = 5) -> LoginResult:
    number = (number or "").strip()
    if not number or not pin:
        return LoginResult(error="请输入卡号和卡密码。")
    card = Card.get_or_none(Card.number == number)
    if card is None:
        return LoginResult(error=BAD_CARD_MESSAGE)
    if card.locked:
        return LoginResult(error=LOCKED_CARD_MESSAGE)
    if not check_secret(card.pin_hash, pin):
        if _count_failure(Card, card.id, "failed_pin_count", limit):
            return LoginResult(error=LOCKED_CARD_MESSAGE)
        left = limit - Card.get_by_id(card.id).failed_pin_count
        return LoginResult(error=f"{BAD_CARD_MESSAGE}再错误{left}次该卡将被锁定。")
    if not (card.valid_from <= today_local() <= card.valid_to):
        return LoginResult(error=EXPIRED_CARD_MESSAGE)
    if not card.holder.active:
        return LoginResult(error=DISABLED_OPERATOR_MESSAGE)
    Card.update(failed_pin_count=0).where(Card.id == card.id).execute()
    return LoginResult(principal=Principal(card=card))


def login_with_password(username: str, password: str, limit: int = 5) -> LoginResult:
    username = (username or "").strip()
    if not username or not password:
        return LoginResult(error="请输入用户名和密码。")
    account = UserAccount.get_or_none(fn.LOWER(UserAccount.username) == username.lower())
    if account is None or not account.active:
        return LoginResult(error=BAD_PASSWORD_MESSAGE)
    if account.locked:
        return LoginResult(error=LOCKED_ACCOUNT_MESSAGE)
    if not check_secret(account.password_hash, password):
        if _count_failure(UserAccount, account.id, "failed_password_count", limit):
            return LoginResult(error=LOCKED_ACCOUNT_MESSAGE)
        return LoginResult(error=BAD_PASSWORD_MESSAGE)
    if account.operator is not None and not account.operator.active:
        return LoginResult(error=DISABLED_OPERATOR_MESSAGE)
    UserAccount.update(failed_password_count=0).where(UserAccount.id == account.id).execute()
    return LoginResult(principal=Principal(account=account))


def verify_legal_person_pin(pin: str, limit: int = 5) -> str:
    """Saving a seal asks for the legal-person card PIN again. Returns an error message or ''.
    A wrong PIN counts toward the card lock, exactly like a wrong PIN at login."""
    card = current_user.card
    if card is None or card.kind != enums.CardKind.LEGAL:
        return LEGAL_PERSON_ONLY_MESSAGE
    card = Card.get_by_id(card.id)
    if card.locked:
        return LOCKED_CARD_MESSAGE
    if not pin:
        return "请输入法人卡密码。"
    if not check_secret(card.pin_hash, pin):
        if _count_failure(Card, card.id, "failed_pin_count", limit):
            return LOCKED_CARD_MESSAGE
        return "法人卡密码错误。"
    Card.update(failed_pin_count=0).where(Card.id == card.id).execute()
    return ""


def legal_person_required(view):
    """Pages of 印章管理 and 授权管理 need the legal-person card (SPEC section 1)."""
    @functools.wraps(view)
    def wrapped(*args, **kwargs):
        if not current_user.is_authenticated:
            return login_manager.unauthorized()
        if not current_user.is_legal_person_card:
            return render_template("errors/legal_person_only.html",
                                   message=LEGAL_PERSON_ONLY_MESSAGE), 403
        return view(*args, **kwargs)
    return wrapped


def enterprise_required(view):
    """Enterprise pages: any logged-in enterprise user (ops accounts have no enterprise)."""
    @functools.wraps(view)
    def wrapped(*args, **kwargs):
        if not current_user.is_authenticated:
            return login_manager.unauthorized()
        if current_user.enterprise is None:
            abort(404)
        return view(*args, **kwargs)
    return wrapped


def ops_required(view):
    """Ops pages answer 404 to everyone else: their existence is not advertised."""
    @functools.wraps(view)
    def wrapped(*args, **kwargs):
        if not (current_user.is_authenticated and current_user.is_ops):
            abort(404)
        return view(*args, **kwargs)
    return wrapped


def client_addr():
    return request.remote_addr or ""
