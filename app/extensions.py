"""Flask extensions, created unbound and bound to the app in ``create_app``."""

from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf.csrf import CSRFProtect
from htmx_flask import Htmx
from limits.storage import Storage, storage_from_string
from sqlalchemy import MetaData
from sqlalchemy.orm import DeclarativeBase

# Named constraints so that migrations are stable on SQLite and PostgreSQL alike.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


db = SQLAlchemy(model_class=Base)
migrate = Migrate()
login_manager = LoginManager()
csrf = CSRFProtect()
htmx = Htmx()


class AttemptCounts:
    """Where the login and PIN attempt counts live (``app.auth.limits``): the ``limits`` storage
    that ``RATELIMIT_STORAGE_URI`` names, bound in ``create_app``.

    Flask-Limiter used to hold it; nothing used its per-route limits, but it ran three hooks on
    every request (about a tenth of a 304 poll's time)."""

    storage: Storage | None = None

    def init_app(self, app) -> None:
        self.storage = storage_from_string(app.config["RATELIMIT_STORAGE_URI"])
        app.extensions["attempt_counts"] = self

    def reset(self) -> None:
        if self.storage is not None:
            self.storage.reset()


limiter = AttemptCounts()
