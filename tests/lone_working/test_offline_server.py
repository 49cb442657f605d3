"""The server side of working without signal (issue 10 item 3 and 5): a queued "I'm back" keeps
the moment it was pressed as well as the moment it arrived, a second delivery of it changes
nothing, and a position sent with SOS is stored on that SOS alone."""

from datetime import timedelta

import pytest
from sqlalchemy import select

from app.audit.models import AuditEvent
from app.extensions import db
from app.lone_working.models import EscalationStep, Outing, OutingEvent
from tests.conftest import Web, soup
from tests.lone_working.conftest import T0


@pytest.fixture
def setup(make_user, make_outing, clock_at):
    worker, lead = make_user("ot"), make_user("lead")
    return worker, lead, make_outing(worker=worker, buddy=lead, minutes=60)


def _outing(app, outing_id) -> Outing:
    with app.app_context():
        outing = db.session.get(Outing, outing_id)
        db.session.expunge(outing)
    return outing


def _checked_in_events(app, outing_id):
    with app.app_context():
        return [
            dict(e.data)
            for e in db.session.scalars(
                select(OutingEvent).where(
                    OutingEvent.outing_id == outing_id, OutingEvent.kind == "checked_in"
                )
            )
        ]


def test_a_queued_check_in_keeps_the_time_pressed_and_the_time_it_arrived(
    app, web, setup, clock_at
):
    worker, lead, outing_id = setup
    pressed = T0 + timedelta(minutes=50)
    clock_at.advance(minutes=75)  # the signal came back 25 minutes later
    web.login(worker)
    response = web.post(f"/out/{outing_id}/back", {"pressed": pressed.isoformat()}, htmx=True)
    assert response.status_code == 204 and "HX-Redirect" in response.headers
    outing = _outing(app, outing_id)
    assert outing.checkin_pressed_at == pressed
    assert outing.checked_in_at == T0 + timedelta(minutes=75)
    leads = Web(app.test_client())
    leads.login(lead)
    page = soup(leads.get(f"/out/{outing_id}")).get_text(" ", strip=True)
    assert "Pressed at 10:50 on a phone with no signal; it reached Waypoint at 11:15" in page


@pytest.mark.parametrize(
    "pressed",
    [
        "2026-11-24T12:00:00+00:00",  # in the future
        "2026-11-24T09:00:00+00:00",  # before the outing started
        "2026-11-24T10:30:00",  # no time zone
        "yesterday",
        "x" * 10_000,
    ],
)
def test_a_pressed_time_that_cannot_be_right_is_refused_flagged_and_the_arrival_time_used(
    app, web, setup, clock_at, pressed
):
    worker, lead, outing_id = setup
    clock_at.advance(minutes=40)
    web.login(worker)
    response = web.post(f"/out/{outing_id}/back", {"pressed": pressed}, htmx=True)
    assert response.status_code == 204  # the check-in itself is never refused for it
    outing = _outing(app, outing_id)
    assert outing.checked_in_at == T0 + timedelta(minutes=40)
    assert outing.checkin_pressed_at is None
    assert _checked_in_events(app, outing_id)[0]["pressed_refused"] is True


def test_a_second_delivery_of_the_same_queued_check_in_changes_nothing(app, web, setup, clock_at):
    worker, lead, outing_id = setup
    clock_at.advance(minutes=30)
    web.login(worker)
    pressed = (T0 + timedelta(minutes=20)).isoformat()
    first = web.post(f"/out/{outing_id}/back", {"pressed": pressed}, htmx=True)
    clock_at.advance(minutes=1)
    again = web.post(f"/out/{outing_id}/back", {"pressed": pressed}, htmx=True)
    assert first.status_code == again.status_code == 204
    assert len(_checked_in_events(app, outing_id)) == 1
    assert _outing(app, outing_id).checked_in_at == T0 + timedelta(minutes=30)
    with app.app_context():
        audits = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "check_in")).all()
    assert len(audits) == 1


def _sos_steps(app, outing_id):
    with app.app_context():
        return [
            (s.reason, s.latitude, s.longitude, s.accuracy_m)
            for s in db.session.scalars(
                select(EscalationStep).where(EscalationStep.outing_id == outing_id)
            )
        ]


def test_a_position_sent_with_sos_is_stored_on_the_sos_and_shown_to_leads(
    app, web, setup, clock_at
):
    worker, lead, outing_id = setup
    web.login(worker)
    response = web.post(
        f"/out/{outing_id}/sos",
        {"latitude": "53.480759", "longitude": "-2.242631", "accuracy": "18.5"},
    )
    assert response.status_code in (302, 303)
    assert _sos_steps(app, outing_id) == [("sos", 53.480759, -2.242631, 18.5)]
    with app.app_context():
        stored = [f"{e.text} {e.data}" for e in db.session.scalars(select(OutingEvent))]
        stored += [str(a.__dict__) for a in db.session.scalars(select(AuditEvent))]
    assert not any("53.48" in row for row in stored)  # the SOS alone holds it

    leads = Web(app.test_client())
    leads.login(lead)
    box = soup(leads.get(f"/out/{outing_id}")).select_one(".app-sos-location")
    assert "53.48076, -2.24263" in box.get_text(" ", strip=True)
    assert "about 18 m" in box.get_text(" ", strip=True)
    link = box.find("a", string=lambda s: "OpenStreetMap" in s)
    assert link["href"].startswith("https://www.openstreetmap.org/?mlat=53.48076&mlon=-2.24263")


def test_the_worker_does_not_see_the_position_on_the_outing_page(app, web, setup):
    worker, lead, outing_id = setup
    web.login(worker)
    web.post(f"/out/{outing_id}/sos", {"latitude": "53.4", "longitude": "-2.2"})
    assert soup(web.get(f"/out/{outing_id}")).select_one(".app-sos-location") is None


@pytest.mark.parametrize(
    "fields",
    [
        {},
        {"latitude": "91", "longitude": "0"},
        {"latitude": "nan", "longitude": "nan"},
        {"latitude": "1e400", "longitude": "2"},
        {"latitude": "53.4"},
        {"latitude": "٥٣", "longitude": "2"},
        {"latitude": "x" * 10_000, "longitude": "2"},
    ],
)
def test_sos_without_a_usable_position_is_still_sent_without_one(app, web, setup, fields):
    worker, lead, outing_id = setup
    web.login(worker)
    response = web.post(f"/out/{outing_id}/sos", fields)
    assert response.status_code in (302, 303)
    assert _sos_steps(app, outing_id) == [("sos", None, None, None)]


def test_a_position_is_not_stored_by_anything_but_sos(app, web, setup):
    worker, lead, outing_id = setup
    web.login(worker)
    web.post(f"/out/{outing_id}/back", {"latitude": "53.4", "longitude": "-2.2"})
    with app.app_context():
        steps = db.session.scalars(select(EscalationStep)).all()
        events = [f"{e.data}" for e in db.session.scalars(select(OutingEvent))]
    assert steps == [] and not any("53.4" in e for e in events)


def test_the_sos_confirmation_says_when_and_why_location_is_asked(app, web, setup):
    worker, lead, outing_id = setup
    web.login(worker)
    text = soup(web.get(f"/out/{outing_id}/sos")).get_text(" ", strip=True)
    assert "it goes once, with this SOS only" in text and "never tracks you" in text
