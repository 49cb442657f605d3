"""Safety huddles: one per unit per shift, with attendees, per-client RAG risk flags, entries
since the last huddle and for the next 24 hours, and actions that carry forward until done."""

from flask import Blueprint

bp = Blueprint("huddles", __name__, url_prefix="/huddles")

from app.huddles import routes  # noqa: E402,F401
