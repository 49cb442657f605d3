"""The plan page and the shopping list cost the same number of SQL statements whatever the
client's history: a year of weekly plans reads no more than one week."""

from datetime import date, timedelta

from sqlalchemy import event

from app.core import clock
from app.extensions import db
from app.meals.models import Dish, Ingredient, MealWeek, PlannedMeal, ShopTrip
from tests.meals.conftest import week_url

THIS_WEEK = date(2026, 3, 9)


def _add_weeks(app, client, user, weeks: int) -> None:
    with app.app_context():
        for n in range(weeks):
            start = THIS_WEEK - timedelta(days=7 * n)
            week = MealWeek(client_id=client.id, week_start=start, budget_pence=3000)
            for day in range(7):
                for meal in ("breakfast", "lunch", "evening"):
                    week.meals.append(
                        PlannedMeal(
                            day=day,
                            meal=meal,
                            dish=f"Dish {day}{meal}",
                            ingredients=[
                                Ingredient(
                                    position=i,
                                    name=f"Item {i}",
                                    quantity_milli=1000,
                                    unit="",
                                    price_pence=50,
                                )
                                for i in range(3)
                            ],
                        )
                    )
            db.session.add(week)
            db.session.flush()
            db.session.add(
                ShopTrip(
                    week_id=week.id,
                    trip_at=clock.now() - timedelta(days=7 * n),
                    shop="Aldi",
                    spent_pence=2500,
                    created_by_id=user.id,
                )
            )
        db.session.add(Dish(client_id=client.id, name="Soup", name_key="soup", ingredients=[]))
        db.session.commit()


def _statements(app, web, url) -> int:
    count = {"n": 0}

    def counter(*_args):
        count["n"] += 1

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", counter)
    try:
        response = web.get(url)
    finally:
        event.remove(engine, "before_cursor_execute", counter)
    assert response.status_code == 200, url
    return count["n"]


def test_sql_statements_per_page_do_not_grow_with_the_number_of_weeks(
    app, planner, make_user, make_client
):
    web, client = planner
    user = make_user("ot")
    _add_weeks(app, client, user, 1)
    veteran = make_client("YY")
    _add_weeks(app, veteran, user, 52)
    for tail in ("", "/list", "/list/print"):
        one = _statements(app, web, week_url(client, tail=tail))
        year = _statements(app, web, week_url(veteran, tail=tail))
        print(f"{tail or 'plan'}: {one} statements (1 week), {year} (52 weeks)")
        assert year == one, (tail, one, year)
        assert one <= 16, (tail, one)
