"""Routes that belong to no feature: the health check."""

from flask import Blueprint, current_app, jsonify
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from app.extensions import db

bp = Blueprint("core", __name__)


@bp.get("/healthz")
def healthz():
    """Machine-readable health for a load balancer or monitor; needs no login."""
    checks = {"database": "ok"}
    try:
        db.session.execute(text("SELECT 1"))
    except SQLAlchemyError:
        db.session.rollback()
        checks["database"] = "unreachable"
    else:
        # Features add their own checks (e.g. the lone-working watcher's heartbeat).
        for name, check in current_app.extensions.get("health_checks", {}).items():
            try:
                checks[name] = check()
            except SQLAlchemyError:
                db.session.rollback()
                checks[name] = "unknown"
    healthy = all(value == "ok" for value in checks.values())
    response = jsonify({"status": "ok" if healthy else "error", **checks})
    response.status_code = 200 if healthy else 503
    return response
