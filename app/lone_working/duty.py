"""Who is on duty in a unit: the buddy default and the lead steps of the ladder use it."""

from datetime import timedelta
from functools import cache

from sqlalchemy import bindparam, func, or_, select

from app.audit.services import record
from app.auth.models import User, staff_cover
from app.core import clock
from app.extensions import db
from app.lone_working.models import DutyShift


def open_shift(user_id: int) -> DutyShift | None:
    return db.session.scalar(_OPEN_SHIFT, {"user_id": user_id})


# Built once: home runs it on every visit.
_OPEN_SHIFT = select(DutyShift).where(
    DutyShift.user_id == bindparam("user_id"), DutyShift.ended_at.is_(None)
)


def start_shift(user: User, unit_id: int) -> DutyShift:
    """Start a shift in ``unit_id``; a shift still open elsewhere is ended first."""
    current = open_shift(user.id)
    if current is not None:
        if current.unit_id == unit_id:
            return current
        current.ended_at = clock.now()
    shift = DutyShift(user_id=user.id, unit_id=unit_id, started_at=clock.now())
    db.session.add(shift)
    record("start_shift", "staff", user.id, actor=user, unit_id=unit_id)
    return shift


def end_shift(user: User) -> DutyShift | None:
    current = open_shift(user.id)
    if current is not None:
        current.ended_at = clock.now()
        record("end_shift", "staff", user.id, actor=user, unit_id=current.unit_id)
    return current


SHIFT_LIMIT = timedelta(hours=14)  # a shift nobody ended stops counting after this


def on_duty(unit_id: int, roles: tuple[str, ...] | None = None) -> list[User]:
    """Active staff on shift in the unit now (not those who forgot to end yesterday's shift)."""
    since = clock.now() - SHIFT_LIMIT
    return list(db.session.scalars(_on_duty_statement(roles), {"unit_id": unit_id, "since": since}))


@cache
def _on_duty_statement(roles: tuple[str, ...] | None):
    """Built once per set of roles (the board runs it on every view)."""
    from app.core.types import UTCDateTime

    query = (
        select(User)
        .join(DutyShift, DutyShift.user_id == User.id)
        .where(
            DutyShift.unit_id == bindparam("unit_id"),
            DutyShift.ended_at.is_(None),
            DutyShift.started_at > bindparam("since", type_=UTCDateTime),
            User.active,
        )
        .order_by(DutyShift.started_at, User.name)
    )
    if roles:
        query = query.where(User.role.in_(roles))
    return query


def on_duty_count(unit_id, roles: tuple[str, ...], started_after):
    """How many of ``on_duty(unit_id, roles)`` there are, as a scalar subquery (``unit_id`` and
    ``started_after``, now - SHIFT_LIMIT, may be bind parameters)."""
    return (
        select(func.count())
        .select_from(DutyShift)
        .join(User, DutyShift.user_id == User.id)
        .where(
            DutyShift.unit_id == unit_id,
            DutyShift.ended_at.is_(None),
            DutyShift.started_at > started_after,
            User.active,
            User.role.in_(roles),
        )
        .scalar_subquery()
    )


def unit_leads_and_admins(unit_id: int) -> list[User]:
    """Every active lead and admin whose home unit is ``unit_id`` or who covers it."""
    covers = select(staff_cover.c.user_id).where(staff_cover.c.unit_id == unit_id)
    return list(
        db.session.scalars(
            select(User)
            .where(
                User.active,
                User.role.in_(("lead", "admin")),
                or_(User.home_unit_id == unit_id, User.id.in_(covers)),
            )
            .order_by(User.name)
        )
    )
