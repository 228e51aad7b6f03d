"""进入或退出系统: 卡介质登录 and 用户名密码登录, 退出."""
from flask import Blueprint, current_app, redirect, session, url_for
from flask_login import current_user, login_required, login_user, logout_user
from htmx_flask import request

from coo.services import accounts, audit
from coo.web.forms import CardLoginForm, PasswordLoginForm
from coo.web.htmx import render, see_other

bp = Blueprint("auth", __name__)


@bp.get("/")
def index():
    if current_user.is_authenticated:
        return redirect(url_for("ops.index" if current_user.is_ops else "home.index"))
    return redirect(url_for("auth.login"))


@bp.get("/login")
def login():
    method = "card" if request.args.get("method") == "card" else "password"
    return render("auth/login.html", method=method, form={}, error="")


def _finish_login(result, method, form):
    if result.principal is None:
        audit.record("login_failed", detail=f"{method}: {result.error}",
                     actor=form.get("card_number") or form.get("username"),
                     login=form.get("card_number") or form.get("username"))
        return render("auth/login.html", f"{method}_form", status=422,
                      method=method, form=form, error=result.error)
    # A fresh session on every login: nothing from before the login survives (session fixation).
    session.clear()
    login_user(accounts.open_session(result.principal))
    audit.record("login", detail=result.principal.login_method.label)
    target = "ops.index" if result.principal.is_ops else "home.index"
    return see_other(url_for(target))


def _refused(method, form):
    """A form no account can match (empty, too long, full-width digits): said at once, nothing
    counted or recorded, since no card or account was tried."""
    return render("auth/login.html", f"{method}_form", status=422, method=method, form=form.refill(),
                  error=form.first_message())


@bp.post("/login/card")
def login_card():
    form = CardLoginForm()
    return _login("card", form, accounts.login_with_card, form.card_number, form.pin)


@bp.post("/login/password")
def login_password():
    form = PasswordLoginForm()
    return _login("password", form, accounts.login_with_password, form.username, form.password)


def _login(method, form, login_with, account_field, secret_field):
    """Both ways in (卡号/卡密码, 用户名/密码): the form's own checks first, then the service."""
    if not form.validate():
        return _refused(method, form)
    result = login_with(account_field.data, secret_field.data, current_app.config["LOGIN_MAX_FAILURES"],
                        accounts.LoginThrottle.from_config(current_app.config))
    return _finish_login(result, method, form.refill())


@bp.post("/logout")
@login_required
def logout():
    audit.record("logout")
    accounts.close_session(current_user._get_current_object())
    logout_user()
    session.clear()
    return see_other(url_for("auth.login"))
