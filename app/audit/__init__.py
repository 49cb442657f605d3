"""The append-only audit trail: one helper that every feature calls, and a page to read it."""

from flask import Blueprint

bp = Blueprint("audit", __name__, url_prefix="/audit")

from app.audit import routes  # noqa: E402,F401
