"""Login and staff admin forms."""

from wtforms import (
    BooleanField,
    EmailField,
    PasswordField,
    SelectField,
    StringField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Email, Length, Optional, Regexp, ValidationError

from app.auth.models import ROLES
from app.auth.services import MIN_PASSWORD_LENGTH, find_by_email
from app.core.forms import FlaskForm, MultiCheckboxField, coerce_id

PHONE_PATTERN = r"^\+?[0-9 ()-]{7,20}$"


def phone_field(description: str, autocomplete: str) -> StringField:
    """An optional UK mobile number, as staff forms and the profile ask for it."""
    return StringField(
        "Mobile phone number",
        description=description,
        validators=[
            Optional(),
            Regexp(PHONE_PATTERN, message="Enter a phone number, like 07700 900123"),
        ],
        render_kw={"autocomplete": autocomplete, "inputmode": "tel", "type": "tel"},
    )


class LoginForm(FlaskForm):
    email = EmailField(
        "Email address",
        validators=[DataRequired("Enter your email address"), Length(max=254)],
        render_kw={"autocomplete": "username", "spellcheck": "false"},
    )
    password = PasswordField(
        "Password",
        validators=[DataRequired("Enter your password"), Length(max=200)],
        render_kw={"autocomplete": "current-password"},
    )


class StaffForm(FlaskForm):
    name = StringField(
        "Full name",
        validators=[
            DataRequired("Enter the person's name"),
            Length(max=120, message="Name must be 120 characters or fewer"),
        ],
        render_kw={"autocomplete": "off"},
    )
    email = EmailField(
        "Email address",
        description="They use this to log in",
        validators=[
            DataRequired("Enter an email address"),
            Email("Enter an email address in the correct format, like name@nhs.net"),
            Length(max=254),
        ],
        render_kw={"autocomplete": "off", "spellcheck": "false"},
    )
    phone = phone_field("For lone-working alerts, for example 07700 900123", autocomplete="off")
    role = SelectField(
        "Role",
        choices=[SelectChoice(k, v) for k, v in ROLES.items()],
        validators=[DataRequired("Choose a role")],
    )
    home_unit_id = SelectField(
        "Home unit", coerce=coerce_id, validators=[DataRequired("Choose a home unit")]
    )
    cover_unit_ids = MultiCheckboxField("Also covers", coerce=coerce_id, validators=[Optional()])
    active = BooleanField("Account is active", default=True)
    password = PasswordField(
        "Password",
        description=f"At least {MIN_PASSWORD_LENGTH} characters",
        validators=[Length(max=200, message="Password must be 200 characters or fewer")],
        render_kw={"autocomplete": "new-password"},
    )

    def __init__(self, *args, user=None, units=(), **kwargs):
        super().__init__(*args, **kwargs)
        self._user = user
        choices = [SelectChoice(u.id, u.name) for u in units]
        self.home_unit_id.choices = [SelectChoice(0, "Choose a unit"), *choices]
        self.cover_unit_ids.choices = choices

    def validate_email(self, field) -> None:
        existing = find_by_email(field.data or "")
        if existing is not None and (self._user is None or existing.id != self._user.id):
            raise ValidationError("Another account already uses this email address")

    def validate_home_unit_id(self, field) -> None:
        if not field.data:
            raise ValidationError("Choose a home unit")

    def validate_password(self, field) -> None:
        if self._user is None and not field.data:
            raise ValidationError("Enter a password for the new account")
        if field.data and len(field.data) < MIN_PASSWORD_LENGTH:
            raise ValidationError(f"Password must be at least {MIN_PASSWORD_LENGTH} characters")


class UnitSwitchForm(FlaskForm):
    """Only the CSRF token: the unit comes from the URL."""


PIN_PATTERN = r"^[0-9]{4,6}$"  # ASCII digits: \d also matches other scripts' digits


class ProfileForm(FlaskForm):
    """A person's own phone number and lone-working PINs; changes need their password."""

    phone = phone_field("Lone-working prompts and alerts are sent here", autocomplete="tel")
    checkin_pin = PasswordField(
        "Check-in PIN",
        description="4 to 6 digits, asked for when you check in. Leave empty to keep it",
        validators=[Optional(), Regexp(PIN_PATTERN, message="PIN must be 4 to 6 digits")],
        render_kw={"inputmode": "numeric", "autocomplete": "off"},
    )
    duress_pin = PasswordField(
        "Duress PIN",
        description=(
            "Entered instead of your check-in PIN if someone is making you check in: the phone "
            "shows a normal check-in, and leads are alerted silently. Leave empty to keep it"
        ),
        validators=[Optional(), Regexp(PIN_PATTERN, message="PIN must be 4 to 6 digits")],
        render_kw={"inputmode": "numeric", "autocomplete": "off"},
    )
    password = PasswordField(
        "Your password",
        description="To confirm it is you",
        validators=[DataRequired("Enter your password to save changes")],
        render_kw={"autocomplete": "current-password"},
    )

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        self._user = user

    def validate_password(self, field) -> None:
        if self._user is not None and not self._user.check_password(field.data or ""):
            raise ValidationError("That password is not right")

    def validate_checkin_pin(self, field) -> None:
        keeps_duress = field.data and not self.duress_pin.data and self._user is not None
        if keeps_duress and self._user.pin_matches(field.data) == "duress":
            raise ValidationError("The check-in PIN must be different from your duress PIN")

    def validate_duress_pin(self, field) -> None:
        if not field.data:
            return
        if field.data == self.checkin_pin.data:
            raise ValidationError("The duress PIN must be different from the check-in PIN")
        has_checkin = self.checkin_pin.data or (self._user and self._user.checkin_pin_hash)
        if not has_checkin:
            raise ValidationError("Set a check-in PIN first, so the PIN box appears at check-in")
        if (
            self._user
            and self._user.pin_matches(field.data) == "checkin"
            and not self.checkin_pin.data
        ):
            raise ValidationError("The duress PIN must be different from the check-in PIN")
