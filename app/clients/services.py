"""Finding and saving clients."""

from sqlalchemy import or_, select

from app.audit.services import diff, record, snapshot
from app.clients import nhs_number
from app.clients.models import Client, ClientGoal
from app.core import clock
from app.core.forms import is_ascii_digits
from app.extensions import db


def find_by_nhs_number(value: str) -> Client | None:
    return db.session.scalar(select(Client).where(Client.nhs_number == nhs_number.normalise(value)))


def search(unit_id: int, text: str = "", include_discharged: bool = False) -> list[Client]:
    """Clients of a unit matching ``text`` in initials, names, room or NHS number."""
    query = select(Client).where(Client.unit_id == unit_id)
    if not include_discharged:
        today = clock.london_today()
        query = query.where(or_(Client.discharged_on.is_(None), Client.discharged_on > today))
    text = (text or "").strip()
    if text:
        like = f"%{text.lower()}%"
        conditions = [
            Client.initials.ilike(like),
            Client.full_name.ilike(like),
            Client.preferred_name.ilike(like),
            Client.room.ilike(like),
        ]
        digits = nhs_number.normalise(text)
        if is_ascii_digits(digits):
            conditions.append(Client.nhs_number.like(f"%{digits}%"))
        query = query.where(or_(*conditions))
    return list(db.session.scalars(query.order_by(Client.initials, Client.room, Client.id)))


def save_client(client: Client, data: dict) -> Client:
    """Create or change a client from validated form data, writing the audit row."""
    is_new = client.id is None
    before = None if is_new else snapshot(client, Client.AUDIT_FIELDS)
    client.full_name = data["full_name"].strip()
    client.preferred_name = (data.get("preferred_name") or "").strip()
    client.initials = data["initials"].strip().upper()
    client.nhs_number = nhs_number.normalise(data["nhs_number"])
    client.room = (data.get("room") or "").strip()
    client.step_down = bool(data.get("step_down"))
    client.unit_id = data["unit_id"]
    client.key_worker_id = data.get("key_worker_id") or None
    client.admitted_on = data["admitted_on"]
    client.discharged_on = data.get("discharged_on")
    if is_new:
        db.session.add(client)
    db.session.flush()
    changes = diff(before, snapshot(client, Client.AUDIT_FIELDS), redact=Client.AUDIT_REDACT)
    if is_new or changes:
        record(
            "create" if is_new else "update",
            "client",
            client.id,
            changes=changes,
            unit_id=client.unit_id,
        )
    return client


def goals_of(client_id: int, active_only: bool = True) -> list[ClientGoal]:
    """A client's OT goals, oldest first; retired ones too when asked."""
    query = select(ClientGoal).where(ClientGoal.client_id == client_id)
    if active_only:
        query = query.where(ClientGoal.active)
    return list(db.session.scalars(query.order_by(ClientGoal.created_at, ClientGoal.id)))


def add_goal(client: Client, text: str, actor) -> ClientGoal:
    """Add a goal to a client's list, writing the audit row (without the goal's wording)."""
    goal = ClientGoal(client_id=client.id, text=text.strip(), created_by_id=actor.id)
    db.session.add(goal)
    db.session.flush()
    record(
        "create",
        "client_goal",
        goal.id,
        actor=actor,
        unit_id=client.unit_id,
        extra={"client_id": client.id},
    )
    return goal


def retire_goal(goal: ClientGoal, actor) -> ClientGoal:
    """Take a goal off the active list; notes that addressed it keep it."""
    if goal.active:
        goal.active = False
        db.session.flush()
        record(
            "retire",
            "client_goal",
            goal.id,
            changes={"active": [True, False]},
            actor=actor,
            unit_id=goal.client.unit_id,
            extra={"client_id": goal.client_id},
        )
    return goal
