"""Money in pence, the budget, the shopping list (aggregation, aisles, free items, ticks) and
shop trips."""

from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy import select

from app.audit.models import AuditEvent
from app.extensions import db
from app.meals import money
from app.meals.models import MealWeek, ShoppingTick, ShopTrip
from app.meals.services import Budget, aggregate, item_key
from tests.conftest import soup
from tests.meals.conftest import meal, plan_day, week_url


@pytest.mark.parametrize(
    ("typed", "pence"),
    [("12.50", 1250), ("£12.50", 1250), ("12", 1200), ("£0.5", 50), ("0", 0), (" £ 7.05 ", 705)],
)
def test_money_is_typed_in_pounds_and_kept_in_pence(typed, pence):
    assert money.parse_pence(typed) == pence


@pytest.mark.parametrize("typed", ["-1", "£-1", "£12.345", "twelve", "12.5.0", "١٢", ""])
def test_money_that_is_not_an_amount_is_refused(typed):
    with pytest.raises(ValueError):
        money.parse_pence(typed)


def test_money_is_shown_in_pounds():
    assert money.format_pence(1250) == "£12.50"
    assert money.format_pence(5) == "£0.05"
    assert money.format_pence(-320) == "-£3.20"
    assert money.format_pence(123456) == "£1,234.56"


def test_budget_arithmetic_in_pence_with_and_without_a_budget():
    under = Budget(
        planned=3000, estimated=2499, spent=1001, per_day=[0] * 7, priced_lines=1, unpriced_lines=0
    )
    assert (under.left, under.over_by, under.plan_over_by) == (1999, 0, 0)
    over = Budget(
        planned=3000, estimated=3001, spent=3010, per_day=[0] * 7, priced_lines=1, unpriced_lines=0
    )
    assert (over.left, over.over_by, over.plan_over_by) == (-10, 10, 1)
    none = Budget(
        planned=None, estimated=5000, spent=4000, per_day=[0] * 7, priced_lines=1, unpriced_lines=0
    )
    assert (none.left, none.over_by, none.plan_over_by) == (None, 0, 0)


def test_the_week_page_shows_planned_estimated_spent_and_left(planner):
    web, client = planner
    plan_day(
        web,
        client,
        "monday",
        meal("lunch", "Soup", ("Leeks", "2", "", "1.10"), ("Stock", "1", "cube", "")),
    )
    plan_day(web, client, "tuesday", meal("lunch", "Pasta", ("Pasta", "1", "pack", "0.95")))
    budget = soup(web.get(week_url(client))).select_one("#week-budget").get_text(" ", strip=True)
    assert "No budget set" in budget and "£2.05" in budget and "1 item without a price" in budget
    web.post(week_url(client, tail="/budget"), {"budget": "£2.00"})
    budget = soup(web.get(week_url(client))).select_one("#week-budget")
    assert "Plan is over budget" in budget.get_text() and "£0.05 more" in budget.get_text()
    web.post(
        week_url(client, tail="/trips/new"),
        {
            "trip_date": "2026-03-10",
            "trip_time": "10:00",
            "shop": "Aldi",
            "spent": "2.50",
            "supported_by_id": "0",
            "cue_level": "",
        },
    )
    budget = soup(web.get(week_url(client))).select_one("#week-budget")
    text = budget.get_text(" ", strip=True)
    # Over budget is said in words, in a warning callout, not by colour alone.
    assert (
        budget.select_one(".nhsuk-warning-callout")
        .get_text(" ", strip=True)
        .startswith("Important: Over budget")
    )
    assert "Spent £0.50 more than the budget of £2.00" in text
    assert "None: £0.50 over budget" in text


class _Line:
    def __init__(self, name, quantity_milli, unit, price_pence=None):
        self.name, self.quantity_milli, self.unit, self.price_pence = (
            name,
            quantity_milli,
            unit,
            price_pence,
        )


class _Meal:
    def __init__(self, day, meal_name, *lines):
        self.day, self.meal, self.ingredients = day, meal_name, list(lines)


class _Week:
    def __init__(self, *meals):
        self.meals = list(meals)


def test_aggregation_sums_the_same_name_and_unit_folding_case_and_spaces():
    week = _Week(
        _Meal(0, "lunch", _Line("Tinned tomatoes", 1000, "tin", 50)),
        _Meal(2, "evening", _Line("  tinned   TOMATOES ", 2000, "Tin", 100)),
        _Meal(4, "evening", _Line("Tinned tomatoes", 400000, "g", 120)),
        _Meal(5, "lunch", _Line("Onion", None, "", None), _Line("onion", 2000, "", 30)),
    )
    items = {i.key: i for i in aggregate(week)}
    assert set(items) == {
        item_key("tinned tomatoes", "tin"),
        item_key("tinned tomatoes", "g"),
        item_key("onion", ""),
    }
    tins = items[item_key("tinned tomatoes", "tin")]
    assert (tins.quantity_milli, tins.price_pence, tins.meals, tins.name) == (
        3000,
        150,
        2,
        "Tinned tomatoes",
    )
    grams = items[item_key("tinned tomatoes", "g")]
    assert grams.quantity_milli == 400000  # different units are kept apart
    onions = items[item_key("onion", "")]
    assert (onions.quantity_milli, onions.lines_without_quantity) == (2000, 1)


def test_the_shopping_list_groups_by_aisle_and_remembers_the_aisle_for_the_unit(
    app, planner, make_client
):
    web, client = planner
    plan_day(
        web,
        client,
        "monday",
        meal("lunch", "Soup", ("Leeks", "2", "", ""), ("Milk", "1", "pint", "")),
    )
    page = soup(web.get(week_url(client, tail="/list")))
    assert [h.get_text() for h in page.select(".app-aisle__title")] == ["Other"]
    form = soup(web.get(week_url(client, tail="/list/aisles"))).select_one("#aisles form")
    data = {i["name"]: i["value"] for i in form.select("input[type=hidden]")}
    for select_box in form.select("select"):
        label = form.find("label", attrs={"for": select_box["id"]}).get_text()
        data[select_box["name"]] = "fruit_veg" if label == "Leeks" else "chilled"
    assert web.post(week_url(client, tail="/list/aisles"), data).status_code == 303
    page = soup(web.get(week_url(client, tail="/list")))
    aisles = {
        s.select_one("h2").get_text(): s.get_text(" ", strip=True)
        for s in page.select(".app-aisle")
    }
    assert list(aisles) == ["Fruit and veg", "Chilled"]
    assert "Leeks" in aisles["Fruit and veg"] and "Milk" in aisles["Chilled"]
    # Another client of the same unit, another week: "milk" is already in Chilled.
    other = make_client("CD")
    plan_day(
        web, other, "friday", meal("lunch", "Tea", ("MILK", "2", "pint", "")), week="2026-03-16"
    )
    page = soup(web.get(week_url(other, "2026-03-16", "/list")))
    assert [h.get_text() for h in page.select(".app-aisle__title")] == ["Chilled"]


def test_free_items_are_added_to_the_list_and_removed(planner):
    web, client = planner
    response = web.post(
        week_url(client, tail="/list/items"), {"name": "Washing-up liquid", "aisle": "household"}
    )
    assert response.status_code == 303
    page = soup(web.get(week_url(client, tail="/list")))
    household = page.select_one("#aisle-household").find_parent("section")
    assert "Washing-up liquid" in household.get_text()
    remove = next(b for b in household.find_all("button") if "Remove" in b.get_text())
    remove = remove.find_parent("form")
    assert web.post(remove["action"], {}).status_code == 303
    assert "Washing-up liquid" not in soup(web.get(week_url(client, tail="/list"))).get_text()
    empty = web.post(week_url(client, tail="/list/items"), {"name": "  ", "aisle": "nowhere"})
    assert empty.status_code == 422


def test_the_print_view_is_large_print_with_print_css(app, planner):
    web, client = planner
    plan_day(web, client, "monday", meal("lunch", "Soup", ("Leeks", "2", "", "")))
    page = soup(web.get(week_url(client, tail="/list/print")))
    assert page.select_one(".app-print-list li").get_text(" ", strip=True) == "2 Leeks"
    css = web.get(page.find("link", href=lambda h: "css/meals.css" in h)["href"]).get_data(
        as_text=True
    )
    assert "@media print" in css and ".app-print-list" in css.split("@media print", 1)[1]


def _tick_form(web, client):
    page = soup(web.get(week_url(client, tail="/list")))
    form = page.select_one("form[data-offline-tick]")
    return form["action"], form.find("input", attrs={"name": "item"})["value"]


def _ticked(app) -> bool:
    with app.app_context():
        return db.session.scalars(select(ShoppingTick.ticked)).one()


def test_a_tick_is_saved_through_htmx_and_shown_on_the_next_load(app, planner):
    web, client = planner
    plan_day(web, client, "monday", meal("lunch", "Soup", ("Leeks", "2", "", "")))
    url, key = _tick_form(web, client)
    response = web.post(url, {"item": key, "ticked": "1", "seq": "1000"}, htmx=True)
    assert response.status_code == 200 and "Ticked, saved" in response.get_data(as_text=True)
    assert (
        soup(web.get(week_url(client, tail="/list")))
        .select_one("input[type=checkbox]")
        .has_attr("checked")
    )
    # Without JavaScript: untick, then Save (no seq), and back to the list.
    plain = web.post(url, {"item": key})
    assert plain.status_code == 303 and not _ticked(app)


def test_a_tick_toggled_twice_quickly_ends_in_the_right_state(app, planner):
    web, client = planner
    plan_day(web, client, "monday", meal("lunch", "Soup", ("Leeks", "2", "", "")))
    url, key = _tick_form(web, client)
    # Tick at t=1000, untick at t=1001; the untick's request overtakes the tick's.
    web.post(url, {"item": key, "seq": "1001"}, htmx=True)
    late = web.post(url, {"item": key, "ticked": "1", "seq": "1000"}, htmx=True)
    assert late.status_code == 200 and "Not ticked" in late.get_data(as_text=True)
    assert not _ticked(app)
    # In order, the later tap wins.
    web.post(url, {"item": key, "ticked": "1", "seq": "1002"}, htmx=True)
    web.post(url, {"item": key, "seq": "1003"}, htmx=True)
    assert not _ticked(app)
    web.post(url, {"item": key, "ticked": "1", "seq": "1004"}, htmx=True)
    assert _ticked(app)


def test_a_tick_for_an_item_no_longer_on_the_list_is_refused(planner):
    web, client = planner
    plan_day(web, client, "monday", meal("lunch", "Soup", ("Leeks", "2", "", "")))
    url, _ = _tick_form(web, client)
    assert web.post(url, {"item": "caviar|", "ticked": "1"}, htmx=True).status_code == 404


def test_a_shop_trip_is_recorded_against_the_week_with_its_cue_level(app, planner, make_user):
    web, client = planner
    helper = make_user("assistant", name="Tara Assistant")
    form = soup(web.get(week_url(client, tail="/trips/new")))
    labels = [label.get_text(strip=True) for label in form.select(".nhsuk-radios__label")]
    assert labels == [
        "Not rated",
        "0 – No cues",
        "1 – Indirect verbal guidance",
        "2 – Gestural guidance",
        "3 – Direct verbal instruction",
        "4 – Physical assistance",
        "5 – Done for the client",
    ]
    response = web.post(
        week_url(client, tail="/trips/new"),
        {
            "trip_date": "2026-03-10",
            "trip_time": "10:30",
            "shop": "Aldi, High Street",
            "spent": "£23.45",
            "supported_by_id": str(helper.id),
            "cue_level": "3",
            "note": "Used the list",
        },
    )
    assert response.status_code == 303
    with app.app_context():
        trip = db.session.scalars(select(ShopTrip)).one()
        week = db.session.get(MealWeek, trip.week_id)
        assert (week.client_id, week.week_start.isoformat()) == (client.id, "2026-03-09")
        assert (trip.spent_pence, trip.cue_level, trip.supported_by_id) == (2345, 3, helper.id)
    page = soup(web.get(week_url(client)))
    trips = page.select_one("#trips").get_text(" ", strip=True)
    assert "Aldi, High Street" in trips and "£23.45" in trips and "Tara Assistant" in trips
    assert "cue level 3, direct verbal instruction" in trips
    link = next((e for e in page.find_all("a") if "Write the shop-trip note" in e.get_text()), None)
    assert link["href"].startswith("/notes/new?") and "type=shopping" in link["href"]
    assert parse_qs(urlsplit(link["href"]).query)["at"] == ["2026-03-10T10:30:00+00:00"]


def test_a_shop_trip_form_sent_twice_is_one_trip_and_says_so(app, planner):
    """A retry on a weak signal, or back and resend, sends the same form again: its request key
    makes it the trip already recorded, not a second spend against the budget."""
    web, client = planner
    form = soup(web.get(week_url(client, tail="/trips/new")))
    key = form.select_one('input[name="request_key"]')["value"]
    fields = {
        "request_key": key,
        "trip_date": "2026-03-10",
        "trip_time": "10:30",
        "shop": "Aldi, High Street",
        "spent": "12.00",
        "supported_by_id": "0",
        "cue_level": "",
        "note": "",
    }
    assert web.post(week_url(client, tail="/trips/new"), fields).status_code == 303
    again = web.post(week_url(client, tail="/trips/new"), fields, follow_redirects=True)
    assert again.status_code == 200
    assert "This shop trip was already recorded" in again.get_data(as_text=True)
    with app.app_context():
        assert [t.spent_pence for t in db.session.scalars(select(ShopTrip))] == [1200]
        recorded = db.session.scalars(
            select(AuditEvent).where(AuditEvent.action == "shop_trip_recorded")
        ).all()
        assert len(recorded) == 1
    # A new form is a new key, so a second real trip is recorded.
    other = soup(web.get(week_url(client, tail="/trips/new")))
    assert other.select_one('input[name="request_key"]')["value"] != key
    fields["request_key"] = other.select_one('input[name="request_key"]')["value"]
    assert web.post(week_url(client, tail="/trips/new"), fields).status_code == 303
    with app.app_context():
        assert len(db.session.scalars(select(ShopTrip)).all()) == 2


def test_a_shop_trip_key_the_server_did_not_make_is_replaced_not_stored(app, planner):
    web, client = planner
    fields = {
        "trip_date": "2026-03-10",
        "trip_time": "10:30",
        "shop": "Aldi, High Street",
        "spent": "12.00",
        "supported_by_id": "0",
    }
    for key in ("", "x" * 5000, "'; DROP TABLE shop_trips; --"):
        response = web.post(week_url(client, tail="/trips/new"), {**fields, "request_key": key})
        assert response.status_code == 303
    with app.app_context():
        keys = db.session.scalars(select(ShopTrip.request_key)).all()
        assert len(keys) == 3 and len(set(keys)) == 3
        assert all(len(k) == 32 for k in keys)


def test_shop_trip_staff_are_only_the_clients_unit(app, planner, make_unit, make_user):
    web, client = planner
    stranger = make_user("ot", home_unit=make_unit("Elsewhere", "Else"))
    response = web.post(
        week_url(client, tail="/trips/new"),
        {
            "trip_date": "2026-03-10",
            "trip_time": "10:30",
            "shop": "Aldi",
            "spent": "1",
            "supported_by_id": str(stranger.id),
            "cue_level": "",
        },
    )
    assert response.status_code == 422
