"""The phone home screen: large actions for the day's work in the current unit."""

from flask import Blueprint

bp = Blueprint("home", __name__)

from app.home import routes  # noqa: E402,F401
