"""Configuration from environment variables only, with safe defaults for a one-machine install."""

import os
import secrets
from pathlib import Path

DEV_SECRET_FILE = "secret_key"
# Rate-limit storages that count inside one process: several workers would each count alone.
UNSHARED_LIMIT_STORAGES = {"memory", "async+memory"}


class ConfigError(RuntimeError):
    """The app refuses to start with this configuration."""


def _bool(value: str | None, default: bool) -> bool:
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def database_url(instance_path: Path) -> str:
    url = os.environ.get("DATABASE_URL", "").strip()
    if not url:
        return f"sqlite:///{instance_path / 'waypoint.db'}"
    # Accept the common spellings and use psycopg 3.
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def engine_options(url: str) -> dict:
    """Check PostgreSQL connections before use and give up on an unreachable server in 5 s, not
    minutes. Not SQLite: a connection to a file cannot be dropped, so the check (one more
    statement on every request) could never find anything."""
    # hide_parameters: a database error must not write free text (notes, places) into the logs.
    options: dict = {"hide_parameters": True}
    if url.startswith("postgresql"):
        # A restarted server or a dropped idle connection is found before a request uses it.
        options["pool_pre_ping"] = True
        options["connect_args"] = {"connect_timeout": 5}
    elif url.startswith("sqlite"):
        # Several processes write (web, watchers): wait for a lock up to 30 s rather than fail.
        options["connect_args"] = {"timeout": 30}
    return options


def _instance_secret(instance_path: Path) -> str:
    """A key generated once into instance/ for a local install (never used in production)."""
    path = instance_path / DEV_SECRET_FILE
    if path.exists():
        return path.read_text().strip()
    instance_path.mkdir(parents=True, exist_ok=True)
    key = secrets.token_hex(32)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write(key)
    return key


def from_environment(instance_path: Path) -> dict:
    env = os.environ
    production = env.get("WAYPOINT_ENV", "development").strip().lower() == "production"
    secret = env.get("SECRET_KEY", "").strip()
    if production:
        if len(secret) < 32 or secret.lower() in {"dev", "development", "changeme", "secret"}:
            raise ConfigError(
                "WAYPOINT_ENV=production needs SECRET_KEY set to a random value of at least "
                "32 characters, for example from: "
                "python -c 'import secrets; print(secrets.token_hex(32))'"
            )
    else:
        secret = secret or _instance_secret(instance_path)
    limit_storage = env.get("RATELIMIT_STORAGE_URI", "").strip() or "database://"
    if production and limit_storage.split(":", 1)[0].lower() in UNSHARED_LIMIT_STORAGES:
        raise ConfigError(
            f"WAYPOINT_ENV=production needs RATELIMIT_STORAGE_URI to be shared by every worker: "
            f"{limit_storage!r} counts in each process alone. Leave it unset (the database) or "
            "use redis://host:6379/0 for several machines."
        )

    return {
        "WAYPOINT_ENV": "production" if production else "development",
        "PRODUCTION": production,
        "SECRET_KEY": secret,
        "SQLALCHEMY_DATABASE_URI": database_url(instance_path),
        "SESSION_COOKIE_SECURE": production or _bool(env.get("SESSION_COOKIE_SECURE"), False),
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        # The cookie is sent again only when the session changes (the last-seen stamp moves at
        # most once a minute), not on every response.
        "SESSION_REFRESH_EACH_REQUEST": False,
        "SESSION_COOKIE_NAME": "__Host-waypoint" if production else "waypoint",
        "REMEMBER_COOKIE_DURATION": 0,
        "IDLE_TIMEOUT_MINUTES": int(env.get("IDLE_TIMEOUT_MINUTES", "30")),
        # The token lives as long as the session; the idle timeout bounds the session.
        "WTF_CSRF_TIME_LIMIT": None,
        # Attempt limits (app/auth/limits.py), counted in storage every worker shares.
        "RATELIMIT_STORAGE_URI": limit_storage,
        "RATELIMIT_HEADERS_ENABLED": False,
        # Failed logins for one account from one address: the lock (the owner elsewhere gets in).
        "LOGIN_LIMIT_PER_ACCOUNT": env.get("LOGIN_LIMIT_PER_ACCOUNT", "5 per 15 minutes"),
        # Failed logins from one address, whatever the account.
        "LOGIN_LIMIT_PER_IP": env.get("LOGIN_LIMIT_PER_IP", "30 per 15 minutes"),
        # Failed logins for one account from anywhere: never locks; audits and tells the owner.
        "LOGIN_ALERT_PER_ACCOUNT": env.get("LOGIN_ALERT_PER_ACCOUNT", "50 per 1 hour"),
        # Wrong lone-working PINs per person before check-in by PIN pauses.
        "PIN_LIMIT_PER_USER": env.get("PIN_LIMIT_PER_USER", "5 per 15 minutes"),
        # Texts to a unit's inbound number that did nothing (unknown or shared number, not
        # understood) per sender before further texts from it are only recorded.
        "SMS_LIMIT_PER_NUMBER": env.get("SMS_LIMIT_PER_NUMBER", "10 per 15 minutes"),
        "PROXY_FIX_X_FOR": int(env.get("PROXY_FIX_X_FOR", "0")),
        # A request body larger than this is refused with a 413 page: no form needs more (a
        # note's six boxes at their limits are well under 100 KB, even fully percent-encoded).
        "MAX_CONTENT_LENGTH": int(env.get("MAX_CONTENT_LENGTH", str(256 * 1024))),
        "TRUST_NAME": env.get("TRUST_NAME", "Waypoint NHS Foundation Trust"),
        "HSTS_SECONDS": int(env.get("HSTS_SECONDS", "31536000")),
        # Lone working: the ladder (JSON list of steps, see app/lone_working/ladder.py), how often
        # an unacknowledged alert is sent again, and how often the watcher looks.
        "LONE_WORKING_LADDER": env.get("LONE_WORKING_LADDER", ""),
        "LONE_WORKING_RESEND_MINUTES": int(env.get("LONE_WORKING_RESEND_MINUTES", "5")),
        "WATCHER_INTERVAL_SECONDS": float(env.get("WATCHER_INTERVAL_SECONDS", "5")),
        "WATCHER_BATCH": int(env.get("WATCHER_BATCH", "500")),
        # The outbox: how long a sender's claim on a message lasts (a crashed sender's messages
        # are retried after it), how many sends run at once, a channel's network timeout, and
        # when /healthz and the board say texts are not going out (a message waiting longer
        # than OUTBOX_STUCK_SECONDS, or a channel whose every attempt in the last
        # OUTBOX_FAILING_MINUTES failed, at least OUTBOX_FAILING_ATTEMPTS of them).
        "OUTBOX_CLAIM_SECONDS": int(env.get("OUTBOX_CLAIM_SECONDS", "30")),
        "OUTBOX_SENDERS": int(env.get("OUTBOX_SENDERS", "4")),
        "OUTBOX_SEND_TIMEOUT_SECONDS": float(env.get("OUTBOX_SEND_TIMEOUT_SECONDS", "10")),
        "OUTBOX_STUCK_SECONDS": int(env.get("OUTBOX_STUCK_SECONDS", "120")),
        "OUTBOX_FAILING_MINUTES": int(env.get("OUTBOX_FAILING_MINUTES", "5")),
        "OUTBOX_FAILING_ATTEMPTS": int(env.get("OUTBOX_FAILING_ATTEMPTS", "3")),
        # Messages: GOV.UK Notify (SMS and email) and/or SMTP (email).
        "NOTIFY_API_KEY": env.get("NOTIFY_API_KEY", ""),
        "NOTIFY_BASE_URL": env.get("NOTIFY_BASE_URL", ""),
        "NOTIFY_SMS_TEMPLATE_ID": env.get("NOTIFY_SMS_TEMPLATE_ID", ""),
        "NOTIFY_EMAIL_TEMPLATE_ID": env.get("NOTIFY_EMAIL_TEMPLATE_ID", ""),
        # The bearer token set on Notify's "received text messages" callback; empty: the
        # callback URL answers 404 (check-in by text is off).
        "NOTIFY_INBOUND_TOKEN": env.get("NOTIFY_INBOUND_TOKEN", ""),
        "SMTP_HOST": env.get("SMTP_HOST", ""),
        "SMTP_PORT": int(env.get("SMTP_PORT", "25")),
        "SMTP_USERNAME": env.get("SMTP_USERNAME", ""),
        "SMTP_PASSWORD": env.get("SMTP_PASSWORD", ""),
        "SMTP_STARTTLS": _bool(env.get("SMTP_STARTTLS"), False),
        "SMTP_FROM": env.get("SMTP_FROM", "waypoint@localhost"),
    }
