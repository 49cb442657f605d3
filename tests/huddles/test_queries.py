"""The huddle page and the poll cost a fixed number of SQL statements, however many clients,
entries and actions there are (issue 8, performance)."""

from contextlib import contextmanager

from sqlalchemy import event

from app.extensions import db
from tests.huddles.conftest import start


@contextmanager
def counted(app):
    statements: list[str] = []

    def count(conn, cursor, statement, parameters, context, executemany):
        statements.append(statement)

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", count)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", count)


def _fill(web, hid, team, clients, n):
    for i, client in enumerate(clients[:n]):
        value = ("amber", "red")[i % 2]
        web.post(
            f"/huddles/{hid}/flags/{client.id}", {"value": value, "reason": f"r{i}", "version": 1}
        )
    for i in range(n):
        web.post(
            f"/huddles/{hid}/entries",
            {
                "period": "since",
                "category": "incident",
                "client_id": clients[i % len(clients)].id,
                "text": f"e{i}",
            },
        )
        web.post(
            f"/huddles/{hid}/actions",
            {
                "text": f"a{i}",
                "owner_id": (team["ot"], team["assistant"])[i % 2].id,
                "due_kind": "today",
            },
        )


def _statements(app, web, url) -> int:
    web.get(url)  # warm
    with counted(app) as statements:
        assert web.get(url).status_code == 200
    return len(statements)


def test_the_huddle_page_costs_the_same_statements_for_3_or_17_clients(
    app, web, team, early, make_client, make_user
):
    web.login(team["lead"])
    small = start(web)
    _fill(web, small, team, team["clients"], 3)
    few = _statements(app, web, f"/huddles/{small}")
    poll_few = _statements(app, web, f"/huddles/{small}/poll?v=1")
    web.post(f"/huddles/{small}/close")

    more = [make_client(f"Z{chr(65 + i)}", room=str(10 + i)) for i in range(14)]
    for i in range(3):
        make_user("ot", name=f"Extra {i}")
    early.advance(hours=6)
    from tests.huddles.conftest import relogin

    relogin(web, team["lead"])
    big = start(web)
    _fill(web, big, team, team["clients"] + more, 17)
    many = _statements(app, web, f"/huddles/{big}")
    assert many == few, (few, many)
    assert many <= 14  # 12 on SQLite, 14 on PostgreSQL
    assert _statements(app, web, f"/huddles/{big}/poll?v=1") == poll_few <= 4
