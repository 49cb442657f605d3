"""Check-out, extend, welfare, check-in and resolve forms."""

import secrets
from datetime import datetime, time, timedelta

from wtforms import (
    BooleanField,
    HiddenField,
    PasswordField,
    RadioField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, Optional, Regexp, ValidationError

from app.auth.forms import PHONE_PATTERN
from app.core import clock
from app.core.forms import (
    FlaskForm,
    MultiCheckboxField,
    choices,
    coerce_id,
    coerce_optional_int,
)
from app.lone_working.board import open_outing_for
from app.lone_working.outings import MAX_AHEAD, OUTCOMES

RETURN_CHOICES = [
    ("30", "30 minutes"),
    ("60", "1 hour"),
    ("120", "2 hours"),
    ("180", "3 hours"),
    ("exact", "At a time"),
]
TRANSPORT = ["Walking", "Bus", "Train", "Taxi", "Pool car", "Own car", "Other"]
WELFARE = [
    ("", "No welfare checks"),
    ("30", "Every 30 minutes"),
    ("60", "Every hour"),
    ("90", "Every 90 minutes"),
    ("120", "Every 2 hours"),
]


SHIFT_PHONE = "shift-phone"  # the buddy choice that is the unit's shift phone, not a person
DURATIONS = {value: label.lower() for value, label in RETURN_CHOICES if value != "exact"}


def _parse_time(text: str) -> time | None:
    """A 24-hour time typed as 14:30 or 14.30 (ASCII digits only), else None."""
    try:
        return clock.parse_time(text)
    except ValueError:
        return None


def _next_occurrence(now: datetime, at: time) -> datetime | None:
    """The next time the UK clock shows ``at``: today, or after midnight if that is within
    12 hours. In the hour the clocks go back the time happens twice; the first that is still
    ahead counts. None if it has passed today and tomorrow's is too far ahead."""
    today = clock.to_london(now).date()
    for day in (today, today + timedelta(days=1)):
        for fold in (0, 1):
            local = datetime.combine(day, at, tzinfo=clock.LONDON).replace(fold=fold)
            due = local.astimezone(now.tzinfo)
            if due > now:
                return due if day == today or due - now <= MAX_AHEAD else None
    return None


class CheckOutForm(FlaskForm):
    destination = StringField(
        "Where are you going?",
        description="For example: Tesco, Market Street",
        validators=[
            DataRequired("Enter where you are going"),
            Length(max=120, message="Where you are going must be 120 characters or fewer"),
        ],
        render_kw={"autocomplete": "off"},
    )
    purpose = StringField(
        "What for?",
        description="For example: shopping for the cooking group",
        validators=[
            Optional(),
            Length(max=200, message="What for must be 200 characters or fewer"),
        ],
        render_kw={"autocomplete": "off"},
    )
    client_ids = MultiCheckboxField(
        "Clients with you",
        coerce=coerce_id,
        validators=[Optional()],
        invalid_value_message="Choose clients from the list",
        invalid_choice_message="Choose clients from the list",
    )
    coworker_ids = MultiCheckboxField(
        "Staff with you",
        coerce=coerce_id,
        description="Leave empty if you are going alone",
        validators=[Optional()],
        invalid_value_message="Choose staff from the list",
        invalid_choice_message="Choose staff from the list",
    )
    transport = RadioField(
        "How are you travelling?",
        choices=choices((t, t) for t in TRANSPORT),
        validators=[DataRequired("Choose how you are travelling")],
    )
    contact_number = StringField(
        "Your phone number while you are out",
        validators=[
            DataRequired("Enter a phone number we can reach you on"),
            Regexp(PHONE_PATTERN, message="Enter a phone number, like 07700 900123"),
        ],
        render_kw={"autocomplete": "tel", "inputmode": "tel", "type": "tel"},
    )
    return_in = RadioField(
        "When will you be back?",
        choices=choices(RETURN_CHOICES),
        validators=[DataRequired("Choose when you will be back")],
    )
    # Shown only with "At a time" chosen (app.js); without JavaScript both are on the page and a
    # submission carrying a duration and a different typed time is refused, never guessed.
    return_at = StringField(
        "Back by (24-hour clock)",
        description="Only with 'At a time'. For example 14:30",
        validators=[Optional()],
        render_kw={"type": "time", "autocomplete": "off"},
    )
    buddy_id = SelectField(
        "Buddy",
        coerce=lambda v: v if v == SHIFT_PHONE else coerce_id(v),
        description="Who is told first if you are late",
        validate_choice=False,
    )
    alarm_carried = BooleanField("I am carrying a Trust lone-worker alarm")
    alarm_device_id = StringField(
        "Alarm device number",
        description="If you carry one",
        validators=[Optional(), Length(max=40)],
        render_kw={"autocomplete": "off"},
    )
    welfare_interval = SelectField(
        "Welfare checks while out",
        choices=choices(WELFARE),
        default="",
        coerce=coerce_optional_int,
    )
    request_key = HiddenField()

    def __init__(
        self, *args, worker=None, clients=(), staff=(), buddies=(), shift_phone="", **kwargs
    ):
        super().__init__(*args, **kwargs)
        self.worker = worker
        self.client_ids.choices = [
            SelectChoice(c.id, c.initials + (f" (room {c.room})" if c.room else ""))
            for c in clients
        ]
        self.coworker_ids.choices = [SelectChoice(s.id, s.name) for s in staff]
        self.buddy_id.choices = [
            SelectChoice(0, "Choose a buddy"),
            *(SelectChoice(s.id, s.name) for s in buddies),
        ]
        if shift_phone:
            self.buddy_id.choices.append(
                SelectChoice(SHIFT_PHONE, f"The unit's shift phone ({shift_phone})")
            )
        # Nobody can be picked (a small unit, nobody covering): the ladder tells the unit's
        # leads and admins instead, and the page says who, rather than refusing the check-out.
        self.buddy_ids = {s.id for s in buddies} | ({SHIFT_PHONE} if shift_phone else set())
        if not self.request_key.data:
            self.request_key.data = secrets.token_urlsafe(24)
        self.expected_return: datetime | None = None

    def _expected_return(self) -> datetime | None:
        """The expected return from the quick choice or the exact time (UK local), or raise."""
        now = clock.now()
        typed = (self.return_at.data or "").strip()
        if self.return_in.data == "exact":
            due = self._typed_due(now, typed)
        elif self.return_in.data in DURATIONS:
            due = now + timedelta(minutes=int(self.return_in.data))
            if typed:
                # Two answers to one question: a due time the worker did not mean is a false
                # alarm or a late one, so ask rather than pick one.
                typed_due = _next_occurrence(now, t) if (t := _parse_time(typed)) else None
                if typed_due is None or abs(typed_due - due) >= timedelta(minutes=1):
                    chosen = DURATIONS[self.return_in.data]
                    raise ValidationError(
                        f"You chose {chosen} and typed back by {typed[:8]}. Choose 'At a time' to "
                        "be back by the time you typed, or clear the time"
                    )
        else:
            return None
        if due - now > MAX_AHEAD:
            raise ValidationError("The time you will be back must be within 12 hours")
        return due

    @staticmethod
    def _typed_due(now: datetime, typed: str) -> datetime:
        at = _parse_time(typed)
        if at is None:
            raise ValidationError("Enter the time you will be back, like 14:30")
        due = _next_occurrence(now, at)
        if due is None:
            raise ValidationError("The time you will be back must be in the future")
        return due

    def validate_coworker_ids(self, field) -> None:
        for user_id in field.data or []:
            if self.worker is not None and user_id == self.worker.id:
                raise ValidationError("Do not add yourself as staff with you")
            if open_outing_for(user_id) is not None:
                name = dict((c.value, c.label) for c in field.iter_choices()).get(user_id, "")
                raise ValidationError(f"{name} is already out. They must check in first")

    def validate_alarm_device_id(self, field) -> None:
        if self.alarm_carried.data and not (field.data or "").strip():
            raise ValidationError("Enter the alarm device number")

    def validate_buddy_id(self, field) -> None:
        if not self.buddy_ids:
            field.data = 0  # nobody to pick: the ladder's leads and admins stand in
            return
        if not field.data:
            raise ValidationError("Choose a buddy")
        if field.data not in self.buddy_ids:
            raise ValidationError("Choose a buddy from the list")
        if field.data in (self.coworker_ids.data or []) or (
            self.worker is not None and field.data == self.worker.id
        ):
            raise ValidationError("Your buddy must be someone staying behind")

    def validate(self, extra_validators=None) -> bool:
        ok = super().validate(extra_validators)
        try:
            self.expected_return = self._expected_return()
        except ValidationError as error:
            self.return_at.errors.append(str(error))
            ok = False
        if ok and self.worker is not None and open_outing_for(self.worker.id) is not None:
            self.form_errors.append("You are already out. Check in before you check out again")
            return False
        return ok


class ExtendForm(FlaskForm):
    # The due time the person saw: a repeated or retried tap finds it changed and does nothing.
    due = HiddenField()

    minutes = RadioField(
        "Extend by",
        choices=choices([("15", "15 minutes"), ("30", "30 minutes"), ("60", "1 hour")]),
        validators=[DataRequired("Choose how long to extend by")],
    )
    reason = StringField(
        "Why?",
        validators=[
            DataRequired("Say why you need longer"),
            Length(max=200, message="Keep the reason to 200 characters"),
        ],
        render_kw={"autocomplete": "off"},
    )


class WelfareUpdateForm(FlaskForm):
    text = TextAreaField(
        "Welfare update",
        description="A short note, for example: all fine, on the bus back",
        validators=[
            DataRequired("Write the update"),
            Length(max=500, message="Keep the update to 500 characters"),
        ],
    )


class CheckInForm(FlaskForm):
    pin = PasswordField(
        "Your PIN",
        validators=[Optional(), Length(max=12)],
        render_kw={"inputmode": "numeric", "autocomplete": "off"},
    )
    # Set by the browser on an "I'm back" queued without signal: when it was pressed (ISO UTC).
    # Never a reason to refuse a check-in: a bad value is flagged and the arrival time used.
    pressed = HiddenField()


class ConfirmForm(FlaskForm):
    """A button and the CSRF token: SOS confirmation, acknowledgement, shifts."""


class SosForm(ConfirmForm):
    """Send SOS, with the one position the phone gave at that moment if the worker allowed it
    (filled by the page's script). A missing or bad position never holds an SOS back."""

    latitude = HiddenField()
    longitude = HiddenField()
    accuracy = HiddenField()

    def location(self) -> tuple[float, float, float | None] | None:
        def number(text, low: float, high: float) -> float | None:
            if not text or len(text) > 24 or not text.isascii():
                return None
            try:
                value = float(text)
            except ValueError:
                return None
            return value if low <= value <= high else None  # NaN fails both tests

        lat = number(self.latitude.data, -90, 90)
        lng = number(self.longitude.data, -180, 180)
        if lat is None or lng is None:
            return None
        return lat, lng, number(self.accuracy.data, 0, 100_000)


class ResolveForm(FlaskForm):
    outcome = RadioField(
        "Outcome", choices=choices(OUTCOMES.items()), validators=[DataRequired("Choose an outcome")]
    )
    minutes = SelectField(
        "Extend by (for 'contacted, safe, extended')",
        choices=choices(
            [("", "Not extending"), ("30", "30 minutes"), ("60", "1 hour"), ("120", "2 hours")]
        ),
        default="",
        coerce=coerce_optional_int,
    )
    note = TextAreaField(
        "Note",
        validators=[
            DataRequired("Write what happened"),
            Length(max=500, message="Keep the note to 500 characters"),
        ],
    )

    def validate_minutes(self, field) -> None:
        if self.outcome.data == "contacted_safe_extended" and not field.data:
            raise ValidationError("Choose how long to extend by")
