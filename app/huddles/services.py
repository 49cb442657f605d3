"""Huddle logic: start and close, attendees, flags, entries and actions.

Two phones may edit one huddle at once. Every write first bumps the huddle's version with a
conditional UPDATE (``closed_at IS NULL``): that refuses writes to a closed huddle atomically
and gives the 15-s poll one number to compare. Each part then saves on its own with its own
version counter (``UPDATE ... WHERE version = :seen``); a stale version changes nothing and
comes back as a ``Conflict`` holding the current value, so nothing is overwritten silently.
"""

from dataclasses import dataclass, field
from datetime import UTC, datetime, time, timedelta
from functools import cached_property

from sqlalchemy import Integer, bindparam, func, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload, selectinload

from app.audit.services import record
from app.auth.models import User, staff_cover
from app.auth.services import Viewer, viewer_columns
from app.clients.models import Client
from app.core import clock
from app.core.prepared import Prepared
from app.extensions import db
from app.huddles.models import (
    FLAGS,
    Huddle,
    HuddleAction,
    HuddleAttendee,
    HuddleEntry,
    HuddleFlag,
)
from app.huddles.shifts import Shift, shift_at

CLOSED_MESSAGE = "This huddle has been closed, so it cannot be changed. Nothing was saved."


class HuddleClosed(Exception):
    pass


@dataclass
class Conflict(Exception):
    """A stale edit: ``current`` is the part as it is now (None: it is not there)."""

    current: object | None
    message: str = ""


# --- reading -----------------------------------------------------------------------------


def visible_huddle(user: User, huddle_id: int) -> Huddle | None:
    """The huddle if it belongs to a unit this person works in; another unit's is None (404)."""
    huddle = db.session.scalar(
        select(Huddle).where(Huddle.id == huddle_id).options(joinedload(Huddle.started_by))
    )
    if huddle is None or not user.can_access_unit(huddle.unit_id):
        return None
    return huddle


def huddle_for_shift(unit_id: int, shift: Shift) -> Huddle | None:
    return db.session.scalar(
        select(Huddle).where(
            Huddle.unit_id == unit_id, Huddle.shift_date == shift.day, Huddle.shift == shift.kind
        )
    )


def still_open_before(unit_id: int, huddle: Huddle | None, shift: Shift | None) -> Huddle | None:
    """A huddle of an earlier shift that nobody closed (offered to close): started before
    ``huddle`` (or, with no huddle yet, before ``shift``)."""
    before = huddle.started_at if huddle is not None else shift.starts
    query = select(Huddle).where(
        Huddle.unit_id == unit_id, Huddle.closed_at.is_(None), Huddle.started_at < before
    )
    if huddle is not None:
        query = query.where(Huddle.id != huddle.id)
    return db.session.scalar(query.order_by(Huddle.started_at.desc()).limit(1))


def previous_huddle(huddle: Huddle) -> Huddle | None:
    return db.session.scalar(
        select(Huddle)
        .where(
            Huddle.unit_id == huddle.unit_id,
            Huddle.id != huddle.id,
            Huddle.started_at <= huddle.started_at,
        )
        .order_by(Huddle.started_at.desc(), Huddle.id.desc())
        .limit(1)
    )


def current_clients(unit_id: int) -> list[Client]:
    today = clock.london_today()
    return list(
        db.session.scalars(
            select(Client)
            .where(
                Client.unit_id == unit_id,
                or_(Client.discharged_on.is_(None), Client.discharged_on > today),
            )
            .order_by(Client.room, Client.initials, Client.id)
        )
    )


def unit_staff(unit_id: int) -> list[User]:
    """Active staff whose home unit this is or who cover it."""
    covering = select(staff_cover.c.user_id).where(staff_cover.c.unit_id == unit_id)
    return list(
        db.session.scalars(
            select(User)
            .where(User.active, or_(User.home_unit_id == unit_id, User.id.in_(covering)))
            .order_by(User.name, User.id)
        )
    )


@dataclass
class HuddlePage:
    huddle: Huddle
    clients: list[Client]
    flags: dict[int, HuddleFlag]
    staff: list[User]
    attendees: list[HuddleAttendee]
    entries: list[HuddleEntry]
    actions: list[HuddleAction]
    done_here: list[HuddleAction] = field(default_factory=list)

    @cached_property
    def present_ids(self) -> set[int]:
        return {a.user_id for a in self.attendees if a.user_id}

    @cached_property
    def visitors(self) -> list[HuddleAttendee]:
        return [a for a in self.attendees if a.user_id is None]

    @cached_property
    def client_by_id(self) -> dict[int, Client]:
        return {c.id: c for c in self.clients}

    @property
    def changed_flags(self) -> list[HuddleFlag]:
        return [f for f in self.flags.values() if f.changed or f.previous_value is None]

    def flag_for(self, client: Client) -> HuddleFlag:
        flag = self.flags.get(client.id)
        if flag is None:  # admitted since the huddle started: green until someone flags them
            flag = HuddleFlag(client_id=client.id, value="green", reason="", version=0)
        return flag


def page(huddle: Huddle) -> HuddlePage:
    """Everything the huddle page shows, in a fixed number of queries (not one per client)."""
    clients = current_clients(huddle.unit_id)
    flags = {
        f.client_id: f
        for f in db.session.scalars(select(HuddleFlag).where(HuddleFlag.huddle_id == huddle.id))
    }
    attendees = list(
        db.session.scalars(
            select(HuddleAttendee)
            .where(HuddleAttendee.huddle_id == huddle.id)
            .order_by(HuddleAttendee.id)
        )
    )
    entries = list(
        db.session.scalars(
            select(HuddleEntry)
            .where(HuddleEntry.huddle_id == huddle.id)
            .options(selectinload(HuddleEntry.created_by))
            .order_by(HuddleEntry.period.desc(), HuddleEntry.created_at, HuddleEntry.id)
        )
    )
    actions = list(
        db.session.scalars(
            select(HuddleAction)
            .where(
                HuddleAction.unit_id == huddle.unit_id,
                or_(
                    HuddleAction.done_at.is_(None),
                    HuddleAction.huddle_id == huddle.id,
                    HuddleAction.done_in_huddle_id == huddle.id,
                ),
            )
            .options(selectinload(HuddleAction.owner), selectinload(HuddleAction.done_by))
            .order_by(HuddleAction.due_at, HuddleAction.id)
        )
    )
    return HuddlePage(
        huddle=huddle,
        clients=clients,
        flags=flags,
        staff=unit_staff(huddle.unit_id),
        attendees=attendees,
        entries=entries,
        # Carried forward from earlier huddles first, then this huddle's, each soonest due first.
        actions=sorted(
            (a for a in actions if not a.is_done),
            key=lambda a: (a.huddle_id == huddle.id, a.due_at, a.id),
        ),
        done_here=[a for a in actions if a.is_done],
    )


# Compiled once and sent as plain SQL (app/core/prepared.py): every phone at a huddle runs it
# every 15 s. The person is checked in the same statement (``viewer_columns``), so the full poll
# and the quick answer to it (app/core/conditional.py) use this one query.
_VERSION_OF = Prepared(
    lambda: select(*viewer_columns(Huddle.unit_id), Huddle.version, Huddle.closed_at).where(
        Huddle.id == bindparam("huddle_id", type_=Integer)
    )
)


def version_of(token: str, huddle_id: int) -> tuple[Viewer, int, bool] | None:
    """(who is asking, version, closed) for the poll, one indexed query on the primary key; None
    when there is no such huddle or ``token`` is not a signed-in person who may see it."""
    rows = _VERSION_OF.rows(db.session.connection(), {"token": token, "huddle_id": huddle_id})
    if not rows or rows[0][0] is None:
        return None
    viewer_id, role, version, closed_at = rows[0]
    return Viewer(viewer_id, role), version, closed_at is not None


def latest_flag(client_id: int) -> HuddleFlag | None:
    return db.session.scalar(
        select(HuddleFlag)
        .join(Huddle, Huddle.id == HuddleFlag.huddle_id)
        .where(HuddleFlag.client_id == client_id)
        .order_by(Huddle.started_at.desc(), Huddle.id.desc())
        .limit(1)
    )


def my_open_actions(user: User) -> list[HuddleAction]:
    unit_ids = [u.id for u in user.accessible_units()]
    return list(
        db.session.scalars(
            select(HuddleAction)
            .where(
                HuddleAction.owner_id == user.id,
                HuddleAction.done_at.is_(None),
                HuddleAction.unit_id.in_(unit_ids),
            )
            .order_by(HuddleAction.due_at, HuddleAction.id)
        )
    )


def my_open_action_count(user_id: int) -> int:
    return db.session.scalar(_MY_OPEN_ACTIONS, {"user_id": user_id})


def home_summary(user: User, unit_id: int) -> dict:
    """For the home screen, in two queries: the unit's open huddle (if any), my action count."""
    open_huddle = db.session.scalar(_OPEN_HUDDLE, {"unit_id": unit_id})
    return {"open_huddle": open_huddle, "my_actions": my_open_action_count(user.id)}


# Built once: home runs both on every visit.
_MY_OPEN_ACTIONS = (
    select(func.count())
    .select_from(HuddleAction)
    .where(HuddleAction.owner_id == bindparam("user_id"), HuddleAction.done_at.is_(None))
)
_OPEN_HUDDLE = (
    select(Huddle)
    .where(Huddle.unit_id == bindparam("unit_id"), Huddle.closed_at.is_(None))
    .order_by(Huddle.started_at.desc())
    .limit(1)
)


# --- writing -----------------------------------------------------------------------------


def _touch(huddle_id: int) -> None:
    """Bump the huddle's version, or refuse: a closed huddle takes no edits (atomically)."""
    result = db.session.execute(
        update(Huddle)
        .where(Huddle.id == huddle_id, Huddle.closed_at.is_(None))
        .values(version=Huddle.version + 1)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        raise HuddleClosed(CLOSED_MESSAGE)


def start(unit_id: int, user: User) -> tuple[Huddle, bool]:
    """Start this shift's huddle, or open the one already started (one per unit per shift).

    Flags start from the previous huddle's; whoever starts it is ticked present.
    """
    shift = shift_at(unit_id)
    existing = huddle_for_shift(unit_id, shift)
    if existing is not None:
        return existing, False
    now = clock.now()
    huddle = Huddle(
        unit_id=unit_id,
        shift=shift.kind,
        shift_date=shift.day,
        started_at=now,
        started_by_id=user.id,
        version=1,
    )
    try:
        with db.session.begin_nested():
            db.session.add(huddle)
            db.session.flush()
    except IntegrityError:  # another phone started it a moment ago
        existing = huddle_for_shift(unit_id, shift)
        if existing is None:
            raise
        return existing, False
    last = previous_huddle(huddle)
    earlier = (
        {
            f.client_id: f
            for f in db.session.scalars(select(HuddleFlag).where(HuddleFlag.huddle_id == last.id))
        }
        if last
        else {}
    )
    for client in current_clients(unit_id):
        before = earlier.get(client.id)
        db.session.add(
            HuddleFlag(
                huddle_id=huddle.id,
                client_id=client.id,
                value=before.value if before else "green",
                reason=before.reason if before else "",
                previous_value=before.value if before else None,
                previous_reason=before.reason if before else "",
                version=1,
                updated_at=before.updated_at if before else now,
                updated_by_id=before.updated_by_id if before else None,
            )
        )
    db.session.add(HuddleAttendee(huddle_id=huddle.id, user_id=user.id))
    record(
        "start",
        "huddle",
        huddle.id,
        actor=user,
        unit_id=unit_id,
        extra={"shift": shift.kind, "carried_from": last.id if last else None},
    )
    return huddle, True


def close(huddle: Huddle, user: User) -> None:
    result = db.session.execute(
        update(Huddle)
        .where(Huddle.id == huddle.id, Huddle.closed_at.is_(None))
        .values(closed_at=clock.now(), closed_by_id=user.id, version=Huddle.version + 1)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        raise HuddleClosed("This huddle was already closed.")
    record("close", "huddle", huddle.id, actor=user, unit_id=huddle.unit_id)


def set_present(huddle: Huddle, staff_id: int, present: bool, user: User) -> None:
    _touch(huddle.id)
    row = db.session.scalar(
        select(HuddleAttendee).where(
            HuddleAttendee.huddle_id == huddle.id, HuddleAttendee.user_id == staff_id
        )
    )
    if present and row is None:
        try:
            with db.session.begin_nested():
                db.session.add(HuddleAttendee(huddle_id=huddle.id, user_id=staff_id))
        except IntegrityError:
            pass  # ticked on another phone at the same moment: present either way
    elif not present and row is not None:
        db.session.delete(row)
    record(
        "attendance",
        "huddle",
        huddle.id,
        actor=user,
        unit_id=huddle.unit_id,
        extra={"staff_id": staff_id, "present": present},
    )


def add_visitor(huddle: Huddle, name: str, user: User) -> HuddleAttendee:
    _touch(huddle.id)
    row = HuddleAttendee(huddle_id=huddle.id, user_id=None, visitor=name)
    db.session.add(row)
    db.session.flush()
    record("add_visitor", "huddle", huddle.id, actor=user, unit_id=huddle.unit_id)
    return row


def set_flag(
    huddle: Huddle, client: Client, value: str, reason: str, seen_version: int, user: User
) -> HuddleFlag:
    """Save one client's flag if nobody changed it since ``seen_version`` (0: no flag yet)."""
    if value not in FLAGS:
        raise ValueError("not a flag")
    _touch(huddle.id)
    now = clock.now()
    reason = reason if value != "green" else ""
    current = db.session.scalar(
        select(HuddleFlag).where(
            HuddleFlag.huddle_id == huddle.id, HuddleFlag.client_id == client.id
        )
    )
    if current is None:
        if seen_version != 0:
            raise Conflict(None)
        flag = HuddleFlag(
            huddle_id=huddle.id,
            client_id=client.id,
            value=value,
            reason=reason,
            previous_value=None,
            previous_reason="",
            version=1,
            updated_at=now,
            updated_by_id=user.id,
        )
        try:
            with db.session.begin_nested():
                db.session.add(flag)
        except IntegrityError:
            raise Conflict(_fresh_flag(huddle.id, client.id)) from None
        before_value = None
    else:
        before_value = current.value
        result = db.session.execute(
            update(HuddleFlag)
            .where(HuddleFlag.id == current.id, HuddleFlag.version == seen_version)
            .values(
                value=value,
                reason=reason,
                version=HuddleFlag.version + 1,
                updated_at=now,
                updated_by_id=user.id,
            )
            .execution_options(synchronize_session=False)
        )
        if result.rowcount != 1:
            raise Conflict(_fresh_flag(huddle.id, client.id))
        flag = _fresh_flag(huddle.id, client.id)
    record(
        "flag",
        "huddle_flag",
        flag.id,
        actor=user,
        unit_id=huddle.unit_id,
        changes={"value": [before_value, value]},
        extra={"huddle_id": huddle.id, "client_id": client.id, "reason_given": bool(reason)},
    )
    return flag


def _fresh_flag(huddle_id: int, client_id: int) -> HuddleFlag | None:
    db.session.expire_all()
    return db.session.scalar(
        select(HuddleFlag).where(
            HuddleFlag.huddle_id == huddle_id, HuddleFlag.client_id == client_id
        )
    )


def add_entry(huddle: Huddle, data: dict, user: User) -> HuddleEntry:
    _touch(huddle.id)
    now = clock.now()
    entry = HuddleEntry(
        huddle_id=huddle.id,
        created_by_id=user.id,
        created_at=now,
        updated_at=now,
        version=1,
        **data,
    )
    db.session.add(entry)
    db.session.flush()
    record(
        "add",
        "huddle_entry",
        entry.id,
        actor=user,
        unit_id=huddle.unit_id,
        extra={"huddle_id": huddle.id, "category": entry.category, "client_id": entry.client_id},
    )
    return entry


def edit_entry(huddle: Huddle, entry: HuddleEntry, data: dict, seen: int, user: User) -> None:
    _touch(huddle.id)
    result = db.session.execute(
        update(HuddleEntry)
        .where(HuddleEntry.id == entry.id, HuddleEntry.version == seen)
        .values(version=HuddleEntry.version + 1, updated_at=clock.now(), **data)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        db.session.expire_all()
        raise Conflict(db.session.get(HuddleEntry, entry.id))
    record(
        "change",
        "huddle_entry",
        entry.id,
        actor=user,
        unit_id=huddle.unit_id,
        extra={"huddle_id": huddle.id, "category": data.get("category")},
    )


def due_at(kind: str, at: time | None, shift: Shift, now: datetime) -> datetime:
    """When an action is due: the end of this shift, the end of today, or a time today."""
    if kind == "shift":
        return shift.ends
    today = clock.to_london(now).date()
    if kind == "today":
        end = datetime.combine(today + timedelta(days=1), time(0), tzinfo=clock.LONDON)
        return (end - timedelta(minutes=1)).astimezone(UTC)
    return datetime.combine(today, at, tzinfo=clock.LONDON).astimezone(UTC)


def add_action(huddle: Huddle, data: dict, user: User) -> HuddleAction:
    _touch(huddle.id)
    now = clock.now()
    action = HuddleAction(
        unit_id=huddle.unit_id,
        huddle_id=huddle.id,
        text=data["text"],
        owner_id=data["owner_id"],
        due_kind=data["due_kind"],
        due_at=due_at(data["due_kind"], data.get("due_time"), shift_at(huddle.unit_id), now),
        created_by_id=user.id,
        created_at=now,
        version=1,
    )
    db.session.add(action)
    db.session.flush()
    record(
        "add",
        "huddle_action",
        action.id,
        actor=user,
        unit_id=huddle.unit_id,
        extra={"huddle_id": huddle.id, "owner_id": action.owner_id, "due": action.due_kind},
    )
    return action


def visible_action(user: User, action_id: int) -> HuddleAction | None:
    action = db.session.get(HuddleAction, action_id)
    if action is None or not user.can_access_unit(action.unit_id):
        return None
    return action


def mark_done(action: HuddleAction, seen: int, user: User, huddle: Huddle | None = None) -> None:
    """Done by anyone (who and when recorded); a stale or second tap is a Conflict."""
    if huddle is not None:
        _touch(huddle.id)
    result = db.session.execute(
        update(HuddleAction)
        .where(
            HuddleAction.id == action.id,
            HuddleAction.version == seen,
            HuddleAction.done_at.is_(None),
        )
        .values(
            version=HuddleAction.version + 1,
            done_at=clock.now(),
            done_by_id=user.id,
            done_in_huddle_id=huddle.id if huddle else None,
        )
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        db.session.expire_all()
        raise Conflict(db.session.get(HuddleAction, action.id))
    record(
        "done",
        "huddle_action",
        action.id,
        actor=user,
        unit_id=action.unit_id,
        extra={"huddle_id": huddle.id if huddle else None},
    )
