"""Issued MDT / OT reports: each issue is a signed, append-only version.

The figures are stored as they were issued (JSON), so a version reads the same after the notes
and outings behind it are amended; issuing again for the same client and period is version n+1,
and every earlier version stays viewable.
"""

from datetime import date, datetime

from sqlalchemy import JSON, Date, ForeignKey, Index, Integer, String, Text, UniqueConstraint, event
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.clients.models import Client
from app.core import clock
from app.core.types import UTCDateTime
from app.extensions import db


class IssuedReport(db.Model):
    __tablename__ = "issued_reports"
    __table_args__ = (
        UniqueConstraint(
            "client_id", "period_start", "period_end", "version", name="uq_issued_reports_version"
        ),
        Index("ix_issued_reports_client", "client_id", "issued_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    client_id: Mapped[int] = mapped_column(ForeignKey("clients.id"))
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"))
    period_start: Mapped[date] = mapped_column(Date)
    period_end: Mapped[date] = mapped_column(Date)
    version: Mapped[int] = mapped_column(Integer)
    formulation: Mapped[str] = mapped_column(Text, default="")
    recommendations: Mapped[str] = mapped_column(Text, default="")
    figures: Mapped[dict] = mapped_column(JSON, default=dict)
    issued_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    # Name and role as they were when issuing, so the record reads the same after a change.
    issued_by_name: Mapped[str] = mapped_column(String(120))
    issued_role: Mapped[str] = mapped_column(String(16))
    issued_role_label: Mapped[str] = mapped_column(String(60))
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)

    client: Mapped[Client] = relationship()

    def __repr__(self) -> str:  # no text: reprs end up in logs
        return f"<IssuedReport {self.id} client={self.client_id} v{self.version}>"


class IssuedReportError(RuntimeError):
    """Something tried to change or remove an issued report."""


@event.listens_for(IssuedReport, "before_update")
def _refuse_update(mapper, connection, target) -> None:
    raise IssuedReportError("issued reports are append-only: issue a new version")


@event.listens_for(IssuedReport, "before_delete")
def _refuse_delete(mapper, connection, target) -> None:
    raise IssuedReportError("issued reports are append-only")
