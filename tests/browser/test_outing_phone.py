"""My outing on a real phone (360x740): SOS in the first screen in every state, the worker's own
screen following the board's colours by itself, a lead's acknowledgement shown live, and the
way from "I'm back" to the notes (issue 14 items 1, 2 and 8)."""

import re
from datetime import timedelta

import pytest

from app.core import clock
from app.extensions import db

expect = pytest.importorskip("playwright.sync_api").expect

pytestmark = pytest.mark.browser

WORKER = "assistant@example.com"  # the demo assistant, out with BC and EF, buddy Grace Adeyemi
LEAD = "headot@example.com"
SCREEN_HEIGHT = 740


@pytest.fixture
def outing(app, demo, frozen_clock):
    """The demo outing, with the app's clock frozen and a watcher pass at the frozen time."""
    from app.lone_working.escalation import beat, tick
    from app.lone_working.models import Outing

    with app.app_context():
        row = db.session.query(Outing).one()
        facts = {"id": row.id, "due": row.expected_return}
        db.session.remove()

    def at(minutes_after_due: int) -> None:
        frozen_clock(facts["due"] + timedelta(minutes=minutes_after_due))
        with app.app_context():
            beat("browser-test")
            tick()
            db.session.remove()

    facts["at"] = at
    yield facts
    clock.set_clock(None)


def hhmm(value) -> str:
    return f"{clock.to_london(value):%H:%M}"


def assert_sos_in_first_screen(page, javascript: bool = True) -> None:
    if javascript:  # (evaluate waits for ever on a page without JavaScript; that one is at the top)
        page.evaluate("window.scrollTo(0, 0)")
    sos = page.get_by_role("button", name="SOS", exact=True)
    expect(sos).to_be_visible()
    box = sos.bounding_box()
    assert box is not None
    assert box["y"] >= 0 and box["y"] + box["height"] <= SCREEN_HEIGHT, box
    assert box["height"] >= 44 and box["width"] >= 300, box  # big, in thumb reach


def add_welfare_update(page) -> None:
    """A harmless action that puts a "Done" banner on top of the page, as every action does."""
    page.get_by_text("Add a welfare update").click()
    page.get_by_label(re.compile("update", re.I)).fill("All fine, at the tills")
    page.get_by_role("button", name="Add update").click()
    expect(page.get_by_text("Welfare update added.")).to_be_visible()


def test_sos_is_inside_the_first_screen_of_my_outing_in_every_state(
    app, page, outing, log_in, axe, assert_clean, screenshot
):
    from app.lone_working.models import Outing

    with app.app_context():  # the longest place the check-out form takes: the worst case
        db.session.get(Outing, outing["id"]).destination = "Community Centre, " + "x" * 102
        db.session.commit()
        db.session.remove()
    status = page.locator("#my-outing-status")
    states = [
        (-20, "ok", "On time"),
        (1, "due", "You are due back"),
        (16, "amber", "You are overdue"),
        (31, "red", "You are overdue: urgent"),
    ]
    outing["at"](-20)
    log_in(page, WORKER)
    for minutes, level, title in states:
        outing["at"](minutes)
        page.goto("/out/mine")
        expect(status).to_have_attribute("data-level", level)
        expect(status.get_by_role("heading", level=2)).to_have_text(title)
        assert_sos_in_first_screen(page)
        axe(page)
        screenshot(page, f"my-outing-{level}")
        add_welfare_update(page)  # the same state with a banner above it
        expect(status).to_have_attribute("data-level", level)
        assert_sos_in_first_screen(page)
        screenshot(page, f"my-outing-{level}-with-banner")

    # A mistake in a form (an error summary above everything) keeps SOS in the first screen.
    page.wait_for_load_state()
    page.get_by_label("30 minutes").check()
    page.get_by_role("button", name="Extend").click()
    expect(page.locator(".nhsuk-error-summary")).to_contain_text("Say why you need longer")
    assert_sos_in_first_screen(page)
    screenshot(page, "my-outing-red-with-error")

    # Alert raised: SOS sent, with its banner, and the state saying so.
    page.get_by_role("button", name="SOS", exact=True).click()
    page.get_by_role("button", name="Send SOS now").click()
    expect(page.get_by_text("SOS sent. Leads are being alerted now.")).to_be_visible()
    expect(status).to_have_attribute("data-level", "sos")
    expect(status).to_contain_text("Not seen by a lead yet")
    assert_sos_in_first_screen(page)
    axe(page)
    screenshot(page, "my-outing-sos-sent")
    assert_clean(page, expected_statuses=(422,))


def test_sos_asks_once_in_place_and_cancel_keeps_the_outing_as_it_was(
    app, page, outing, log_in, axe, assert_clean, screenshot
):
    from app.lone_working.models import EscalationStep

    outing["at"](-20)
    log_in(page, WORKER)
    page.goto("/out/mine")
    page.wait_for_load_state()
    sos = page.get_by_role("button", name="SOS", exact=True)
    first = sos.bounding_box()
    sos.click()
    send = page.get_by_role("button", name="Send SOS now")
    expect(send).to_be_visible()
    assert page.url.endswith("/out/mine")  # in place, no page change
    # Focus moves to the question (read out by screen readers), not to the send button.
    expect(page.locator(".app-sos-confirm__text")).to_be_focused()
    # A double tap cannot send it: the send button is not where the thumb was.
    box = send.bounding_box()
    assert box["y"] > first["y"] + first["height"], (first, box)
    assert box["y"] + box["height"] <= SCREEN_HEIGHT
    axe(page)
    screenshot(page, "my-outing-sos-confirm")
    page.get_by_role("link", name="Cancel, go back to my outing").click()
    expect(page.get_by_role("button", name="SOS", exact=True)).to_be_visible()
    expect(send).to_have_count(0)
    with app.app_context():
        assert db.session.query(EscalationStep).count() == 0
        db.session.remove()
    page.goto(f"/out/{outing['id']}/sos")  # the confirm page itself (the no-JS path)
    axe(page)
    assert_clean(page)


def test_the_workers_screen_turns_amber_then_red_by_itself_and_says_what_happens_next(
    page, outing, log_in, axe, assert_clean, screenshot
):
    due = outing["due"]
    status = page.locator("#my-outing-status")
    outing["at"](-2)
    page.clock.install()
    log_in(page, WORKER)
    page.goto("/out/mine")
    page.wait_for_load_state()
    add_welfare_update(page)
    banner = page.get_by_text("Welcome back")  # never shown here; the Done banner is:
    done = page.locator("#mine-flash .nhsuk-notification-banner")
    expect(done).to_be_visible()
    expect(status).to_have_attribute("data-level", "ok")
    expect(status).to_contain_text(
        f"Your buddy will be alerted at {hhmm(due + timedelta(minutes=15))}"
    )

    outing["at"](1)
    page.clock.fast_forward(16_000)  # the status box's own 15-second poll
    expect(status).to_have_attribute("data-level", "due")
    expect(status.get_by_role("heading", level=2)).to_have_text("You are due back")
    expect(done).to_have_count(0)  # the green "Done" no longer stands above an overdue worker
    expect(banner).to_have_count(0)

    outing["at"](16)
    page.clock.fast_forward(16_000)
    expect(status).to_have_attribute("data-level", "amber")
    expect(status).to_have_class(re.compile(r"app-status--amber"))
    expect(status.get_by_role("heading", level=2)).to_have_text("You are overdue")
    expect(status).to_contain_text(f"Your buddy was alerted at {hhmm(due + timedelta(minutes=16))}")
    expect(status).to_contain_text(
        f"The shift lead will be alerted at {hhmm(due + timedelta(minutes=30))}"
    )
    axe(page)
    screenshot(page, "my-outing-turned-amber")

    outing["at"](31)
    page.clock.fast_forward(16_000)
    expect(status).to_have_attribute("data-level", "red")
    expect(status).to_have_class(re.compile(r"app-status--red"))
    expect(status.get_by_role("heading", level=2)).to_have_text("You are overdue: urgent")
    expect(status).to_contain_text(
        f"The emergency procedure starts at {hhmm(due + timedelta(minutes=60))}"
    )
    # The forms and SOS are still there after the polls.
    expect(page.get_by_role("button", name="SOS", exact=True)).to_be_visible()
    expect(page.get_by_role("button", name="I'm back")).to_be_visible()
    axe(page)
    screenshot(page, "my-outing-turned-red")
    assert_clean(page)


def test_a_leads_acknowledgement_appears_on_the_workers_screen_without_reloading(
    page, new_page, outing, log_in, axe, assert_clean, screenshot
):
    status = page.locator("#my-outing-status")
    outing["at"](-20)
    page.clock.install()
    log_in(page, WORKER)
    page.goto("/out/mine")
    page.wait_for_load_state()
    page.get_by_role("button", name="SOS", exact=True).click()
    page.get_by_role("button", name="Send SOS now").click()
    expect(status).to_contain_text("Not seen by a lead yet")

    lead = new_page()
    log_in(lead, LEAD)
    lead.goto("/board")
    lead.get_by_role("button", name="Acknowledge: I own this").click()
    expect(lead.get_by_text("You have acknowledged the alert")).to_be_visible()

    page.clock.fast_forward(16_000)
    expect(status).to_contain_text(f"Seen by Grace Adeyemi at {hhmm(clock.now())}.")
    expect(status).not_to_contain_text("Not seen by a lead yet")
    axe(page)
    screenshot(page, "my-outing-sos-seen")
    assert_clean(page)


def test_after_im_back_the_worker_is_offered_a_note_for_the_clients_who_went(
    page, outing, log_in, axe, assert_clean, screenshot
):
    outing["at"](-5)
    log_in(page, WORKER)
    page.goto("/out/mine")
    page.wait_for_load_state()
    page.get_by_role("button", name="I'm back").click()
    expect(page.get_by_text("Welcome back. You are checked in.")).to_be_visible()
    link = page.get_by_role("link", name="Write a note for BC / EF")
    expect(link).to_be_visible()
    box = link.bounding_box()
    assert box["y"] + box["height"] <= SCREEN_HEIGHT  # on the first screen after checking in
    axe(page)
    screenshot(page, "checked-in-write-a-note")
    link.click()
    expect(page.get_by_role("link", name=re.compile("Write note for BC"))).to_be_visible()
    expect(page.get_by_role("link", name=re.compile("Write note for EF"))).to_be_visible()
    assert_clean(page)


def test_without_javascript_sos_is_a_confirm_page_and_a_plain_post(
    new_page, outing, log_in, screenshot
):
    page = new_page(java_script_enabled=False)
    outing["at"](-20)
    log_in(page, WORKER)
    page.goto("/out/mine")
    assert_sos_in_first_screen(page, javascript=False)
    page.get_by_role("button", name="SOS", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Send SOS?")
    assert page.url.endswith(f"/out/{outing['id']}/sos")
    screenshot(page, "sos-confirm-page-no-js")
    page.get_by_role("button", name="Send SOS now").click()
    expect(page.get_by_text("SOS sent. Leads are being alerted now.")).to_be_visible()
    expect(page.locator("#my-outing-status")).to_have_attribute("data-level", "sos")
