"""The escalation ladder, as configuration.

Each step fires a number of minutes after the deadline (the expected return, or a missed welfare
check), tells some people through some channels, and sets the board's colour. The default follows
the unit's lone-working policy; ``LONE_WORKING_LADDER`` (JSON, a list of steps) overrides it.

Recipients: ``worker`` (everyone on the outing), ``buddy``, ``leads_on_duty`` (every lead on duty
in the unit, or every lead and admin of the unit when none is), ``all_leads`` (every lead and admin
of the unit).
"""

import json
from dataclasses import dataclass

LEVELS = ("due", "amber", "red", "sos")
RECIPIENTS = ("worker", "buddy", "leads_on_duty", "all_leads")
CHANNELS = ("sms", "email")


@dataclass(frozen=True)
class Step:
    key: str
    after_minutes: int
    recipients: tuple[str, ...]
    level: str
    channels: tuple[str, ...] = ("sms", "email")
    needs_ack: bool = False
    message: str = ""


DEFAULT_LADDER = [
    {
        "key": "prompt",
        "after_minutes": 0,
        "recipients": ["worker"],
        "level": "due",
        "message": "You are due back now. Check in on Waypoint or extend your outing.",
    },
    {
        "key": "prompt-again",
        "after_minutes": 5,
        "recipients": ["worker"],
        "level": "due",
        "message": "You are 5 minutes overdue. Check in on Waypoint or extend now.",
    },
    {
        "key": "buddy",
        "after_minutes": 15,
        "recipients": ["buddy"],
        "level": "amber",
        "message": "Lone worker overdue by 15 minutes. Try to contact them.",
    },
    {
        "key": "leads",
        "after_minutes": 30,
        "recipients": ["leads_on_duty"],
        "level": "red",
        "needs_ack": True,
        "message": "Lone worker overdue by 30 minutes. Acknowledge on the Waypoint board.",
    },
    {
        "key": "emergency",
        "after_minutes": 60,
        "recipients": ["leads_on_duty", "all_leads"],
        "level": "red",
        "needs_ack": True,
        "message": "EMERGENCY PROCEDURE: lone worker overdue by 60 minutes. Call the worker, then "
        "follow the police-contact policy. Acknowledge on the Waypoint board.",
    },
]

WELFARE_PROMPT = "Your welfare check is due. Tap 'I'm OK' on Waypoint (do not check in)."

# SOS and duress go straight to the top: every lead and admin, red, must be acknowledged.
SOS_MESSAGE = "SOS from a lone worker. Call them now, then follow the emergency procedure."
DURESS_MESSAGE = (
    "A lone worker may be under duress (they checked in with their duress PIN). Do not call "
    "them openly; follow the emergency procedure."
)


class LadderError(ValueError):
    pass


def parse(raw: list[dict] | str | None) -> tuple[Step, ...]:
    """Validate a ladder; raise LadderError with a clear message when it is unusable."""
    data = DEFAULT_LADDER if raw in (None, "") else raw
    if isinstance(data, str):
        try:
            data = json.loads(data)
        except json.JSONDecodeError as error:
            raise LadderError(f"LONE_WORKING_LADDER is not valid JSON: {error}") from error
    if not isinstance(data, list) or not data:
        raise LadderError("the ladder must be a non-empty list of steps")
    steps = []
    for item in data:
        try:
            step = Step(
                key=str(item["key"]),
                after_minutes=int(item["after_minutes"]),
                recipients=tuple(item["recipients"]),
                level=item["level"],
                channels=tuple(item.get("channels", CHANNELS)),
                needs_ack=bool(item.get("needs_ack", False)),
                message=str(item.get("message", "")),
            )
        except (KeyError, TypeError, ValueError) as error:
            raise LadderError(f"bad ladder step {item!r}: {error}") from error
        if step.level not in LEVELS or step.after_minutes < 0:
            raise LadderError(f"bad ladder step {step.key}: level or minutes")
        if not set(step.recipients) <= set(RECIPIENTS) or not set(step.channels) <= set(CHANNELS):
            raise LadderError(f"bad ladder step {step.key}: recipients or channels")
        if ":" in step.key or step.key.startswith(("sos", "duress")) or len(step.key) > 40:
            raise LadderError(f"bad ladder step key {step.key!r}: at most 40 characters, no ':'")
        if len(step.message) > 300:
            raise LadderError(
                f"ladder step {step.key}: the message must be 300 characters or fewer"
            )
        steps.append(step)
    steps.sort(key=lambda s: s.after_minutes)
    if len({s.key for s in steps}) != len(steps):
        raise LadderError("ladder step keys must be unique")
    if not any(s.needs_ack for s in steps):
        raise LadderError("at least one step must need acknowledgement")
    return tuple(steps)
