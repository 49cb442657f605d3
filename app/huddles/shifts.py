"""Shifts and the Trust's observation levels: the huddle's own settings."""

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import delete, select

from app.audit.services import record
from app.core import clock
from app.extensions import db
from app.huddles.models import (
    DEFAULT_OBSERVATION_LEVELS,
    DEFAULT_SHIFT_STARTS,
    SHIFTS,
    HuddleUnitSettings,
    ObservationLevel,
)

ORDER = ("early", "late", "night")


@dataclass(frozen=True)
class Shift:
    kind: str
    day: date  # the UK date the shift started
    starts: datetime  # UTC
    ends: datetime  # UTC: the next shift's start

    @property
    def label(self) -> str:
        return SHIFTS[self.kind]


def shift_starts(unit_id: int) -> dict[str, time]:
    settings = db.session.get(HuddleUnitSettings, unit_id)
    raw = {
        "early": settings.early_start if settings else DEFAULT_SHIFT_STARTS["early"],
        "late": settings.late_start if settings else DEFAULT_SHIFT_STARTS["late"],
        "night": settings.night_start if settings else DEFAULT_SHIFT_STARTS["night"],
    }
    return {kind: clock.parse_time(value) for kind, value in raw.items()}


def _at(day: date, at: time) -> datetime:
    return datetime.combine(day, at, tzinfo=clock.LONDON).astimezone(UTC)


def shift_at(unit_id: int, when: datetime | None = None) -> Shift:
    """The shift running at ``when`` (now by default): the latest shift start before it."""
    starts = shift_starts(unit_id)
    when = when or clock.now()
    today = clock.to_london(when).date()
    candidates = []
    for offset in (-1, 0, 1):
        day = today + timedelta(days=offset)
        for kind in ORDER:
            candidates.append((_at(day, starts[kind]), kind, day))
    candidates.sort()
    index = max(i for i, (start, _, _) in enumerate(candidates) if start <= when)
    start, kind, day = candidates[index]
    return Shift(kind, day, start, candidates[index + 1][0])


def save_shift_starts(unit_id: int, starts: dict[str, time], actor) -> None:
    settings = db.session.get(HuddleUnitSettings, unit_id) or HuddleUnitSettings(unit_id=unit_id)
    before = {k: getattr(settings, f"{k}_start", None) for k in ORDER}
    for kind in ORDER:
        setattr(settings, f"{kind}_start", starts[kind].strftime("%H:%M"))
    db.session.add(settings)
    after = {k: getattr(settings, f"{k}_start") for k in ORDER}
    changes = {k: [before[k], after[k]] for k in ORDER if before[k] != after[k]}
    record("change", "huddle_settings", unit_id, changes=changes, actor=actor, unit_id=unit_id)


def observation_levels() -> list[str]:
    levels = db.session.scalars(select(ObservationLevel.label).order_by(ObservationLevel.position))
    return list(levels) or list(DEFAULT_OBSERVATION_LEVELS)


def save_observation_levels(labels: list[str], actor) -> None:
    db.session.execute(delete(ObservationLevel))
    for position, label in enumerate(labels):
        db.session.add(ObservationLevel(position=position, label=label))
    record("change", "observation_levels", None, actor=actor, extra={"count": len(labels)})
