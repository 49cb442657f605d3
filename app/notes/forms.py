"""The note form (draft, autosave and sign), the amendment form and the countersign form.

One form class serves three strictnesses (``mode``):

- ``autosave``: what the browser sends every few seconds. Fields that do not parse are left out
  (the browser keeps its own copy); only a field over its length limit stops the save.
- ``draft``: "Save draft". Everything typed must make sense (a real date, not in the future, a
  duration of 1 minute to 12 hours, nothing over its limit) but nothing is required.
- ``sign``: "Sign note". As a draft, plus everything a clinical record needs is there.
"""

import re
from datetime import UTC, date, datetime, time
from typing import Any

from wtforms import HiddenField, RadioField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, Optional, ValidationError

from app.clients.models import Client, ClientGoal
from app.core import clock
from app.core.forms import (
    DateField,
    FlaskForm,
    IdField,
    IntegerField,
    MultiCheckboxField,
    TimeField,
    coerce_id,
)
from app.notes import cues, mohost
from app.notes.models import (
    ACTIVITY_TYPES,
    AMENDABLE,
    DISH_LIMIT,
    ENGAGEMENT,
    FACTS,
    PLACE_LIMIT,
    TEXT_FIELDS,
    encode,
)
from app.notes.services import OUTING_MESSAGE, outing_had_client

KEY_PATTERN = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$")
MAX_DURATION = 12 * 60
MODES = ("autosave", "draft", "sign")
REASON_LIMIT = 500
MOHOST_PREFIX = "mohost_"
CUE_PREFIX = "cue_"
CUE_TYPE_MESSAGE = (
    "Task cue levels are recorded for cooking and shopping sessions only: choose Cooking or "
    "Shopping as the type of activity, or set the cue levels back to not rated"
)


def cue_field_name(skill_key: str) -> str:
    return CUE_PREFIX + skill_key


def _cue_choices(labels=None) -> list[SelectChoice]:
    labels = labels or cues.DEFAULT_LABELS
    return [SelectChoice(str(level), labels[level]) for level in cues.LEVELS] + [
        SelectChoice("", "Not rated")
    ]


def mohost_field_name(item_key: str) -> str:
    return MOHOST_PREFIX + item_key


def _limit_message(label: str, limit: int) -> str:
    return f"{label} must be {limit:,} characters or fewer"


def _rating_choices() -> list[SelectChoice]:
    return [SelectChoice(letter, letter) for letter in mohost.RATINGS] + [
        SelectChoice("", "Not rated")
    ]


class NoteForm(FlaskForm):
    idempotency_key = HiddenField()
    client_id = IdField()
    outing_id = IdField(invalid_message="This note refers to an outing that is not there")
    activity_date = DateField(
        "Date",
        validators=[Optional()],
        invalid_value_message="Enter a real date for the activity",
    )
    activity_time = TimeField(
        "Start time",
        validators=[Optional()],
        invalid_value_message="Enter a real time, like 14:30",
    )
    duration_minutes = IntegerField(
        "How long it took",
        description="In minutes, for example 90 for an hour and a half",
        validators=[Optional()],
        invalid_value_message="Enter how long the activity took as a number of minutes, like 90",
        render_kw={"inputmode": "numeric", "autocomplete": "off"},
    )
    activity_type = RadioField(
        "Type of activity",
        choices=[SelectChoice(k, v) for k, v in ACTIVITY_TYPES.items()],
        validators=[Optional()],
        invalid_choice_message="Choose the type of activity from the list",
    )
    place = StringField(
        "Place",
        description=f"For example: Tesco, Hatfield Road. Up to {PLACE_LIMIT} characters",
        render_kw={"autocomplete": "off"},
    )
    goal_ids = MultiCheckboxField(
        "OT goals addressed",
        coerce=coerce_id,
        validators=[Optional()],
        invalid_value_message="Choose goals from the client's list",
        invalid_choice_message="Choose goals from the client's list: one you chose is not on it",
    )
    engagement = RadioField(
        "Engagement",
        choices=[SelectChoice(k, v) for k, v in ENGAGEMENT.items()],
        validators=[Optional()],
        invalid_choice_message="Choose how engaged the client was from the list",
    )
    dish = StringField(
        "Dish",
        description=f"What they cooked or shopped for. Up to {DISH_LIMIT} characters",
        render_kw={"autocomplete": "off"},
    )
    reflection = TextAreaField(
        "Client's own reflection",
        description="In their words: how it went and what they would do differently",
    )
    support_given = TextAreaField(
        "Support given", description="Prompts, demonstration, hands-on help, or none"
    )
    went_well = TextAreaField("What went well")
    difficulties = TextAreaField("Difficulties")
    risks = TextAreaField(
        "Risks observed", description="Anything the team needs to know, and what you did"
    )
    next_steps = TextAreaField("Next steps")
    observations = TextAreaField(
        "MOHO observations",
        description="What you saw of their motivation, routines, skills and environment",
    )

    def __init__(
        self,
        *args,
        mode: str = "sign",
        client: Client | None = None,
        goals: list[ClientGoal] = (),
        cue_labels=None,
        **kwargs,
    ):
        super().__init__(*args, **kwargs)
        self.cue_labels = cue_labels or dict(cues.DEFAULT_LABELS)
        for skill in cues.SKILLS:
            self[cue_field_name(skill.key)].choices = _cue_choices(self.cue_labels)
        if mode not in MODES:
            raise ValueError(f"unknown mode {mode!r}")
        self.mode = mode
        self.client = client
        self.goal_ids.choices = [SelectChoice(g.id, g.text) for g in goals]
        self.activity_at: datetime | None = None
        self.too_long: list[str] = []

    # --- MOHOST: one radio group per item, added to the class below ------------------------

    def mohost_fields(self):
        return [self[mohost_field_name(key)] for key in mohost.ITEMS]

    def ratings(self) -> dict[str, str]:
        fields = {key: self[mohost_field_name(key)] for key in mohost.ITEMS}
        return mohost.clean({key: f.data for key, f in fields.items() if not f.errors})

    def section_totals(self) -> list[mohost.SectionTotal]:
        return mohost.section_totals(self.ratings())

    # --- task cue levels: one radio group per skill, added to the class below ---------------

    def cue_fields(self):
        return [self[cue_field_name(skill.key)] for skill in cues.SKILLS]

    def cue_levels(self) -> dict[str, int]:
        fields = {s.key: self[cue_field_name(s.key)] for s in cues.SKILLS}
        return cues.clean({key: f.data for key, f in fields.items() if not f.errors})

    # --- validation ------------------------------------------------------------------------

    def validate(self, extra_validators=None) -> bool:
        super().validate(extra_validators)
        self._check_key()
        self._check_client()
        self._check_lengths()
        self._check_outing()
        self._combine_date_and_time()
        self._check_duration()  # autosave too: an out-of-range number is never stored
        if self.mode in ("draft", "sign"):
            self._check_not_in_future()
            self._check_cue_type()
        if self.mode == "sign":
            self._check_complete()
        return not self.errors

    def _check_key(self) -> None:
        if not KEY_PATTERN.match(self.idempotency_key.data or ""):
            self.form_errors.append(
                "This form is missing its reference. Refresh the page: what you typed is kept "
                "on this phone."
            )

    def _check_client(self) -> None:
        if self.client is None:
            self.client_id.errors = [
                "The client was not found. Go back to the client's page and start the note there"
            ]

    def _check_outing(self) -> None:
        """An outing link must be an outing this client was on, in their unit (issue 13 item 8).
        A bad one is dropped from the form, so saving again keeps the note without it."""
        outing = self.outing_id.data
        if outing is None or self.client is None:
            return
        if not outing_had_client(outing, self.client):
            self.outing_id.errors = [OUTING_MESSAGE.format(initials=self.client.initials)]
            self.outing_id.data = None

    def _check_lengths(self) -> None:
        limits = {"place": ("Place", PLACE_LIMIT), "dish": ("Dish", DISH_LIMIT), **TEXT_FIELDS}
        for name, (label, limit) in limits.items():
            field = self[name]
            if len(field.data or "") > limit:
                self.too_long.append(label)
                over = len(field.data) - limit
                field.errors.append(
                    f"{_limit_message(label, limit)}: you have {over:,} too many. "
                    "Your text is still here"
                )

    def _check_cue_type(self) -> None:
        """Cue levels belong to cooking and shopping sessions. Rather than drop levels someone
        tapped and then changed the type (silently losing them), say so and keep both."""
        if self.activity_type.errors or self.activity_type.data in cues.CUE_TYPES:
            return
        if self.cue_levels():
            self.cue_overall.errors.append(CUE_TYPE_MESSAGE)

    def _combine_date_and_time(self) -> None:
        day, at = self.activity_date.data, self.activity_time.data
        if isinstance(day, date) and isinstance(at, time) and not self.activity_date.errors:
            self.activity_at = local_to_utc(day, at)

    def _check_duration(self) -> None:
        minutes = self.duration_minutes.data
        if minutes is None or self.duration_minutes.errors:
            return
        if minutes <= 0:
            self.duration_minutes.errors.append("Duration must be at least 1 minute")
        elif minutes > MAX_DURATION:
            self.duration_minutes.errors.append(
                f"Duration must be 12 hours ({MAX_DURATION} minutes) or less"
            )

    def _check_not_in_future(self) -> None:
        day = self.activity_date.data
        if day is not None and not self.activity_date.errors and day > clock.london_today():
            self.activity_date.errors.append("Date of the activity must be today or in the past")
        elif self.activity_at is not None and self.activity_at > clock.now():
            self.activity_time.errors.append("Start time must be in the past")

    def _check_complete(self) -> None:
        required = {
            "activity_date": "Enter the date of the activity",
            "activity_time": "Enter the time the activity started",
            "duration_minutes": "Enter how long the activity took, in minutes",
            "activity_type": "Choose the type of activity",
            "place": "Enter where the activity took place",
            "engagement": "Choose how engaged the client was",
        }
        for name, message in required.items():
            field = self[name]
            empty = field.data is None or (isinstance(field.data, str) and not field.data.strip())
            if empty and not field.errors:
                field.errors.append(message)
        if not any((self[name].data or "").strip() for name in TEXT_FIELDS):
            self.support_given.errors.append(
                "The note is empty: write what happened in at least one box, "
                "starting with support given"
            )

    # --- results ---------------------------------------------------------------------------

    def note_data(self) -> dict[str, Any]:
        """Parsed values for the service. In autosave mode, fields that did not parse are left
        out so that the server keeps what it had."""

        def ok(name: str) -> bool:
            return not self[name].errors

        data: dict[str, Any] = {}
        if ok("activity_date") and ok("activity_time"):
            data["activity_at"] = self.activity_at
        if ok("duration_minutes"):
            data["duration_minutes"] = self.duration_minutes.data
        for name in ("activity_type", "engagement"):
            if ok(name):
                data[name] = self[name].data or ""
        for name in ("place", "dish", *TEXT_FIELDS):
            if ok(name):
                data[name] = (self[name].data or "").strip()
        if ok("goal_ids"):
            data["goal_ids"] = list(self.goal_ids.data or [])
        data["ratings"] = self.ratings()
        if not self.cue_overall.errors or self.mode == "autosave":
            data["cues"] = self.cue_levels()
        data["outing_id"] = self.outing_id.data if ok("outing_id") else None
        return data


for _item in mohost.ITEMS.values():
    setattr(
        NoteForm,
        mohost_field_name(_item.key),
        RadioField(
            _item.name,
            choices=_rating_choices(),
            validators=[Optional()],
            invalid_choice_message=f"Choose F, A, I, R or not rated for {_item.name.lower()}",
        ),
    )


for _skill in cues.SKILLS:
    setattr(
        NoteForm,
        cue_field_name(_skill.key),
        RadioField(
            cues.full_name(_skill),
            choices=_cue_choices(),
            validators=[Optional()],
            invalid_choice_message=f"Choose a cue level from 0 to 5, or not rated, for "
            f"{cues.full_name(_skill).lower()}",
        ),
    )


def local_to_utc(day: date, at: time) -> datetime:
    """A wall-clock date and time in the UK as a UTC instant (GMT or BST as the date needs)."""
    return datetime.combine(day, at, tzinfo=clock.LONDON).astimezone(UTC)


def form_data_from_note(note) -> dict[str, Any]:
    """What a saved draft puts back in the form."""
    data: dict[str, Any] = {
        "idempotency_key": note.idempotency_key,
        "client_id": str(note.client_id),
        "outing_id": str(note.outing_id) if note.outing_id else "",
        "duration_minutes": note.duration_minutes,
        "activity_type": note.activity_type or None,
        "engagement": note.engagement or None,
        "place": note.place,
        "dish": note.dish,
        "goal_ids": [g.id for g in note.goals],
        **{name: getattr(note, name) for name in TEXT_FIELDS},
    }
    if note.activity_at is not None:
        local = clock.to_london(note.activity_at)
        data["activity_date"] = local.date()
        data["activity_time"] = local.time().replace(second=0, microsecond=0)
    else:
        # Only the full date and time are stored; until the time is typed, show the day the
        # draft was started, as the new note form did.
        data["activity_date"] = clock.to_london(note.created_at).date()
    for key, rating in note.rating_map.items():
        data[mohost_field_name(key)] = rating
    for key, level in note.cue_map.items():
        data[cue_field_name(key)] = str(level)
    return data


class AmendForm(FlaskForm):
    new_text = TextAreaField("Amended text")
    reason = TextAreaField(
        "Reason for the amendment",
        description="For example: wrong shop name; added a risk I forgot to record",
        validators=[
            DataRequired("Enter the reason for the amendment"),
            Length(max=REASON_LIMIT, message=_limit_message("Reason", REASON_LIMIT)),
        ],
    )

    def __init__(self, *args, field: str, current: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.field = field
        self.current = current
        label, self.limit = AMENDABLE[field]
        self.new_text.label.text = f"{label}: amended text"

    def validate_new_text(self, field) -> None:
        text = (field.data or "").strip()
        label = AMENDABLE[self.field][0]
        if len(text) > self.limit:
            raise ValidationError(
                f"{_limit_message(label, self.limit)}: you have {len(text) - self.limit:,} "
                "too many. Your text is still here"
            )
        if text == (self.current or "").strip():
            raise ValidationError(
                "The amended text is the same as what the note says now. "
                f"Change the {label.lower()} or go back"
            )


class AmendFactForm(FlaskForm):
    """Correct one fact of a signed note (type, date and time, duration, goals, engagement or
    MOHOST ratings) with a reason. Only the fact's own inputs are shown and checked; ``encoded``
    is the new value as the amendment row stores it."""

    activity_date = NoteForm.activity_date
    activity_time = NoteForm.activity_time
    duration_minutes = NoteForm.duration_minutes
    activity_type = NoteForm.activity_type
    engagement = NoteForm.engagement
    goal_ids = NoteForm.goal_ids
    reason = AmendForm.reason

    INPUTS = {
        "activity_at": ("activity_date", "activity_time"),
        "duration_minutes": ("duration_minutes",),
        "activity_type": ("activity_type",),
        "engagement": ("engagement",),
        "goals": ("goal_ids",),
        "mohost": tuple(mohost_field_name(key) for key in mohost.ITEMS),
        "cues": tuple(cue_field_name(skill.key) for skill in cues.SKILLS),
    }
    REQUIRED = {
        "activity_date": "Enter the date of the activity",
        "activity_time": "Enter the time the activity started",
        "duration_minutes": "Enter how long the activity took, in minutes",
        "activity_type": "Choose the type of activity",
        "engagement": "Choose how engaged the client was",
    }

    def __init__(
        self,
        *args,
        field: str,
        current: str,
        goals: list[ClientGoal] = (),
        cue_labels=None,
        **kwargs,
    ):
        super().__init__(*args, **kwargs)
        self.cue_labels = cue_labels or dict(cues.DEFAULT_LABELS)
        for skill in cues.SKILLS:
            self[cue_field_name(skill.key)].choices = _cue_choices(self.cue_labels)
        self.field = field
        self.current = current
        self.encoded = ""
        self.goal_ids.choices = [SelectChoice(g.id, g.text) for g in goals]

    @property
    def inputs(self):
        return [self[name] for name in self.INPUTS[self.field]]

    def fill(self, value) -> None:
        """Put the fact's current value in its inputs (the GET of the amend page)."""
        if self.field == "activity_at" and value is not None:
            local = clock.to_london(value)
            self.activity_date.data = local.date()
            self.activity_time.data = local.time().replace(second=0, microsecond=0)
        elif self.field == "goals":
            self.goal_ids.data = value
        elif self.field == "mohost":
            for key, rating in value.items():
                self[mohost_field_name(key)].data = rating
        elif self.field == "cues":
            for key, level in value.items():
                self[cue_field_name(key)].data = str(level)
        elif self.field in ("duration_minutes", "activity_type", "engagement"):
            self[self.field].data = value

    def validate(self, extra_validators=None) -> bool:
        super().validate(extra_validators)
        for field in self.inputs:
            empty = field.data in (None, "")
            if field.name in self.REQUIRED and empty and not field.errors:
                field.errors.append(self.REQUIRED[field.name])
        if any(f.errors for f in self.inputs):
            return False
        value = self._value()
        if value is None:
            return False
        self.encoded = encode(self.field, value)
        if self.encoded == self.current:
            self.inputs[0].errors.append(
                f"This is the same as what the note says now. Change the "
                f"{FACTS[self.field].lower()} or go back"
            )
        return not self.errors

    def _value(self):
        if self.field == "activity_at":
            at = local_to_utc(self.activity_date.data, self.activity_time.data)
            if at > clock.now():
                self.activity_time.errors.append("Date and time must be in the past")
                return None
            return at
        if self.field == "duration_minutes":
            minutes = self.duration_minutes.data
            if not 0 < minutes <= MAX_DURATION:
                self.duration_minutes.errors.append(
                    f"Duration must be 1 minute to 12 hours ({MAX_DURATION} minutes)"
                )
                return None
            return minutes
        if self.field == "goals":
            return list(self.goal_ids.data or [])
        if self.field == "mohost":
            fields = {key: self[mohost_field_name(key)] for key in mohost.ITEMS}
            return mohost.clean({key: f.data for key, f in fields.items()})
        if self.field == "cues":
            return cues.clean({s.key: self[cue_field_name(s.key)].data for s in cues.SKILLS})
        return self[self.field].data


for _item in mohost.ITEMS.values():
    setattr(
        AmendFactForm, mohost_field_name(_item.key), getattr(NoteForm, mohost_field_name(_item.key))
    )


for _skill in cues.SKILLS:
    setattr(
        AmendFactForm, cue_field_name(_skill.key), getattr(NoteForm, cue_field_name(_skill.key))
    )


class CountersignForm(FlaskForm):
    """Only the CSRF token: the note comes from the URL."""


class DiscardForm(FlaskForm):
    """Only the CSRF token: the note comes from the URL."""


class CueLabelsForm(FlaskForm):
    """A unit's wording of the six cue levels. The numbers are fixed; each needs some words."""

    def fill(self, labels) -> None:
        for level in cues.LEVELS:
            self[f"label_{level}"].data = labels[level]

    def label_fields(self):
        return [self[f"label_{level}"] for level in cues.LEVELS]

    def labels(self) -> dict[int, str]:
        return {level: (self[f"label_{level}"].data or "").strip() for level in cues.LEVELS}


for _level in cues.LEVELS:
    setattr(
        CueLabelsForm,
        f"label_{_level}",
        StringField(
            f"Level {_level}",
            description=f"Default: {cues.DEFAULT_LABELS[_level]}",
            validators=[
                DataRequired(f"Enter the words for level {_level}"),
                Length(
                    max=cues.LABEL_LIMIT,
                    message=_limit_message(f"Level {_level}", cues.LABEL_LIMIT),
                ),
            ],
            render_kw={"autocomplete": "off"},
        ),
    )
