"""Wrong check-in PINs are limited without ever quietly stopping an escalation (issue 13 item 10).

Five wrong PINs in 15 minutes (counted per person in the shared limit storage) pause check-in
by PIN: the worker is told to phone the unit, the leads get an alert to acknowledge, and the
ladder keeps running. The duress PIN is a right PIN: it works, paused or not, and is never counted.
"""

import pytest
from sqlalchemy import select
from werkzeug.security import generate_password_hash

from app.audit.models import AuditEvent
from app.auth.models import User
from app.extensions import db
from app.lone_working.models import Outing, OutingEvent
from tests.conftest import soup

CHECKIN, DURESS = "2468", "1357"


@pytest.fixture
def worker(app, make_user):
    person = make_user("ot")
    with app.app_context():
        user = db.session.get(User, person.id)
        user.checkin_pin_hash = generate_password_hash(CHECKIN)
        user.duress_pin_hash = generate_password_hash(DURESS)
        db.session.commit()
    return person


def _back(web, outing_id, pin):
    return web.post(f"/out/{outing_id}/back", {"pin": pin})


def _outing(app, outing_id) -> Outing:
    with app.app_context():
        outing = db.session.get(Outing, outing_id)
        db.session.expunge(outing)
    return outing


def _pin_error(response) -> str:
    return soup(response).select_one("#pin-error").get_text(" ", strip=True)


def test_five_wrong_pins_pause_pin_check_in_with_a_message_to_phone_the_unit(
    app, web, worker, make_outing, clock_at
):
    outing_id = make_outing(worker=worker)
    web.login(worker)
    for _ in range(4):
        response = _back(web, outing_id, "0000")
        assert response.status_code == 422 and "That PIN is not right" in _pin_error(response)
    fifth = _back(web, outing_id, "0000")
    assert fifth.status_code == 422
    assert "Phone the unit" in _pin_error(fifth) and "paused" in _pin_error(fifth)

    right = _back(web, outing_id, CHECKIN)  # paused: even the right PIN waits
    assert right.status_code == 422 and "Phone the unit" in _pin_error(right)
    assert _outing(app, outing_id).checked_in_at is None

    clock_at.advance(minutes=16)
    assert _back(web, outing_id, CHECKIN).status_code == 303
    assert _outing(app, outing_id).checked_in_at is not None


def test_the_pause_alerts_the_leads_once_with_an_event_and_an_audit_row(
    app, web, worker, make_user, make_outing, clock_at, channels, outbox
):
    lead = make_user("lead")
    outing_id = make_outing(worker=worker, buddy=make_user("ot"))
    web.login(worker)
    for _ in range(7):
        _back(web, outing_id, "0000")
    with app.app_context():
        events = db.session.scalars(
            select(OutingEvent.kind).where(OutingEvent.outing_id == outing_id)
        ).all()
        audits = db.session.scalars(
            select(AuditEvent).where(AuditEvent.action == "pins_paused")
        ).all()
    assert events.count("pins_paused") == 1
    assert [(a.entity_id, a.actor_id, a.summary["wrong_pins"]) for a in audits] == [
        (outing_id, worker.id, 5)
    ]
    told = {m.recipient_id for m in outbox(outing_id)}
    assert lead.id in told and worker.id not in told
    assert not any(CHECKIN in m.body or "0000" in m.body for m in outbox(outing_id))

    web.post("/logout")
    web._token = None
    web.login(lead)
    assert "alert needs acknowledging" in web.get("/").get_data(as_text=True)


def test_wrong_pins_never_stop_the_ladder(app, web, worker, make_outing, clock_at, tick, steps_of):
    outing_id = make_outing(worker=worker, minutes=10)
    web.login(worker)
    for _ in range(6):
        _back(web, outing_id, "9999")
    clock_at.advance(minutes=10 + 31)
    tick()
    assert steps_of(outing_id) == [
        ("e1:pins_paused", "red"),  # the pause's own alert to the leads
        ("e1:prompt", "due"),  # then the ladder, exactly as if no PIN had been typed
        ("e1:prompt-again", "due"),
        ("e1:buddy", "amber"),
        ("e1:leads", "red"),
    ]
    outing = _outing(app, outing_id)
    assert outing.checked_in_at is None and outing.next_step_at is not None


def test_the_duress_pin_works_while_paused_and_is_never_counted_as_wrong(
    app, web, worker, make_outing, clock_at, steps_of
):
    outing_id = make_outing(worker=worker)
    web.login(worker)
    for _ in range(5):
        _back(web, outing_id, "0000")
    response = _back(web, outing_id, DURESS)
    assert response.status_code == 303  # looks like a normal check-in
    assert ("duress", "sos") in steps_of(outing_id)


def test_duress_pins_do_not_count_towards_the_pause(
    app, web, worker, make_user, make_outing, clock_at
):
    web.login(worker)
    for n in range(6):  # six outings ended with the duress PIN, then a normal check-in
        outing_id = make_outing(worker=worker, destination=f"Place {n}")
        assert _back(web, outing_id, DURESS).status_code == 303
        with app.app_context():
            db.session.get(Outing, outing_id).status = "resolved"
            db.session.commit()
        clock_at.advance(minutes=1)
    last = make_outing(worker=worker, destination="Home")
    for _ in range(4):
        _back(web, last, "0000")
    assert _back(web, last, CHECKIN).status_code == 303


def test_the_pause_is_per_person(app, web, worker, make_user, make_outing, clock_at):
    other = make_user("ot")
    with app.app_context():
        db.session.get(User, other.id).checkin_pin_hash = generate_password_hash(CHECKIN)
        db.session.commit()
    mine = make_outing(worker=worker)
    theirs = make_outing(worker=other, destination="Café")
    web.login(worker)
    for _ in range(5):
        _back(web, mine, "0000")
    web.post("/logout")
    web._token = None
    web.login(other)
    assert _back(web, theirs, CHECKIN).status_code == 303
