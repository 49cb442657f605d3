"""The watcher: a long-running process that takes due ladder steps and sends the outbox.

``flask --app wsgi lone-working watch``. Every few seconds it writes a heartbeat, runs one tick
and delivers what is due. An error in one pass is logged and the next pass goes on: the watcher
must not die quietly. Several may run at once against PostgreSQL.
"""

import logging
import os
import socket
import time

from flask import Flask

from app.core import clock
from app.extensions import db
from app.lone_working import escalation
from app.notify.channels import channels_from_config
from app.notify.services import deliver_due

log = logging.getLogger("waypoint.watcher")


def run_once(app: Flask, name: str, channels=None) -> dict:
    """One pass: ladder tick, outbox delivery, heartbeat. Returns what happened.

    Messages already queued are delivered even if the tick failed. The heartbeat is written only
    after a tick that processed every due outing, so a watcher that is running but failing shows
    as stale on the board and in /healthz.
    """
    channels = channels if channels is not None else channels_from_config(app.config)
    try:
        result = escalation.tick(clock.now(), batch=app.config["WATCHER_BATCH"])
    finally:
        sent = deliver_due(channels)
    if not result.failed:
        escalation.beat(name)
    return {"steps": result.steps, "failed_outings": result.failed, **sent}


def watch(app: Flask, interval: float, passes: int | None = None) -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    name = f"{socket.gethostname()}:{os.getpid()}"
    channels = channels_from_config(app.config)
    log.info("watcher %s: re-planned %d open outings", name, escalation.replan_open_outings())
    log.info("watcher %s started; interval %.1fs; channels %s", name, interval, sorted(channels))
    done = 0
    while passes is None or done < passes:
        started = time.monotonic()
        try:
            result = run_once(app, name, channels)
            if result["steps"] or result["sent"] or result["failed"] or result["failed_outings"]:
                log.info("watcher pass: %s", result)
        except Exception:  # keep watching whatever happened; the next pass may succeed
            log.exception("watcher pass failed")
            db.session.rollback()
        finally:
            db.session.remove()
        done += 1
        time.sleep(max(0.0, interval - (time.monotonic() - started)))
