# ruff: noqa: F811  (the lone-working fixtures are imported by name)
"""The hot pages run a fixed number of SQL statements, however much data there is, and a plain
GET writes nothing to the database.

The same pages are measured with a small unit and with ten times the outings (each with clients,
a co-worker and ladder steps, some acknowledged), clients, signed notes and drafts."""

import pytest
from sqlalchemy import event

from app.extensions import db
from tests.conftest import Web
from tests.lone_working.conftest import clock_at, make_outing, tick  # noqa: F401 (fixtures)
from tests.notes.conftest import complete_form

POLL = {"HX-Request": "true"}


class Statements:
    def __init__(self, app):
        self.app = app
        self.seen: list[str] = []
        self.isolation: list[str | None] = []

    def __enter__(self):
        with self.app.app_context():
            self.engine = db.engine
        event.listen(self.engine, "before_cursor_execute", self._record)
        return self

    def __exit__(self, *exc):
        event.remove(self.engine, "before_cursor_execute", self._record)

    def _record(self, conn, cursor, statement, parameters, context, executemany):
        self.seen.append(statement)
        self.isolation.append(conn.get_execution_options().get("isolation_level"))


def measure(app, web: Web, paths: dict[str, tuple[str, dict]]) -> dict[str, list[str]]:
    counts = {}
    for name, (path, headers) in paths.items():
        web.get(path, headers=headers)  # warm: first-request work is not the page's own
        with Statements(app) as statements:
            response = web.get(path, headers=headers)
        assert response.status_code in (200, 304), (name, response.status_code)
        counts[name] = statements.seen
    return counts


@pytest.fixture
def grow(app, make_user, make_client, make_outing, clock_at, tick):
    """``grow(n)``: n more outings on the board (two clients and a co-worker each, ladder steps
    up to red, half the alerts owned by a lead) and n more clients."""
    from sqlalchemy import select

    from app.lone_working.models import EscalationStep

    state = {"clients": [], "writer": None, "lead": None}

    def add(n: int):
        if state["writer"] is None:
            state["writer"] = make_user("ot")
            state["lead"] = make_user("lead")
        for i in range(n):
            k = len(state["clients"])
            client = make_client(chr(65 + k % 26) + chr(65 + k // 26 % 26))
            state["clients"].append(client)
            make_outing(
                minutes=5 + i,
                clients=list({c.id: c for c in (client, state["clients"][0])}.values()),
                coworkers=[make_user("assistant")],
            )
        clock_at.advance(minutes=60)
        tick()  # every outing overdue: steps up to red, alerts to acknowledge
        with app.app_context():
            steps = db.session.scalars(
                select(EscalationStep).where(
                    EscalationStep.needs_ack, EscalationStep.acknowledged_at.is_(None)
                )
            ).all()
            for step in steps[: len(steps) // 2]:
                step.acknowledged_at = clock_at.value
                step.acknowledged_by_id = state["lead"].id
            db.session.commit()
        clock_at.advance(minutes=1)
        return state

    return add


PAGES = {
    "board": ("/board", {}),
    "board poll": ("/board?poll=1", POLL),
    "home": ("/", {}),
    "clients": ("/clients", {}),
}


def _pages(state) -> dict:
    client_id = state["clients"][0].id
    return {
        **PAGES,
        "client page": (f"/clients/{client_id}", {}),
        "client's notes": (f"/notes/client/{client_id}", POLL),
        "note form": (f"/notes/new?client_id={client_id}", {}),
    }


def _write_notes(web: Web, client_id: int, n: int) -> None:
    for mode in ("sign", "draft"):
        for _ in range(n):
            form = complete_form(client_id, action=mode, activity_date="2026-11-24")
            response = web.post("/notes/new", form)
            assert response.status_code in (303, 204), response.status_code


def test_hot_pages_run_the_same_statements_with_ten_times_the_data(app, grow, watcher_alive):
    state = grow(2)
    writer_web = _logged_in(app, state["writer"])
    _write_notes(writer_web, state["clients"][0].id, 2)
    small = {
        "lead": measure(app, _logged_in(app, state["lead"]), _pages(state)),
        "writer": measure(app, writer_web, _pages(state)),
    }

    grow(18)  # 20 outings, clients, ...: ten times as many (an hour later: log in again)
    writer_web = _logged_in(app, state["writer"])
    _write_notes(writer_web, state["clients"][0].id, 18)
    large = {
        "lead": measure(app, _logged_in(app, state["lead"]), _pages(state)),
        "writer": measure(app, writer_web, _pages(state)),
    }
    for who in small:
        for page, statements in small[who].items():
            grown = large[who][page]
            assert len(grown) == len(statements), (who, page, len(statements), len(grown), grown)
    print({who: {p: len(s) for p, s in pages.items()} for who, pages in large.items()})


def _logged_in(app, user) -> Web:
    web = Web(app.test_client())
    web.login(user)
    return web


def test_a_poll_answered_304_runs_one_statement(
    app, web, make_user, make_outing, clock_at, watcher_alive
):
    for _ in range(5):
        make_outing(minutes=60)
    web.login(make_user("lead"))
    etag = web.get("/board?poll=1", headers=POLL).headers["ETag"]
    with Statements(app) as statements:
        response = web.get("/board?poll=1", headers={**POLL, "If-None-Match": etag})
    assert response.status_code == 304
    # The quick answer: the person is checked in the version's own statement, not loaded.
    assert len(statements.seen) == 1, statements.seen


def test_a_plain_get_writes_nothing_and_the_session_moves_at_most_once_a_minute(
    app, grow, clock_at, watcher_alive
):
    state = grow(2)
    web = _logged_in(app, state["writer"])
    web.get("/")
    for page, (path, headers) in _pages(state).items():
        with Statements(app) as statements:
            response = web.get(path, headers=headers)
        writes = [s for s in statements.seen if not s.lstrip().upper().startswith("SELECT")]
        assert not writes, (page, writes)
        assert "Set-Cookie" not in response.headers, page  # within the minute: no new cookie
    clock_at.advance(seconds=61)
    assert "Set-Cookie" in web.get("/").headers  # the last-seen stamp moves, once
    assert "Set-Cookie" not in web.get("/").headers


def test_every_poll_only_reads(app, make_user, make_outing, clock_at, watcher_alive):
    """Polls run without a transaction on PostgreSQL (``require_login``: two round trips fewer,
    BEGIN and ROLLBACK). Each statement would then commit as it goes, so a poll that wrote could
    write half of something. None does: the board's, the phone's own outing and the huddle's, each
    answered in full (200) and then unchanged (304)."""
    from tests.huddles.conftest import start

    lead = make_user("lead")
    make_outing(worker=lead, minutes=60)
    web = _logged_in(app, lead)
    huddle_id = start(web)
    polls = [
        "/board?poll=1",
        "/out/mine?poll=1",
        f"/huddles/{huddle_id}/poll?v=0&poll=1",
    ]
    for path in polls:
        etag = None
        for _ in range(2):
            headers = {**POLL, **({"If-None-Match": etag} if etag else {})}
            with Statements(app) as statements:
                response = web.get(path, headers=headers)
            assert response.status_code in (200, 304), (path, response.status_code)
            writes = [s for s in statements.seen if not s.lstrip().upper().startswith("SELECT")]
            assert not writes, (path, writes)
            if app.config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql"):  # not SQLite
                # ...and the user's and the version's statements ran with no transaction
                assert statements.isolation == ["AUTOCOMMIT"] * len(statements.seen), path
            etag = response.headers.get("ETag")
