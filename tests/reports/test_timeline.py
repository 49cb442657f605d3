"""A client's timeline: every kind newest first, filters, keyset pages, who sees what."""

from datetime import UTC, date, datetime, timedelta

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
def history(make_user, make_client, add_note, add_outing, add_cues, add_meal_week, add_huddle):
    ot = make_user("ot")
    lead = make_user("lead")
    client = make_client("AB")
    other = make_client("CD")
    made = {
        "outing": add_outing(ot, [client], T0 + timedelta(days=1), destination="Library"),
        "note": add_note(ot, client, T0 + timedelta(days=3), "shopping", place="Market"),
        "cooking": add_note(ot, client, T0 + timedelta(days=2), "cooking"),
        "mohost": add_note(ot, client, T0, "cafe", ratings={"interest": "F", "routine": "A"}),
    }
    add_cues(made["cooking"], {"overall": 3, "knife": 2})
    # Week of Monday 9 Nov planned on Thursday 5 Nov; one shop trip on 10 Nov.
    made["meal_plan"], (made["shop_trip"],) = add_meal_week(
        client,
        T0.date() + timedelta(days=7),
        T0 + timedelta(days=3, hours=2),
        dishes=["Pasta bake", "Omelette"],
        budget_pence=2500,
        trips=[(T0 + timedelta(days=8), "Corner shop", 1234, 2)],
        by=ot,
    )
    _, flags = add_huddle(
        lead, T0 + timedelta(days=5), flags={client: ("red", "Said no to the kitchen", "amber")}
    )
    made["huddle_flag"] = flags[client.id]
    add_huddle(lead, T0 + timedelta(days=6), shift="late", flags={client: ("green", "", "green")})
    add_note(ot, other, T0 + timedelta(days=4))  # another client's note never shows
    add_meal_week(other, T0.date(), T0 + timedelta(days=4), by=ot)  # nor their meal plan
    add_meal_week(client, T0.date(), T0 + timedelta(days=4, hours=1), dishes=())  # empty week
    return ot, client, made


def test_the_timeline_shows_every_kind_newest_first_without_the_clients_name(
    now, history, browser_for
):
    ot, client, made = history
    response = browser_for(ot).get(f"/reports/clients/{client.id}/timeline")
    assert response.status_code == 200
    # The MOHOST-rated café note is both a note and a MOHOST rating, at the same moment.
    # A green flag that stayed green is not a risk and not shown; an empty week is no plan.
    assert keys(response) == [
        f"shop_trip-{made['shop_trip']}",
        f"huddle_flag-{made['huddle_flag']}",
        f"meal_plan-{made['meal_plan']}",
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

    def row(kind):
        return page.select_one(f"li[data-key={kind}-{made[kind]}]").get_text(" ", strip=True)

    assert "overall cue level 3" in row("cooking")
    plan = page.find("a", string="Meal plan for the week of 9 November 2026")
    assert plan["href"] == f"/meals/clients/{client.id}/weeks/2026-11-09"
    assert "2 meals planned, budget £25.00" in row("meal_plan")
    assert page.find("a", string="Shop trip to Corner shop")
    assert "Spent £12.34, cue level 2" in row("shop_trip")
    flag = page.find("a", string="Huddle flag changed: Amber to Red")
    assert flag["href"].startswith("/huddles/")
    assert "Said no to the kitchen" in row("huddle_flag")


def test_the_timeline_filters_by_kind_and_by_date(now, history, browser_for):
    ot, client, made = history
    web = browser_for(ot)
    url = f"/reports/clients/{client.id}/timeline"
    only = web.get(url + "?kind=outing&kind=cooking")
    assert keys(only) == [f"cooking-{made['cooking']}", f"outing-{made['outing']}"]
    meals = web.get(url + "?kind=meal_plan&kind=shop_trip&kind=huddle_flag&end=2026-11-08")
    assert keys(meals) == [f"huddle_flag-{made['huddle_flag']}", f"meal_plan-{made['meal_plan']}"]
    dated = web.get(url + "?start=2026-11-03&end=2026-11-04")
    assert keys(dated) == [f"cooking-{made['cooking']}", f"outing-{made['outing']}"]
    boxes = soup(only).select("input[name=kind][checked]")
    assert sorted(b["value"] for b in boxes) == ["cooking", "outing"]


def test_pages_have_no_gaps_or_repeats_when_records_arrive_between_pages(
    now,
    monkeypatch,
    make_user,
    make_client,
    add_note,
    add_outing,
    add_meal_week,
    add_huddle,
    browser_for,
):
    monkeypatch.setattr(timeline, "PAGE_SIZE", 3)
    ot = make_user("ot")
    lead = make_user("lead")
    client = make_client("AB")
    same_moment = T0 + timedelta(hours=5)
    for i in range(4):
        add_note(ot, client, T0 + timedelta(hours=i))
        add_outing(ot, [client], T0 + timedelta(hours=i, minutes=30))
        add_meal_week(  # a plan and a trip: two rows
            client,
            T0.date() + timedelta(days=7 * i),
            T0 + timedelta(hours=i, minutes=10),
            trips=[(T0 + timedelta(hours=i, minutes=20), "Market", 500, None)],
            by=ot,
        )
        add_huddle(
            lead,
            T0 + timedelta(hours=i, minutes=40),
            shift=f"s{i}",
            flags={client: ("amber", "", None)},
        )
    # A note, an outing, a plan, a trip and a flag at the very same moment.
    add_note(ot, client, same_moment)
    add_outing(ot, [client], same_moment)
    add_meal_week(
        client,
        T0.date() + timedelta(days=70),
        same_moment,
        trips=[(same_moment, "Shop", 1, 0)],
        by=ot,
    )
    add_huddle(lead, same_moment, shift="s5", flags={client: ("red", "", "amber")})
    web = browser_for(ot)
    url = f"/reports/clients/{client.id}/timeline"
    before = load_all(web, url)
    assert len(before) == 25 and len(set(before)) == 25
    assert {key.split("-")[0] for key in before} == {
        "note",
        "outing",
        "meal_plan",
        "shop_trip",
        "huddle_flag",
    }

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
        assert keys(response)[0] == f"shop_trip-{made['shop_trip']}"  # the newest


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


def test_the_timeline_and_report_cost_the_same_queries_for_few_records_or_many(
    app,
    now,
    make_user,
    make_client,
    add_note,
    add_outing,
    add_goal,
    add_cues,
    add_meal_week,
    add_huddle,
    browser_for,
):
    ot = make_user("ot")
    small, large = make_client("AB"), make_client("CD")
    lead = make_user("lead")
    for client, n in ((small, 1), (large, 20)):
        goal = add_goal(client, "A goal", ot)
        for i in range(n):
            at = T0 - timedelta(days=i)
            add_note(ot, client, at, ratings={"interest": "F"}, goals=[goal])
            cooked = add_note(ot, client, at + timedelta(hours=1), "cooking")
            add_cues(cooked, {"overall": i % 6, "knife": 2})
            add_outing(ot, [client], at + timedelta(hours=2), extensions=1, alerts=[3])
            add_meal_week(
                client,
                date(2026, 11, 2) - timedelta(days=7 * i),
                at + timedelta(hours=3),
                trips=[(at + timedelta(hours=4), "Market", 700, 1)],
                by=ot,
            )
            add_huddle(
                lead,
                at + timedelta(hours=5, minutes=client.id),
                shift=f"c{client.id}",
                flags={client: ("red", "A reason", "amber")},
                actions=[(at + timedelta(hours=8), at + timedelta(hours=7))],
            )
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


def test_a_cooking_row_shows_its_overall_cue_level_as_amended(
    now, make_user, make_client, add_note, add_cues, amend_cues, browser_for
):
    ot = make_user("ot")
    client = make_client("AB")
    amended = add_note(ot, client, T0, "cooking")
    add_cues(amended, {"overall": 4, "knife": 2})
    amend_cues(amended, ot, {"overall": 1, "knife": 2})
    unrated = add_note(ot, client, T0 + timedelta(days=1), "cooking")
    page = soup(browser_for(ot).get(f"/reports/clients/{client.id}/timeline?kind=cooking"))
    text = {li["data-key"]: li.get_text(" ", strip=True) for li in page.select("li[data-key]")}
    assert "overall cue level 1" in text[f"cooking-{amended}"]
    assert "overall cue level 4" not in text[f"cooking-{amended}"]
    assert "overall cue level not rated" in text[f"cooking-{unrated}"]
