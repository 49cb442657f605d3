"""Meal-planning forms. Money is typed as '12.50' or '£12.50' and kept as pence; quantities as
'2' or '1.5', kept as thousandths. What was typed is always shown back with an error."""

import re
import secrets
from datetime import UTC, datetime, time
from typing import Any

from wtforms import HiddenField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, Optional, ValidationError

from app.core import clock
from app.core.forms import DateField, FlaskForm, TimeField, choices, coerce_id, coerce_optional_int
from app.meals import money
from app.meals.models import (
    AISLES,
    CUE_LEVELS,
    DISH_LIMIT,
    MEALS,
    NAME_LIMIT,
    SHOP_LIMIT,
    TRIP_NOTE_LIMIT,
    UNIT_LIMIT,
)
from app.meals.services import Line

MAX_LINES = 20
EXTRA_LINES = 2


class _TypedField(StringField):
    """Text parsed by ``parse``; ``data`` is the parsed value (None when empty), the typed text
    is kept for the form to show again."""

    parse = staticmethod(lambda text: text)
    format = staticmethod(str)

    def _value(self) -> str:
        if self.raw_data:
            return self.raw_data[0]
        return "" if self.data is None else self.format(self.data)

    def process_data(self, value):
        self.data = value if isinstance(value, int) else None

    def process_formdata(self, valuelist):
        self.data = None
        text = valuelist[0].strip() if valuelist else ""
        if text:
            if len(text) > 40:
                raise ValueError("That is too long for a number")
            self.data = self.parse(text)


class MoneyField(_TypedField):
    parse = staticmethod(money.parse_pence)
    format = staticmethod(lambda pence: f"{pence // 100}.{pence % 100:02d}")


class QuantityField(_TypedField):
    parse = staticmethod(money.parse_quantity)
    format = staticmethod(money.format_quantity)


def _length(limit: int, label: str) -> Length:
    return Length(max=limit, message=f"{label} must be {limit} characters or fewer")


class WeekForm(FlaskForm):
    """'Show another week': a GET form, so no CSRF token."""

    class Meta:
        csrf = False

    start = DateField(
        "Week starting (a Monday)",
        validators=[DataRequired("Enter the Monday the week starts on")],
        invalid_value_message="Enter a real date, like 2026-11-23",
    )

    def validate_start(self, field):
        if field.data is not None and field.data.weekday() != 0:
            from app.meals.services import monday_of

            raise ValidationError(
                f"A week starts on a Monday: that week's Monday is "
                f"{clock.format_date(monday_of(field.data))}"
            )


class BudgetForm(FlaskForm):
    budget = MoneyField(
        "Weekly budget",
        description="In pounds, like 35.00. Leave empty for no budget.",
        render_kw={"inputmode": "decimal", "autocomplete": "off", "spellcheck": "false"},
    )


class CopyWeekForm(FlaskForm):
    pass


def day_form_class(lines_per_meal: dict[str, int]) -> type[FlaskForm]:
    """A form for one day: per meal a dish and ``lines_per_meal[meal]`` ingredient lines."""
    attrs: dict[str, Any] = {"lines_per_meal": lines_per_meal}
    for meal, label in MEALS.items():
        attrs[f"{meal}_dish"] = StringField(
            f"{label}: dish",
            validators=[Optional(), _length(DISH_LIMIT, "The dish")],
            render_kw={"autocomplete": "off", "list": "dish-list", "maxlength": str(DISH_LIMIT)},
        )
        for n in range(lines_per_meal[meal]):
            number = n + 1
            attrs[f"{meal}_{n}_name"] = StringField(
                f"Ingredient {number}",
                validators=[Optional(), _length(NAME_LIMIT, "The ingredient")],
                render_kw={"autocomplete": "off", "maxlength": str(NAME_LIMIT)},
            )
            attrs[f"{meal}_{n}_qty"] = QuantityField(
                f"Quantity {number}", render_kw={"inputmode": "decimal", "autocomplete": "off"}
            )
            attrs[f"{meal}_{n}_unit"] = StringField(
                f"Unit {number}",
                validators=[Optional(), _length(UNIT_LIMIT, "The unit")],
                render_kw={"autocomplete": "off", "maxlength": str(UNIT_LIMIT)},
            )
            attrs[f"{meal}_{n}_price"] = MoneyField(
                f"Price {number} (£)", render_kw={"inputmode": "decimal", "autocomplete": "off"}
            )
    return type("DayForm", (DayFormBase,), attrs)


class DayFormBase(FlaskForm):
    lines_per_meal: dict[str, int] = {}

    def line_names(self, meal: str, n: int) -> tuple[str, str, str, str]:
        return tuple(f"{meal}_{n}_{part}" for part in ("name", "qty", "unit", "price"))

    def validate(self, extra_validators=None) -> bool:
        ok = super().validate(extra_validators)
        for meal in MEALS:
            any_line = False
            for n in range(self.lines_per_meal[meal]):
                name, qty, unit, price = (self[f] for f in self.line_names(meal, n))
                filled = any((f.raw_data or [""])[0].strip() for f in (qty, unit, price))
                if filled and not (name.data or "").strip() and not name.errors:
                    name.errors = [*name.errors, f"Enter what ingredient {n + 1} is"]
                    ok = False
                any_line = any_line or bool((name.data or "").strip())
            dish = self[f"{meal}_dish"]
            if any_line and not (dish.data or "").strip() and not dish.errors:
                dish.errors = [*dish.errors, "Enter the dish these ingredients are for"]
                ok = False
        return ok

    def slots(self) -> dict[str, tuple[str, list[Line]]]:
        result = {}
        for meal in MEALS:
            lines = []
            for n in range(self.lines_per_meal[meal]):
                name, qty, unit, price = (self[f] for f in self.line_names(meal, n))
                if (name.data or "").strip():
                    lines.append(
                        Line(name.data.strip(), qty.data, (unit.data or "").strip(), price.data)
                    )
            result[meal] = ((self[f"{meal}_dish"].data or "").strip(), lines)
        return result

    def fill_from(self, meals: dict) -> None:
        for meal in MEALS:
            slot = meals.get(meal)
            if slot is None:
                continue
            self[f"{meal}_dish"].data = slot.dish
            for n, line in enumerate(slot.ingredients[: self.lines_per_meal[meal]]):
                name, qty, unit, price = (self[f] for f in self.line_names(meal, n))
                name.data, qty.data, unit.data, price.data = (
                    line.name,
                    line.quantity_milli,
                    line.unit,
                    line.price_pence,
                )


class FreeItemForm(FlaskForm):
    name = StringField(
        "Add something else to the list",
        validators=[DataRequired("Enter what to buy"), _length(NAME_LIMIT, "The item")],
        description="For example, washing-up liquid",
        render_kw={"autocomplete": "off", "maxlength": str(NAME_LIMIT)},
    )
    aisle = SelectField(
        "Aisle",
        choices=choices([("", "As last time (or Other)"), *AISLES.items()]),
        validate_choice=False,
    )

    def validate_aisle(self, field):
        if field.data not in ("", None, *AISLES):
            raise ValidationError("Choose an aisle from the list")


class RemoveItemForm(FlaskForm):
    pass


class TickForm(FlaskForm):
    item = HiddenField()
    ticked = StringField()
    seq = StringField()

    def parsed_seq(self) -> int | None:
        text = (self.seq.data or "").strip()
        if text.isascii() and text.isdigit() and len(text) <= 15:
            return int(text)
        return None


class AislesForm(FlaskForm):
    """One select per item name; built with ``aisle_fields``."""


def aisles_form_class(count: int) -> type[FlaskForm]:
    attrs = {
        f"aisle_{n}": SelectField("Aisle", choices=choices(AISLES.items()), validate_choice=False)
        for n in range(count)
    }
    attrs.update({f"key_{n}": HiddenField() for n in range(count)})
    return type("AislesForm", (AislesForm,), attrs)


REQUEST_KEY = re.compile(r"[A-Za-z0-9_-]{32}")


class TripForm(FlaskForm):
    trip_date = DateField(
        "Date of the trip", validators=[DataRequired("Enter the date of the trip")]
    )
    trip_time = TimeField(
        "Time (roughly)",
        validators=[DataRequired("Enter the time of the trip, like 14:30")],
        render_kw={"inputmode": "numeric", "autocomplete": "off"},
    )
    shop = StringField(
        "Shop",
        validators=[DataRequired("Enter which shop"), _length(SHOP_LIMIT, "The shop")],
        render_kw={"autocomplete": "off", "maxlength": str(SHOP_LIMIT)},
    )
    spent = MoneyField(
        "Total spent",
        description="In pounds, like 23.45",
        validators=[InputRequired("Enter how much was spent, like 23.45")],
        render_kw={"inputmode": "decimal", "autocomplete": "off"},
    )
    supported_by_id = SelectField("Who supported", coerce=coerce_id, validate_choice=False)
    cue_level = SelectField(
        "Client's cue level for the trip",
        description="The most support the client needed. Lower is more independent.",
        coerce=coerce_optional_int,
        choices=choices(
            [("", "Not rated"), *((str(k), f"{k} – {v}") for k, v in CUE_LEVELS.items())]
        ),
        validate_choice=False,
    )
    note = TextAreaField(
        "Note (optional)",
        validators=[Optional(), _length(TRIP_NOTE_LIMIT, "The note")],
        description="Facts for the shopping record only. Write the clinical note separately.",
    )

    request_key = HiddenField()

    def __init__(self, *args, staff=(), window=None, **kwargs):
        super().__init__(*args, **kwargs)
        # A key this form did not make (missing, or not the shape we give) is replaced: the
        # person cannot fix a hidden field, and a new key at worst allows one repeat.
        if not REQUEST_KEY.fullmatch(self.request_key.data or ""):
            self.request_key.data = secrets.token_urlsafe(24)
        self.staff_ids = {0, *(s.id for s in staff)}
        self.supported_by_id.choices = choices(
            [("0", "Nobody: on their own"), *((str(s.id), s.name) for s in staff)]
        )
        self.window = window

    def validate_supported_by_id(self, field):
        if field.data not in self.staff_ids:
            raise ValidationError("Choose who supported from the list")

    def validate_cue_level(self, field):
        if field.data is not None and field.data not in CUE_LEVELS:
            raise ValidationError("Choose a cue level from 0 to 5")

    def validate_trip_date(self, field):
        if field.data is None:
            return
        if field.data > clock.london_today():
            raise ValidationError("The date of the trip cannot be in the future")
        if self.window and not self.window[0] <= field.data <= self.window[1]:
            raise ValidationError(
                f"For this week, enter a date from {clock.format_date(self.window[0])} "
                f"to {clock.format_date(self.window[1])}"
            )

    def validate_trip_time(self, field):
        if field.data is None or self.trip_date.data is None or self.trip_date.errors:
            return
        if self.trip_at() > clock.now():
            raise ValidationError("The time of the trip cannot be in the future")

    def trip_at(self) -> datetime:
        local = datetime.combine(self.trip_date.data, self.trip_time.data or time(12))
        return local.replace(tzinfo=clock.LONDON).astimezone(UTC)

    def trip_data(self) -> dict:
        return {
            "trip_at": self.trip_at(),
            "shop": self.shop.data,
            "spent_pence": self.spent.data,
            "note": self.note.data,
            "supported_by_id": self.supported_by_id.data or None,
            "cue_level": self.cue_level.data,
        }
