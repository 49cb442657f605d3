"""A cooking session on a phone (headless Chromium at 360x740, axe on every page): started from
the meals link with its facts, cue levels tapped overall and for two skills, signed, and the
client page's cue chart and summary (issue 7 items 5 and 6)."""

import re

import pytest

from tests.browser.conftest import SCREENSHOTS
from tests.browser.test_journeys import assert_no_sideways_scroll, small_touch_targets
from tests.browser.test_notes import OT, client_id, notes_of, two_hours_ago

expect = pytest.importorskip(
    "playwright.sync_api",
    reason="needs the playwright package: pip install -r requirements-dev.txt",
).expect

pytestmark = pytest.mark.browser

# A demo client of The Beacon with no notes yet.
CLIENT = "BC"
# The demo client with signed cooking sessions.
COOK = "AB"


def test_a_cooking_session_is_written_on_a_phone_signed_and_charted(
    page, demo, app, log_in, axe, assert_clean
):
    log_in(page, OT)
    cid = client_id(app, CLIENT)
    day, at = two_hours_ago()
    page.goto(f"/notes/new?client={cid}&type=cooking&dish=Fish+pie&at={day}T{at}")
    page.wait_for_load_state()
    section = page.locator("#cue-section")
    expect(section).to_be_visible()
    expect(page.get_by_label("Dish")).to_have_value("Fish pie")
    expect(page.get_by_role("radio", name="Cooking")).to_be_checked()

    # Another type never hides what is typed in the section; an empty one goes, and comes
    # back with cooking.
    page.get_by_role("radio", name="Café or eating out").check()
    expect(section).to_be_visible()
    page.get_by_label("Dish").fill("")
    page.get_by_role("radio", name="Shopping").check()
    page.get_by_role("radio", name="Café or eating out").check()
    expect(section).to_be_hidden()
    page.get_by_role("radio", name="Cooking").check()
    expect(section).to_be_visible()
    page.get_by_label("Dish").fill("Fish pie")

    page.get_by_label("How long it took").fill("75")
    page.get_by_label("Place").fill("Unit training kitchen")
    page.get_by_role("radio", name="Mostly engaged").check()
    # One tap per rating: the overall level, then two skills.
    overall = page.get_by_role("group", name="Overall", exact=True)
    overall.get_by_role("radio", name=re.compile(r"^3 ?, Direct verbal instruction$")).click()
    expect(
        overall.get_by_role("radio", name=re.compile(r"^3 ?, Direct verbal instruction$"))
    ).to_be_checked()
    page.get_by_text("Cue levels for each skill (optional)").click()
    knife = page.get_by_role("group", name="Safe use of knife")
    knife.get_by_role("radio", name=re.compile(r"^2 ?, Gestural guidance$")).click()
    hob = page.get_by_role("group", name="Safe use of hob/oven")
    hob.get_by_role("radio", name=re.compile(r"^4 ?, Physical assistance$")).click()
    expect(knife.get_by_role("radio", name=re.compile(r"^2 ?, Gestural guidance$"))).to_be_checked()
    expect(hob.get_by_role("radio", name=re.compile(r"^4 ?, Physical assistance$"))).to_be_checked()
    page.get_by_label("Client's own reflection").fill("I was slow with the potatoes.")
    page.get_by_label("Support given").fill("Talked through the recipe card step by step.")

    assert_no_sideways_scroll(page)
    assert [t for t in small_touch_targets(page) if "cue" in t.lower()] == []
    box = overall.bounding_box()
    assert box["width"] <= 340, box
    axe(page)
    section.screenshot(path=str(SCREENSHOTS / "cooking-cue-section.png"))

    page.get_by_role("button", name="Sign note").click()
    expect(page).to_have_url(re.compile(r"/notes/\d+$"))
    cues = page.locator("#note-cues")
    expect(cues).to_contain_text("Direct verbal instruction")
    expect(cues).to_contain_text("Safe use of knife")
    axe(page)
    [note] = notes_of(app, CLIENT)
    assert note.is_signed and note.dish == "Fish pie"

    page.goto(f"/clients/{cid}")
    panel = page.locator("#client-cues")
    expect(panel.locator("#cue-summary")).to_contain_text(
        "Overall: one session, on", timeout=10_000
    )
    expect(panel.locator("#cue-chart-overall svg")).to_be_visible()
    expect(panel).to_contain_text("Lower is more independent")
    assert_no_sideways_scroll(page)
    axe(page)
    assert_clean(page)


def test_the_cue_chart_and_summary_on_the_client_page_at_360_pixels(
    page, demo, app, log_in, axe, assert_clean, screenshot
):
    log_in(page, OT)
    page.goto(f"/clients/{client_id(app, COOK)}")
    panel = page.locator("#client-cues")
    expect(panel.locator("#cue-summary")).to_contain_text("of the last 4 sessions")
    chart = panel.locator("#cue-chart-overall svg")
    assert chart.get_attribute("role") == "img"
    box = chart.bounding_box()
    assert box["width"] <= 330 and box["height"] > 100, box
    expect(chart.locator("circle")).to_have_count(7)
    panel.get_by_text("Show the cue levels as a table").click()
    expect(panel.locator("#cue-table tbody tr")).to_have_count(7)
    assert_no_sideways_scroll(page)
    axe(page)
    assert_clean(page)
    panel.screenshot(path=str(SCREENSHOTS / "client-cue-chart.png"))
