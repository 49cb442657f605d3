"""The board's poll in a real browser: 304s leave the board in place and polling on, and the
board still turns amber by itself when the ladder moves."""

import re
from datetime import timedelta

import pytest

from app.core import clock
from app.extensions import db

expect = pytest.importorskip("playwright.sync_api").expect

pytestmark = pytest.mark.browser


def _is_poll(response) -> bool:
    return "/board?poll=1" in response.url


def _next_poll(page):
    """Jump the page's clock past the 15-s poll and return the poll's answer. Then let htmx
    finish with it: after a 200 the new board registers its own timer only once it is swapped
    in, and a jump made before that would find no timer to fire (a race seen under load)."""
    with page.expect_response(_is_poll, timeout=15_000) as answer:
        page.clock.fast_forward(16_000)
    page.wait_for_timeout(300)
    return answer.value


def test_the_board_keeps_its_place_on_304_and_still_turns_amber_by_itself(
    app, page, demo, log_in, assert_clean, screenshot, frozen_clock
):
    from app.lone_working.escalation import beat, tick
    from app.lone_working.models import Outing

    with app.app_context():
        due = db.session.query(Outing).one().expected_return  # the demo assistant's outing
        db.session.remove()
    frozen_clock(due + timedelta(minutes=14))

    def watcher_pass():
        with app.app_context():
            tick()
            beat("browser-test")
            db.session.remove()

    watcher_pass()
    page.clock.install()
    log_in(page, "headot@example.com")
    page.goto("/board")
    item = page.locator(".app-board-list__item").first
    expect(item).to_have_class(re.compile(r"app-board-list__item--due"))
    updated = page.get_by_text(re.compile(r"^Updated \d\d:\d\d\."))
    before = updated.inner_text()

    statuses = []
    for _ in range(3):  # nothing changes: the first poll gets the ETag, the next ones 304
        answer = _next_poll(page)
        statuses.append(answer.status)
        assert answer.request.headers.get("hx-request") == "true"
    assert statuses[0] == 200 and statuses[1:] == [304, 304], statuses
    expect(item).to_have_class(re.compile(r"app-board-list__item--due"))  # still there
    expect(updated).to_have_text(before)
    expect(page.locator("#board")).to_have_attribute("hx-trigger", "every 15s")

    frozen_clock.advance(minutes=1)  # the buddy step falls due; the watcher takes it
    watcher_pass()
    assert _next_poll(page).status == 200
    expect(page.locator(".app-board-list__item").first).to_have_class(
        re.compile(r"app-board-list__item--amber")
    )
    expect(page.locator(".app-board-list__item").first).to_contain_text("Amber")

    # And polling goes on after a swap.
    assert _next_poll(page).status == 304
    screenshot(page, "board-poll-amber")
    assert_clean(page)
    clock.set_clock(None)


def test_the_home_page_does_not_fetch_the_nhs_script_and_the_check_out_form_does(
    page, demo, log_in
):
    fetched = []
    log_in(page, "ot@example.com")  # the login form has a button that uses the NHS script
    cdp = page.context.new_cdp_session(page)
    cdp.send("Network.setCacheDisabled", {"cacheDisabled": True})  # as on a first visit
    page.on("request", lambda request: fetched.append(request.url))
    page.goto("/")
    page.wait_for_load_state("networkidle")
    assert not [u for u in fetched if "nhsuk-frontend.min.js" in u], fetched
    page.get_by_role("link", name="Check out").click()
    page.wait_for_load_state("networkidle")
    assert [u for u in fetched if "nhsuk-frontend.min.js" in u]
    # The NHS script is running: a conditional reveal (nhsuk-radios) works as before.
    expect(page.locator("[data-module='nhsuk-radios']").first).to_have_attribute(
        "data-nhsuk-radios-init", ""
    )
