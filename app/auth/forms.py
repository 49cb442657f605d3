"""Login and staff admin forms."""

from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    EmailField,
    PasswordField,
    SelectField,
    SelectMultipleField,
    StringField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Email, Length, Optional, Regexp, ValidationError
from wtforms.widgets import CheckboxInput, ListWidget

from app.auth.models import ROLES
from app.auth.services import MIN_PASSWORD_LENGTH, find_by_email

PHONE_PATTERN = r"^\+?[0-9 ()-]{7,20}$"


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


class MultiCheckboxField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


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
    phone = StringField(
        "Mobile phone number",
        description="For lone-working alerts, for example 07700 900123",
        validators=[
            Optional(),
            Regexp(PHONE_PATTERN, message="Enter a phone number, like 07700 900123"),
        ],
        render_kw={"autocomplete": "off", "inputmode": "tel", "type": "tel"},
    )
    role = SelectField(
        "Role",
        choices=[SelectChoice(k, v) for k, v in ROLES.items()],
        validators=[DataRequired("Choose a role")],
    )
    home_unit_id = SelectField(
        "Home unit", coerce=int, validators=[DataRequired("Choose a home unit")]
    )
    cover_unit_ids = MultiCheckboxField("Also covers", coerce=int, validators=[Optional()])
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
