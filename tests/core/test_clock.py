from datetime import UTC, datetime

from app.core import clock
from app.core.types import UTCDateTime


def test_times_show_in_uk_local_time_across_the_clock_changes():
    # Last Sunday of March 2026: 01:00 UTC becomes 02:00 BST.
    assert clock.format_datetime(datetime(2026, 3, 29, 0, 59, tzinfo=UTC)) == "29 Mar 2026, 00:59"
    assert clock.format_datetime(datetime(2026, 3, 29, 1, 0, tzinfo=UTC)) == "29 Mar 2026, 02:00"
    # Last Sunday of October 2026: 01:00 UTC is 01:00 GMT again.
    assert clock.format_datetime(datetime(2026, 10, 25, 0, 30, tzinfo=UTC)) == "25 Oct 2026, 01:30"
    assert clock.format_datetime(datetime(2026, 10, 25, 1, 30, tzinfo=UTC)) == "25 Oct 2026, 01:30"


def test_the_clock_can_be_replaced_and_restored():
    fixed = datetime(2026, 6, 1, 23, 30, tzinfo=UTC)
    clock.set_clock(lambda: fixed)
    assert clock.now() == fixed
    assert clock.london_today().isoformat() == "2026-06-02"  # 00:30 BST
    clock.set_clock(None)
    assert clock.now() != fixed


def test_utc_columns_refuse_naive_datetimes_and_return_aware_ones():
    column = UTCDateTime()

    class Dialect:
        name = "sqlite"

    import pytest

    with pytest.raises(ValueError):
        column.process_bind_param(datetime(2026, 1, 1), Dialect())
    stored = column.process_bind_param(datetime(2026, 7, 1, 12, 0, tzinfo=clock.LONDON), Dialect())
    assert stored == datetime(2026, 7, 1, 11, 0)
    assert column.process_result_value(stored, Dialect()).tzinfo is UTC
