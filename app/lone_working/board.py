"""The whereabouts board's queries: who is out, which alerts are open, what could not be sent."""

from datetime import datetime
from functools import cache

from sqlalchemy import Integer, bindparam, func, literal, select, true
from sqlalchemy.orm import joinedload, selectinload

from app.auth.models import User
from app.auth.services import Viewer, viewer_columns
from app.core import clock
from app.core.prepared import Prepared
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
    return db.session.scalar(_open_outing_statement(), {"user_id": user_id})


# The statements below are built once, with bind parameters: on the board and home pages,
# building SQLAlchemy statements cost more than running them (cProfile, issue 11).
@cache
def _open_outing_statement():
    from app.lone_working.models import outing_coworkers

    user_id = bindparam("user_id", type_=Integer)
    as_coworker = select(outing_coworkers.c.outing_id).where(outing_coworkers.c.user_id == user_id)
    return (
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


def on_board(unit_id: int):
    """The board's rows: everyone out now, and closed outings whose alerts still need a lead.
    Bounded by the (unit_id, status) index, however many outings the unit has had."""
    has_alert = (
        select(EscalationStep.id)
        .where(EscalationStep.outing_id == Outing.id, EscalationStep.needs_ack)
        .correlate(Outing)
        .exists()
    )
    return (Outing.unit_id == unit_id) & (
        Outing.status.in_(OPEN_STATUSES) | ((Outing.status == BACK) & has_alert)
    )


def board(unit_id: int) -> list[Outing]:
    """Everyone out now, and closed outings whose alerts still need a lead, with everything the
    board shows loaded up front (a fixed number of statements, however many rows)."""
    return list(db.session.scalars(_board_statement(), {"unit_id": unit_id}))


@cache
def _board_statement():
    return (
        select(Outing)
        .where(on_board(bindparam("unit_id", type_=Integer)))
        .order_by(Outing.expected_return)
        .options(
            selectinload(Outing.steps).selectinload(EscalationStep.acknowledged_by),
            selectinload(Outing.clients),
            selectinload(Outing.coworkers),
            joinedload(Outing.worker),
        )
    )


def board_version(unit_id: int, viewer: User, now: datetime) -> tuple:
    """Everything the board fragment shows for ``viewer`` at ``now``, in ONE statement and no
    rendering: a poll answers 304 while this is unchanged.

    It covers the rows (each outing on the board: status, times, episode, welfare cycle,
    destination, worker; each of its steps: level, acknowledgement, resends), the states that
    change only because time passes (an outing past its expected return is "due"; a watcher
    heartbeat goes stale; a lead's shift lapses after 14 h; delivery health over its window;
    the "Updated 14:05" line, by the London minute), and the banners' counts. Amber and red come
    from steps the watcher writes, so they change the rows. Names and initials edited elsewhere
    show at the next minute."""
    result = _VERSION.rows(db.session.connection(), _version_params(unit_id, now))
    return _version_from(result, viewer, now)


def quick_board_version(token: str, unit_id: int, now: datetime) -> tuple[Viewer, tuple] | None:
    """``board_version`` with the person checked in the same statement rather than loaded
    (the quick answer to a poll, app/core/conditional.py): None unless ``token`` is a signed-in
    person's who may work in the unit."""
    params = _version_params(unit_id, now) | {"token": token}
    result = _VERSION_FOR_VIEWER.rows(db.session.connection(), params)
    viewer_id, role = result[0][:2]
    if viewer_id is None:
        return None
    viewer = Viewer(viewer_id, role)
    return viewer, _version_from([row[2:] for row in result], viewer, now)


def _version_params(unit_id: int, now: datetime) -> dict:
    from app.lone_working.duty import SHIFT_LIMIT
    from app.notify.services import failing_window_start

    return {
        "unit_id": unit_id,
        "delivery_since": failing_window_start(now),
        "shift_since": now - SHIFT_LIMIT,
    }


def _version_from(result: list[tuple], viewer: User | Viewer, now: datetime) -> tuple:
    from app.lone_working.escalation import watcher_status_from
    from app.notify.services import delivery_status_from

    extras, status, due = (_VERSION.index(n) for n in ("outing_id", "status", "expected_return"))
    first = result[0]
    heartbeat, unheard_n, failed_n, leads = first[:4]
    signals = tuple(first[4:extras])
    board_rows = tuple(
        (*row[extras:], row[status] in OPEN_STATUSES and now >= row[due])
        for row in result
        if row[extras] is not None  # the outing's id: none when the board is empty
    )
    return (
        viewer.id,
        viewer.role,
        clock.to_london(now).strftime("%Y-%m-%d %H:%M"),
        watcher_status_from(heartbeat, now),
        delivery_status_from(signals, now),
        unheard_n,
        failed_n,
        bool(leads),
        board_rows,
    )


def _version_statement(with_viewer: bool = False):
    """The version query, with bind parameters for the unit and the two window starts. The
    first columns are the unit's figures, then one row per outing on the board and step; with
    the viewer, two columns before those (``viewer_columns``: who, if they may see the unit)."""
    from app.core.types import UTCDateTime
    from app.lone_working.duty import on_duty_count
    from app.lone_working.escalation import last_heartbeat
    from app.notify.models import FAILED, OutboxMessage
    from app.notify.services import delivery_signals

    unit_id = bindparam("unit_id", type_=Integer)
    rows = (
        select(
            Outing.id.label("outing_id"),
            Outing.status,
            Outing.expected_return,
            Outing.checked_in_at,
            Outing.episode,
            Outing.last_welfare_at,
            Outing.destination,
            Outing.worker_id,
            EscalationStep.id.label("step_id"),
            EscalationStep.level,
            EscalationStep.acknowledged_at,
            EscalationStep.acknowledged_by_id,
            EscalationStep.resends,
            EscalationStep.needs_ack,
        )
        .outerjoin(EscalationStep, EscalationStep.outing_id == Outing.id)
        .where(on_board(unit_id))
        .subquery()
    )
    open_ids = select(Outing.id).where(Outing.unit_id == unit_id, Outing.status.in_(OPEN_STATUSES))
    unheard = (
        select(func.count())
        .select_from(OutingEvent)
        .where(OutingEvent.kind == "unheard", OutingEvent.outing_id.in_(open_ids))
        .scalar_subquery()
    )
    failed = (
        select(func.count())
        .select_from(OutboxMessage)
        .where(
            OutboxMessage.topic == "outing",
            OutboxMessage.status == FAILED,
            OutboxMessage.topic_id.in_(open_ids),
        )
        .scalar_subquery()
    )
    delivery = delivery_signals(bindparam("delivery_since", type_=UTCDateTime))
    leads = on_duty_count(unit_id, ("lead",), bindparam("shift_since", type_=UTCDateTime))
    # The viewer's two columns are worked out once, in the one-row table the rows hang off.
    found = viewer_columns(unit_id) if with_viewer else ()
    one = select(literal(1).label("one"), *found).subquery()
    viewer = (one.c.viewer_id, one.c.viewer_role) if with_viewer else ()
    statement = (
        select(*viewer, last_heartbeat().scalar_subquery(), unheard, failed, leads, *delivery, rows)
        .select_from(one)
        .outerjoin(rows, true())
        .order_by(rows.c.outing_id, rows.c.step_id)
    )
    return statement


# Compiled once per database and sent as plain SQL: SQLAlchemy's per-execution work on this
# statement cost more than SQLite took to run it (app/core/prepared.py).
_VERSION = Prepared(_version_statement)
_VERSION_FOR_VIEWER = Prepared(lambda: _version_statement(with_viewer=True))


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
    unheard, failed = db.session.execute(_problems_statement(), {"unit_id": unit_id}).one()
    return {"unheard": unheard or 0, "failed": failed or 0}


@cache
def _problems_statement():
    from app.notify.models import FAILED, OutboxMessage

    unit_id = bindparam("unit_id", type_=Integer)
    open_ids = select(Outing.id).where(Outing.unit_id == unit_id, Outing.status.in_(OPEN_STATUSES))
    unheard = (
        select(func.count())
        .select_from(OutingEvent)
        .where(OutingEvent.kind == "unheard", OutingEvent.outing_id.in_(open_ids))
        .scalar_subquery()
    )
    failed = (
        select(func.count())
        .select_from(OutboxMessage)
        .where(
            OutboxMessage.topic == "outing",
            OutboxMessage.status == FAILED,
            OutboxMessage.topic_id.in_(open_ids),
        )
        .scalar_subquery()
    )
    return select(unheard, failed)


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
