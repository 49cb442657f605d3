"""Meal plans, the dish list, the budget, the shopping list and shop trips.

Plain functions over the session: the caller commits. Every create and change writes an audit row
with ids, counts and flags only, never a dish, an item or a note.
"""

import hashlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from app.audit.services import record
from app.auth.models import User
from app.clients.models import Client
from app.core import clock
from app.core.forms import parse_id
from app.extensions import db
from app.meals.models import (
    AISLES,
    DAYS,
    KEY_LIMIT,
    MEALS,
    NAME_LIMIT,
    UNIT_LIMIT,
    AisleChoice,
    Dish,
    FreeItem,
    Ingredient,
    MealWeek,
    PlannedMeal,
    ShoppingTick,
    ShopTrip,
)

# Who plans meals with clients and reads their plans: the clinical roles. An administrator reads
# no clinical records (least privilege), meal plans included.
PLANNERS = ("ot", "assistant", "lead")
DAY_SLUGS = tuple(d.lower() for d in DAYS)


# --- finding things ---------------------------------------------------------------------------


def client_for(user: User, client_id: Any) -> Client | None:
    """The client if the id is a client of a unit this person works in, else None."""
    client_id = parse_id(client_id)
    if client_id is None or not user.has_role(*PLANNERS):
        return None
    client = db.session.get(Client, client_id)
    if client is None or not user.can_access_unit(client.unit_id):
        return None
    return client


def monday_of(day: date) -> date:
    return day - timedelta(days=day.weekday())


def parse_week(text: str) -> date | None:
    """A week in a URL: its Monday as YYYY-MM-DD; None for anything else (another day too)."""
    from app.core.clock import parse_date

    try:
        day = parse_date(text)
    except ValueError:
        return None
    return day if day.weekday() == 0 else None


def this_week() -> date:
    return monday_of(clock.london_today())


def find_week(client: Client, week_start: date) -> MealWeek | None:
    """The week with its meals and their ingredients (three statements, whatever the history)."""
    return db.session.scalar(
        select(MealWeek)
        .where(MealWeek.client_id == client.id, MealWeek.week_start == week_start)
        .options(selectinload(MealWeek.meals).selectinload(PlannedMeal.ingredients))
    )


def get_or_create_week(client: Client, week_start: date) -> MealWeek:
    week = find_week(client, week_start)
    if week is None:
        week = MealWeek(client_id=client.id, week_start=week_start, meals=[])
        db.session.add(week)
        db.session.flush()
        record("meal_week_created", "meal_week", week.id, unit_id=client.unit_id)
    return week


def has_plan(client: Client, week_start: date) -> bool:
    return bool(
        db.session.scalar(
            select(func.count(PlannedMeal.id))
            .join(MealWeek)
            .where(MealWeek.client_id == client.id, MealWeek.week_start == week_start)
        )
    )


def dishes_of(client: Client) -> list[Dish]:
    return list(
        db.session.scalars(select(Dish).where(Dish.client_id == client.id).order_by(Dish.name_key))
    )


def fold(text: str) -> str:
    """Case and spaces folded: '  Tinned  Tomatoes ' and 'tinned tomatoes' are one item."""
    return " ".join((text or "").split()).casefold()


def tidy(text: str) -> str:
    return " ".join((text or "").split())


# --- the plan ---------------------------------------------------------------------------------


@dataclass
class Line:
    name: str
    quantity_milli: int | None = None
    unit: str = ""
    price_pence: int | None = None

    def as_json(self) -> dict:
        return {
            "name": self.name,
            "quantity_milli": self.quantity_milli,
            "unit": self.unit,
            "price_pence": self.price_pence,
        }


def meals_by_slot(week: MealWeek | None) -> dict[tuple[int, str], PlannedMeal]:
    return {(m.day, m.meal): m for m in week.meals} if week else {}


def save_day(
    client: Client, week_start: date, day: int, slots: Mapping[str, tuple[str, list[Line]]], actor
) -> MealWeek:
    """Put one day's meals in place: ``slots`` maps a meal to (dish, lines). An empty dish clears
    the slot; a known dish planned with no lines brings back the lines it had last time."""
    week = get_or_create_week(client, week_start)
    existing = meals_by_slot(week)
    known = {d.name_key: d for d in dishes_of(client)}
    reused = changed = 0
    for meal in MEALS:
        dish, lines = slots.get(meal, ("", []))
        dish = tidy(dish)
        slot = existing.get((day, meal))
        if not dish:
            if slot is not None:
                week.meals.remove(slot)
                changed += 1
            continue
        remembered = known.get(fold(dish))
        if remembered is not None:
            dish = remembered.name  # the dish list's own spelling
        if not lines and remembered is not None and remembered.ingredients:
            lines = [Line(**item) for item in remembered.ingredients]
            reused += 1
        if slot is None:
            slot = PlannedMeal(day=day, meal=meal, dish=dish, ingredients=[])
            week.meals.append(slot)
        before = (
            slot.dish,
            [(i.name, i.quantity_milli, i.unit, i.price_pence) for i in slot.ingredients],
        )
        slot.dish = dish
        slot.ingredients = [
            Ingredient(
                position=n,
                name=tidy(line.name),
                quantity_milli=line.quantity_milli,
                unit=tidy(line.unit),
                price_pence=line.price_pence,
            )
            for n, line in enumerate(lines)
        ]
        after = (
            slot.dish,
            [(tidy(x.name), x.quantity_milli, tidy(x.unit), x.price_pence) for x in lines],
        )
        changed += before != after
        _remember_dish(client, dish, lines, known)
    db.session.flush()
    record(
        "meal_day_saved",
        "meal_week",
        week.id,
        actor=actor,
        unit_id=client.unit_id,
        extra={"day": day, "slots_changed": changed, "dishes_reused": reused},
    )
    return week


def _remember_dish(client: Client, name: str, lines: list[Line], known: dict[str, Dish]) -> None:
    key = fold(name)
    dish = known.get(key)
    if dish is None:
        dish = Dish(client_id=client.id, name=name, name_key=key)
        db.session.add(dish)
        known[key] = dish
    if lines:  # planning a dish without ingredients keeps the ones it had
        dish.ingredients = [line.as_json() for line in lines]


def copy_last_week(client: Client, week_start: date, actor) -> int:
    """Copy the week before's meals (and its budget, if this week has none) into an empty week.
    Returns how many meals were copied; 0 when there was nothing, or this week is not empty."""
    source = find_week(client, week_start - timedelta(days=7))
    if source is None or not source.meals:
        return 0
    week = get_or_create_week(client, week_start)
    if week.meals:
        return 0
    for meal in source.meals:
        week.meals.append(
            PlannedMeal(
                day=meal.day,
                meal=meal.meal,
                dish=meal.dish,
                ingredients=[
                    Ingredient(
                        position=i.position,
                        name=i.name,
                        quantity_milli=i.quantity_milli,
                        unit=i.unit,
                        price_pence=i.price_pence,
                    )
                    for i in meal.ingredients
                ],
            )
        )
    if week.budget_pence is None:
        week.budget_pence = source.budget_pence
    db.session.flush()
    record(
        "meal_week_copied",
        "meal_week",
        week.id,
        actor=actor,
        unit_id=client.unit_id,
        extra={"from_week": source.id, "meals": len(source.meals)},
    )
    return len(source.meals)


def set_budget(client: Client, week_start: date, pence: int | None, actor) -> MealWeek:
    week = get_or_create_week(client, week_start)
    before = week.budget_pence
    week.budget_pence = pence
    record(
        "meal_budget_set",
        "meal_week",
        week.id,
        actor=actor,
        unit_id=client.unit_id,
        changes={"budget_pence": [before, pence]} if before != pence else None,
    )
    return week


# --- money ------------------------------------------------------------------------------------


@dataclass
class Budget:
    planned: int | None
    estimated: int
    spent: int
    per_day: list[int]
    priced_lines: int
    unpriced_lines: int

    @property
    def left(self) -> int | None:
        return None if self.planned is None else self.planned - self.spent

    @property
    def over_by(self) -> int:
        """How far spending has gone past the budget (0 when it has not, or there is none)."""
        return max(0, -(self.left or 0))

    @property
    def plan_over_by(self) -> int:
        """How far the plan's estimate is over the budget."""
        return 0 if self.planned is None else max(0, self.estimated - self.planned)


def budget_for(week: MealWeek | None, trips: Iterable[ShopTrip]) -> Budget:
    per_day = [0] * 7
    priced = unpriced = 0
    for meal in week.meals if week else []:
        for line in meal.ingredients:
            if line.price_pence is None:
                unpriced += 1
            else:
                priced += 1
                per_day[meal.day] += line.price_pence
    return Budget(
        planned=week.budget_pence if week else None,
        estimated=sum(per_day),
        spent=sum(t.spent_pence for t in trips),
        per_day=per_day,
        priced_lines=priced,
        unpriced_lines=unpriced,
    )


# --- the shopping list ------------------------------------------------------------------------


@dataclass
class ListItem:
    key: str
    name: str
    unit: str
    aisle: str
    quantity_milli: int = 0
    lines_without_quantity: int = 0
    price_pence: int = 0
    meals: int = 0
    ticked: bool = False
    free_item_id: int | None = None
    name_key: str = ""

    @property
    def dom_id(self) -> str:
        """An id for the page (the key holds the item's name, which stays out of URLs)."""
        return "item-" + hashlib.sha256(self.key.encode()).hexdigest()[:12]


@dataclass
class ShoppingList:
    items: list[ListItem]
    aisles: list[tuple[str, str, list[ListItem]]] = field(default_factory=list)

    @property
    def ticked(self) -> int:
        return sum(1 for i in self.items if i.ticked)


def item_key(name: str, unit: str) -> str:
    return f"{fold(name)[:NAME_LIMIT]}|{fold(unit)[:UNIT_LIMIT]}"[:KEY_LIMIT]


def aggregate(week: MealWeek | None) -> list[ListItem]:
    """The week's ingredient lines summed by folded name and unit (different units apart)."""
    items: dict[str, ListItem] = {}
    for meal in sorted(
        week.meals if week else [], key=lambda m: (m.day, list(MEALS).index(m.meal))
    ):
        for line in meal.ingredients:
            if not fold(line.name):
                continue
            key = item_key(line.name, line.unit)
            item = items.get(key)
            if item is None:
                item = items[key] = ListItem(
                    key=key,
                    name=tidy(line.name),
                    unit=tidy(line.unit),
                    aisle="other",
                    name_key=fold(line.name),
                )
            if line.quantity_milli is None:
                item.lines_without_quantity += 1
            else:
                item.quantity_milli += line.quantity_milli
            item.price_pence += line.price_pence or 0
            item.meals += 1
    return list(items.values())


def shopping_list(client: Client, week: MealWeek | None) -> ShoppingList:
    items = aggregate(week)
    free = (
        db.session.scalars(
            select(FreeItem).where(FreeItem.week_id == week.id).order_by(FreeItem.id)
        ).all()
        if week
        else []
    )
    remembered = aisle_memory(client.unit_id, [i.name_key for i in items])
    for item in items:
        item.aisle = remembered.get(item.name_key, "other")
    for extra in free:
        items.append(
            ListItem(
                key=f"free:{extra.id}",
                name=extra.name,
                unit="",
                aisle=extra.aisle if extra.aisle in AISLES else "other",
                free_item_id=extra.id,
                name_key=fold(extra.name),
            )
        )
    ticks = (
        dict(
            db.session.execute(
                select(ShoppingTick.item_key, ShoppingTick.ticked).where(
                    ShoppingTick.week_id == week.id
                )
            ).all()
        )
        if week
        else {}
    )
    for item in items:
        item.ticked = bool(ticks.get(item.key, False))
    grouped = [
        (slug, label, sorted((i for i in items if i.aisle == slug), key=lambda i: fold(i.name)))
        for slug, label in AISLES.items()
    ]
    return ShoppingList(items=items, aisles=[g for g in grouped if g[2]])


def aisle_memory(unit_id: int, name_keys: list[str]) -> dict[str, str]:
    if not name_keys:
        return {}
    rows = db.session.execute(
        select(AisleChoice.name_key, AisleChoice.aisle).where(
            AisleChoice.unit_id == unit_id, AisleChoice.name_key.in_(set(name_keys))
        )
    ).all()
    return {key: aisle for key, aisle in rows if aisle in AISLES}


def remember_aisles(client: Client, week: MealWeek, choices: Mapping[str, str], actor) -> int:
    """Put item names (folded) in aisles for the unit; free items of this week move too."""
    existing = {
        a.name_key: a
        for a in db.session.scalars(
            select(AisleChoice).where(
                AisleChoice.unit_id == client.unit_id, AisleChoice.name_key.in_(set(choices))
            )
        )
    }
    changed = 0
    for name_key, aisle in choices.items():
        if aisle not in AISLES or not name_key:
            continue
        row = existing.get(name_key)
        if row is None:
            db.session.add(AisleChoice(unit_id=client.unit_id, name_key=name_key, aisle=aisle))
            changed += 1
        elif row.aisle != aisle:
            row.aisle = aisle
            changed += 1
    for item in db.session.scalars(select(FreeItem).where(FreeItem.week_id == week.id)):
        chosen = choices.get(fold(item.name))
        if chosen in AISLES and chosen != item.aisle:
            item.aisle = chosen
            changed += 1
    record(
        "shopping_aisles_set",
        "meal_week",
        week.id,
        actor=actor,
        unit_id=client.unit_id,
        extra={"changed": changed},
    )
    return changed


def add_free_item(
    client: Client, week_start: date, name: str, aisle: str | None, actor
) -> FreeItem:
    week = get_or_create_week(client, week_start)
    name = tidy(name)
    if aisle not in AISLES:
        aisle = aisle_memory(client.unit_id, [fold(name)]).get(fold(name), "other")
    else:
        remember_aisles(client, week, {fold(name): aisle}, actor)
    item = FreeItem(week_id=week.id, name=name, aisle=aisle)
    db.session.add(item)
    db.session.flush()
    record(
        "shopping_item_added",
        "meal_week",
        week.id,
        actor=actor,
        unit_id=client.unit_id,
        extra={"free_item": item.id},
    )
    return item


def remove_free_item(client: Client, week: MealWeek, item: FreeItem, actor) -> None:
    db.session.delete(item)
    record(
        "shopping_item_removed",
        "meal_week",
        week.id,
        actor=actor,
        unit_id=client.unit_id,
        extra={"free_item": item.id},
    )


def set_tick(
    client: Client, week: MealWeek, key: str, ticked: bool, seq: int | None, actor
) -> bool:
    """Tick or untick one line. A tap carries the phone's ``seq`` (its clock in ms); an older
    tap arriving after a newer one changes nothing. Returns the line's state afterwards."""
    row = db.session.scalar(
        select(ShoppingTick)
        .where(ShoppingTick.week_id == week.id, ShoppingTick.item_key == key)
        .with_for_update()
    )
    if row is None:
        row = ShoppingTick(week_id=week.id, item_key=key, ticked=False, seq=0)
        db.session.add(row)
    if seq is None:  # a plain form without the script: the tap is now
        seq = max(row.seq or 0, int(clock.now().timestamp() * 1000))
    if seq < (row.seq or 0):
        return row.ticked
    before = row.ticked
    row.ticked, row.seq = ticked, seq
    db.session.flush()
    if before != ticked:
        record(
            "shopping_item_ticked" if ticked else "shopping_item_unticked",
            "meal_week",
            week.id,
            actor=actor,
            unit_id=client.unit_id,
            extra={"tick": row.id},
        )
    return row.ticked


# --- shop trips -------------------------------------------------------------------------------


def trips_of(week: MealWeek | None) -> list[ShopTrip]:
    if week is None:
        return []
    return list(
        db.session.scalars(
            select(ShopTrip)
            .where(ShopTrip.week_id == week.id)
            .options(selectinload(ShopTrip.supported_by))
            .order_by(ShopTrip.trip_at, ShopTrip.id)
        )
    )


def record_trip(
    client: Client, week_start: date, data: Mapping[str, Any], actor, request_key: str | None = None
) -> tuple[ShopTrip, bool]:
    """Record a shop trip; the trip and whether it is new. The same ``request_key`` again (a
    form sent twice) is the trip already recorded, not a second spend."""
    if request_key:
        existing = _trip_by_key(request_key)
        if existing is not None:
            return existing, False
    week = get_or_create_week(client, week_start)
    trip = ShopTrip(
        request_key=request_key,
        week_id=week.id,
        trip_at=data["trip_at"],
        shop=tidy(data["shop"]),
        spent_pence=data["spent_pence"],
        note=(data.get("note") or "").strip(),
        supported_by_id=data.get("supported_by_id") or None,
        cue_level=data.get("cue_level"),
        created_by_id=actor.id,
    )
    try:
        with db.session.begin_nested():
            db.session.add(trip)
            db.session.flush()
    except IntegrityError:  # the same form twice at once: the other request recorded it
        existing = _trip_by_key(request_key) if request_key else None
        if existing is None:
            raise
        return existing, False
    record(
        "shop_trip_recorded",
        "shop_trip",
        trip.id,
        actor=actor,
        unit_id=client.unit_id,
        extra={
            "week": week.id,
            "client": client.id,
            "supported_by": trip.supported_by_id,
            "cue_level": trip.cue_level,
            "has_note": bool(trip.note),
        },
    )
    return trip, True


def _trip_by_key(request_key: str) -> ShopTrip | None:
    return db.session.scalar(select(ShopTrip).where(ShopTrip.request_key == request_key))


def trip_window(week_start: date) -> tuple[date, date]:
    """A trip for a week can be in it or in the 7 days before (shopping ahead)."""
    return week_start - timedelta(days=7), week_start + timedelta(days=6)


def meal_time(week_start: date, day: int, meal: str) -> datetime:
    """When a planned meal happens, roughly, in UTC (for the cooking-session link)."""
    hour = {"breakfast": 8, "lunch": 12, "evening": 18, "snack": 15}[meal]
    local = datetime(
        *(week_start + timedelta(days=day)).timetuple()[:3], hour, 0, tzinfo=clock.LONDON
    )
    return local.astimezone(clock.now().tzinfo)
