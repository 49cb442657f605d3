"""The audit page for leads and admins."""

from flask import request
from flask_login import current_user
from sqlalchemy import func, select, true

from app.audit import bp
from app.audit.models import AuditEvent
from app.auth.decorators import roles_required
from app.core.forms import parse_id
from app.core.htmx import render
from app.extensions import db

PAGE_SIZE = 50


def _int_arg(name: str) -> int | None:
    return parse_id(request.args.get(name, ""))


def _in_scope():
    """Admins see every event; a lead only those of the units they lead or cover.

    Events with no unit (a failed login with an unknown email, system events) are admin-only.
    """
    if current_user.has_role("admin"):
        return true()
    return AuditEvent.unit_id.in_([u.id for u in current_user.accessible_units()])


@bp.get("")
@roles_required("lead", "admin")
def index():
    """Newest first, filterable by the kind of record and by the person who acted."""
    entity = request.args.get("entity", "")
    actor_id = _int_arg("actor")
    page = max(_int_arg("page") or 1, 1)

    query = select(AuditEvent).where(_in_scope())
    if entity:
        query = query.where(AuditEvent.entity_type == entity)
    if actor_id:
        query = query.where(AuditEvent.actor_id == actor_id)
    total = db.session.scalar(select(func.count()).select_from(query.subquery()))
    events = db.session.scalars(
        query.order_by(AuditEvent.at.desc(), AuditEvent.id.desc())
        .limit(PAGE_SIZE)
        .offset((page - 1) * PAGE_SIZE)
    ).all()

    entities = db.session.scalars(
        select(AuditEvent.entity_type)
        .where(_in_scope())
        .distinct()
        .order_by(AuditEvent.entity_type)
    ).all()
    actors = db.session.execute(
        select(AuditEvent.actor_id, func.max(AuditEvent.actor_label))
        .where(AuditEvent.actor_id.is_not(None), _in_scope())
        .group_by(AuditEvent.actor_id)
        .order_by(func.max(AuditEvent.actor_label))
    ).all()
    return render(
        "audit/index.html",
        "audit/_events.html",
        events=events,
        entities=entities,
        actors=actors,
        entity=entity,
        actor_id=actor_id,
        page=page,
        has_next=page * PAGE_SIZE < total,
        total=total,
    )
