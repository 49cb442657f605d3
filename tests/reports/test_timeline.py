"""A client's timeline: every kind newest first, filters, keyset pages, who sees what."""

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import event

from app.extensions import db
from app.reports import timeline
from tests.conftest import soup

T0 = datetime(2026, 11, 2, 10, 0, tzinfo=UTC)


def keys(response) -> list[str]:
    return [li["data-key"] for li in soup(response).select("li[data-key]")]


def load_all(web, first_url: str) -> list[str]:
    """Follow 'Load more' (as htmx does) until the end; every row key in the order shown."""
    response = web.get(first_url)
    seen = keys(response)
    more = soup(response).find("a", string="Load more")
    while more is not None:
        response = web.get(more["hx-get"], headers={"HX-Request": "true"})
        assert response.status_code == 200
        seen += keys(response)
        more = soup(response).find("a", string="Load more")
    return seen


@pytest.fixture
def history(make_user, make_client, add_note, add_outing):
    ot = make_user("ot")
    client = make_client("AB")
    other = make_client("CD")
    made = {
        "outing": add_outing(ot, [client], T0 + timedelta(days=1), destination="Library"),
        "note": add_note(ot, client, T0 + timedelta(days=3), "shopping", place="Market"),
        "cooking": add_note(ot, client, T0 + timedelta(days=2), "cooking"),
        "mohost": add_note(ot, client, T0, "cafe", ratings={"interest": "F", "routine": "A"}),
    }
    add_note(ot, other, T0 + timedelta(days=4))  # another client's note never shows
    return ot, client, made


def test_the_timeline_shows_every_kind_newest_first_without_the_clients_name(
    now, history, browser_for
):
    ot, client, made = history
    response = browser_for(ot).get(f"/reports/clients/{client.id}/timeline")
    assert response.status_code == 200
    # The MOHOST-rated café note is both a note and a MOHOST rating, at the same moment.
    assert keys(response) == [
        f"note-{made['note']}",
        f"cooking-{made['cooking']}",
        f"outing-{made['outing']}",
        f"note-{made['mohost']}",
        f"mohost-{made['mohost']}",
    ]
    page = soup(response)
    assert "Ada Byron" not in page.get_text() and "Ada Byron" not in page.title.get_text()
    assert page.find("a", string="Outing to Library")
    assert page.find("a", string="MOHOST ratings")["href"] == f"/notes/{made['mohost']}"


def test_the_timeline_filters_by_kind_and_by_date(now, history, browser_for):
    ot, client, made = history
    web = browser_for(ot)
    url = f"/reports/clients/{client.id}/timeline"
    only = web.get(url + "?kind=outing&kind=cooking")
    assert keys(only) == [f"cooking-{made['cooking']}", f"outing-{made['outing']}"]
    dated = web.get(url + "?start=2026-11-03&end=2026-11-04")
    assert keys(dated) == [f"cooking-{made['cooking']}", f"outing-{made['outing']}"]
    boxes = soup(only).select("input[name=kind][checked]")
    assert sorted(b["value"] for b in boxes) == ["cooking", "outing"]


def test_pages_have_no_gaps_or_repeats_when_records_arrive_between_pages(
    now, monkeypatch, make_user, make_client, add_note, add_outing, browser_for
):
    monkeypatch.setattr(timeline, "PAGE_SIZE", 3)
    ot = make_user("ot")
    client = make_client("AB")
    same_moment = T0 + timedelta(hours=5)
    for i in range(4):
        add_note(ot, client, T0 + timedelta(hours=i))
        add_outing(ot, [client], T0 + timedelta(hours=i, minutes=30))
    add_note(ot, client, same_moment)  # a note and an outing at the very same moment
    add_outing(ot, [client], same_moment)
    web = browser_for(ot)
    url = f"/reports/clients/{client.id}/timeline"
    before = load_all(web, url)
    assert len(before) == 10 and len(set(before)) == 10

    first = web.get(url)
    shown = keys(first)
    assert len(shown) == 3
    # New records arrive while the first page is on the screen.
    add_note(ot, client, now.value)
    add_outing(ot, [client], now.value - timedelta(minutes=5))
    seen = list(shown)
    more = soup(first).find("a", string="Load more")
    while more is not None:
        response = web.get(more["hx-get"], headers={"HX-Request": "true"})
        seen += keys(response)
        more = soup(response).find("a", string="Load more")
    assert seen == before  # the rest follows on exactly: nothing skipped, nothing twice


def test_load_more_without_javascript_is_a_plain_link_to_the_next_page(
    now, monkeypatch, make_user, make_client, add_note, browser_for
):
    monkeypatch.setattr(timeline, "PAGE_SIZE", 2)
    ot = make_user("ot")
    client = make_client("AB")
    ids = [add_note(ot, client, T0 + timedelta(hours=i)) for i in range(3)]
    web = browser_for(ot)
    first = web.get(f"/reports/clients/{client.id}/timeline")
    link = soup(first).find("a", string="Load more")
    second = web.get(link["href"])
    assert second.status_code == 200 and soup(second).title  # a whole page
    assert keys(second) == [f"note-{ids[0]}"]
    assert soup(second).find("a", string="Back to the newest")


def test_an_administrator_sees_outings_only(now, history, make_user, browser_for):
    _, client, made = history
    admin = make_user("admin")
    response = browser_for(admin).get(f"/reports/clients/{client.id}/timeline?kind=note")
    assert response.status_code == 200
    assert keys(response) == [f"outing-{made['outing']}"]
    assert "administrators see outings only" in soup(response).get_text()


def test_another_units_client_or_an_unknown_one_is_not_found(
    now, history, make_unit, make_user, browser_for
):
    _, client, _ = history
    elsewhere = make_user("ot", home_unit=make_unit("Orchard Lodge", "Orchard"))
    web = browser_for(elsewhere)
    assert web.get(f"/reports/clients/{client.id}/timeline").status_code == 404
    assert web.get("/reports/clients/2147483647/timeline").status_code == 404


@pytest.mark.parametrize(
    "query, message",
    [
        ("start=2026-11-30&end=2026-11-01", "on or after the first day"),
        ("start=2026-02-30", "Enter a real date"),
        ("end=2027-01-01", "cannot be in the future"),
    ],
)
def test_bad_dates_on_the_timeline_are_field_errors(now, history, browser_for, query, message):
    ot, client, _ = history
    response = browser_for(ot).get(f"/reports/clients/{client.id}/timeline?{query}")
    assert response.status_code == 422
    assert message in soup(response).find(class_="nhsuk-error-summary").get_text()


def test_a_cursor_that_is_not_one_gives_the_first_page(now, history, browser_for):
    ot, client, made = history
    web = browser_for(ot)
    for junk in ("x", "1.outing", "99999999999999999999.note.1", "1.meal.1", "1.note.0"):
        response = web.get(f"/reports/clients/{client.id}/timeline?before={junk}")
        assert response.status_code == 200
        assert keys(response)[0] == f"note-{made['note']}"


def count_statements(app, fetch) -> int:
    statements = []
    with app.app_context():
        engine = db.engine

    def before(conn, cursor, statement, *args):
        if statement.lstrip().upper().startswith(("SELECT", "INSERT", "UPDATE")):
            statements.append(statement)

    event.listen(engine, "before_cursor_execute", before)
    try:
        assert fetch().status_code == 200
    finally:
        event.remove(engine, "before_cursor_execute", before)
    return len(statements)


def test_the_timeline_and_report_cost_the_same_queries_for_3_records_or_60(
    app, now, make_user, make_client, add_note, add_outing, add_goal, browser_for
):
    ot = make_user("ot")
    small, large = make_client("AB"), make_client("CD")
    for client, n in ((small, 1), (large, 20)):
        goal = add_goal(client, "A goal", ot)
        for i in range(n):
            at = T0 - timedelta(days=i)
            add_note(ot, client, at, ratings={"interest": "F"}, goals=[goal])
            add_note(ot, client, at + timedelta(hours=1), "cooking")
            add_outing(ot, [client], at + timedelta(hours=2), extensions=1, alerts=[3])
    web = browser_for(ot)
    for path in ("timeline", "report?start=2026-06-01&end=2026-11-30"):
        few = count_statements(app, lambda p=path: web.get(f"/reports/clients/{small.id}/{p}"))
        many = count_statements(app, lambda p=path: web.get(f"/reports/clients/{large.id}/{p}"))
        assert few == many, path


def test_the_client_page_links_to_the_timeline_and_report_and_home_to_statistics(
    now, make_user, make_client, browser_for
):
    client = make_client("AB")
    lead = browser_for(make_user("lead"))
    page = soup(lead.get(f"/clients/{client.id}"))
    assert (
        page.find("a", string="Timeline for AB")["href"] == f"/reports/clients/{client.id}/timeline"
    )
    assert page.find("a", string="MDT / OT report for AB")
    assert soup(lead.get("/")).find("a", href="/reports/statistics")
    assert not soup(browser_for(make_user("ot")).get("/")).find("a", href="/reports/statistics")
