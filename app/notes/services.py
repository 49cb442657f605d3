"""Writing, signing, amending, countersigning and finding activity notes.

Plain functions over the session: the caller commits. Every create, sign, amend and countersign
writes an audit row with ids and flags only, never what the note says.
"""

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from typing import Any

from sqlalchemy import Integer, bindparam, func, select, update
from sqlalchemy.orm import contains_eager, raiseload, selectinload

from app.audit.services import record
from app.auth.models import User
from app.clients.models import Client, ClientGoal
from app.core import clock
from app.core.forms import parse_id
from app.extensions import db
from app.notes import cues, mohost
from app.notes.models import (
    ACTIVITY_TYPES,
    AMENDABLE,
    DISH_LIMIT,
    DRAFT,
    FACTS,
    PLACE_LIMIT,
    SIGNED,
    TEXT_FIELDS,
    Note,
    NoteAmendment,
    NoteCountersignature,
    NoteCue,
    NoteRating,
)

WRITERS = ("ot", "assistant", "lead")
# Who may read clinical text. Roles are single-valued (admin, lead, ot, assistant), so an admin
# never "also holds a clinical role": admins manage accounts and units and see no notes at all
# (least privilege, issue 13 item 14). A clinician who also administers needs a clinical account.
READERS = WRITERS
COUNTERSIGNERS = ("ot", "lead")
NEEDS_COUNTERSIGNATURE = ("assistant",)
AMENDERS = ("lead",)  # besides the note's own author


class NoteRefused(Exception):
    """The note cannot be changed this way; ``message`` says why, in words for the user."""

    def __init__(self, message: str, status: int = 409):
        super().__init__(message)
        self.message = message
        self.status = status


SIGNED_MESSAGE = (
    "This note has been signed, so it cannot be changed. "
    "If something in it is wrong, amend it and give a reason: the original stays on the record."
)


def new_key() -> str:
    return str(uuid.uuid4())


def _still_a_draft(note: Note) -> bool:
    """Take the note's row for this transaction and read it afresh: False if it has been signed
    (or deleted) since it was loaded. A sign and a late autosave, or two phones, then queue on
    the row instead of the later write silently changing a signed note."""
    result = db.session.execute(
        update(Note)
        .where(Note.id == note.id, Note.status == DRAFT)
        .values(revision=Note.revision)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        return False
    db.session.refresh(note)
    return not note.is_signed


def find_by_key(key: str) -> Note | None:
    return db.session.scalar(select(Note).where(Note.idempotency_key == key))


def client_for(user: User, client_id: Any) -> Client | None:
    """The client if the id is a client of a unit this person works in, else None."""
    client_id = parse_id(client_id)
    if client_id is None:
        return None
    if not user.has_role(*READERS):
        return None
    client = db.session.get(Client, client_id)
    if client is None or not user.can_access_unit(client.unit_id):
        return None
    return client


def visible_note(user: User, note_id: int) -> Note | None:
    """A note this person may read: any signed note of their units, and their own drafts."""
    if not user.has_role(*READERS):
        return None
    note = db.session.get(Note, note_id)
    if note is None or not user.can_access_unit(note.client.unit_id):
        return None
    if not note.is_signed and note.author_id != user.id:
        return None
    return note


def outing_had_client(outing_id: int, client: Client) -> bool:
    """True if the client was on this lone-working outing and it belongs to the client's unit.

    Notes must not import lone working's Python (features do not import each other), yet a
    note's outing has to be a real one. The check therefore reads lone working's two tables by
    name from the shared metadata: the database, not the other feature's code, is the contract.
    A foreign key would say "exists" but not "this client, this unit"; a core helper would put
    a lone-working fact in core for one caller. If the tables are missing, nothing matches.
    """
    tables = db.metadata.tables
    if "outing_clients" not in tables or "outings" not in tables:
        return False
    links, outings = tables["outing_clients"], tables["outings"]
    if not 0 < outing_id < 2**31:
        return False
    found = db.session.execute(
        select(links.c.outing_id)
        .join(outings, outings.c.id == links.c.outing_id)
        .where(
            links.c.outing_id == outing_id,
            links.c.client_id == client.id,
            outings.c.unit_id == client.unit_id,
        )
    ).first()
    return found is not None


OUTING_MESSAGE = (
    "The outing this note was started from is not one {initials} was on in this unit, so the "
    "note is not linked to it. Everything you typed is kept: save or sign again"
)


def goal_choices(client: Client, note: Note | None = None) -> list[ClientGoal]:
    """Goals a note may say it addressed: the client's active goals and any it already names."""
    active = db.session.scalars(
        select(ClientGoal)
        .where(ClientGoal.client_id == client.id, ClientGoal.active)
        .order_by(ClientGoal.created_at, ClientGoal.id)
    ).all()
    chosen = [g for g in (note.goals if note else []) if not g.active]
    return [*active, *chosen]


# --- writing -------------------------------------------------------------------------------


@dataclass
class Saved:
    note: Note
    created: bool
    already_signed: bool = False


def save_note(key: str, client: Client, data: Mapping[str, Any], actor: User, sign: bool = False):
    """Create or update the draft with this idempotency key, and sign it if asked.

    The same key sent again (a retry after a timeout, a double tap) lands on the same note. A
    key that already belongs to a signed note changes nothing and says so.
    """
    note = find_by_key(key)
    created = False
    if note is not None:
        if note.author_id != actor.id or note.client_id != client.id:
            raise NoteRefused("This form belongs to another note. Refresh the page.", 409)
        if note.is_signed or not _still_a_draft(note):
            db.session.expire(note)
            return Saved(note, created=False, already_signed=True)
    else:
        note = Note(
            idempotency_key=key,
            client_id=client.id,
            author_id=actor.id,
            status=DRAFT,
            created_at=clock.now(),
            revision=0,
        )
        db.session.add(note)
        created = True
    apply(note, client, data)
    note.revision = (note.revision or 0) + 1
    note.updated_at = clock.now()
    db.session.flush()
    if created:
        record(
            "create",
            "note",
            note.id,
            actor=actor,
            unit_id=client.unit_id,
            extra={"client_id": client.id, "outing_id": note.outing_id, "status": DRAFT},
        )
    if sign:
        sign_note(note, actor)
    return Saved(note, created)


def differs_from(note: Note, data: Mapping[str, Any]) -> bool:
    """True if parsed form values say something the note does not: then a form whose key
    turned out to be a signed note's holds text the person typed that is not on the record."""
    for name in ("activity_at", "duration_minutes", "activity_type", "engagement", "place", "dish"):
        if name in data and (data[name] or None) != (getattr(note, name) or None):
            return True
    if "cues" in data and cues.clean(data["cues"]) != note.cue_map:
        return True
    for name in TEXT_FIELDS:
        if name in data and (data[name] or "").strip() != (getattr(note, name) or "").strip():
            return True
    if "goal_ids" in data and set(data["goal_ids"]) != {g.id for g in note.goals}:
        return True
    return "ratings" in data and mohost.clean(data["ratings"]) != note.rating_map


def apply(note: Note, client: Client, data: Mapping[str, Any]) -> None:
    """Copy parsed form values onto a draft; keys missing from ``data`` are left as they are."""
    if note.is_signed:
        raise NoteRefused(SIGNED_MESSAGE, 409)
    for name in ("activity_at", "duration_minutes", "activity_type", "engagement", "place", "dish"):
        if name in data:
            setattr(note, name, data[name])
    for name in TEXT_FIELDS:
        if name in data:
            setattr(note, name, data[name])
    if data.get("outing_id") is not None and note.outing_id is None:
        if not outing_had_client(data["outing_id"], client):
            raise NoteRefused(OUTING_MESSAGE.format(initials=client.initials), 422)
        note.outing_id = data["outing_id"]
    if "goal_ids" in data:
        wanted = set(data["goal_ids"])
        allowed = {g.id: g for g in goal_choices(client, note)}
        note.goals = [allowed[i] for i in sorted(wanted) if i in allowed]
    if "ratings" in data:
        set_ratings(note, data["ratings"])
    if "cues" in data:
        set_cues(note, data["cues"])


def set_ratings(note: Note, ratings: Mapping[str, str]) -> None:
    wanted = mohost.clean(ratings)
    existing = {r.item_key: r for r in note.ratings}
    for key, row in existing.items():
        if key not in wanted:
            note.ratings.remove(row)
        elif row.rating != wanted[key]:
            row.rating = wanted[key]
    for key, rating in wanted.items():
        if key not in existing:
            note.ratings.append(NoteRating(item_key=key, rating=rating))


def set_cues(note: Note, levels: Mapping[str, Any]) -> None:
    """The task cue section, as MOHOST ratings are kept: one row per rated skill."""
    wanted = cues.clean(levels)
    existing = {c.skill_key: c for c in note.cues}
    for key, row in existing.items():
        if key not in wanted:
            note.cues.remove(row)
        elif row.level != wanted[key]:
            row.level = wanted[key]
    for key, level in wanted.items():
        if key not in existing:
            note.cues.append(NoteCue(skill_key=key, level=level))


def sign_note(note: Note, actor: User) -> Note:
    """Sign: author, role (as it is now) and time are recorded and the note becomes read-only."""
    if note.is_signed or (note.id is not None and not _still_a_draft(note)):
        raise NoteRefused(SIGNED_MESSAGE, 409)
    if note.author_id != actor.id:
        raise NoteRefused("Only the person who wrote a note can sign it.", 403)
    note.status = SIGNED
    note.signed_at = clock.now()
    note.signed_by_id = actor.id
    note.signed_by_name = actor.name
    note.signed_role = actor.role
    note.signed_role_label = actor.role_label
    db.session.flush()
    record(
        "sign",
        "note",
        note.id,
        actor=actor,
        unit_id=note.client.unit_id,
        extra={
            "client_id": note.client_id,
            "late_entry": note.is_late_entry,
            "mohost_items_rated": len(note.ratings),
            **({"cue_levels_rated": len(note.cues)} if note.cues else {}),
        },
    )
    return note


def discard_draft(note: Note, actor: User) -> None:
    """Delete one's own unsigned draft (it was never part of the record)."""
    if note.is_signed or not _still_a_draft(note):
        raise NoteRefused(SIGNED_MESSAGE, 409)
    if note.author_id != actor.id:
        raise NoteRefused("Only the person who started a draft can delete it.", 403)
    record(
        "discard",
        "note",
        note.id,
        actor=actor,
        unit_id=note.client.unit_id,
        extra={"client_id": note.client_id, "status": DRAFT},
    )
    db.session.delete(note)
    db.session.flush()


# --- after signing -------------------------------------------------------------------------


def can_amend(note: Note, user: User) -> bool:
    return note.is_signed and (note.author_id == user.id or user.has_role(*AMENDERS))


def amend(note: Note, field: str, new_text: str, reason: str, actor: User) -> NoteAmendment:
    """A signed change to one part of a signed note; the text it replaces is kept with it."""
    if not note.is_signed:
        raise NoteRefused("A draft is changed by editing it, not by an amendment.", 409)
    if not can_amend(note, actor):
        raise NoteRefused(
            "Only the person who wrote this note, or a lead OT, can amend it.", status=403
        )
    if field not in AMENDABLE and field not in FACTS:
        raise NoteRefused("That part of a note cannot be amended.", 404)
    old_text = note.current(field)
    amendment = NoteAmendment(
        note_id=note.id,
        field=field,
        old_text=old_text,
        new_text=new_text.strip() if field in AMENDABLE else new_text,
        reason=reason.strip(),
        author_id=actor.id,
        author_name=actor.name,
        author_role_label=actor.role_label,
        signed_at=clock.now(),
    )
    db.session.add(amendment)
    # What an assistant changes after a countersignature has not been countersigned: the note
    # waits for an OT or lead again. The earlier countersignature stays in its own row.
    withdrawn = note.countersigned_at is not None and actor.has_role(*NEEDS_COUNTERSIGNATURE)
    if withdrawn:
        note.countersigned_at = None
        note.countersigned_by_id = None
        note.countersigned_by_name = ""
        note.countersigned_role_label = ""
    db.session.flush()
    db.session.refresh(note, ["amendments"])
    record(
        "amend",
        "note",
        note.id,
        actor=actor,
        unit_id=note.client.unit_id,
        extra={
            "client_id": note.client_id,
            "field": field,
            "amendment_id": amendment.id,
            # Facts are codes and ids, so before and after go in the audit; free text never.
            **({"before": old_text, "after": new_text} if field in FACTS else {}),
            **({"needs_countersignature_again": True} if withdrawn else {}),
        },
    )
    return amendment


def countersign_problem(note: Note, user: User) -> str | None:
    """Why this person cannot countersign this note, or None if they can."""
    if not note.is_signed:
        return "A note must be signed by its author before it can be countersigned."
    if note.signed_role not in NEEDS_COUNTERSIGNATURE:
        return "Only notes written by an OT assistant are countersigned."
    if note.countersigned_at is not None:
        return "This note has already been countersigned."
    if not user.has_role(*COUNTERSIGNERS):
        return "Only an occupational therapist or a lead OT can countersign a note."
    if user.id in (note.signed_by_id, note.author_id):
        return "You cannot countersign your own note."
    return None


def countersign(note: Note, actor: User) -> Note:
    problem = countersign_problem(note, actor)
    if problem:
        raise NoteRefused(problem, 403)
    note.countersigned_at = clock.now()
    note.countersigned_by_id = actor.id
    note.countersigned_by_name = actor.name
    note.countersigned_role_label = actor.role_label
    db.session.add(
        NoteCountersignature(
            note_id=note.id,
            by_id=actor.id,
            by_name=actor.name,
            role_label=actor.role_label,
            at=note.countersigned_at,
        )
    )
    db.session.flush()
    db.session.refresh(note, ["countersignatures"])
    record(
        "countersign",
        "note",
        note.id,
        actor=actor,
        unit_id=note.client.unit_id,
        extra={"client_id": note.client_id},
    )
    return note


# --- finding -------------------------------------------------------------------------------


def _newest_first(query):
    when = func.coalesce(Note.activity_at, Note.created_at)
    return query.order_by(when.desc(), Note.id.desc())


def client_notes(client: Client, viewer: User, page: int, per_page: int) -> tuple[list[Note], bool]:
    """A client's signed notes and the viewer's own drafts for them, newest activity first."""
    query = select(Note).where(
        Note.client_id == client.id,
        (Note.status == SIGNED) | (Note.author_id == viewer.id),
    )
    rows = db.session.scalars(
        _newest_first(query).offset((page - 1) * per_page).limit(per_page + 1)
    ).all()
    return list(rows[:per_page]), len(rows) > per_page


# A list of notes shows each one's client and its facts as amended: the client comes with the
# join, the amendments in one more statement, and the goals, ratings, cues and countersignatures
# a note otherwise loads with it are not loaded at all (touching one is an error, not a slow page).
_LIST_ONLY = (contains_eager(Note.client), selectinload(Note.amendments), raiseload("*"))


def drafts_for(user: User) -> list[Note]:
    """This person's unsigned drafts, most recently touched first, in units they work in."""
    return _notes_of(user, DRAFT)


def recent_signed_for(user: User, limit: int = 5) -> list[Note]:
    return _notes_of(user, SIGNED, limit)


def _notes_of(user: User, status: str, limit: int | None = None) -> list[Note]:
    units = [u.id for u in user.accessible_units()]
    statement = _notes_of_statement(status, limit)
    return list(db.session.scalars(statement, {"user_id": user.id, "units": units}))


@cache
def _notes_of_statement(status: str, limit: int | None):
    """Built once per kind (home runs both on every visit, and building cost more than running):
    drafts by their author, newest touched first; signed notes by who signed, newest first."""
    by, newest = (
        (Note.author_id, Note.updated_at)
        if status == DRAFT
        else (Note.signed_by_id, Note.signed_at)
    )
    statement = (
        select(Note)
        .join(Client, Client.id == Note.client_id)
        .where(
            by == bindparam("user_id", type_=Integer),
            Note.status == status,
            Client.unit_id.in_(bindparam("units", expanding=True)),
        )
        .order_by(newest.desc(), Note.id.desc())
        .options(*_LIST_ONLY)
    )
    return statement if limit is None else statement.limit(limit)


def waiting_for_countersignature(user: User, limit: int = 50) -> tuple[list[Note], int]:
    """Assistants' signed notes in this person's units that no OT or lead has countersigned
    (or that were amended since), oldest signature first, and how many there are in all."""
    units = [u.id for u in user.accessible_units()]
    where = (
        Note.status == SIGNED,
        Note.signed_role.in_(NEEDS_COUNTERSIGNATURE),
        Note.countersigned_at.is_(None),
        Client.unit_id.in_(units),
        Note.author_id != user.id,
    )
    query = select(Note).join(Client, Client.id == Note.client_id).where(*where)
    notes = db.session.scalars(query.order_by(Note.signed_at, Note.id).limit(limit)).all()
    count = db.session.scalar(
        select(func.count(Note.id)).join(Client, Client.id == Note.client_id).where(*where)
    )
    return list(notes), count


def notes_for_outing(user: User, outing_id: int, client_ids: list[int]) -> dict[int, Note]:
    """This person's notes from an outing, by client (the latest per client)."""
    rows = db.session.scalars(
        select(Note)
        .where(
            Note.author_id == user.id,
            Note.outing_id == outing_id,
            Note.client_id.in_(client_ids),
        )
        .order_by(Note.id)
    ).all()
    return {note.client_id: note for note in rows}


@dataclass(frozen=True)
class RatingPoint:
    """One signed note's MOHOST ratings, for the client's summary and chart."""

    note_id: int
    at: datetime
    ratings: dict[str, str]

    @property
    def sections(self) -> list[mohost.SectionTotal]:
        return mohost.section_totals(self.ratings)

    @property
    def overall(self) -> mohost.Total:
        return mohost.overall_total(self.ratings)


def rating_history(client: Client, limit: int = 50) -> list[RatingPoint]:
    """Signed notes with any MOHOST rating, oldest activity first (the latest ``limit``)."""
    rated = select(NoteRating.note_id).union(
        select(NoteAmendment.note_id).where(NoteAmendment.field == "mohost")
    )
    notes = db.session.scalars(
        select(Note)
        .where(Note.client_id == client.id, Note.status == SIGNED, Note.id.in_(rated))
        .order_by(Note.activity_at.desc(), Note.id.desc())
        .limit(limit)
    ).all()
    points = [RatingPoint(n.id, n.activity_at, n.current_ratings) for n in reversed(notes)]
    return [p for p in points if p.ratings]  # ratings amended away leave no point


# --- prefill from an outing ----------------------------------------------------------------


def parse_prefill(args: Mapping[str, str]) -> dict[str, Any]:
    """Facts an outing or the meals pages hand over in the query string: ``at`` (ISO),
    ``place``, ``outing``, ``type`` (a known activity type) and ``dish``.

    Anything that does not parse is ignored: the OT fills it in. A time without a zone is UK
    local time; a future time is dropped (the form would refuse it).
    """
    data: dict[str, Any] = {}
    raw_at = (args.get("at") or "").strip()[:40]
    if raw_at:
        try:
            at = clock.parse_datetime(raw_at)
        except ValueError:
            at = None
        if at is not None and at <= clock.now():
            local = clock.to_london(at)
            data["activity_date"] = local.date()
            data["activity_time"] = local.time().replace(second=0, microsecond=0)
    place = (args.get("place") or "").strip()
    if place:
        data["place"] = place[:PLACE_LIMIT]
    outing = parse_id(args.get("outing"))
    if outing is not None:
        data["outing_id"] = outing
    activity_type = (args.get("type") or "").strip()
    if activity_type in ACTIVITY_TYPES:
        data["activity_type"] = activity_type
    dish = " ".join((args.get("dish") or "").split())
    if dish:
        data["dish"] = dish[:DISH_LIMIT]
    return data
