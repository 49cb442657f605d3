"""Helpers for the reports tests: outings, notes, goals and alerts made directly (fast), and a
logged-in browser per person."""

import uuid
from datetime import UTC, datetime, timedelta

import pytest

from app.auth.models import User
from app.clients.models import Client, ClientGoal
from app.extensions import db
from app.lone_working.models import EscalationStep, Outing, OutingEvent
from app.notes.models import SIGNED, Note, NoteRating
from tests.conftest import Web

# The tests' "today": Tuesday 1 December 2026, 12:00 UK time (GMT).
NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)


@pytest.fixture
def now(frozen_clock):
    return frozen_clock(NOW)


@pytest.fixture
def browser_for(app):
    def make(user: User) -> Web:
        web = Web(app.test_client())
        web.login(user)
        return web

    return make


@pytest.fixture
def add_note(app):
    """``add_note(author, client, at, activity_type="cafe", minutes=60, ratings={}, goals=[])``
    -> id of a signed note."""

    def make(author, client, at, activity_type="cafe", minutes=60, **fields) -> int:
        ratings = fields.pop("ratings", {})
        goal_ids = fields.pop("goals", [])
        with app.app_context():
            note = Note(
                client_id=client.id,
                author_id=author.id,
                status=SIGNED,
                idempotency_key=str(uuid.uuid4()),
                activity_at=at,
                duration_minutes=minutes,
                activity_type=activity_type,
                place=fields.pop("place", "Town"),
                engagement="full",
                signed_at=at + timedelta(hours=1),
                signed_by_id=author.id,
                signed_by_name=author.name,
                signed_role=author.role,
                signed_role_label=author.role_label,
                **fields,
            )
            note.ratings = [NoteRating(item_key=k, rating=v) for k, v in ratings.items()]
            note.goals = [db.session.get(ClientGoal, g) for g in goal_ids]
            db.session.add(note)
            db.session.commit()
            return note.id

    return make


@pytest.fixture
def add_outing(app):
    """``add_outing(worker, clients, out_at, minutes=90, extensions=0, alerts=[ack minutes or
    None], destination="Town centre")`` -> id of a finished outing."""

    def make(worker, clients, out_at, minutes=90, extensions=0, alerts=(), **fields) -> int:
        with app.app_context():
            back = out_at + timedelta(minutes=minutes) if minutes is not None else None
            outing = Outing(
                unit_id=fields.pop("unit_id", worker.home_unit_id),
                worker_id=worker.id,
                destination=fields.pop("destination", "Town centre"),
                contact_number="07700 900000",
                checked_out_at=out_at,
                expected_return=out_at + timedelta(minutes=60),
                last_welfare_at=out_at,
                status="back" if back else "out",
                checked_in_at=back,
                clients=[db.session.get(Client, c.id) for c in clients],
            )
            db.session.add(outing)
            db.session.flush()
            for i in range(extensions):
                db.session.add(
                    OutingEvent(
                        outing_id=outing.id,
                        at=out_at + timedelta(minutes=30 + i),
                        kind="extended",
                    )
                )
            for i, ack in enumerate(alerts):
                fired = out_at + timedelta(minutes=70 + i)
                db.session.add(
                    EscalationStep(
                        outing_id=outing.id,
                        step_key=f"leads-{i}",
                        level="red",
                        fired_at=fired,
                        needs_ack=True,
                        acknowledged_at=fired + timedelta(minutes=ack) if ack is not None else None,
                        acknowledged_by_id=worker.id if ack is not None else None,
                    )
                )
            db.session.commit()
            return outing.id

    return make


@pytest.fixture
def add_goal(app):
    def make(client, text, by, active=True) -> int:
        with app.app_context():
            goal = ClientGoal(client_id=client.id, text=text, created_by_id=by.id, active=active)
            db.session.add(goal)
            db.session.commit()
            return goal.id

    return make
