from datetime import UTC, datetime

from sqlalchemy import select

from app.audit.models import AuditEvent
from app.extensions import db
from tests.conftest import soup


def test_a_staff_member_logs_in_and_lands_on_home(web, make_user):
    user = make_user("ot")
    response = web.login(user)
    assert response.headers["Location"] == "/"
    assert web.get("/").status_code == 200


def test_a_wrong_password_and_an_unknown_email_get_the_same_generic_message(web, make_user):
    user = make_user("ot")
    wrong = web.post("/login", {"email": user.email, "password": "not-the-password"})
    unknown = web.post("/login", {"email": "nobody@example.com", "password": "whatever-it-is"})
    assert wrong.status_code == unknown.status_code == 422
    for response in (wrong, unknown):
        summary = soup(response).select_one(".nhsuk-error-summary")
        assert summary is not None
        assert "The email address or password is not right" in summary.get_text()
    assert soup(wrong).select_one("#email")["value"] == user.email


def test_a_deactivated_account_cannot_log_in(web, make_user):
    user = make_user("ot", active=False)
    response = web.post("/login", {"email": user.email, "password": "correct-horse-battery"})
    assert response.status_code == 422


def test_login_ignores_email_case_and_spaces(web, make_user):
    make_user("ot", email="mixed.case@example.com")
    response = web.post(
        "/login", {"email": "  Mixed.Case@Example.com ", "password": "correct-horse-battery"}
    )
    assert response.status_code == 303


def test_login_returns_to_a_safe_next_page_only(web, make_user):
    user = make_user("ot")
    response = web.post(
        "/login?next=/clients", {"email": user.email, "password": "correct-horse-battery"}
    )
    assert response.headers["Location"] == "/clients"
    web.post("/logout")
    web._token = None
    for bad in ("https://evil.example/", "//evil.example/", "/\\evil.example"):
        response = web.post(
            "/login", {"email": user.email, "password": "correct-horse-battery", "next": bad}
        )
        assert response.headers["Location"] == "/", bad
        web.post("/logout")
        web._token = None


def test_repeated_failures_on_one_account_are_rate_limited(web, make_user, app):
    user = make_user("ot")
    for _ in range(5):
        assert web.post("/login", {"email": user.email, "password": "wrong-one"}).status_code == 422
    blocked = web.post("/login", {"email": user.email, "password": "correct-horse-battery"})
    assert blocked.status_code == 429
    assert "Too many attempts" in blocked.get_data(as_text=True)


def test_the_account_limit_counts_only_failures(web, make_user):
    user = make_user("ot")
    for _ in range(6):
        web.login(user)
        web.post("/logout")
        web._token = None


def test_many_attempts_from_one_address_are_rate_limited_across_accounts(web, make_user, app):
    app.config["LOGIN_LIMIT_PER_IP"] = "3 per 15 minutes"
    try:
        for n in range(3):
            response = web.post("/login", {"email": f"guess{n}@example.com", "password": "x" * 12})
            assert response.status_code == 422
        assert (
            web.post("/login", {"email": "other@example.com", "password": "x" * 12}).status_code
            == 429
        )
    finally:
        app.config["LOGIN_LIMIT_PER_IP"] = "30 per 15 minutes"


def test_logins_and_failures_are_audited(web, make_user, app):
    user = make_user("ot")
    web.post("/login", {"email": user.email, "password": "wrong-one"})
    web.login(user)
    with app.app_context():
        actions = [
            (e.action, e.actor_id)
            for e in db.session.scalars(select(AuditEvent).order_by(AuditEvent.id))
        ]
    assert actions == [("login_failed", None), ("login", user.id)]


def test_an_idle_session_is_ended_after_the_timeout(web, make_user, frozen_clock):
    frozen_clock(datetime(2026, 11, 24, 9, 0, tzinfo=UTC))
    web.login(make_user("ot"))
    frozen_clock.advance(minutes=29)
    assert web.get("/").status_code == 200
    frozen_clock.advance(minutes=29)  # active a minute ago: still in
    assert web.get("/clients").status_code == 200
    frozen_clock.advance(minutes=31)
    response = web.get("/clients")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login?next=/clients")
    login_page = web.get(response.headers["Location"])
    assert "you had not used Waypoint for 30 minutes" in login_page.get_data(as_text=True)
    assert web.get("/").status_code == 302


def test_logging_out_ends_the_session_even_for_a_copied_cookie(app, web, make_user):
    user = make_user("ot")
    web.login(user)
    stolen = web.client.get_cookie("waypoint").value
    web.post("/logout")
    thief = app.test_client()
    thief.set_cookie("waypoint", stolen)
    assert thief.get("/").status_code == 302
