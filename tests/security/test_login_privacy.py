"""SPEC section 6: login reveals nothing about which cards or users exist, and is rate-limited;
the manual's lock (5 wrong PINs in a row lock the card) stays, but a stranger hammering a card
is throttled before he locks it, and the holder still logs in.

The design these tests pin down (coo/services/accounts.py):
- Every wrong login gets one answer, "卡号或卡密码错误。连续5次卡密码错误该卡将被锁定。", for an
  unknown card, a known one, a locked or an expired one alike: the manual's rule is stated, not
  counted down, because a countdown ("再错误4次") can only be shown for a card that exists. The
  PIN is checked against a dummy hash for an unknown card, so both cost one hash check.
- Locked / expired / operator disabled is told only to whoever typed the right PIN.
- From addresses a card never logged in from, 3 attempts per 15 minutes per typed number
  (counted for unknown numbers too): a stranger makes at most 3 wrong PINs, fewer than the 5 that
  lock. The holder's own PC (a login from there within 90 days) is not throttled by it, and one
  successful login clears the count. Per client address, 30 attempts per 15 minutes.
- The throttle answers "登录尝试过于频繁，请稍后再试。" and its Redis keys expire with the window.

Why not more: every wrong PIN still counts toward the manual's lock, so guessing stays bounded
by 5 in a row. The price is that a stranger who comes back after the window, with no login of
the holder in between, gets 3 more and can lock the card; a longer LOGIN_THROTTLE_WINDOW_S makes
that slower (and makes the holder wait as long on a PC never used before). Not counting a
stranger's failures would instead let him guess forever at 3 per window.
"""
import re

import pytest

from coo.models import Card, UserAccount
from coo.services import accounts

from conftest import Actions

HOLDER_PC, STRANGER = "192.0.2.10", "198.51.100.7"
CARD, UNKNOWN_CARD = "8800000000002", "8800000000999"
RULE = "卡号或卡密码错误。连续5次卡密码错误该卡将被锁定。"
PASSWORD_RULE = "用户名或密码错误。连续5次密码错误该账号将被锁定。"


def client_at(app, address):
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = address
    return Actions(client)


def error_of(response) -> str:
    match = re.search(r'<p class="error" role="alert">([^<]*)</p>', response.get_data(as_text=True))
    return match.group(1) if match else ""


def page_without(response, typed) -> str:
    html = response.get_data(as_text=True).replace(typed, "TYPED")
    html = re.sub(r'"X-CSRFToken": "[^"]+"', "", html)
    return re.sub(r'name="csrf_token" value="[^"]+"', "", html)


def holder_logs_in(app, demo, address=HOLDER_PC, card=CARD):
    holder = client_at(app, address)
    assert holder.login_card(card, demo.DEMO_PIN).status_code == 303
    return holder


def test_unknown_known_locked_and_expired_cards_get_one_answer(app, demo):
    Card.update(locked_at=accounts.utcnow()).where(Card.number == "8800000000012").execute()
    import datetime
    Card.update(valid_to=datetime.date.today() - datetime.timedelta(days=1)).where(
        Card.number == "8800000000011").execute()
    answers = {}
    for number in (UNKNOWN_CARD, CARD, "8800000000012", "8800000000011"):
        response = client_at(app, f"203.0.113.{len(answers) + 1}").login_card(number, "00000000")
        answers[number] = (response.status_code, error_of(response), page_without(response, number))
    assert {a[:2] for a in answers.values()} == {(422, RULE)}
    assert len({a[2] for a in answers.values()}) == 1          # the whole page, but for what was typed
    assert "再错误" not in RULE
    # The card's own state is told only with the right PIN.
    assert "已被锁定" in error_of(client_at(app, "203.0.113.9").login_card("8800000000012", demo.DEMO_PIN))
    assert "有效期" in error_of(client_at(app, "203.0.113.9").login_card("8800000000011", demo.DEMO_PIN))


def test_unknown_known_and_locked_users_get_one_answer(app, demo):
    UserAccount.update(locked_at=accounts.utcnow()).where(UserAccount.username == "yy_op").execute()
    answers = {}
    for username in ("nobody_here", "hd_op", "yy_op"):
        response = client_at(app, f"203.0.113.{len(answers) + 20}").login_password(username, "guess")
        answers[username] = (response.status_code, error_of(response), page_without(response, username))
    assert {a[:2] for a in answers.values()} == {(422, PASSWORD_RULE)}
    assert len({a[2] for a in answers.values()}) == 1


@pytest.mark.parametrize("number", [CARD, UNKNOWN_CARD])
def test_a_stranger_hammering_a_card_is_throttled_before_it_locks(app, demo, number):
    """The same for a card that exists and one that does not: the throttle tells nothing."""
    if number == CARD:
        holder_logs_in(app, demo).logout()
    stranger = client_at(app, STRANGER)
    answers = [error_of(stranger.login_card(number, f"1234567{i}")) for i in range(8)]
    assert answers == [RULE] * 3 + [accounts.THROTTLED_MESSAGE] * 5
    assert "请稍后再试" in accounts.THROTTLED_MESSAGE
    # Even the right PIN is not tried while throttled: the stranger learns nothing from it.
    assert error_of(stranger.login_card(number, demo.DEMO_PIN)) == accounts.THROTTLED_MESSAGE
    # Other addresses share the card's budget: spreading the guesses does not help.
    assert error_of(client_at(app, "198.51.100.8").login_card(number, "00000000")) == accounts.THROTTLED_MESSAGE
    if number == CARD:
        card = Card.get(Card.number == CARD)
        assert card.failed_pin_count == 3 and not card.locked
        # The holder, on the PC they log in from, still gets in, and that clears the count.
        holder = holder_logs_in(app, demo)
        assert holder.client.get("/home").status_code == 200
        assert Card.get(Card.number == CARD).failed_pin_count == 0
        assert error_of(stranger.login_card(number, "00000000")) == RULE     # budget given back


def test_the_holders_pc_keeps_the_manuals_lock(app, demo):
    holder_logs_in(app, demo).logout()
    holder = client_at(app, HOLDER_PC)
    answers = [error_of(holder.login_card(CARD, "00000000")) for _ in range(5)]
    assert answers == [RULE] * 5
    assert Card.get(Card.number == CARD).locked


def test_one_address_trying_many_cards_is_throttled(app, demo):
    stranger = client_at(app, STRANGER)
    limit = app.config["LOGIN_ATTEMPTS_PER_ADDRESS"]
    answers = [error_of(stranger.login_card(f"88000001{i:05d}", "00000000")) for i in range(limit + 1)]
    assert answers == [RULE] * limit + [accounts.THROTTLED_MESSAGE]
    # Another address is not affected.
    assert error_of(client_at(app, "198.51.100.9").login_card(CARD, "00000000")) == RULE


def test_the_throttles_keys_expire_with_their_window(app, demo):
    from coo import queue
    client_at(app, STRANGER).login_card(UNKNOWN_CARD, "00000000")
    with app.app_context():
        keys = [k.decode() for k in queue.redis().scan_iter("ratelimit:login-*")]
        ttls = [queue.redis().ttl(k) for k in keys]
    assert {k.split(":")[1] for k in keys} == {"login-addr", "login-stranger"}
    window = app.config["LOGIN_THROTTLE_WINDOW_S"]
    assert window == 900 and all(0 < ttl <= window for ttl in ttls)


def test_while_redis_is_down_the_holder_logs_in_and_strangers_wait(test_env, app, demo):
    import socket
    from coo import create_app
    from coo.models import database
    holder_logs_in(app, demo).logout()
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        down = f"redis://127.0.0.1:{s.getsockname()[1]}/0"
    bound = database.obj
    database.close()
    try:
        broken = create_app("test", DATABASE_URL=test_env["TEST_DATABASE_URL"], REDIS_URL=down,
                            STORAGE_PATH=test_env["COO_STORAGE_PATH"], RQ_DASHBOARD_REDIS_URL=down)
        holder, stranger = client_at(broken, HOLDER_PC), client_at(broken, STRANGER)
        assert holder.login_card(CARD, demo.DEMO_PIN).status_code == 303
        assert error_of(stranger.login_card(CARD, demo.DEMO_PIN)) == accounts.THROTTLED_MESSAGE
    finally:
        if not database.is_closed():
            database.close()
        database.initialize(bound)
