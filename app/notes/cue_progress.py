"""A unit's cue labels, and a client's cue levels over time: the history the chart draws and a
short summary in words.

Plain functions over the session: the caller commits. Changing the labels writes an audit row
with the unit and the levels changed, never the words.
"""

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select

from app.audit.services import record
from app.auth.models import User
from app.clients.models import Client
from app.core import clock
from app.extensions import db
from app.notes import cues
from app.notes.models import SIGNED, CueLabel, Note, NoteAmendment, NoteCue, decode

# The latest sessions the chart and table show; older ones stay on each note.
HISTORY_LIMIT = 100
RECENT = 4


# --- a unit's labels -----------------------------------------------------------------------


def labels_for(unit_id: int | None) -> dict[int, str]:
    """The unit's wording for each level 0 to 5 (the default where it has none)."""
    labels = dict(cues.DEFAULT_LABELS)
    if unit_id is None:
        return labels
    for row in db.session.scalars(select(CueLabel).where(CueLabel.unit_id == unit_id)):
        if row.level in labels and row.label:
            labels[row.level] = row.label
    return labels


def set_labels(unit_id: int, wanted: Mapping[int, str], actor: User) -> list[int]:
    """Save the unit's labels; returns the levels whose wording changed (audited by number)."""
    query = select(CueLabel).where(CueLabel.unit_id == unit_id)
    rows = {r.level: r for r in db.session.scalars(query)}
    before = labels_for(unit_id)
    changed = []
    for level in cues.LEVELS:
        text = " ".join((wanted.get(level) or "").split())[: cues.LABEL_LIMIT]
        if not text or text == before[level]:
            continue
        changed.append(level)
        if level in rows:
            rows[level].label = text
        else:
            db.session.add(CueLabel(unit_id=unit_id, level=level, label=text))
    db.session.flush()
    if changed:
        record(
            "update",
            "cue_labels",
            unit_id,
            actor=actor,
            unit_id=unit_id,
            extra={"levels_changed": changed},
        )
    return changed


# --- a client's progress -------------------------------------------------------------------


@dataclass(frozen=True)
class CuePoint:
    """One signed note's cue levels as it says now (amendments included)."""

    note_id: int
    at: datetime
    activity_type: str
    dish: str
    levels: dict[str, int]


def cue_history(client: Client, limit: int = HISTORY_LIMIT) -> list[CuePoint]:
    """Signed notes with any cue level, oldest activity first (the latest ``limit``), as they
    read now: an amendment to the cue levels, the date and time, the type or the dish counts.

    Three statements whatever the number of sessions (the notes, their cue rows, their
    amendments), reading columns rather than whole notes: a client's sessions build up over a
    year of weekly cooking and the page must not slow down with them.
    """
    with_cues = select(NoteCue.note_id).union(
        select(NoteAmendment.note_id).where(NoteAmendment.field == "cues")
    )
    rows = db.session.execute(
        select(Note.id, Note.activity_at, Note.activity_type, Note.dish)
        .where(Note.client_id == client.id, Note.status == SIGNED, Note.id.in_(with_cues))
        .order_by(Note.activity_at.desc(), Note.id.desc())
        .limit(limit)
    ).all()
    if not rows:
        return []
    ids = [row.id for row in rows]
    facts: dict[int, dict[str, object]] = {
        row.id: {
            "activity_at": row.activity_at,
            "activity_type": row.activity_type,
            "dish": row.dish,
            "cues": {},
        }
        for row in rows
    }
    for cue in db.session.execute(
        select(NoteCue.note_id, NoteCue.skill_key, NoteCue.level).where(NoteCue.note_id.in_(ids))
    ):
        facts[cue.note_id]["cues"][cue.skill_key] = cue.level
    for change in db.session.execute(
        select(NoteAmendment.note_id, NoteAmendment.field, NoteAmendment.new_text)
        .where(
            NoteAmendment.note_id.in_(ids),
            NoteAmendment.field.in_(("cues", "activity_at", "activity_type", "dish")),
        )
        .order_by(NoteAmendment.signed_at, NoteAmendment.id)
    ):
        facts[change.note_id][change.field] = decode(change.field, change.new_text)
    points = [
        CuePoint(
            note_id,
            fact["activity_at"],
            fact["activity_type"],
            fact["dish"],
            cues.clean(fact["cues"]),
        )
        for note_id, fact in facts.items()
    ]
    points = [p for p in points if p.levels and p.at is not None]  # amended away: no point
    return sorted(points, key=lambda p: (p.at, p.note_id))


def _month(at: datetime, latest: datetime) -> str:
    local, last = clock.to_london(at), clock.to_london(latest)
    return f"{local:%B}" if local.year == last.year else f"{local:%B %Y}"


def _mode(levels: list[int]) -> int:
    """The level seen most often; a tie goes to the one seen most recently."""
    counts = Counter(levels)
    best = max(counts.values())
    return next(level for level in reversed(levels) if counts[level] == best)


def _level(level: int, labels: Mapping[int, str]) -> str:
    return f"level {level} ({labels[level].lower()})"


def summary(
    history: list[CuePoint], labels: Mapping[int, str], skill: str = cues.OVERALL.key
) -> str:
    """A sentence or two on one skill's cue levels, from the data: how many sessions, the level
    most often needed lately, and how that compares with the first month recorded."""
    rated = [(p.at, p.levels[skill]) for p in history if skill in p.levels]
    name = cues.full_name(cues.SKILL_BY_KEY[skill])
    if not rated:
        if skill == cues.OVERALL.key and history:
            return (
                f"No overall cue level yet in {len(history)} "
                f"session{'s' if len(history) != 1 else ''} with cue levels."
            )
        return f"{name}: no cue levels recorded yet."
    latest_at = rated[-1][0]
    if len(rated) == 1:
        at, level = rated[0]
        return f"{name}: one session, on {clock.format_date(at)}: {_level(level, labels)}."
    recent = rated[-RECENT:]
    recent_levels = [level for _, level in recent]
    usual = _mode(recent_levels)
    times = recent_levels.count(usual)
    text = (
        f"{name}: {_level(usual, labels)} in {times} of the last {len(recent)} sessions"
        if times < len(recent)
        else f"{name}: {_level(usual, labels)} in all of the last {len(recent)} sessions"
    )
    earlier = rated[: -len(recent)]
    if earlier:
        first = clock.to_london(earlier[0][0])
        baseline_levels = []
        for at, lvl in earlier:  # oldest first: stop at the end of the first month
            local = clock.to_london(at)
            if (local.year, local.month) != (first.year, first.month):
                break
            baseline_levels.append(lvl)
        baseline = _mode(baseline_levels)
        when = _month(earlier[0][0], latest_at)
        if baseline > usual:
            text += f", down from {_level(baseline, labels)} in {when} (more independent)"
        elif baseline < usual:
            text += f", up from {_level(baseline, labels)} in {when} (more support needed)"
        else:
            text += f", the same as in {when}"
    return text + "."


def rated_skills(history: list[CuePoint]) -> list[cues.Skill]:
    seen = {key for p in history for key in p.levels}
    return [s for s in cues.SKILLS if s.key in seen]


@dataclass(frozen=True)
class TableRow:
    note_id: int
    when: str
    dish: str
    cells: list[str]


def table_rows(
    history: list[CuePoint], skills: list[cues.Skill], labels: Mapping[int, str]
) -> list[TableRow]:
    """The chart's text alternative, newest first: one row per session, a cell per skill."""
    words = {level: f"{level} {labels[level]}" for level in cues.LEVELS}
    return [
        TableRow(
            p.note_id,
            clock.format_datetime(p.at),
            p.dish,
            [words[p.levels[s.key]] if s.key in p.levels else "–" for s in skills],
        )
        for p in reversed(history)
    ]
