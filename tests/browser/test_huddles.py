"""A safety huddle on a phone (360x740, headless Chromium): start, tick attendees, flag two
clients, add an entry and an action, close — counting the taps a practised user needs — with
axe and CSP checks on each page, and screenshots of the huddle and its printed summary."""

import pytest
from sqlalchemy import select

from app.extensions import db
from app.huddles.models import Huddle, HuddleAction, HuddleEntry, HuddleFlag
from tests.browser.test_journeys import assert_no_sideways_scroll

expect = pytest.importorskip(
    "playwright.sync_api",
    reason="needs the playwright package: pip install -r requirements-dev.txt",
).expect

pytestmark = pytest.mark.browser

LEAD = "lead@example.com"
# The taps a practised user needs for the whole huddle below (README "Safety huddles").
EXPECTED_TAPS = 19


class Taps:
    """Every tap the test makes on the phone, counted (a select is two: open it, pick)."""

    def __init__(self):
        self.count = 0

    def tap(self, locator) -> None:
        self.count += 1
        locator.click()

    def type(self, locator, text: str) -> None:
        self.count += 1  # tap into the field; the keyboard is not a tap
        locator.fill(text)

    def choose(self, locator, label: str) -> None:
        self.count += 2
        locator.select_option(label=label)


def test_a_whole_huddle_on_a_phone_in_counted_taps(
    app, demo, page, log_in, axe, assert_clean, page_log, screenshot
):
    taps = Taps()
    log_in(page, LEAD)
    page.wait_for_load_state()
    taps.tap(page.get_by_role("button", name="Start the huddle"))
    expect(page.get_by_role("heading", level=1)).to_contain_text("shift huddle")
    page.wait_for_load_state()

    # Attendees: the lead is ticked already; tick two more.
    for name in ("Priya Sandhu", "Tom Okafor"):
        taps.tap(page.get_by_role("button", name=name))
        expect(page.get_by_role("button", name=name)).to_have_attribute("aria-pressed", "true")

    # Flag two clients: AB amber, BC red (each reason typed first, then the tap that saves it).
    taps.type(page.get_by_label("Reason for AB"), "Unsettled after ward round")
    taps.tap(page.get_by_role("button", name="Make amber – AB"))
    expect(page.locator(".app-flag", has_text="Unsettled after ward round")).to_contain_text(
        "Amber"
    )
    taps.type(page.get_by_label("Reason for BC"), "Talking about leaving tonight")
    taps.tap(page.get_by_role("button", name="Make amber – BC"))
    expect(page.get_by_role("button", name="Make red – BC")).to_be_visible()
    taps.tap(page.get_by_role("button", name="Make red – BC"))
    expect(page.get_by_role("button", name="Make green – BC")).to_be_visible()

    # An entry about a client, and an action.
    taps.choose(page.get_by_label("Kind"), "Leave and AWOL risk")
    taps.choose(page.get_by_label("Client (optional)"), "BC, room 2")
    taps.type(page.get_by_label("What happened or is planned"), "Leave suspended tonight")
    taps.tap(page.get_by_role("button", name="Add entry"))
    expect(page.locator("#entry-list")).to_contain_text("Leave suspended tonight")
    taps.type(page.get_by_label("Action", exact=True), "Review BC's leave with the RC")
    taps.choose(page.get_by_label("Owner"), "Grace Adeyemi")
    taps.tap(page.get_by_role("button", name="Add action"))
    expect(page.locator("#action-list")).to_contain_text("Review BC's leave with the RC")

    assert_no_sideways_scroll(page)
    axe(page)
    screenshot(page, "huddle-360")
    assert_clean(page)

    taps.tap(page.get_by_role("button", name="Close the huddle"))
    expect(page.get_by_role("heading", level=1)).to_contain_text("shift huddle")
    expect(page.locator("table")).to_contain_text("Talking about leaving tonight")
    axe(page)
    assert_no_sideways_scroll(page)
    screenshot(page, "huddle-summary-360")
    page.emulate_media(media="print")
    screenshot(page, "huddle-summary-print")
    expect(page.locator(".nhsuk-header")).to_be_hidden()
    page.emulate_media(media="screen")
    assert_clean(page)

    print(f"\nHuddle taps: {taps.count}")
    assert taps.count == EXPECTED_TAPS

    with app.app_context():
        huddle = db.session.scalars(select(Huddle).order_by(Huddle.id.desc())).first()
        assert huddle.closed_at is not None
        flags = db.session.scalars(
            select(HuddleFlag).where(HuddleFlag.huddle_id == huddle.id, HuddleFlag.version > 1)
        ).all()
        assert sorted(f.value for f in flags) == ["amber", "red"]
        assert db.session.scalar(select(HuddleEntry).where(HuddleEntry.huddle_id == huddle.id))
        assert db.session.scalar(select(HuddleAction).where(HuddleAction.huddle_id == huddle.id))
