"""An outing's timeline: events, ladder steps, every message with its result, acknowledgements."""

from sqlalchemy import select

from app.auth.models import User
from app.extensions import db
from app.lone_working.board import hides_duress_from
from app.lone_working.models import (
    Outing,
)


def timeline(outing: Outing, viewer: User | None = None) -> list[dict]:
    """Events, ladder steps and every message with its delivery result, oldest first."""
    from app.notify.models import OutboxMessage

    if viewer is not None and hides_duress_from(outing, viewer):
        silent = {s.step_key for s in outing.steps if s.silent}
        return [
            item
            for item in timeline(outing)
            if not (
                item["data"].get("silent")
                or item["data"].get("step") in silent
                or item["kind"] == "message"
                and item["data"].get("step") in silent
            )
        ]

    items = [
        {"at": e.at, "kind": e.kind, "text": e.text, "actor": e.actor, "data": e.data}
        for e in outing.events
    ]
    for message in db.session.scalars(
        select(OutboxMessage)
        .where(OutboxMessage.topic == "outing", OutboxMessage.topic_id == outing.id)
        .order_by(OutboxMessage.id)
    ):
        items.append(
            {
                "at": message.sent_at or message.created_at,
                "kind": "message",
                "text": f"{message.channel.upper()} to {message.address}: {message.status}"
                + (f" ({message.last_error})" if message.last_error else ""),
                "actor": None,
                "data": {
                    "attempts": message.attempts,
                    "step": ":".join(message.dedupe_key.split(":")[2:-3]),
                },
            }
        )
    for step in outing.steps:
        if step.acknowledged_at:
            who = step.acknowledged_by.name if step.acknowledged_by else "a lead"
            items.append(
                {
                    "at": step.acknowledged_at,
                    "kind": "ack",
                    "text": f"Acknowledged by {who}",
                    "actor": step.acknowledged_by,
                    "data": {"step": step.step_key},
                }
            )
    return sorted(items, key=lambda i: i["at"])
