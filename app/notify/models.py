"""The outbox: one row per message to one recipient on one channel."""

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from app.core import clock
from app.core.types import UTCDateTime
from app.extensions import db

PENDING, SENDING, SENT, FAILED = "pending", "sending", "sent", "failed"

# Sending order, most urgent first: a feature says how urgent its message is when it queues it.
EMERGENCY, LEADS, BUDDY, ROUTINE = 0, 1, 2, 3


class OutboxMessage(db.Model):
    __tablename__ = "outbox_messages"
    __table_args__ = (
        Index("ix_outbox_messages_due", "status", "next_attempt_at"),
        Index("ix_outbox_messages_order", "priority", "next_attempt_at", "id"),
        # Delivery health (the board's poll asks every 15 s): sent, and tried, in a window.
        Index("ix_outbox_messages_sent", "status", "sent_at"),
        Index("ix_outbox_messages_attempted", "status", "last_attempt_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # The decision this message belongs to, e.g. "outing:12:step:buddy:user:3:sms". Unique, so a
    # second attempt to queue the same message is a no-op rather than a second message.
    dedupe_key: Mapped[str] = mapped_column(String(200), unique=True)
    topic: Mapped[str] = mapped_column(String(40))  # e.g. "outing"
    topic_id: Mapped[int | None] = mapped_column(nullable=True, index=True)
    channel: Mapped[str] = mapped_column(String(16))  # sms | email
    recipient_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    address: Mapped[str] = mapped_column(String(254))
    subject: Mapped[str] = mapped_column(String(200), default="")
    body: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16), default=PENDING)
    attempts: Mapped[int] = mapped_column(default=0)
    priority: Mapped[int] = mapped_column(default=ROUTINE, server_default="3")
    # Who holds the claim: a sender records its result only while the token is still its own.
    claim_token: Mapped[str | None] = mapped_column(String(32), nullable=True)
    last_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)
    claimed_until: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    last_error: Mapped[str] = mapped_column(String(500), default="")
    provider_ref: Mapped[str] = mapped_column(String(120), default="")
