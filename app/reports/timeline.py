"""A client's timeline: every kind of record about them, newest first, one page at a time.

Each kind of record has ONE source function here. A source yields uniform ``Row``s (kind, at,
id, a title that never names the client, a link) newest first, after a keyset cursor, at most
``limit`` of them; ``page`` merges the sources. Pages are cut by the keyset (at, kind, id), never
by OFFSET: a record added while someone reads the timeline cannot shift the next page (no gaps,
no repeats), and each page costs one query per source whatever the client's history holds.

Adding a kind is one source function and one line in ``SOURCES``. Reports is the one area that
reads across features: meal plans and shop trips (app/meals), cue levels (app/notes) and huddle
risk flags (app/huddles) are read here, never written.
"""

import heapq
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from itertools import islice

from sqlalchemy import and_, func, or_, select, true

from app.clients.models import Client
from app.core import clock
from app.core.forms import is_ascii_digits, parse_id
from app.extensions import db
from app.huddles.models import FLAGS, Huddle, HuddleFlag
from app.lone_working.models import Outing, outing_clients
from app.meals.models import MealWeek, PlannedMeal, ShopTrip
from app.notes import cues
from app.notes.models import ACTIVITY_TYPES, SIGNED, Note, NoteAmendment, NoteCue, NoteRating
from app.notes.models import decode as decode_field

PAGE_SIZE = 25
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
ONE_MICROSECOND = timedelta(microseconds=1)
COOKING = "cooking"

# Kind -> what the filter calls it. Clinical kinds are hidden from administrators.
KINDS: dict[str, str] = {
    "outing": "Outings",
    "note": "Activity notes",
    "cooking": "Cooking sessions",
    "mohost": "MOHOST ratings",
    "meal_plan": "Meal plans",
    "shop_trip": "Shop trips",
    "huddle_flag": "Huddle risk flags",
}
# Clinical kinds: a shop trip carries the cue level needed and a huddle flag its reason. A meal
# plan row holds no clinical text, but its page is for clinical staff only (administrators may
# not open it), so administrators are not offered it either.
CLINICAL_KINDS = frozenset({"note", "cooking", "mohost", "meal_plan", "shop_trip", "huddle_flag"})


@dataclass(frozen=True)
class Row:
    kind: str
    at: datetime
    id: int
    title: str
    detail: str = ""
    endpoint: str | None = None  # the record's own page, linked by id
    link_args: tuple[tuple[str, int], ...] = ()

    @property
    def key(self) -> tuple[datetime, str, int]:
        return (self.at, self.kind, self.id)

    @property
    def kind_label(self) -> str:
        return KINDS.get(self.kind, self.kind)


@dataclass(frozen=True)
class Cursor:
    """Where the last page ended: rows strictly after this key (newest first) come next."""

    at: datetime
    kind: str
    id: int

    def encode(self) -> str:
        return f"{(self.at - EPOCH) // ONE_MICROSECOND}.{self.kind}.{self.id}"

    @classmethod
    def decode(cls, text: str | None) -> "Cursor | None":
        """A cursor from a URL, or None for anything that is not one (the first page)."""
        parts = (text or "").split(".")
        if len(parts) != 3 or parts[1] not in KINDS:
            return None
        micros, kind, raw_id = parts
        record_id = parse_id(raw_id)
        if not is_ascii_digits(micros) or len(micros) > 17 or record_id is None:
            return None
        at = EPOCH + timedelta(microseconds=int(micros))
        if at.year > clock.LAST_YEAR:
            return None
        return cls(at, kind, record_id)

    @classmethod
    def after(cls, row: Row) -> "Cursor":
        return cls(row.at, row.kind, row.id)


@dataclass(frozen=True)
class Filters:
    kinds: frozenset[str]
    start: date | None = None  # UK dates, inclusive
    end: date | None = None

    @property
    def start_utc(self) -> datetime | None:
        return _london_midnight(self.start) if self.start else None

    @property
    def end_utc(self) -> datetime | None:
        return _london_midnight(self.end + timedelta(days=1)) if self.end else None


def _london_midnight(day: date) -> datetime:
    return datetime.combine(day, time(0), tzinfo=clock.LONDON).astimezone(UTC)


def _before(at_col, id_col, kind: str, cursor: Cursor | None):
    """Rows of one kind whose key (at, kind, id) sorts after ``cursor``, newest first."""
    if cursor is None:
        return true()
    if kind < cursor.kind:
        return at_col <= cursor.at
    if kind > cursor.kind:
        return at_col < cursor.at
    return or_(at_col < cursor.at, and_(at_col == cursor.at, id_col < cursor.id))


def _in_range(at_col, filters: Filters):
    conditions = []
    if filters.start_utc:
        conditions.append(at_col >= filters.start_utc)
    if filters.end_utc:
        conditions.append(at_col < filters.end_utc)
    return and_(true(), *conditions)


Source = Callable[[Client, Filters, Cursor | None, int], Iterable[Row]]


def outings(client: Client, filters: Filters, cursor: Cursor | None, limit: int) -> list[Row]:
    """Lone-working outings the client went on (not clinical: the board shows them)."""
    at = Outing.checked_out_at
    query = (
        select(Outing.id, at, Outing.destination, Outing.checked_in_at, Outing.resolved_at)
        .join(outing_clients, outing_clients.c.outing_id == Outing.id)
        .where(
            outing_clients.c.client_id == client.id,
            _in_range(at, filters),
            _before(at, Outing.id, "outing", cursor),
        )
        .order_by(at.desc(), Outing.id.desc())
        .limit(limit)
    )
    rows = []
    for outing_id, out_at, destination, back_at, resolved_at in db.session.execute(query):
        end = back_at or resolved_at
        detail = f"{_minutes(out_at, end)} minutes in the community" if end else "Not back yet"
        rows.append(
            Row(
                "outing",
                out_at,
                outing_id,
                f"Outing to {destination}",
                detail,
                "lone_working.outing",
                (("outing_id", outing_id),),
            )
        )
    return rows


def _notes(client: Client, filters: Filters, cursor, limit: int, kind: str) -> list[Row]:
    at = Note.activity_at
    is_cooking = Note.activity_type == COOKING
    columns = [Note.id, at, Note.activity_type, Note.duration_minutes, Note.place]
    if kind == "cooking":
        # The overall cue level as signed and the latest signed amendment to the cue section
        # (which wins), in the same statement: the page costs one query whatever it holds.
        signed_level = (
            select(NoteCue.level)
            .where(NoteCue.note_id == Note.id, NoteCue.skill_key == cues.OVERALL.key)
            .correlate(Note)
            .scalar_subquery()
        )
        amended = (
            select(NoteAmendment.new_text)
            .where(NoteAmendment.note_id == Note.id, NoteAmendment.field == "cues")
            .order_by(NoteAmendment.signed_at.desc(), NoteAmendment.id.desc())
            .limit(1)
            .correlate(Note)
            .scalar_subquery()
        )
        columns += [signed_level, amended]
    query = (
        select(*columns)
        .where(
            Note.client_id == client.id,
            Note.status == SIGNED,
            at.is_not(None),
            is_cooking if kind == "cooking" else ~is_cooking,
            _in_range(at, filters),
            _before(at, Note.id, kind, cursor),
        )
        .order_by(at.desc(), Note.id.desc())
        .limit(limit)
    )
    rows = []
    for note_id, when, activity_type, minutes, place, *cue in db.session.execute(query):
        label = ACTIVITY_TYPES.get(activity_type, "Activity")
        title = "Cooking session" if kind == "cooking" else f"Activity note: {label}"
        parts = [place, f"{minutes} minutes" if minutes else ""]
        if kind == "cooking":
            signed, amended_text = cue
            level = (
                decode_field("cues", amended_text).get(cues.OVERALL.key)
                if amended_text is not None
                else signed
            )
            parts.append(
                "overall cue level not rated" if level is None else f"overall cue level {level}"
            )
        detail = ", ".join(p for p in parts if p)
        rows.append(Row(kind, when, note_id, title, detail, "notes.show", (("note_id", note_id),)))
    return rows


def notes(client: Client, filters: Filters, cursor: Cursor | None, limit: int) -> list[Row]:
    """Signed activity notes other than cooking sessions."""
    return _notes(client, filters, cursor, limit, "note")


def cooking(client: Client, filters: Filters, cursor: Cursor | None, limit: int) -> list[Row]:
    """Cooking sessions: signed notes of type cooking (their cue levels, once recorded, are a
    section of the note and belong in this row's detail)."""
    return _notes(client, filters, cursor, limit, "cooking")


def mohost_ratings(client: Client, filters: Filters, cursor: Cursor | None, limit: int):
    """Signed notes that rated MOHOST items, with how many items they rated."""
    at = Note.activity_at
    query = (
        select(Note.id, at, func.count(NoteRating.id))
        .join(NoteRating, NoteRating.note_id == Note.id)
        .where(
            Note.client_id == client.id,
            Note.status == SIGNED,
            at.is_not(None),
            _in_range(at, filters),
            _before(at, Note.id, "mohost", cursor),
        )
        .group_by(Note.id, at)
        .order_by(at.desc(), Note.id.desc())
        .limit(limit)
    )
    return [
        Row(
            "mohost",
            when,
            note_id,
            "MOHOST ratings",
            f"{count} of 24 items rated",
            "notes.show",
            (("note_id", note_id),),
        )
        for note_id, when, count in db.session.execute(query)
    ]


def meal_plans(client: Client, filters: Filters, cursor: Cursor | None, limit: int) -> list[Row]:
    """Weeks with at least one meal planned. A week sits at the moment its plan was first
    saved (``created_at``), not at its Monday: that is when the planning happened (often the
    week before), it is a real timestamp column the keyset can use, and a plan made late in
    the week does not appear to predate the sessions that led to it."""
    at = MealWeek.created_at
    meals = (
        select(func.count(PlannedMeal.id))
        .where(PlannedMeal.week_id == MealWeek.id)
        .correlate(MealWeek)
        .scalar_subquery()
    )
    query = (
        select(MealWeek.id, at, MealWeek.week_start, MealWeek.budget_pence, meals)
        .where(
            MealWeek.client_id == client.id,
            meals > 0,
            _in_range(at, filters),
            _before(at, MealWeek.id, "meal_plan", cursor),
        )
        .order_by(at.desc(), MealWeek.id.desc())
        .limit(limit)
    )
    rows = []
    for week_id, when, week_start, budget, count in db.session.execute(query):
        detail = f"{count} meal{'s' if count != 1 else ''} planned"
        if budget is not None:
            detail += f", budget {_pounds(budget)}"
        rows.append(
            Row(
                "meal_plan",
                when,
                week_id,
                f"Meal plan for the week of {clock.format_date(week_start)}",
                detail,
                "meals.week",
                (("client_id", client.id), ("week", week_start.isoformat())),
            )
        )
    return rows


def shop_trips(client: Client, filters: Filters, cursor: Cursor | None, limit: int) -> list[Row]:
    """Shop trips recorded against the client's meal weeks, with the spend and cue level."""
    at = ShopTrip.trip_at
    query = (
        select(ShopTrip.id, at, ShopTrip.shop, ShopTrip.spent_pence, ShopTrip.cue_level)
        .add_columns(MealWeek.week_start)
        .join(MealWeek, MealWeek.id == ShopTrip.week_id)
        .where(
            MealWeek.client_id == client.id,
            _in_range(at, filters),
            _before(at, ShopTrip.id, "shop_trip", cursor),
        )
        .order_by(at.desc(), ShopTrip.id.desc())
        .limit(limit)
    )
    rows = []
    for trip_id, when, shop, spent, level, week_start in db.session.execute(query):
        detail = f"Spent {_pounds(spent)}"
        if level is not None:
            detail += f", cue level {level}"
        rows.append(
            Row(
                "shop_trip",
                when,
                trip_id,
                f"Shop trip to {shop}",
                detail,
                "meals.week",
                (("client_id", client.id), ("week", week_start.isoformat())),
            )
        )
    return rows


# Flags the timeline shows: every amber or red flag (the risk in each huddle that held it), and
# a step back down to green from one (so the timeline shows when a risk was stood down).
RISK_FLAGS = ("amber", "red")


def huddle_flags(client: Client, filters: Filters, cursor: Cursor | None, limit: int) -> list[Row]:
    """The client's amber/red flags in safety huddles and each change back to green, at the
    huddle's start (the moment the team discussed it); the reason is the detail."""
    at = Huddle.started_at
    query = (
        select(HuddleFlag.id, at, HuddleFlag.value, HuddleFlag.previous_value, HuddleFlag.reason)
        .add_columns(Huddle.id, Huddle.shift)
        .join(Huddle, Huddle.id == HuddleFlag.huddle_id)
        .where(
            HuddleFlag.client_id == client.id,
            Huddle.unit_id == client.unit_id,
            or_(
                HuddleFlag.value.in_(RISK_FLAGS),
                HuddleFlag.previous_value.in_(RISK_FLAGS),
            ),
            _in_range(at, filters),
            _before(at, HuddleFlag.id, "huddle_flag", cursor),
        )
        .order_by(at.desc(), HuddleFlag.id.desc())
        .limit(limit)
    )
    rows = []
    for flag_id, when, value, previous, reason, huddle_id, _shift in db.session.execute(query):
        label = FLAGS.get(value, value)
        if previous and previous != value:
            title = f"Huddle flag changed: {FLAGS.get(previous, previous)} to {label}"
        else:
            title = f"Huddle flag: {label}"
        rows.append(
            Row(
                "huddle_flag",
                when,
                flag_id,
                title,
                reason or "No reason recorded",
                "huddles.show",
                (("huddle_id", huddle_id),),
            )
        )
    return rows


def _pounds(pence: int) -> str:
    return f"£{pence // 100}.{pence % 100:02d}"


# One source per kind.
SOURCES: dict[str, Source] = {
    "outing": outings,
    "note": notes,
    "cooking": cooking,
    "mohost": mohost_ratings,
    "meal_plan": meal_plans,
    "shop_trip": shop_trips,
    "huddle_flag": huddle_flags,
}


def _minutes(start: datetime, end: datetime) -> int:
    return max(int((end - start).total_seconds() // 60), 0)


@dataclass(frozen=True)
class Page:
    rows: list[Row]
    next_cursor: Cursor | None


def page(
    client: Client, filters: Filters, cursor: Cursor | None = None, size: int = PAGE_SIZE
) -> Page:
    """The next ``size`` rows after ``cursor`` across the chosen kinds, newest first."""
    streams = [
        SOURCES[kind](client, filters, cursor, size + 1)
        for kind in sorted(filters.kinds)
        if kind in SOURCES
    ]
    merged = list(islice(heapq.merge(*streams, key=lambda r: r.key, reverse=True), size + 1))
    rows = merged[:size]
    more = len(merged) > size
    return Page(rows, Cursor.after(rows[-1]) if more and rows else None)


def all_rows(client: Client, filters: Filters, limit: int = 5000) -> list[Row]:
    """Every row in the filters, newest first (the CSV download), up to ``limit``."""
    return page(client, filters, None, limit).rows
