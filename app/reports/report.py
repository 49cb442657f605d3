"""The MDT / OT report for a client and a period: its figures, and issuing it as a version.

``figures`` returns plain values (text and numbers) so the same dictionary is rendered on the
page, rendered into the PDF and stored as issued. The queries are a fixed handful whatever the
client's history holds (no query per note or outing).
"""

from collections import defaultdict
from datetime import date

from sqlalchemy import func, select
from sqlalchemy.orm import lazyload, selectinload

from app.audit.services import record
from app.auth.models import User
from app.clients.models import Client, ClientGoal
from app.core import clock
from app.extensions import db
from app.huddles.models import FLAGS, SHIFTS, Huddle, HuddleFlag
from app.lone_working.models import Outing, outing_clients
from app.notes import cue_progress, cues, mohost
from app.notes.models import ACTIVITY_TYPES, SIGNED, Note, decode
from app.reports.models import IssuedReport
from app.reports.timeline import COOKING, RISK_FLAGS, Filters, _london_midnight

# Who may issue (sign) a report; any clinical role may produce (view) one.
ISSUERS = ("ot", "lead")
CLINICAL_READERS = ("ot", "assistant", "lead")


def _minutes(start, end) -> int:
    return max(int((end - start).total_seconds() // 60), 0)


def figures(client: Client, start: date, end: date, clinical: bool) -> dict:
    """Everything the report shows, as plain values. Without ``clinical`` (administrators),
    the sections made of clinical records are left out, not blanked: they say so."""
    since, until = _london_midnight(start), Filters(frozenset(), end=end).end_utc
    result: dict = {
        "client_id": client.id,
        "initials": client.initials,
        "unit": client.unit.name,
        "start": start.isoformat(),
        "end": end.isoformat(),
        "period": f"{clock.format_date(start)} to {clock.format_date(end)}",
        "clinical": clinical,
        "risk_flags": None,
        "cooking_trend": None,
    }
    result["community"] = _community(client, since, until)

    notes = db.session.scalars(
        select(Note)
        .where(
            Note.client_id == client.id,
            Note.status == SIGNED,
            Note.activity_at >= since,
            Note.activity_at < until,
        )
        .order_by(Note.activity_at, Note.id)
        .options(
            selectinload(Note.goals),
            selectinload(Note.ratings),
            selectinload(Note.amendments),
            selectinload(Note.cues),
            lazyload(Note.countersignatures),  # not part of the report: never read
            lazyload(Note.client),
        )
    ).all()
    result["activities"], result["activities_total"] = _activities(notes)
    result["cooking_sessions"] = sum(1 for n in notes if n.current("activity_type") == COOKING)
    if clinical:
        result["goals"] = _goals(client, notes)
        result["mohost"] = _mohost(notes)
        result["cooking_trend"] = _cooking_trend(client, notes)
        result["risk_flags"] = _risk_flags(client, since, until)
    return result


def _community(client: Client, since, until) -> dict:
    rows = db.session.execute(
        select(Outing.checked_out_at, Outing.checked_in_at, Outing.resolved_at)
        .join(outing_clients, outing_clients.c.outing_id == Outing.id)
        .where(
            outing_clients.c.client_id == client.id,
            Outing.checked_out_at >= since,
            Outing.checked_out_at < until,
        )
    ).all()
    minutes = sum(
        _minutes(out, back or resolved) for out, back, resolved in rows if back or resolved
    )
    return {"outings": len(rows), "minutes": minutes}


def _activities(notes: list[Note]) -> tuple[list[dict], dict]:
    by_type: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for note in notes:
        kind = note.current("activity_type")
        by_type[kind][0] += 1
        by_type[kind][1] += note.current_duration or 0
    rows = [
        {"type": ACTIVITY_TYPES.get(kind, "Other"), "count": count, "minutes": minutes}
        for kind in ACTIVITY_TYPES
        if kind in by_type
        for count, minutes in [by_type[kind]]
    ]
    total = {"count": len(notes), "minutes": sum(r["minutes"] for r in rows)}
    return rows, total


def _goals(client: Client, notes: list[Note]) -> list[dict]:
    """Each goal (active, or addressed in the period) with the notes that addressed it."""
    addressed: dict[int, list[Note]] = defaultdict(list)
    for note in notes:
        ids = (
            decode("goals", note.current("goals"))
            if note.amendments_of("goals")
            else [g.id for g in note.goals]
        )
        for goal_id in ids:
            addressed[goal_id].append(note)
    goals = db.session.scalars(
        select(ClientGoal)
        .where(
            ClientGoal.client_id == client.id,
            ClientGoal.active | ClientGoal.id.in_(list(addressed) or [0]),
        )
        .order_by(ClientGoal.created_at, ClientGoal.id)
    ).all()
    return [
        {
            "text": goal.text,
            "active": goal.active,
            "notes": [
                {
                    "id": n.id,
                    "date": clock.format_date(n.current_activity_at),
                    "type": n.activity_type_label,
                }
                for n in addressed.get(goal.id, [])
            ],
        }
        for goal in goals
    ]


def _mohost(notes: list[Note]) -> dict | None:
    rated = [n for n in notes if n.current_ratings]
    if not rated:
        return None
    rated.sort(key=lambda n: (n.current_activity_at, n.id))
    first, latest = rated[0], rated[-1]

    def side(note: Note) -> dict:
        ratings = note.current_ratings
        return {
            "date": clock.format_date(note.current_activity_at),
            "note_id": note.id,
            "overall": mohost.overall_total(ratings).text,
        }

    first_totals = mohost.section_totals(first.current_ratings)
    latest_totals = mohost.section_totals(latest.current_ratings)
    return {
        "count": len(rated),
        "first": side(first),
        "latest": side(latest),
        "same": first.id == latest.id,
        "sections": [
            {"title": a.section.title, "first": a.total.text, "latest": b.total.text}
            for a, b in zip(first_totals, latest_totals, strict=True)
        ],
    }


def _cooking_trend(client: Client, notes: list[Note]) -> dict | None:
    """Cooking sessions' cue levels in the period (as amended): how many, the first and latest
    level of each skill rated, and the notes' own summary sentence (``cue_progress.summary``).
    The unit's labels are read whether or not there are sessions: the same statements for a
    quiet client as a busy one."""
    labels = cue_progress.labels_for(client.unit_id)
    history = [
        cue_progress.CuePoint(
            n.id, n.current_activity_at, COOKING, n.current("dish"), cues.clean(n.current_cues)
        )
        for n in notes
        if n.current("activity_type") == COOKING and n.current_cues
    ]
    if not history:
        return None
    history.sort(key=lambda p: (p.at, p.note_id))

    def level(point: cue_progress.CuePoint, key: str) -> str:
        value = point.levels[key]
        return f"{value} ({labels[value]}), {clock.format_date(point.at)}"

    skills = []
    for skill in cue_progress.rated_skills(history):
        rated = [p for p in history if skill.key in p.levels]
        skills.append(
            {
                "name": cues.full_name(skill),
                "sessions": len(rated),
                "first": level(rated[0], skill.key),
                "latest": level(rated[-1], skill.key),
                "first_level": rated[0].levels[skill.key],
                "latest_level": rated[-1].levels[skill.key],
            }
        )
    return {
        "sessions": len(history),
        "first_date": clock.format_date(history[0].at),
        "latest_date": clock.format_date(history[-1].at),
        "summary": cue_progress.summary(history, labels),
        "skills": skills,
    }


def _risk_flags(client: Client, since, until) -> dict:
    """Amber and red flags the client held in the unit's safety huddles in the period, oldest
    first, each with its huddle's date and shift and the reason given."""
    found = db.session.execute(
        select(Huddle.started_at, Huddle.shift, HuddleFlag.value, HuddleFlag.previous_value)
        .add_columns(HuddleFlag.reason)
        .join(Huddle, Huddle.id == HuddleFlag.huddle_id)
        .where(
            HuddleFlag.client_id == client.id,
            Huddle.unit_id == client.unit_id,
            HuddleFlag.value.in_(RISK_FLAGS),
            Huddle.started_at >= since,
            Huddle.started_at < until,
        )
        .order_by(Huddle.started_at, HuddleFlag.id)
    ).all()
    rows = [
        {
            "date": clock.format_date(at),
            "shift": SHIFTS.get(shift, shift),
            "flag": FLAGS.get(value, value),
            "raised": previous != value,  # raised or changed in this huddle, not carried over
            "reason": reason,
        }
        for at, shift, value, previous, reason in found
    ]
    return {
        "rows": rows,
        "amber": sum(1 for r in rows if r["flag"] == FLAGS["amber"]),
        "red": sum(1 for r in rows if r["flag"] == FLAGS["red"]),
    }


# --- issued versions -----------------------------------------------------------------------


def versions(client: Client, start: date | None = None, end: date | None = None):
    """Issued versions for the client (for one period when given), newest first."""
    query = select(IssuedReport).where(IssuedReport.client_id == client.id)
    if start and end:
        query = query.where(IssuedReport.period_start == start, IssuedReport.period_end == end)
    return list(
        db.session.scalars(query.order_by(IssuedReport.issued_at.desc(), IssuedReport.id.desc()))
    )


def issue(
    client: Client, start: date, end: date, formulation: str, recommendations: str, actor: User
) -> IssuedReport:
    """Save the report as issued now: the next version for this client and period."""
    latest = db.session.scalar(
        select(func.max(IssuedReport.version)).where(
            IssuedReport.client_id == client.id,
            IssuedReport.period_start == start,
            IssuedReport.period_end == end,
        )
    )
    report = IssuedReport(
        client_id=client.id,
        unit_id=client.unit_id,
        period_start=start,
        period_end=end,
        version=(latest or 0) + 1,
        formulation=formulation.strip(),
        recommendations=recommendations.strip(),
        figures=figures(client, start, end, clinical=True),
        issued_by_id=actor.id,
        issued_by_name=actor.name,
        issued_role=actor.role,
        issued_role_label=actor.role_label,
        issued_at=clock.now(),
    )
    db.session.add(report)
    db.session.flush()
    record(
        "issue",
        "issued_report",
        report.id,
        actor=actor,
        unit_id=client.unit_id,
        extra={
            "client_id": client.id,
            "version": report.version,
            "start": start.isoformat(),
            "end": end.isoformat(),
        },
    )
    return report


def produced(kind: str, client: Client | None, unit_id: int, **facts) -> None:
    """The audit row every produced report writes (ids and dates only, never text)."""
    record(
        "produce",
        "report",
        client.id if client else None,
        unit_id=unit_id,
        extra={"report": kind, **{k: str(v) for k, v in facts.items() if v is not None}},
    )
