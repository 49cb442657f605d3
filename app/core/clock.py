"""The one clock the app reads: tests replace it with ``set_clock``.

Code never calls datetime.now() itself."""

import re
from collections.abc import Callable
from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

LONDON = ZoneInfo("Europe/London")


def _system_now() -> datetime:
    return datetime.now(UTC)


_now: Callable[[], datetime] = _system_now


def now() -> datetime:
    """The current time, timezone-aware, in UTC."""
    return _now().astimezone(UTC)


def set_clock(fn: Callable[[], datetime] | None) -> None:
    """Replace the clock (tests); ``None`` restores the system clock."""
    global _now
    _now = fn or _system_now


def to_london(value: datetime) -> datetime:
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(LONDON)


def london_today() -> date:
    return to_london(now()).date()


def format_datetime(value: datetime | None) -> str:
    """'24 Nov 2026, 13:05' in UK local time (GMT or BST as the date requires)."""
    if value is None:
        return ""
    local = to_london(value)
    return f"{local.day} {local:%b %Y}, {local:%H:%M}"


def format_time(value: datetime | None) -> str:
    """'14:05' in UK local time."""
    return "" if value is None else f"{to_london(value):%H:%M}"


def format_date(value: date | datetime | None) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        value = to_london(value).date()
    return f"{value.day} {value:%B %Y}"


# --- parsing what people send ---------------------------------------------------------------
# One parser per kind, each with a range, so a date typed as 0001-01-01 or 9999-12-31 is a form
# error rather than an overflow when it is moved between UTC and UK time.

FIRST_YEAR = 1900
LAST_YEAR = 2100
_DATE = re.compile(r"([0-9]{4})-([0-9]{2})-([0-9]{2})")
_TIME = re.compile(r"([0-9]{1,2})[:.]([0-9]{2})")
_MONTH = re.compile(r"([0-9]{4})-([0-9]{2})")


def _in_range(day: date) -> date:
    if not FIRST_YEAR <= day.year <= LAST_YEAR:
        raise ValueError(f"The date must be between {FIRST_YEAR} and {LAST_YEAR}")
    return day


def parse_date(text: str) -> date:
    """'2026-11-24' (ASCII digits only, years FIRST_YEAR to LAST_YEAR), or ValueError."""
    match = _DATE.fullmatch((text or "").strip())
    if not match:
        raise ValueError("Enter a real date, like 2026-11-24")
    try:
        day = date(*(int(part) for part in match.groups()))
    except ValueError:
        raise ValueError("Enter a real date, like 2026-11-24") from None
    return _in_range(day)


def parse_time(text: str) -> time:
    """'14:30' or '14.30' on the 24-hour clock (ASCII digits only), or ValueError."""
    match = _TIME.fullmatch((text or "").strip())
    if not match:
        raise ValueError("Enter a real time, like 14:30")
    try:
        return time(int(match[1]), int(match[2]))
    except ValueError:
        raise ValueError("Enter a real time, like 14:30") from None


def parse_month(text: str) -> tuple[int, int]:
    """'2026-11' as (2026, 11), in the same range of years as dates, or ValueError."""
    match = _MONTH.fullmatch((text or "").strip())
    if not match:
        raise ValueError("Enter a month, like 2026-11")
    try:
        day = date(int(match[1]), int(match[2]), 1)
    except ValueError:
        raise ValueError("Enter a month, like 2026-11") from None
    _in_range(day)
    return day.year, day.month


def parse_datetime(text: str) -> datetime:
    """An ISO 8601 date and time ('2026-11-24T14:30', with or without a zone or 'Z'), as UTC.

    Without a zone it is UK local time. ASCII digits only, in the range of ``parse_date``, so the
    conversion to UTC cannot overflow. Raises ValueError.
    """
    raw = (text or "").strip()
    if not raw.isascii() or not _DATE.match(raw):
        raise ValueError("Enter a real date and time, like 2026-11-24T14:30")
    try:
        value = datetime.fromisoformat(raw.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        raise ValueError("Enter a real date and time, like 2026-11-24T14:30") from None
    _in_range(value.date())
    if value.tzinfo is None:
        value = value.replace(tzinfo=LONDON)
    return value.astimezone(UTC)
