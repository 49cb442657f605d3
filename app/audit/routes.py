"""The audit page for leads and admins."""

from flask import request
from sqlalchemy import func, select

from app.audit import bp
from app.audit.models import AuditEvent
from app.auth.decorators import roles_required
from app.core.forms import parse_id
from app.core.htmx import render
from app.extensions import db

PAGE_SIZE = 50


def _int_arg(name: str) -> int | None:
    return parse_id(request.args.get(name, ""))


@bp.get("")
@roles_required("lead", "admin")
def index():
    """Newest first, filterable by the kind of record and by the person who acted."""
    entity = request.args.get("entity", "")
    actor_id = _int_arg("actor")
    page = max(_int_arg("page") or 1, 1)

    query = select(AuditEvent)
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
        select(AuditEvent.entity_type).distinct().order_by(AuditEvent.entity_type)
    ).all()
    actors = db.session.execute(
        select(AuditEvent.actor_id, func.max(AuditEvent.actor_label))
        .where(AuditEvent.actor_id.is_not(None))
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
