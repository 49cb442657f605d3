"""``record`` is the one way to write the audit trail.

A summary holds structured facts only: which fields changed and, for fields that are not
identifying or free text, their values before and after. Free-text clinical content never goes
in; identifying fields (names, NHS number) are recorded as changed without their values.
"""

from typing import Any

from flask import has_request_context, request
from flask_login import current_user

from app.audit.models import AuditEvent
from app.core import clock
from app.extensions import db

REDACTED = "(changed)"


def snapshot(obj: Any, fields: tuple[str, ...]) -> dict[str, Any]:
    """The auditable state of a record: the named attributes, as JSON-friendly values."""
    values = {}
    for name in fields:
        value = getattr(obj, name, None)
        if hasattr(value, "isoformat"):
            value = value.isoformat()
        values[name] = value
    return values


def diff(
    before: dict[str, Any] | None, after: dict[str, Any] | None, redact: tuple[str, ...] = ()
) -> dict[str, Any]:
    """``{field: [old, new]}`` for fields that differ; redacted fields show only that they did."""
    before, after = before or {}, after or {}
    changes: dict[str, Any] = {}
    for name in sorted(set(before) | set(after)):
        old, new = before.get(name), after.get(name)
        if old != new:
            changes[name] = REDACTED if name in redact else [old, new]
    return changes


def record(
    action: str,
    entity_type: str,
    entity_id: int | None = None,
    *,
    changes: dict[str, Any] | None = None,
    actor=None,
    actor_label: str | None = None,
    unit_id: int | None = None,
    extra: dict[str, Any] | None = None,
) -> AuditEvent:
    """Add an audit row to the current transaction (it commits with the change it describes)."""
    if actor is None and has_request_context() and current_user.is_authenticated:
        actor = current_user
    summary: dict[str, Any] = {}
    if changes:
        summary["changes"] = changes
    if extra:
        summary.update(extra)
    event = AuditEvent(
        at=clock.now(),
        actor_id=actor.id if actor is not None else None,
        actor_label=actor_label or (f"{actor.name} ({actor.role})" if actor is not None else ""),
        action=action,
        entity_type=entity_type,
        entity_id=entity_id,
        summary=summary,
        ip=(request.remote_addr or "") if has_request_context() else "",
        unit_id=unit_id,
    )
    db.session.add(event)
    return event
