"""Reports benchmark: a year of one unit's records, then the timeline, the MDT report (HTML and
PDF) and a year of monthly statistics, each against /healthz measured in the same run.

Seeds 17 clients and 8 staff with a year of signed activity notes (a MOHOST-rated one each week
per client; cooking ones with task cue levels), outings with their clients, extensions and
acknowledged alerts, a meal plan and a shop trip per client per week, and a safety huddle a day
with every client's flag and an action: about 60 000 rows.
Runs in-process (Flask test client: server time, no network) on a throwaway SQLite database, or
on DATABASE_URL when set (that database is WIPED). Also counts the SQL statements of the
timeline's first page and of the report for the busiest client and for a client with one week
of records: the two must be equal (no query per record).

    .venv/bin/python bench/reports.py [--requests 30] [--pdf-requests 5]
    DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/test_reports \\
        .venv/bin/python bench/reports.py
"""

import argparse
import os
import random
import statistics
import sys
import tempfile
import time
import uuid
from datetime import date, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

TYPES = ["shopping", "cafe", "library", "travel", "leisure", "exercise", "cooking", "other"]
ITEMS = ["interest", "choices", "routine", "roles", "knowledge", "timing", "conversation", "energy"]


def seed(db, random_, now):
    """Returns (unit id, lead email, busiest client id, quiet client id, counts)."""
    from sqlalchemy import insert

    from app.auth.models import Unit, User
    from app.clients.models import Client, ClientGoal
    from app.demo import demo_nhs_numbers
    from app.huddles.models import Huddle, HuddleAction, HuddleFlag
    from app.lone_working.models import EscalationStep, Outing, OutingEvent, outing_clients
    from app.meals.models import MealWeek, PlannedMeal, ShopTrip
    from app.notes.models import Note, NoteCue, NoteRating, note_goals

    unit = Unit(name="Bench Unit", short_name="Bench")
    db.session.add(unit)
    db.session.flush()
    staff = []
    for i in range(8):
        user = User(
            name=f"Bench Staff {i}",
            email=f"staff{i}@example.com",
            role="lead" if i == 0 else ("assistant" if i % 3 == 0 else "ot"),
            home_unit_id=unit.id,
        )
        user.set_password("bench-password-123")
        staff.append(user)
    db.session.add_all(staff)
    clients = [
        Client(
            unit_id=unit.id,
            full_name=f"Bench Client {i}",
            initials=f"B{chr(65 + i)}",
            nhs_number=number,
            room=str(i),
            admitted_on=date(2025, 1, 1),
        )
        for i, number in enumerate(demo_nhs_numbers(18))
    ]
    db.session.add_all(clients)
    db.session.flush()
    goals = {}
    for c in clients:
        goals[c.id] = []
        for g in range(3):
            goal = ClientGoal(client_id=c.id, text=f"Goal {g + 1}", created_by_id=staff[1].id)
            db.session.add(goal)
            db.session.flush()
            goals[c.id].append(goal.id)
    db.session.commit()

    counts = dict(notes=0, ratings=0, outings=0, events=0, steps=0, note_goals=0)
    start = now - timedelta(days=365)
    quiet = clients[-1]
    notes, ratings, links, cue_rows = [], [], [], []
    next_note = 1
    for c in clients:
        days = range(358, 365) if c is quiet else range(365)
        for d in days:
            at = start + timedelta(days=d, hours=random_.randint(9, 16))
            author = random_.choice(staff)
            activity_type = random_.choice(TYPES)
            if activity_type == "cooking":
                for skill in ("overall", "knife", "hob_oven", "timing"):
                    cue_rows.append(
                        dict(note_id=next_note, skill_key=skill, level=random_.randint(0, 5))
                    )
            notes.append(
                dict(
                    id=next_note,
                    client_id=c.id,
                    author_id=author.id,
                    status="signed",
                    idempotency_key=str(uuid.uuid4()),
                    activity_at=at,
                    duration_minutes=random_.choice([30, 45, 60, 90, 120]),
                    activity_type=activity_type,
                    place="Town",
                    engagement="most",
                    support_given="Prompts.",
                    went_well="",
                    difficulties="",
                    risks="",
                    next_steps="",
                    observations="",
                    created_at=at,
                    updated_at=at,
                    revision=1,
                    signed_at=at + timedelta(hours=2),
                    signed_by_id=author.id,
                    signed_by_name=author.name,
                    signed_role=author.role,
                    signed_role_label=author.role_label,
                    countersigned_by_name="",
                    countersigned_role_label="",
                )
            )
            if d % 7 == 0 or c is quiet and d == 360:
                for item in ITEMS:
                    ratings.append(
                        dict(note_id=next_note, item_key=item, rating=random_.choice("FAIR"))
                    )
            links.append(dict(note_id=next_note, goal_id=random_.choice(goals[c.id])))
            next_note += 1
    db.session.execute(insert(Note), notes)
    db.session.execute(insert(NoteRating), ratings)
    db.session.execute(insert(note_goals), links)
    db.session.execute(insert(NoteCue), cue_rows)
    counts.update(
        notes=len(notes), ratings=len(ratings), note_goals=len(links), note_cues=len(cue_rows)
    )

    # A meal plan (7 dinners) and a shop trip per client per week; the quiet client one week.
    weeks, meals, trips = [], [], []
    monday = (now - timedelta(days=364)).date()
    monday -= timedelta(days=monday.weekday())
    for c in clients:
        for w in range(1, 2) if c is quiet else range(52):
            week_start = monday + timedelta(days=7 * w)
            week_id = len(weeks) + 1
            planned = start + timedelta(days=7 * w - 2)
            weeks.append(
                dict(
                    id=week_id,
                    client_id=c.id,
                    week_start=week_start,
                    budget_pence=3000,
                    created_at=planned,
                    updated_at=planned,
                )
            )
            for day in range(7):
                meals.append(dict(week_id=week_id, day=day, meal="dinner", dish="Pasta bake"))
            trip_at = planned + timedelta(days=3, hours=11)
            trips.append(
                dict(
                    week_id=week_id,
                    trip_at=trip_at,
                    shop="Corner shop",
                    spent_pence=random_.randint(800, 3000),
                    note="",
                    cue_level=random_.randint(0, 5),
                    created_by_id=staff[1].id,
                    created_at=trip_at,
                )
            )
    db.session.execute(insert(MealWeek), weeks)
    db.session.execute(insert(PlannedMeal), meals)
    db.session.execute(insert(ShopTrip), trips)

    # A huddle a day: every client's flag (mostly green) and one action.
    huddles, flags, actions = [], [], []
    previous = {c.id: "green" for c in clients}
    for d in range(365):
        began = start + timedelta(days=d, hours=7)
        huddles.append(
            dict(
                id=d + 1,
                unit_id=unit.id,
                shift="early",
                shift_date=(began + timedelta(hours=1)).date(),
                started_at=began,
                started_by_id=staff[0].id,
                closed_at=began + timedelta(minutes=15),
                closed_by_id=staff[0].id,
                version=1,
            )
        )
        for c in clients:
            value = random_.choices(["green", "amber", "red"], [85, 12, 3])[0]
            flags.append(
                dict(
                    huddle_id=d + 1,
                    client_id=c.id,
                    value=value,
                    reason="" if value == "green" else "Bench reason",
                    previous_value=previous[c.id],
                    previous_reason="",
                    version=1,
                    updated_at=began,
                    updated_by_id=staff[0].id,
                )
            )
            previous[c.id] = value
        due = began + timedelta(hours=8)
        actions.append(
            dict(
                unit_id=unit.id,
                huddle_id=d + 1,
                text="Bench action",
                owner_id=random_.choice(staff).id,
                due_kind="shift",
                due_at=due,
                done_at=due + timedelta(minutes=random_.randint(-120, 60)),
                version=1,
                created_by_id=staff[0].id,
                created_at=began,
            )
        )
    db.session.execute(insert(Huddle), huddles)
    db.session.execute(insert(HuddleFlag), flags)
    db.session.execute(insert(HuddleAction), actions)
    counts.update(
        meal_weeks=len(weeks),
        planned_meals=len(meals),
        shop_trips=len(trips),
        huddles=len(huddles),
        huddle_flags=len(flags),
        huddle_actions=len(actions),
    )

    outings, members, events, steps = [], [], [], []
    for i in range(2000):
        out = start + timedelta(minutes=random_.randint(0, 364 * 24 * 60))
        minutes = random_.randint(30, 180)
        outings.append(
            dict(
                id=i + 1,
                unit_id=unit.id,
                worker_id=random_.choice(staff).id,
                buddy_phone="",
                destination="Town centre",
                purpose="",
                transport="walk",
                contact_number="07700 900000",
                alarm_device_id="",
                checked_out_at=out,
                expected_return=out + timedelta(minutes=90),
                last_welfare_at=out,
                status="back",
                episode=1,
                checked_in_at=out + timedelta(minutes=minutes),
                outcome="",
                resolution_note="",
            )
        )
        for c in random_.sample(clients[:-1], random_.choice([1, 1, 2])):
            members.append(dict(outing_id=i + 1, client_id=c.id))
        if i % 3 == 0:
            events.append(
                dict(
                    outing_id=i + 1,
                    at=out + timedelta(minutes=60),
                    kind="extended",
                    text="",
                    data={},
                )
            )
        if i % 8 == 0:
            fired = out + timedelta(minutes=120)
            steps.append(
                dict(
                    outing_id=i + 1,
                    step_key="leads",
                    level="red",
                    reason="overdue",
                    fired_at=fired,
                    needs_ack=True,
                    acknowledged_at=fired + timedelta(minutes=random_.randint(1, 20)),
                    acknowledged_by_id=staff[0].id,
                    recipients="leads_on_duty",
                    message="",
                    resends=0,
                    last_sent_at=fired,
                    silent=False,
                )
            )
        events.append(dict(outing_id=i + 1, at=out, kind="checked_out", text="", data={}))
    db.session.execute(insert(Outing), outings)
    db.session.execute(insert(outing_clients), members)
    db.session.execute(insert(OutingEvent), events)
    db.session.execute(insert(EscalationStep), steps)
    db.session.commit()
    counts.update(
        outings=len(outings), outing_clients=len(members), events=len(events), steps=len(steps)
    )
    busiest = max(clients[:-1], key=lambda c: sum(1 for m in members if m["client_id"] == c.id))
    return unit.id, staff[0].email, busiest.id, quiet.id, counts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=30, help="requests per HTML page")
    parser.add_argument("--pdf-requests", type=int, default=5, help="requests for the PDF")
    args = parser.parse_args()

    from flask_migrate import upgrade
    from sqlalchemy import event, text

    from app import create_app
    from app.core import clock
    from app.extensions import db

    url = os.environ.get("DATABASE_URL") or f"sqlite:///{tempfile.mkdtemp()}/bench.db"
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://") :]
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "WTF_CSRF_ENABLED": False})
    now = clock.now()
    with app.app_context():
        if db.engine.dialect.name == "postgresql":
            with db.engine.begin() as conn:
                conn.execute(text("DROP SCHEMA public CASCADE"))
                conn.execute(text("CREATE SCHEMA public"))
        upgrade()
        began = time.perf_counter()
        unit_id, lead, busiest, quiet, counts = seed(db, random.Random(9), now)
        seeded = time.perf_counter() - began
        from app.lone_working.escalation import beat

        beat("bench")  # /healthz reports a watcher; the baseline is the healthy answer
        engine = db.engine

    client = app.test_client()
    response = client.post("/login", data={"email": lead, "password": "bench-password-123"})
    assert response.status_code == 303, response.status_code
    today = clock.london_today()
    period = f"start={(today - timedelta(days=91)).isoformat()}&end={today.isoformat()}"
    year = f"period=month&start={(today - timedelta(days=364)).isoformat()}&end={today}"
    pages = {
        "/healthz (baseline)": ("/healthz", args.requests),
        "timeline, first page": (f"/reports/clients/{busiest}/timeline", args.requests),
        "MDT report, 3 months (HTML)": (
            f"/reports/clients/{busiest}/report?{period}",
            args.requests,
        ),
        "MDT report, 3 months (PDF)": (
            f"/reports/clients/{busiest}/report.pdf?{period}",
            args.pdf_requests,
        ),
        "statistics, 12 months by month": (f"/reports/statistics?{year}", args.requests),
    }
    results = {}
    for name, (path, n) in pages.items():
        for _ in range(2):
            assert client.get(path).status_code == 200, path  # warm up
        timings = []
        for _ in range(n):
            start = time.perf_counter()
            response = client.get(path)
            timings.append(time.perf_counter() - start)
            assert response.status_code == 200, (path, response.status_code)
        timings.sort()
        results[name] = (statistics.median(timings), timings[int(0.95 * (len(timings) - 1))])

    def statements(path: str) -> int:
        seen = []

        def count(conn, cursor, statement, *rest):
            seen.append(statement)

        event.listen(engine, "before_cursor_execute", count)
        try:
            assert client.get(path).status_code == 200
        finally:
            event.remove(engine, "before_cursor_execute", count)
        return len(seen)

    total = sum(counts.values())
    print(f"{engine.dialect.name}: {total} rows seeded in {seeded:.1f} s: {counts}")
    print(f"{'page':<34}{'median ms':>10}{'p95 ms':>10}{'x healthz':>11}")
    base = results["/healthz (baseline)"][0]
    for name, (median, p95) in results.items():
        print(f"{name:<34}{median * 1000:>10.1f}{p95 * 1000:>10.1f}{median / base:>11.1f}")
    for label, path in (
        ("timeline", "/reports/clients/{}/timeline"),
        ("report", "/reports/clients/{}/report?" + period),
    ):
        big, small = statements(path.format(busiest)), statements(path.format(quiet))
        print(f"SQL statements, {label}: busiest client {big}, one-week client {small}")


if __name__ == "__main__":
    main()
