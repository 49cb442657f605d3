"""Activity notes: drafts, signed notes, their MOHOST ratings and append-only amendments.

A note's own columns are written while it is a draft and frozen when it is signed. After that
the only changes are countersigning and amendments, which are rows of their own: what was signed
is never overwritten (the ORM refuses, see ``_refuse_changes_to_signed_notes``).
"""

from datetime import UTC, datetime, timedelta

from sqlalchemy import (
    CheckConstraint,
    Column,
    ForeignKey,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
    event,
    inspect,
    select,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.auth.models import User
from app.clients.models import Client, ClientGoal
from app.core import clock
from app.core.types import UTCDateTime
from app.extensions import db
from app.notes import cues, mohost

DRAFT = "draft"
SIGNED = "signed"

# A note signed more than this long after the activity is a late entry (exactly 24 h is not).
LATE_AFTER = timedelta(hours=24)

ACTIVITY_TYPES = {
    "shopping": "Shopping",
    "cafe": "Café or eating out",
    "library": "Library",
    "travel": "Travel training",
    "leisure": "Leisure",
    "exercise": "Exercise",
    "volunteering": "Volunteering or work",
    "cooking": "Cooking",
    "other": "Other",
}

ENGAGEMENT = {
    "full": "Fully engaged",
    "most": "Mostly engaged",
    "partial": "Partly engaged",
    "minimal": "Minimal engagement",
    "none": "Did not engage",
}

# Free-text parts of a note, in the order they are written and shown: name -> (label, limit).
TEXT_FIELDS: dict[str, tuple[str, int]] = {
    "support_given": ("Support given", 2000),
    "went_well": ("What went well", 2000),
    "difficulties": ("Difficulties", 2000),
    "risks": ("Risks observed", 2000),
    "next_steps": ("Next steps", 2000),
    "observations": ("MOHO observations", 2000),
    "reflection": ("Client's own reflection", 2000),
}
PLACE_LIMIT = 120
DISH_LIMIT = 120
# Amendable text: the place and the free text, name -> (label, limit).
AMENDABLE: dict[str, tuple[str, int]] = {
    "place": ("Place", PLACE_LIMIT),
    "dish": ("Dish", DISH_LIMIT),
    **TEXT_FIELDS,
}
# Amendable facts of the activity (issue 14 item 9): name -> label. An amendment stores each as
# text (see ``encode``), so before and after sit in the same two columns as amended text.
FACTS: dict[str, str] = {
    "activity_type": "Type of activity",
    "activity_at": "Date and time",
    "duration_minutes": "Duration",
    "goals": "OT goals addressed",
    "engagement": "Engagement",
    "mohost": "MOHOST ratings",
    "cues": "Task cue levels",
}


def encode(field: str, value) -> str:
    """A fact as an amendment row stores it: ids and codes, never free text."""
    if field == "activity_at":
        return value.astimezone(UTC).isoformat() if value else ""
    if field == "duration_minutes":
        return str(value) if value else ""
    if field == "goals":
        return ",".join(str(i) for i in sorted(value))
    if field == "mohost":
        return ",".join(f"{key}={rating}" for key, rating in sorted(value.items()))
    if field == "cues":
        return cues.encode(value)
    return value or ""


def decode(field: str, text: str):
    if field == "activity_at":
        return datetime.fromisoformat(text) if text else None
    if field == "duration_minutes":
        return int(text) if text else None
    if field == "goals":
        return [int(i) for i in text.split(",") if i]
    if field == "mohost":
        return dict(pair.split("=", 1) for pair in text.split(",") if pair)
    if field == "cues":
        return cues.decode(text)
    return text


note_goals = Table(
    "note_goals",
    db.metadata,
    Column("note_id", ForeignKey("notes.id", ondelete="CASCADE"), primary_key=True),
    Column("goal_id", ForeignKey("client_goals.id"), primary_key=True),
)


class Note(db.Model):
    __tablename__ = "notes"
    # Columns that are part of the signed record: frozen once the note is signed.
    CONTENT = (
        "client_id",
        "author_id",
        "activity_at",
        "duration_minutes",
        "activity_type",
        "place",
        "dish",
        "engagement",
        *TEXT_FIELDS,
        "outing_id",
        "signed_at",
        "signed_by_id",
        "signed_by_name",
        "signed_role",
        "signed_role_label",
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    client_id: Mapped[int] = mapped_column(ForeignKey("clients.id"), index=True)
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    status: Mapped[str] = mapped_column(String(16), default=DRAFT)
    # What makes a retried "Save" or "Sign" land on the same note instead of making another.
    idempotency_key: Mapped[str] = mapped_column(String(36), unique=True)
    # The lone-working outing this note was written from, if any (no foreign key: that feature
    # keeps its own tables and notes must not depend on them).
    outing_id: Mapped[int | None] = mapped_column(Integer, nullable=True)

    activity_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    duration_minutes: Mapped[int | None] = mapped_column(Integer, nullable=True)
    activity_type: Mapped[str] = mapped_column(String(20), default="")
    place: Mapped[str] = mapped_column(String(PLACE_LIMIT), default="")
    engagement: Mapped[str] = mapped_column(String(20), default="")
    # Cooking and shopping sessions: what was cooked (or shopped for).
    dish: Mapped[str] = mapped_column(String(DISH_LIMIT), default="")
    support_given: Mapped[str] = mapped_column(Text, default="")
    went_well: Mapped[str] = mapped_column(Text, default="")
    difficulties: Mapped[str] = mapped_column(Text, default="")
    risks: Mapped[str] = mapped_column(Text, default="")
    next_steps: Mapped[str] = mapped_column(Text, default="")
    observations: Mapped[str] = mapped_column(Text, default="")
    reflection: Mapped[str] = mapped_column(Text, default="")

    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)
    # Counts server saves of a draft, so the browser can tell whether its copy is newer.
    revision: Mapped[int] = mapped_column(Integer, default=0)

    signed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True, index=True)
    signed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    # Name and role as they were when signing, so the record reads the same after a change.
    signed_by_name: Mapped[str] = mapped_column(String(120), default="")
    signed_role: Mapped[str] = mapped_column(String(16), default="")
    signed_role_label: Mapped[str] = mapped_column(String(60), default="")

    countersigned_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    countersigned_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    countersigned_by_name: Mapped[str] = mapped_column(String(120), default="")
    countersigned_role_label: Mapped[str] = mapped_column(String(60), default="")

    client: Mapped[Client] = relationship()
    author: Mapped[User] = relationship(foreign_keys=[author_id])
    goals: Mapped[list[ClientGoal]] = relationship(
        secondary=note_goals, order_by=ClientGoal.id, lazy="selectin"
    )
    ratings: Mapped[list["NoteRating"]] = relationship(
        back_populates="note", cascade="all, delete-orphan", lazy="selectin"
    )
    cues: Mapped[list["NoteCue"]] = relationship(
        back_populates="note", cascade="all, delete-orphan", lazy="selectin"
    )
    amendments: Mapped[list["NoteAmendment"]] = relationship(
        back_populates="note",
        order_by="NoteAmendment.signed_at, NoteAmendment.id",
        lazy="selectin",
    )
    # Every countersignature ever given, oldest first. The countersigned_* columns above hold
    # the one that stands now; an assistant's amendment clears them, never these rows.
    countersignatures: Mapped[list["NoteCountersignature"]] = relationship(
        order_by="NoteCountersignature.at, NoteCountersignature.id", lazy="selectin"
    )

    @property
    def is_signed(self) -> bool:
        return self.status == SIGNED

    @property
    def is_late_entry(self) -> bool:
        if self.signed_at is None or self.activity_at is None:
            return False
        return self.signed_at - self.activity_at > LATE_AFTER

    @property
    def activity_type_label(self) -> str:
        return ACTIVITY_TYPES.get(self.current("activity_type"), "")

    @property
    def engagement_label(self) -> str:
        return ENGAGEMENT.get(self.current("engagement"), "")

    @property
    def rating_map(self) -> dict[str, str]:
        """The MOHOST ratings as signed (amendments: ``current_ratings``)."""
        return {r.item_key: r.rating for r in self.ratings}

    @property
    def current_ratings(self) -> dict[str, str]:
        return decode("mohost", self.current("mohost"))

    @property
    def cue_map(self) -> dict[str, int]:
        """The task cue levels as signed (amendments: ``current_cues``)."""
        return {c.skill_key: c.level for c in self.cues}

    @property
    def current_cues(self) -> dict[str, int]:
        return decode("cues", self.current("cues"))

    @property
    def has_cue_section(self) -> bool:
        return self.current("activity_type") in cues.CUE_TYPES or bool(self.current_cues)

    @property
    def current_activity_at(self) -> datetime | None:
        return decode("activity_at", self.current("activity_at"))

    @property
    def current_duration(self) -> int | None:
        return decode("duration_minutes", self.current("duration_minutes"))

    @property
    def current_goals(self) -> list[ClientGoal]:
        if not self.amendments_of("goals"):
            return list(self.goals)
        ids = decode("goals", self.current("goals"))
        return goals_by_id(ids)

    @property
    def needs_countersignature(self) -> bool:
        return self.is_signed and self.signed_role == "assistant" and not self.countersigned_at

    def amendments_of(self, field: str) -> list["NoteAmendment"]:
        return [a for a in self.amendments if a.field == field]

    def original(self, field: str) -> str:
        """A part of the note as signed, as text (facts encoded as amendments store them)."""
        if field == "goals":
            return encode(field, [g.id for g in self.goals])
        if field == "mohost":
            return encode(field, self.rating_map)
        if field == "cues":
            return encode(field, self.cue_map)
        if field in FACTS:
            return encode(field, getattr(self, field))
        return getattr(self, field) or ""

    def current(self, field: str) -> str:
        """What a part of the note says now: the latest amendment's text, else as signed."""
        changes = self.amendments_of(field)
        return changes[-1].new_text if changes else self.original(field)

    def describe_current(self, field: str) -> str:
        return describe(field, self.current(field))

    def __repr__(self) -> str:  # no text: reprs end up in logs
        return f"<Note {self.id} {self.status} client={self.client_id}>"


class NoteRating(db.Model):
    """One MOHOST item rating (F, A, I or R) on a note; unrated items have no row."""

    __tablename__ = "note_ratings"
    __table_args__ = (UniqueConstraint("note_id", "item_key", name="uq_note_ratings_note_item"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    note_id: Mapped[int] = mapped_column(ForeignKey("notes.id", ondelete="CASCADE"), index=True)
    item_key: Mapped[str] = mapped_column(String(40))
    rating: Mapped[str] = mapped_column(String(1))

    note: Mapped[Note] = relationship(back_populates="ratings")


class NoteCue(db.Model):
    """One task cue level (0 to 5) on a note, overall or for one skill; unrated skills have no
    row. A section of the note like its MOHOST ratings: frozen when the note is signed."""

    __tablename__ = "note_cues"
    __table_args__ = (
        UniqueConstraint("note_id", "skill_key", name="uq_note_cues_note_skill"),
        CheckConstraint("level >= 0 AND level <= 5", name="level"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    note_id: Mapped[int] = mapped_column(ForeignKey("notes.id", ondelete="CASCADE"), index=True)
    skill_key: Mapped[str] = mapped_column(String(40))
    level: Mapped[int] = mapped_column(Integer)

    note: Mapped[Note] = relationship(back_populates="cues")


class CueLabel(db.Model):
    """A unit's own wording for one cue level. The numbers are fixed; with no row, the
    default label is used."""

    __tablename__ = "cue_labels"
    __table_args__ = (
        UniqueConstraint("unit_id", "level", name="uq_cue_labels_unit_level"),
        CheckConstraint("level >= 0 AND level <= 5", name="level"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"), index=True)
    level: Mapped[int] = mapped_column(Integer)
    label: Mapped[str] = mapped_column(String(cues.LABEL_LIMIT))


class NoteAmendment(db.Model):
    """A signed change to one part of a signed note, with its reason; the old text is kept."""

    __tablename__ = "note_amendments"

    id: Mapped[int] = mapped_column(primary_key=True)
    note_id: Mapped[int] = mapped_column(ForeignKey("notes.id"), index=True)
    field: Mapped[str] = mapped_column(String(40))
    old_text: Mapped[str] = mapped_column(Text, default="")
    new_text: Mapped[str] = mapped_column(Text, default="")
    reason: Mapped[str] = mapped_column(String(500))
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    author_name: Mapped[str] = mapped_column(String(120))
    author_role_label: Mapped[str] = mapped_column(String(60))
    signed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)

    note: Mapped[Note] = relationship(back_populates="amendments")

    @property
    def field_label(self) -> str:
        return FACTS.get(self.field) or AMENDABLE.get(self.field, (self.field, 0))[0]

    @property
    def old_display(self) -> str:
        return describe(self.field, self.old_text)

    @property
    def new_display(self) -> str:
        return describe(self.field, self.new_text)

    def __repr__(self) -> str:
        return f"<NoteAmendment {self.id} note={self.note_id} field={self.field}>"


class NoteCountersignature(db.Model):
    """One countersignature of a note, kept after an amendment has asked for a new one."""

    __tablename__ = "note_countersignatures"

    id: Mapped[int] = mapped_column(primary_key=True)
    note_id: Mapped[int] = mapped_column(ForeignKey("notes.id"), index=True)
    by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    by_name: Mapped[str] = mapped_column(String(120))
    role_label: Mapped[str] = mapped_column(String(60))
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)

    def __repr__(self) -> str:
        return f"<NoteCountersignature {self.id} note={self.note_id}>"


def goals_by_id(ids: list[int]) -> list[ClientGoal]:
    """Goals are retired, never deleted, so an amendment's goal ids always find their words."""
    if not ids:
        return []
    return list(
        db.session.scalars(select(ClientGoal).where(ClientGoal.id.in_(ids)).order_by(ClientGoal.id))
    )


def describe(field: str, text: str) -> str:
    """An amended part of a note in words, for its history."""
    if field not in FACTS:
        return text
    value = decode(field, text)
    if field == "activity_type":
        return ACTIVITY_TYPES.get(value, "")
    if field == "engagement":
        return ENGAGEMENT.get(value, "")
    if field == "duration_minutes":
        return f"{value} minutes" if value else ""
    if field == "activity_at":
        return clock.format_datetime(value)
    if field == "goals":
        return "; ".join(g.text for g in goals_by_id(value)) or "None recorded"
    if field == "cues":
        return cues.describe(value)
    return (
        "; ".join(f"{mohost.ITEMS[k].name} {r}" for k, r in value.items() if k in mohost.ITEMS)
        or "Not rated"
    )


class SignedNoteError(RuntimeError):
    """Something tried to change what a signed note says."""


def _was_signed(note: Note) -> bool:
    """True if the database already holds this note as signed (not just this flush)."""
    history = inspect(note).attrs.status.history
    return (history.deleted or history.unchanged or [None])[0] == SIGNED


@event.listens_for(Note, "before_update")
def _refuse_changes_to_signed_notes(mapper, connection, target: Note) -> None:
    if not _was_signed(target):
        return
    state = inspect(target)
    changed = [
        name
        for name in (*Note.CONTENT, "status", "goals", "ratings", "cues")
        if state.attrs[name].history.has_changes()
    ]
    if changed:
        raise SignedNoteError(f"note {target.id} is signed; {', '.join(changed)} cannot change")


@event.listens_for(Note, "before_delete")
def _refuse_deleting_signed_notes(mapper, connection, target: Note) -> None:
    if _was_signed(target) or target.status == SIGNED:
        raise SignedNoteError(f"note {target.id} is signed and cannot be deleted")


@event.listens_for(NoteRating, "before_update")
@event.listens_for(NoteRating, "before_delete")
def _refuse_changing_signed_ratings(mapper, connection, target: NoteRating) -> None:
    if target.note is not None and _was_signed(target.note):
        raise SignedNoteError(f"note {target.note_id} is signed; its ratings cannot change")


@event.listens_for(NoteCue, "before_update")
@event.listens_for(NoteCue, "before_delete")
def _refuse_changing_signed_cues(mapper, connection, target: NoteCue) -> None:
    if target.note is not None and _was_signed(target.note):
        raise SignedNoteError(f"note {target.note_id} is signed; its cue levels cannot change")


@event.listens_for(NoteAmendment, "before_update")
@event.listens_for(NoteCountersignature, "before_update")
def _refuse_changing_amendments(mapper, connection, target) -> None:
    raise SignedNoteError("amendments and countersignatures are append-only")


@event.listens_for(NoteAmendment, "before_delete")
@event.listens_for(NoteCountersignature, "before_delete")
def _refuse_deleting_amendments(mapper, connection, target) -> None:
    raise SignedNoteError("amendments and countersignatures are append-only")
