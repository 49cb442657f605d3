"""Turn WTForms fields into parameters for the NHS.UK frontend macros.

Templates call ``{{ nhsukInput(input_params(form.name)) }}``: one mapping for every form, so
labels, hints, error messages and the user's own input are always rendered the same way.
"""

from typing import Any

from wtforms import BooleanField, Field, Form, SelectFieldBase, SelectMultipleField
from wtforms.fields.choices import SelectChoice
from wtforms.widgets import CheckboxInput, ListWidget

INPUT_PARAM_KEYS = {"autocomplete", "inputmode", "spellcheck", "autocapitalize", "type", "pattern"}


class MultiCheckboxField(SelectMultipleField):
    """A multi-select drawn as checkboxes (rendered with ``checkbox_params``)."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


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
