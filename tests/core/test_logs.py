"""Log lines cannot be forged with a newline and carry no client name or NHS number
(issue 13 item 7)."""

import logging
import os
import re
import shlex
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests
from flask.logging import default_handler

from app.core.logs import escape
from app.demo import CLIENTS, DEMO_PASSWORD, demo_nhs_numbers
from tests.conftest import soup

ROOT = Path(__file__).resolve().parents[2]
NAME = CLIENTS[0][0]  # the demo's first client (invented)
NHS_NUMBER = demo_nhs_numbers(1)[0]
SPACED = f"{NHS_NUMBER[:3]} {NHS_NUMBER[3:6]} {NHS_NUMBER[6:]}"


def test_control_characters_are_escaped_not_written():
    assert escape("a\nb\rc\x1bd\x00e\u2028f\u202eg") == "a\\nb\\rc\\x1bd\\x00e\\u2028f\\u202eg"
    assert escape("plain text, café, ²") == "plain text, café, ²"


def test_a_newline_in_a_log_message_or_its_arguments_does_not_start_a_new_line(app, caplog):
    with caplog.at_level(logging.INFO):
        app.logger.warning("Refused %s\nFORGED in the message", "/x\nFORGED 200\r\x1b[2J")
    (record,) = [r for r in caplog.records if "Refused" in r.getMessage()]
    assert "\n" not in record.getMessage() and "\r" not in record.getMessage()
    assert "\\nFORGED 200\\r\\x1b[2J" in record.getMessage()


def test_the_apps_log_handler_writes_a_traceback_on_one_line(app):
    try:
        raise ValueError("bad value\nFORGED line")
    except ValueError:
        record = app.logger.makeRecord(
            "app", logging.ERROR, __file__, 1, "Unhandled error on %s", ("x",), sys.exc_info()
        )
    line = default_handler.formatter.format(record)
    assert "\n" not in line and "Traceback" in line and "FORGED line" in line


def _note(client_id: int, text: str) -> dict:
    from tests.notes.conftest import complete_form

    return complete_form(client_id, support_given=text, action="draft")


def _search(web, term: str):
    """Search as the clients page's own search form does (GET or POST, whichever it is)."""
    page = soup(web.get("/clients"))
    form = page.find("form", attrs={"role": "search"}) or page.find("form")
    method = (form.get("method") or "get").lower()
    action = form.get("action") or "/clients"
    name = form.find("input", attrs={"type": "search"}) or form.find("input", attrs={"name": "q"})
    data = {name["name"]: term}
    if method == "post":
        return web.post(action, data)
    return web.get(action, query_string=data)


def test_a_search_and_a_note_save_log_no_client_name_or_nhs_number(app, web, caplog):
    from app.clients.models import Client
    from app.demo import seed_demo
    from app.extensions import db

    with app.app_context():
        seed_demo()
        client_id = db.session.scalar(db.select(Client.id).where(Client.full_name == NAME))
        db.session.remove()
    caplog.set_level(logging.DEBUG)  # everything any logger says,
    caplog.set_level(logging.INFO, logger="sqlalchemy.engine")  # SQL and its parameters included
    web.post("/login", {"email": "ot@example.com", "password": DEMO_PASSWORD})
    web._token = None
    for term in (NAME, NHS_NUMBER, SPACED):
        assert _search(web, term).status_code == 200
    response = web.post("/notes/new", _note(client_id, f"{NAME} ({SPACED}) did well"))
    assert response.status_code == 303
    web.get("/clients/%0AFORGED")
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert "SELECT" in logged and "INSERT INTO notes" in logged, "the SQL was not captured"
    for secret in (NAME, NHS_NUMBER, SPACED, NAME.split()[1]):
        assert secret not in logged


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _web_command(port: int) -> list[str]:
    line = next(
        line for line in (ROOT / "Procfile").read_text().splitlines() if line.startswith("web:")
    )
    return shlex.split(line.removeprefix("web:").replace("${WAYPOINT_PORT:-8000}", str(port)))


@pytest.fixture
def served(tmp_path):
    """The Procfile's web command, run for real on a demo database in a temporary folder."""
    port = _free_port()
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'served.db'}",
        "SECRET_KEY": "served-test-secret-key-long-enough-0123456789",
        "WAYPOINT_ENV": "development",
    }
    flask = [str(ROOT / ".venv/bin/flask"), "--app", "wsgi"]
    for task in (["db", "upgrade"], ["demo", "seed"]):
        subprocess.run([*flask, *task], cwd=ROOT, env=env, check=True, capture_output=True)
    log = (tmp_path / "access.log").open("w+")
    process = subprocess.Popen(
        _web_command(port), cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT
    )
    base = f"http://127.0.0.1:{port}"
    for _ in range(100):
        try:
            requests.get(f"{base}/healthz", timeout=5)
            break
        except requests.RequestException:
            time.sleep(0.2)
    try:
        yield base, tmp_path / "access.log"
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=20)
        log.close()


def _token(html: str) -> str:
    return re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html).group(1)


def test_the_access_log_cannot_be_forged_and_carries_no_client_details(served):
    base, log_path = served
    session = requests.Session()
    page = session.get(f"{base}/login").text
    session.post(
        f"{base}/login",
        data={"email": "ot@example.com", "password": DEMO_PASSWORD, "csrf_token": _token(page)},
    )
    session.get(f"{base}/%0A127.0.0.1%20FORGED%20%22GET%20/admin%22%20200")
    session.get(f"{base}/clients/1%0D%0AFORGED%1B[2J")
    clients = session.get(f"{base}/clients").text
    form = soup_text(clients).find("form")
    data = {"q": NAME}
    if (form.get("method") or "get").lower() == "post":
        data["csrf_token"] = _token(clients)
        session.post(base + (form.get("action") or "/clients"), data=data)
    else:
        session.get(base + (form.get("action") or "/clients"), params=data)
    time.sleep(0.5)
    lines = log_path.read_text().splitlines()
    access = [line for line in lines if '"GET ' in line or '"POST ' in line]
    assert len(access) >= 5, lines
    forged = [line for line in lines if "FORGED" in line and not line.startswith("127.0.0.1 ")]
    assert not forged, forged
    assert any("%0A127.0.0.1%20FORGED" in line for line in access)
    for secret in (NAME, NAME.replace(" ", "+"), NAME.replace(" ", "%20"), NHS_NUMBER):
        assert not any(secret in line for line in lines), secret


def soup_text(html: str):
    from bs4 import BeautifulSoup

    return BeautifulSoup(html, "html.parser")
