from sqlalchemy import select

from app.audit.models import AuditEvent
from app.auth.models import User
from app.extensions import db
from tests.conftest import soup


def _staff_form(unit, **overrides):
    data = {
        "name": "Morag Fenwick",
        "email": "morag.fenwick@example.com",
        "phone": "07700 900222",
        "role": "ot",
        "home_unit_id": str(unit.id),
        "password": "a-long-enough-password",
        "active": "y",
    }
    data.update(overrides)
    return data


def test_an_admin_creates_an_account_that_can_log_in(web, make_user, unit, app):
    web.login(make_user("admin"))
    response = web.post("/staff/new", _staff_form(unit))
    assert response.status_code == 303
    with app.app_context():
        created = db.session.scalar(select(User).where(User.email == "morag.fenwick@example.com"))
        assert created.role == "ot" and created.home_unit_id == unit.id
        assert created.password_hash != "a-long-enough-password"
        assert created.password_hash.startswith(("scrypt:", "pbkdf2:"))
        events = db.session.scalars(
            select(AuditEvent).where(AuditEvent.entity_id == created.id)
        ).all()
        assert [e.action for e in events] == ["create"]
    web.post("/logout")
    web._token = None
    assert (
        web.post(
            "/login", {"email": "morag.fenwick@example.com", "password": "a-long-enough-password"}
        ).status_code
        == 303
    )


def test_a_duplicate_email_is_a_field_error_and_the_form_keeps_its_values(web, make_user, unit):
    existing = make_user("ot", email="taken@example.com")
    web.login(make_user("admin"))
    response = web.post("/staff/new", _staff_form(unit, email=existing.email.upper()))
    assert response.status_code == 422
    page = soup(response)
    assert (
        "Another account already uses this email address"
        in page.select_one("#email-error").get_text()
    )
    assert page.select_one("#name")["value"] == "Morag Fenwick"
    assert page.select_one("#phone")["value"] == "07700 900222"
    assert page.select_one("#role option[selected]")["value"] == "ot"


def test_bad_fields_each_get_a_message(web, make_user, unit):
    web.login(make_user("admin"))
    response = web.post(
        "/staff/new",
        _staff_form(unit, name="", email="not-an-email", phone="call me", password="short"),
    )
    assert response.status_code == 422
    summary = soup(response).select_one(".nhsuk-error-summary").get_text()
    for message in (
        "Enter the person's name",
        "Enter an email address in the correct format",
        "Enter a phone number",
        "Password must be at least 12 characters",
    ):
        assert message in summary


def test_deactivating_an_account_ends_its_sessions_and_blocks_login(app, web, make_user, unit):
    person = make_user("ot")
    theirs = app.test_client()
    from tests.conftest import Web

    their_web = Web(theirs)
    their_web.login(person)
    assert theirs.get("/").status_code == 200

    web.login(make_user("admin"))
    data = _staff_form(unit, name=person.name, email=person.email, password="")
    data.pop("active")
    assert web.post(f"/staff/{person.id}/edit", data).status_code == 303
    assert theirs.get("/").status_code == 302
    with app.app_context():
        event = db.session.scalars(
            select(AuditEvent).where(
                AuditEvent.entity_id == person.id, AuditEvent.entity_type == "staff"
            )
        ).all()[-1]
    assert event.action == "deactivate"
    assert event.summary["changes"]["active"] == [True, False]


def test_an_admin_cannot_deactivate_their_own_account(web, make_user, unit):
    admin = make_user("admin")
    web.login(admin)
    data = _staff_form(unit, name=admin.name, email=admin.email, role="admin", password="")
    data.pop("active")
    response = web.post(f"/staff/{admin.id}/edit", data)
    assert response.status_code == 422
    assert "You cannot deactivate your own account" in response.get_data(as_text=True)


def test_the_cli_creates_an_account(app):
    runner = app.test_cli_runner()
    result = runner.invoke(
        args=[
            "users",
            "create",
            "--email",
            "First.Admin@example.com",
            "--name",
            "First Admin",
            "--role",
            "admin",
            "--unit",
            "The Beacon",
            "--password",
            "a-long-enough-password",
        ],
    )
    assert result.exit_code == 0, result.output
    with app.app_context():
        user = db.session.scalar(select(User))
        assert user.email == "first.admin@example.com" and user.role == "admin"
        assert user.home_unit.name == "The Beacon"
    again = runner.invoke(
        args=[
            "users",
            "create",
            "--email",
            "first.admin@example.com",
            "--name",
            "X",
            "--role",
            "ot",
            "--unit",
            "The Beacon",
            "--password",
            "a-long-enough-password",
        ],
    )
    assert again.exit_code != 0 and "already exists" in again.output


def test_the_cli_refuses_a_short_password(app):
    result = app.test_cli_runner().invoke(
        args=[
            "users",
            "create",
            "--email",
            "a@example.com",
            "--name",
            "A",
            "--role",
            "ot",
            "--unit",
            "U",
            "--password",
            "short",
        ],
    )
    assert result.exit_code != 0 and "at least 12" in result.output
