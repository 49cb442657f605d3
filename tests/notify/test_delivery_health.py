"""/healthz and the board see delivery: a message stuck in the outbox, or a channel whose every
recent attempt failed, is a 503 with the reason and a plain banner for leads."""

from datetime import UTC, datetime

from app.extensions import db
from app.notify.channels import channels_from_config
from app.notify.services import deliver_due, enqueue
from tests.conftest import soup

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
                body=f"Alert number {i}",
            )
        db.session.commit()


def _deliver(app):
    with app.app_context():
        deliver_due(channels_from_config(app.config))
        db.session.remove()


def test_healthz_is_200_while_messages_go_out(
    app, web, delivery_config, frozen_clock, watcher_alive
):
    frozen_clock(T0)
    _queue(app, "email", "lead@example.com", n=3)
    _deliver(app)
    frozen_clock.advance(minutes=5)
    response = web.get("/healthz")
    assert response.status_code == 200
    assert response.json["delivery"] == "ok"


def test_a_message_waiting_over_two_minutes_makes_healthz_503_with_the_reason(
    app, web, frozen_clock, watcher_alive
):
    frozen_clock(T0)
    _queue(app, "sms", "07700 900123")  # nothing sends it (no watcher is sending)
    frozen_clock.advance(seconds=119)
    assert web.get("/healthz").status_code == 200
    frozen_clock.advance(seconds=62)
    response = web.get("/healthz")
    assert response.status_code == 503
    assert response.json["delivery"] == "messages not going out: the oldest has waited 3 min"
    assert response.json["watcher"] == "ok"  # the heartbeat alone would have said all is well


def test_the_stuck_threshold_is_configurable(app, web, frozen_clock, watcher_alive):
    frozen_clock(T0)
    app.config["OUTBOX_STUCK_SECONDS"] = 30
    try:
        _queue(app, "sms", "07700 900123")
        frozen_clock.advance(seconds=31)
        assert web.get("/healthz").status_code == 503
    finally:
        app.config["OUTBOX_STUCK_SECONDS"] = 120


def test_a_channel_failing_every_attempt_makes_healthz_503_at_once(
    app, web, delivery_config, smtp_server, frozen_clock, watcher_alive
):
    frozen_clock(T0)
    smtp_server.fail_first = 100
    _queue(app, "email", "lead@example.com", n=3)
    _deliver(app)  # three attempts, three failures, long before anything counts as stuck
    response = web.get("/healthz")
    assert response.status_code == 503
    assert response.json["delivery"] == "email failing: every attempt in the last 5 min failed"


def test_one_success_on_the_channel_means_it_is_not_failing(
    app, web, delivery_config, smtp_server, frozen_clock, watcher_alive
):
    frozen_clock(T0)
    smtp_server.fail_first = 3
    _queue(app, "email", "lead@example.com", n=4)
    _deliver(app)
    assert len(smtp_server.messages) == 1
    assert web.get("/healthz").status_code == 200


def test_the_board_tells_leads_to_phone_the_buddy_while_texts_are_not_going_out(
    app, web, make_user, frozen_clock, watcher_alive
):
    frozen_clock(T0)
    web.login(make_user("lead"))
    banner = "Texts are not going out — phone the buddy"
    assert banner not in web.get("/board").get_data(as_text=True)
    _queue(app, "sms", "07700 900123")
    frozen_clock.advance(minutes=3)
    alert = soup(web.get("/board")).select_one("#board > [role=alert]")
    assert alert is not None and banner in alert.h2.get_text()
    fragment = web.get("/board?poll=1", headers={"HX-Request": "true"})
    assert banner in fragment.get_data(as_text=True)
