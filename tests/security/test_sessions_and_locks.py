"""Session fixation, logout that really ends the session, and the PIN / password locks."""
import threading

from coo.models import AuditEvent, Card, LoginSession, UserAccount


def _cookie(client):
    cookie = client.get_cookie("session")
    return cookie.value if cookie else None


def test_login_issues_a_new_session_and_drops_what_was_there_before(app, client, actions, demo):
    actions.token()   # the login page gives the anonymous visitor a session (its CSRF token)
    with client.session_transaction() as session:
        session["planted"] = "by-an-attacker"
    before = _cookie(client)
    assert before
    assert actions.login_card("8800000000001", demo.DEMO_PIN).status_code == 303
    assert _cookie(client) != before
    with client.session_transaction() as session:
        assert "planted" not in session


def test_a_pre_login_cookie_does_not_become_a_logged_in_one(app, client, actions, demo):
    """An attacker who fixed the victim's cookie before login holds the old value: it stays
    anonymous after the victim logs in."""
    actions.token()
    fixed = _cookie(client)
    actions.login_password("hd_op", demo.DEMO_PASSWORD)
    attacker = app.test_client()
    attacker.set_cookie("session", fixed)
    response = attacker.get("/home")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_after_logout_a_copy_of_the_old_cookie_no_longer_works(app, client, actions, demo):
    actions.login_card("8800000000001", demo.DEMO_PIN)
    stolen = _cookie(client)
    assert client.get("/home").status_code == 200
    assert actions.logout().status_code == 303
    replay = app.test_client()
    replay.set_cookie("session", stolen)
    response = replay.get("/home")
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    assert LoginSession.select().where(LoginSession.revoked_at.is_null()).count() == 0


def test_logging_out_in_one_browser_leaves_the_other_logged_in(app, client, actions, demo):
    from conftest import Actions
    other = app.test_client()
    Actions(other).login_password("hd_op", demo.DEMO_PASSWORD)
    actions.login_password("hd_op", demo.DEMO_PASSWORD)
    actions.logout()
    assert other.get("/home").status_code == 200
    assert client.get("/home").status_code == 302


def test_a_cookie_naming_a_principal_without_its_session_key_is_refused(app, client, actions, demo):
    """The session key is what proves the login, not the card id the cookie names."""
    actions.login_card("8800000000001", demo.DEMO_PIN)
    with client.session_transaction() as session:
        kind, pk, _ = session["_user_id"].split(":")
        session["_user_id"] = f"{kind}:{pk}:guessed-key"
    assert client.get("/home").status_code == 302


def test_the_pin_lock_cannot_be_dodged_by_new_sessions_or_parallel_attempts(app, demo):
    """Ten attempts at once, each from a fresh client (dropping cookies) on the holder's own PC:
    the card is locked, counted atomically, and the right PIN no longer opens it."""
    from conftest import Actions
    first = Actions(app.test_client())
    assert first.login_card("8800000000012", demo.DEMO_PIN).status_code == 303
    assert first.logout().status_code == 303
    results = []

    def attempt():
        c = app.test_client()
        results.append(Actions(c).login_card("8800000000012", "00000000").status_code)

    threads = [threading.Thread(target=attempt) for _ in range(10)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results == [422] * 10
    card = Card.get(Card.number == "8800000000012")
    assert card.locked and card.failed_pin_count >= 5
    assert Actions(app.test_client()).login_card("8800000000012", demo.DEMO_PIN).status_code == 422
    assert AuditEvent.select().where(AuditEvent.action == "login_failed").count() == 11


def test_the_password_lock_holds_across_sessions(app, demo):
    from conftest import Actions
    first = Actions(app.test_client())
    assert first.login_password("yy_op", demo.DEMO_PASSWORD).status_code == 303
    assert first.logout().status_code == 303
    for _ in range(5):
        Actions(app.test_client()).login_password("yy_op", "guess")
    assert UserAccount.get(UserAccount.username == "yy_op").locked
    response = Actions(app.test_client()).login_password("YY_OP", demo.DEMO_PASSWORD)
    assert response.status_code == 422 and "已被锁定" in response.get_data(as_text=True)


def test_a_locked_card_ends_its_open_sessions(app, client, actions, demo):
    actions.login_card("8800000000002", demo.DEMO_PIN)
    assert client.get("/home").status_code == 200
    from conftest import Actions
    for _ in range(5):
        Actions(app.test_client()).login_card("8800000000002", "bad")
    assert client.get("/home").status_code == 302
