"""The unit's statistics by week or month: contacts, outings and minutes in the community,
lone-working extensions, alerts and how fast they were acknowledged, cooking sessions by overall
cue level, safety huddles held and huddle actions closed on time.

Contacts are signed activity notes (one per client per activity). Rows are fetched once per kind
for the whole range and counted into periods here, the same way on SQLite and PostgreSQL.
Periods follow UK dates; weeks start on Monday.
"""

from bisect import bisect_right
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from statistics import median

from sqlalchemy import case, func, select
from sqlalchemy.orm import aliased

from app.auth.models import User
from app.clients.models import Client
from app.extensions import db
from app.huddles.models import Huddle, HuddleAction
from app.lone_working.models import EscalationStep, Outing, OutingEvent, outing_clients
from app.notes import cues
from app.notes.models import SIGNED, Note, NoteAmendment, NoteCue
from app.notes.models import decode as decode_field
from app.reports.timeline import COOKING, _london_midnight

PERIODS = {"month": "Month", "week": "Week"}


@dataclass
class Bucket:
    start: date
    label: str
    contacts: int = 0
    outings: int = 0
    minutes: int = 0
    extensions: int = 0
    alerts: int = 0
    acknowledged: int = 0
    responses: list[float] = field(default_factory=list)
    cue_levels: list[int] = field(default_factory=lambda: [0] * len(cues.LEVELS))
    cooking_unrated: int = 0
    huddles: int = 0
    actions_due: int = 0
    actions_on_time: int = 0

    @property
    def cooking_rated(self) -> int:
        return sum(self.cue_levels)

    @property
    def median_cue_level(self) -> float | None:
        """The middle overall cue level of the period's rated cooking sessions."""
        levels = [level for level, n in enumerate(self.cue_levels) for _ in range(n)]
        return median(levels) if levels else None

    @property
    def median_cue_text(self) -> str:
        level = self.median_cue_level
        return "" if level is None else f"{level:g}"

    @property
    def median_response(self) -> str:
        return f"{median(self.responses):.0f}" if self.responses else ""

    @property
    def longest_response(self) -> str:
        return f"{max(self.responses):.0f}" if self.responses else ""


def period_start(day: date, period: str) -> date:
    if period == "week":
        return day - timedelta(days=day.weekday())
    return day.replace(day=1)


def _next(day: date, period: str) -> date:
    if period == "week":
        return day + timedelta(days=7)
    return date(day.year + (day.month == 12), day.month % 12 + 1, 1)


def _label(day: date, period: str) -> str:
    return f"w/c {day.day} {day:%b %Y}" if period == "week" else f"{day:%b %Y}"


def _minutes(start: datetime, end: datetime) -> int:
    return max(int((end - start).total_seconds() // 60), 0)


@dataclass
class Statistics:
    period: str
    start: date
    end: date
    buckets: list[Bucket]
    clients: list[dict]
    staff: list[dict]

    @property
    def totals(self) -> dict:
        responses = [r for b in self.buckets for r in b.responses]
        return {
            "contacts": sum(b.contacts for b in self.buckets),
            "outings": sum(b.outings for b in self.buckets),
            "minutes": sum(b.minutes for b in self.buckets),
            "extensions": sum(b.extensions for b in self.buckets),
            "alerts": sum(b.alerts for b in self.buckets),
            "acknowledged": sum(b.acknowledged for b in self.buckets),
            "median_response": f"{median(responses):.0f}" if responses else "",
            "cooking": sum(b.cooking_rated + b.cooking_unrated for b in self.buckets),
            "huddles": sum(b.huddles for b in self.buckets),
            "actions_due": sum(b.actions_due for b in self.buckets),
            "actions_on_time": sum(b.actions_on_time for b in self.buckets),
        }


def unit_statistics(unit_id: int, period: str, start: date, end: date) -> Statistics:
    since, until = _london_midnight(start), _london_midnight(end + timedelta(days=1))
    buckets: dict[date, Bucket] = {}
    day = period_start(start, period)
    while day <= end:
        buckets[day] = Bucket(day, _label(day, period))
        day = _next(day, period)

    # Each period's first moment in UTC: a row finds its period by bisection, with no time zone
    # arithmetic per row (a year holds thousands of rows).
    starts = [max(_london_midnight(day), since) for day in buckets]
    ordered = list(buckets.values())

    def bucket(at: datetime) -> Bucket:
        return ordered[bisect_right(starts, at) - 1]

    per_client: dict[int, Counter] = defaultdict(Counter)
    per_staff: dict[int, Counter] = defaultdict(Counter)

    # Notes are the many rows: counted in the database, by period, client and author at once.
    period_of = case(
        *((Note.activity_at >= at, i) for i, at in reversed(list(enumerate(starts)))), else_=0
    )
    for index, client_id, author_id, count in db.session.execute(
        select(period_of, Note.client_id, Note.author_id, func.count())
        .join(Client, Client.id == Note.client_id)
        .where(
            Client.unit_id == unit_id,
            Note.status == SIGNED,
            Note.activity_at >= since,
            Note.activity_at < until,
        )
        .group_by(period_of, Note.client_id, Note.author_id)
    ):
        ordered[index].contacts += count
        per_client[client_id]["contacts"] += count
        per_staff[author_id]["contacts"] += count

    outings = db.session.execute(
        select(Outing.id, Outing.checked_out_at, Outing.checked_in_at, Outing.resolved_at)
        .add_columns(Outing.worker_id)
        .where(
            Outing.unit_id == unit_id,
            Outing.checked_out_at >= since,
            Outing.checked_out_at < until,
        )
    ).all()
    minutes_of: dict[int, int] = {}
    for outing_id, out_at, back_at, resolved_at, worker_id in outings:
        b = bucket(out_at)
        b.outings += 1
        end_at = back_at or resolved_at
        minutes_of[outing_id] = _minutes(out_at, end_at) if end_at else 0
        b.minutes += minutes_of[outing_id]
        per_staff[worker_id]["outings"] += 1
    if minutes_of:
        for outing_id, client_id in db.session.execute(
            select(outing_clients.c.outing_id, outing_clients.c.client_id)
            .join(Outing, Outing.id == outing_clients.c.outing_id)
            .where(
                Outing.unit_id == unit_id,
                Outing.checked_out_at >= since,
                Outing.checked_out_at < until,
            )
        ):
            per_client[client_id]["outings"] += 1
            per_client[client_id]["minutes"] += minutes_of.get(outing_id, 0)

    for (at,) in db.session.execute(
        select(OutingEvent.at)
        .join(Outing, Outing.id == OutingEvent.outing_id)
        .where(
            Outing.unit_id == unit_id,
            OutingEvent.kind == "extended",
            OutingEvent.at >= since,
            OutingEvent.at < until,
        )
    ):
        bucket(at).extensions += 1

    for fired_at, acknowledged_at in db.session.execute(
        select(EscalationStep.fired_at, EscalationStep.acknowledged_at)
        .join(Outing, Outing.id == EscalationStep.outing_id)
        .where(
            Outing.unit_id == unit_id,
            EscalationStep.needs_ack,
            EscalationStep.fired_at >= since,
            EscalationStep.fired_at < until,
        )
    ):
        b = bucket(fired_at)
        b.alerts += 1
        if acknowledged_at is not None:
            b.acknowledged += 1
            b.responses.append((acknowledged_at - fired_at).total_seconds() / 60)

    _cooking(unit_id, since, until, bucket)
    _huddles(unit_id, since, until, bucket)

    clients = db.session.execute(
        select(Client.id, Client.initials).where(Client.id.in_(list(per_client) or [0]))
    ).all()
    people = db.session.execute(
        select(User.id, User.name).where(User.id.in_(list(per_staff) or [0]))
    ).all()
    client_rows = sorted(
        (
            {"label": initials, "id": cid, **{k: per_client[cid][k] for k in _CLIENT_KEYS}}
            for cid, initials in clients
        ),
        key=lambda r: (r["label"], r["id"]),
    )
    staff_rows = sorted(
        (
            {"label": name, "id": uid, **{k: per_staff[uid][k] for k in _STAFF_KEYS}}
            for uid, name in people
        ),
        key=lambda r: (r["label"], r["id"]),
    )
    return Statistics(period, start, end, list(buckets.values()), client_rows, staff_rows)


def _cooking(unit_id: int, since: datetime, until: datetime, bucket) -> None:
    """Signed cooking sessions by their overall cue level, each note as it reads now: a signed
    amendment to its type, its date or its cue section wins (a café trip amended to cooking
    counts; a session whose date was amended into another period counts there). Three
    statements for the whole range, however many notes."""
    facts = ("activity_type", "activity_at", "cues")
    in_unit = (
        Note.client_id.in_(select(Client.id).where(Client.unit_id == unit_id)),
        Note.status == SIGNED,
    )
    fact = aliased(NoteAmendment)
    amended = select(fact.id).where(fact.field.in_(facts[:2]), fact.note_id == Note.id)
    as_signed = (Note.activity_type == COOKING) & (Note.activity_at >= since)
    candidates = in_unit + ((as_signed & (Note.activity_at < until)) | amended.exists(),)
    notes = {}
    for note_id, kind, at, level in db.session.execute(
        select(Note.id, Note.activity_type, Note.activity_at, NoteCue.level)
        .outerjoin(NoteCue, (NoteCue.note_id == Note.id) & (NoteCue.skill_key == cues.OVERALL.key))
        .where(*candidates)
    ):
        notes[note_id] = {"activity_type": kind, "activity_at": at, "cues": level}
    for note_id, name, text in db.session.execute(
        select(NoteAmendment.note_id, NoteAmendment.field, NoteAmendment.new_text)
        .join(Note, Note.id == NoteAmendment.note_id)
        .where(NoteAmendment.field.in_(facts), *candidates)
        .order_by(NoteAmendment.signed_at, NoteAmendment.id)
    ):
        value = decode_field(name, text)
        notes[note_id][name] = value.get(cues.OVERALL.key) if name == "cues" else value
    for note in notes.values():
        at = note["activity_at"]
        if note["activity_type"] != COOKING or at is None or not since <= at < until:
            continue
        b = bucket(at)
        if note["cues"] is None:
            b.cooking_unrated += 1
        else:
            b.cue_levels[note["cues"]] += 1


def _huddles(unit_id: int, since: datetime, until: datetime, bucket) -> None:
    """Huddles held (by their start) and huddle actions due in each period, with how many were
    marked done at or before the time they were due."""
    for (at,) in db.session.execute(
        select(Huddle.started_at).where(
            Huddle.unit_id == unit_id, Huddle.started_at >= since, Huddle.started_at < until
        )
    ):
        bucket(at).huddles += 1
    for due_at, done_at in db.session.execute(
        select(HuddleAction.due_at, HuddleAction.done_at).where(
            HuddleAction.unit_id == unit_id,
            HuddleAction.due_at >= since,
            HuddleAction.due_at < until,
        )
    ):
        b = bucket(due_at)
        b.actions_due += 1
        if done_at is not None and done_at <= due_at:
            b.actions_on_time += 1


_CLIENT_KEYS = ("contacts", "outings", "minutes")
_STAFF_KEYS = ("contacts", "outings")

# The CSV tables: name -> (header, row function).
TABLES = {
    "periods": (
        [
            "period",
            "contacts",
            "outings",
            "minutes in the community",
            "extensions",
            "alerts",
            "alerts acknowledged",
            "median minutes to acknowledge",
            "longest minutes to acknowledge",
        ],
        lambda s: [
            [
                b.label,
                b.contacts,
                b.outings,
                b.minutes,
                b.extensions,
                b.alerts,
                b.acknowledged,
                b.median_response,
                b.longest_response,
            ]
            for b in s.buckets
        ],
    ),
    "cooking": (
        [
            "period",
            *(f"overall cue level {level}" for level in cues.LEVELS),
            "no overall level",
            "median overall cue level",
        ],
        lambda s: [
            [b.label, *b.cue_levels, b.cooking_unrated, b.median_cue_text] for b in s.buckets
        ],
    ),
    "huddles": (
        ["period", "huddles held", "actions due", "actions closed on time"],
        lambda s: [[b.label, b.huddles, b.actions_due, b.actions_on_time] for b in s.buckets],
    ),
    "clients": (
        ["client (initials)", "contacts", "outings", "minutes in the community"],
        lambda s: [[r["label"], r["contacts"], r["outings"], r["minutes"]] for r in s.clients],
    ),
    "staff": (
        ["staff member", "contacts (notes written)", "outings led"],
        lambda s: [[r["label"], r["contacts"], r["outings"]] for r in s.staff],
    ),
}
