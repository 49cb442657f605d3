"""The two sign-in rules exist twice: in Python (the user loader's query, ``can_access_unit``)
and as SQL for the quick answer to a poll (``User.signed_in_by``, ``User.may_work_in``). They
must agree for every kind of person and unit, or a poll could be answered for someone the pages
refuse."""

import itertools

from sqlalchemy import select

from app.auth.models import Unit, User, staff_cover
from app.extensions import db


def test_may_work_in_is_can_access_unit_for_every_person_and_unit(app, make_unit, make_user):
    home = make_unit("Home ward", "Home")
    covered = make_unit("Covered ward", "Covered")
    closed_cover = make_unit("Closed covered ward", "Closed")
    elsewhere = make_unit("Elsewhere ward", "Else")
    closed_home = make_unit("Closed home ward", "ClosedHome")
    units = [home, covered, closed_cover, elsewhere, closed_home]
    people = []
    for role, home_unit in itertools.product(("ot", "assistant", "lead", "admin"), units):
        people.append(make_user(role, home_unit=home_unit))
    with app.app_context():
        for unit in (closed_cover, closed_home):
            db.session.get(Unit, unit.id).active = False
        for person in people[::2]:  # half cover two wards, one of them closed
            for unit in (covered, closed_cover):
                db.session.execute(staff_cover.insert().values(user_id=person.id, unit_id=unit.id))
        db.session.commit()

        checked = 0
        for person in db.session.scalars(select(User)):
            for unit in units + [None]:
                unit_id = unit.id if unit else 999_999
                in_sql = db.session.scalar(
                    select(User.may_work_in(unit_id)).where(User.id == person.id)
                )
                assert bool(in_sql) == person.can_access_unit(unit_id), (
                    person.role,
                    person.home_unit_id,
                    unit_id,
                )
                checked += 1
        assert checked == len(people) * 6
        # Each kind of answer was met: no rule was tested only one way.
        answers = {
            (p.role == "admin", p.can_access_unit(u.id))
            for p in db.session.scalars(select(User))
            for u in units
        }
        assert answers == {(True, True), (True, False), (False, True), (False, False)}


def test_signed_in_by_is_the_user_loaders_rule(app, make_user):
    active = make_user("ot")
    inactive = make_user("ot", active=False)
    with app.app_context():
        for person in (active, inactive):
            token = person.session_token
            found = db.session.scalar(select(User.id).where(User.signed_in_by(token)))
            assert (found is not None) == person.is_active
        assert db.session.scalar(select(User.id).where(User.signed_in_by("not-a-token"))) is None
