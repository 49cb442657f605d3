"""Fixtures for lone working: an outing made the way the app makes them, and the watcher's tick."""

from datetime import UTC, datetime, timedelta

import pytest

from app.extensions import db

T0 = datetime(2026, 11, 24, 10, 0, tzinfo=UTC)  # a Tuesday morning, GMT


@pytest.fixture
def clock_at(frozen_clock):
    return frozen_clock(T0)


@pytest.fixture
def make_outing(app, make_user):
    """Check a worker out through the service, as the check-out form does."""
    from app.auth.models import User
    from app.lone_working.outings import check_out

    counter = {"n": 0}

    def make(worker=None, minutes=60, buddy=None, coworkers=(), clients=(), **data):
        worker = worker or make_user("ot")
        buddy = buddy or make_user("lead")
        counter["n"] += 1
        from app.core import clock

        with app.app_context():
            person = db.session.get(User, worker.id)
            outing = check_out(
                person,
                person.home_unit_id,
                {
                    "destination": data.pop("destination", "Tesco, Market Street"),
                    "purpose": "Shopping for the cooking group",
                    "transport": "Bus",
                    "contact_number": "07700 900111",
                    "buddy_id": buddy.id,
                    "client_ids": [c.id for c in clients],
                    "coworker_ids": [c.id for c in coworkers],
                    "expected_return": clock.now() + timedelta(minutes=minutes),
                    **data,
                },
                f"key-{counter['n']}-{worker.id}",
            )
            db.session.commit()
            outing_id = outing.id
            db.session.remove()
        return outing_id

    return make


@pytest.fixture
def tick(app):
    """Run one watcher pass at the frozen time (heartbeat, then the ladder); returns steps taken."""
    from app.lone_working.escalation import beat
    from app.lone_working.escalation import tick as run_tick

    def run():
        with app.app_context():
            beat("test-watcher")
            taken = run_tick().steps
            db.session.remove()
        return taken

    return run


@pytest.fixture
def steps_of(app):
    """The (step key, level) pairs taken for an outing, in order."""
    from sqlalchemy import select

    from app.lone_working.models import EscalationStep

    def read(outing_id):
        with app.app_context():
            rows = db.session.execute(
                select(EscalationStep.step_key, EscalationStep.level)
                .where(EscalationStep.outing_id == outing_id)
                .order_by(EscalationStep.fired_at, EscalationStep.id)
            ).all()
            db.session.remove()
        return [tuple(r) for r in rows]

    return read


@pytest.fixture
def outbox(app):
    """Queued messages as (recipient id, channel, step part of the dedupe key)."""
    from sqlalchemy import select

    from app.notify.models import OutboxMessage

    def read(outing_id=None):
        with app.app_context():
            query = select(OutboxMessage).order_by(OutboxMessage.id)
            if outing_id is not None:
                query = query.where(OutboxMessage.topic_id == outing_id)
            rows = db.session.scalars(query).all()
            db.session.expunge_all()
        return rows

    return read


@pytest.fixture
def channels(app):
    """Turn on both channels (the addresses are never contacted unless a sender runs)."""
    saved = {k: app.config[k] for k in ("SMTP_HOST", "NOTIFY_API_KEY", "NOTIFY_SMS_TEMPLATE_ID")}
    app.config.update(
        SMTP_HOST="127.0.0.1",
        NOTIFY_API_KEY="test_key-"
        + "11111111-1111-1111-1111-111111111111"
        + "-"
        + "22222222-2222-2222-2222-222222222222",
        NOTIFY_SMS_TEMPLATE_ID="33333333-3333-3333-3333-333333333333",
    )
    yield
    app.config.update(saved)


from tests.fakes import delivery_config, notify_server, smtp_server  # noqa: E402,F401
