"""Checking out on a 360x740 phone: one way to set the due time, a form that fits two screens,
nothing lost to a lost session or a lost signal, and a small unit where nobody is a buddy."""

import re
from datetime import timedelta

import pytest

from app.core import clock
from app.extensions import db

expect = pytest.importorskip("playwright.sync_api").expect

pytestmark = pytest.mark.browser

OT = "ot@example.com"
OT2 = "ot2@example.com"
TWO_SCREENS = 1_480


def _past_outing(app, email: str = OT) -> None:
    """A closed outing of the OT's from this morning: Tesco Extra with AB, by bus, buddy Sam."""
    from sqlalchemy import select

    from app.auth.models import User
    from app.clients.models import Client
    from app.lone_working import outings

    with app.app_context():
        worker = db.session.scalar(select(User).where(User.email == email))
        buddy = db.session.scalar(select(User).where(User.email == "admin@example.com"))
        client = db.session.scalar(select(Client).where(Client.initials == "AB"))
        outing = outings.check_out(
            worker,
            worker.home_unit_id,
            {
                "destination": "Tesco Extra",
                "purpose": "",
                "transport": "Bus",
                "contact_number": worker.phone,
                "buddy_id": buddy.id,
                "client_ids": [client.id],
                "expected_return": clock.now() + timedelta(hours=1),
            },
            "earlier-today",
        )
        outings.check_in(outing, worker, "")
        db.session.commit()
        db.session.remove()


def _fill_check_out(page) -> None:
    page.get_by_label("Where are you going?").fill("Central Library")
    page.get_by_label("1 hour").check()
    page.get_by_label("Bus").check()
    page.get_by_label("AB (room 1)").check()


def test_a_chip_and_a_different_back_by_time_are_refused_with_the_input_kept(
    new_page, demo, log_in
):
    # Without JavaScript both ways are on the page; the server refuses the two together.
    page = new_page(java_script_enabled=False)
    log_in(page, OT)
    page.goto("/out/new")
    _fill_check_out(page)
    page.get_by_label("Back by (24-hour clock)").fill("22:00")
    page.get_by_role("button", name="Check out").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Check out")
    message = "You chose 1 hour and typed back by 22:00"
    expect(page.locator("#return_at-error")).to_contain_text(message)
    expect(page.locator(".nhsuk-error-summary")).to_contain_text(message)
    expect(page.get_by_label("Where are you going?")).to_have_value("Central Library")
    expect(page.get_by_label("Back by (24-hour clock)")).to_have_value("22:00")
    expect(page.get_by_label("1 hour")).to_be_checked()
    expect(page.get_by_label("AB (room 1)")).to_be_checked()


def test_the_back_by_time_shows_only_when_at_a_time_is_chosen(page, demo, log_in, assert_clean):
    log_in(page, OT)
    page.goto("/out/new")
    back_by = page.get_by_label("Back by (24-hour clock)")
    expect(back_by).to_be_hidden()
    page.get_by_label("At a time").check()
    expect(back_by).to_be_visible()
    back_by.fill("23:59")
    page.get_by_label("1 hour").check()
    expect(back_by).to_be_hidden()

    # The hidden time is not sent, so the chip decides: no conflict, checked out for an hour.
    page.get_by_label("Where are you going?").fill("Central Library")
    page.get_by_label("Bus").check()
    page.get_by_role("button", name="Check out").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("My outing")
    expect(page.locator(".app-countdown__value")).to_have_text(re.compile(r"^(1 h 00|0 h 59) min$"))
    assert_clean(page)


def test_the_check_out_form_with_last_times_defaults_fits_in_two_screens(
    app, page, demo, log_in, axe, screenshot, assert_clean
):
    _past_outing(app)
    log_in(page, OT)
    page.goto("/out/new")
    same = page.get_by_role("link", name=re.compile(r"^Same as last time:"))
    expect(same).to_have_text("Same as last time: Tesco Extra with AB, bus, buddy Sam Whitfield")
    screenshot(page, "check-out-360-first")
    page.get_by_label("Where are you going?").fill("Somewhere else")
    same.click()

    # Asking for last time's values replaces what was typed; no older copy is put back.
    expect(page.get_by_label("Where are you going?")).to_have_value("Tesco Extra")
    expect(page.get_by_text("We put back what you typed before")).to_have_count(0)
    expect(page.get_by_label("Bus")).to_be_checked()
    expect(page.get_by_label("AB (room 1)")).to_be_checked()
    expect(page.get_by_label("Buddy")).to_have_value(re.compile(r"^\d+$"))
    assert page.get_by_label("Buddy").locator("option:checked").inner_text() == "Sam Whitfield"
    page.get_by_label("2 hours").check()

    form = page.locator("#check-out-form").bounding_box()
    button = page.get_by_role("button", name="Check out").bounding_box()
    height = page.evaluate("document.body.scrollHeight")
    print(
        f"check-out form bottom {form['y'] + form['height']:.0f} px, button bottom "
        f"{button['y'] + button['height']:.0f} px, page {height} px"
    )
    assert form["y"] + form["height"] <= TWO_SCREENS, form
    assert button["y"] + button["height"] <= TWO_SCREENS, button
    for chip in ("30 minutes", "1 hour", "At a time", "Bus", "AB (room 1)"):
        control_id = page.get_by_label(chip, exact=True).get_attribute("id")
        box = page.locator(f"label[for='{control_id}']").bounding_box()
        assert box["height"] >= 44, (chip, box)
    axe(page)
    screenshot(page, "check-out-360-default")

    page.locator(".app-more-options summary").click()
    expect(page.get_by_label("Your phone number while you are out")).to_be_visible()
    expect(page.get_by_label("Welfare checks while out")).to_be_visible()
    axe(page)
    screenshot(page, "check-out-360-expanded")

    page.get_by_role("button", name="Check out").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("My outing")
    assert_clean(page)


def test_a_session_lost_before_check_out_comes_back_to_the_same_form_after_login(
    page, demo, log_in, assert_clean
):
    log_in(page, OT)
    page.goto("/out/new")
    _fill_check_out(page)
    page.get_by_label("Bus").check()
    page.context.clear_cookies()  # the session ends while the worker is typing
    page.get_by_role("button", name="Check out").click()

    page.wait_for_url(re.compile(r"/login\?next=(%2F|/)out(%2F|/)new$"))
    expect(page.get_by_text("You were signed out, so your check-out was not sent.")).to_be_visible()
    expect(page.get_by_text("Sign in to finish it.")).to_be_visible()
    assert "Central" not in page.url

    log_in(page, OT)
    page.wait_for_url(re.compile(r"/out/new$"))
    expect(page.get_by_text("We put back what you typed before")).to_be_visible()
    expect(page.get_by_label("Where are you going?")).to_have_value("Central Library")
    expect(page.get_by_label("1 hour")).to_be_checked()
    expect(page.get_by_label("Bus")).to_be_checked()
    expect(page.get_by_label("AB (room 1)")).to_be_checked()

    page.get_by_role("button", name="Check out").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("My outing")
    kept = page.evaluate("Object.keys(localStorage).filter((k) => k.startsWith('waypoint:form:'))")
    assert kept == [], "the copy must go once the server has the check-out"


def test_offline_taps_say_not_sent_and_keep_the_input(page, demo, log_in, assert_clean, page_log):
    log_in(page, OT)
    page.goto("/out/new")
    _fill_check_out(page)
    page.context.set_offline(True)
    page.get_by_role("button", name="Check out").click()
    expect(page.get_by_role("alert")).to_contain_text("Not sent — no signal")
    expect(page.get_by_label("Where are you going?")).to_have_value("Central Library")
    expect(page.get_by_label("1 hour")).to_be_checked()
    page.context.set_offline(False)
    page.get_by_role("button", name="Try again").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("My outing")

    page.context.set_offline(True)
    page.get_by_label("30 minutes").check()
    page.get_by_label("Why?").fill("The bus is late")
    page.get_by_role("button", name="Extend").click()
    expect(page.get_by_role("alert").filter(has_text="Not sent — no signal")).to_have_count(1)
    expect(page.get_by_label("Why?")).to_have_value("The bus is late")

    page.get_by_text("Add a welfare update").click()
    page.get_by_label("Welfare update").fill("All fine, on the bus back")
    page.get_by_role("button", name="Add update").click()
    expect(page.get_by_role("alert").filter(has_text="Not sent")).to_have_count(2)
    expect(page.get_by_label("Welfare update")).to_have_value("All fine, on the bus back")

    # "I'm back" is not only "not sent": it is queued on the phone and goes by itself when the
    # signal returns (issue 10; tests/browser/test_offline.py has the details).
    page.get_by_role("button", name="I'm back").click()
    expect(page.get_by_role("alert").filter(has_text="has not been sent yet")).to_be_visible()
    expect(page.get_by_role("link", name="Call 999")).to_be_visible()
    expect(page.get_by_role("heading", level=1)).to_have_text("My outing")

    page.context.set_offline(False)
    expect(page.get_by_text("Welcome back. You are checked in.")).to_be_visible(timeout=20_000)
    page_log(page).console.clear()  # Chromium logs each refused request as an error
    assert_clean(page)


def test_a_small_unit_ot_checks_out_with_a_covering_lead_as_buddy(page, demo, log_in, assert_clean):
    log_in(page, OT2)  # Ben Carter, alone at Orchard Lodge
    page.get_by_role("link", name="Check out").click()
    buddy = page.get_by_label("Buddy")
    options = buddy.locator("option").all_inner_texts()
    assert "Grace Adeyemi" in options and "Sam Whitfield" in options, options
    page.get_by_label("Where are you going?").fill("Orchard Road shops")
    page.get_by_label("30 minutes").check()
    page.get_by_label("Walking").check()
    buddy.select_option(label="Grace Adeyemi")
    page.get_by_role("button", name="Check out").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("My outing")
    assert_clean(page)


def test_with_nobody_to_pick_the_check_out_says_who_the_ladder_alerts_instead(
    app, page, demo, log_in, assert_clean
):
    from sqlalchemy import select

    from app.auth.models import User

    with app.app_context():
        for user in db.session.scalars(select(User).where(User.email != OT2)):
            user.cover_units = []  # nobody covers Orchard Lodge any more
        db.session.commit()
        db.session.remove()
    log_in(page, OT2)
    page.goto("/out/new")
    expect(page.get_by_label("Buddy")).to_have_count(0)
    expect(page.get_by_text("No buddy on shift:")).to_be_visible()
    # The ladder falls back to the Trust's admins when the unit has no lead or admin.
    expect(page.locator(".app-no-buddy")).to_contain_text("your alerts go to Sam Whitfield")
    page.get_by_label("Where are you going?").fill("Orchard Road shops")
    page.get_by_label("30 minutes").check()
    page.get_by_label("Walking").check()
    page.get_by_role("button", name="Check out").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("My outing")
    assert_clean(page)


def test_an_extension_typed_before_the_session_ended_is_there_after_login(
    page, demo, log_in, assert_clean
):
    log_in(page, "assistant@example.com")  # out on the demo outing
    page.goto("/out/mine")
    page.get_by_label("30 minutes").check()
    page.get_by_label("Why?").fill("The bus is running late")
    page.context.clear_cookies()
    page.get_by_role("button", name="Extend").click()

    page.wait_for_url(re.compile(r"/login\?next=(%2F|/)out(%2F|/)mine$"))
    expect(page.get_by_text("You were signed out, so your extension was not sent.")).to_be_visible()
    log_in(page, "assistant@example.com")
    page.wait_for_url(re.compile(r"/out/mine$"))
    expect(page.get_by_label("Why?")).to_have_value("The bus is running late")
    expect(page.get_by_label("30 minutes")).to_be_checked()
    page.get_by_role("button", name="Extend").click()
    expect(page.get_by_text(re.compile(r"Extended\. You are now due back at"))).to_be_visible()
    assert_clean(page)


def test_logging_out_on_purpose_leaves_no_copy_of_the_form_on_the_phone(page, demo, log_in):
    log_in(page, OT)
    page.goto("/out/new")
    _fill_check_out(page)
    copies = "Object.keys(localStorage).filter((k) => k.startsWith('waypoint:form:'))"
    assert len(page.evaluate(copies)) == 1
    page.get_by_role("button", name="Log out").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Log in to Waypoint")
    assert page.evaluate(copies) == []
