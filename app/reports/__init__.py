"""Reports: a client's timeline, the MDT / OT report (HTML and PDF, issued as signed versions)
and the unit's statistics. The one area that reads across features; it changes none of them."""

from flask import Blueprint

bp = Blueprint("reports", __name__, url_prefix="/reports")

from app.reports import routes  # noqa: E402,F401
