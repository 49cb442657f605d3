"""The one clock the app reads: tests replace it with ``set_clock``.

Code never calls datetime.now() itself."""

from collections.abc import Callable
from datetime import UTC, date, datetime
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
