"""Forms: how every form reads a request, the shared fields and parsers, and the mapping of
WTForms fields to the NHS.UK frontend macros.

Input is parsed in one place per kind: record ids (``parse_id``, ``IdField``, ``coerce_id``),
whole numbers in ASCII digits (``parse_int``, ``IntegerField``) and dates and times
(``DateField``, ``TimeField``, through ``app.core.clock``'s parsers with a range).

Templates call ``{{ nhsukInput(input_params(form.name)) }}``: one mapping for every form, so
labels, hints, error messages and the user's own input are always rendered the same way.
"""

from datetime import date, time
from typing import Any

import flask_wtf
from flask import has_request_context, request
from wtforms import BooleanField, Field, Form, SelectFieldBase, SelectMultipleField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.widgets import CheckboxInput, HiddenInput, ListWidget, TextInput

from app.core import clock

# Ids are 1 ... 2^31 - 1: PostgreSQL's integer, and what SQLite and PostgreSQL agree on.
MAX_ID = 2**31 - 1
FILE_MESSAGE = "This box takes typed text, not a file"
NUL_MESSAGE = (
    "This box had a character that cannot be saved (a null character). It has been taken out: "
    "check your text and send it again"
)


def is_ascii_digits(text: str) -> bool:
    """True for '0'-'9' only: str.isdigit() also accepts '²' and other scripts' digits."""
    return bool(text) and text.isascii() and text.isdigit()


def parse_int(value: Any, low: int, high: int) -> int | None:
    """A whole number typed in ASCII digits, from ``low`` to ``high``; otherwise None."""
    if isinstance(value, int) and not isinstance(value, bool):
        number = value
    else:
        text = value.strip() if isinstance(value, str) else ""
        if not is_ascii_digits(text) or len(text) > 12:
            return None
        number = int(text)
    return number if low <= number <= high else None


def parse_id(value: Any) -> int | None:
    """A record id (1 ... MAX_ID) from a form, a query string or a URL; otherwise None."""
    return parse_int(value, 1, MAX_ID)


def parse_id_list(value: str, limit: int = 20) -> list[int]:
    """'3,5,8' as [3, 5, 8]: valid ids only, each once, at most ``limit``."""
    ids: list[int] = []
    for part in (value or "").split(","):
        number = parse_id(part)
        if number is not None and number not in ids:
            ids.append(number)
    return ids[:limit]


def coerce_id(value: Any) -> int:
    """``coerce`` for selects and checkboxes of records: an id, or 0 for "none chosen"."""
    number = parse_int(value, 0, MAX_ID)
    if number is None:
        raise ValueError("not a record id")
    return number


def coerce_optional_int(value: Any) -> int | None:
    """``coerce`` for a select of numbers with an empty "none" choice (minutes, say)."""
    if value is None or value == "":
        return None
    return coerce_id(value)


class FlaskForm(flask_wtf.FlaskForm):
    """The base of every form: it reads only the request's text fields.

    A file sent where a form expects text, or text holding a NUL character (which PostgreSQL
    refuses), is a field error like any other: the form answers 422 with the rest of what was
    typed kept. ``app.core.security.InputGuard`` takes both out of the request before anything
    reads it and says which fields had them.
    """

    class Meta(flask_wtf.FlaskForm.Meta):
        def wrap_formdata(self, form, formdata):
            if formdata is flask_wtf.form._Auto:
                # Never files or JSON: no form takes them.
                return request.form if request.method in flask_wtf.form.SUBMIT_METHODS else None
            return formdata

    def validate(self, extra_validators=None) -> bool:
        ok = super().validate(extra_validators)
        if not has_request_context():
            return ok
        refused = getattr(request, "refused_fields", {})
        for name, message in refused.items():
            if name in self._fields:
                # The real reason first: "Enter your email address" would only puzzle.
                others = [e for e in self[name].errors if e != message]
                self[name].errors = [message, *others]
                ok = False
        return ok


INPUT_PARAM_KEYS = {"autocomplete", "inputmode", "spellcheck", "autocapitalize", "type", "pattern"}


class MultiCheckboxField(SelectMultipleField):
    """A multi-select drawn as checkboxes (rendered with ``checkbox_params``). Its data is
    always a list, empty when nothing is ticked; an empty value is nothing ticked."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()

    def process_formdata(self, valuelist):
        super().process_formdata([v for v in valuelist if v != ""])

    def process_data(self, value):
        super().process_data(value)
        if self.data is None:
            self.data = []

    def post_validate(self, form, validation_stopped):
        if self.data is None:
            self.data = []


class IdField(StringField):
    """A record id in a hidden input: ``data`` is the id, or None when absent or not an id
    (with a field error when something was sent)."""

    widget = HiddenInput()

    def __init__(self, label=None, validators=None, invalid_message="", **kwargs):
        super().__init__(label, validators, **kwargs)
        self.invalid_message = invalid_message or "This form refers to a record that is not there"

    def _value(self) -> str:
        return "" if self.data is None else str(self.data)

    def process_data(self, value):
        self.data = parse_id(value)

    def process_formdata(self, valuelist):
        if not valuelist or not valuelist[0].strip():
            self.data = None
            return
        self.data = parse_id(valuelist[0])
        if self.data is None:
            raise ValueError(self.invalid_message)


class IntegerField(StringField):
    """A whole number typed in ASCII digits (a leading minus allowed), from ``low`` to ``high``:
    anything else is the field's ``invalid_value_message``, with what was typed kept."""

    widget = TextInput()

    def __init__(
        self,
        label=None,
        validators=None,
        invalid_value_message="Enter a whole number",
        low: int = -MAX_ID,
        high: int = MAX_ID,
        **kwargs,
    ):
        super().__init__(label, validators, **kwargs)
        self.invalid_value_message = invalid_value_message
        self.low, self.high = low, high

    def _value(self) -> str:
        if self.raw_data:
            return self.raw_data[0]
        return "" if self.data is None else str(self.data)

    def process_data(self, value):
        self.data = value if isinstance(value, int) else None

    def process_formdata(self, valuelist):
        self.data = None
        text = valuelist[0].strip() if valuelist else ""
        if not text:
            return
        negative = text.startswith("-")
        number = parse_int(text[1:] if negative else text, 0, MAX_ID)
        if number is None:
            raise ValueError(self.invalid_value_message)
        number = -number if negative else number
        if not self.low <= number <= self.high:
            raise ValueError(self.invalid_value_message)
        self.data = number


class _ParsedField(StringField):
    """A date or time typed as text and parsed by ``app.core.clock`` (ASCII digits, a range)."""

    html_format = ""

    def __init__(self, label=None, validators=None, invalid_value_message=None, **kwargs):
        kwargs.pop("format", None)  # one format: the one the HTML input sends
        super().__init__(label, validators, **kwargs)
        self.invalid_value_message = invalid_value_message

    def _value(self) -> str:
        if self.raw_data:
            return " ".join(self.raw_data)
        return self.data.strftime(self.html_format) if self.data else ""

    def process_data(self, value):
        self.data = value if isinstance(value, (date, time)) else None

    def process_formdata(self, valuelist):
        self.data = None
        text = " ".join(valuelist).strip() if valuelist else ""
        if not text:
            return
        try:
            self.data = self.parse(text)
        except ValueError as error:
            raise ValueError(self.invalid_value_message or str(error)) from None

    def parse(self, text: str):
        raise NotImplementedError


class DateField(_ParsedField):
    """A date (YYYY-MM-DD, as <input type="date"> sends it) from 1900 to 2100."""

    html_format = "%Y-%m-%d"
    parse = staticmethod(clock.parse_date)


class TimeField(_ParsedField):
    """A time on the 24-hour clock (HH:MM)."""

    html_format = "%H:%M"
    parse = staticmethod(clock.parse_time)


def choices(pairs) -> list[SelectChoice]:
    """(value, label) pairs as WTForms choices."""
    return [SelectChoice(value, label) for value, label in pairs]


def _common(field: Field, label_size: str | None) -> dict[str, Any]:
    params: dict[str, Any] = {"id": field.id, "name": field.name}
    label: dict[str, Any] = {"text": field.label.text}
    if label_size:
        label["size"] = label_size
    params["label"] = label
    if field.description:
        params["hint"] = {"text": field.description}
    if field.errors:
        params["errorMessage"] = {"text": first_error(field)}
    return params


def first_error(field: Field) -> str:
    return next((e for e in field.errors if e), "")


def input_params(field: Field, label_size: str | None = "s", **extra: Any) -> dict[str, Any]:
    params = _common(field, label_size)
    params["value"] = field._value()
    attributes: dict[str, Any] = {}
    for key, value in (field.render_kw or {}).items():
        (params if key in INPUT_PARAM_KEYS else attributes).__setitem__(key, value)
    if field.type == "EmailField":
        params.setdefault("type", "email")
    elif field.type == "PasswordField":
        params["type"] = "password"
    elif field.type == "DateField":
        params["type"] = "date"
    attributes.update(extra.pop("attributes", {}))
    if attributes:
        params["attributes"] = attributes
    params.update(extra)
    return params


def select_params(
    field: SelectFieldBase, label_size: str | None = "s", **extra: Any
) -> dict[str, Any]:
    params = _common(field, label_size)
    params["items"] = [
        {"value": choice.value, "text": choice.label, "selected": choice.selected}
        for choice in field.iter_choices()
    ]
    params.update(extra)
    return params


def checkbox_params(field: Field, **extra: Any) -> dict[str, Any]:
    """A single yes/no checkbox (BooleanField) or a group (a multi-select of checkboxes)."""
    if isinstance(field, BooleanField):
        items = [{"value": "y", "text": field.label.text, "checked": bool(field.data)}]
        params: dict[str, Any] = {"idPrefix": field.id, "name": field.name, "items": items}
        if field.description:
            params["hint"] = {"text": field.description}
    else:
        chosen = set(field.data or [])
        items = [
            {"value": choice.value, "text": choice.label, "checked": choice.value in chosen}
            for choice in field.iter_choices()
        ]
        params = {
            "idPrefix": field.id,
            "name": field.name,
            "items": items,
            "fieldset": {"legend": {"text": field.label.text, "size": "s"}},
        }
        if field.description:
            params["hint"] = {"text": field.description}
    if field.errors:
        params["errorMessage"] = {"text": first_error(field)}
    params.update(extra)
    return params


def radio_params(
    field: SelectFieldBase, label_size: str | None = "s", **extra: Any
) -> dict[str, Any]:
    """A radios group in a fieldset whose legend is the field's label. No conditional reveals:
    nhsuk-frontend marks them aria-expanded, which axe reports as a critical ARIA misuse."""
    items = [
        {"value": choice.value, "text": choice.label, "checked": bool(choice.selected)}
        for choice in field.iter_choices()
    ]
    legend: dict[str, Any] = {"text": field.label.text}
    if label_size:
        legend["size"] = label_size
    params: dict[str, Any] = {
        "idPrefix": field.id,
        "name": field.name,
        "items": items,
        "fieldset": {"legend": legend},
    }
    if field.description:
        params["hint"] = {"text": field.description}
    if field.errors:
        params["errorMessage"] = {"text": first_error(field)}
    params.update(extra)
    return params


def error_list(form: Form) -> list[dict[str, str]]:
    """Items for the NHS error summary: form-level errors first, then each field's first error."""
    items = [
        {"text": e, "href": f"#{_first_field_id(form)}"} for e in getattr(form, "form_errors", [])
    ]
    for field in form:
        if field.errors and first_error(field):
            items.append({"text": first_error(field), "href": f"#{field.id}"})
    return items


def _first_field_id(form: Form) -> str:
    for field in form:
        if field.type not in ("CSRFTokenField", "HiddenField"):
            return field.id
    return "maincontent"


TEMPLATE_GLOBALS = {
    "input_params": input_params,
    "select_params": select_params,
    "checkbox_params": checkbox_params,
    "radio_params": radio_params,
    "error_list": error_list,
}
