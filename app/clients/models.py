"""Clients of a unit."""

from datetime import date, datetime

from sqlalchemy import Boolean, Date, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.auth.models import Unit, User
from app.clients.nhs_number import format_334
from app.core import clock
from app.core.types import UTCDateTime
from app.extensions import db


class Client(db.Model):
    __tablename__ = "clients"
    AUDIT_FIELDS = (
        "full_name",
        "preferred_name",
        "initials",
        "nhs_number",
        "room",
        "step_down",
        "key_worker_id",
        "unit_id",
        "admitted_on",
        "discharged_on",
    )
    # Identifying values are recorded in the audit trail as changed, never as text.
    AUDIT_REDACT = ("full_name", "preferred_name", "nhs_number")

    id: Mapped[int] = mapped_column(primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"), index=True)
    full_name: Mapped[str] = mapped_column(String(120))
    preferred_name: Mapped[str] = mapped_column(String(60), default="")
    initials: Mapped[str] = mapped_column(String(4))
    nhs_number: Mapped[str] = mapped_column(String(10), unique=True)
    room: Mapped[str] = mapped_column(String(20), default="")
    step_down: Mapped[bool] = mapped_column(Boolean, default=False)
    key_worker_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    admitted_on: Mapped[date] = mapped_column(Date)
    discharged_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now, onupdate=clock.now)

    unit: Mapped[Unit] = relationship()
    key_worker: Mapped[User | None] = relationship()

    @property
    def nhs_number_display(self) -> str:
        return format_334(self.nhs_number)

    @property
    def display_name(self) -> str:
        """For the client's own page only: never in URLs, titles, logs or messages."""
        if self.preferred_name and self.preferred_name != self.full_name:
            return f"{self.preferred_name} ({self.full_name})"
        return self.full_name

    @property
    def is_current(self) -> bool:
        return self.discharged_on is None or self.discharged_on > clock.london_today()

    def __repr__(self) -> str:  # no name: reprs end up in logs
        return f"<Client {self.id}>"


GOAL_MAX_LENGTH = 200


class ClientGoal(db.Model):
    """An OT goal the client is working towards; notes say which goals an activity addressed.

    Goals are retired, never deleted, so notes that addressed them keep their wording.
    """

    __tablename__ = "client_goals"

    id: Mapped[int] = mapped_column(primary_key=True)
    client_id: Mapped[int] = mapped_column(ForeignKey("clients.id"), index=True)
    text: Mapped[str] = mapped_column(String(GOAL_MAX_LENGTH))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)

    client: Mapped[Client] = relationship()
    created_by: Mapped[User] = relationship()

    def __repr__(self) -> str:  # no text: reprs end up in logs
        return f"<ClientGoal {self.id} client={self.client_id}>"
