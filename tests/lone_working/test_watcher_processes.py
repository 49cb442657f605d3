"""The watcher as a real OS process, on SQLite and PostgreSQL: a hung channel does not delay a step,
/healthz turns 503 when a channel fails every attempt, a watcher started with its database down
comes up when the database returns, and under `make run` a dying watcher is restarted without
taking the web down."""

import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
import time
from datetime import datetime, timedelta
from pathlib import Path
from types import SimpleNamespace

import pytest
from sqlalchemy import func, select
from sqlalchemy.engine import make_url

from app.auth.models import User
from app.core import clock
from app.extensions import db
from app.lone_working.models import EscalationStep, Outing, WatcherHeartbeat
from app.notify.services import enqueue
from tests.fakes import SECRET, SERVICE_ID, _free_port
from tests.lone_working.test_watchers_concurrent import ROOT, watcher_command, watcher_env

INTERVAL = 0.5
SLACK = 1.0  # the pass itself on a shared 2-core machine


class Output:
    """A process's stderr, read as it comes."""

    def __init__(self, process: subprocess.Popen):
        self.lines: list[str] = []
        self.thread = threading.Thread(target=self._read, args=(process,), daemon=True)
        self.thread.start()

    def _read(self, process):
        for line in process.stderr:
            self.lines.append(line)

    def wait_for(self, text: str, timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if any(text in line for line in self.lines):
                return True
            time.sleep(0.05)
        return False


def _start(app, passes=None, interval=INTERVAL, **env) -> subprocess.Popen:
    command = watcher_command(interval, passes or 10_000)
    return subprocess.Popen(
        command,
        cwd=ROOT,
        env=watcher_env(app, **env),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )


def _stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=20)


def _wait_until(check, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(0.1)
    return False


def _heartbeats(app) -> int:
    with app.app_context():
        count = db.session.scalar(select(func.count()).select_from(WatcherHeartbeat))
        db.session.remove()
    return count


@pytest.fixture
def hanging_server():
    """Accepts connections and never answers: a provider that hangs."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(64)
    held: list[socket.socket] = []

    def accept():
        while True:
            try:
                held.append(listener.accept()[0])
            except OSError:
                return

    threading.Thread(target=accept, daemon=True).start()
    yield SimpleNamespace(held=held, url=f"http://127.0.0.1:{listener.getsockname()[1]}")
    listener.close()
    for conn in held:
        conn.close()


def _add_outings(app, unit, dues: list[datetime]) -> list[int]:
    from werkzeug.security import generate_password_hash

    hashed = generate_password_hash("not-used-here-123")
    with app.app_context():
        buddy = User(
            name="Buddy Lead",
            email="buddy@example.com",
            phone="07700 900001",
            role="lead",
            home_unit_id=unit.id,
            password_hash=hashed,
        )
        db.session.add(buddy)
        ids = []
        for i, due in enumerate(dues):
            worker = User(
                name=f"Worker {i}",
                email=f"w{i}@example.com",
                phone="07700 900002",
                role="ot",
                home_unit_id=unit.id,
                password_hash=hashed,
            )
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
            ids.append(outing.id)
        db.session.commit()
    return ids


def test_a_hung_channel_does_not_delay_a_step_past_its_time_and_the_poll_interval(
    app, unit, hanging_server
):
    with app.app_context():  # a backlog that occupies every sender on the hung provider
        for i in range(8):
            enqueue(
                dedupe_key=f"backlog:{i}",
                topic="test",
                topic_id=None,
                channel="sms",
                address="07700 900003",
                body="Backlog",
            )
        db.session.commit()
    watcher = _start(
        app,
        NOTIFY_API_KEY=f"waypoint_test-{SERVICE_ID}-{SECRET}",
        NOTIFY_BASE_URL=hanging_server.url,
        NOTIFY_SMS_TEMPLATE_ID="33333333-3333-3333-3333-333333333333",
        OUTBOX_SEND_TIMEOUT_SECONDS=60,  # hangs longer than the whole test
    )
    try:
        assert _wait_until(lambda: _heartbeats(app) == 1, 30), "the watcher did not start"
        assert _wait_until(lambda: len(hanging_server.held) >= 4, 10)  # every sender is stuck
        start = clock.now()
        dues = [start + timedelta(seconds=1 + 1.3 * i) for i in range(6)]
        ids = _add_outings(app, unit, dues)
        time.sleep((dues[-1] - clock.now()).total_seconds() + INTERVAL + SLACK + 0.5)
    finally:
        _stop(watcher)
    with app.app_context():
        fired = dict(
            db.session.execute(
                select(EscalationStep.outing_id, EscalationStep.fired_at).where(
                    EscalationStep.step_key == "e1:prompt"
                )
            ).all()
        )
    lateness = [(fired[i] - due).total_seconds() for i, due in zip(ids, dues, strict=True)]
    assert all(0 <= late <= INTERVAL + SLACK for late in lateness), lateness
    assert len(hanging_server.held) >= 4  # and the channel hung all along


def test_healthz_turns_503_when_the_watcher_finds_a_channel_failing_every_attempt(
    app, unit, watcher_alive
):
    with app.app_context():
        for i in range(3):
            enqueue(
                dedupe_key=f"email:{i}",
                topic="test",
                topic_id=None,
                channel="email",
                address="lead@example.com",
                body="Alert",
            )
        db.session.commit()
    assert app.test_client().get("/healthz").status_code == 200
    watcher = _start(app, passes=3, interval=0.2, SMTP_HOST="127.0.0.1", SMTP_PORT=_free_port())
    assert watcher.wait(timeout=60) == 0, watcher.stderr.read()
    response = app.test_client().get("/healthz")
    assert response.status_code == 503
    assert response.json["delivery"].startswith("email failing")


class Forwarder:
    """A TCP relay from a local port to PostgreSQL: the database 'comes back' when it starts."""

    def __init__(self, port: int, target: tuple[str, int]):
        self.listener = socket.create_server(("127.0.0.1", port))
        self.target = target
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while True:
            try:
                client = self.listener.accept()[0]
            except OSError:
                return
            upstream = socket.create_connection(self.target)
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pump, args=(a, b), daemon=True).start()

    @staticmethod
    def _pump(source, sink):
        try:
            while data := source.recv(65536):
                sink.sendall(data)
        except OSError:
            pass
        finally:
            sink.close()

    def close(self):
        self.listener.close()


def test_a_watcher_started_with_the_database_down_comes_up_when_it_returns(app, tmp_path):
    url = make_url(app.config["SQLALCHEMY_DATABASE_URI"])
    later = tmp_path / "not-yet"
    if url.get_backend_name() == "sqlite":
        unreachable = f"sqlite:///{later / 'waypoint.db'}"  # its folder does not exist yet
    else:
        port = _free_port()  # nothing listens there until the relay starts
        unreachable = url.set(host="127.0.0.1", port=port).render_as_string(hide_password=False)
    watcher = subprocess.Popen(
        watcher_command(0.2, 10_000),
        cwd=ROOT,
        env={**watcher_env(app), "DATABASE_URL": unreachable},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    output = Output(watcher)
    relay = None
    try:
        assert output.wait_for("database not reachable", 30), output.lines
        time.sleep(1.5)  # it keeps trying, and has not exited
        assert watcher.poll() is None, output.lines
        if url.get_backend_name() == "sqlite":
            later.mkdir()
            with (
                sqlite3.connect(url.database) as source,
                sqlite3.connect(later / "waypoint.db") as copy,
            ):
                source.backup(copy)

            def beaten():
                with sqlite3.connect(later / "waypoint.db") as conn:
                    return conn.execute("SELECT count(*) FROM watcher_heartbeats").fetchone()[0]
        else:
            relay = Forwarder(port, (url.host or "127.0.0.1", url.port or 5432))

            def beaten():
                return _heartbeats(app)

        assert _wait_until(lambda: beaten() == 1, 40), output.lines
        assert watcher.poll() is None
    finally:
        _stop(watcher)
        if relay is not None:
            relay.close()


def test_under_make_run_a_watcher_that_dies_is_restarted_and_the_web_keeps_running(tmp_path):
    honcho = Path(sys.executable).parent / "honcho"
    line = next(
        line for line in (ROOT / "Procfile").read_text().splitlines() if line.startswith("watcher:")
    )
    assert ".venv/bin/flask --app wsgi lone-working watch" in line
    (tmp_path / "Procfile").write_text(
        "web: sleep 60\n" + line.replace(".venv/bin/flask --app wsgi lone-working watch", "false")
    )
    if not honcho.exists():
        honcho = shutil.which("honcho")
    process = subprocess.Popen(
        [str(honcho), "--no-colour", "-f", "Procfile", "start"],
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    time.sleep(7)
    alive = process.poll() is None
    process.send_signal(signal.SIGTERM)
    output = process.communicate(timeout=20)[0]
    assert alive, output  # honcho did not stop everything when the watcher exited
    assert output.count("watcher exited with status 1; restarting in 5 s") >= 2, output
