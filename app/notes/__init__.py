"""In-community activity notes: drafts that survive a lost signal, sign-off, amendments,
countersigning and MOHOST ratings."""

from flask import Blueprint

bp = Blueprint("notes", __name__, url_prefix="/notes")

from app.notes import routes  # noqa: E402,F401
