"""Helpers for the meals tests: a fixed clock, a planner logged in, and a day posted as the
browser would post it."""

from datetime import UTC, datetime

import pytest

from tests.conftest import Web

# Wednesday 11 March 2026, noon (GMT): the week starts on Monday 9 March.
NOW = datetime(2026, 3, 11, 12, 0, tzinfo=UTC)
WEEK = "2026-03-09"
LAST_WEEK = "2026-03-02"


@pytest.fixture
def now(frozen_clock):
    return frozen_clock(NOW)


@pytest.fixture
def planner(app, make_user, make_client, now):
    """(web client logged in as an OT, a client of the OT's unit)."""
    user = make_user("ot")
    client = make_client("AB")
    web = Web(app.test_client())
    web.login(user)
    return web, client


def week_url(client, week=WEEK, tail=""):
    return f"/meals/clients/{client.id}/weeks/{week}{tail}"


def meal(meal_name: str, dish: str, *lines) -> dict:
    """Form fields for one meal: lines are (name, quantity, unit, price) tuples."""
    data = {f"{meal_name}_dish": dish}
    for n, (name, qty, unit, price) in enumerate(lines):
        data.update(
            {
                f"{meal_name}_{n}_name": name,
                f"{meal_name}_{n}_qty": qty,
                f"{meal_name}_{n}_unit": unit,
                f"{meal_name}_{n}_price": price,
            }
        )
    data[f"{meal_name}_lines"] = str(max(len(lines), 2))
    return data


def plan_day(web, client, day: str, *meals, week=WEEK, htmx=False):
    data = {}
    for part in meals:
        data.update(part)
    return web.post(week_url(client, week, f"/days/{day}"), data, htmx=htmx)
