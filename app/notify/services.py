"""Queue messages in the outbox and deliver them with retries and backoff.

Queuing happens in the same transaction as the decision that needs the message, so a crash
loses neither. Delivery claims rows first (``FOR UPDATE SKIP LOCKED`` on PostgreSQL, so several
senders never take the same row), sends, then records the result. A sender that dies mid-send
leaves its rows claimed; once the claim lapses they are tried again.
"""

import logging
import time
from datetime import datetime, timedelta

from sqlalchemy import and_, or_, select

from app.core import clock
from app.extensions import db
from app.notify.channels import Channel, DeliveryError
from app.notify.models import FAILED, PENDING, SENDING, SENT, OutboxMessage

log = logging.getLogger("waypoint.notify")

MAX_ATTEMPTS = 8
CLAIM_SECONDS = 120


def backoff(attempts: int) -> timedelta:
    """15 s, 30 s, 60 s ... capped at 10 minutes."""
    return timedelta(seconds=min(15 * 2 ** max(attempts - 1, 0), 600))


def enqueue(
    *,
    dedupe_key: str,
    topic: str,
    topic_id: int | None,
    channel: str,
    address: str,
    body: str,
    subject: str = "",
    recipient_id: int | None = None,
) -> OutboxMessage:
    """Add a message to the current transaction (the caller commits with its decision)."""
    message = OutboxMessage(
        dedupe_key=dedupe_key,
        topic=topic,
        topic_id=topic_id,
        channel=channel,
        address=address,
        subject=subject,
        body=body,
        recipient_id=recipient_id,
        status=PENDING,
        next_attempt_at=clock.now(),
    )
    db.session.add(message)
    return message


def _claim(now: datetime, limit: int) -> list[int]:
    due = or_(
        and_(OutboxMessage.status == PENDING, OutboxMessage.next_attempt_at <= now),
        and_(OutboxMessage.status == SENDING, OutboxMessage.claimed_until < now),
    )
    # SMS first: it is what reaches a person on the move.
    query = (
        select(OutboxMessage)
        .where(due)
        .order_by(OutboxMessage.channel.desc(), OutboxMessage.id)
        .limit(limit)
    )
    if db.engine.dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)
    rows = db.session.scalars(query).all()
    for row in rows:
        row.status = SENDING
        row.claimed_until = now + timedelta(seconds=CLAIM_SECONDS)
        row.attempts += 1
    ids = [row.id for row in rows]
    db.session.commit()
    return ids


def deliver_due(
    channels: dict[str, Channel], limit: int = 50, budget_seconds: float = 20.0
) -> dict[str, int]:
    """Send what is due, one claimed message at a time (so no claim outlives its send), for at
    most ``budget_seconds`` so the ladder is not kept waiting; returns counts by outcome."""
    counts = {SENT: 0, PENDING: 0, FAILED: 0}
    started = time.monotonic()
    for _ in range(limit):
        if time.monotonic() - started > budget_seconds:
            break
        claimed = _claim(clock.now(), 1)
        if not claimed:
            break
        message = db.session.get(OutboxMessage, claimed[0])
        channel = channels.get(message.channel)
        try:
            if channel is None:
                raise DeliveryError(f"no {message.channel} channel is configured", permanent=True)
            message.provider_ref = channel.send(message)[:120]
        except DeliveryError as error:
            message.last_error = str(error)[:500]
            if error.permanent or message.attempts >= MAX_ATTEMPTS:
                message.status = FAILED
            else:
                message.status = PENDING
                message.next_attempt_at = clock.now() + backoff(message.attempts)
            log.warning(
                "outbox %s via %s attempt %s failed: %s",
                message.id,
                message.channel,
                message.attempts,
                type(error).__name__,
            )
        else:
            message.status = SENT
            message.sent_at = clock.now()
            message.last_error = ""
        message.claimed_until = None
        counts[message.status] += 1
        db.session.commit()
    return counts
