"""The login limit holds across real gunicorn worker processes (issue 13 item 1).

Two workers with per-process counts would each allow five failures; the shared storage (the
test database: a SQLite file, or DATABASE_URL's PostgreSQL) makes it five in all.
"""

import contextlib
import os
import re
import signal
import socket
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import requests

from tests.conftest import PASSWORD

ROOT = Path(__file__).resolve().parents[2]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _get_quietly(url: str) -> None:
    with contextlib.suppress(requests.RequestException):  # not up yet
        requests.get(url, headers={"Connection": "close"}, timeout=10)


def _pids(log: Path, method: str) -> list[str]:
    """The worker pid of each access-log line for ``method`` requests."""
    if not log.exists():
        return []
    lines = [line.split() for line in log.read_text().splitlines()]
    return [pid for pid, m, _ in lines if m == method]


@pytest.fixture
def gunicorn(app, tmp_path):
    port = _free_port()
    log = tmp_path / "access.log"
    env = {
        **os.environ,
        "DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"],
        "SECRET_KEY": app.config["SECRET_KEY"],
        "WAYPOINT_ENV": "development",
    }
    env.pop("RATELIMIT_STORAGE_URI", None)
    process = subprocess.Popen(
        [
            str(Path(sys.executable).with_name("gunicorn")),
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            "2",
            "--access-logfile",
            str(log),
            "--access-logformat",
            "%(p)s %(m)s %(s)s",
            "wsgi:app",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 90
    while len(_pids(log, "GET")) < 2:  # both workers up and answering, not just the first
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            raise AssertionError(process.stderr.read().decode()[-2000:])
        with ThreadPoolExecutor(max_workers=4) as pool:
            list(pool.map(_get_quietly, [base + "/login"] * 4))
        time.sleep(0.2)
    yield base, log
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def test_the_sixth_failure_is_refused_whichever_of_two_gunicorn_workers_answers(
    gunicorn, make_user
):
    base, log = gunicorn
    owner = make_user("lead")
    browser = requests.Session()
    page = browser.get(base + "/login", timeout=10).text
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)

    def attempt(password: str) -> int:
        # A new connection each time, so the kernel hands it to either worker.
        return browser.post(
            base + "/login",
            data={"csrf_token": token, "email": owner.email, "password": password},
            headers={"Connection": "close"},
            allow_redirects=False,
            timeout=30,
        ).status_code

    with ThreadPoolExecutor(max_workers=5) as pool:  # at once, so both workers take some
        failures = list(pool.map(attempt, ["a-wrong-guess"] * 5))
    assert failures == [422] * 5, failures
    refused = [attempt(PASSWORD) for _ in range(6)]
    assert refused == [429] * 6, (refused, _pids(log, "POST"))

    deadline = time.monotonic() + 10  # a worker logs a request just after answering it
    while len(_pids(log, "POST")) < 11 and time.monotonic() < deadline:
        time.sleep(0.1)
    answered_by = _pids(log, "POST")
    assert len(answered_by) == 11
    assert len(set(answered_by)) == 2, f"both workers should have answered: {answered_by}"
