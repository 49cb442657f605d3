"""Staff accounts and units: lookups and changes that more than one view or command needs."""

from typing import NamedTuple

from flask import session
from sqlalchemy import String, bindparam, func, select

from app.audit.services import diff, record, snapshot
from app.auth.models import ROLES, Unit, User
from app.extensions import db

MIN_PASSWORD_LENGTH = 12


def normalise_email(email: str) -> str:
    return (email or "").strip().lower()


def find_by_email(email: str) -> User | None:
    return db.session.scalar(select(User).where(func.lower(User.email) == normalise_email(email)))


def authenticate(email: str, password: str) -> User | None:
    """The user if the email and password match an active account, else None.

    A password hash is checked even for unknown emails so timing does not reveal which exist.
    """
    user = find_by_email(email)
    if user is None:
        User(password_hash=_DUMMY_HASH).check_password(password)
        return None
    if not user.check_password(password) or not user.active:
        return None
    return user


def _dummy_hash() -> str:
    from werkzeug.security import generate_password_hash

    return generate_password_hash("not-a-real-password")


_DUMMY_HASH = _dummy_hash()


def units() -> list[Unit]:
    return list(db.session.scalars(select(Unit).where(Unit.active).order_by(Unit.name)))


def staff(unit_id: int | None = None, active_only: bool = True) -> list[User]:
    query = select(User).order_by(User.name)
    if active_only:
        query = query.where(User.active)
    if unit_id is not None:
        query = query.where(User.home_unit_id == unit_id)
    return list(db.session.scalars(query))


def save_user(user: User, data: dict, actor: User | None, password: str | None = None) -> User:
    """Create or change an account from validated form data, writing the audit row."""
    is_new = user.id is None
    before = None if is_new else snapshot(user, User.AUDIT_FIELDS)
    user.name = data["name"].strip()
    user.email = normalise_email(data["email"])
    user.phone = (data.get("phone") or "").strip()
    if data["role"] not in ROLES:
        raise ValueError(f"unknown role {data['role']!r}")
    user.role = data["role"]
    user.home_unit_id = data["home_unit_id"]
    user.cover_units = [db.session.get(Unit, i) for i in data.get("cover_unit_ids", [])]
    if "active" in data:
        if user.active and not data["active"]:
            user.end_sessions()
        user.active = data["active"]
    if password:
        user.set_password(password)
    if is_new:
        db.session.add(user)
    db.session.flush()
    changes = diff(before, snapshot(user, User.AUDIT_FIELDS))
    if password and not is_new:
        changes["password"] = "(reset)"
    action = (
        "create" if is_new else ("deactivate" if before["active"] and not user.active else "update")
    )
    if changes or is_new:
        record(action, "staff", user.id, changes=changes, actor=actor, unit_id=user.home_unit_id)
    return user


def save_profile(user: User, phone: str, checkin_pin: str, duress_pin: str) -> None:
    """Change one's own phone and PINs; the audit row says which changed, never the PINs."""
    from werkzeug.security import generate_password_hash

    changes = {}
    phone = (phone or "").strip()
    if phone != user.phone:
        changes["phone"] = [user.phone, phone]
        user.phone = phone
    if checkin_pin:
        user.checkin_pin_hash = generate_password_hash(checkin_pin)
        changes["checkin_pin"] = "(changed)"
    if duress_pin:
        user.duress_pin_hash = generate_password_hash(duress_pin)
        changes["duress_pin"] = "(changed)"
    if changes:
        record(
            "update_profile",
            "staff",
            user.id,
            changes=changes,
            actor=user,
            unit_id=user.home_unit_id,
        )


# The unit a person is working in now is kept in their session, one tap to change.
SESSION_UNIT_KEY = "unit_id"


def current_unit_for(user: User) -> Unit:
    unit_id = session.get(SESSION_UNIT_KEY)
    allowed = user.accessible_units()
    for unit in allowed:
        if unit.id == unit_id:
            return unit
    return user.home_unit if user.home_unit in allowed or not allowed else allowed[0]


class Viewer(NamedTuple):
    """Who is asking, for a poll's version and ETag: what the quick answer needs of them."""

    id: int
    role: str


# Where Flask-Login keeps the login cookie's id (here the person's session token).
LOGIN_SESSION_KEY = "_user_id"


def login_token() -> str | None:
    """The session token this request's login cookie carries, unchecked."""
    token = session.get(LOGIN_SESSION_KEY)
    return token if isinstance(token, str) else None


def viewer_columns(unit_id) -> tuple:
    """Two columns to add to a poll's version statement: the id and role of the person whose
    session token is the bind parameter ``token``, if they are signed in and may work in
    ``unit_id`` (a bind parameter or a column), else NULL. The user loader's rule and
    ``can_access_unit`` as SQL, so a quick answer checks the person in the same statement."""

    def column(attribute, name: str):
        return (
            select(attribute)
            .where(User.signed_in_by(bindparam("token", type_=String)), User.may_work_in(unit_id))
            .scalar_subquery()
            .label(name)
        )

    return column(User.id, "viewer_id"), column(User.role, "viewer_role")


def switch_unit(user: User, unit_id: int) -> Unit | None:
    if not user.can_access_unit(unit_id):
        return None
    session[SESSION_UNIT_KEY] = unit_id
    return db.session.get(Unit, unit_id)
