"""The unit's statistics: figures by month and week against hand-counted ones, charts with
tables, CSV downloads that no spreadsheet runs as formulas, roles and bad input."""

import csv
import io
from datetime import UTC, datetime, timedelta

import pytest

from tests.conftest import soup

OCT = datetime(2026, 10, 5, 10, 0, tzinfo=UTC)  # a Monday
NOV = datetime(2026, 11, 2, 10, 0, tzinfo=UTC)  # a Monday
RANGE = "start=2026-10-01&end=2026-11-30"


@pytest.fixture
def unit_history(unit, make_unit, make_user, make_client, add_note, add_outing):
    ot = make_user("ot", name="Olive Therapist")
    assistant = make_user("assistant", name='=HYPERLINK("http://evil")')
    ab, cd = make_client("AB"), make_client("CD")
    add_note(ot, ab, OCT)
    add_note(ot, ab, OCT + timedelta(days=1))
    add_note(assistant, cd, OCT + timedelta(days=8))
    add_note(ot, cd, NOV)
    add_outing(ot, [ab, cd], OCT, minutes=120, extensions=2, alerts=[4, 10])
    add_outing(assistant, [cd], NOV, minutes=30, alerts=[None])
    add_outing(ot, [ab], NOV + timedelta(days=7), minutes=45, extensions=1, alerts=[6])
    # Another unit's records are never counted.
    other_unit = make_unit("Orchard Lodge", "Orchard")
    stranger = make_user("ot", home_unit=other_unit)
    ef = make_client("EF", home_unit=other_unit)
    add_note(stranger, ef, OCT)
    add_outing(stranger, [ef], OCT, minutes=999, unit_id=other_unit.id, alerts=[1])
    # Before the range: not counted.
    add_note(ot, ab, OCT - timedelta(days=10))
    return ot, assistant


def table_rows(page, heading_id) -> list[list[str]]:
    table = page.find(id=heading_id).find_next("table")
    return [
        [c.get_text(" ", strip=True) for c in tr.find_all(["th", "td"])]
        for tr in table.find_all("tr")
    ][1:]


def test_monthly_figures_equal_the_hand_counted_ones(now, unit_history, make_user, browser_for):
    web = browser_for(make_user("lead"))
    response = web.get(f"/reports/statistics?period=month&{RANGE}")
    assert response.status_code == 200
    page = soup(response)
    assert table_rows(page, "by-period") == [
        ["Oct 2026", "3", "1", "120", "2", "2", "2", "7", "10"],
        ["Nov 2026", "1", "2", "75", "1", "2", "1", "6", "6"],
    ]
    assert table_rows(page, "per-client") == [["AB", "2", "2", "165"], ["CD", "2", "2", "150"]]
    staff = table_rows(page, "per-staff")
    assert ["Olive Therapist", "3", "2"] in staff and [
        '=HYPERLINK("http://evil")',
        "1",
        "1",
    ] in staff


def test_weekly_figures_start_on_monday(now, unit_history, make_user, browser_for):
    web = browser_for(make_user("lead"))
    page = soup(web.get("/reports/statistics?period=week&start=2026-10-05&end=2026-10-18"))
    assert table_rows(page, "by-period") == [
        ["w/c 5 Oct 2026", "2", "1", "120", "2", "2", "2", "7", "10"],
        ["w/c 12 Oct 2026", "1", "0", "0", "0", "0", "0", "–", "–"],
    ]


def test_charts_are_svg_with_a_description(now, unit_history, make_user, browser_for):
    page = soup(browser_for(make_user("lead")).get(f"/reports/statistics?{RANGE}"))
    contacts = page.find(id="stats-chart-contacts").find("svg")
    assert contacts["role"] == "img"
    assert "Oct 2026" in contacts.find("desc").get_text()
    assert len(contacts.find_all("circle")) == 2
    assert page.find(id="stats-chart-minutes")
    assert "Not yet recorded" not in page.get_text()


@pytest.fixture
def cooking_and_huddles(
    make_unit, make_user, make_client, add_note, add_cues, amend_cues, add_huddle
):
    """Cooking sessions with overall cue levels and huddles with actions, hand-counted below."""
    ot, lead = make_user("ot"), make_user("lead")
    ab = make_client("AB")
    day, hour = timedelta(days=1), timedelta(hours=1)
    add_cues(add_note(ot, ab, OCT, "cooking"), {"overall": 2, "knife": 5})
    add_cues(add_note(ot, ab, OCT + day, "cooking"), {"overall": 4})
    amended = add_note(ot, ab, OCT + 8 * day, "cooking")
    add_cues(amended, {"overall": 4})
    amend_cues(amended, ot, {"overall": 3})  # the level now reads 3
    add_note(ot, ab, OCT + 9 * day, "cooking")  # no cue section: counted as no overall level
    add_cues(add_note(ot, ab, NOV, "cooking"), {"overall": 0})
    add_cues(add_note(ot, ab, NOV + day, "shopping"), {"overall": 5})  # not cooking
    add_cues(add_note(ot, ab, OCT - 20 * day, "cooking"), {"overall": 5})  # before the range
    # Huddles: actions counted in the period they fall due, on time if done by then.
    add_huddle(
        lead,
        OCT - 2 * hour,
        actions=[(OCT + 4 * hour, OCT + 3 * hour), (OCT + day, OCT + day + hour)],
    )
    add_huddle(lead, OCT + 4 * hour, shift="late", actions=[(NOV, None)])
    add_huddle(lead, NOV, actions=[(NOV + day, NOV + day)])
    add_huddle(lead, OCT - 10 * day)  # before the range
    elsewhere = make_unit("Orchard Lodge", "Orchard")
    stranger = make_user("lead", home_unit=elsewhere)
    ef = make_client("EF", home_unit=elsewhere)
    add_cues(add_note(stranger, ef, OCT, "cooking"), {"overall": 5})
    add_huddle(stranger, OCT, actions=[(OCT + hour, OCT)])
    return lead


def test_cooking_sessions_by_support_level_and_huddles_equal_the_hand_counted_ones(
    now, cooking_and_huddles, browser_for
):
    web = browser_for(cooking_and_huddles)
    page = soup(web.get(f"/reports/statistics?period=month&{RANGE}"))
    # Levels 0-5, no overall level, median. October: 2, 4 and 3 (amended from 4), one unrated.
    assert table_rows(page, "stats-cooking") == [
        ["Oct 2026", "0", "0", "1", "1", "1", "0", "1", "3"],
        ["Nov 2026", "1", "0", "0", "0", "0", "0", "0", "0"],
    ]
    assert "5 cooking sessions in this period" in page.get_text(" ", strip=True)
    assert table_rows(page, "stats-huddles") == [
        ["Oct 2026", "2", "2", "1"],
        ["Nov 2026", "1", "2", "1"],
    ]
    assert "3 huddles held; 2 of 4 huddle actions" in page.get_text(" ", strip=True)
    cooking = page.find(id="stats-chart-cooking").find("svg")
    assert cooking["role"] == "img" and len(cooking.find_all("circle")) == 2
    assert "highest Oct 2026: 3 (median cue level)" in cooking.find("desc").get_text()
    huddles = page.find(id="stats-chart-huddles").find("svg")
    assert [c.get_text() for c in huddles.find_all("title")][1:] == [
        "Oct 2026: 2 huddles",
        "Nov 2026: 1 huddles",
    ]
    weekly = soup(web.get("/reports/statistics?period=week&start=2026-10-05&end=2026-10-18"))
    assert table_rows(weekly, "stats-cooking")[1] == [
        "w/c 12 Oct 2026",
        "0",
        "0",
        "0",
        "1",
        "0",
        "0",
        "1",
        "3",
    ]

    cooking_csv = read_csv(web.get(f"/reports/statistics.csv?table=cooking&period=month&{RANGE}"))
    assert cooking_csv[0][:2] == ["period", "overall cue level 0"]
    assert cooking_csv[1] == ["Oct 2026", "0", "0", "1", "1", "1", "0", "1", "3"]
    huddle_csv = read_csv(web.get(f"/reports/statistics.csv?table=huddles&period=month&{RANGE}"))
    assert huddle_csv == [
        ["period", "huddles held", "actions due", "actions closed on time"],
        ["Oct 2026", "2", "2", "1"],
        ["Nov 2026", "1", "2", "1"],
    ]


def test_cooking_sessions_count_each_note_as_amended(
    app, now, make_user, make_client, add_note, add_cues, browser_for
):
    """A café trip amended to a cooking session counts; a cooking session amended to shopping
    does not; a session whose date was amended into November counts in November (RP-1)."""
    from app.extensions import db
    from app.notes import services as notes
    from app.notes.models import Note, encode

    ot, lead = make_user("ot"), make_user("lead")
    ab = make_client("AB")
    day = timedelta(days=1)
    to_cooking = add_note(ot, ab, OCT + 2 * day, "cafe")
    add_cues(to_cooking, {"overall": 1})
    to_shopping = add_note(ot, ab, OCT + 3 * day, "cooking")
    add_cues(to_shopping, {"overall": 5})
    moved = add_note(ot, ab, OCT + 4 * day, "cooking")
    add_cues(moved, {"overall": 2})
    with app.app_context():
        for note_id, field, text in (
            (to_cooking, "activity_type", "cooking"),
            (to_shopping, "activity_type", "shopping"),
            (moved, "activity_at", encode("activity_at", NOV + 2 * day)),
        ):
            notes.amend(db.session.get(Note, note_id), field, text, "Wrong on signing", ot)
        db.session.commit()
    page = soup(browser_for(lead).get(f"/reports/statistics?period=month&{RANGE}"))
    assert table_rows(page, "stats-cooking") == [
        ["Oct 2026", "0", "1", "0", "0", "0", "0", "0", "1"],
        ["Nov 2026", "0", "0", "1", "0", "0", "0", "0", "2"],
    ]


def read_csv(response) -> list[list[str]]:
    assert response.status_code == 200 and response.mimetype == "text/csv"
    return list(csv.reader(io.StringIO(response.get_data(as_text=True))))


def test_each_table_downloads_as_csv_and_no_cell_is_a_formula(
    now, unit_history, make_user, browser_for
):
    web = browser_for(make_user("lead"))
    periods = read_csv(web.get(f"/reports/statistics.csv?table=periods&period=month&{RANGE}"))
    assert periods[1][:4] == ["Oct 2026", "3", "1", "120"]
    staff = read_csv(web.get(f"/reports/statistics.csv?table=staff&period=month&{RANGE}"))
    assert ['\'=HYPERLINK("http://evil")', "1", "1"] in staff
    clients = read_csv(web.get(f"/reports/statistics.csv?table=clients&{RANGE}"))
    assert clients[1] == ["AB", "2", "2", "165"]
    cooking = read_csv(web.get(f"/reports/statistics.csv?table=cooking&{RANGE}"))
    huddles = read_csv(web.get(f"/reports/statistics.csv?table=huddles&{RANGE}"))
    for table in (periods, staff, clients, cooking, huddles):
        assert not any(
            cell[:1] in ("=", "+", "-", "@", "\t", "\r") for row in table for cell in row
        )


def test_a_note_starting_with_equals_is_not_a_formula_in_the_timeline_csv(
    now, make_user, make_client, add_note, add_outing, browser_for
):
    ot = make_user("ot")
    client = make_client("AB")
    add_note(ot, client, OCT, place="=1+2")
    add_outing(ot, [client], NOV, destination="@SUM(A1:A9)")
    add_outing(ot, [client], NOV + timedelta(days=1), destination="-2+3")
    rows = read_csv(browser_for(ot).get(f"/reports/clients/{client.id}/timeline.csv"))
    assert rows[0] == ["when", "kind", "record", "what", "detail"]
    cells = [cell for row in rows[1:] for cell in row]
    assert "'=1+2, 60 minutes" in cells  # the note's detail, neutralised
    assert "Outing to @SUM(A1:A9)" in cells  # not at the start of a cell: harmless
    assert not any(cell[:1] in ("=", "+", "-", "@", "\t", "\r") for cell in cells)


def test_statistics_need_a_lead_or_an_administrator(now, make_user, browser_for):
    for role in ("ot", "assistant"):
        web = browser_for(make_user(role))
        assert web.get("/reports/statistics").status_code == 403
        assert web.get("/reports/statistics.csv").status_code == 403
    admin = browser_for(make_user("admin"))
    assert admin.get("/reports/statistics").status_code == 200


@pytest.mark.parametrize(
    "query, message",
    [
        ("start=2026-11-30&end=2026-10-01", "on or after the first day"),
        ("start=2023-01-01&end=2026-11-30", "at most 2 years"),
        ("start=2026-11-01&end=2026-12-31", "cannot be in the future"),
        ("period=fortnight", "Not a valid choice"),
    ],
)
def test_a_bad_period_is_a_field_error_not_a_500(now, make_user, browser_for, query, message):
    web = browser_for(make_user("lead"))
    response = web.get(f"/reports/statistics?{query}")
    assert response.status_code == 422
    assert message in soup(response).find(class_="nhsuk-error-summary").get_text()
    assert web.get(f"/reports/statistics.csv?table=periods&{query}").status_code == 400
