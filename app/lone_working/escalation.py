"""Deciding and sending: the watcher's tick takes every step that has come due, exactly once.

The safety rule: an overdue worker who is not escalated is the worst bug this product can have.
So every outing carries ``next_step_at``, the earliest moment the watcher has something to do for
it, recomputed after every change; the watcher takes every outing whose moment has come. A step
is decided by inserting a unique (outing, step) row, and its messages go into the outbox in the
same transaction: a crash loses nothing, and a second watcher cannot decide the same step again."""

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from app.auth.models import User
from app.core import clock
from app.extensions import db
from app.lone_working import ladder as ladder_config
from app.lone_working.board import open_outing_for
from app.lone_working.duty import on_duty, unit_leads_and_admins
from app.lone_working.models import (
    ESCALATED,
    OPEN_STATUSES,
    OUT,
    OVERDUE,
    RESOLVED,
    EscalationStep,
    Outing,
    OutingEvent,
    WatcherHeartbeat,
)
from app.lone_working.planning import (
    PANIC_REASONS,
    configured_channels,
    keeps_resending,
    ladder,
    ladder_running,
    next_step_at,
    planned_steps,
    resend_interval,
)
from app.notify.channels import addresses
from app.notify.models import BUDDY, EMERGENCY, LEADS, ROUTINE
from app.notify.services import enqueue

log = logging.getLogger("waypoint.lone_working")

HEARTBEAT_STALE = timedelta(minutes=2)


# --- deciding and sending --------------------------------------------------------------------


Cache = dict  # per watcher pass: (query, unit id) -> users, the same for every outing of a unit


def _cached(cache: Cache, key: tuple, load) -> list[User]:
    if key not in cache:
        cache[key] = load()
    return cache[key]


def _leads_in(unit_id: int) -> list[User]:
    """Leads on duty who are in the unit, not out on an outing of their own."""
    return [u for u in on_duty(unit_id, ("lead",)) if open_outing_for(u.id) is None]


def _everyone(unit: int, cache: Cache) -> list[User]:
    return _cached(cache, ("all", unit), lambda: unit_leads_and_admins(unit))


def _trust_admins(cache: Cache) -> list[User]:
    return _cached(
        cache,
        ("admins",),
        lambda: list(db.session.scalars(select(User).where(User.active, User.role == "admin"))),
    )


def stand_ins(unit_id: int, worker_id: int) -> list[User]:
    """Who a buddy step tells when an outing has no buddy: the unit's leads and admins, or the
    Trust's admins if none of those can be reached (as ``_queue_messages`` widens)."""
    channels, cache = configured_channels(), {}
    for group in (_everyone(unit_id, cache), _trust_admins(cache)):
        people = [u for u in group if u.id != worker_id]
        reachable = [u for u in people if addresses(u, channels)] if channels else people
        if reachable:
            return reachable
    return []


def _recipients(outing: Outing, names: list[str], cache: Cache) -> list[User]:
    out_now = {p.id for p in outing.people_out()}
    unit = outing.unit_id

    def everyone() -> list[User]:
        return _everyone(unit, cache)

    people: dict[int, User] = {}

    def add(users, include_out=False):
        for user in users:
            if user is not None and user.active and (include_out or user.id not in out_now):
                people.setdefault(user.id, user)

    for name in names:
        if name == "worker":
            add(outing.people_out(), include_out=True)
        elif name == "buddy":
            add([outing.buddy])
        elif name == "leads_on_duty":
            on = _cached(cache, ("duty", unit), lambda: _leads_in(unit))
            add([u for u in on if u.id not in out_now] or everyone())
        elif name == "all_leads":
            add(everyone())
    if not people and names != ["worker"] and not _shift_phone_told(outing, names):
        # Nobody left to tell (e.g. the buddy is out too): never let a step go unheard.
        add(everyone())
    return list(people.values())


def _shift_phone_told(outing: Outing, names: list[str]) -> bool:
    """The buddy is the unit's shift phone (a number, not a person) and SMS can reach it."""
    return "buddy" in names and bool(outing.buddy_phone) and "sms" in configured_channels()


def compose(outing: Outing, message: str, reason: str) -> str:
    """The text of an alert: initials, place and due time only, never a client's name."""
    due = clock.to_london(outing.expected_return).strftime("%H:%M")
    prefix = "Missed welfare check. " if reason == "welfare" else ""
    names = ", ".join(p.name for p in outing.people_out())
    return (
        f"Waypoint: {prefix}{message} {names} at {outing.destination} with clients "
        f"{outing.client_initials}, due back {due}. Phone {outing.contact_number}."
    )


def priority(step: EscalationStep, names: list[str]) -> int:
    """How urgent this step's messages are in the outbox: SOS, duress and the ladder's top step
    (the emergency procedure) first, then leads, then the buddy, then the worker's own prompts."""
    top = ladder()[-1].key
    if step.reason in PANIC_REASONS or step.level == "sos" or step.step_key.endswith(f":{top}"):
        return EMERGENCY
    if {"leads_on_duty", "all_leads"} & set(names):
        return LEADS
    return BUDDY if "buddy" in names else ROUTINE


def _queue_messages(outing: Outing, step: EscalationStep, send_no: int, cache: Cache) -> int:
    names = step.recipients.split(",") if step.recipients else []
    if send_no > 0 and ladder_exhausted(outing):
        names = [*names, "all_leads"]
    channels = configured_channels()
    message = step.message
    if step.reason == "welfare" and names == ["worker"]:
        message = ladder_config.WELFARE_PROMPT  # not "check in": that would end the outing
    body = compose(outing, message, step.reason)
    subject = f"Waypoint lone-working alert: {step.level.upper()}"
    out_now = {p.id for p in outing.people_out()}

    def reachable(users: list[User]) -> list[User]:
        return [u for u in users if addresses(u, channels)]

    people = reachable(_recipients(outing, names, cache))
    urgency = priority(step, names)
    queued = 0
    if _shift_phone_told(outing, names):
        enqueue(
            dedupe_key=f"outing:{outing.id}:{step.step_key}:{send_no}:shift-phone:sms",
            topic="outing",
            topic_id=outing.id,
            channel="sms",
            address=outing.buddy_phone,
            subject=subject,
            body=body,
            priority=urgency,
        )
        queued += 1
    if not people and not queued and names != ["worker"]:
        # Those named cannot be reached (no phone, no email on a working channel): widen to the
        # unit's leads and admins, then to every admin of the Trust, rather than tell nobody.
        people = reachable(
            [u for u in _everyone(outing.unit_id, cache) if u.id not in out_now]
        ) or reachable([u for u in _trust_admins(cache) if u.id not in out_now])
    for person in people:
        for channel, address in addresses(person, channels):
            enqueue(
                dedupe_key=f"outing:{outing.id}:{step.step_key}:{send_no}:{person.id}:{channel}",
                topic="outing",
                topic_id=outing.id,
                channel=channel,
                address=address,
                subject=subject,
                body=body,
                recipient_id=person.id,
                priority=urgency,
            )
            queued += 1
    if not queued and channels:
        db.session.add(
            OutingEvent(
                outing_id=outing.id,
                at=clock.now(),
                kind="unheard",
                text="Nobody could be sent this alert: check staff phone numbers and emails.",
                data={"step": step.step_key},
            )
        )
    return queued


def ladder_exhausted(outing: Outing) -> bool:
    fired = {s.step_key for s in outing.steps}
    return all(p.key in fired for p in planned_steps(outing) if p.reason == "overdue")


def _insert_step(values: dict) -> EscalationStep | None:
    """Insert a step row unless its (outing, step) key exists; the new row, or None."""
    dialect = db.engine.dialect.name
    if dialect in ("postgresql", "sqlite"):
        module = postgresql if dialect == "postgresql" else sqlite
        statement = (
            module.insert(EscalationStep)
            .values(**values)
            .on_conflict_do_nothing(index_elements=["outing_id", "step_key"])
            .returning(EscalationStep)
        )
        return db.session.scalars(statement).first()
    step = EscalationStep(**values)  # other databases: a savepoint settles the race
    try:
        with db.session.begin_nested():
            db.session.add(step)
    except IntegrityError:
        return None
    return step


def fire(
    outing: Outing,
    key: str,
    *,
    level: str,
    reason: str,
    recipients: tuple[str, ...],
    message: str,
    needs_ack: bool,
    now: datetime,
    silent: bool = False,
    cache: Cache | None = None,
) -> EscalationStep | None:
    """Take a step unless it was already taken; None when it was (by us or anyone else).

    The step row goes in with INSERT .. ON CONFLICT DO NOTHING on the unique (outing, step) key:
    whoever inserts it has decided, and only they queue its messages. ``now`` is the moment the
    pass started (what is due); ``fired_at`` is the moment the row is written.
    """
    written = clock.now()
    step = _insert_step(
        {
            "outing_id": outing.id,
            "step_key": key,
            "level": level,
            "reason": reason,
            "fired_at": written,
            "last_sent_at": written,
            "needs_ack": needs_ack,
            "silent": silent,
            "recipients": ",".join(recipients),
            "message": message,
            "resends": 0,
        }
    )
    if step is None:
        return None
    if step not in outing.steps:
        outing.steps.append(step)
    queued = _queue_messages(outing, step, 0, {} if cache is None else cache)
    if level in ("amber", "red", "sos"):
        outing.status = ESCALATED if outing.status in OPEN_STATUSES else outing.status
    elif outing.status == OUT:
        outing.status = OVERDUE
    db.session.add(
        OutingEvent(
            outing_id=outing.id,
            at=written,
            kind="step",
            text=f"{level.upper()}: {message}",
            data={"step": key, "reason": reason, "messages": queued, "silent": silent},
        )
    )
    return step


def advance(outing: Outing, now: datetime, cache: Cache | None = None) -> int:
    """Take every step that has come due and resend unanswered alerts; returns steps taken."""
    cache = {} if cache is None else cache
    taken = 0
    raced = False
    if ladder_running(outing):
        fired = {s.step_key for s in outing.steps}
        for planned in sorted(planned_steps(outing), key=lambda p: p.at):
            if planned.at <= now and planned.key not in fired:
                s = planned.step
                step = fire(
                    outing,
                    planned.key,
                    level=s.level,
                    reason=planned.reason,
                    recipients=s.recipients,
                    message=s.message,
                    needs_ack=s.needs_ack,
                    now=now,
                    cache=cache,
                )
                taken += step is not None
                raced = raced or step is None
    for step in outing.steps:
        if keeps_resending(outing, step) and step.last_sent_at + resend_interval() <= now:
            step.resends += 1
            step.last_sent_at = now
            _queue_messages(outing, step, step.resends, cache)
    if raced:  # someone else took a step: read the steps again before planning the next look
        db.session.expire(outing, ["steps"])
    outing.next_step_at = next_step_at(outing)
    return taken


@dataclass
class TickResult:
    steps: int = 0
    failed: list[int] | None = None  # outings that could not be processed this pass


def _due_outings(now: datetime, batch: int, seen: set[int], ids: list[int] | None = None):
    query = (
        select(Outing)
        .where(Outing.next_step_at.is_not(None), Outing.next_step_at <= now)
        .order_by(Outing.next_step_at, Outing.id)
        .limit(batch)
        .options(
            selectinload(Outing.steps),
            selectinload(Outing.clients),
            selectinload(Outing.coworkers),
            selectinload(Outing.worker),
            selectinload(Outing.buddy),
        )
    )
    if seen:  # never take the same outing twice in one pass
        query = query.where(Outing.id.not_in(seen))
    if ids is not None:
        query = query.where(Outing.id.in_(ids))
    if db.engine.dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True, of=Outing)
    return db.session.scalars(query).all()


def _advance_all(outings, now: datetime, cache: Cache) -> int:
    with db.session.no_autoflush:  # one flush for the whole batch at commit, not one per step
        taken = sum(advance(outing, now, cache) for outing in outings)
    db.session.commit()
    return taken


def tick(now: datetime | None = None, batch: int = 500) -> TickResult:
    """One watcher pass: take every due step of every outing.

    On PostgreSQL the outings are claimed with FOR UPDATE SKIP LOCKED, so several watchers share
    the work and never hold the same outing; the unique (outing, step) key settles any race.
    If a batch fails, its outings are retried one at a time so that one bad outing cannot hold
    up the others; one that still fails is looked at again in a minute and reported.
    """
    now = now or clock.now()
    result = TickResult(failed=[])
    seen: set[int] = set()
    cache: Cache = {}
    while True:
        outings = _due_outings(now, batch, seen)
        ids = [o.id for o in outings]
        seen.update(ids)
        try:
            result.steps += _advance_all(outings, now, cache)
        except Exception:
            db.session.rollback()
            for outing_id in ids:
                try:
                    result.steps += _advance_all(_due_outings(now, 1, set(), [outing_id]), now, {})
                except Exception:
                    db.session.rollback()
                    log.exception("lone working: outing %s could not be processed", outing_id)
                    result.failed.append(outing_id)
                    db.session.execute(
                        update(Outing)
                        .where(Outing.id == outing_id)
                        .values(next_step_at=now + timedelta(minutes=1))
                    )
                    db.session.commit()
        if len(ids) < batch:
            return result


def replan_open_outings() -> int:
    """Recompute every open outing's next look, e.g. after the ladder's configuration changed
    (the watcher does this when it starts). Returns how many changed."""
    changed = 0
    outings = db.session.scalars(
        select(Outing).where(Outing.status != RESOLVED).options(selectinload(Outing.steps))
    ).all()
    for outing in outings:
        planned = next_step_at(outing)
        if planned != outing.next_step_at:
            outing.next_step_at = planned
            changed += 1
    db.session.commit()
    return changed


# --- heartbeat -------------------------------------------------------------------------------


def beat(name: str, now: datetime | None = None) -> None:
    now = now or clock.now()
    heartbeat = db.session.get(WatcherHeartbeat, name)
    if heartbeat is None:
        db.session.add(WatcherHeartbeat(name=name, beat_at=now))
    else:
        heartbeat.beat_at = now
    db.session.commit()


def watcher_status(now: datetime | None = None) -> str:
    """'ok' when some watcher has beaten in the last two minutes, else 'stale'."""
    now = now or clock.now()
    return watcher_status_from(db.session.scalar(last_heartbeat()), now)


def last_heartbeat():
    """The latest watcher heartbeat (a poll's version query uses it as a subquery)."""
    return select(func.max(WatcherHeartbeat.beat_at))


def watcher_status_from(last: datetime | None, now: datetime) -> str:
    return "ok" if last is not None and now - last <= HEARTBEAT_STALE else "stale"
