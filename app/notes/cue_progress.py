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
from app.notes.models import SIGNED, CueLabel, Note, NoteAmendment, NoteCue

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
    """Signed notes with any cue level, oldest activity first (the latest ``limit``).

    A fixed number of statements whatever the number of notes: one for the notes, then one per
    relationship the note loads eagerly (selectin), so the page does not slow down as a client's
    sessions build up.
    """
    with_cues = select(NoteCue.note_id).union(
        select(NoteAmendment.note_id).where(NoteAmendment.field == "cues")
    )
    notes = db.session.scalars(
        select(Note)
        .where(Note.client_id == client.id, Note.status == SIGNED, Note.id.in_(with_cues))
        .order_by(Note.activity_at.desc(), Note.id.desc())
        .limit(limit)
    ).all()
    points = [
        CuePoint(
            n.id,
            n.current_activity_at or n.activity_at,
            n.current("activity_type"),
            n.current("dish"),
            n.current_cues,
        )
        for n in reversed(notes)
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
        first_month = clock.to_london(earlier[0][0]).strftime("%Y-%m")
        baseline_levels = [
            lvl for at, lvl in earlier if clock.to_london(at).strftime("%Y-%m") == first_month
        ]
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
