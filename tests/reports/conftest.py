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


@pytest.fixture
def add_cues(app):
    """``add_cues(note_id, {"overall": 3, "knife": 2})``: the note's task cue levels."""
    from app.notes.models import NoteCue

    def make(note_id: int, levels: dict[str, int]) -> None:
        with app.app_context():
            for key, level in levels.items():
                db.session.add(NoteCue(note_id=note_id, skill_key=key, level=level))
            db.session.commit()

    return make


@pytest.fixture
def add_meal_week(app):
    """``add_meal_week(client, week_start, created_at, dishes=["Pasta"], budget_pence=None,
    trips=[(trip_at, shop, spent_pence, cue_level)], by=user)`` -> (week id, [trip ids])."""
    from app.meals.models import MealWeek, PlannedMeal, ShopTrip

    def make(
        client, week_start, created_at, dishes=("Pasta bake",), budget_pence=None, trips=(), by=None
    ):
        with app.app_context():
            week = MealWeek(
                client_id=client.id,
                week_start=week_start,
                budget_pence=budget_pence,
                created_at=created_at,
                updated_at=created_at,
            )
            week.meals = [
                PlannedMeal(day=i % 7, meal="dinner", dish=d) for i, d in enumerate(dishes)
            ]
            db.session.add(week)
            db.session.flush()
            trip_ids = []
            for trip_at, shop, spent, level in trips:
                trip = ShopTrip(
                    week_id=week.id,
                    trip_at=trip_at,
                    shop=shop,
                    spent_pence=spent,
                    cue_level=level,
                    created_by_id=by.id,
                    created_at=trip_at,
                )
                db.session.add(trip)
                db.session.flush()
                trip_ids.append(trip.id)
            db.session.commit()
            return week.id, trip_ids

    return make


@pytest.fixture
def add_huddle(app):
    """``add_huddle(lead, started_at, shift="early", flags={client: ("red", "Reason", prev)},
    actions=[(due_at, done_at or None)], closed=True)`` -> (huddle id, {client id: flag id})."""
    from app.core import clock
    from app.huddles.models import Huddle, HuddleAction, HuddleFlag

    def make(lead, started_at, shift="early", flags=None, actions=(), closed=True):
        with app.app_context():
            huddle = Huddle(
                unit_id=lead.home_unit_id,
                shift=shift,
                shift_date=clock.to_london(started_at).date(),
                started_at=started_at,
                started_by_id=lead.id,
                closed_at=started_at + timedelta(minutes=15) if closed else None,
                closed_by_id=lead.id if closed else None,
            )
            db.session.add(huddle)
            db.session.flush()
            flag_ids = {}
            for client, (value, reason, previous) in (flags or {}).items():
                flag = HuddleFlag(
                    huddle_id=huddle.id,
                    client_id=client.id,
                    value=value,
                    reason=reason,
                    previous_value=previous,
                    updated_at=started_at,
                    updated_by_id=lead.id,
                )
                db.session.add(flag)
                db.session.flush()
                flag_ids[client.id] = flag.id
            for due_at, done_at in actions:
                db.session.add(
                    HuddleAction(
                        unit_id=huddle.unit_id,
                        huddle_id=huddle.id,
                        text="Check the kitchen rota",
                        owner_id=lead.id,
                        due_kind="time",
                        due_at=due_at,
                        done_at=done_at,
                        done_by_id=lead.id if done_at else None,
                        created_by_id=lead.id,
                        created_at=started_at,
                    )
                )
            db.session.commit()
            return huddle.id, flag_ids

    return make


@pytest.fixture
def amend_cues(app):
    """``amend_cues(note_id, author, {"overall": 1})``: a signed amendment to the cue section."""
    from app.notes import cues
    from app.notes.models import NoteAmendment

    def make(note_id: int, author, levels: dict[str, int]) -> None:
        with app.app_context():
            db.session.add(
                NoteAmendment(
                    note_id=note_id,
                    field="cues",
                    old_text="",
                    new_text=cues.encode(levels),
                    reason="Wrong level ticked",
                    author_id=author.id,
                    author_name=author.name,
                    author_role_label=author.role_label,
                )
            )
            db.session.commit()

    return make
