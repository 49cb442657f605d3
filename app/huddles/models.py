"""Huddle records. Each editable part (a flag, an entry, an action) carries its own version
counter, so two phones editing the same huddle can never overwrite each other silently."""

from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.auth.models import Unit, User
from app.core import clock
from app.core.types import UTCDateTime
from app.extensions import db

SHIFTS = {"early": "Early", "late": "Late", "night": "Night"}
DEFAULT_SHIFT_STARTS = {"early": "07:00", "late": "14:00", "night": "21:00"}
FLAGS = {"green": "Green", "amber": "Amber", "red": "Red"}
NEXT_FLAG = {"green": "amber", "amber": "red", "red": "green"}
DEFAULT_OBSERVATION_LEVELS = (
    "General",
    "Intermittent",
    "Within eyesight",
    "Within arm's length",
)
REASON_MAX = 200
ENTRY_MAX = 500
ACTION_MAX = 300
VISITOR_MAX = 80
PERIODS = {"since": "Since the last huddle", "next": "Next 24 hours"}
CATEGORIES = {
    "incident": "Incident or near miss",
    "safeguarding": "Safeguarding concern",
    "feedback": "Complaint or compliment",
    "observation": "Observation level change",
    "leave": "Leave and AWOL risk",
    "physical": "Physical-health concern",
    "environment": "Environment (knives, kitchen equipment, ligature points)",
    "staffing": "Staffing and skill mix",
}
DUE_KINDS = {"shift": "This shift", "today": "Today", "time": "At a time"}


class HuddleUnitSettings(db.Model):
    """When a unit's shifts start (UK local time, HH:MM)."""

    __tablename__ = "huddle_unit_settings"

    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"), primary_key=True)
    early_start: Mapped[str] = mapped_column(String(5), default=DEFAULT_SHIFT_STARTS["early"])
    late_start: Mapped[str] = mapped_column(String(5), default=DEFAULT_SHIFT_STARTS["late"])
    night_start: Mapped[str] = mapped_column(String(5), default=DEFAULT_SHIFT_STARTS["night"])


class ObservationLevel(db.Model):
    """The Trust's observation levels, in order (the defaults apply while there are none)."""

    __tablename__ = "huddle_observation_levels"

    id: Mapped[int] = mapped_column(primary_key=True)
    position: Mapped[int] = mapped_column(Integer)
    label: Mapped[str] = mapped_column(String(60))


class Huddle(db.Model):
    __tablename__ = "huddles"
    __table_args__ = (
        UniqueConstraint("unit_id", "shift_date", "shift", name="uq_huddles_unit_shift"),
        Index("ix_huddles_unit_started", "unit_id", "started_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"))
    shift: Mapped[str] = mapped_column(String(8))
    shift_date: Mapped[date] = mapped_column(Date)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)
    started_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    closed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    # Bumped by every change to any part: the one number the 15-s poll compares.
    version: Mapped[int] = mapped_column(Integer, default=1)

    unit: Mapped[Unit] = relationship()
    started_by: Mapped[User] = relationship(foreign_keys=[started_by_id])
    closed_by: Mapped[User | None] = relationship(foreign_keys=[closed_by_id])

    @property
    def is_closed(self) -> bool:
        return self.closed_at is not None

    @property
    def shift_label(self) -> str:
        return SHIFTS.get(self.shift, self.shift)

    @property
    def minutes(self) -> int | None:
        if self.closed_at is None:
            return None
        return max(0, round((self.closed_at - self.started_at).total_seconds() / 60))

    def __repr__(self) -> str:
        return f"<Huddle {self.id} unit={self.unit_id} {self.shift}>"


class HuddleAttendee(db.Model):
    """A member of staff present (user_id) or a visitor (free text)."""

    __tablename__ = "huddle_attendees"
    __table_args__ = (UniqueConstraint("huddle_id", "user_id", name="uq_huddle_attendees_user"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    huddle_id: Mapped[int] = mapped_column(ForeignKey("huddles.id", ondelete="CASCADE"))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    visitor: Mapped[str] = mapped_column(String(VISITOR_MAX), default="")

    user: Mapped[User | None] = relationship()


class HuddleFlag(db.Model):
    """One client's RAG flag in one huddle, with the previous huddle's value it started from."""

    __tablename__ = "huddle_flags"
    __table_args__ = (
        UniqueConstraint("huddle_id", "client_id", name="uq_huddle_flags_client"),
        Index("ix_huddle_flags_client", "client_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    huddle_id: Mapped[int] = mapped_column(ForeignKey("huddles.id", ondelete="CASCADE"))
    client_id: Mapped[int] = mapped_column(ForeignKey("clients.id"))
    value: Mapped[str] = mapped_column(String(8), default="green")
    reason: Mapped[str] = mapped_column(String(REASON_MAX), default="")
    previous_value: Mapped[str | None] = mapped_column(String(8), nullable=True)
    previous_reason: Mapped[str] = mapped_column(String(REASON_MAX), default="")
    version: Mapped[int] = mapped_column(Integer, default=1)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)

    updated_by: Mapped[User | None] = relationship()

    @property
    def changed(self) -> bool:
        return self.previous_value is not None and (
            self.value != self.previous_value or self.reason != self.previous_reason
        )


class HuddleEntry(db.Model):
    __tablename__ = "huddle_entries"
    __table_args__ = (Index("ix_huddle_entries_huddle", "huddle_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    huddle_id: Mapped[int] = mapped_column(ForeignKey("huddles.id", ondelete="CASCADE"))
    period: Mapped[str] = mapped_column(String(8))
    category: Mapped[str] = mapped_column(String(16))
    client_id: Mapped[int | None] = mapped_column(ForeignKey("clients.id"), nullable=True)
    observation_level: Mapped[str] = mapped_column(String(60), default="")
    text: Mapped[str] = mapped_column(String(ENTRY_MAX))
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)

    created_by: Mapped[User] = relationship()

    @property
    def category_label(self) -> str:
        return CATEGORIES.get(self.category, self.category)

    @property
    def period_label(self) -> str:
        return PERIODS.get(self.period, self.period)


class HuddleAction(db.Model):
    """An action agreed at a huddle: it belongs to the unit and carries forward until done."""

    __tablename__ = "huddle_actions"
    __table_args__ = (
        Index("ix_huddle_actions_unit_open", "unit_id", "done_at"),
        Index("ix_huddle_actions_owner_open", "owner_id", "done_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"))
    huddle_id: Mapped[int] = mapped_column(ForeignKey("huddles.id"))
    text: Mapped[str] = mapped_column(String(ACTION_MAX))
    owner_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    due_kind: Mapped[str] = mapped_column(String(8))
    due_at: Mapped[datetime] = mapped_column(UTCDateTime)
    done_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    done_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    # The huddle it was ticked off in (None: from My actions), for that huddle's summary.
    done_in_huddle_id: Mapped[int | None] = mapped_column(ForeignKey("huddles.id"), nullable=True)
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)

    owner: Mapped[User] = relationship(foreign_keys=[owner_id])
    done_by: Mapped[User | None] = relationship(foreign_keys=[done_by_id])

    @property
    def is_done(self) -> bool:
        return self.done_at is not None

    def overdue(self, now: datetime) -> bool:
        return self.done_at is None and self.due_at < now
