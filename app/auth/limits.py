"""Attempt limits (login, PIN) counted where every worker and process sees the same numbers.

The default storage is the app's own database (``database://``): one small table with an atomic
upsert-and-increment, so two gunicorn workers, the watcher and a CLI share one count without
another service. ``RATELIMIT_STORAGE_URI=redis://...`` (or any ``limits`` storage) is used instead
when several machines serve the app. Time comes from ``app.core.clock`` so tests can move it.

Counts are fixed windows: the first failure starts a window of the limit's length; the window and
its count end together.
"""

import hashlib
import hmac

from flask import current_app, has_app_context
from limits import RateLimitItem, parse
from limits.storage import Storage
from sqlalchemy import Column, Float, Integer, String, Table, case, delete, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Engine
from sqlalchemy.exc import SQLAlchemyError

from app.audit.services import record
from app.auth.models import User
from app.core import clock
from app.extensions import db, limiter
from app.notify.channels import addresses, available_channels
from app.notify.services import enqueue

rate_limits = Table(
    "rate_limits",
    db.metadata,
    Column("key", String(255), primary_key=True),
    Column("count", Integer, nullable=False),
    # Seconds since the epoch (UTC): compares the same way on SQLite and PostgreSQL.
    Column("expires_at", Float, nullable=False),
)


SWEEP_EVERY = 100  # increments per process between deletions of ended windows


class DatabaseStorage(Storage):
    """A ``limits`` storage in the app's database, registered as ``database://``."""

    STORAGE_SCHEME = ["database"]

    def __init__(self, uri: str | None = None, wrap_exceptions: bool = False, **options):
        super().__init__(uri, wrap_exceptions=wrap_exceptions, **options)
        self._engine: Engine | None = None
        self._increments = 0

    @property
    def base_exceptions(self) -> type[Exception]:
        return SQLAlchemyError

    def engine(self) -> Engine:
        # Its own connection, not the request's session: a count must stand even when the
        # request's transaction is rolled back, and must not wait for it to commit.
        if has_app_context():
            self._engine = db.engine
        if self._engine is None:
            raise RuntimeError("the database rate-limit storage needs an app context first")
        return self._engine

    def incr(self, key: str, expiry: int, amount: int = 1) -> int:
        """Add ``amount`` in one statement (a new window if the old one has ended); the count."""
        now = clock.now().timestamp()
        engine = self.engine()
        dialect = postgresql if engine.dialect.name == "postgresql" else sqlite
        insert = dialect.insert(rate_limits).values(key=key, count=amount, expires_at=now + expiry)
        ended = rate_limits.c.expires_at <= now
        statement = insert.on_conflict_do_update(
            index_elements=["key"],
            set_={
                "count": case((ended, amount), else_=rate_limits.c.count + amount),
                "expires_at": case((ended, now + expiry), else_=rate_limits.c.expires_at),
            },
        ).returning(rate_limits.c.count)
        with engine.begin() as conn:
            counted = int(conn.execute(statement).scalar_one())
            self._increments += 1
            if self._increments % SWEEP_EVERY == 0:  # keys a stranger makes up do not pile up
                conn.execute(delete(rate_limits).where(rate_limits.c.expires_at <= now))
        return counted

    def _row(self, key: str):
        with self.engine().connect() as conn:
            return conn.execute(
                select(rate_limits.c.count, rate_limits.c.expires_at).where(
                    rate_limits.c.key == key,
                    rate_limits.c.expires_at > clock.now().timestamp(),
                )
            ).first()

    def get(self, key: str) -> int:
        row = self._row(key)
        return int(row.count) if row else 0

    def get_expiry(self, key: str) -> float:
        row = self._row(key)
        return float(row.expires_at) if row else clock.now().timestamp()

    def check(self) -> bool:
        try:
            with self.engine().connect() as conn:
                conn.execute(select(1))
            return True
        except SQLAlchemyError:
            return False

    def reset(self) -> int | None:
        if not has_app_context() and self._engine is None:
            return 0  # never used: nothing counted yet
        with self.engine().begin() as conn:
            return conn.execute(delete(rate_limits)).rowcount

    def clear(self, key: str) -> None:
        with self.engine().begin() as conn:
            conn.execute(delete(rate_limits).where(rate_limits.c.key == key))


def _item(config_name: str) -> RateLimitItem:
    return parse(current_app.config[config_name])


def _key(item: RateLimitItem, scope: str, *parts: str) -> str:
    return item.key_for(scope, *parts)


def count(config_name: str, scope: str, *parts: str) -> int:
    """Add one to the count for ``scope``/``parts`` under the named limit; the new count."""
    item = _item(config_name)
    return limiter.storage.incr(_key(item, scope, *parts), item.get_expiry())


def reached(config_name: str, scope: str, *parts: str) -> bool:
    """Whether the count has reached the named limit (further tries are refused)."""
    item = _item(config_name)
    return limiter.storage.get(_key(item, scope, *parts)) >= item.amount


def amount(config_name: str) -> int:
    return _item(config_name).amount


def window_minutes(config_name: str) -> int:
    return max(1, _item(config_name).get_expiry() // 60)


# --- login -----------------------------------------------------------------------------------


def keyed_hash(text: str) -> str:
    """A short HMAC of ``text`` under the secret key: groups repeats without keeping the text."""
    digest = hmac.new(
        current_app.config["SECRET_KEY"].encode(), text.encode(), hashlib.sha256
    ).hexdigest()
    return digest[:16]


def login_refused(email: str, address: str) -> bool:
    """Whether this address is held back, for this account or for every account."""
    account = keyed_hash(email)
    return reached("LOGIN_LIMIT_PER_IP", "login-ip", address) or reached(
        "LOGIN_LIMIT_PER_ACCOUNT", "login-account-address", account, address
    )


def count_login_failure(email: str, address: str, user: User | None) -> None:
    """Count a failed login three ways; at the account's ceiling, audit it and tell the owner.

    The ceiling counts failures from every address but never locks: a stranger must not be
    able to keep the owner out, so it raises the alarm instead.
    """
    account = keyed_hash(email)
    count("LOGIN_LIMIT_PER_IP", "login-ip", address)
    count("LOGIN_LIMIT_PER_ACCOUNT", "login-account-address", account, address)
    failures = count("LOGIN_ALERT_PER_ACCOUNT", "login-account", account)
    if user is None or failures != amount("LOGIN_ALERT_PER_ACCOUNT"):
        return
    minutes = window_minutes("LOGIN_ALERT_PER_ACCOUNT")
    record(
        "login_failures_ceiling",
        "staff",
        user.id,
        actor_label="system",
        unit_id=user.home_unit_id,
        extra={"failures": failures, "minutes": minutes},
    )
    _tell_owner(
        user,
        f"Waypoint: there have been {failures} failed attempts to log in to your account in "
        f"the last {minutes} minutes. If this was not you, tell your lead or administrator. "
        "Your account is not locked.",
    )


def _tell_owner(user: User, body: str) -> None:
    channels = available_channels(current_app.config)
    stamp = int(clock.now().timestamp())
    for channel, address in addresses(user, channels):
        enqueue(
            dedupe_key=f"login-ceiling:{user.id}:{stamp}:{channel}",
            topic="login",
            topic_id=user.id,
            channel=channel,
            address=address,
            subject="Waypoint: failed logins to your account",
            body=body,
            recipient_id=user.id,
        )
