"""Check in by text (issue 10 item 4): GOV.UK Notify's "received text messages" callback.

Each test posts what Notify posts (id, source_number, destination_number, message,
date_received, with the bearer token set on the callback) straight to the app, as Notify would.
"""

import uuid

import pytest
from sqlalchemy import func, select
from werkzeug.security import generate_password_hash

from app.audit.models import AuditEvent
from app.auth.models import User
from app.extensions import db
from app.lone_working.models import BACK, EscalationStep, InboundSms, Outing, OutingEvent
from app.notify.models import OutboxMessage
from tests.conftest import soup

TOKEN = "notify-inbound-token-for-tests-0123456789"
CHECKIN, DURESS = "2468", "1357"
WORKER_PHONE, BUDDY_PHONE = "07700 900111", "07700 900222"


@pytest.fixture(autouse=True)
def inbound_on(app, monkeypatch):
    monkeypatch.setitem(app.config, "NOTIFY_INBOUND_TOKEN", TOKEN)


@pytest.fixture
def sms_channel(app, monkeypatch):
    monkeypatch.setitem(app.config, "NOTIFY_API_KEY", "test-key")
    monkeypatch.setitem(app.config, "NOTIFY_SMS_TEMPLATE_ID", "template")


@pytest.fixture
def worker(app, make_user):
    person = make_user("ot", phone=WORKER_PHONE, name="Sam Carter")
    with app.app_context():
        user = db.session.get(User, person.id)
        user.checkin_pin_hash = generate_password_hash(CHECKIN)
        user.duress_pin_hash = generate_password_hash(DURESS)
        db.session.commit()
    return person


@pytest.fixture
def buddy(make_user):
    return make_user("lead", phone=BUDDY_PHONE)


@pytest.fixture
def out(make_outing, worker, buddy, clock_at):
    return make_outing(worker=worker, buddy=buddy)


def text(app, message, number="447700900111", notify_id=None, token=TOKEN, body=None):
    """POST one received text message the way GOV.UK Notify does."""
    payload = (
        body
        if body is not None
        else {
            "id": notify_id or str(uuid.uuid4()),
            "source_number": number,
            "destination_number": "07700987654",
            "message": message,
            "date_received": "2026-11-24T10:30:00.000000Z",
        }
    )
    headers = {"Authorization": f"Bearer {token}"} if token is not None else {}
    return app.test_client().post("/notify/inbound-sms", json=payload, headers=headers)


def _outing(app, outing_id) -> Outing:
    with app.app_context():
        outing = db.session.get(Outing, outing_id)
        db.session.expunge(outing)
    return outing


def _events(app, outing_id, kind=None):
    with app.app_context():
        query = select(OutingEvent).where(OutingEvent.outing_id == outing_id)
        if kind:
            query = query.where(OutingEvent.kind == kind)
        return [(e.kind, e.text, dict(e.data)) for e in db.session.scalars(query)]


def _inbound(app):
    with app.app_context():
        return [
            (r.command, r.outcome, r.user_id, r.outing_id)
            for r in db.session.scalars(select(InboundSms).order_by(InboundSms.id))
        ]


def _steps(app, outing_id):
    with app.app_context():
        return [
            (s.step_key, s.silent)
            for s in db.session.scalars(
                select(EscalationStep).where(EscalationStep.outing_id == outing_id)
            )
        ]


def test_back_with_the_right_pin_checks_the_worker_in_and_the_timeline_says_so(app, out):
    response = text(app, f"back {CHECKIN}")
    assert response.status_code == 200 and response.json["outcome"] == "checked_in"
    outing = _outing(app, out)
    assert outing.status == BACK and outing.checked_in_at is not None
    sms = _events(app, out, "sms")
    assert len(sms) == 1 and "BACK with a PIN: checked in" in sms[0][1]
    assert _events(app, out, "checked_in")[0][2]["via"] == "sms"


def test_a_wrong_pin_changes_nothing_is_recorded_and_counts_towards_the_pin_limit(app, out, worker):
    for _ in range(4):
        assert text(app, "BACK 0000").json["outcome"] == "wrong_pin"
    assert _outing(app, out).checked_in_at is None
    assert [o for _, o, _, _ in _inbound(app)] == ["wrong_pin"] * 4
    assert len(_events(app, out, "sms")) == 4
    # The fifth wrong PIN (the same limit as the button's) pauses PINs and alerts the leads.
    assert text(app, "BACK 0000").json["outcome"] == "pins_paused"
    assert any(key.endswith("pins_paused") for key, _ in _steps(app, out))
    # Paused: even the right PIN by text waits, as on the button.
    assert text(app, f"BACK {CHECKIN}").json["outcome"] == "pins_paused"
    assert _outing(app, out).checked_in_at is None


def test_the_duress_pin_by_text_checks_in_as_usual_and_silently_raises_the_top_step(
    app, out, sms_channel
):
    response = text(app, f"BACK {DURESS}")
    assert response.json["outcome"] == "checked_in"  # the same answer as the right PIN
    assert ("duress", True) in _steps(app, out)
    assert "checked in" in _events(app, out, "sms")[0][1]
    with app.app_context():
        reply = db.session.scalar(
            select(OutboxMessage).where(OutboxMessage.address == WORKER_PHONE)
        )
    assert reply.body == "Waypoint: you are checked in. Thank you."  # as for the right PIN


def test_the_duress_pin_with_ok_or_extend_also_raises_the_top_step_silently(app, out):
    assert text(app, f"OK {DURESS}").json["outcome"] == "welfare_ok"
    assert ("duress", True) in _steps(app, out)


def test_ok_answers_the_welfare_check_and_extend_moves_the_due_time(app, out, frozen_clock):
    before = _outing(app, out)
    frozen_clock.advance(minutes=10)
    assert text(app, f"OK {CHECKIN}").json["outcome"] == "welfare_ok"
    assert _outing(app, out).last_welfare_at > before.last_welfare_at
    assert text(app, f"Extend 30 {CHECKIN}").json["outcome"] == "extended"
    assert (_outing(app, out).expected_return - before.expected_return).total_seconds() == 1800
    assert text(app, f"EXTEND 45 {CHECKIN}").json["outcome"] == "not_understood"
    assert text(app, "EXTEND 30").json["outcome"] == "no_pin"


def test_sos_by_text_needs_no_pin_and_raises_the_sos_step(app, out):
    assert text(app, "SOS").json["outcome"] == "sos"
    assert ("sos", False) in _steps(app, out)
    assert text(app, "sos help").json["outcome"] == "sos_already"  # one alert until answered


def test_an_unknown_number_changes_nothing_is_recorded_and_is_rate_limited(app, out):
    for _ in range(10):
        assert text(app, f"BACK {CHECKIN}", number="447700900999").json["outcome"] == (
            "unknown_number"
        )
    assert text(app, f"BACK {CHECKIN}", number="447700900999").json["outcome"] == "rate_limited"
    assert _outing(app, out).checked_in_at is None
    rows = _inbound(app)
    assert len(rows) == 11 and all(user is None and outing is None for _, _, user, outing in rows)
    assert _events(app, out, "sms") == []  # a stranger's text is not in anyone's timeline
    # The worker's own number is not held back by a stranger's texts.
    assert text(app, f"BACK {CHECKIN}").json["outcome"] == "checked_in"


def test_a_number_two_staff_share_does_nothing_and_is_recorded(app, out, make_user):
    make_user("assistant", phone="+44 7700 900111")
    assert text(app, "SOS").json["outcome"] == "shared_number"
    assert text(app, f"BACK {CHECKIN}").json["outcome"] == "shared_number"
    assert _steps(app, out) == [] and _outing(app, out).checked_in_at is None
    assert [o for _, o, _, _ in _inbound(app)] == ["shared_number", "shared_number"]


def test_a_replayed_callback_does_nothing_twice(app, out):
    first = text(app, "SOS", notify_id="5f1e3c2a-0000-4000-8000-000000000001")
    again = text(app, "SOS", notify_id="5f1e3c2a-0000-4000-8000-000000000001")
    assert first.json["outcome"] == "sos" and again.json["outcome"] == "duplicate"
    assert len(_inbound(app)) == 1 and len(_events(app, out, "sms")) == 1


@pytest.mark.parametrize(
    "token, header",
    [("wrong-token-0123456789", None), (None, None), (None, f"Basic {TOKEN}"), (None, TOKEN)],
)
def test_a_forged_callback_is_refused_with_401_and_changes_nothing(app, out, token, header):
    headers = {"Authorization": header} if header else {}
    if token:
        headers = {"Authorization": f"Bearer {token}"}
    response = app.test_client().post(
        "/notify/inbound-sms",
        json={"id": "x", "source_number": "447700900111", "message": "SOS"},
        headers=headers,
    )
    assert response.status_code == 401
    assert _inbound(app) == [] and _steps(app, out) == []


def test_the_callback_is_off_until_a_token_is_configured(app, monkeypatch):
    monkeypatch.setitem(app.config, "NOTIFY_INBOUND_TOKEN", "")
    assert text(app, "SOS", token="").status_code == 404


@pytest.mark.parametrize(
    "body",
    [
        [],
        "SOS",
        {"id": "1", "source_number": "447700900111"},
        {"id": 7, "source_number": "447700900111", "message": "SOS"},
        {"id": "x" * 65, "source_number": "447700900111", "message": "SOS"},
        {"id": "1", "source_number": ["447700900111"], "message": "SOS"},
    ],
)
def test_a_malformed_callback_body_is_a_400_and_changes_nothing(app, out, body):
    response = text(app, "", body=body)
    assert response.status_code == 400
    assert _inbound(app) == [] and _steps(app, out) == []


def test_a_body_that_is_not_json_is_a_400(app, out):
    response = app.test_client().post(
        "/notify/inbound-sms", data="id=1&message=SOS", headers={"Authorization": f"Bearer {TOKEN}"}
    )
    assert response.status_code == 400


def test_a_10000_character_text_is_recorded_as_too_long_and_changes_nothing(app, out):
    response = text(app, f"BACK {CHECKIN} " + "x" * 10_000)
    assert response.status_code == 200 and response.json["outcome"] == "too_long"
    assert _outing(app, out).checked_in_at is None
    assert "too long" in _events(app, out, "sms")[0][1]


def test_a_command_from_a_worker_who_is_not_out_changes_nothing(app, worker, clock_at):
    assert text(app, f"BACK {CHECKIN}").json["outcome"] == "not_out"
    assert text(app, f"EXTEND 30 {CHECKIN}").json["outcome"] == "not_out"
    assert _inbound(app)[0][1] == "not_out"


def test_sos_from_a_known_phone_with_no_outing_tells_the_units_leads(
    app, worker, buddy, clock_at, sms_channel
):
    assert text(app, "SOS").json["outcome"] == "sos"
    with app.app_context():
        messages = db.session.scalars(select(OutboxMessage)).all()
        told = {(m.address, m.priority) for m in messages}
    assert (BUDDY_PHONE, 0) in told  # the lead, at emergency priority
    assert all("Sam Carter" in m.body for m in messages if m.address == BUDDY_PHONE)


def test_back_sent_twice_says_already_and_changes_nothing(app, out):
    assert text(app, f"BACK {CHECKIN}").json["outcome"] == "checked_in"
    assert text(app, f"BACK {CHECKIN}").json["outcome"] == "already"
    assert len(_events(app, out, "checked_in")) == 1


def test_no_pin_digits_or_message_text_are_kept_anywhere(app, out):
    text(app, f"BACK {CHECKIN}")
    text(app, "BACK 9753")
    with app.app_context():
        kept = [str(r.__dict__) for r in db.session.scalars(select(InboundSms))]
        kept += [f"{e.text} {e.data}" for e in db.session.scalars(select(OutingEvent))]
        kept += [str(a.__dict__) for a in db.session.scalars(select(AuditEvent))]
        count = db.session.scalar(select(func.count()).select_from(InboundSms))
    assert count == 2
    assert not any(CHECKIN in row or "9753" in row for row in kept)


def test_the_outing_page_shows_each_text_and_its_outcome(app, web, out, buddy):
    text(app, "BACK 0000")
    text(app, f"BACK {CHECKIN}")
    web.login(buddy)
    page = soup(web.get(f"/out/{out}"))
    items = [li.get_text(" ", strip=True) for li in page.select(".app-timeline__item--sms")]
    assert len(items) == 2
    assert "wrong PIN, nothing changed" in items[0] and "checked in" in items[1]
