"""Helpers for the notes tests: a complete form, notes made through the services, and a
logged-in browser per person."""

import uuid
from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select

from app.auth.models import User
from app.clients.models import Client, ClientGoal
from app.extensions import db
from app.notes import services
from app.notes.models import Note
from tests.conftest import Web

# A Tuesday in March (GMT): 10:00 in London is 10:00 UTC.
ACTIVITY_AT = datetime(2026, 3, 10, 10, 0, tzinfo=UTC)
NOW = datetime(2026, 3, 10, 15, 30, tzinfo=UTC)


def new_key() -> str:
    return str(uuid.uuid4())


def complete_form(client_id: int, key: str | None = None, **overrides) -> dict:
    """Everything a note needs to be signed, as the browser would post it."""
    data = {
        "idempotency_key": key or new_key(),
        "client_id": str(client_id),
        "outing_id": "",
        "activity_date": "2026-03-10",
        "activity_time": "10:00",
        "duration_minutes": "90",
        "activity_type": "shopping",
        "place": "Sainsbury's, St Albans",
        "engagement": "most",
        "support_given": "Verbal prompts to check the list.",
        "went_well": "Found everything on the list.",
        "difficulties": "Queue at the till was hard.",
        "risks": "None seen.",
        "next_steps": "Try the self-checkout next week.",
        "observations": "",
        "action": "sign",
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def note_count(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(Note))


def only_note(app) -> Note:
    with app.app_context():
        note = db.session.scalars(select(Note)).one()
        _ = note.goals, note.ratings, note.amendments
        db.session.expunge(note)
        return note


@pytest.fixture
def now(frozen_clock):
    """The app's clock at NOW, half-past three on the afternoon of the activity."""
    return frozen_clock(NOW)


@pytest.fixture
def browser_for(app):
    """``browser_for(user)``: a fresh test client logged in as that person."""

    def make(user: User) -> Web:
        web = Web(app.test_client())
        web.login(user)
        return web

    return make


@pytest.fixture
def make_goal(app):
    def make(client: Client, text: str, by: User, active: bool = True) -> int:
        with app.app_context():
            goal = ClientGoal(client_id=client.id, text=text, created_by_id=by.id, active=active)
            db.session.add(goal)
            db.session.commit()
            return goal.id

    return make


@pytest.fixture
def make_note(app):
    """``make_note(author, client, sign=True, at=ACTIVITY_AT, ratings={}, **fields)`` -> note id,
    made through the services exactly as the form would (audit rows included)."""

    def make(author: User, client: Client, sign: bool = True, **fields) -> int:
        data = {
            "activity_at": fields.pop("at", ACTIVITY_AT),
            "duration_minutes": 60,
            "activity_type": "cafe",
            "place": "Café on the corner",
            "engagement": "full",
            "support_given": "Prompted to order.",
            "ratings": fields.pop("ratings", {}),
            **fields,
        }
        with app.app_context():
            person = db.session.get(User, author.id)
            saved = services.save_note(
                new_key(), db.session.get(Client, client.id), data, person, sign=sign
            )
            db.session.commit()
            return saved.note.id

    return make


@pytest.fixture
def make_outing(app):
    """``make_outing(worker, [clients], unit=None)`` -> outing id: a closed lone-working outing
    (the notes tests only need it to exist with its clients and unit)."""
    from app.lone_working.models import Outing

    def make(worker: User, clients: list[Client], unit=None) -> int:
        with app.app_context():
            outing = Outing(
                unit_id=unit.id if unit else worker.home_unit_id,
                worker_id=worker.id,
                destination="Town centre",
                contact_number="07700 900000",
                checked_out_at=ACTIVITY_AT,
                expected_return=ACTIVITY_AT,
                last_welfare_at=ACTIVITY_AT,
                status="back",
                clients=[db.session.get(Client, c.id) for c in clients],
            )
            db.session.add(outing)
            db.session.commit()
            return outing.id

    return make
