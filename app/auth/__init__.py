"""Staff accounts, units, login, roles and the staff admin pages."""

from flask import Blueprint

bp = Blueprint("auth", __name__)

from app.auth import routes  # noqa: E402,F401
