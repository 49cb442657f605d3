"""Delivery through the outbox against real local servers: retries, backoff, exactly one send."""

from datetime import UTC, datetime, timedelta

import jwt
from sqlalchemy import select

from app.extensions import db
from app.notify.channels import channels_from_config
from app.notify.models import OutboxMessage
from app.notify.services import claim, deliver_due, enqueue
from tests.fakes import SECRET, SERVICE_ID

T0 = datetime(2026, 11, 24, 10, 0, tzinfo=UTC)


def _queue(app, channel, address, n=1):
    with app.app_context():
        for i in range(n):
            enqueue(
                dedupe_key=f"test:{channel}:{i}",
                topic="test",
                topic_id=1,
                channel=channel,
                address=address,
                subject="Waypoint alert",
                body=f"Alert number {i}",
            )
        db.session.commit()


def _deliver(app):
    with app.app_context():
        result = deliver_due(channels_from_config(app.config))
        db.session.remove()
    return result


def _rows(app):
    with app.app_context():
        rows = db.session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)).all()
        db.session.expunge_all()
    return rows


def test_email_is_sent_over_smtp_once(app, delivery_config, smtp_server, frozen_clock):
    frozen_clock(T0)
    _queue(app, "email", "lead@example.com", n=2)
    assert _deliver(app)["sent"] == 2
    assert _deliver(app)["sent"] == 0
    assert len(smtp_server.messages) == 2
    assert smtp_server.messages[0]["to"] == ["lead@example.com"]
    assert "Alert number 0" in smtp_server.messages[0]["body"]
    assert all(r.status == "sent" and r.attempts == 1 for r in _rows(app))


def test_a_failing_smtp_server_is_retried_with_backoff_and_the_message_sent_once(
    app, delivery_config, smtp_server, frozen_clock
):
    frozen_clock(T0)
    smtp_server.fail_first = 2
    _queue(app, "email", "lead@example.com")
    assert _deliver(app)["pending"] == 1
    row = _rows(app)[0]
    assert row.status == "pending" and "451" in row.last_error
    assert row.next_attempt_at == T0 + timedelta(seconds=15)
    assert _deliver(app)["sent"] == 0  # not due again yet
    frozen_clock.advance(seconds=15)
    assert _deliver(app)["pending"] == 1
    assert _rows(app)[0].next_attempt_at == T0 + timedelta(seconds=45)
    frozen_clock.advance(seconds=30)
    assert _deliver(app)["sent"] == 1
    frozen_clock.advance(minutes=30)
    _deliver(app)
    assert len(smtp_server.messages) == 1
    assert _rows(app)[0].attempts == 3


def test_an_unreachable_smtp_server_is_retried(app, delivery_config, frozen_clock):
    frozen_clock(T0)
    app.config["SMTP_PORT"] = 1  # nothing listens there
    _queue(app, "email", "lead@example.com")
    assert _deliver(app)["pending"] == 1
    assert "smtp" in _rows(app)[0].last_error


def test_sms_goes_through_gov_uk_notify_with_a_signed_request(
    app, delivery_config, notify_server, frozen_clock
):
    frozen_clock(T0)
    _queue(app, "sms", "07700 900123")
    assert _deliver(app)["sent"] == 1
    request = notify_server.requests[0]
    assert request["path"] == "/v2/notifications/sms"
    assert request["body"]["phone_number"] == "07700 900123"
    assert request["body"]["template_id"] == "33333333-3333-3333-3333-333333333333"
    assert request["body"]["personalisation"] == {"body": "Alert number 0"}
    token = request["auth"].removeprefix("Bearer ")
    claims = jwt.decode(token, SECRET, algorithms=["HS256"])
    assert claims["iss"] == SERVICE_ID
    assert _rows(app)[0].provider_ref == "notify-1"


def test_notify_answering_500_is_retried_and_the_sms_sent_once(
    app, delivery_config, notify_server, frozen_clock
):
    frozen_clock(T0)
    notify_server.fail_first = 1
    _queue(app, "sms", "07700 900123")
    assert _deliver(app)["pending"] == 1
    assert "500" in _rows(app)[0].last_error
    frozen_clock.advance(seconds=15)
    assert _deliver(app)["sent"] == 1
    frozen_clock.advance(minutes=10)
    _deliver(app)
    assert len(notify_server.requests) == 1


def test_a_message_is_given_up_after_the_last_attempt_and_shows_as_failed(
    app, delivery_config, smtp_server, frozen_clock
):
    frozen_clock(T0)
    smtp_server.fail_first = 100
    _queue(app, "email", "lead@example.com")
    for _ in range(10):
        _deliver(app)
        frozen_clock.advance(minutes=11)
    row = _rows(app)[0]
    assert row.status == "failed" and row.attempts == 8


def test_a_sender_that_died_mid_send_leaves_the_row_to_be_tried_again(
    app, delivery_config, smtp_server, frozen_clock
):
    frozen_clock(T0)
    _queue(app, "email", "lead@example.com")
    with app.app_context():
        assert claim(T0) is not None  # claimed, then the process "crashed"
        db.session.remove()
    frozen_clock.advance(seconds=29)
    assert _deliver(app)["sent"] == 0  # still claimed by the dead sender
    frozen_clock.advance(seconds=2)  # the 30 s claim lapsed: well before a 5-minute resend
    assert _deliver(app)["sent"] == 1
    assert len(smtp_server.messages) == 1
    assert _rows(app)[0].attempts == 2


def test_the_same_decision_cannot_queue_a_message_twice(app):
    import pytest
    from sqlalchemy.exc import IntegrityError

    _queue(app, "email", "lead@example.com")
    with pytest.raises(IntegrityError), app.app_context():
        enqueue(
            dedupe_key="test:email:0",
            topic="test",
            topic_id=1,
            channel="email",
            address="lead@example.com",
            body="again",
        )
        db.session.commit()


def test_an_emergency_goes_before_routine_messages_queued_earlier(
    app, delivery_config, smtp_server, notify_server, frozen_clock
):
    from app.notify.models import EMERGENCY, LEADS

    frozen_clock(T0)
    _queue(app, "sms", "07700 900123", n=3)  # routine: the worker's own prompts
    with app.app_context():
        for key, priority, address in (
            ("lead", LEADS, "lead@example.com"),
            ("sos", EMERGENCY, "all@example.com"),
        ):
            enqueue(
                dedupe_key=f"test:{key}",
                topic="test",
                topic_id=1,
                channel="email",
                address=address,
                body=f"{key} alert",
                priority=priority,
            )
        db.session.commit()
        deliver_due(channels_from_config(app.config), limit=2)
    assert [m["to"] for m in smtp_server.messages] == [["all@example.com"], ["lead@example.com"]]
    assert notify_server.requests == []


def test_delivery_stops_when_its_time_budget_is_spent(app, delivery_config, frozen_clock):
    frozen_clock(T0)
    _queue(app, "email", "lead@example.com", n=3)
    with app.app_context():
        counts = deliver_due(channels_from_config(app.config), budget_seconds=0)
    assert sum(counts.values()) <= 1


def test_a_message_sent_again_after_a_crash_carries_the_same_reference(
    app, delivery_config, smtp_server, notify_server, frozen_clock
):
    """At-least-once: a sender killed after the provider took a message, before it recorded
    that, leaves the message to be sent again; both copies carry the same reference."""
    frozen_clock(T0)
    _queue(app, "sms", "07700 900123")
    _queue(app, "email", "lead@example.com")
    channels = channels_from_config(app.config)
    with app.app_context():
        for _ in range(2):  # each is claimed and handed to the provider, then the sender dies
            message = claim(T0)
            channels[message.channel].send(message)
        db.session.remove()
    frozen_clock.advance(seconds=31)
    assert _deliver(app)["sent"] == 2
    sms_id, email_id = (row.id for row in _rows(app))
    assert [r["body"]["reference"] for r in notify_server.requests] == [
        f"waypoint-outbox-{sms_id}"
    ] * 2
    ids = [m["body"].split("Message-ID: ")[1].split()[0] for m in smtp_server.messages]
    assert ids == [f"<waypoint-outbox-{email_id}@waypoint>"] * 2


def test_a_claim_is_won_once_and_a_lapsed_claim_cannot_record_its_result(app, frozen_clock):
    """The claim is one conditional UPDATE: a second claim of a claimed row gets nothing; once
    the claim lapses another sender takes it over, and the first sender's late result is not
    written over the new claim."""
    from app.notify.services import send_claimed

    frozen_clock(T0)
    _queue(app, "email", "lead@example.com")
    with app.app_context():
        first = claim(T0)
        assert first is not None and first.attempts == 1
        assert claim(T0 + timedelta(seconds=29)) is None
        again = claim(T0 + timedelta(seconds=31))
        assert again is not None and again.token != first.token and again.attempts == 2
        send_claimed(first, {})  # the first sender comes back late with a failure
        db.session.remove()
    row = _rows(app)[0]
    assert (row.status, row.claim_token, row.last_error) == ("sending", again.token, "")
