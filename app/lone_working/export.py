"""The month's outings as CSV: no names of clients, formula-injection safe."""

import csv
import io
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from app.core import clock
from app.core.csvsafe import csv_safe
from app.extensions import db
from app.lone_working.models import (
    Outing,
)
from app.lone_working.outings import OUTCOMES
from app.lone_working.planning import LEVEL_ORDER

CSV_FIELDS = [
    "outing",
    "unit",
    "worker",
    "co-workers",
    "clients (initials)",
    "destination",
    "purpose",
    "transport",
    "checked out",
    "expected return",
    "checked in",
    "minutes out",
    "extensions",
    "highest alert",
    "sos",
    "outcome",
]


def month_csv(unit_id: int, year: int, month: int) -> str:
    start = datetime(year, month, 1, tzinfo=clock.LONDON)
    end = datetime(year + (month == 12), month % 12 + 1, 1, tzinfo=clock.LONDON)
    outings = db.session.scalars(
        select(Outing)
        .where(
            Outing.unit_id == unit_id, Outing.checked_out_at >= start, Outing.checked_out_at < end
        )
        .order_by(Outing.checked_out_at)
        .options(
            selectinload(Outing.steps),
            selectinload(Outing.events),
            selectinload(Outing.clients),
            selectinload(Outing.coworkers),
        )
    ).all()
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(CSV_FIELDS)
    for o in outings:
        back = o.checked_in_at or o.resolved_at
        writer.writerow(
            [
                csv_safe(v)
                for v in (
                    o.id,
                    o.unit.name,
                    o.worker.name,
                    len(o.coworkers),
                    o.client_initials,
                    o.destination,
                    o.purpose,
                    o.transport,
                    clock.format_datetime(o.checked_out_at),
                    clock.format_datetime(o.expected_return),
                    clock.format_datetime(o.checked_in_at),
                    int((back - o.checked_out_at).total_seconds() // 60) if back else "",
                    sum(1 for e in o.events if e.kind == "extended"),
                    max((s.level for s in o.steps), key=LEVEL_ORDER.__getitem__, default="none"),
                    "yes" if o.sos_at else "no",
                    OUTCOMES.get(o.outcome, o.status),
                )
            ]
        )
    return buffer.getvalue()
