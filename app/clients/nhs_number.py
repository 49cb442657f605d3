"""NHS numbers: 10 digits, the last a Modulus 11 check digit."""

import re

from app.core.forms import is_ascii_digits

_SEPARATORS = re.compile(r"[\s-]")


def normalise(value: str) -> str:
    """Strip spaces and hyphens: '943 476 5919' -> '9434765919'."""
    return _SEPARATORS.sub("", value or "")


def check_digit(first_nine: str) -> int | None:
    """The Modulus 11 check digit for nine digits, or None when the result would be 10 (invalid)."""
    total = sum(int(d) * w for d, w in zip(first_nine, range(10, 1, -1), strict=True))
    digit = 11 - (total % 11)
    if digit == 11:
        return 0
    if digit == 10:
        return None
    return digit


def is_valid(value: str) -> bool:
    number = normalise(value)
    if len(number) != 10 or not is_ascii_digits(number):
        return False
    return check_digit(number[:9]) == int(number[9])


def problem(value: str) -> str | None:
    """What is wrong with an NHS number, in words a person can act on, or None."""
    number = normalise(value)
    if not number:
        return "Enter the NHS number"
    if not is_ascii_digits(number):
        return "NHS number must contain only numbers"
    if len(number) != 10:
        return "NHS number must be 10 digits"
    if not is_valid(number):
        return "Enter a valid NHS number: check it has been typed correctly"
    return None


def format_334(value: str) -> str:
    """Show as 3-3-4: '943 476 5919'."""
    number = normalise(value)
    if len(number) != 10:
        return value or ""
    return f"{number[:3]} {number[3:6]} {number[6:]}"
