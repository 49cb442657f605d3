"""Helpers for the huddle tests: a fixed time in the early shift, a started huddle, and the
rows as they are in the database."""

from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from app.extensions import db
from app.huddles.models import Huddle, HuddleAction, HuddleEntry, HuddleFlag

# Tuesday 10 March 2026, 09:30 in London (GMT): the early shift (07:00-14:00 by default).
EARLY = datetime(2026, 3, 10, 9, 30, tzinfo=UTC)
LATE = datetime(2026, 3, 10, 15, 0, tzinfo=UTC)


@pytest.fixture
def early(frozen_clock):
    return frozen_clock(EARLY)


@pytest.fixture
def team(make_user, make_client):
    """A lead, an OT and an assistant in the unit, and three clients."""
    return {
        "lead": make_user("lead", name="Lena Lead"),
        "ot": make_user("ot", name="Olu Therapist"),
        "assistant": make_user("assistant", name="Asha Assistant"),
        "clients": [
            make_client("AB", room="1"),
            make_client("CD", room="2"),
            make_client("EF", room="3"),
        ],
    }


def start(web) -> int:
    """Start this shift's huddle through the home screen's button; its id."""
    response = web.post("/huddles/start")
    assert response.status_code == 303, response.get_data(as_text=True)[:400]
    return int(response.headers["Location"].rstrip("/").split("/")[-1])


def flag(app, huddle_id: int, client_id: int) -> HuddleFlag | None:
    with app.app_context():
        row = db.session.scalar(
            select(HuddleFlag).where(
                HuddleFlag.huddle_id == huddle_id, HuddleFlag.client_id == client_id
            )
        )
        if row is not None:
            db.session.expunge(row)
        return row


def huddle(app, huddle_id: int) -> Huddle:
    with app.app_context():
        row = db.session.get(Huddle, huddle_id)
        db.session.expunge(row)
        return row


def actions(app) -> list[HuddleAction]:
    with app.app_context():
        rows = db.session.scalars(select(HuddleAction).order_by(HuddleAction.id)).all()
        db.session.expunge_all()
        return rows


def entries(app) -> list[HuddleEntry]:
    with app.app_context():
        rows = db.session.scalars(select(HuddleEntry).order_by(HuddleEntry.id)).all()
        db.session.expunge_all()
        return rows


def relogin(web, user) -> None:
    """Log in again after the test's clock jumped past the idle timeout."""
    with web.client.session_transaction() as session:
        session.clear()
    web.login(user)
