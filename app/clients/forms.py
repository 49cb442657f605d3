"""The client form."""

import re

from wtforms import BooleanField, SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, Optional, ValidationError

from app.clients import nhs_number
from app.clients.models import GOAL_MAX_LENGTH
from app.clients.services import find_by_nhs_number
from app.core.forms import DateField, FlaskForm, coerce_id

NHS_NUMBER_IN_USE = (
    "This NHS number cannot be used here. Check it, and if it is right ask an administrator to help"
)


class ClientForm(FlaskForm):
    nhs_number_in_use = None  # the client that already has the number typed, if any

    full_name = StringField(
        "Full name",
        validators=[
            DataRequired("Enter the client's full name"),
            Length(max=120, message="Full name must be 120 characters or fewer"),
        ],
        render_kw={"autocomplete": "off", "spellcheck": "false"},
    )
    preferred_name = StringField(
        "Preferred name",
        description="What they like to be called, if different",
        validators=[
            Optional(),
            Length(max=60, message="Preferred name must be 60 characters or fewer"),
        ],
        render_kw={"autocomplete": "off", "spellcheck": "false"},
    )
    initials = StringField(
        "Initials",
        description="2 to 4 letters. Phones show these instead of the name",
        validators=[DataRequired("Enter the client's initials")],
        render_kw={"autocomplete": "off", "autocapitalize": "characters", "spellcheck": "false"},
    )
    nhs_number = StringField(
        "NHS number",
        description="10 digits, for example 999 100 0003",
        render_kw={"autocomplete": "off", "inputmode": "numeric", "spellcheck": "false"},
    )
    room = StringField(
        "Room",
        validators=[Optional(), Length(max=20, message="Room must be 20 characters or fewer")],
        render_kw={"autocomplete": "off"},
    )
    step_down = BooleanField("Lives in the step-down house")
    unit_id = SelectField("Unit", coerce=coerce_id)
    key_worker_id = SelectField("Key worker", coerce=coerce_id)
    admitted_on = DateField(
        "Admitted",
        validators=[DataRequired("Enter the date of admission")],
    )
    discharged_on = DateField(
        "Discharged",
        validators=[Optional()],
        description="Leave empty while they live here",
    )

    def __init__(self, *args, client=None, units=(), staff=(), **kwargs):
        super().__init__(*args, **kwargs)
        self._client = client
        self.unit_id.choices = [SelectChoice(u.id, u.name) for u in units]
        self.key_worker_id.choices = [
            SelectChoice(0, "None yet"),
            *(SelectChoice(s.id, s.name) for s in staff),
        ]

    def validate_initials(self, field) -> None:
        value = (field.data or "").strip().upper()
        if not re.fullmatch(r"[A-Z]{2,4}", value):
            raise ValidationError("Initials must be 2 to 4 letters, like JS")
        field.data = value

    def validate_nhs_number(self, field) -> None:
        problem = nhs_number.problem(field.data or "")
        if problem:
            raise ValidationError(problem)
        existing = find_by_nhs_number(field.data)
        if existing is not None and (self._client is None or existing.id != self._client.id):
            # Never say where the number is in use: that would tell someone the patient is
            # known to another unit. The view audits the attempt.
            self.nhs_number_in_use = existing
            raise ValidationError(NHS_NUMBER_IN_USE)

    def validate_discharged_on(self, field) -> None:
        if field.data and self.admitted_on.data and field.data < self.admitted_on.data:
            raise ValidationError("Discharge date must be on or after the admission date")


class GoalForm(FlaskForm):
    text = StringField(
        "Add a goal",
        description="In the client's words where you can, for example: catch the bus to town alone",
        validators=[
            DataRequired("Enter the goal"),
            Length(
                max=GOAL_MAX_LENGTH,
                message=f"Goal must be {GOAL_MAX_LENGTH} characters or fewer",
            ),
        ],
        render_kw={"autocomplete": "off"},
    )


class RetireGoalForm(FlaskForm):
    """Only the CSRF token: the goal comes from the URL."""
