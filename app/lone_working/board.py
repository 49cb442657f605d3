"""The whereabouts board's queries: who is out, which alerts are open, what could not be sent."""

from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from app.auth.models import User
from app.extensions import db
from app.lone_working.models import (
    BACK,
    OPEN_STATUSES,
    RESOLVED,
    EscalationStep,
    Outing,
    OutingEvent,
)


def open_outing_for(user_id: int) -> Outing | None:
    """The outing this person is out on now (as the worker or a co-worker), if any."""
    from app.lone_working.models import outing_coworkers

    as_coworker = select(outing_coworkers.c.outing_id).where(outing_coworkers.c.user_id == user_id)
    return db.session.scalar(
        select(Outing)
        .where(
            Outing.status.in_(OPEN_STATUSES),
            Outing.checked_in_at.is_(None),
            (Outing.worker_id == user_id) | Outing.id.in_(as_coworker),
        )
        .order_by(Outing.id.desc())
        .limit(1)
    )


def needs_resolving(outing: Outing) -> bool:
    return outing.status != RESOLVED and any(s.needs_ack for s in outing.steps)


def board(unit_id: int) -> list[Outing]:
    """Everyone out now, and closed outings whose alerts still need a lead."""
    has_alert = select(EscalationStep.outing_id).where(EscalationStep.needs_ack)
    return list(
        db.session.scalars(
            select(Outing)
            .where(
                Outing.unit_id == unit_id,
                Outing.status.in_(OPEN_STATUSES)
                | ((Outing.status == BACK) & Outing.id.in_(has_alert)),
            )
            .order_by(Outing.expected_return)
            .options(selectinload(Outing.steps), selectinload(Outing.clients))
        )
    )


def open_alerts(unit_id: int, hide_for: User | None = None) -> list[EscalationStep]:
    """Alerts of the unit nobody has acknowledged yet (duress hidden from the worker in danger)."""
    steps = db.session.scalars(
        select(EscalationStep)
        .join(Outing)
        .where(
            Outing.unit_id == unit_id,
            Outing.status != RESOLVED,
            EscalationStep.needs_ack,
            EscalationStep.acknowledged_at.is_(None),
        )
        .order_by(EscalationStep.fired_at)
    ).all()
    if hide_for is not None:
        steps = [
            s
            for s in steps
            if not (s.silent and hide_for.id in {p.id for p in s.outing.people_out()})
        ]
    return steps


def delivery_problems(unit_id: int) -> dict[str, int]:
    """Alerts of open outings that reached nobody, or whose messages could not be delivered."""
    from app.notify.models import FAILED, OutboxMessage

    open_ids = select(Outing.id).where(Outing.unit_id == unit_id, Outing.status.in_(OPEN_STATUSES))
    unheard = db.session.scalar(
        select(func.count())
        .select_from(OutingEvent)
        .where(OutingEvent.kind == "unheard", OutingEvent.outing_id.in_(open_ids))
    )
    failed = db.session.scalar(
        select(func.count())
        .select_from(OutboxMessage)
        .where(
            OutboxMessage.topic == "outing",
            OutboxMessage.status == FAILED,
            OutboxMessage.topic_id.in_(open_ids),
        )
    )
    return {"unheard": unheard or 0, "failed": failed or 0}


def recent_destinations(user_id: int, limit: int = 5) -> list[str]:
    rows = db.session.execute(
        select(Outing.destination, func.max(Outing.checked_out_at).label("last"))
        .where(Outing.worker_id == user_id)
        .group_by(Outing.destination)
        .order_by(func.max(Outing.checked_out_at).desc())
        .limit(limit)
    ).all()
    return [row.destination for row in rows]


def hides_duress_from(outing: Outing, viewer: User) -> bool:
    """A worker who used the duress PIN must see nothing of what it raised."""
    return any(s.silent for s in outing.steps) and viewer.id in {p.id for p in outing.people_out()}


def last_outing(user_id: int, unit_id: int) -> Outing | None:
    """The person's most recent outing from this unit: the check-out form offers it again."""
    return db.session.scalar(
        select(Outing)
        .where(Outing.worker_id == user_id, Outing.unit_id == unit_id)
        .order_by(Outing.checked_out_at.desc(), Outing.id.desc())
        .limit(1)
    )
