"""Lone working on a phone at 360x740: check out, the countdown, extend, check in; the board."""

import re
from datetime import timedelta

import pytest

from app.core import clock
from app.extensions import db

expect = pytest.importorskip("playwright.sync_api").expect

pytestmark = pytest.mark.browser

OT = "ot@example.com"
HEAD_OT = "headot@example.com"


def test_an_ot_checks_out_sees_the_countdown_extends_and_checks_in(
    page, demo, log_in, axe, assert_clean, screenshot
):
    log_in(page, OT)
    page.get_by_role("link", name="Check out").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Check out")
    page.wait_for_load_state()
    axe(page)
    screenshot(page, "check-out")

    page.get_by_label("Where are you going?").fill("Central Library")
    page.get_by_label("1 hour").check()
    page.get_by_label("Bus").check()
    page.get_by_role("button", name="Check out").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("My outing")
    countdown = page.locator(".app-countdown__value")
    expect(countdown).to_have_text(re.compile(r"^(1 h 00|0 h 59) min$"))
    axe(page)
    screenshot(page, "my-outing")

    # A mistake keeps the whole screen: the message, and every button including SOS.
    page.get_by_label("30 minutes").check()
    page.get_by_role("button", name="Extend").click()
    expect(page.locator(".nhsuk-error-summary")).to_contain_text("Say why you need longer")
    expect(page.get_by_role("button", name="SOS")).to_be_visible()
    expect(page.get_by_role("button", name="I'm back")).to_be_visible()
    expect(page.get_by_label("30 minutes")).to_be_checked()

    page.get_by_label("Why?").fill("The bus is running late")
    page.get_by_role("button", name="Extend").click()
    expect(page.get_by_text(re.compile(r"Extended\. You are now due back at"))).to_be_visible()
    expect(countdown).to_have_text(re.compile(r"^1 h (29|30) min$"))

    page.get_by_role("button", name="I'm back").click()
    expect(page.get_by_text("Welcome back. You are checked in.")).to_be_visible()
    expect(page.get_by_role("link", name="Check out")).to_be_visible()
    assert_clean(page, expected_statuses=(422,))


def test_the_board_turns_amber_by_itself_when_the_clock_passes_fifteen_minutes(
    app, page, demo, log_in, axe, assert_clean, screenshot, frozen_clock
):
    from app.lone_working.escalation import tick
    from app.lone_working.models import Outing

    with app.app_context():
        due = db.session.query(Outing).one().expected_return  # the demo assistant's outing
        db.session.remove()
    frozen_clock(due + timedelta(minutes=14))

    def watcher_pass():
        with app.app_context():
            tick()
            from app.lone_working.escalation import beat

            beat("browser-test")
            db.session.remove()

    watcher_pass()
    page.clock.install()
    log_in(page, HEAD_OT)
    page.goto("/board")
    item = page.locator(".app-board-list__item").first
    expect(item).to_contain_text("Sainsbury's, London Road")
    expect(item).to_have_class(re.compile(r"app-board-list__item--due"))
    axe(page)

    frozen_clock.advance(minutes=1)
    watcher_pass()
    page.clock.fast_forward(16_000)  # the board's own 15-second poll fetches the change
    expect(page.locator(".app-board-list__item").first).to_have_class(
        re.compile(r"app-board-list__item--amber")
    )
    expect(page.locator(".app-board-list__item").first).to_contain_text("Amber")
    axe(page)
    screenshot(page, "board-amber")
    assert_clean(page)
    clock.set_clock(None)
