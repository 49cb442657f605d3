"""Outings (a worker out in the community), their timeline, the ladder steps taken, duty shifts."""

from datetime import datetime

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    Float,
    ForeignKey,
    Index,
    String,
    Table,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.auth.models import Unit, User
from app.clients.models import Client
from app.core import clock
from app.core.types import UTCDateTime
from app.extensions import db

# out: before the expected return; overdue: the ladder has started; escalated: someone other than
# the worker has been told; back: checked in; resolved: closed by a lead with an outcome.
OUT, OVERDUE, ESCALATED, BACK, RESOLVED = "out", "overdue", "escalated", "back", "resolved"
OPEN_STATUSES = (OUT, OVERDUE, ESCALATED)

outing_clients = Table(
    "outing_clients",
    db.metadata,
    Column("outing_id", ForeignKey("outings.id", ondelete="CASCADE"), primary_key=True),
    Column("client_id", ForeignKey("clients.id"), primary_key=True),
)

outing_coworkers = Table(
    "outing_coworkers",
    db.metadata,
    Column("outing_id", ForeignKey("outings.id", ondelete="CASCADE"), primary_key=True),
    Column("user_id", ForeignKey("users.id"), primary_key=True),
)


class Outing(db.Model):
    __tablename__ = "outings"
    __table_args__ = (
        Index("ix_outings_next_step_at", "next_step_at"),
        Index("ix_outings_worker_status", "worker_id", "status"),
        # The board and its poll: a unit's open outings, however many it has had.
        Index("ix_outings_unit_status", "unit_id", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"), index=True)
    worker_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    buddy_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    # The unit's shift phone number when that was chosen as buddy (buddy_id is then empty).
    buddy_phone: Mapped[str] = mapped_column(String(32), default="", server_default="")
    destination: Mapped[str] = mapped_column(String(120))
    purpose: Mapped[str] = mapped_column(String(200), default="")
    transport: Mapped[str] = mapped_column(String(40), default="")
    contact_number: Mapped[str] = mapped_column(String(32))
    alarm_device_id: Mapped[str] = mapped_column(String(40), default="")  # empty: none carried
    welfare_interval_minutes: Mapped[int | None] = mapped_column(nullable=True)

    checked_out_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)
    expected_return: Mapped[datetime] = mapped_column(UTCDateTime)
    # When the worker last showed they were fine (check-out or a welfare check); welfare
    # checks fall due every welfare_interval_minutes after it.
    last_welfare_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)
    # The earliest moment the watcher has something to do for this outing; None once closed.
    next_step_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)

    status: Mapped[str] = mapped_column(String(16), default=OUT)
    # Starts at 1; a lead who reaches the worker and extends the outing starts a fresh ladder.
    episode: Mapped[int] = mapped_column(default=1)
    sos_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    checked_in_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    checked_in_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    # When the worker pressed "I'm back" on a phone with no signal (the check-in was queued in
    # the browser and arrived at checked_in_at); None when it arrived as it was pressed.
    checkin_pressed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    resolved_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    outcome: Mapped[str] = mapped_column(String(40), default="")
    resolution_note: Mapped[str] = mapped_column(Text, default="")
    # A check-out form's one-time key: a double tap or a retry after a timeout is one outing.
    request_key: Mapped[str | None] = mapped_column(String(64), unique=True, nullable=True)

    unit: Mapped[Unit] = relationship()
    worker: Mapped[User] = relationship(foreign_keys=[worker_id])
    buddy: Mapped[User | None] = relationship(foreign_keys=[buddy_id])
    clients: Mapped[list[Client]] = relationship(secondary=outing_clients, order_by=Client.initials)
    coworkers: Mapped[list[User]] = relationship(secondary=outing_coworkers, order_by=User.name)
    steps: Mapped[list["EscalationStep"]] = relationship(
        back_populates="outing", order_by="EscalationStep.fired_at"
    )
    events: Mapped[list["OutingEvent"]] = relationship(
        back_populates="outing", order_by="OutingEvent.at"
    )

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    @property
    def client_initials(self) -> str:
        return ", ".join(c.initials for c in self.clients) or "none"

    def people_out(self) -> list[User]:
        return [self.worker, *self.coworkers]


class EscalationStep(db.Model):
    """A ladder step taken for an outing. The unique key is the decision: a step fires once."""

    __tablename__ = "escalation_steps"
    __table_args__ = (
        UniqueConstraint("outing_id", "step_key", name="uq_escalation_steps_outing_step"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    outing_id: Mapped[int] = mapped_column(ForeignKey("outings.id", ondelete="CASCADE"))
    step_key: Mapped[str] = mapped_column(String(60))  # e.g. "buddy", "welfare-2:leads", "sos"
    level: Mapped[str] = mapped_column(String(16))  # due | amber | red | sos
    reason: Mapped[str] = mapped_column(String(20), default="overdue")  # overdue|welfare|sos|duress
    fired_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)
    needs_ack: Mapped[bool] = mapped_column(Boolean, default=False)
    acknowledged_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    acknowledged_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    # Who this step tells, as ladder recipient names ("buddy,leads_on_duty"); resends reuse it.
    recipients: Mapped[str] = mapped_column(String(120), default="")
    message: Mapped[str] = mapped_column(String(400), default="")
    resends: Mapped[int] = mapped_column(default=0)
    last_sent_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)
    # Hidden from the worker's own screens (duress): only the board and leads see it.
    silent: Mapped[bool] = mapped_column(Boolean, default=False)
    # The one position the worker's phone gave when SOS was pressed (SOS steps only, and only
    # when the worker allowed it): never tracked, never stored anywhere else.
    latitude: Mapped[float | None] = mapped_column(Float, nullable=True)
    longitude: Mapped[float | None] = mapped_column(Float, nullable=True)
    accuracy_m: Mapped[float | None] = mapped_column(Float, nullable=True)

    outing: Mapped[Outing] = relationship(back_populates="steps")
    acknowledged_by: Mapped[User | None] = relationship()


class OutingEvent(db.Model):
    """The outing's timeline: check-out, extensions, welfare updates, check-in, resolution."""

    __tablename__ = "outing_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    outing_id: Mapped[int] = mapped_column(ForeignKey("outings.id", ondelete="CASCADE"), index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)
    kind: Mapped[str] = mapped_column(String(30))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    text: Mapped[str] = mapped_column(String(500), default="")
    data: Mapped[dict] = mapped_column(JSON, default=dict)

    outing: Mapped[Outing] = relationship(back_populates="events")
    actor: Mapped[User | None] = relationship()


class DutyShift(db.Model):
    """Who is on duty in a unit now: started and ended with one tap on the home screen."""

    __tablename__ = "duty_shifts"
    __table_args__ = (Index("ix_duty_shifts_unit_open", "unit_id", "ended_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"))
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)

    user: Mapped[User] = relationship()


class WatcherHeartbeat(db.Model):
    """One row per watcher process, refreshed every tick; the board warns when all are stale."""

    __tablename__ = "watcher_heartbeats"

    name: Mapped[str] = mapped_column(String(80), primary_key=True)
    beat_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)


class InboundSms(db.Model):
    """A text GOV.UK Notify forwarded from a unit's inbound number, and what came of it.

    The message itself is never kept (it may hold a PIN): only the command word it was read as
    and the outcome. ``notify_id`` is Notify's id for the text: a replayed callback is a no-op.
    """

    __tablename__ = "inbound_sms"

    id: Mapped[int] = mapped_column(primary_key=True)
    notify_id: Mapped[str] = mapped_column(String(64), unique=True)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)
    # A keyed hash of the sender's number (app.auth.limits.keyed_hash): repeats group together
    # without a stranger's number being kept.
    sender_hash: Mapped[str] = mapped_column(String(16), index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    outing_id: Mapped[int | None] = mapped_column(
        ForeignKey("outings.id", ondelete="SET NULL"), nullable=True, index=True
    )
    command: Mapped[str] = mapped_column(String(16), default="")  # back|ok|extend|sos|unknown
    outcome: Mapped[str] = mapped_column(String(32), default="")
