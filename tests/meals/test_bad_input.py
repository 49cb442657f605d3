"""Bad input: a clear field error, everything typed kept, never a 500."""

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.meals.models import PlannedMeal, ShopTrip
from tests.conftest import soup
from tests.meals.conftest import meal, plan_day, week_url


def _errors(response) -> list[str]:
    return [e.get_text(" ", strip=True) for e in soup(response).select(".nhsuk-error-message")]


def _value(response, name) -> str:
    return soup(response).find(attrs={"name": name})["value"]


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("-3.00", "not negative"),
        ("lots", "in numbers"),
        ("£12.345", "no more than 2 numbers after the point"),
        ("12,5O", "in numbers"),
    ],
)
def test_bad_money_in_an_ingredient_price_is_a_field_error_with_the_day_kept(
    app, planner, typed, message
):
    web, client = planner
    response = plan_day(web, client, "monday", meal("lunch", "Soup", ("Leeks", "2", "", typed)))
    assert response.status_code == 422
    assert any(message in e for e in _errors(response))
    assert _value(response, "lunch_0_price") == typed
    assert _value(response, "lunch_dish") == "Soup" and _value(response, "lunch_0_name") == "Leeks"
    with app.app_context():
        assert db.session.scalar(select(func.count(PlannedMeal.id))) == 0


@pytest.mark.parametrize("typed", ["-1", "two", "1e3", "1/2", "0"])
def test_a_quantity_that_is_not_a_number_is_a_field_error(planner, typed):
    web, client = planner
    response = plan_day(web, client, "monday", meal("lunch", "Soup", ("Leeks", typed, "", "")))
    assert response.status_code == 422
    assert any("quantity" in e.lower() for e in _errors(response))
    assert _value(response, "lunch_0_qty") == typed


def test_a_10000_character_dish_name_is_refused_and_kept(planner):
    web, client = planner
    long = "x" * 10_000
    response = plan_day(web, client, "monday", meal("lunch", long))
    assert response.status_code == 422
    assert any("120 characters or fewer" in e for e in _errors(response))
    assert _value(response, "lunch_dish") == long


def test_ingredients_without_a_dish_or_a_name_are_refused(planner):
    web, client = planner
    response = plan_day(web, client, "monday", meal("lunch", "", ("Leeks", "2", "", "")))
    assert "Enter the dish these ingredients are for" in " ".join(_errors(response))
    response = plan_day(web, client, "monday", meal("lunch", "Soup", ("", "2", "kg", "")))
    assert "Enter what ingredient 1 is" in " ".join(_errors(response))


@pytest.mark.parametrize(
    ("typed", "message"),
    [("-5", "not negative"), ("abc", "in numbers"), ("£12.345", "no more than 2")],
)
def test_a_bad_budget_is_a_field_error_with_what_was_typed(planner, typed, message):
    web, client = planner
    response = web.post(week_url(client, tail="/budget"), {"budget": typed})
    assert response.status_code == 422
    assert any(message in e for e in _errors(response))
    assert _value(response, "budget") == typed


def test_a_week_that_does_not_start_on_a_monday_is_a_field_error(planner):
    web, client = planner
    response = web.get(f"/meals/clients/{client.id}/week-of?start=2026-03-11")
    assert response.status_code == 422
    assert any("A week starts on a Monday" in e and "9 March 2026" in e for e in _errors(response))
    assert _value(response, "start") == "2026-03-11"
    ok = web.get(f"/meals/clients/{client.id}/week-of?start=2026-03-16")
    assert ok.status_code == 302 and ok.headers["Location"].endswith("/weeks/2026-03-16")
    # In a URL, a day that is not a Monday is not a week.
    assert web.get(week_url(client, "2026-03-11")).status_code == 404
    assert web.get(week_url(client, "2026-02-30")).status_code == 404


def _trip(**overrides):
    data = {
        "trip_date": "2026-03-10",
        "trip_time": "10:30",
        "shop": "Aldi, High Street",
        "spent": "£23.45",
        "supported_by_id": "0",
        "cue_level": "2",
        "note": "",
    }
    data.update(overrides)
    return data


@pytest.mark.parametrize(
    ("field", "typed", "message"),
    [
        ("trip_date", "2026-03-12", "cannot be in the future"),
        ("trip_time", "23:59", "cannot be in the future"),
        ("spent", "-4", "not negative"),
        ("spent", "twenty", "in numbers"),
        ("spent", "£12.345", "no more than 2"),
        ("cue_level", "7", "Choose a cue level"),
        ("supported_by_id", "99999", "Choose who supported"),
        ("shop", "s" * 10_000, "80 characters or fewer"),
        ("trip_date", "2026-02-01", "For this week, enter a date from"),
    ],
)
def test_a_bad_shop_trip_is_a_field_error_with_everything_typed_kept(
    app, planner, field, typed, message
):
    web, client = planner
    data = _trip(**{field: typed})
    if field == "trip_time":
        data["trip_date"] = "2026-03-11"
    response = web.post(week_url(client, tail="/trips/new"), data)
    assert response.status_code == 422
    assert any(message in e for e in _errors(response)), _errors(response)
    page = soup(response)
    assert page.find(attrs={"name": "shop"})["value"] == data["shop"]
    with app.app_context():
        assert db.session.scalar(select(func.count(ShopTrip.id))) == 0
