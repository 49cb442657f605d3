"""An outing's lifecycle: check out, check in (PIN and duress PIN), extend, welfare, SOS,
acknowledge and resolve. Each change records an event and an audit row and re-plans the ladder."""

from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from app.audit.services import record
from app.auth import limits
from app.auth.models import User
from app.core import clock
from app.extensions import db
from app.lone_working import ladder as ladder_config
from app.lone_working.board import open_outing_for
from app.lone_working.escalation import fire
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
)
from app.lone_working.planning import ladder_running, next_step_at, unacknowledged

MAX_AHEAD = timedelta(hours=12)
OUTCOMES = {
    "returned_safe": "Returned safe",
    "contacted_safe_extended": "Contacted, safe, extended",
    "emergency_procedure_followed": "Emergency procedure followed",
}


class LoneWorkingError(Exception):
    """A request that cannot be carried out; the message is for the person who made it."""


class NotYours(LoneWorkingError):
    pass


class WrongPin(LoneWorkingError):
    pass


class PinsPaused(LoneWorkingError):
    """Too many wrong PINs: refused, but the leads' alert it may have raised must be saved."""


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
        buddy_phone=data.get("buddy_phone") or "",
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


def _audit(outing: Outing, action: str, actor: User, **extra) -> None:
    """The audit row for a change to an outing (ids and flags only, never free text)."""
    record(action, "outing", outing.id, actor=actor, unit_id=outing.unit_id, extra=extra or None)


def _require_on_outing(outing: Outing, actor: User) -> None:
    if actor.id not in {p.id for p in outing.people_out()}:
        raise NotYours("Only the people on this outing can do that. A lead can resolve it.")


# A phone's clock may run a little ahead of the server's: a press this far "in the future" is
# taken as pressed now; further ahead, the time is refused and flagged.
CLOCK_SKEW = timedelta(minutes=2)


def pressed_time(outing: Outing, raw: str | None, now: datetime) -> tuple[datetime | None, bool]:
    """The moment a queued "I'm back" was pressed, from the browser's ISO text.

    Returns (moment, refused). None and not refused when nothing was sent; None and refused when
    the text is not a time, is in the future, or is before the outing started (the arrival time
    is used instead, and the check-in is flagged)."""
    if not raw:
        return None, False
    try:
        moment = datetime.fromisoformat(raw.strip().replace("Z", "+00:00"))
    except ValueError:
        return None, True
    if moment.tzinfo is None or not (outing.checked_out_at <= moment <= now + CLOCK_SKEW):
        return None, True
    return min(moment, now), False


def check_pin(outing: Outing, actor: User, pin: str) -> str:
    """'checkin', 'duress' or 'none' (no PIN set); a wrong PIN is counted and raises.

    The one PIN rule for every way in (the button, a queued check-in, a text message)."""
    match = actor.pin_matches(pin) if (actor.checkin_pin_hash or actor.duress_pin_hash) else "none"
    if match != "duress":  # the duress PIN always works: it is a right PIN, never counted
        _refuse_while_pins_paused(outing, actor, wrong=match is None)
    return match or "none"


def _raise_duress(outing: Outing, now: datetime) -> None:
    """The top step, silently: the worker's screens and texts look as if all is well."""
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


def check_in(
    outing: Outing,
    actor: User,
    pin: str = "",
    pressed: str | None = None,
    via: str = "app",
) -> str:
    """Check in. Returns 'checked_in', 'already' (nothing changed) or raises.

    With the duress PIN the answer and the screen are those of a normal check-in, but the top
    step is raised silently for the leads. ``pressed`` is the moment a check-in queued on a
    phone without signal was pressed (kept beside the arrival time, see ``pressed_time``); a
    second delivery of the same queued check-in finds the outing checked in and does nothing.
    """
    _require_on_outing(outing, actor)
    _lock(outing)
    if outing.checked_in_at is not None or outing.status not in OPEN_STATUSES:
        return "already"
    match = check_pin(outing, actor, pin)
    now = clock.now()
    pressed_at, refused = pressed_time(outing, pressed, now)
    outing.checked_in_at = now
    outing.checked_in_by_id = actor.id
    outing.checkin_pressed_at = pressed_at
    extra = {"via": via}
    if pressed_at is not None:
        extra["pressed"] = pressed_at.isoformat()
    if refused:
        extra["pressed_refused"] = True
    _event(outing, "checked_in", actor, **extra)
    if match == "duress":
        _raise_duress(outing, now)
    else:
        outing.status = BACK
    outing.next_step_at = next_step_at(outing)
    _audit(outing, "check_in", actor, **{k: v for k, v in extra.items() if k != "pressed"})
    return "checked_in"


PIN_PAUSED_MESSAGE = (
    "Check-in by PIN is paused after {n} wrong PINs. Phone the unit now to tell them you are "
    "safe: a lead has been alerted. You can use your PIN again in {minutes} minutes."
)


def _refuse_while_pins_paused(outing: Outing, actor: User, wrong: bool) -> None:
    """Count a wrong PIN (per person, in storage every worker shares); pause PIN check-ins.

    A refused PIN never stops anything: the outing stays open and its ladder keeps running.
    The try that reaches the limit alerts the leads (a step they must acknowledge) and the audit.
    """
    paused = PinsPaused(
        PIN_PAUSED_MESSAGE.format(
            n=limits.amount("PIN_LIMIT_PER_USER"),
            minutes=limits.window_minutes("PIN_LIMIT_PER_USER"),
        )
    )
    if limits.reached("PIN_LIMIT_PER_USER", "pin", str(actor.id)):
        raise paused
    if not wrong:
        return
    tries = limits.count("PIN_LIMIT_PER_USER", "pin", str(actor.id))
    if tries < limits.amount("PIN_LIMIT_PER_USER"):
        raise WrongPin("That PIN is not right. Try again.")
    now = clock.now()
    _event(outing, "pins_paused", actor, wrong_pins=tries)
    fire(
        outing,
        f"e{outing.episode}:pins_paused",
        level="red",
        reason="pins_paused",
        recipients=("leads_on_duty",),
        message=f"{tries} wrong check-in PINs were entered on a worker's phone. Phone them now.",
        needs_ack=True,
        now=now,
    )
    outing.next_step_at = next_step_at(outing)
    _audit(outing, "pins_paused", actor, wrong_pins=tries)
    raise paused


def extend(
    outing: Outing, actor: User, minutes: int, reason: str, pin: str | None = None
) -> datetime:
    """Move the due time on. ``pin`` (a text message's) is checked by the one PIN rule; the
    duress PIN extends as asked and raises the top step silently."""
    _require_on_outing(outing, actor)
    _lock(outing)
    if not ladder_running(outing):
        raise LoneWorkingError("This outing is already closed, so it cannot be extended.")
    match = check_pin(outing, actor, pin) if pin is not None else "none"
    now = clock.now()
    old = outing.expected_return
    new = max(old, now) + timedelta(minutes=minutes)
    if new - now > MAX_AHEAD:
        raise LoneWorkingError("An outing cannot run more than 12 hours ahead. Check in instead.")
    outing.expected_return = new
    if outing.status == OVERDUE:
        outing.status = OUT
    if match == "duress":
        _raise_duress(outing, now)
    outing.next_step_at = next_step_at(outing)
    _event(
        outing, "extended", actor, reason, minutes=minutes, old=old.isoformat(), new=new.isoformat()
    )
    _audit(outing, "extend", actor, minutes=minutes)
    return new


def welfare_update(outing: Outing, actor: User, text: str) -> None:
    """A short note from the worker; it resets no timer."""
    _require_on_outing(outing, actor)
    if not ladder_running(outing):
        raise LoneWorkingError("This outing is already closed.")
    _event(outing, "welfare_update", actor, text.strip())
    _audit(outing, "welfare_update", actor)


def welfare_ok(outing: Outing, actor: User, pin: str | None = None) -> None:
    """The worker answers a welfare check: the next one falls due an interval from now.
    ``pin`` as for ``extend`` (a text message's)."""
    _require_on_outing(outing, actor)
    _lock(outing)
    if not ladder_running(outing):
        raise LoneWorkingError("This outing is already closed.")
    match = check_pin(outing, actor, pin) if pin is not None else "none"
    outing.last_welfare_at = clock.now()
    if match == "duress":
        _raise_duress(outing, outing.last_welfare_at)
    outing.next_step_at = next_step_at(outing)
    _event(outing, "welfare_ok", actor)
    _audit(outing, "welfare_ok", actor)


Location = tuple[float, float, float | None]  # latitude, longitude, accuracy in metres


def sos(outing: Outing, actor: User, location: Location | None = None) -> bool:
    """Raise the top step now. False when an SOS of this outing is still unacknowledged (a double
    tap changes nothing); after a lead has acknowledged one, a new SOS is a new alert. An SOS on
    an outing that was checked in or resolved reopens it: the person is evidently still out."""
    _require_on_outing(outing, actor)
    _lock(outing)
    earlier = [s for s in outing.steps if s.reason == "sos"]
    waiting = [s for s in earlier if s.acknowledged_at is None]
    if waiting:
        if location is not None and waiting[-1].latitude is None:
            waiting[-1].latitude, waiting[-1].longitude, waiting[-1].accuracy_m = location
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
    if location is not None:  # kept on this SOS alone (issue 10 item 5)
        step.latitude, step.longitude, step.accuracy_m = location
    outing.sos_at = now
    if outing.status not in OPEN_STATUSES:
        outing.status = ESCALATED
        outing.resolved_at = None
        outing.outcome = ""
    outing.next_step_at = next_step_at(outing)
    _event(outing, "sos", actor)
    _audit(outing, "sos", actor)
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
    _audit(outing, "acknowledge", lead, step=step.step_key)
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
    _audit(outing, "resolve", lead, outcome=outcome)
