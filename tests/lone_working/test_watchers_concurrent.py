"""Three watcher processes against PostgreSQL share 200 overdue outings: every step is decided
once and every recipient gets each message once."""

import os
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select, text

from app.auth.models import User
from app.core import clock
from app.extensions import db
from app.lone_working.models import EscalationStep, Outing, WatcherHeartbeat
from app.notify.models import OutboxMessage

ROOT = Path(__file__).resolve().parents[2]
OUTINGS = 200


@pytest.fixture
def postgres_only(app):
    with app.app_context():
        if db.engine.dialect.name != "postgresql":
            pytest.skip(
                "several watchers at once are a PostgreSQL feature (SKIP LOCKED); "
                "run with DATABASE_URL=postgresql+psycopg://... to include this test"
            )


def _seed(app, unit):
    """200 workers, each overdue by 61 minutes, so every step of the ladder is due at once."""
    from werkzeug.security import generate_password_hash

    hashed = generate_password_hash("not-used-here-123")
    with app.app_context():
        leads = [
            User(
                name=f"Lead {i}",
                email=f"lead{i}@example.com",
                phone="",
                role="lead",
                home_unit_id=unit.id,
                password_hash=hashed,
            )
            for i in range(2)
        ]
        db.session.add_all(leads)
        workers = [
            User(
                name=f"Worker {i}",
                email=f"worker{i}@example.com",
                phone="",
                role="ot",
                home_unit_id=unit.id,
                password_hash=hashed,
            )
            for i in range(OUTINGS)
        ]
        db.session.add_all(workers)
        db.session.flush()
        now = clock.now()
        for i, worker in enumerate(workers):
            db.session.add(
                Outing(
                    unit_id=unit.id,
                    worker_id=worker.id,
                    buddy_id=leads[i % 2].id,
                    destination=f"Shop {i}",
                    contact_number="07700 900000",
                    checked_out_at=now - timedelta(minutes=121),
                    last_welfare_at=now - timedelta(minutes=121),
                    expected_return=now - timedelta(minutes=61),
                    next_step_at=now - timedelta(minutes=61),
                    status="out",
                )
            )
        db.session.commit()


def test_three_watchers_decide_each_step_once_and_send_each_message_once(
    app, postgres_only, unit, smtp_server
):
    _seed(app, unit)
    env = {
        **os.environ,
        "DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"],
        "SECRET_KEY": app.config["SECRET_KEY"],
        "SMTP_HOST": "127.0.0.1",
        "SMTP_PORT": str(smtp_server.port),
        "WATCHER_BATCH": "15",
    }
    command = [
        sys.executable,
        "-m",
        "flask",
        "--app",
        "wsgi",
        "lone-working",
        "watch",
        "--interval",
        "0.2",
        "--passes",
        "40",
    ]
    watchers = [
        subprocess.Popen(
            command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True
        )
        for _ in range(3)
    ]
    errors = [w.communicate(timeout=240)[1] for w in watchers]
    assert all(w.returncode == 0 for w in watchers), errors
    assert not any("Traceback" in e for e in errors), errors

    with app.app_context():
        steps = db.session.execute(select(EscalationStep.outing_id, EscalationStep.step_key)).all()
        assert len(steps) == OUTINGS * 5
        assert len(set(steps)) == len(steps)
        per_recipient = db.session.execute(
            text(
                "SELECT count(*) FROM outbox_messages"
                " GROUP BY topic_id, split_part(dedupe_key, ':', 3),"
                " split_part(dedupe_key, ':', 4), recipient_id, channel HAVING count(*) > 1"
            )
        ).all()
        assert per_recipient == []
        queued = db.session.scalar(select(func.count()).select_from(OutboxMessage))
        sent = db.session.scalar(
            select(func.count()).select_from(OutboxMessage).where(OutboxMessage.status == "sent")
        )
        statuses = set(db.session.scalars(select(Outing.status)))
        beats = db.session.scalar(select(func.count()).select_from(WatcherHeartbeat))
    assert beats == 3  # all three watchers ran
    # Per outing: the worker twice, the buddy, and both leads for the two red steps.
    assert queued == OUTINGS * (1 + 1 + 1 + 2 + 2)
    assert sent == queued
    assert len(smtp_server.messages) == queued
    ids = [m["body"].split("Message-ID: ")[1].split()[0] for m in smtp_server.messages]
    assert len(set(ids)) == queued
    assert statuses == {"escalated"}
