"""Activity notes: drafts, signed notes, their MOHOST ratings and append-only amendments.

A note's own columns are written while it is a draft and frozen when it is signed. After that
the only changes are countersigning and amendments, which are rows of their own: what was signed
is never overwritten (the ORM refuses, see ``_refuse_changes_to_signed_notes``).
"""

from datetime import datetime, timedelta

from sqlalchemy import (
    Column,
    ForeignKey,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
    event,
    inspect,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.auth.models import User
from app.clients.models import Client, ClientGoal
from app.core import clock
from app.core.types import UTCDateTime
from app.extensions import db

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
}
PLACE_LIMIT = 120
# What an amendment may change: the place and the free text (times and scales are facts of the
# activity that a new note, not an amendment, should correct).
AMENDABLE: dict[str, tuple[str, int]] = {"place": ("Place", PLACE_LIMIT), **TEXT_FIELDS}

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
    support_given: Mapped[str] = mapped_column(Text, default="")
    went_well: Mapped[str] = mapped_column(Text, default="")
    difficulties: Mapped[str] = mapped_column(Text, default="")
    risks: Mapped[str] = mapped_column(Text, default="")
    next_steps: Mapped[str] = mapped_column(Text, default="")
    observations: Mapped[str] = mapped_column(Text, default="")

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
        return ACTIVITY_TYPES.get(self.activity_type, "")

    @property
    def engagement_label(self) -> str:
        return ENGAGEMENT.get(self.engagement, "")

    @property
    def rating_map(self) -> dict[str, str]:
        return {r.item_key: r.rating for r in self.ratings}

    @property
    def needs_countersignature(self) -> bool:
        return self.is_signed and self.signed_role == "assistant" and not self.countersigned_at

    def amendments_of(self, field: str) -> list["NoteAmendment"]:
        return [a for a in self.amendments if a.field == field]

    def current(self, field: str) -> str:
        """What a part of the note says now: the latest amendment's text, else as signed."""
        changes = self.amendments_of(field)
        return changes[-1].new_text if changes else (getattr(self, field) or "")

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
        return AMENDABLE.get(self.field, (self.field, 0))[0]

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
        for name in (*Note.CONTENT, "status", "goals", "ratings")
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


@event.listens_for(NoteAmendment, "before_update")
@event.listens_for(NoteCountersignature, "before_update")
def _refuse_changing_amendments(mapper, connection, target) -> None:
    raise SignedNoteError("amendments and countersignatures are append-only")


@event.listens_for(NoteAmendment, "before_delete")
@event.listens_for(NoteCountersignature, "before_delete")
def _refuse_deleting_amendments(mapper, connection, target) -> None:
    raise SignedNoteError("amendments and countersignatures are append-only")
