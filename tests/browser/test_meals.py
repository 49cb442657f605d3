"""Meal planning on a phone at 360x740: plan two days a day at a time, see the week, open the
shopping list, tick an item with no signal and see it reach the server once the signal is back,
record a shop trip, and the large-print list as printed."""

import re

import pytest
from sqlalchemy import select

from app.audit.models import AuditEvent
from app.clients.models import Client
from app.extensions import db
from app.meals.models import MealWeek, ShoppingTick, ShopTrip

expect = pytest.importorskip("playwright.sync_api").expect

pytestmark = pytest.mark.browser


def _client_id(app, initials: str) -> int:
    with app.app_context():
        return db.session.scalar(select(Client.id).where(Client.initials == initials))


def _plan(page, day: str, meal: str, dish: str, lines=()):
    page.get_by_role("link", name=f"Plan {day}").click()
    form = page.locator(f"#day-{day.lower()}")
    expect(form.get_by_role("heading", name=f"Plan {day}")).to_be_visible()
    group = form.get_by_role("group", name=meal, exact=True)
    group.get_by_label(f"{meal}: dish").fill(dish)
    if lines:
        group.locator("summary").click()
        for n, (name, qty, unit, price) in enumerate(lines, start=1):
            group.get_by_label(f"Ingredient {n}", exact=True).fill(name)
            group.get_by_label(f"Quantity {n}", exact=True).fill(qty)
            group.get_by_label(f"Unit {n}", exact=True).fill(unit)
            group.get_by_label(f"Price {n} (£)", exact=True).fill(price)
    form.get_by_role("button", name=f"Save {day}").click()
    saved = page.locator(f"#day-{day.lower()}")
    expect(saved.get_by_role("status")).to_have_text(f"{day} saved.")
    expect(saved).to_contain_text(dish)


def test_plan_two_days_see_the_week_tick_offline_and_record_a_trip(
    app, page, demo, log_in, axe, assert_clean, screenshot, page_log
):
    client_id = _client_id(app, "BC")  # a demo client with nothing planned yet
    log_in(page, "ot@example.com")
    page.goto(f"/clients/{client_id}")
    page.get_by_role("link", name="This week's meal plan").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Week of")
    expect(page.get_by_text("Nothing planned for this week yet")).to_be_visible()
    axe(page)
    url = page.url

    _plan(
        page,
        "Monday",
        "Evening meal",
        "Spaghetti bolognese",
        [("Beef mince", "500", "g", "3.50"), ("Tinned tomatoes", "1", "tin", "£0.45")],
    )
    axe(page)  # the day's form was open and is swapped back
    _plan(page, "Tuesday", "Lunch", "Tomato soup", [("tinned  TOMATOES", "2", "tin", "0.90")])
    assert page.url == url  # htmx swapped each day in place
    page.reload()
    expect(page.locator("#day-monday")).to_contain_text("Spaghetti bolognese")
    expect(page.locator("#day-tuesday")).to_contain_text("Tomato soup")
    expect(page.locator("#week-budget")).to_contain_text("£4.85")
    axe(page)
    screenshot(page, "meals-week")

    page.get_by_role("link", name="Shopping list").first.click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Week of")
    tomatoes = page.get_by_label("3 tin Tinned tomatoes (for 2 meals)")
    expect(tomatoes).to_be_visible()
    expect(page.get_by_role("button", name="Save tick for Tinned tomatoes")).to_be_hidden()
    axe(page)
    screenshot(page, "meals-shopping-list")

    ticks = []
    page.on(
        "response",
        lambda response: response.url.endswith("/list/tick") and ticks.append(response.status),
    )
    page.context.set_offline(True)
    tomatoes.check()
    item = page.locator("li", has=tomatoes)
    expect(item.locator(".app-tick-status")).to_contain_text("kept on this phone")
    with app.app_context():
        assert db.session.scalars(select(ShoppingTick)).all() == []
    page.context.set_offline(False)
    expect(item.locator(".app-tick-status")).to_contain_text("Sent now the signal is back")
    expect(tomatoes).to_be_checked()
    page.wait_for_timeout(500)
    page_log(page).console.clear()  # the request that failed offline was logged on purpose
    assert ticks == [200]  # sent once, and taken
    with app.app_context():
        assert db.session.scalars(select(ShoppingTick.ticked)).all() == [True]
        sent = db.session.scalars(
            select(AuditEvent).where(AuditEvent.action == "shopping_item_ticked")
        ).all()
        assert len(sent) == 1
    page.reload()
    expect(page.get_by_label("3 tin Tinned tomatoes (for 2 meals)")).to_be_checked()

    # Online, a tap saves through htmx.
    mince = page.get_by_label("500 g Beef mince")
    mince.check()
    expect(page.locator("li", has=mince).locator(".app-tick-status")).to_have_text("Ticked, saved")

    page.get_by_role("link", name="Large-print list to print").click()
    page.emulate_media(media="print")
    expect(page.locator("header.nhsuk-header")).to_be_hidden()
    expect(page.locator(".app-print-list")).to_contain_text("3 tin Tinned tomatoes")
    screenshot(page, "meals-shopping-list-print")
    page.emulate_media(media="screen")
    axe(page)

    page.goto(url)
    page.get_by_role("link", name="Record a shop trip").click()
    page.get_by_label("Shop").fill("Aldi, Market Street")
    page.get_by_label("Total spent").fill("12.345")
    page.get_by_label("3 – Direct verbal instruction").check()
    page.get_by_role("button", name="Save shop trip").click()
    expect(page.locator(".nhsuk-error-summary")).to_contain_text("no more than 2 numbers")
    expect(page.get_by_label("Shop")).to_have_value("Aldi, Market Street")
    expect(page.get_by_label("3 – Direct verbal instruction")).to_be_checked()
    axe(page)
    page.get_by_label("Total spent").fill("£6.20")
    page.get_by_role("button", name="Save shop trip").click()
    expect(page.locator("#trips")).to_contain_text("Aldi, Market Street")
    expect(page.locator("#trips")).to_contain_text("cue level 3, direct verbal instruction")
    with app.app_context():
        spent = select(ShopTrip.spent_pence).join(MealWeek).where(MealWeek.client_id == client_id)
        assert db.session.scalars(spent).all() == [620]
    assert_clean(page, expected_statuses=(422,))


def test_offline_ticks_of_the_same_item_on_two_clients_lists_both_arrive(
    app, new_page, demo, log_in, assert_clean, page_log
):
    """Two step-down clients both have milk on this week's list. Ticked with no signal on each
    list (two tabs), both ticks reach the server with the signal: the phone's queue keys a
    tick by client and week as well as by item, so the second never replaces the first."""
    first = new_page()
    log_in(first, "ot@example.com")
    second = first.context.new_page()
    page_log(first).console.clear()
    lists = []
    for page, initials in ((first, "HI"), (second, "IJ")):
        page.goto(f"/meals/clients/{_client_id(app, initials)}/list")
        expect(page.get_by_role("heading", level=1)).to_contain_text("Week of")
        page.wait_for_load_state()
        lists.append(page)
    first.context.set_offline(True)
    for page in lists:
        milk = page.get_by_label(re.compile(r"pint\s+Milk"))
        milk.check()
        expect(page.locator("li", has=milk).locator(".app-tick-status")).to_contain_text(
            "kept on this phone"
        )
    first.context.set_offline(False)
    # Either tab may send both queued ticks (one queue per phone): the server is what counts.
    want = sorted([_client_id(app, "HI"), _client_id(app, "IJ")])
    ticked = []
    for _ in range(50):
        with app.app_context():
            ticked = sorted(
                db.session.scalars(
                    select(MealWeek.client_id)
                    .join(ShoppingTick, ShoppingTick.week_id == MealWeek.id)
                    .where(ShoppingTick.ticked)
                )
            )
        if ticked == want:
            break
        first.wait_for_timeout(200)
    assert ticked == want
    page_log(first).console.clear()  # the requests that failed offline were logged on purpose
    assert_clean(first)
