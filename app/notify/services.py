"""Queue messages in the outbox and deliver them with retries and backoff, most urgent first.

Queuing happens in the same transaction as the decision that needs the message, so a crash
loses neither. Delivery claims a row with one conditional UPDATE (the row must still be due, so
of two senders only one gets it back), sends, then records the result only while its claim token
is still on the row. A sender that dies mid-send leaves its row claimed; once the short claim
window lapses the row is tried again. Delivery is at-least-once: a sender killed after the
provider accepted a message but before the result was written sends that message again, with the
same reference (``waypoint-outbox-<id>``) so the duplicate can be traced.

``run_sender`` is the watcher's sending loop: it runs in its own thread, apart from the ladder,
and keeps up to ``OUTBOX_SENDERS`` sends going at once.
"""

import logging
import secrets
import threading
import time
from concurrent.futures import FIRST_COMPLETED, ThreadPoolExecutor, wait
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache

from flask import Flask, current_app, has_app_context
from sqlalchemy import and_, bindparam, func, or_, select, update

from app.core import clock
from app.extensions import db
from app.notify.channels import Channel, DeliveryError
from app.notify.models import FAILED, PENDING, ROUTINE, SENDING, SENT, OutboxMessage

log = logging.getLogger("waypoint.notify")

MAX_ATTEMPTS = 8
DEFAULTS = {
    # Well under the lone-working resend interval (5 min), well over a send's timeout (10 s).
    "OUTBOX_CLAIM_SECONDS": 30,
    "OUTBOX_SENDERS": 4,
    "OUTBOX_STUCK_SECONDS": 120,
    "OUTBOX_FAILING_MINUTES": 5,
    "OUTBOX_FAILING_ATTEMPTS": 3,
}


def setting(name: str):
    if has_app_context():
        return current_app.config.get(name, DEFAULTS[name])
    return DEFAULTS[name]


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
    priority: int = ROUTINE,
) -> OutboxMessage:
    """Add a message to the current transaction (the caller commits with its decision).

    ``priority``: EMERGENCY, LEADS, BUDDY or ROUTINE (app.notify.models); lower goes first."""
    message = OutboxMessage(
        dedupe_key=dedupe_key,
        topic=topic,
        topic_id=topic_id,
        channel=channel,
        address=address,
        subject=subject,
        body=body,
        recipient_id=recipient_id,
        priority=priority,
        status=PENDING,
        next_attempt_at=clock.now(),
    )
    db.session.add(message)
    return message


@dataclass(frozen=True)
class Claimed:
    """A message this sender holds: what a channel needs, and the token that proves the claim."""

    id: int
    channel: str
    address: str
    subject: str
    body: str
    attempts: int
    token: str


def _due(now: datetime):
    return or_(
        and_(OutboxMessage.status == PENDING, OutboxMessage.next_attempt_at <= now),
        and_(OutboxMessage.status == SENDING, OutboxMessage.claimed_until < now),
    )


def claim(now: datetime) -> Claimed | None:
    """Claim the most urgent due message, or None when nothing is due (or others won it).

    One conditional UPDATE decides: it re-checks that the row is still due, so when two senders
    pick the same row only one updates it, and ``attempts`` is counted in SQL, not in Python.
    PostgreSQL picks the candidate with SKIP LOCKED so senders spread over different rows."""
    candidate = (
        select(OutboxMessage.id)
        .where(_due(now))
        .order_by(OutboxMessage.priority, OutboxMessage.next_attempt_at, OutboxMessage.id)
        .limit(1)
    )
    if db.engine.dialect.name == "postgresql":
        candidate = candidate.with_for_update(skip_locked=True)
    token = secrets.token_hex(16)
    statement = (
        update(OutboxMessage)
        .where(OutboxMessage.id == candidate.scalar_subquery(), _due(now))
        .values(
            status=SENDING,
            claimed_until=now + timedelta(seconds=setting("OUTBOX_CLAIM_SECONDS")),
            attempts=OutboxMessage.attempts + 1,
            claim_token=token,
            last_attempt_at=now,
        )
        .returning(
            OutboxMessage.id,
            OutboxMessage.channel,
            OutboxMessage.address,
            OutboxMessage.subject,
            OutboxMessage.body,
            OutboxMessage.attempts,
        )
        .execution_options(synchronize_session=False)
    )
    rows = db.session.execute(statement).all()
    db.session.commit()
    if len(rows) != 1:
        return None
    return Claimed(*rows[0], token=token)


def send_claimed(message: Claimed, channels: dict[str, Channel]) -> str:
    """Send one claimed message (no transaction is open meanwhile) and record the outcome while
    the claim is still ours. Returns the outcome: sent, pending (to retry) or failed."""
    channel = channels.get(message.channel)
    values: dict = {"claimed_until": None, "claim_token": None}
    try:
        if channel is None:
            raise DeliveryError(f"no {message.channel} channel is configured", permanent=True)
        reference = channel.send(message)[:120]
    except DeliveryError as error:
        values["last_error"] = str(error)[:500]
        if error.permanent or message.attempts >= MAX_ATTEMPTS:
            values["status"] = FAILED
        else:
            values["status"] = PENDING
            values["next_attempt_at"] = clock.now() + backoff(message.attempts)
        log.warning(
            "outbox %s via %s attempt %s failed: %s",
            message.id,
            message.channel,
            message.attempts,
            type(error).__name__,
        )
    else:
        values.update(status=SENT, sent_at=clock.now(), last_error="", provider_ref=reference)
    result = db.session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id == message.id, OutboxMessage.claim_token == message.token)
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    db.session.commit()
    if result.rowcount != 1:
        log.warning(
            "outbox %s: the claim lapsed during the send; another sender has it", message.id
        )
    return values["status"]


def deliver_due(
    channels: dict[str, Channel], limit: int = 50, budget_seconds: float = 20.0
) -> dict[str, int]:
    """Send what is due, one message at a time in this thread, most urgent first, for at most
    ``budget_seconds``; returns counts by outcome. (Tests and one-off runs; the watcher sends
    from ``run_sender``.)"""
    counts = {SENT: 0, PENDING: 0, FAILED: 0}
    started = time.monotonic()
    for _ in range(limit):
        if time.monotonic() - started > budget_seconds:
            break
        message = claim(clock.now())
        if message is None:
            break
        counts[send_claimed(message, channels)] += 1
    return counts


def _send_in_context(app: Flask, message: Claimed, channels: dict[str, Channel]) -> str:
    with app.app_context():
        try:
            return send_claimed(message, channels)
        finally:
            db.session.remove()


def run_sender(
    app: Flask,
    channels: dict[str, Channel],
    stop: threading.Event,
    senders: int | None = None,
    poll: float = 0.5,
) -> None:
    """Send the outbox until ``stop`` is set: up to ``senders`` sends at once, each in its own
    thread with its own database session; a slot that frees takes the most urgent due message.
    Never raises: a failed pass is logged and the loop goes on."""
    senders = senders or app.config.get("OUTBOX_SENDERS", DEFAULTS["OUTBOX_SENDERS"])
    running: set = set()
    failures = 0
    with ThreadPoolExecutor(senders, thread_name_prefix="outbox") as pool:
        while not stop.is_set():
            try:
                with app.app_context():
                    try:
                        while len(running) < senders:
                            message = claim(clock.now())
                            if message is None:
                                break
                            running.add(pool.submit(_send_in_context, app, message, channels))
                    finally:
                        db.session.remove()
                failures = 0
            except Exception as error:  # the database may be down: keep trying, backing off
                failures += 1
                delay = min(poll * 2**failures, 30.0)
                log.warning(
                    "outbox: claiming failed (%s); retrying in %.1fs", type(error).__name__, delay
                )
                stop.wait(delay)
            if running:
                done, running = wait(running, timeout=poll, return_when=FIRST_COMPLETED)
                for future in done:
                    if future.exception() is not None:
                        log.error("outbox: a send failed: %r", future.exception())
            else:
                stop.wait(poll)
        wait(running)


# --- health ----------------------------------------------------------------------------------


CHANNELS = ("email", "sms")  # sorted: the first failing one is named, as before


def failing_window_start(now: datetime) -> datetime:
    return now - timedelta(minutes=setting("OUTBOX_FAILING_MINUTES"))


def delivery_signals(since) -> list:
    """What delivery health is decided from, as scalar subqueries (one statement, or columns of a
    poll's version query): the oldest waiting message, and per channel the failed attempts and
    the messages sent since ``since`` (a value or a bind parameter: the start of the last
    OUTBOX_FAILING_MINUTES)."""
    columns = [
        select(func.min(OutboxMessage.created_at))
        .where(OutboxMessage.status.in_((PENDING, SENDING)))
        .scalar_subquery()
    ]
    for channel in CHANNELS:
        columns.append(
            select(func.count())
            .select_from(OutboxMessage)
            .where(
                OutboxMessage.channel == channel,
                OutboxMessage.status.in_((PENDING, FAILED)),
                OutboxMessage.last_attempt_at >= since,
                OutboxMessage.last_error != "",
            )
            .scalar_subquery()
        )
        columns.append(
            select(func.count())
            .select_from(OutboxMessage)
            .where(
                OutboxMessage.channel == channel,
                OutboxMessage.status == SENT,
                OutboxMessage.sent_at >= since,
            )
            .scalar_subquery()
        )
    return columns


def delivery_status_from(signals, now: datetime) -> str:
    """``delivery_status`` from the values of ``delivery_signals`` (in that order)."""
    oldest, *counts = signals
    if oldest is not None and oldest.tzinfo is None:
        oldest = oldest.replace(tzinfo=now.tzinfo)
    waited = (now - oldest).total_seconds() if oldest is not None else 0
    if waited > setting("OUTBOX_STUCK_SECONDS"):
        return f"messages not going out: the oldest has waited {int(waited // 60)} min"
    for channel, failed, sent in zip(CHANNELS, counts[0::2], counts[1::2], strict=True):
        if failed >= setting("OUTBOX_FAILING_ATTEMPTS") and not sent:
            minutes = setting("OUTBOX_FAILING_MINUTES")
            return f"{channel} failing: every attempt in the last {minutes} min failed"
    return "ok"


def delivery_status(now: datetime | None = None) -> str:
    """'ok', or why messages are not going out: a message waiting longer than
    OUTBOX_STUCK_SECONDS, or a channel whose every attempt in the last OUTBOX_FAILING_MINUTES
    failed (at least OUTBOX_FAILING_ATTEMPTS of them). One statement."""
    now = now or clock.now()
    signals = db.session.execute(_delivery_statement(), {"since": failing_window_start(now)})
    return delivery_status_from(tuple(signals.one()), now)


@cache
def _delivery_statement():
    """Built once (building it cost more than running it, on every board page)."""
    from app.core.types import UTCDateTime

    return select(*delivery_signals(bindparam("since", type_=UTCDateTime)))
