"""Check in by text message: GOV.UK Notify forwards texts sent to a unit's inbound number.

A text from a worker's phone acts through the same functions as the buttons ("BACK 1234" is
``outings.check_in`` with that PIN, so the duress PIN stays silent and a wrong PIN is counted by
the same limit). Anyone can send a text claiming any number, so everything but SOS needs the
worker's PIN; a number no one or two people have does nothing. The message text is never kept
(it holds a PIN): only the command it was read as and what came of it, in ``inbound_sms`` and,
when a worker's outing is concerned, in the outing's timeline.
"""

import re
from dataclasses import dataclass

from flask import current_app
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from app.auth import limits
from app.auth.models import User
from app.core import clock
from app.extensions import db
from app.lone_working import duty, outings
from app.lone_working.board import open_outing_for
from app.lone_working.models import InboundSms, Outing, OutingEvent
from app.notify.channels import available_channels
from app.notify.models import EMERGENCY, ROUTINE
from app.notify.services import enqueue

MAX_MESSAGE = 612  # four SMS parts; anything longer is not a command
EXTEND_MINUTES = (15, 30, 60)  # what the Extend button offers
PIN = re.compile(r"[0-9]{4,12}")

# Outcomes, as recorded and shown in the timeline.
OUTCOME_TEXT = {
    "checked_in": "checked in",
    "already": "already checked in, nothing changed",
    "welfare_ok": "welfare check answered",
    "extended": "extended",
    "sos": "SOS raised",
    "sos_already": "SOS already raised, nothing changed",
    "wrong_pin": "wrong PIN, nothing changed",
    "pins_paused": "PIN check-in paused after wrong PINs, leads alerted",
    "no_pin": "no PIN given, nothing changed",
    "not_understood": "not understood, nothing changed",
    "refused": "refused, nothing changed",
    "not_out": "the sender is not checked out",
    "unknown_number": "unknown number, nothing changed",
    "shared_number": "a number two staff share, nothing changed",
    "rate_limited": "too many texts from this number, nothing changed",
    "too_long": "too long to be a command, nothing changed",
}
# What the worker's phone is told back (never for an unknown or shared number). A duress PIN
# gets the same words as the right PIN.
REPLY = {
    "checked_in": "Waypoint: you are checked in. Thank you.",
    "already": "Waypoint: you were already checked in. Nothing has changed.",
    "welfare_ok": "Waypoint: your welfare check is recorded.",
    "extended": "Waypoint: extended. You are now due back at {due}.",
    "sos": "Waypoint: your SOS has been raised and the leads are being alerted now. "
    "If you can, call 999.",
    "sos_already": "Waypoint: your SOS is already being sent to the leads until one answers. "
    "If you can, call 999.",
    "wrong_pin": "Waypoint: that PIN is not right, so nothing has changed. "
    "Text again with your PIN, or phone the unit.",
    "pins_paused": "Waypoint: check-in by PIN is paused after too many wrong PINs. "
    "Phone the unit now to tell them you are safe.",
    "no_pin": "Waypoint: nothing has changed. Text BACK, OK or EXTEND 30 followed by your PIN, "
    "or SOS.",
    "not_understood": "Waypoint: that text was not understood, so nothing has changed. Text "
    "BACK 1234, OK 1234 or EXTEND 30 1234 with your PIN in place of 1234, or SOS.",
    "refused": "Waypoint: that could not be done, so nothing has changed. Phone the unit.",
    "not_out": "Waypoint: you are not checked out, so nothing has changed.",
    "too_long": "Waypoint: that text was not understood, so nothing has changed.",
}
SOS_NOT_OUT = (
    "SOS texted to Waypoint from {name}'s phone. They are not checked out on Waypoint. "
    "Phone them now, then follow the emergency procedure."
)


class BadCallback(ValueError):
    """The body is not a Notify inbound-SMS callback."""


@dataclass(frozen=True)
class Text:
    notify_id: str
    source_number: str
    message: str


@dataclass(frozen=True)
class Command:
    word: str  # back | ok | extend | sos | unknown
    pin: str | None = None
    minutes: int | None = None
    problem: str = ""  # an outcome when the text cannot be acted on as it stands


def parse_callback(body: object) -> Text:
    """Notify's fields: id, source_number, destination_number, message, date_received."""
    if not isinstance(body, dict):
        raise BadCallback("not a JSON object")
    notify_id, number, message = body.get("id"), body.get("source_number"), body.get("message")
    if not isinstance(notify_id, str) or not 1 <= len(notify_id) <= 64:
        raise BadCallback("id")
    if not isinstance(number, str) or not 1 <= len(number) <= 32:
        raise BadCallback("source_number")
    if not isinstance(message, str):
        raise BadCallback("message")
    return Text(notify_id.strip(), number, message)


def normalise_number(number: str) -> str:
    """UK mobile numbers in one form: '+44 7700 900111', '447700900111', '07700900111' alike."""
    digits = "".join(c for c in number if c in "0123456789")
    if digits.startswith("00"):
        digits = digits[2:]
    if digits.startswith("44"):
        digits = "0" + digits[2:]
    return digits


def parse_command(message: str) -> Command:
    if len(message) > MAX_MESSAGE:
        return Command("unknown", problem="too_long")
    words = message.upper().split()
    if not words:
        return Command("unknown", problem="not_understood")
    word, rest = words[0].strip(".!"), words[1:]
    if word == "SOS":
        return Command("sos")
    if word not in ("BACK", "OK", "EXTEND"):
        return Command("unknown", problem="not_understood")
    minutes = None
    if word == "EXTEND":
        if not rest or not rest[0].isascii() or not rest[0].isdigit():
            return Command("extend", problem="not_understood")
        minutes = int(rest[0]) if len(rest[0]) <= 3 else 0
        if minutes not in EXTEND_MINUTES:
            return Command("extend", problem="not_understood")
        rest = rest[1:]
    if not rest:
        return Command(word.lower(), minutes=minutes, problem="no_pin")
    if len(rest) > 1 or not PIN.fullmatch(rest[0]):
        return Command(word.lower(), minutes=minutes, problem="not_understood")
    return Command(word.lower(), pin=rest[0], minutes=minutes)


def _sender(number: str) -> tuple[User | None, str]:
    """The one active staff member with this phone number; else None and why."""
    wanted = normalise_number(number)
    if len(wanted) < 10:
        return None, "unknown_number"
    people = [
        u
        for u in db.session.scalars(select(User).where(User.active, User.phone != "")).all()
        if normalise_number(u.phone) == wanted
    ]
    if not people:
        return None, "unknown_number"
    if len(people) > 1:
        return None, "shared_number"
    return people[0], ""


def receive(body: object) -> tuple[str, InboundSms | None]:
    """Act on one forwarded text. Returns (outcome, row); ('duplicate', None) for a replay.

    Raises BadCallback for a body that is not Notify's shape. The caller commits. Counting
    (the PIN limit, this number's limit) happens before this session writes anything: the
    counts live in their own connection, which SQLite would otherwise make wait for ours."""
    text = parse_callback(body)
    if db.session.scalar(select(InboundSms.id).where(InboundSms.notify_id == text.notify_id)):
        return "duplicate", None
    sender_hash = limits.keyed_hash(normalise_number(text.source_number) or text.source_number)
    row = InboundSms(notify_id=text.notify_id, received_at=clock.now(), sender_hash=sender_hash)
    command = parse_command(text.message)
    row.command = command.word
    user, problem = _sender(text.source_number)
    row.user_id = user.id if user else None
    limited = limits.reached("SMS_LIMIT_PER_NUMBER", "sms", sender_hash)
    if user is None:
        outcome = "rate_limited" if limited else problem
    elif limited and command.word != "sos":  # an SOS is never held back
        outcome = "rate_limited"
    else:
        outcome = _act(row, user, command)
    row.outcome = outcome
    if outcome in ("unknown_number", "shared_number", "not_understood", "too_long", "no_pin"):
        limits.count("SMS_LIMIT_PER_NUMBER", "sms", sender_hash)
    db.session.add(row)
    try:
        db.session.flush()  # the unique Notify id is the decision: a replay racing us stops here
    except IntegrityError:
        db.session.rollback()
        return "duplicate", None
    if row.outing_id is not None:
        _timeline(row, user, command, outcome)
    if user is not None and outcome in REPLY:
        _reply(row, user, outcome)
    return outcome, row


def _act(row: InboundSms, user: User, command: Command) -> str:
    outing = open_outing_for(user.id)
    if outing is None and command.word in ("back", "ok") and not command.problem:
        outing = _latest_checked_in(user)  # a BACK sent twice: "already", said plainly
    if outing is None:
        if command.word == "sos":
            _sos_without_outing(row, user)
            return "sos"
        return "not_out"
    row.outing_id = outing.id
    if command.problem:
        return command.problem
    try:
        if command.word == "sos":
            return "sos" if outings.sos(outing, user) else "sos_already"
        if command.word == "back":
            result = outings.check_in(outing, user, command.pin or "", via="sms")
            return "checked_in" if result == "checked_in" else "already"
        if command.word == "ok":
            outings.welfare_ok(outing, user, pin=command.pin or "")
            return "welfare_ok"
        outings.extend(
            outing, user, command.minutes or 0, "Extended by text message", pin=command.pin or ""
        )
        return "extended"
    except outings.PinsPaused:
        return "pins_paused"  # the leads' alert it raised stands
    except outings.WrongPin:
        return "wrong_pin"
    except outings.LoneWorkingError:
        return "refused"


def _latest_checked_in(user: User) -> Outing | None:
    latest = db.session.scalar(
        select(Outing).where(Outing.worker_id == user.id).order_by(Outing.id.desc()).limit(1)
    )
    if latest is not None and latest.checked_in_at is not None:
        return latest
    return None


def _timeline(row: InboundSms, user: User | None, command: Command, outcome: str) -> None:
    word = command.word.upper() if command.word != "unknown" else "a message"
    what = f"Text from the worker's phone: {word}"
    if command.pin:
        what += " with a PIN"
    db.session.add(
        OutingEvent(
            outing_id=row.outing_id,
            at=clock.now(),
            kind="sms",
            actor_id=user.id if user else None,
            text=f"{what}: {OUTCOME_TEXT.get(outcome, outcome)}.",
            data={"command": command.word, "outcome": outcome, "inbound": row.id},
        )
    )


def _reply(row: InboundSms, user: User, outcome: str) -> None:
    if "sms" not in available_channels(current_app.config) or not user.phone:
        return
    body = REPLY[outcome]
    if "{due}" in body:
        outing = db.session.get(Outing, row.outing_id)
        body = body.format(due=f"{clock.to_london(outing.expected_return):%H:%M}")
    enqueue(
        dedupe_key=f"sms-reply:{row.id}",
        topic="outing" if row.outing_id else "sms",
        topic_id=row.outing_id or row.id,
        channel="sms",
        address=user.phone,
        body=body,
        recipient_id=user.id,
        priority=ROUTINE,
    )


def _sos_without_outing(row: InboundSms, user: User) -> None:
    """An SOS from a known phone with no outing open: every lead of their unit is told."""
    channels = available_channels(current_app.config)
    for lead in duty.unit_leads_and_admins(user.home_unit_id):
        for channel, address in (("sms", lead.phone), ("email", lead.email)):
            if channel not in channels or not address or lead.id == user.id:
                continue
            enqueue(
                dedupe_key=f"sms-sos:{row.notify_id}:{lead.id}:{channel}",
                topic="sms",
                topic_id=user.id,
                channel=channel,
                address=address,
                subject="Waypoint: SOS",
                body=SOS_NOT_OUT.format(name=user.name),
                recipient_id=lead.id,
                priority=EMERGENCY,
            )
