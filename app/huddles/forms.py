"""Huddle forms. Each part of a huddle is its own small form, so each saves on its own."""

from datetime import datetime

from wtforms import RadioField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, ValidationError

from app.core import clock
from app.core.forms import FlaskForm, IdField, IntegerField, TimeField, choices, coerce_id
from app.huddles.models import (
    ACTION_MAX,
    CATEGORIES,
    DUE_KINDS,
    ENTRY_MAX,
    FLAGS,
    PERIODS,
    REASON_MAX,
    VISITOR_MAX,
)

OWNER_MESSAGE = "Choose an owner from the unit's active staff"
VERSION_MESSAGE = "This form is out of date: refresh the page and try again"


def _version_field():
    return IntegerField("Version", invalid_value_message=VERSION_MESSAGE, low=0, high=2**31 - 1)


class ConfirmForm(FlaskForm):
    """A button that changes something: the CSRF token only."""


class FlagForm(FlaskForm):
    value = StringField("Flag")
    reason = StringField(
        "Why",
        description=f"Short reason, up to {REASON_MAX} characters",
        validators=[
            Length(max=REASON_MAX, message=f"Keep the reason to {REASON_MAX} characters or fewer")
        ],
    )
    version = _version_field()

    def validate_value(self, field):
        if field.data not in FLAGS:
            raise ValidationError("Choose green, amber or red")

    def validate_reason(self, field):
        field.data = (field.data or "").strip()
        if self.value.data in ("amber", "red") and not field.data:
            raise ValidationError(f"Say why this client is {self.value.data}")

    def validate_version(self, field):
        if field.data is None:
            raise ValidationError(VERSION_MESSAGE)


class AttendeeForm(FlaskForm):
    staff_id = IdField(invalid_message="Choose someone from the list")
    present = StringField("Present")

    def validate_present(self, field):
        if field.data not in ("1", "0"):
            raise ValidationError("Say whether they are present")


class VisitorForm(FlaskForm):
    name = StringField(
        "Visitor",
        description="Name and role, for example 'Dr A Patel, psychiatrist'",
        validators=[
            DataRequired(message="Enter the visitor's name"),
            Length(max=VISITOR_MAX, message=f"Keep it to {VISITOR_MAX} characters or fewer"),
        ],
    )


class EntryForm(FlaskForm):
    period = RadioField(
        "When",
        choices=choices(PERIODS.items()),
        default="since",
        validators=[InputRequired(message="Choose since the last huddle or next 24 hours")],
    )
    category = SelectField(
        "Kind",
        choices=choices([("", "Choose a kind"), *CATEGORIES.items()]),
        validators=[DataRequired(message="Choose what kind of entry this is")],
    )
    client_id = SelectField("Client (optional)", coerce=coerce_id, default=0)
    observation_level = SelectField("New observation level", default="")
    text = TextAreaField(
        "What happened or is planned",
        id="entry-text",
        description=f"Short, up to {ENTRY_MAX} characters",
        validators=[
            DataRequired(message="Enter what happened or is planned"),
            Length(max=ENTRY_MAX, message=f"Keep it to {ENTRY_MAX} characters or fewer"),
        ],
    )
    version = _version_field()

    def __init__(self, *args, clients=(), levels=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.client_id.choices = choices(
            [(0, "No one client")]
            + [(c.id, f"{c.initials}{', room ' + c.room if c.room else ''}") for c in clients]
        )
        self.observation_level.choices = choices(
            [("", "Not an observation change")] + [(level, level) for level in levels]
        )

    def validate_text(self, field):
        field.data = (field.data or "").strip()
        if not field.data:
            raise ValidationError("Enter what happened or is planned")

    def validate(self, extra_validators=None) -> bool:
        ok = super().validate(extra_validators)
        for name, message in (
            ("client_id", "Choose a client from the list, or no one client"),
            ("category", "Choose what kind of entry this is"),
            ("observation_level", "Choose a level from the list"),
        ):
            if self[name].errors and any("choice" in e.lower() for e in self[name].errors):
                self[name].errors = [message]
        return ok

    def validate_observation_level(self, field):
        if self.category.data == "observation" and not field.data:
            raise ValidationError("Choose the new observation level")

    def validate_client_id(self, field):
        if self.category.data == "observation" and not field.data:
            raise ValidationError("Choose whose observation level changed")

    def entry_data(self) -> dict:
        return {
            "period": self.period.data,
            "category": self.category.data,
            "client_id": self.client_id.data or None,
            "observation_level": self.observation_level.data
            if self.category.data == "observation"
            else "",
            "text": self.text.data,
        }


class ActionForm(FlaskForm):
    text = TextAreaField(
        "Action",
        id="action-text",
        validators=[Length(max=ACTION_MAX, message=f"Keep it to {ACTION_MAX} characters or fewer")],
    )
    owner_id = SelectField("Owner", coerce=coerce_id, default=0, validate_choice=False)
    due_kind = RadioField(
        "Due",
        choices=choices(DUE_KINDS.items()),
        default="shift",
        validators=[InputRequired(message="Choose when it is due")],
    )
    due_time = TimeField(
        "Due time today",
        description="Only for 'At a time', for example 16:30",
        invalid_value_message="Enter a real time, like 16:30",
    )

    def __init__(self, *args, staff=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.owner_id.choices = choices([(0, "Choose who")] + [(u.id, u.name) for u in staff])
        self._staff_ids = {u.id for u in staff}

    def validate_text(self, field):
        field.data = (field.data or "").strip()
        if not field.data:
            raise ValidationError("Enter the action")

    def validate_owner_id(self, field):
        if not field.data or field.data not in self._staff_ids:
            raise ValidationError(OWNER_MESSAGE)

    def validate(self, extra_validators=None) -> bool:
        ok = super().validate(extra_validators)
        if self.owner_id.errors:  # "could not coerce" says nothing useful to a person
            self.owner_id.errors = [OWNER_MESSAGE]
        return ok

    def validate_due_time(self, field):
        if self.due_kind.data != "time":
            return
        if field.data is None:
            if not field.errors:
                raise ValidationError("Enter the due time, like 16:30")
            return
        now = clock.now()
        today = clock.to_london(now).date()
        due = datetime.combine(today, field.data, tzinfo=clock.LONDON)
        if due <= now:
            raise ValidationError(
                "That time has passed: enter a later time, or choose This shift or Today"
            )

    def action_data(self) -> dict:
        return {
            "text": self.text.data,
            "owner_id": self.owner_id.data,
            "due_kind": self.due_kind.data,
            "due_time": self.due_time.data,
        }


class DoneForm(FlaskForm):
    version = _version_field()

    def validate_version(self, field):
        if field.data is None:
            raise ValidationError(VERSION_MESSAGE)


class SettingsForm(FlaskForm):
    early_start = TimeField("Early shift starts", validators=[InputRequired("Enter a time")])
    late_start = TimeField("Late shift starts", validators=[InputRequired("Enter a time")])
    night_start = TimeField("Night shift starts", validators=[InputRequired("Enter a time")])
    observation_levels = TextAreaField(
        "Observation levels (the whole Trust)",
        description="One per line, least to most support, for example 'Within eyesight'",
    )

    def validate_late_start(self, field):
        if self.early_start.data and field.data and field.data <= self.early_start.data:
            raise ValidationError("The late shift must start after the early shift")

    def validate_night_start(self, field):
        if self.late_start.data and field.data and field.data <= self.late_start.data:
            raise ValidationError("The night shift must start after the late shift")

    def validate_observation_levels(self, field):
        levels = self.levels()
        if not levels:
            raise ValidationError("Enter at least one observation level")
        if len(levels) > 12:
            raise ValidationError("Enter 12 levels or fewer")
        if any(len(level) > 60 for level in levels):
            raise ValidationError("Keep each level to 60 characters or fewer")

    def levels(self) -> list[str]:
        seen: list[str] = []
        for line in (self.observation_levels.data or "").splitlines():
            line = line.strip()
            if line and line not in seen:
                seen.append(line)
        return seen
