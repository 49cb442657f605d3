"""Page latency benchmark: the phone pages against /healthz measured in the same run.

Runs the app in-process (Flask test client, no network) on a throwaway SQLite database, or on
DATABASE_URL when set (that database is wiped), with the demo Trust plus extra clients. Reports
each page's median and 95th percentile, and its ratio to the /healthz baseline, so that figures
from this shared, noisy machine can be compared between runs.

    .venv/bin/python bench/pages.py [--requests 200] [--clients 200]
"""

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=200, help="requests per page (max 2000)")
    parser.add_argument("--clients", type=int, default=200, help="extra clients in the unit")
    parser.add_argument(
        "--sessions", type=int, default=100, help="cooking sessions of the cue-progress client"
    )
    args = parser.parse_args()
    n = max(10, min(args.requests, 2000))

    from flask_migrate import upgrade
    from sqlalchemy import text

    from app import create_app
    from app.clients.models import Client
    from app.demo import DEMO_PASSWORD, demo_nhs_numbers, seed_demo
    from app.extensions import db
    from app.lone_working.escalation import beat

    url = os.environ.get("DATABASE_URL") or f"sqlite:///{tempfile.mkdtemp()}/bench.db"
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://") :]
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "WTF_CSRF_ENABLED": False})
    with app.app_context():
        if db.engine.dialect.name == "postgresql":
            with db.engine.begin() as conn:
                conn.execute(text("DROP SCHEMA public CASCADE"))
                conn.execute(text("CREATE SCHEMA public"))
        upgrade()
        seed_demo()
        numbers = demo_nhs_numbers(14 + args.clients)[14:]
        from datetime import date

        for i, number in enumerate(numbers):
            db.session.add(
                Client(
                    unit_id=1,
                    full_name=f"Bench Person {i}",
                    initials=f"B{chr(65 + i % 26)}",
                    nhs_number=number,
                    room=str(i),
                    admitted_on=date(2026, 1, 1),
                )
            )
        db.session.commit()
        cooking_client = _cooking_sessions(max(1, min(args.sessions, 5000)))
        planner_id, meal_week = _year_of_meal_plans(db, client_id=3)

    huddle_id, flag_client_id = _seed_huddle(app)

    client = app.test_client()
    client.post("/login", data={"email": "ot@example.com", "password": DEMO_PASSWORD})
    pages = {
        "/healthz (baseline)": ("/healthz", {}),
        "home": ("/", {}),
        "clients list": ("/clients", {}),
        "clients filter (htmx)": ("/clients?q=bench", {"HX-Request": "true"}),
        "client page": ("/clients/3", {}),
        "cue progress (htmx)": (f"/notes/client/{cooking_client}/cues", {"HX-Request": "true"}),
        "cue progress page": (f"/notes/client/{cooking_client}/cues", {}),
        "meal plan (52 weeks)": (f"/meals/clients/{planner_id}/weeks/{meal_week}", {}),
        "shopping list (52 wks)": (f"/meals/clients/{planner_id}/weeks/{meal_week}/list", {}),
    }
    results = {}
    statements = _statement_counter(app, db)
    for name, (path, headers) in pages.items():
        with app.app_context():
            beat("bench")  # /healthz is 503 without a live watcher's heartbeat
        for _ in range(5):
            client.get(path, headers=headers)  # warm up
        timings = []
        for _ in range(n):
            start = time.perf_counter()
            response = client.get(path, headers=headers)
            timings.append(time.perf_counter() - start)
            assert response.status_code == 200, (path, response.status_code, response.data[:300])
        timings.sort()
        statements["n"] = 0
        client.get(path, headers=headers)
        results[name] = (
            statistics.median(timings),
            timings[int(0.95 * (len(timings) - 1))],
            statements["n"],
        )

    results.update(_bench_huddle(app, n, huddle_id, flag_client_id))

    base = results["/healthz (baseline)"][0]
    print(
        f"{url.split(':')[0]}: {n} requests per page, {14 + args.clients} clients, "
        f"{args.sessions} cooking sessions"
    )
    print(f"{'page':<24}{'median ms':>10}{'p95 ms':>10}{'x baseline':>12}{'SQL':>6}")
    for name, (median, p95, *sql) in results.items():
        sql = sql[0] if sql else "-"
        print(f"{name:<24}{median * 1000:>10.2f}{p95 * 1000:>10.2f}{median / base:>12.1f}{sql:>6}")


def _statement_counter(app, db) -> dict:
    """SQL statements sent while a page is fetched (the count must not grow with history)."""
    from sqlalchemy import event

    counter = {"n": 0}
    with app.app_context():
        engine = db.engine

    def count(*_args):
        counter["n"] += 1

    event.listen(engine, "before_cursor_execute", count)
    return counter


def _year_of_meal_plans(db, client_id: int) -> tuple[int, str]:
    """A client with a year of weekly plans (4 meals a day, 3 ingredients each, a shop trip a
    week); returns the client id and this week's Monday."""
    from datetime import timedelta

    from app.core import clock
    from app.meals.models import Dish, Ingredient, MealWeek, PlannedMeal, ShopTrip
    from app.meals.services import this_week

    monday = this_week()
    for n in range(52):
        week = MealWeek(client_id=client_id, week_start=monday - timedelta(days=7 * n))
        week.budget_pence = 3500
        for day in range(7):
            for meal in ("breakfast", "lunch", "evening", "snack"):
                week.meals.append(
                    PlannedMeal(
                        day=day,
                        meal=meal,
                        dish=f"Dish {day} {meal}",
                        ingredients=[
                            Ingredient(
                                position=i,
                                name=f"Item {(day * 4 + i) % 15}",
                                quantity_milli=1000,
                                unit="",
                                price_pence=60,
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
                trip_at=clock.now() - timedelta(days=7 * n + 1),
                shop="Bench shop",
                spent_pence=3000,
                created_by_id=1,
            )
        )
    for i in range(40):
        db.session.add(
            Dish(client_id=client_id, name=f"Dish {i}", name_key=f"dish {i}", ingredients=[])
        )
    db.session.commit()
    return client_id, monday.isoformat()


def _cooking_sessions(count: int) -> int:
    """A client with ``count`` signed cooking sessions, weekly, each with an overall cue level
    and three skills; one amended. Made through the note services (audit rows included)."""
    from datetime import UTC, timedelta

    from app.auth.models import User
    from app.clients.models import Client
    from app.core import clock
    from app.extensions import db
    from app.notes import services

    ot = db.session.scalar(db.select(User).where(User.email == "ot@example.com"))
    client = db.session.scalar(db.select(Client).where(Client.unit_id == 1).order_by(Client.id))
    start = clock.now() - timedelta(weeks=count + 1)
    for i in range(count):
        at = start + timedelta(weeks=i)
        data = {
            "activity_at": at.astimezone(UTC),
            "duration_minutes": 60,
            "activity_type": "cooking",
            "place": "Unit kitchen",
            "dish": "Bench dish",
            "engagement": "most",
            "support_given": "Prompts.",
            "cues": {"overall": 5 - i * 5 // count, "knife": i % 6, "timing": 2, "hob_oven": 3},
        }
        services.save_note(services.new_key(), client, data, ot, sign=True)
    db.session.flush()
    note = db.session.scalars(
        db.select(services.Note).where(services.Note.client_id == client.id)
    ).first()
    services.amend(note, "cues", "overall=2", "bench", ot)
    db.session.commit()
    return client.id


HUDDLE_CLIENTS, HUDDLE_ACTIONS, HUDDLE_ENTRIES = 17, 20, 50


def _seed_huddle(app) -> tuple[int, int]:
    """Orchard Lodge's huddle with 17 clients, 20 open actions and 50 entries."""
    from datetime import date

    from sqlalchemy import select

    from app.auth.models import User
    from app.clients.models import Client
    from app.demo import demo_nhs_numbers
    from app.extensions import db
    from app.huddles import services
    from app.huddles.models import CATEGORIES

    with app.app_context():
        ot2 = db.session.scalar(select(User).where(User.email == "ot2@example.com"))
        unit_id = ot2.home_unit_id
        have = len(services.current_clients(unit_id))
        used = set(db.session.scalars(select(Client.nhs_number)))
        numbers = [x for x in demo_nhs_numbers(len(used) + 40) if x not in used]
        for i in range(HUDDLE_CLIENTS - have):
            db.session.add(
                Client(
                    unit_id=unit_id,
                    full_name=f"Huddle Person {i}",
                    initials=f"H{chr(65 + i)}",
                    nhs_number=numbers[i],
                    room=f"H{i}",
                    admitted_on=date(2026, 1, 1),
                )
            )
        db.session.commit()
        huddle, _ = services.start(unit_id, ot2)
        db.session.commit()
        huddle = db.session.merge(huddle)
        clients = services.current_clients(unit_id)
        assert len(clients) == HUDDLE_CLIENTS
        kinds = list(CATEGORIES)
        for i in range(HUDDLE_ENTRIES):
            services.add_entry(
                huddle,
                {
                    "period": ("since", "next")[i % 2],
                    "category": kinds[i % len(kinds)],
                    "client_id": clients[i % len(clients)].id,
                    "observation_level": "",
                    "text": f"Bench entry {i}",
                },
                ot2,
            )
        for i in range(HUDDLE_ACTIONS):
            services.add_action(
                huddle,
                {"text": f"Bench action {i}", "owner_id": ot2.id, "due_kind": "today"},
                ot2,
            )
        db.session.commit()
        return huddle.id, clients[0].id


def _bench_huddle(app, n: int, huddle_id: int, client_id: int) -> dict:
    """The huddle page, its 15-s poll and a flag tap (htmx), as Orchard Lodge's OT."""
    from app.demo import DEMO_PASSWORD

    phone = app.test_client()
    phone.post("/login", data={"email": "ot2@example.com", "password": DEMO_PASSWORD})
    hx = {"HX-Request": "true"}
    results = {}
    for name, path, headers in (
        ("huddle page", f"/huddles/{huddle_id}", {}),
        ("huddle poll (htmx)", f"/huddles/{huddle_id}/poll?v=1&poll=1", hx),
    ):
        for _ in range(5):
            phone.get(path, headers=headers)
        timings = []
        for _ in range(n):
            start = time.perf_counter()
            response = phone.get(path, headers=headers)
            timings.append(time.perf_counter() - start)
            assert response.status_code == 200, (path, response.status_code)
        timings.sort()
        results[name] = (statistics.median(timings), timings[int(0.95 * (len(timings) - 1))])
    version, timings = 1, []
    url = f"/huddles/{huddle_id}/flags/{client_id}"
    for i in range(n + 5):
        data = {"value": ("amber", "green")[i % 2], "reason": "Bench reason", "version": version}
        start = time.perf_counter()
        response = phone.post(url, data=data, headers=hx)
        elapsed = time.perf_counter() - start
        assert response.status_code == 200, (url, response.status_code)
        version += 1
        if i >= 5:
            timings.append(elapsed)
    timings.sort()
    results["huddle flag tap (htmx)"] = (
        statistics.median(timings),
        timings[int(0.95 * (len(timings) - 1))],
    )
    return results


if __name__ == "__main__":
    main()
