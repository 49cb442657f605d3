from sqlalchemy import select

from app.audit.models import AuditEvent
from app.auth.models import User
from app.extensions import db
from tests.conftest import PASSWORD, soup


def test_a_worker_sets_their_phone_and_both_pins(app, web, make_user):
    me = make_user("ot")
    web.login(me)
    response = web.post(
        "/profile",
        {
            "phone": "07700 900555",
            "checkin_pin": "2468",
            "duress_pin": "1357",
            "password": PASSWORD,
        },
    )
    assert response.status_code == 303
    with app.app_context():
        user = db.session.get(User, me.id)
        assert user.phone == "07700 900555"
        assert user.pin_matches("2468") == "checkin"
        assert user.pin_matches("1357") == "duress"
        assert user.pin_matches("0000") is None
        event = db.session.scalars(
            select(AuditEvent).where(AuditEvent.action == "update_profile")
        ).one()
    assert event.summary["changes"]["duress_pin"] == "(changed)"
    assert "1357" not in str(event.summary) and "2468" not in str(event.summary)


def test_profile_changes_need_the_password_and_keep_what_was_typed(web, make_user):
    web.login(make_user("ot"))
    response = web.post("/profile", {"phone": "07700 900556", "password": "wrong-password"})
    assert response.status_code == 422
    page = soup(response)
    assert "That password is not right" in page.select_one("#password-error").get_text()
    assert page.select_one("#phone")["value"] == "07700 900556"


def test_the_duress_pin_must_differ_and_needs_a_check_in_pin(web, make_user):
    web.login(make_user("ot"))
    same = web.post("/profile", {"checkin_pin": "2468", "duress_pin": "2468", "password": PASSWORD})
    assert "must be different" in soup(same).select_one("#duress_pin-error").get_text()
    alone = web.post("/profile", {"duress_pin": "1357", "password": PASSWORD})
    assert "Set a check-in PIN first" in soup(alone).select_one("#duress_pin-error").get_text()
    short = web.post("/profile", {"checkin_pin": "12", "password": PASSWORD})
    assert "4 to 6 digits" in soup(short).select_one("#checkin_pin-error").get_text()
