"""A realistic, wholly invented Trust for demos and browser tests.

Every name here is made up. NHS numbers come from the 999 range, which is never issued to a
real person, and carry a valid Modulus 11 check digit.
"""

from datetime import datetime, time, timedelta

from app.audit.services import record
from app.auth.models import Unit, User
from app.auth.services import save_user
from app.clients.models import Client, ClientGoal
from app.clients.nhs_number import check_digit
from app.clients.services import save_client
from app.core import clock
from app.extensions import db
from app.notes import mohost
from app.notes.models import SIGNED, Note, NoteCue, NoteRating

DEMO_PASSWORD = "waypoint-demo-2026"

UNITS = [("The Beacon", "Beacon"), ("Orchard Lodge", "Orchard")]

# email, name, role, home unit index, covered unit indexes, phone
STAFF = [
    ("ot@example.com", "Priya Sandhu", "ot", 0, [], "07700 900101"),
    ("assistant@example.com", "Tom Okafor", "assistant", 0, [], "07700 900102"),
    ("lead@example.com", "Helen Marsh", "lead", 0, [], "07700 900103"),
    ("headot@example.com", "Grace Adeyemi", "lead", 0, [1], "07700 900104"),
    ("admin@example.com", "Sam Whitfield", "admin", 0, [1], "07700 900105"),
    ("ot2@example.com", "Ben Carter", "ot", 1, [], "07700 900106"),
]

# full name, preferred name, room, step-down, unit index, key worker index, days since admission
CLIENTS = [
    ("Alan Brooke", "Al", "1", False, 0, 0, 210),
    ("Bethany Cole", "", "2", False, 0, 1, 95),
    ("Callum Dunmore", "Cal", "3", False, 0, 0, 400),
    ("Denise Eastwood", "", "4", False, 0, 2, 60),
    ("Edward Finch", "Ted", "5", False, 0, 1, 150),
    ("Farah Ghani", "", "6", False, 0, 0, 30),
    ("Gareth Hollis", "", "7", False, 0, 2, 320),
    ("Hannah Ives", "", "SD1", True, 0, 0, 500),
    ("Imran Jessop", "", "SD2", True, 0, 1, 480),
    ("Julia Kemble", "Jules", "SD3", True, 0, 2, 260),
    ("Kieran Lowe", "", "1", False, 1, 5, 120),
    ("Leanne Moss", "", "2", False, 1, 5, 75),
    ("Martin Noakes", "Marty", "3", False, 1, 3, 210),
    ("Nadia Orme", "", "4", False, 1, 3, 45),
]


def demo_nhs_numbers(count: int) -> list[str]:
    """The first ``count`` valid NHS numbers in the 999 test range."""
    numbers = []
    candidate = 100000
    while len(numbers) < count:
        first_nine = f"999{candidate:06d}"
        digit = check_digit(first_nine)
        if digit is not None:
            numbers.append(first_nine + str(digit))
        candidate = (candidate + 7919) % 1_000_000  # spread out, always six digits
    return numbers


def initials_of(name: str) -> str:
    return "".join(part[0] for part in name.split()).upper()


def seed_demo() -> list[User]:
    units = [Unit(name=name, short_name=short) for name, short in UNITS]
    db.session.add_all(units)
    db.session.flush()

    people = []
    for email, name, role, home, covers, phone in STAFF:
        people.append(
            save_user(
                User(),
                {
                    "name": name,
                    "email": email,
                    "phone": phone,
                    "role": role,
                    "home_unit_id": units[home].id,
                    "cover_unit_ids": [units[i].id for i in covers],
                },
                actor=None,
                password=DEMO_PASSWORD,
            )
        )

    today = clock.london_today()
    clients = {}
    for (full, preferred, room, step_down, unit, key_worker, days), number in zip(
        CLIENTS, demo_nhs_numbers(len(CLIENTS)), strict=True
    ):
        clients[full] = save_client(
            Client(),
            {
                "full_name": full,
                "preferred_name": preferred,
                "initials": initials_of(full),
                "nhs_number": number,
                "room": room,
                "step_down": step_down,
                "unit_id": units[unit].id,
                "key_worker_id": people[key_worker].id,
                "admitted_on": today - timedelta(days=days),
                "discharged_on": None,
            },
        )
    seed_goals_and_notes(people, clients)
    _demo_lone_working(people, clients, units)
    _demo_meals(people, clients)
    _demo_huddle(people, clients, units)
    db.session.commit()
    return people


# Invented weekly menus for the step-down house: (day, meal, dish, [(name, qty, unit, pence)]).
DEMO_MENU = [
    (0, "breakfast", "Porridge", [("Porridge oats", "0.5", "kg", 110), ("Milk", "2", "pint", 130)]),
    (
        0,
        "evening",
        "Spaghetti bolognese",
        [
            ("Beef mince", "500", "g", 350),
            ("Spaghetti", "1", "pack", 75),
            ("Tinned tomatoes", "1", "tin", 45),
            ("Onion", "1", "", 15),
        ],
    ),
    (1, "lunch", "Beans on toast", [("Baked beans", "1", "tin", 65), ("Bread", "1", "loaf", 75)]),
    (
        2,
        "evening",
        "Chicken stir fry",
        [
            ("Chicken breast", "2", "", 300),
            ("Stir-fry vegetables", "1", "bag", 120),
            ("Noodles", "1", "pack", 60),
        ],
    ),
    (
        3,
        "evening",
        "Jacket potato with cheese",
        [("Baking potato", "2", "", 50), ("Cheddar", "200", "g", 180)],
    ),
    (
        4,
        "evening",
        "Fish finger sandwich",
        [("Fish fingers", "1", "box", 150), ("Bread", "1", "loaf", 75)],
    ),
    (5, "lunch", "Cheese omelette", [("Eggs", "6", "", 140), ("Cheddar", "100", "g", 90)]),
    (
        6,
        "evening",
        "Roast chicken dinner",
        [
            ("Whole chicken", "1", "", 450),
            ("Potatoes", "1", "kg", 95),
            ("Carrots", "500", "g", 40),
            ("Onion", "1", "", 15),
        ],
    ),
]
DEMO_AISLES = {
    "milk": "chilled",
    "cheddar": "chilled",
    "eggs": "fresh",
    "bread": "fresh",
    "onion": "fruit_veg",
    "potatoes": "fruit_veg",
    "carrots": "fruit_veg",
    "baking potato": "fruit_veg",
    "fish fingers": "frozen",
    "baked beans": "cupboard",
    "spaghetti": "cupboard",
    "tinned tomatoes": "cupboard",
    "porridge oats": "cupboard",
    "noodles": "cupboard",
    "beef mince": "fresh",
    "chicken breast": "fresh",
    "whole chicken": "fresh",
    "stir-fry vegetables": "fruit_veg",
}


def _demo_meals(people: list[User], clients: dict[str, Client]) -> None:
    """Four weeks of plans for two step-down clients, a budget, shop trips and aisles."""
    from app.meals import services as meals
    from app.meals.models import AisleChoice
    from app.meals.money import parse_quantity

    ot, assistant = people[0], people[1]
    this_week = meals.this_week()
    for name, budget in (("Hannah Ives", 3500), ("Imran Jessop", 3000)):
        client = clients[name]
        for weeks_ago in (3, 2, 1, 0):
            start = this_week - timedelta(days=7 * weeks_ago)
            for day in range(7):
                slots = {
                    meal: (dish, [meals.Line(n, parse_quantity(q), u, p) for n, q, u, p in lines])
                    for d, meal, dish, lines in DEMO_MENU
                    if d == day
                }
                if slots:
                    meals.save_day(client, start, day, slots, ot)
            meals.set_budget(client, start, budget, ot)
            trip_day = start - timedelta(days=1)
            if weeks_ago:
                trip_at = datetime.combine(trip_day, time(10, 30), tzinfo=clock.LONDON)
                meals.record_trip(
                    client,
                    start,
                    {
                        "trip_at": trip_at,
                        "shop": "Aldi, Market Street",
                        "spent_pence": budget - 400 + 300 * weeks_ago,
                        "note": "",
                        "supported_by_id": assistant.id,
                        "cue_level": min(4, weeks_ago + 1),
                    },
                    assistant,
                )
    unit_id = clients["Hannah Ives"].unit_id
    for key, aisle in DEMO_AISLES.items():
        db.session.add(AisleChoice(unit_id=unit_id, name_key=key, aisle=aisle))


def _demo_lone_working(people: list[User], clients: dict[str, Client], units: list[Unit]) -> None:
    """The head OT on shift, and the assistant out shopping with two clients, due back soon."""
    from app.lone_working import duty, outings

    head_ot, assistant = people[3], people[1]
    duty.start_shift(head_ot, units[0].id)
    outings.check_out(
        assistant,
        units[0].id,
        {
            "destination": "Sainsbury's, London Road",
            "purpose": "Weekly shop for the cooking group",
            "transport": "Walking",
            "contact_number": assistant.phone,
            "buddy_id": head_ot.id,
            "client_ids": [clients["Bethany Cole"].id, clients["Edward Finch"].id],
            "expected_return": clock.now() + timedelta(minutes=45),
        },
        "demo-outing-1",
    )


# OT goals, by client.
GOALS = {
    "Alan Brooke": [
        "Plan and buy a week's food shop within budget",
        "Travel to the library on the bus alone",
    ],
    "Callum Dunmore": [
        "Order and pay for a drink in a café",
        "Catch the 321 bus into town with a prompt card",
        "Join the walking group once a week",
    ],
}

# Signed notes: client, weeks ago, writer (index into STAFF), activity type, place, engagement,
# one MOHOST letter per section in order (or "-" for not rated), support given, next steps.
NOTES = [
    (
        "Callum Dunmore",
        6,
        0,
        "cafe",
        "Café Nero, St Peter's Street",
        "partial",
        "IIRIAI",
        "Modelled ordering at the counter; he paid.",
        "Practise ordering with a prompt card.",
    ),
    (
        "Callum Dunmore",
        5,
        1,
        "travel",
        "Bus station, St Albans",
        "partial",
        "IAIIA-",
        "Read the timetable together.",
        "Next time he buys the ticket.",
    ),
    (
        "Callum Dunmore",
        4,
        0,
        "shopping",
        "Sainsbury's, London Road",
        "most",
        "AAIAAA",
        "Verbal prompts to stick to the list.",
        "Try the self-checkout.",
    ),
    (
        "Callum Dunmore",
        2,
        1,
        "exercise",
        "Verulamium Park walking group",
        "most",
        "AA-AA-",
        "Walked alongside for the first lap.",
        "Walk the second lap with the group.",
    ),
    (
        "Callum Dunmore",
        1,
        0,
        "cafe",
        "Café Nero, St Peter's Street",
        "full",
        "FAAAFA",
        "None needed; I waited outside.",
        "Meet a friend there without staff.",
    ),
    (
        "Alan Brooke",
        3,
        0,
        "library",
        "Central Library",
        "most",
        "AIAA--",
        "Showed him the self-service machine.",
        "Renew his card online.",
    ),
    (
        "Alan Brooke",
        1,
        2,
        "shopping",
        "Market, St Peter's Street",
        "full",
        "AAFAAA",
        "Helped him compare prices.",
        "Plan next week's list on Sunday.",
    ),
]


def seed_goals_and_notes(people: list[User], clients: dict[str, Client]) -> None:
    """A few goals and signed notes with MOHOST ratings, so the charts have something to show.

    Notes are backdated (activity and signing weeks ago), so they are made here directly rather
    than through the note services, which sign at the current time; the audit rows say so.
    """
    goals: dict[str, list[ClientGoal]] = {}
    for name, texts in GOALS.items():
        client = clients[name]
        goals[name] = []
        for text in texts:
            goal = ClientGoal(client_id=client.id, text=text, created_by_id=people[0].id)
            db.session.add(goal)
            goals[name].append(goal)
    db.session.flush()

    today = clock.london_today()
    for number, row in enumerate(NOTES):
        name, weeks, writer, kind, place, engagement, letters, support, next_steps = row
        client, author = clients[name], people[writer]
        day = today - timedelta(weeks=weeks, days=1)
        at = datetime.combine(day, time(10, 30), tzinfo=clock.LONDON)
        note = Note(
            client_id=client.id,
            author_id=author.id,
            status=SIGNED,
            idempotency_key=f"00000000-0000-4000-8000-{number:012d}",
            activity_at=at,
            duration_minutes=90,
            activity_type=kind,
            place=place,
            engagement=engagement,
            support_given=support,
            went_well="Stayed for the whole activity.",
            next_steps=next_steps,
            created_at=at + timedelta(hours=3),
            updated_at=at + timedelta(hours=3),
            revision=1,
            signed_at=at + timedelta(hours=3),
            signed_by_id=author.id,
            signed_by_name=author.name,
            signed_role=author.role,
            signed_role_label=author.role_label,
            goals=goals[name][:1],
        )
        for section, letter in zip(mohost.SECTIONS, letters, strict=True):
            if letter != "-":
                note.ratings.extend(
                    NoteRating(item_key=i.key, rating=letter) for i in section.items
                )
        db.session.add(note)
        db.session.flush()
        record(
            "create",
            "note",
            note.id,
            actor=author,
            unit_id=client.unit_id,
            extra={"client_id": client.id, "demo": True},
        )
        record(
            "sign",
            "note",
            note.id,
            actor=author,
            unit_id=client.unit_id,
            extra={"client_id": client.id, "late_entry": False, "demo": True},
        )
    seed_cooking_sessions(people, clients, goals)


# Signed cooking sessions with task cue levels, oldest first: client, weeks ago, writer (index
# into STAFF), dish, overall cue level, per-skill levels, the client's own reflection.
COOKING_SESSIONS = [
    ("Alan Brooke", 10, 0, "Beans on toast", 4, {"hob_oven": 4, "timing": 4}, "Too much."),
    ("Alan Brooke", 8, 1, "Pasta with tomato sauce", 4, {"knife": 4, "hob_oven": 3}, ""),
    ("Alan Brooke", 6, 0, "Omelette", 3, {"hob_oven": 3, "hygiene_cleaning": 2}, "Better."),
    ("Alan Brooke", 4, 0, "Chicken stir fry", 3, {"knife": 3, "hygiene_cooking": 3}, ""),
    ("Alan Brooke", 3, 1, "Jacket potato and beans", 2, {"timing": 2, "clearing_up": 1}, ""),
    ("Alan Brooke", 2, 0, "Spaghetti bolognese", 3, {"knife": 2, "hob_oven": 2}, "Slow."),
    ("Alan Brooke", 1, 0, "Fish pie", 2, {"hygiene_chilling": 1, "storage": 2}, "Proud."),
]


def seed_cooking_sessions(
    people: list[User], clients: dict[str, Client], goals: dict[str, list[ClientGoal]]
) -> None:
    """Cooking sessions (activity notes of type cooking) with cue levels, for the cue chart."""
    today = clock.london_today()
    for number, row in enumerate(COOKING_SESSIONS, start=100):
        name, weeks, writer, dish, overall, skills, reflection = row
        client, author = clients[name], people[writer]
        day = today - timedelta(weeks=weeks, days=2)
        at = datetime.combine(day, time(17, 0), tzinfo=clock.LONDON)
        note = Note(
            client_id=client.id,
            author_id=author.id,
            status=SIGNED,
            idempotency_key=f"00000000-0000-4000-8000-{number:012d}",
            activity_at=at,
            duration_minutes=75,
            activity_type="cooking",
            place="Unit training kitchen",
            dish=dish,
            engagement="most",
            support_given="Cued through the recipe card step by step.",
            reflection=reflection,
            next_steps="Cook it again next week with fewer prompts.",
            created_at=at + timedelta(hours=2),
            updated_at=at + timedelta(hours=2),
            revision=1,
            signed_at=at + timedelta(hours=2),
            signed_by_id=author.id,
            signed_by_name=author.name,
            signed_role=author.role,
            signed_role_label=author.role_label,
            goals=goals.get(name, [])[:1],
        )
        note.cues.append(NoteCue(skill_key="overall", level=overall))
        note.cues.extend(NoteCue(skill_key=key, level=level) for key, level in skills.items())
        db.session.add(note)
        db.session.flush()
        for action in ("create", "sign"):
            record(
                action,
                "note",
                note.id,
                actor=author,
                unit_id=client.unit_id,
                extra={"client_id": client.id, "demo": True},
            )


__all__ = ["DEMO_PASSWORD", "demo_nhs_numbers", "seed_demo"]


def _demo_huddle(people: list[User], clients: dict[str, Client], units: list[Unit]) -> None:
    """The Beacon's huddle from the last shift, closed, with flags and actions still open."""
    from app.huddles.models import (
        Huddle,
        HuddleAction,
        HuddleAttendee,
        HuddleEntry,
        HuddleFlag,
    )
    from app.huddles.shifts import shift_at

    beacon = units[0]
    current = shift_at(beacon.id)
    last = shift_at(beacon.id, current.starts - timedelta(minutes=1))
    started = last.starts + timedelta(minutes=15)
    lead, ot, assistant, head_ot = people[2], people[0], people[1], people[3]
    huddle = Huddle(
        unit_id=beacon.id,
        shift=last.kind,
        shift_date=last.day,
        started_at=started,
        started_by_id=lead.id,
        closed_at=started + timedelta(minutes=9),
        closed_by_id=lead.id,
        version=1,
    )
    db.session.add(huddle)
    db.session.flush()
    for person in (lead, ot, assistant):
        db.session.add(HuddleAttendee(huddle_id=huddle.id, user_id=person.id))
    db.session.add(HuddleAttendee(huddle_id=huddle.id, visitor="Ward pharmacist"))
    raised = {
        "Callum Dunmore": ("red", "Said he might not come back from leave; intermittent obs"),
        "Farah Ghani": ("amber", "Low mood since family visit; check in each hour"),
        "Gareth Hollis": ("amber", "New medication: watch for dizziness in the kitchen"),
    }
    for name, client in clients.items():
        if client.unit_id != beacon.id:
            continue
        value, reason = raised.get(name, ("green", ""))
        db.session.add(
            HuddleFlag(
                huddle_id=huddle.id,
                client_id=client.id,
                value=value,
                reason=reason,
                previous_value="green",
                previous_reason="",
                version=2 if value != "green" else 1,
                updated_at=started + timedelta(minutes=3),
                updated_by_id=lead.id,
            )
        )
    entries = [
        ("since", "incident", "Callum Dunmore", "", "Back 40 minutes late from leave; unharmed"),
        ("since", "observation", "Callum Dunmore", "Intermittent", "Raised after late return"),
        ("since", "environment", None, "", "Knife drawer checked and locked; all present"),
        ("next", "leave", "Farah Ghani", "", "Escorted leave to the shops at 14:00"),
        ("next", "staffing", None, "", "One bank nurse on the late shift; no OT after 17:00"),
    ]
    for period, category, name, level, text in entries:
        db.session.add(
            HuddleEntry(
                huddle_id=huddle.id,
                period=period,
                category=category,
                client_id=clients[name].id if name else None,
                observation_level=level,
                text=text,
                version=1,
                created_by_id=lead.id,
                created_at=started + timedelta(minutes=5),
                updated_at=started + timedelta(minutes=5),
            )
        )
    for text, owner, due in (
        ("Agree a leave plan with Callum and the RC", head_ot, current.ends),
        ("Fix the sticking fire door on the kitchen corridor", ot, current.ends),
        ("Check Gareth's blood pressure before the cooking group", assistant, current.starts),
    ):
        db.session.add(
            HuddleAction(
                unit_id=beacon.id,
                huddle_id=huddle.id,
                text=text,
                owner_id=owner.id,
                due_kind="time",
                due_at=due,
                version=1,
                created_by_id=lead.id,
                created_at=started + timedelta(minutes=7),
            )
        )
