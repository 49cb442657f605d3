"""A client's weekly meal plans, dish list, shopping-list state and shop trips.

Money is integer pence; quantities are integer thousandths (1.5 tins is 1500), so sums are exact
on SQLite and PostgreSQL alike.
"""

from datetime import date, datetime

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    ForeignKey,
    Integer,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.auth.models import User
from app.clients.models import Client
from app.core import clock
from app.core.types import UTCDateTime
from app.extensions import db

DAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
MEALS = {
    "breakfast": "Breakfast",
    "lunch": "Lunch",
    "evening": "Evening meal",
    "snack": "Snack",
}
AISLES = {
    "fruit_veg": "Fruit and veg",
    "fresh": "Fresh",
    "chilled": "Chilled",
    "frozen": "Frozen",
    "cupboard": "Cupboard",
    "household": "Household",
    "other": "Other",
}
# The EFPT cue scale for a shop trip: numbers fixed, labels here only (the lead may point these
# at the notes' unit-configurable labels after merge).
CUE_LEVELS = {
    0: "No cues",
    1: "Indirect verbal guidance",
    2: "Gestural guidance",
    3: "Direct verbal instruction",
    4: "Physical assistance",
    5: "Done for the client",
}

DISH_LIMIT = 120
NAME_LIMIT = 80
UNIT_LIMIT = 20
SHOP_LIMIT = 80
TRIP_NOTE_LIMIT = 500
KEY_LIMIT = 120


class MealWeek(db.Model):
    """One client's plan for the week starting ``week_start`` (a Monday)."""

    __tablename__ = "meal_weeks"
    __table_args__ = (UniqueConstraint("client_id", "week_start"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    client_id: Mapped[int] = mapped_column(ForeignKey("clients.id"), index=True)
    week_start: Mapped[date] = mapped_column(Date)
    budget_pence: Mapped[int | None] = mapped_column(Integer, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now, onupdate=clock.now)

    client: Mapped[Client] = relationship()
    meals: Mapped[list["PlannedMeal"]] = relationship(
        back_populates="week", cascade="all, delete-orphan", order_by="PlannedMeal.id"
    )

    def __repr__(self) -> str:
        return f"<MealWeek {self.id} client={self.client_id}>"


class PlannedMeal(db.Model):
    """One slot of the week: a day (0 = Monday) and a meal, with a dish and its ingredients."""

    __tablename__ = "planned_meals"
    __table_args__ = (UniqueConstraint("week_id", "day", "meal"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    week_id: Mapped[int] = mapped_column(ForeignKey("meal_weeks.id"), index=True)
    day: Mapped[int] = mapped_column(Integer)
    meal: Mapped[str] = mapped_column(String(12))
    dish: Mapped[str] = mapped_column(String(DISH_LIMIT))

    week: Mapped[MealWeek] = relationship(back_populates="meals")
    ingredients: Mapped[list["Ingredient"]] = relationship(
        back_populates="planned_meal", cascade="all, delete-orphan", order_by="Ingredient.position"
    )


class Ingredient(db.Model):
    __tablename__ = "meal_ingredients"

    id: Mapped[int] = mapped_column(primary_key=True)
    planned_meal_id: Mapped[int] = mapped_column(ForeignKey("planned_meals.id"), index=True)
    position: Mapped[int] = mapped_column(Integer, default=0)
    name: Mapped[str] = mapped_column(String(NAME_LIMIT))
    quantity_milli: Mapped[int | None] = mapped_column(Integer, nullable=True)
    unit: Mapped[str] = mapped_column(String(UNIT_LIMIT), default="")
    price_pence: Mapped[int | None] = mapped_column(Integer, nullable=True)

    planned_meal: Mapped[PlannedMeal] = relationship(back_populates="ingredients")


class Dish(db.Model):
    """A dish on the client's own list: planning it again brings its ingredients back."""

    __tablename__ = "meal_dishes"
    __table_args__ = (UniqueConstraint("client_id", "name_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    client_id: Mapped[int] = mapped_column(ForeignKey("clients.id"), index=True)
    name: Mapped[str] = mapped_column(String(DISH_LIMIT))
    name_key: Mapped[str] = mapped_column(String(DISH_LIMIT))
    # [{"name", "quantity_milli", "unit", "price_pence"}, ...] as last planned
    ingredients: Mapped[list] = mapped_column(JSON, default=list)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now, onupdate=clock.now)


class ShoppingTick(db.Model):
    """Whether a line of a week's shopping list is ticked. ``seq`` is the phone's order of taps:
    an older tap arriving late (a queued offline tick, a slow request) never undoes a newer one."""

    __tablename__ = "shopping_ticks"
    __table_args__ = (UniqueConstraint("week_id", "item_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    week_id: Mapped[int] = mapped_column(ForeignKey("meal_weeks.id"), index=True)
    item_key: Mapped[str] = mapped_column(String(KEY_LIMIT))
    ticked: Mapped[bool] = mapped_column(Boolean, default=False)
    seq: Mapped[int] = mapped_column(BigInteger, default=0)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now, onupdate=clock.now)


class FreeItem(db.Model):
    """Something on the shopping list that is not in a planned meal (washing-up liquid)."""

    __tablename__ = "shopping_free_items"

    id: Mapped[int] = mapped_column(primary_key=True)
    week_id: Mapped[int] = mapped_column(ForeignKey("meal_weeks.id"), index=True)
    name: Mapped[str] = mapped_column(String(NAME_LIMIT))
    aisle: Mapped[str] = mapped_column(String(12), default="other")


class AisleChoice(db.Model):
    """The aisle an item name was last put in, remembered per unit (folded name)."""

    __tablename__ = "meal_aisle_choices"
    __table_args__ = (UniqueConstraint("unit_id", "name_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"), index=True)
    name_key: Mapped[str] = mapped_column(String(NAME_LIMIT))
    aisle: Mapped[str] = mapped_column(String(12))


class ShopTrip(db.Model):
    __tablename__ = "shop_trips"

    id: Mapped[int] = mapped_column(primary_key=True)
    week_id: Mapped[int] = mapped_column(ForeignKey("meal_weeks.id"), index=True)
    trip_at: Mapped[datetime] = mapped_column(UTCDateTime)
    shop: Mapped[str] = mapped_column(String(SHOP_LIMIT))
    spent_pence: Mapped[int] = mapped_column(Integer)
    note: Mapped[str] = mapped_column(String(TRIP_NOTE_LIMIT), default="")
    supported_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    cue_level: Mapped[int | None] = mapped_column(Integer, nullable=True)
    created_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)
    # The form's own key: the same form sent twice (a retry on a weak signal, back and resend)
    # is one trip, not two spends. Trips recorded before it existed have none.
    request_key: Mapped[str | None] = mapped_column(String(64), unique=True, nullable=True)

    supported_by: Mapped[User | None] = relationship(foreign_keys=[supported_by_id])

    @property
    def cue_label(self) -> str:
        return CUE_LEVELS.get(self.cue_level, "") if self.cue_level is not None else ""
