"""The watcher: a long-running process that takes due ladder steps and sends the outbox.

``flask --app wsgi lone-working watch``. Every few seconds it runs one ladder pass and writes a
heartbeat. Sending runs apart, in its own thread with its own database sessions
(``app.notify.services.run_sender``), so a slow or hung channel never holds up a step. An error in
one pass is logged and the next pass goes on, and a database that is down when the watcher starts
is waited for with backoff: the watcher must not die quietly. Several may run at once, on
PostgreSQL and on SQLite (where each watcher transaction takes the write lock at its start, so
watchers take turns instead of failing on each other's writes).
"""

import logging
import os
import socket
import threading
import time

from flask import Flask
from sqlalchemy import event
from sqlalchemy.engine import Engine

from app.core import clock
from app.extensions import db
from app.lone_working import escalation
from app.notify.channels import channels_from_config
from app.notify.services import deliver_due, run_sender

log = logging.getLogger("waypoint.watcher")

RETRY_FIRST, RETRY_MAX = 1.0, 30.0


def run_once(app: Flask, name: str, channels=None) -> dict:
    """One ladder pass: take every due step, then write the heartbeat. Returns what happened.

    The heartbeat is written only after a tick that processed every due outing, so a watcher
    that is running but failing shows as stale on the board and in /healthz. With ``channels``
    (tests, one-off runs) it also delivers what is due afterwards, in this thread; the watcher
    itself sends from its own thread.
    """
    try:
        result = escalation.tick(clock.now(), batch=app.config["WATCHER_BATCH"])
    finally:
        sent = deliver_due(channels) if channels is not None else {}
    if not result.failed:
        escalation.beat(name)
    return {"steps": result.steps, "failed_outings": result.failed, **sent}


def serialise_sqlite_writes(engine: Engine) -> None:
    """On SQLite, begin every transaction of this process with BEGIN IMMEDIATE (and use WAL so
    the web's readers are not blocked). A watcher reads then writes in one transaction; with
    SQLite's default deferred start, two watchers doing that at once make one fail with
    'database is locked' instead of waiting. Taking the lock first makes them wait their turn
    (engine_options gives the wait a 30 s limit)."""
    if engine.dialect.name != "sqlite":
        return

    @event.listens_for(engine, "connect")
    def _connect(dbapi_connection, record):
        dbapi_connection.isolation_level = None  # pysqlite's own BEGIN off: we send ours
        dbapi_connection.execute("PRAGMA journal_mode=WAL")

    @event.listens_for(engine, "begin")
    def _begin(connection):
        connection.exec_driver_sql("BEGIN IMMEDIATE")

    engine.dispose()  # connections made before this point lack the settings


def wait_for_database(name: str) -> int:
    """Re-plan open outings (the first thing the watcher does), retrying with backoff while the
    database cannot be reached. Returns how many outings changed."""
    delay = RETRY_FIRST
    while True:
        try:
            return escalation.replan_open_outings()
        except Exception as error:  # OperationalError, or the schema not there yet
            db.session.rollback()
            db.session.remove()
            log.warning(
                "watcher %s: database not reachable (%s); retrying in %.0fs",
                name,
                type(error).__name__,
                delay,
            )
            time.sleep(delay)
            delay = min(delay * 2, RETRY_MAX)


def watch(app: Flask, interval: float, passes: int | None = None) -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    name = f"{socket.gethostname()}:{os.getpid()}"
    channels = channels_from_config(app.config)
    serialise_sqlite_writes(db.engine)
    log.info("watcher %s: re-planned %d open outings", name, wait_for_database(name))
    stop = threading.Event()
    sender = threading.Thread(
        target=run_sender, args=(app, channels, stop), name="outbox-sender", daemon=True
    )
    sender.start()
    log.info("watcher %s started; interval %.1fs; channels %s", name, interval, sorted(channels))
    done = 0
    try:
        while passes is None or done < passes:
            started = time.monotonic()
            try:
                result = run_once(app, name)
                if result["steps"] or result["failed_outings"]:
                    log.info("watcher pass: %s", result)
            except Exception:  # keep watching whatever happened; the next pass may succeed
                log.exception("watcher pass failed")
                db.session.rollback()
            finally:
                db.session.remove()
            done += 1
            time.sleep(max(0.0, interval - (time.monotonic() - started)))
    finally:
        stop.set()
        sender.join(timeout=60)
    if passes is not None:  # a bounded run (tests) sends what is still due before it exits
        deliver_due(channels, limit=1_000_000, budget_seconds=60)
