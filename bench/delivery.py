"""Delivery benchmark: queued -> sent by severity under a backlog, and steps on time while a
channel hangs; each against a baseline measured in the same run.

1. Severity. --backlog messages (default 5 000: worker prompts, buddy and lead alerts) wait in the
   outbox; for --duration seconds a feeder queues one message of each severity every 0.25 s.
   A fake channel answers each send in --latency seconds (a provider round trip). Measured: how
   long each fed message waited, queued -> sent, by severity. Unsent at the end counts as its
   wait so far (shown with >=). New: the watcher's sender (app.notify.services.run_sender), most
   urgent first, OUTBOX_SENDERS at once. Baseline: the sender before issue 15 (first in, first
   out, one send at a time).
2. Steps on time. --outings outings fall due over 15 s while the SMS channel hangs (each send
   waits --hang seconds, then fails) and a backlog keeps every sender busy. Measured: how late each
   step was written (fired_at - due). New: ladder passes every --interval s, sending in its own
   thread (the watcher). Baseline: ladder then sending in one loop (the watcher before issue 15:
   deliver_due after each tick, 20 s budget).

Database: a throwaway SQLite file, or DATABASE_URL when set (that database is wiped: DROP SCHEMA
public CASCADE, then migrations).

    .venv/bin/python bench/delivery.py [--backlog 5000] [--duration 20] [--latency 0.02]
        [--outings 20] [--hang 10] [--interval 1]

Goal (issue 15): emergency p95 queued -> sent <= 5 s under a backlog of 5 000.
"""

import argparse
import os
import statistics
import sys
import tempfile
import threading
import time
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

SEVERITIES = ("emergency", "leads", "buddy", "routine")  # app.notify.models: 0, 1, 2, 3
GOAL_P95 = 5.0


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[round(p * (len(ordered) - 1))]


class FakeChannel:
    """Answers after ``latency`` seconds; with ``hang`` it waits that long and then fails."""

    def __init__(self, latency: float = 0.0, hang: float = 0.0):
        self.latency, self.hang, self.sent = latency, hang, 0

    def send(self, message) -> str:
        from app.notify.channels import DeliveryError

        if self.hang:
            time.sleep(self.hang)
            raise DeliveryError("timed out")
        time.sleep(self.latency)
        self.sent += 1
        return f"fake-{message.id}"


def make_app():
    from flask_migrate import upgrade
    from sqlalchemy import text

    from app import create_app
    from app.extensions import db
    from app.lone_working.watcher import serialise_sqlite_writes

    url = os.environ.get("DATABASE_URL") or f"sqlite:///{tempfile.mkdtemp()}/bench.db"
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            url = "postgresql+psycopg://" + url[len(prefix) :]
    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": url,
            # SMS configured so the ladder queues texts; the bench sends them with fake channels.
            "NOTIFY_API_KEY": "bench-" + "1" * 36 + "-" + "2" * 36,
            "NOTIFY_SMS_TEMPLATE_ID": "33333333-3333-3333-3333-333333333333",
            "SMTP_HOST": "",
        }
    )
    with app.app_context():
        if db.engine.dialect.name == "postgresql":
            with db.engine.begin() as conn:
                conn.execute(text("DROP SCHEMA public CASCADE"))
                conn.execute(text("CREATE SCHEMA public"))
        upgrade()
        serialise_sqlite_writes(db.engine)  # as the watcher process does
    return app


def wipe(app) -> None:
    from app.extensions import db

    with app.app_context():
        with db.engine.begin() as conn:
            for table in reversed(db.metadata.sorted_tables):
                conn.execute(table.delete())
        db.session.remove()


def queue(app, prefix: str, severities: list[int]) -> None:
    from sqlalchemy import insert

    from app.core import clock
    from app.extensions import db
    from app.notify.models import OutboxMessage

    now = clock.now()
    rows = [
        {
            "dedupe_key": f"{prefix}:{i}:{s}",
            "topic": "bench",
            "topic_id": s,
            "channel": "sms",
            "address": "07700 900000",
            "subject": "",
            "body": "Bench alert",
            "priority": s,
            "status": "pending",
            "attempts": 0,
            "created_at": now,
            "next_attempt_at": now,
            "last_error": "",
            "provider_ref": "",
        }
        for i, s in enumerate(severities)
    ]
    with app.app_context():
        db.session.execute(insert(OutboxMessage), rows)
        db.session.commit()
        db.session.remove()


def old_sender(app, channels, stop: threading.Event) -> None:
    """The sender before issue 15: first in, first out, one send at a time."""
    from app.core import clock
    from app.extensions import db
    from app.notify.services import claim, send_claimed

    with app.app_context():
        while not stop.is_set():
            message = claim(clock.now())
            if message is None:
                stop.wait(0.2)
            else:
                send_claimed(message, channels)
            db.session.remove()


def severity_run(app, args, new: bool) -> dict[str, list[tuple[float, bool]]]:
    """One run; per severity, (wait in seconds, sent?) of each fed message."""
    from sqlalchemy import select

    from app.core import clock
    from app.extensions import db
    from app.notify.models import OutboxMessage
    from app.notify.services import run_sender

    wipe(app)
    weights = [1] * 2 + [2] * 1 + [3] * 2  # lead alerts, buddy alerts, worker prompts
    backlog = [weights[i % len(weights)] for i in range(args.backlog)]
    queue(app, "backlog", backlog if new else [3] * len(backlog))
    channels = {"sms": FakeChannel(latency=args.latency)}
    stop = threading.Event()
    if new:
        sender = threading.Thread(target=run_sender, args=(app, channels, stop))
    else:
        sender = threading.Thread(target=old_sender, args=(app, channels, stop))
    sender.start()
    end = time.monotonic() + args.duration
    n = 0
    while time.monotonic() < end:
        # the same mix both ways; the baseline has no priorities, so all go in as routine
        queue(app, f"fed{n}", list(range(4)) if new else [3] * 4)
        n += 1
        time.sleep(0.25)
    finished = clock.now()
    stop.set()
    sender.join()
    waits: dict[str, list[tuple[float, bool]]] = {s: [] for s in SEVERITIES}
    with app.app_context():
        rows = db.session.execute(
            select(
                OutboxMessage.dedupe_key,
                OutboxMessage.created_at,
                OutboxMessage.sent_at,
            ).where(OutboxMessage.dedupe_key.like("fed%"))
        ).all()
        db.session.remove()
    for key, created, sent in rows:
        severity = SEVERITIES[int(key.split(":")[1])]
        waits[severity].append((((sent or finished) - created).total_seconds(), sent is not None))
    waits["sent"] = [(float(channels["sms"].sent), True)]
    return waits


def seed_outings(app, count: int, start) -> list:
    from app.auth.models import Unit, User
    from app.extensions import db
    from app.lone_working.models import Outing

    dues = [start + timedelta(seconds=2 + 15 * i / max(count - 1, 1)) for i in range(count)]
    with app.app_context():
        unit = Unit(name="Bench Unit", short_name="Bench")
        db.session.add(unit)
        db.session.flush()
        buddy = User(name="Buddy", email="b@example.com", phone="07700 900001", role="lead")
        buddy.home_unit_id, buddy.password_hash = unit.id, "x"
        db.session.add(buddy)
        ids = []
        for i, due in enumerate(dues):
            worker = User(name=f"W{i}", email=f"w{i}@example.com", phone="07700 900002", role="ot")
            worker.home_unit_id, worker.password_hash = unit.id, "x"
            db.session.add(worker)
            db.session.flush()
            outing = Outing(
                unit_id=unit.id,
                worker_id=worker.id,
                buddy_id=buddy.id,
                destination=f"Library {i}",
                contact_number="07700 900000",
                checked_out_at=due - timedelta(minutes=30),
                last_welfare_at=due - timedelta(minutes=30),
                expected_return=due,
                next_step_at=due,
                status="out",
            )
            db.session.add(outing)
            db.session.flush()
            ids.append((outing.id, due))
        db.session.commit()
        db.session.remove()
    return ids


def steps_run(app, args, new: bool) -> list[float]:
    """How late each outing's first step was written, in seconds."""
    from sqlalchemy import select

    from app.core import clock
    from app.extensions import db
    from app.lone_working.models import EscalationStep
    from app.lone_working.watcher import run_once
    from app.notify.services import run_sender

    wipe(app)
    queue(app, "hung", [3] * 8)  # every sender is busy on the hung channel from the start
    channels = {"sms": FakeChannel(hang=args.hang)}
    outings = seed_outings(app, args.outings, clock.now())
    last_due = outings[-1][1]
    stop = threading.Event()
    sender = threading.Thread(target=run_sender, args=(app, channels, stop), daemon=True)
    if new:
        sender.start()
    query = select(EscalationStep.outing_id, EscalationStep.fired_at).where(
        EscalationStep.step_key == "e1:prompt"
    )
    fired: dict = {}
    # Pass after pass until every outing's first step is written (or 2 minutes past the last due).
    while len(fired) < len(outings) and clock.now() < last_due + timedelta(minutes=2):
        started = time.monotonic()
        with app.app_context():
            run_once(app, "bench", None if new else channels)
            fired = dict(db.session.execute(query).all())
            db.session.remove()
        time.sleep(max(0.0, args.interval - (time.monotonic() - started)))
    stop.set()
    return [(fired[i] - due).total_seconds() for i, due in outings]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backlog", type=int, default=5000, help="messages waiting (max 50 000)")
    parser.add_argument("--duration", type=float, default=20.0, help="feeding seconds (max 120)")
    parser.add_argument("--latency", type=float, default=0.02, help="fake send time, seconds")
    parser.add_argument("--outings", type=int, default=20, help="outings falling due (max 200)")
    parser.add_argument("--hang", type=float, default=10.0, help="a hung send's seconds")
    parser.add_argument("--interval", type=float, default=1.0, help="ladder interval, seconds")
    args = parser.parse_args()
    args.backlog = max(0, min(args.backlog, 50_000))
    args.duration = max(2.0, min(args.duration, 120.0))
    args.outings = max(2, min(args.outings, 200))
    args.interval = max(0.2, min(args.interval, 10.0))

    import logging

    logging.getLogger("waypoint.notify").setLevel(logging.ERROR)
    app = make_app()
    with app.app_context():
        from app.extensions import db

        dialect = db.engine.dialect.name
    senders = app.config["OUTBOX_SENDERS"]
    print(
        f"{dialect}: backlog {args.backlog} messages, {args.duration:g} s of feeding (one of "
        f"each severity every 0.25 s), fake send {args.latency * 1000:g} ms"
    )
    runs = {
        "baseline": severity_run(app, args, new=False),
        "new": severity_run(app, args, new=True),
    }
    print()
    print("1. queued -> sent, seconds (>= : some still unsent at the end, counted as waited)")
    print(
        f"{'':<22}{'baseline (FIFO, 1 at a time)':>30}{f'new (by severity, {senders} at once)':>34}"
    )
    for severity in SEVERITIES:
        cells = []
        for name in ("baseline", "new"):
            waits = runs[name][severity]
            censored = any(not sent for _, sent in waits)
            values = [w for w, _ in waits]
            mark = ">=" if censored else ""
            cells.append(
                f"{mark}{statistics.median(values):.2f} / {mark}{pct(values, 0.95):.2f}"
                f" ({sum(s for _, s in waits)}/{len(waits)} sent)"
            )
        print(f"{severity + ' p50 / p95':<22}{cells[0]:>30}{cells[1]:>34}")
    base_p95 = pct([w for w, _ in runs["baseline"]["emergency"]], 0.95)
    new_p95 = pct([w for w, _ in runs["new"]["emergency"]], 0.95)
    print(
        f"emergency p95: {new_p95:.2f} s new vs {base_p95:.2f} s baseline "
        f"({base_p95 / max(new_p95, 1e-6):.0f}x sooner); goal <= {GOAL_P95:g} s: "
        f"{'met' if new_p95 <= GOAL_P95 else 'NOT met'}"
    )
    sent = [int(runs[name]["sent"][0][0]) for name in ("baseline", "new")]
    print(f"messages sent in the run: {sent[0]} baseline, {sent[1]} new")

    print()
    print(
        f"2. steps on time: {args.outings} outings due over 15 s, SMS hanging {args.hang:g} s per "
        f"send, ladder every {args.interval:g} s"
    )
    late = {"baseline": steps_run(app, args, new=False), "new": steps_run(app, args, new=True)}
    for name, label in (("baseline", "baseline (one loop)"), ("new", "new (sending apart)")):
        values = late[name]
        print(
            f"{label:<22} step written after due: median {statistics.median(values):.2f} s, "
            f"p95 {pct(values, 0.95):.2f} s, max {max(values):.2f} s"
        )
    print(
        f"worst lateness: {max(late['new']):.2f} s new vs {max(late['baseline']):.2f} s baseline "
        f"(bound: interval {args.interval:g} s + the pass)"
    )


if __name__ == "__main__":
    main()
