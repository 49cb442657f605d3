"""Login limits that a stranger cannot use to lock the owner out (issue 13 items 1 and 2)."""

from datetime import UTC, datetime

import pytest
from sqlalchemy import select, text

from app.audit.models import AuditEvent
from app.config import ConfigError, from_environment
from app.extensions import db
from app.notify.models import OutboxMessage
from tests.conftest import PASSWORD, soup

STRANGER = {"REMOTE_ADDR": "203.0.113.9"}
OWNER_PHONE = {"REMOTE_ADDR": "198.51.100.20"}


def _try(web, email, password, address):
    return web.post("/login", {"email": email, "password": password}, environ_base=address)


def test_a_strangers_five_failures_do_not_stop_the_owner_logging_in_from_their_phone(
    web, make_user
):
    owner = make_user("lead")
    for _ in range(5):
        assert _try(web, owner.email, "a-wrong-guess", STRANGER).status_code == 422
    held = _try(web, owner.email, PASSWORD, STRANGER)
    assert held.status_code == 429  # the stranger's address is held back, right password or not
    assert "Too many attempts" in soup(held).select_one(".nhsuk-error-summary").get_text()
    assert soup(held).select_one("#email")["value"] == owner.email

    assert _try(web, owner.email, PASSWORD, OWNER_PHONE).status_code == 303


def test_the_hold_on_an_address_lifts_when_its_window_ends(web, make_user, frozen_clock):
    frozen_clock(datetime(2026, 11, 24, 9, 0, tzinfo=UTC))
    owner = make_user("ot")
    for _ in range(5):
        _try(web, owner.email, "a-wrong-guess", STRANGER)
    assert _try(web, owner.email, PASSWORD, STRANGER).status_code == 429
    frozen_clock.advance(minutes=14)
    assert _try(web, owner.email, PASSWORD, STRANGER).status_code == 429
    frozen_clock.advance(minutes=2)
    assert _try(web, owner.email, PASSWORD, STRANGER).status_code == 303


def test_the_account_ceiling_audits_and_tells_the_owner_without_locking(
    web, make_user, app, monkeypatch
):
    monkeypatch.setitem(app.config, "LOGIN_ALERT_PER_ACCOUNT", "8 per 1 hour")
    monkeypatch.setitem(app.config, "SMTP_HOST", "127.0.0.1")
    owner = make_user("ot", email="olu.owner@example.com", phone="")
    for n in range(9):  # from nine addresses: no single address reaches its own limit
        address = {"REMOTE_ADDR": f"203.0.113.{n + 1}"}
        assert _try(web, owner.email, f"guess-number-{n}", address).status_code == 422

    with app.app_context():
        ceilings = db.session.scalars(
            select(AuditEvent).where(AuditEvent.action == "login_failures_ceiling")
        ).all()
        messages = db.session.scalars(select(OutboxMessage)).all()
    assert [(e.entity_id, e.summary["failures"]) for e in ceilings] == [(owner.id, 8)]
    assert [(m.channel, m.address, m.recipient_id) for m in messages] == [
        ("email", "olu.owner@example.com", owner.id)
    ]
    assert "8 failed attempts" in messages[0].body and "not locked" in messages[0].body

    assert _try(web, owner.email, PASSWORD, OWNER_PHONE).status_code == 303


def test_failed_logins_from_one_address_across_accounts_hold_that_address_back(
    web, make_user, app, monkeypatch
):
    monkeypatch.setitem(app.config, "LOGIN_LIMIT_PER_IP", "3 per 15 minutes")
    owner = make_user("ot")
    for n in range(3):
        assert _try(web, f"guess{n}@example.com", "x" * 12, STRANGER).status_code == 422
    assert _try(web, owner.email, PASSWORD, STRANGER).status_code == 429
    assert _try(web, owner.email, PASSWORD, OWNER_PHONE).status_code == 303


def test_a_password_pasted_into_the_email_box_is_stored_nowhere(web, make_user, app):
    owner = make_user("ot")
    pasted = "Summer-Holiday-2026!"
    for _ in range(2):
        _try(web, pasted, pasted, STRANGER)
    _try(web, owner.email, "a-wrong-guess", STRANGER)

    with app.app_context():
        failures = db.session.scalars(
            select(AuditEvent).where(AuditEvent.action == "login_failed").order_by(AuditEvent.id)
        ).all()
        dumped = [
            " ".join(str(v) for v in row)
            for table in ("audit_events", "rate_limits", "outbox_messages")
            for row in db.session.execute(text(f"SELECT * FROM {table}"))
        ]
    assert not any(pasted.lower() in line.lower() for line in dumped)
    unknown_a, unknown_b, known = (e.actor_label for e in failures)
    assert unknown_a == unknown_b and unknown_a.startswith("unknown email #")
    assert known == owner.email
    assert failures[2].entity_id == owner.id and failures[2].unit_id == owner.home_unit_id


def _production_env(monkeypatch, **env):
    monkeypatch.setenv("WAYPOINT_ENV", "production")
    monkeypatch.setenv("SECRET_KEY", "p" * 40)
    for name, value in env.items():
        monkeypatch.setenv(name, value)


@pytest.mark.parametrize("uri", ["memory://", "MEMORY://", "async+memory://"])
def test_production_refuses_a_limit_storage_each_worker_counts_alone(monkeypatch, tmp_path, uri):
    _production_env(monkeypatch, RATELIMIT_STORAGE_URI=uri)
    with pytest.raises(ConfigError, match="RATELIMIT_STORAGE_URI"):
        from_environment(tmp_path)


def test_production_counts_in_the_database_by_default_and_accepts_redis(monkeypatch, tmp_path):
    _production_env(monkeypatch)
    monkeypatch.delenv("RATELIMIT_STORAGE_URI", raising=False)
    assert from_environment(tmp_path)["RATELIMIT_STORAGE_URI"] == "database://"
    monkeypatch.setenv("RATELIMIT_STORAGE_URI", "redis://127.0.0.1:6379/0")
    assert from_environment(tmp_path)["RATELIMIT_STORAGE_URI"] == "redis://127.0.0.1:6379/0"


def test_the_database_storage_counts_atomically_and_sweeps_ended_windows(
    app, frozen_clock, monkeypatch
):
    from app.auth import limits

    frozen_clock(datetime(2026, 11, 24, 9, 0, tzinfo=UTC))
    monkeypatch.setattr(limits, "SWEEP_EVERY", 3)
    storage = limits.DatabaseStorage("database://")
    with app.app_context():
        assert [storage.incr("a", 60) for _ in range(2)] == [1, 2]
        assert storage.get("a") == 2
        frozen_clock.advance(seconds=61)
        assert storage.get("a") == 0  # the window has ended
        assert storage.incr("b", 60) == 1  # the third increment sweeps "a" away
        with db.engine.connect() as conn:
            keys = conn.execute(text("SELECT key FROM rate_limits")).scalars().all()
        assert keys == ["b"]
        assert storage.incr("a", 60) == 1  # a new window starts from one
