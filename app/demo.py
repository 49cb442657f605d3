"""A realistic, wholly invented Trust for demos and browser tests.

Every name here is made up. NHS numbers come from the 999 range, which is never issued to a
real person, and carry a valid Modulus 11 check digit.
"""

from datetime import timedelta

from app.auth.models import Unit, User
from app.auth.services import save_user
from app.clients.models import Client
from app.clients.nhs_number import check_digit
from app.clients.services import save_client
from app.core import clock
from app.extensions import db

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
    clients = []
    for (full, preferred, room, step_down, unit, key_worker, days), number in zip(
        CLIENTS, demo_nhs_numbers(len(CLIENTS)), strict=True
    ):
        client = save_client(
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
        clients.append(client)
    _demo_lone_working(people, clients, units)
    db.session.commit()
    return people


def _demo_lone_working(people: list[User], clients: list[Client], units: list[Unit]) -> None:
    """The head OT on shift, and the assistant out shopping with two clients, due back soon."""
    from app.lone_working import duty, services

    head_ot, assistant = people[3], people[1]
    duty.start_shift(head_ot, units[0].id)
    services.check_out(
        assistant,
        units[0].id,
        {
            "destination": "Sainsbury's, London Road",
            "purpose": "Weekly shop for the cooking group",
            "transport": "Walking",
            "contact_number": assistant.phone,
            "buddy_id": head_ot.id,
            "client_ids": [clients[1].id, clients[4].id],
            "expected_return": clock.now() + timedelta(minutes=45),
        },
        "demo-outing-1",
    )


__all__ = ["DEMO_PASSWORD", "demo_nhs_numbers", "seed_demo"]
