from datetime import timedelta

import pytest

from app.notes import chart, mohost
from app.notes.services import RatingPoint
from tests.conftest import soup
from tests.notes.conftest import ACTIVITY_AT

PANEL = "/notes/client/{}"


def panel(web, client, htmx=True, **query):
    headers = {"HX-Request": "true"} if htmx else {}
    return web.get(PANEL.format(client.id), query_string=query, headers=headers)


def test_the_client_page_loads_the_notes_with_htmx_and_links_to_them_without(
    web, make_user, make_client
):
    client = make_client("AB")
    web.login(make_user("ot"))
    page = soup(web.get(f"/clients/{client.id}"))
    holder = page.select_one("#client-notes")
    assert holder["hx-get"] == f"/notes/client/{client.id}"
    assert holder["hx-trigger"] == "load" and holder["hx-swap"] == "outerHTML"
    assert holder.select_one("a")["href"] == f"/notes/client/{client.id}"


def test_the_htmx_panel_is_a_fragment_and_the_plain_link_a_full_page(web, make_user, make_client):
    client = make_client("AB")
    web.login(make_user("ot"))
    fragment = soup(panel(web, client))
    assert fragment.html is None
    assert fragment.select_one("section#client-notes h2").get_text() == "Activity notes"
    assert fragment.select_one(f'a[href="/notes/new?client={client.id}"]') is not None
    full = soup(panel(web, client, htmx=False))
    assert full.title.get_text() == "Activity notes – Waypoint"
    assert full.select_one("h1").get_text(" ", strip=True).endswith("Activity notes")


def test_a_clients_notes_are_listed_newest_activity_first(web, make_user, make_client, make_note):
    client, other = make_client("AB"), make_client("CD")
    ot = make_user("ot")
    older = make_note(ot, client, at=ACTIVITY_AT - timedelta(days=2), activity_type="library")
    newer = make_note(ot, client, at=ACTIVITY_AT, activity_type="exercise")
    middle = make_note(ot, client, at=ACTIVITY_AT - timedelta(days=1), activity_type="travel")
    make_note(ot, other)
    web.login(ot)
    items = soup(panel(web, client)).select(".app-note-list__item a")
    assert [a["href"] for a in items] == [f"/notes/{n}" for n in (newer, middle, older)]
    assert items[0].select_one(".app-note-list__title").get_text() == (
        "Exercise, 10 Mar 2026, 10:00"
    )


def test_show_more_adds_the_next_page_of_notes(web, make_user, make_client, make_note):
    client = make_client("AB")
    ot = make_user("ot")
    ids = [make_note(ot, client, at=ACTIVITY_AT - timedelta(days=i)) for i in range(12)]
    web.login(ot)
    first = soup(panel(web, client))
    assert len(first.select(".app-note-list__item")) == 10
    more = first.select_one(".app-note-list__more a")
    assert more["hx-get"] == f"/notes/client/{client.id}?page=2"
    assert more["href"] == more["hx-get"]  # the same link works without JavaScript
    assert more["hx-target"] == "closest li" and more["hx-swap"] == "outerHTML"

    second = soup(panel(web, client, page=2))
    assert second.select_one("ul") is None and second.select_one("section") is None
    assert [a["href"] for a in second.select(".app-note-list__item a")] == [
        f"/notes/{n}" for n in ids[10:]
    ]
    assert second.select_one(".app-note-list__more") is None

    without_js = soup(panel(web, client, htmx=False, page=2))
    assert len(without_js.select(".app-note-list__item")) == 12


def test_a_client_with_no_notes_says_so(web, make_user, make_client):
    client = make_client("AB")
    web.login(make_user("ot"))
    page = soup(panel(web, client))
    assert "No notes yet." in page.get_text()
    assert "No MOHOST ratings yet." in page.get_text()


# --- MOHOST summary and chart ----------------------------------------------------------------


def svgs(page):
    return page.select("svg.app-chart__svg")


def test_the_chart_is_absent_with_no_ratings(web, make_user, make_client, make_note):
    client = make_client("AB")
    ot = make_user("ot")
    make_note(ot, client)  # a note without ratings
    web.login(ot)
    page = soup(panel(web, client))
    assert svgs(page) == []
    assert page.select_one("#mohost-table") is None


def test_one_rating_draws_a_single_dot_per_rated_section(web, make_user, make_client, make_note):
    client = make_client("AB")
    ot = make_user("ot")
    note_id = make_note(ot, client, ratings={"routine": "A", "roles": "A", "energy": "F"})
    web.login(ot)
    page = soup(panel(web, client))
    drawn = svgs(page)
    assert len(drawn) == 2  # pattern and motor; the other sections say "Not rated yet"
    assert len(page.select(".app-chart__empty")) == 4
    for svg in drawn:
        assert len(svg.select("circle")) == 1 and svg.select_one("path") is None
    pattern = page.select_one("#mohost-chart-pattern svg")
    assert pattern["role"] == "img"
    assert pattern.select_one("title").get_text() == (
        "Pattern of occupation: average item rating over time"
    )
    assert "one rating, 10 Mar 26: 6 (2 of 4 items rated)" in pattern.select_one("desc").text
    assert pattern["aria-labelledby"] == "mohost-chart-pattern-title mohost-chart-pattern-desc"
    assert pattern.select_one("circle")["fill"] == "#ffffff"  # hollow: a partial rating
    latest = page.select_one(f"p a[href='/notes/{note_id}']")
    assert latest is not None


def test_many_ratings_draw_a_line_per_section_and_a_table_alternative(
    web, make_user, make_client, make_note
):
    client = make_client("AB")
    ot = make_user("ot")
    for i, letter in enumerate("RIAF"):
        make_note(
            ot,
            client,
            at=ACTIVITY_AT + timedelta(days=7 * i),
            ratings={key: letter for key in mohost.ITEMS},
        )
    web.login(ot)
    page = soup(panel(web, client))
    drawn = svgs(page)
    assert len(drawn) == 6
    motivation = page.select_one("#mohost-chart-motivation svg")
    circles = motivation.select("circle")
    assert len(circles) == 4 and all(c["fill"] == "#005eb8" for c in circles)
    ys = [float(c["cy"]) for c in circles]
    xs = [float(c["cx"]) for c in circles]
    assert ys == sorted(ys, reverse=True)  # rising from R to F
    assert xs == sorted(xs) and xs[0] < xs[-1]
    assert motivation.select_one("path")["d"].startswith("M")
    desc = motivation.select_one("desc").get_text()
    assert "4 ratings from 10 Mar 26 to 31 Mar 26" in desc
    assert "First 4 of 16; latest 16 of 16" in desc
    labels = [t.get_text() for t in motivation.select("text")]
    assert labels[:4] == ["F", "A", "I", "R"] and labels[-2:] == ["10 Mar 26", "31 Mar 26"]

    table = page.select_one("#mohost-table table")
    heads = [th.get_text(strip=True) for th in table.select("thead th")]
    assert heads == [
        "Date",
        "Motivation",
        "Pattern",
        "Communication",
        "Process",
        "Motor",
        "Environment",
        "All sections",
    ]
    rows = table.select("tbody tr")
    assert len(rows) == 4
    newest = [td.get_text(" ", strip=True) for td in rows[0].select("td")]
    assert newest[0].endswith("31 Mar 2026, 11:00")  # 10:00 UTC, after the clocks went forward
    assert newest[1].endswith("16 of 16") and newest[-1].endswith("96 of 96")
    summary = {
        tr.th.get_text(strip=True): tr.td.get_text(strip=True)
        for tr in page.select(".app-mohost-totals tbody tr")
    }
    assert summary["All sections"] == "96 of 96"


def test_the_chart_uses_no_inline_styles(web, make_user, make_client, make_note):
    client = make_client("AB")
    ot = make_user("ot")
    make_note(ot, client, ratings={"routine": "F"})
    make_note(ot, client, at=ACTIVITY_AT + timedelta(days=1), ratings={"routine": "A"})
    web.login(ot)
    page = soup(panel(web, client))
    assert page.select("[style]") == [] and page.select("style") == []


def test_drafts_and_other_clients_ratings_stay_out_of_the_chart(
    web, make_user, make_client, make_note
):
    client, other = make_client("AB"), make_client("CD")
    ot = make_user("ot")
    make_note(ot, client, sign=False, ratings={"routine": "F"})
    make_note(ot, other, ratings={"routine": "F"})
    web.login(ot)
    assert svgs(soup(panel(web, client))) == []


# --- chart geometry --------------------------------------------------------------------------


def point(days: int, ratings: dict) -> RatingPoint:
    return RatingPoint(days, ACTIVITY_AT + timedelta(days=days), ratings)


def test_the_vertical_scale_puts_f_at_the_top_and_r_at_the_bottom():
    assert chart.y_for(4) == chart.TOP
    assert chart.y_for(1) == chart.TOP + chart.PLOT_HEIGHT
    assert chart.y_for(2.5) == pytest.approx(chart.TOP + chart.PLOT_HEIGHT / 2, abs=0.1)


def test_points_are_spaced_by_time_and_a_single_point_is_centred():
    [single] = [c for c in chart.section_charts([point(0, {"routine": "F"})]) if c.points]
    assert single.points[0].x == chart.LEFT + chart.PLOT_WIDTH / 2
    assert single.path == f"M{single.points[0].x} {single.points[0].y}"

    history = [point(0, {"routine": "F"}), point(1, {"routine": "A"}), point(10, {"routine": "R"})]
    pattern = next(c for c in chart.section_charts(history) if c.section.key == "pattern")
    xs = [p.x for p in pattern.points]
    assert xs[0] == chart.LEFT and xs[-1] == chart.LEFT + chart.PLOT_WIDTH
    assert xs[1] == pytest.approx(chart.LEFT + chart.PLOT_WIDTH / 10, abs=0.1)


def test_a_section_skipped_in_one_note_joins_the_notes_that_rated_it():
    history = [
        point(0, {"routine": "F"}),
        point(1, {"energy": "A"}),
        point(2, {"routine": "R"}),
    ]
    charts = {c.section.key: c for c in chart.section_charts(history)}
    assert len(charts["pattern"].points) == 2
    assert len(charts["motor"].points) == 1
    assert charts["process"].points == [] and charts["process"].x_labels == []
    assert charts["process"].description == "Process skills: not rated yet."
