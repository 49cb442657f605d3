"""The ladder's plan for an outing: which steps it would take and when, and its colour now.

Pure functions of an outing and the configured ladder; nothing here writes."""

from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app

from app.core import clock
from app.lone_working import ladder as ladder_config
from app.lone_working.models import (
    OPEN_STATUSES,
    EscalationStep,
    Outing,
)
from app.notify.channels import available_channels

LEVEL_ORDER = {"ok": 0, "due": 1, "amber": 2, "red": 3, "sos": 4}


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


def welfare_deadline(outing: Outing) -> datetime | None:
    """When the current welfare check falls due, if it falls due before the expected return."""
    if not outing.welfare_interval_minutes:
        return None
    deadline = outing.last_welfare_at + timedelta(minutes=outing.welfare_interval_minutes)
    return deadline if deadline < outing.expected_return else None


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
    deadline = welfare_deadline(outing)
    if deadline is not None:
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


def level(outing: Outing, now: datetime | None = None, include_silent: bool = True) -> str:
    """The board's colour now: ok, due, amber, red or sos. The worker's own screen passes
    ``include_silent=False``: what a duress PIN raised must never show there."""
    now = now or clock.now()
    levels = [
        s.level for s in outing.steps if _current(outing, s) and (include_silent or not s.silent)
    ]
    if ladder_running(outing) and now >= outing.expected_return:
        levels.append("due")
    return max(levels, key=LEVEL_ORDER.__getitem__, default="ok")


# --- what the worker's own screen says ---------------------------------------------------------


def _told(key: str, recipients: tuple[str, ...]) -> str:
    """Who a step tells, for the worker's screen: emergency, all_leads, leads, buddy or worker."""
    top = ladder()[-1]
    if key == top.key and top.needs_ack:
        return "emergency"  # the top of the configured ladder is the emergency procedure
    for name in ("all_leads", "leads_on_duty", "buddy"):
        if name in recipients:
            return "leads" if name == "leads_on_duty" else name
    return "worker"


def told(step: EscalationStep) -> str:
    """Who a step taken told: sos, or as ``_told`` says."""
    if step.reason == "sos":
        return "sos"
    return _told(step.step_key.split(":")[-1], tuple(step.recipients.split(",")))


@dataclass(frozen=True)
class NextStep:
    at: datetime
    reason: str  # overdue (not back by the expected return) or welfare (a welfare check missed)
    told: str  # buddy, leads, all_leads or emergency


def next_planned(outing: Outing, now: datetime | None = None) -> NextStep | None:
    """The next step that will tell someone other than the worker if nobody does anything.

    It follows the plan the watcher follows: the configured ladder counted from the current
    expected return (so an extension moves it) and from the current welfare deadline, skipping
    steps already taken. A step whose moment has passed but which the watcher has not taken yet
    is reported at ``now``: it is about to happen. None once the ladder has stopped."""
    if not ladder_running(outing):
        return None
    now = now or clock.now()
    fired = {s.step_key for s in outing.steps}
    ahead = [
        p
        for p in planned_steps(outing)
        if p.key not in fired and set(p.step.recipients) - {"worker"}
    ]
    if not ahead:
        return None
    first = min(ahead, key=lambda p: p.at)
    told_whom = _told(first.step.key, first.step.recipients)
    return NextStep(at=max(first.at, now), reason=first.reason, told=told_whom)


def last_told(outing: Outing) -> EscalationStep | None:
    """The latest step of this episode that told someone other than the worker (never a silent
    one), for "Your buddy was alerted at 15:24"."""
    told = [
        s
        for s in outing.steps
        if not s.silent
        and _current_or_answered(outing, s)
        and set(s.recipients.split(",")) - {"worker", ""}
    ]
    return max(told, key=lambda s: (s.fired_at, s.reason == "sos", s.id), default=None)


def _current_or_answered(outing: Outing, step: EscalationStep) -> bool:
    return step.reason in PANIC_REASONS or _current(outing, step)


def seen_by(outing: Outing) -> EscalationStep | None:
    """The latest alert of this outing a lead has acknowledged, for the worker's "Seen by <name>
    at <time>"; never one a duress PIN raised."""
    seen = [
        s
        for s in outing.steps
        if s.acknowledged_at is not None and not s.silent and _current_or_answered(outing, s)
    ]
    return max(seen, key=lambda s: s.acknowledged_at, default=None)


def waiting_for_ack(outing: Outing) -> bool:
    """An alert the worker can know about that no lead has acknowledged yet."""
    return any(not s.silent for s in unacknowledged(outing))
