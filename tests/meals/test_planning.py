"""The weekly plan: a day at a time, the dish list, copy last week, the whole week on one page."""

from datetime import date
from urllib.parse import parse_qs, urlsplit

from sqlalchemy import select

from app.audit.models import AuditEvent
from app.extensions import db
from app.meals.models import Dish, MealWeek, PlannedMeal
from tests.conftest import soup
from tests.meals.conftest import LAST_WEEK, WEEK, meal, plan_day, week_url


def _slots(app, client, week=WEEK):
    with app.app_context():
        rows = db.session.scalars(
            select(PlannedMeal)
            .join(MealWeek)
            .where(
                MealWeek.client_id == client.id,
                MealWeek.week_start == date.fromisoformat(week),
            )
        ).all()
        return {
            (m.day, m.meal): (
                m.dish,
                [(i.name, i.quantity_milli, i.unit, i.price_pence) for i in m.ingredients],
            )
            for m in rows
        }


def test_a_week_with_nothing_planned_says_so(planner):
    web, client = planner
    page = soup(web.get(week_url(client)))
    assert "Nothing planned for this week yet" in page.get_text()
    assert len(page.select("section.app-day")) == 7


def test_the_client_page_links_to_this_weeks_plan_and_shopping_list(planner):
    web, client = planner
    page = soup(web.get(f"/clients/{client.id}"))
    plan = page.find("a", string="This week's meal plan")
    shopping = page.find("a", string="This week's shopping list")
    assert web.get(plan["href"]).headers["Location"].endswith(week_url(client))
    assert web.get(shopping["href"]).headers["Location"].endswith(week_url(client, tail="/list"))


def test_a_day_is_planned_and_the_whole_week_shows_it(app, planner):
    web, client = planner
    response = plan_day(
        web,
        client,
        "monday",
        meal("breakfast", "Porridge", ("Oats", "0.5", "kg", "£1.20")),
        meal(
            "evening",
            "Spaghetti bolognese",
            ("Mince", "500", "g", "3.50"),
            ("Spaghetti", "1", "pack", "0.80"),
        ),
    )
    assert response.status_code == 303
    assert _slots(app, client)[(0, "evening")] == (
        "Spaghetti bolognese",
        [("Mince", 500000, "g", 350), ("Spaghetti", 1000, "pack", 80)],
    )
    page = soup(web.get(week_url(client)))
    monday = page.select_one("#day-monday")
    assert "Porridge" in monday.get_text() and "Spaghetti bolognese" in monday.get_text()
    assert "Estimated £5.50" in monday.get_text()
    assert "Nothing planned for this week yet" not in page.get_text()


def test_htmx_saves_a_day_and_swaps_back_only_that_day(planner):
    web, client = planner
    form = soup(web.get(week_url(client, tail="/days/tuesday"), headers={"HX-Request": "true"}))
    assert form.select_one("section#day-tuesday form")["hx-target"] == "#day-tuesday"
    response = plan_day(web, client, "tuesday", meal("lunch", "Soup"), htmx=True)
    assert response.status_code == 200
    fragment = soup(response)
    assert fragment.select_one("section#day-tuesday") and "Soup" in fragment.get_text()
    assert not fragment.select("section#day-monday")


def test_reusing_a_dish_brings_its_ingredients_back(app, planner):
    web, client = planner
    plan_day(
        web,
        client,
        "monday",
        meal(
            "lunch",
            "Beans on toast",
            ("Baked beans", "1", "tin", "0.65"),
            ("Bread", "2", "slice", ""),
        ),
    )
    # Thursday: the same dish, typed differently, with no ingredients.
    plan_day(web, client, "thursday", meal("lunch", "  beans ON toast "))
    assert _slots(app, client)[(3, "lunch")][1] == [
        ("Baked beans", 1000, "tin", 65),
        ("Bread", 2000, "slice", None),
    ]
    with app.app_context():
        assert db.session.scalars(select(Dish.name_key)).all() == ["beans on toast"]
    # The dish list is offered while planning.
    form = soup(web.get(week_url(client, tail="/days/friday")))
    assert [o["value"] for o in form.select("datalist#dish-list option")] == ["Beans on toast"]


def test_copy_last_week_copies_the_whole_plan_and_budget(app, planner):
    web, client = planner
    plan_day(
        web, client, "monday", meal("lunch", "Soup", ("Soup", "1", "tin", "1.00")), week=LAST_WEEK
    )
    plan_day(
        web,
        client,
        "sunday",
        meal("evening", "Roast", ("Chicken", "1", "", "5.00")),
        week=LAST_WEEK,
    )
    web.post(week_url(client, LAST_WEEK, "/budget"), {"budget": "30"})
    page = soup(web.get(week_url(client)))
    button = next((e for e in page.find_all("button") if "Copy last week" in e.get_text()), None)
    assert button is not None
    response = web.post(button.find_parent("form")["action"], {})
    assert response.status_code == 303
    assert _slots(app, client) == _slots(app, client, LAST_WEEK)
    assert "£30.00" in soup(web.get(week_url(client))).select_one("#week-budget").get_text()


def test_copy_last_week_never_overwrites_a_planned_week(app, planner):
    web, client = planner
    plan_day(web, client, "monday", meal("lunch", "Soup"), week=LAST_WEEK)
    plan_day(web, client, "monday", meal("lunch", "Salad"))
    web.post(week_url(client, tail="/copy-last-week"), {})
    assert _slots(app, client) == {(0, "lunch"): ("Salad", [])}


def test_clearing_a_dish_removes_the_meal(app, planner):
    web, client = planner
    plan_day(web, client, "monday", meal("lunch", "Soup"))
    plan_day(web, client, "monday", meal("lunch", ""))
    assert _slots(app, client) == {}


def test_a_planned_meal_links_to_a_cooking_session_note_with_its_facts(planner):
    web, client = planner
    plan_day(web, client, "monday", meal("lunch", "Omelette"))
    plan_day(web, client, "friday", meal("lunch", "Curry"))
    page = soup(web.get(week_url(client)))
    links = [e for e in page.find_all("a") if "Record a cooking session" in e.get_text()]
    assert len(links) == 2
    monday = parse_qs(urlsplit(links[0]["href"]).query)
    assert urlsplit(links[0]["href"]).path == "/notes/new"
    assert monday["client"] == [str(client.id)] and monday["type"] == ["cooking"]
    assert monday["dish"] == ["Omelette"]
    assert monday["at"] == ["2026-03-09T12:00:00+00:00"]
    # Friday's lunch is still to come: no time is passed for it.
    assert "at" not in parse_qs(urlsplit(links[1]["href"]).query)


def test_every_change_writes_an_audit_row_with_ids_and_flags_never_text(app, planner):
    web, client = planner
    plan_day(
        web, client, "monday", meal("lunch", "Secret stew", ("Mystery meat", "1", "kg", "9.99"))
    )
    web.post(week_url(client, tail="/budget"), {"budget": "25"})
    web.post(week_url(client, tail="/list/items"), {"name": "Hidden item", "aisle": "household"})
    with app.app_context():
        events = db.session.scalars(select(AuditEvent)).all()
        actions = {e.action for e in events}
        text = repr([e.summary for e in events])
    assert {
        "meal_week_created",
        "meal_day_saved",
        "meal_budget_set",
        "shopping_item_added",
    } <= actions
    for secret in ("Secret", "stew", "Mystery", "Hidden"):
        assert secret not in text


def test_another_units_clients_plan_cannot_be_reached_by_changing_the_id(
    app, planner, make_unit, make_client
):
    web, _ = planner
    other = make_client("ZZ", home_unit=make_unit("Elsewhere", "Else"))
    for tail in ("", "/days/monday", "/list", "/list/print", "/list/aisles", "/trips/new"):
        assert web.get(week_url(other, tail=tail)).status_code == 404, tail
    assert web.get(f"/meals/clients/{other.id}").status_code == 404
    for tail, data in (
        ("/days/monday", meal("lunch", "Soup")),
        ("/budget", {"budget": "10"}),
        ("/copy-last-week", {}),
        ("/list/tick", {"item": "x|", "ticked": "1"}),
        ("/list/items", {"name": "Milk"}),
        ("/trips/new", {"shop": "Aldi"}),
    ):
        assert web.post(week_url(other, tail=tail), data).status_code == 404, tail
    with app.app_context():
        assert db.session.scalars(select(MealWeek)).all() == []


def test_an_administrator_does_not_read_meal_plans(app, make_user, make_client, now):
    from tests.conftest import Web

    web = Web(app.test_client())
    web.login(make_user("admin"))
    client = make_client("AB")
    assert web.get(week_url(client)).status_code == 403


def test_save_and_add_more_lines_keeps_the_day_and_offers_more_ingredient_lines(app, planner):
    web, client = planner
    data = meal("lunch", "Soup", ("Leeks", "2", "", ""), ("Stock", "1", "cube", ""))
    data["action"] = "more"
    response = web.post(week_url(client, tail="/days/monday"), data)
    assert response.status_code == 200
    page = soup(response)
    lunch_names = page.select('input[name^="lunch_"][name$="_name"]')
    assert len(lunch_names) == 6
    assert [i.get("value", "") for i in lunch_names[:3]] == ["Leeks", "Stock", ""]
    assert _slots(app, client)[(0, "lunch")][0] == "Soup"
