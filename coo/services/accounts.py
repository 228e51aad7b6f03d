"""Who is logged in: card login (卡介质登录), password login (用户名密码登录), the principal
object Flask-Login keeps, and the guards for legal-person-only and ops-only pages."""
import datetime
import functools
from dataclasses import dataclass

from flask import abort, render_template, request
from flask_login import LoginManager, UserMixin, current_user
from peewee import JOIN, fn
from redis.exceptions import RedisError

from coo import enums
from coo.clock import today_local, utcnow
from coo.models import Card, Enterprise, LoginSession, Operator, UserAccount, database
from coo.params import parse_id
from coo.queue import redis
from coo.security import check_secret, hash_secret, new_token, token_digest
from coo.services import ratelimit, rules
from coo.services.prepared import Param, ShapeCache

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


def _open_login():
    return fn.EXISTS(LoginSession.select(LoginSession.id).where(
        (LoginSession.key_digest == Param("digest")) & (LoginSession.principal == Param("principal"))
        & LoginSession.revoked_at.is_null()))


def _first_authorisation():
    """The enterprise's first successful authorisation (`rules.authorised_since`), read with the
    login: every enterprise page asks for it, and a statement fewer is a good part of a page."""
    return rules.authorised_since_query(Enterprise.id)


def _card_query():
    return (Card.select(Card, Enterprise, Operator, _first_authorisation())
            .join(Enterprise).switch(Card).join(Operator)
            .where((Card.id == Param("id")) & _open_login()).limit(1))


def _account_query():
    return (UserAccount.select(UserAccount, Enterprise, Operator, _first_authorisation())
            .join(Enterprise, JOIN.LEFT_OUTER).switch(UserAccount).join(Operator, JOIN.LEFT_OUTER)
            .where((UserAccount.id == Param("id")) & _open_login()).limit(1))


_LOGIN_QUERIES = {"card": _card_query, "account": _account_query}
_prepared = ShapeCache()


def _load(user_id: str):
    """Every request: the principal with its enterprise and person, in one query (built once,
    run with this login's values), and only while the login is open (退出 revoked it, whatever
    the cookie says) and the person may still log in. The same query reads when the enterprise's
    self-printing began (`rules.authorised_since`)."""
    kind, _, rest = (user_id or "").partition(":")
    pk, _, key = rest.partition(":")
    pk = parse_id(pk)
    if pk is None or not key or kind not in _LOGIN_QUERIES:
        return None
    query = _prepared.get(kind, _LOGIN_QUERIES[kind])
    values = dict(id=pk, digest=token_digest(key), principal=f"{kind}:{pk}")
    if kind == "card":
        for card, enterprise, holder, first_authorised in query.instances((Card, Enterprise, Operator), **values):
            card.enterprise, card.holder = enterprise, holder
            if _card_usable(card):
                rules.remember_authorised_since(enterprise.id, first_authorised)
                return Principal(card=card, session_key=key)
        return None
    for account, enterprise, operator, first_authorised in query.instances((UserAccount, Enterprise, Operator),
                                                                           **values):
        account.enterprise, account.operator = enterprise, operator
        if _account_usable(account):
            if enterprise is not None:
                rules.remember_authorised_since(enterprise.id, first_authorised)
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


# --- Login that tells a stranger nothing ---------------------------------------------------------
#
# What a wrong login answers is the same for an unknown card and a known one, and costs the same:
# the PIN is always checked against a hash (a dummy one for an unknown card), and the answer is
# one sentence that states the manual's rule (5 wrong PINs lock the card) instead of counting
# down, because a countdown is only shown for cards that exist. What only the holder may learn
# (locked, expired, operator disabled) is told only to whoever typed the right PIN.
#
# The manual's lock stays: every wrong PIN counts, 5 in a row lock the card. So that a stranger
# cannot use it to lock someone's card, attempts are throttled in Redis (`LoginThrottle`):
# - per card or user name, from addresses it never logged in from (no LoginSession from there in
#   LOGIN_KNOWN_ADDRESS_DAYS): LOGIN_STRANGER_ATTEMPTS attempts per LOGIN_THROTTLE_WINDOW_S (3 per
#   15 min by default, fewer than the 5 that lock). Counted per typed number, known or not, so
#   the throttle itself reveals nothing. The holder's own PCs are not throttled by it, so the
#   holder still logs in (and a successful login clears the count and the stranger budget);
# - per client address, whatever the card: LOGIN_ATTEMPTS_PER_ADDRESS attempts per window.
# Attempts are counted before the PIN is checked (atomically, so parallel guesses cannot slip
# through), and a successful login gives its attempt back. When Redis does not answer, unknown
# addresses are refused ("请稍后再试") and the holder's own PCs still log in: the manual's lock
# alone guards them.

THROTTLED_MESSAGE = "登录尝试过于频繁，请稍后再试。"


def bad_card_message(limit: int) -> str:
    return f"{BAD_CARD_MESSAGE}连续{limit}次卡密码错误该卡将被锁定。"


def bad_password_message(limit: int) -> str:
    return f"{BAD_PASSWORD_MESSAGE}连续{limit}次密码错误该账号将被锁定。"


# A hash of nothing anyone knows, with the same cost as a real one: an unknown card or user is
# checked against it, so it answers in the same time as a known one.
_DUMMY_HASH = hash_secret(new_token(16))


@dataclass(frozen=True)
class LoginThrottle:
    window_s: int = 900
    per_address: int = 30
    per_stranger: int = 3
    known_days: int = 90

    @classmethod
    def from_config(cls, config) -> "LoginThrottle":
        return cls(window_s=config["LOGIN_THROTTLE_WINDOW_S"], per_address=config["LOGIN_ATTEMPTS_PER_ADDRESS"],
                   per_stranger=config["LOGIN_STRANGER_ATTEMPTS"], known_days=config["LOGIN_KNOWN_ADDRESS_DAYS"])


def _known_address(principal_key: str, addr: str, days: int) -> bool:
    """Whether this card/account logged in from `addr` lately (its holder's own PC)."""
    since = utcnow() - datetime.timedelta(days=days)
    return (LoginSession.select(LoginSession.id)
            .where((LoginSession.principal == principal_key) & (LoginSession.remote_addr == addr)
                   & (LoginSession.created_at >= since)).exists())


def _digest(text: str) -> str:
    return token_digest(text)[:32]


@dataclass
class _Attempt:
    """One login attempt's place in the throttle: reserved before the check, given back on success."""
    throttle: LoginThrottle
    addr: str
    who: str                 # "card:<digest of the number>" / "user:<digest of the name>"
    known: bool
    refused: bool = False

    def reserve(self) -> bool:
        t = self.throttle
        try:
            if ratelimit.hit("login-addr", self.addr, t.window_s) > t.per_address:
                self.refused = True
            elif not self.known and ratelimit.hit("login-stranger", self.who, t.window_s) > t.per_stranger:
                self.refused = True
        except RedisError:
            self.refused = not self.known
        return not self.refused

    def succeeded(self):
        try:
            redis().decr(ratelimit.key("login-addr", self.addr))
            ratelimit.reset("login-stranger", self.who)
        except RedisError:
            pass


def _attempt(kind: str, typed: str, principal_key: str, throttle: LoginThrottle | None) -> _Attempt:
    throttle = throttle or LoginThrottle()
    addr = client_addr() if request else ""
    # Asked for unknown names too (a key no row has), so both cost the same query.
    known = _known_address(principal_key, addr, throttle.known_days)
    return _Attempt(throttle, addr, f"{kind}:{_digest(typed)}", known)


# login_with_card and login_with_password run the same steps (throttle, secret, failure count, then
# the holder's state) on purpose: the shared parts are `_attempt`, `check_secret` and
# `_count_failure`; what stays written twice is what differs per actor (a card's PIN, lock and
# validity dates; an account's password, lock and operator), with the manual's own message each.
def login_with_card(number: str, pin: str, limit: int = 5, throttle: LoginThrottle | None = None) -> LoginResult:
    number = (number or "").strip()
    if not number or not pin:
        return LoginResult(error="请输入卡号和卡密码。")
    card = Card.get_or_none(Card.number == number)
    attempt = _attempt("card", number, f"card:{card.id if card else 0}", throttle)
    if not attempt.reserve():
        return LoginResult(error=THROTTLED_MESSAGE)
    right = check_secret(card.pin_hash if card else _DUMMY_HASH, pin)
    if card is None or not right:
        if card is not None and not card.locked:
            _count_failure(Card, card.id, "failed_pin_count", limit)
        return LoginResult(error=bad_card_message(limit))
    # The right PIN: whoever typed it holds the card, and may be told its state.
    if card.locked:
        return LoginResult(error=LOCKED_CARD_MESSAGE)
    if not (card.valid_from <= today_local() <= card.valid_to):
        return LoginResult(error=EXPIRED_CARD_MESSAGE)
    if not card.holder.active:
        return LoginResult(error=DISABLED_OPERATOR_MESSAGE)
    Card.update(failed_pin_count=0).where(Card.id == card.id).execute()
    attempt.succeeded()
    return LoginResult(principal=Principal(card=card))


def login_with_password(username: str, password: str, limit: int = 5,
                        throttle: LoginThrottle | None = None) -> LoginResult:
    username = (username or "").strip()
    if not username or not password:
        return LoginResult(error="请输入用户名和密码。")
    account = UserAccount.get_or_none(fn.LOWER(UserAccount.username) == username.lower())
    attempt = _attempt("user", username.lower(), f"account:{account.id if account else 0}", throttle)
    if not attempt.reserve():
        return LoginResult(error=THROTTLED_MESSAGE)
    right = check_secret(account.password_hash if account else _DUMMY_HASH, password)
    if account is None or not right:
        if account is not None and not account.locked:
            _count_failure(UserAccount, account.id, "failed_password_count", limit)
        return LoginResult(error=bad_password_message(limit))
    if account.locked:
        return LoginResult(error=LOCKED_ACCOUNT_MESSAGE)
    if not account.active or (account.operator is not None and not account.operator.active):
        return LoginResult(error=DISABLED_OPERATOR_MESSAGE)
    UserAccount.update(failed_password_count=0).where(UserAccount.id == account.id).execute()
    attempt.succeeded()
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
        user = current_user._get_current_object()
        if not user.is_authenticated:
            return login_manager.unauthorized()
        if user.enterprise is None:
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
