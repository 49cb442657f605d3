"""Lone working: check-out, check-in, extensions, welfare, SOS, duress, and the escalation ladder.

The safety rule: an overdue worker who is not escalated is the worst bug this product can have.
So every outing carries ``next_step_at``, the earliest moment the watcher has something to do for
it, recomputed after every change; the watcher takes every outing whose moment has come. A step
is decided by inserting a unique (outing, step) row, and its messages go into the outbox in the
same transaction: a crash loses nothing, and a second watcher cannot decide the same step again.
"""

import csv
import io
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import func, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from app.audit.services import record
from app.auth.models import User
from app.core import clock
from app.extensions import db
from app.lone_working import ladder as ladder_config
from app.lone_working.duty import on_duty, unit_leads_and_admins
from app.lone_working.models import (
    BACK,
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
from app.notify.channels import available_channels
from app.notify.services import enqueue

log = logging.getLogger("waypoint.lone_working")

LEVEL_ORDER = {"ok": 0, "due": 1, "amber": 2, "red": 3, "sos": 4}
MAX_AHEAD = timedelta(hours=12)
HEARTBEAT_STALE = timedelta(minutes=2)
OUTCOMES = {
    "returned_safe": "Returned safe",
    "contacted_safe_extended": "Contacted, safe, extended",
    "emergency_procedure_followed": "Emergency procedure followed",
}


class LoneWorkingError(Exception):
    """A request that cannot be carried out; the message is for the person who made it."""


class NotYours(LoneWorkingError):
    pass


# --- configuration ---------------------------------------------------------------------------


def ladder() -> tuple[ladder_config.Step, ...]:
    return current_app.extensions["lone_working_ladder"]


def resend_interval() -> timedelta:
    return timedelta(minutes=current_app.config["LONE_WORKING_RESEND_MINUTES"])


def configured_channels() -> set[str]:
    return available_channels(current_app.config)


# --- planning --------------------------------------------------------------------------------


@dataclass(frozen=True)
class PlannedStep:
    key: str
    at: datetime
    reason: str
    step: ladder_config.Step


def planned_steps(outing: Outing) -> list[PlannedStep]:
    """Every ladder step this outing would take if nobody did anything, with its moment."""
    plan = [
        PlannedStep(
            f"e{outing.episode}:{s.key}",
            outing.expected_return + timedelta(minutes=s.after_minutes),
            "overdue",
            s,
        )
        for s in ladder()
    ]
    if outing.welfare_interval_minutes:
        deadline = outing.last_welfare_at + timedelta(minutes=outing.welfare_interval_minutes)
        if deadline < outing.expected_return:
            cycle = int(outing.last_welfare_at.timestamp())
            plan += [
                PlannedStep(
                    f"w{cycle}:{s.key}", deadline + timedelta(minutes=s.after_minutes), "welfare", s
                )
                for s in ladder()
            ]
    return plan


def ladder_running(outing: Outing) -> bool:
    return outing.status in OPEN_STATUSES and outing.checked_in_at is None


def unacknowledged(outing: Outing) -> list[EscalationStep]:
    return [s for s in outing.steps if s.needs_ack and s.acknowledged_at is None]


PANIC_REASONS = ("sos", "duress")


def keeps_resending(outing: Outing, step: EscalationStep) -> bool:
    """An unacknowledged alert is sent again while the outing is open; an SOS or duress alert
    whatever the outing's state, until a lead acknowledges it."""
    return (
        step.needs_ack
        and step.acknowledged_at is None
        and (outing.status in OPEN_STATUSES or step.reason in PANIC_REASONS)
    )


def next_step_at(outing: Outing) -> datetime | None:
    """The earliest moment the watcher must look at this outing again, or None."""
    fired = {s.step_key for s in outing.steps}
    moments = []
    if ladder_running(outing):
        moments += [p.at for p in planned_steps(outing) if p.key not in fired]
    moments += [
        s.last_sent_at + resend_interval() for s in outing.steps if keeps_resending(outing, s)
    ]
    return min(moments) if moments else None


def _current(outing: Outing, step: EscalationStep) -> bool:
    """Steps of this episode and welfare cycle, and panic alerts nobody has acknowledged."""
    if step.reason in PANIC_REASONS:
        return step.acknowledged_at is None
    if step.reason == "welfare":
        return step.step_key.startswith(f"w{int(outing.last_welfare_at.timestamp())}:")
    return step.step_key.startswith(f"e{outing.episode}:")


def level(outing: Outing, now: datetime | None = None) -> str:
    """The board's colour now: ok, due, amber, red or sos."""
    now = now or clock.now()
    levels = [s.level for s in outing.steps if _current(outing, s)]
    if ladder_running(outing) and now >= outing.expected_return:
        levels.append("due")
    return max(levels, key=LEVEL_ORDER.__getitem__, default="ok")


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


def _addresses(person: User, channels: set[str]) -> list[tuple[str, str]]:
    """The (channel, address) pairs this person can be reached on."""
    pairs = [("sms", person.phone), ("email", person.email)]
    return [(channel, address) for channel, address in pairs if channel in channels and address]


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
    if not people and names != ["worker"]:
        # Nobody left to tell (e.g. the buddy is out too): never let a step go unheard.
        add(everyone())
    return list(people.values())


def compose(outing: Outing, message: str, reason: str) -> str:
    """The text of an alert: initials, place and due time only, never a client's name."""
    due = clock.to_london(outing.expected_return).strftime("%H:%M")
    prefix = "Missed welfare check. " if reason == "welfare" else ""
    names = ", ".join(p.name for p in outing.people_out())
    return (
        f"Waypoint: {prefix}{message} {names} at {outing.destination} with clients "
        f"{outing.client_initials}, due back {due}. Phone {outing.contact_number}."
    )


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
        return [u for u in users if _addresses(u, channels)]

    people = reachable(_recipients(outing, names, cache))
    if not people and names != ["worker"]:
        # Those named cannot be reached (no phone, no email on a working channel): widen to the
        # unit's leads and admins, then to every admin of the Trust, rather than tell nobody.
        people = reachable(
            [u for u in _everyone(outing.unit_id, cache) if u.id not in out_now]
        ) or reachable([u for u in _trust_admins(cache) if u.id not in out_now])
    queued = 0
    for person in people:
        for channel, address in _addresses(person, channels):
            enqueue(
                dedupe_key=f"outing:{outing.id}:{step.step_key}:{send_no}:{person.id}:{channel}",
                topic="outing",
                topic_id=outing.id,
                channel=channel,
                address=address,
                subject=subject,
                body=body,
                recipient_id=person.id,
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
    whoever inserts it has decided, and only they queue its messages.
    """
    step = _insert_step(
        {
            "outing_id": outing.id,
            "step_key": key,
            "level": level,
            "reason": reason,
            "fired_at": now,
            "last_sent_at": now,
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
            at=now,
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
    last = db.session.scalar(select(func.max(WatcherHeartbeat.beat_at)))
    return "ok" if last is not None and now - last <= HEARTBEAT_STALE else "stale"


# --- what people do --------------------------------------------------------------------------


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


OUTING_ENDPOINTS = {
    "lone_working.mine",
    "lone_working.check_in",
    "lone_working.extend",
    "lone_working.welfare",
    "lone_working.welfare_ok",
    "lone_working.sos",
}
SESSION_GRACE = timedelta(hours=3)


def keeps_session_alive(user: User, endpoint: str | None) -> bool:
    """While someone is out, the idle timeout must not log them out of their own outing's
    screen, check-in or SOS (up to 3 hours past the expected return); other pages still time
    out."""
    if endpoint not in OUTING_ENDPOINTS:
        return False
    outing = open_outing_for(user.id)
    return outing is not None and clock.now() < outing.expected_return + SESSION_GRACE


def _event(outing: Outing, kind: str, actor: User | None, text: str = "", **data) -> None:
    db.session.add(
        OutingEvent(
            outing_id=outing.id,
            at=clock.now(),
            kind=kind,
            actor_id=actor.id if actor else None,
            text=text,
            data=data,
        )
    )


def _lock(outing: Outing) -> Outing:
    """Re-read the outing under a row lock (PostgreSQL) so a watcher tick cannot interleave."""
    if db.engine.dialect.name == "postgresql":
        db.session.execute(select(Outing.id).where(Outing.id == outing.id).with_for_update())
        db.session.refresh(outing)
    return outing


def check_out(worker: User, unit_id: int, data: dict, request_key: str) -> Outing:
    """Record an outing from validated form data; the same request_key twice is one outing."""
    existing = db.session.scalar(select(Outing).where(Outing.request_key == request_key))
    if existing is not None:
        return existing
    now = clock.now()
    from app.auth.models import User as UserModel
    from app.clients.models import Client

    outing = Outing(
        unit_id=unit_id,
        worker_id=worker.id,
        buddy_id=data.get("buddy_id") or None,
        destination=data["destination"].strip(),
        purpose=(data.get("purpose") or "").strip(),
        transport=data.get("transport") or "",
        contact_number=data["contact_number"].strip(),
        alarm_device_id=(data.get("alarm_device_id") or "").strip()
        if data.get("alarm_carried")
        else "",
        welfare_interval_minutes=data.get("welfare_interval") or None,
        checked_out_at=now,
        last_welfare_at=now,
        expected_return=data["expected_return"],
        status=OUT,
        request_key=request_key,
    )
    outing.clients = [db.session.get(Client, i) for i in data.get("client_ids", [])]
    outing.coworkers = [db.session.get(UserModel, i) for i in data.get("coworker_ids", [])]
    db.session.add(outing)
    try:
        db.session.flush()
    except IntegrityError:
        db.session.rollback()
        existing = db.session.scalar(select(Outing).where(Outing.request_key == request_key))
        if existing is None:
            raise
        return existing
    outing.next_step_at = next_step_at(outing)
    _event(outing, "checked_out", worker, due=outing.expected_return.isoformat())
    record("check_out", "outing", outing.id, actor=worker, unit_id=unit_id)
    return outing


def _require_on_outing(outing: Outing, actor: User) -> None:
    if actor.id not in {p.id for p in outing.people_out()}:
        raise NotYours("Only the people on this outing can do that. A lead can resolve it.")


def check_in(outing: Outing, actor: User, pin: str = "") -> str:
    """Check in. Returns 'checked_in', 'already' (nothing changed) or raises.

    With the duress PIN the answer and the screen are those of a normal check-in, but the top
    step is raised silently for the leads.
    """
    _require_on_outing(outing, actor)
    _lock(outing)
    if outing.checked_in_at is not None or outing.status not in OPEN_STATUSES:
        return "already"
    match = actor.pin_matches(pin) if (actor.checkin_pin_hash or actor.duress_pin_hash) else "none"
    if match is None:
        raise LoneWorkingError("That PIN is not right. Try again.")
    now = clock.now()
    outing.checked_in_at = now
    outing.checked_in_by_id = actor.id
    _event(outing, "checked_in", actor)
    if match == "duress":
        fire(
            outing,
            "duress",
            level="sos",
            reason="duress",
            recipients=("all_leads",),
            message=ladder_config.DURESS_MESSAGE,
            needs_ack=True,
            now=now,
            silent=True,
        )
        outing.status = ESCALATED
    else:
        outing.status = BACK
    outing.next_step_at = next_step_at(outing)
    record("check_in", "outing", outing.id, actor=actor, unit_id=outing.unit_id)
    return "checked_in"


def extend(outing: Outing, actor: User, minutes: int, reason: str) -> datetime:
    _require_on_outing(outing, actor)
    _lock(outing)
    if not ladder_running(outing):
        raise LoneWorkingError("This outing is already closed, so it cannot be extended.")
    now = clock.now()
    old = outing.expected_return
    new = max(old, now) + timedelta(minutes=minutes)
    if new - now > MAX_AHEAD:
        raise LoneWorkingError("An outing cannot run more than 12 hours ahead. Check in instead.")
    outing.expected_return = new
    if outing.status == OVERDUE:
        outing.status = OUT
    outing.next_step_at = next_step_at(outing)
    _event(
        outing, "extended", actor, reason, minutes=minutes, old=old.isoformat(), new=new.isoformat()
    )
    record(
        "extend",
        "outing",
        outing.id,
        actor=actor,
        unit_id=outing.unit_id,
        extra={"minutes": minutes},
    )
    return new


def welfare_update(outing: Outing, actor: User, text: str) -> None:
    """A short note from the worker; it resets no timer."""
    _require_on_outing(outing, actor)
    if not ladder_running(outing):
        raise LoneWorkingError("This outing is already closed.")
    _event(outing, "welfare_update", actor, text.strip())
    record("welfare_update", "outing", outing.id, actor=actor, unit_id=outing.unit_id)


def welfare_ok(outing: Outing, actor: User) -> None:
    """The worker answers a welfare check: the next one falls due an interval from now."""
    _require_on_outing(outing, actor)
    _lock(outing)
    if not ladder_running(outing):
        raise LoneWorkingError("This outing is already closed.")
    outing.last_welfare_at = clock.now()
    outing.next_step_at = next_step_at(outing)
    _event(outing, "welfare_ok", actor)
    record("welfare_ok", "outing", outing.id, actor=actor, unit_id=outing.unit_id)


def sos(outing: Outing, actor: User) -> bool:
    """Raise the top step now. False when an SOS of this outing is still unacknowledged (a double
    tap changes nothing); after a lead has acknowledged one, a new SOS is a new alert. An SOS on
    an outing that was checked in or resolved reopens it: the person is evidently still out."""
    _require_on_outing(outing, actor)
    _lock(outing)
    earlier = [s for s in outing.steps if s.reason == "sos"]
    if any(s.acknowledged_at is None for s in earlier):
        return False
    now = clock.now()
    step = fire(
        outing,
        "sos" if not earlier else f"sos-{len(earlier) + 1}",
        level="sos",
        reason="sos",
        recipients=("buddy", "leads_on_duty", "all_leads"),
        message=ladder_config.SOS_MESSAGE,
        needs_ack=True,
        now=now,
    )
    if step is None:
        return False
    outing.sos_at = now
    if outing.status not in OPEN_STATUSES:
        outing.status = ESCALATED
        outing.resolved_at = None
        outing.outcome = ""
    outing.next_step_at = next_step_at(outing)
    _event(outing, "sos", actor)
    record("sos", "outing", outing.id, actor=actor, unit_id=outing.unit_id)
    return True


def acknowledge(step: EscalationStep, lead: User) -> bool:
    """The first lead to acknowledge owns the alert. False if someone already had."""
    _lock(step.outing)  # the outing before its steps, the order the watcher takes them in
    now = clock.now()
    result = db.session.execute(
        update(EscalationStep)
        .where(EscalationStep.id == step.id, EscalationStep.acknowledged_at.is_(None))
        .values(acknowledged_at=now, acknowledged_by_id=lead.id)
        .execution_options(synchronize_session=False)
    )
    db.session.refresh(step)
    if result.rowcount != 1:
        return False
    outing = step.outing
    _event(outing, "acknowledged", lead, step=step.step_key)
    outing.next_step_at = next_step_at(outing)
    record(
        "acknowledge",
        "outing",
        outing.id,
        actor=lead,
        unit_id=outing.unit_id,
        extra={"step": step.step_key},
    )
    return True


def resolve(outing: Outing, lead: User, outcome: str, note: str, minutes: int | None = None):
    """A lead closes the matter. 'Contacted, safe, extended' keeps the outing open with a new
    return time and a fresh ladder; the other outcomes close it."""
    if outcome not in OUTCOMES:
        raise LoneWorkingError("Choose an outcome.")
    _lock(outing)
    if outing.status == RESOLVED:
        raise LoneWorkingError("This outing has already been resolved.")
    now = clock.now()
    for step in unacknowledged(outing):
        step.acknowledged_at = now
        step.acknowledged_by_id = lead.id
    if outcome == "contacted_safe_extended":
        if not minutes or outing.checked_in_at is not None:
            raise LoneWorkingError("Choose how long to extend by.")
        outing.expected_return = now + timedelta(minutes=minutes)
        outing.last_welfare_at = now  # the lead has just spoken to them: a fresh welfare cycle
        outing.episode += 1
        outing.status = OUT
    else:
        outing.status = RESOLVED
        outing.resolved_at = now
        outing.resolved_by_id = lead.id
        outing.outcome = outcome
        outing.resolution_note = note.strip()
    outing.next_step_at = next_step_at(outing)
    _event(outing, "resolved", lead, note.strip(), outcome=outcome, minutes=minutes)
    record(
        "resolve",
        "outing",
        outing.id,
        actor=lead,
        unit_id=outing.unit_id,
        extra={"outcome": outcome},
    )


# --- reading ---------------------------------------------------------------------------------


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


def timeline(outing: Outing, viewer: User | None = None) -> list[dict]:
    """Events, ladder steps and every message with its delivery result, oldest first."""
    from app.notify.models import OutboxMessage

    if viewer is not None and hides_duress_from(outing, viewer):
        silent = {s.step_key for s in outing.steps if s.silent}
        return [
            item
            for item in timeline(outing)
            if not (
                item["data"].get("silent")
                or item["data"].get("step") in silent
                or item["kind"] == "message"
                and item["data"].get("step") in silent
            )
        ]

    items = [
        {"at": e.at, "kind": e.kind, "text": e.text, "actor": e.actor, "data": e.data}
        for e in outing.events
    ]
    for message in db.session.scalars(
        select(OutboxMessage)
        .where(OutboxMessage.topic == "outing", OutboxMessage.topic_id == outing.id)
        .order_by(OutboxMessage.id)
    ):
        items.append(
            {
                "at": message.sent_at or message.created_at,
                "kind": "message",
                "text": f"{message.channel.upper()} to {message.address}: {message.status}"
                + (f" ({message.last_error})" if message.last_error else ""),
                "actor": None,
                "data": {
                    "attempts": message.attempts,
                    "step": ":".join(message.dedupe_key.split(":")[2:-3]),
                },
            }
        )
    for step in outing.steps:
        if step.acknowledged_at:
            who = step.acknowledged_by.name if step.acknowledged_by else "a lead"
            items.append(
                {
                    "at": step.acknowledged_at,
                    "kind": "ack",
                    "text": f"Acknowledged by {who}",
                    "actor": step.acknowledged_by,
                    "data": {"step": step.step_key},
                }
            )
    return sorted(items, key=lambda i: i["at"])


CSV_FIELDS = [
    "outing",
    "unit",
    "worker",
    "co-workers",
    "clients (initials)",
    "destination",
    "purpose",
    "transport",
    "checked out",
    "expected return",
    "checked in",
    "minutes out",
    "extensions",
    "highest alert",
    "sos",
    "outcome",
]


def _csv_safe(value) -> str:
    text = "" if value is None else str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def month_csv(unit_id: int, year: int, month: int) -> str:
    start = datetime(year, month, 1, tzinfo=clock.LONDON)
    end = datetime(year + (month == 12), month % 12 + 1, 1, tzinfo=clock.LONDON)
    outings = db.session.scalars(
        select(Outing)
        .where(
            Outing.unit_id == unit_id, Outing.checked_out_at >= start, Outing.checked_out_at < end
        )
        .order_by(Outing.checked_out_at)
        .options(
            selectinload(Outing.steps),
            selectinload(Outing.events),
            selectinload(Outing.clients),
            selectinload(Outing.coworkers),
        )
    ).all()
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(CSV_FIELDS)
    for o in outings:
        back = o.checked_in_at or o.resolved_at
        writer.writerow(
            [
                _csv_safe(v)
                for v in (
                    o.id,
                    o.unit.name,
                    o.worker.name,
                    len(o.coworkers),
                    o.client_initials,
                    o.destination,
                    o.purpose,
                    o.transport,
                    clock.format_datetime(o.checked_out_at),
                    clock.format_datetime(o.expected_return),
                    clock.format_datetime(o.checked_in_at),
                    int((back - o.checked_out_at).total_seconds() // 60) if back else "",
                    sum(1 for e in o.events if e.kind == "extended"),
                    max((s.level for s in o.steps), key=LEVEL_ORDER.__getitem__, default="none"),
                    "yes" if o.sos_at else "no",
                    OUTCOMES.get(o.outcome, o.status),
                )
            ]
        )
    return buffer.getvalue()
