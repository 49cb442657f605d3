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
