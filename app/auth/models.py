"""Units of the Trust and the staff who log in."""

import secrets
from datetime import datetime

from flask_login import UserMixin
from sqlalchemy import Boolean, Column, ForeignKey, String, Table, select
from sqlalchemy.orm import Mapped, mapped_column, relationship
from werkzeug.security import check_password_hash, generate_password_hash

from app.core import clock
from app.core.types import UTCDateTime
from app.extensions import db

ROLES = {
    "ot": "Occupational therapist",
    "assistant": "OT assistant / assistant practitioner",
    "lead": "Lead OT / shift lead",
    "admin": "Administrator",
}
CLINICAL_LEADS = ("lead", "admin")

staff_cover = Table(
    "staff_cover",
    db.metadata,
    Column("user_id", ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
    Column("unit_id", ForeignKey("units.id", ondelete="CASCADE"), primary_key=True),
)


class Unit(db.Model):
    __tablename__ = "units"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120), unique=True)
    short_name: Mapped[str] = mapped_column(String(40))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    # The unit's shift phone (carried by whoever is in charge): it can be a check-out's buddy.
    shift_phone: Mapped[str] = mapped_column(String(32), default="", server_default="")

    def __repr__(self) -> str:
        return f"<Unit {self.id} {self.short_name}>"


def _new_session_token() -> str:
    return secrets.token_urlsafe(32)


class User(UserMixin, db.Model):
    __tablename__ = "users"
    AUDIT_FIELDS = ("name", "email", "phone", "role", "home_unit_id", "active", "cover_unit_ids")

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    email: Mapped[str] = mapped_column(String(254), unique=True)
    phone: Mapped[str] = mapped_column(String(32), default="")
    role: Mapped[str] = mapped_column(String(16))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    # What the login cookie carries instead of the id: rotating it ends every session at once.
    session_token: Mapped[str] = mapped_column(String(64), unique=True, default=_new_session_token)
    # Optional lone-working PINs (hashed). Checking in with the duress PIN looks like a normal
    # check-in on the phone but silently raises the top step of the escalation ladder.
    checkin_pin_hash: Mapped[str | None] = mapped_column(String(255), nullable=True)
    duress_pin_hash: Mapped[str | None] = mapped_column(String(255), nullable=True)
    home_unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)

    home_unit: Mapped[Unit] = relationship(foreign_keys=[home_unit_id])
    cover_units: Mapped[list[Unit]] = relationship(secondary=staff_cover, order_by=Unit.name)

    @property
    def is_active(self) -> bool:  # Flask-Login refuses inactive users
        return bool(self.active)

    def get_id(self) -> str:
        return self.session_token

    def set_password(self, password: str) -> None:
        self.password_hash = generate_password_hash(password)
        self.end_sessions()

    def check_password(self, password: str) -> bool:
        return check_password_hash(self.password_hash, password)

    def pin_matches(self, pin: str) -> str | None:
        """'checkin' or 'duress' when ``pin`` is one of this person's PINs, else None."""
        if self.duress_pin_hash and pin and check_password_hash(self.duress_pin_hash, pin):
            return "duress"
        if self.checkin_pin_hash and pin and check_password_hash(self.checkin_pin_hash, pin):
            return "checkin"
        return None

    def end_sessions(self) -> None:
        self.session_token = _new_session_token()

    def has_role(self, *roles: str) -> bool:
        return self.role in roles

    @property
    def role_label(self) -> str:
        return ROLES.get(self.role, self.role)

    @property
    def cover_unit_ids(self) -> list[int]:
        return sorted(u.id for u in self.cover_units)

    def accessible_units(self) -> list[Unit]:
        """Units this person may work in: all for admins, else home unit and the ones they cover."""
        if self.role == "admin":
            return list(db.session.scalars(select(Unit).where(Unit.active).order_by(Unit.name)))
        units = {self.home_unit_id: self.home_unit}
        units.update({u.id: u for u in self.cover_units if u.active})
        return sorted(units.values(), key=lambda u: u.name)

    def can_access_unit(self, unit_id: int) -> bool:
        return any(u.id == unit_id for u in self.accessible_units())

    # The same two rules as SQL, for the quick answer to a poll (app/core/conditional.py), which
    # checks them in one statement without loading the person. tests/auth/test_access_rules.py
    # holds each equal to its Python form above for every kind of person and unit.

    @classmethod
    def signed_in_by(cls, token):
        """The person whose login cookie carries ``token``: the user loader's rule too."""
        return (cls.session_token == token) & cls.active

    @classmethod
    def may_work_in(cls, unit_id):
        """``can_access_unit(unit_id)``: an admin any active unit; anyone else their home unit
        and the active units they cover."""
        active_unit = select(Unit.id).where(Unit.id == unit_id, Unit.active).exists()
        covered = (
            select(staff_cover.c.unit_id)
            .join(Unit, Unit.id == staff_cover.c.unit_id)
            .where(staff_cover.c.user_id == cls.id, staff_cover.c.unit_id == unit_id, Unit.active)
            .exists()
        )
        return ((cls.role == "admin") & active_unit) | (
            (cls.role != "admin") & ((cls.home_unit_id == unit_id) | covered)
        )

    def __repr__(self) -> str:
        return f"<User {self.id} {self.role}>"
