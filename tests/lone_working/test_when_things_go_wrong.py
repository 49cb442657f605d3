"""The ladder keeps going when something else goes wrong."""

from datetime import timedelta

from sqlalchemy import func, select

from app.auth.models import User
from app.extensions import db
from app.lone_working import board, escalation, outings, planning
from app.lone_working.models import EscalationStep, Outing, WatcherHeartbeat
from tests.lone_working.conftest import T0

DUE = T0 + timedelta(minutes=60)


def _open_alerts(app, outing_id):
    with app.app_context():
        rows = db.session.scalars(
            select(EscalationStep).where(
                EscalationStep.outing_id == outing_id, EscalationStep.acknowledged_at.is_(None)
            )
        ).all()
        db.session.expunge_all()
    return rows


def test_a_second_sos_after_the_first_was_acknowledged_is_a_new_alert(
    app, clock_at, make_user, make_outing, outbox, channels
):
    worker, lead = make_user("ot"), make_user("lead")
    outing_id = make_outing(worker=worker, buddy=lead)
    with app.app_context():
        outing, person = db.session.get(Outing, outing_id), db.session.get(User, worker.id)
        assert outings.sos(outing, person)
        assert outings.acknowledge(outing.steps[0], db.session.get(User, lead.id))
        db.session.commit()
    before = len(outbox(outing_id))
    clock_at.advance(minutes=20)
    with app.app_context():
        outing, person = db.session.get(Outing, outing_id), db.session.get(User, worker.id)
        assert outings.sos(outing, person) is True
        assert outings.sos(outing, person) is False  # a double tap of the second one
        db.session.commit()
    assert [s.step_key for s in _open_alerts(app, outing_id)] == ["sos-2"]
    assert len(outbox(outing_id)) > before


def test_sos_on_an_outing_already_resolved_reopens_it_and_keeps_sending(
    app, clock_at, make_user, make_outing, tick, outbox, channels
):
    worker, lead = make_user("ot"), make_user("lead")
    outing_id = make_outing(worker=worker, buddy=lead)
    with app.app_context():
        outing = db.session.get(Outing, outing_id)
        outings.resolve(outing, db.session.get(User, lead.id), "returned_safe", "Seen in")
        db.session.commit()
        assert outing.next_step_at is None
        assert outings.sos(outing, db.session.get(User, worker.id))
        db.session.commit()
        assert outing.status == "escalated"
        assert outing.id in {o.id for o in board.board(outing.unit_id)}
    clock_at.advance(minutes=5)
    tick()
    assert any(":sos:1:" in m.dedupe_key for m in outbox(outing_id))


def test_an_sos_is_sent_again_after_the_worker_checks_in_until_someone_acknowledges(
    app, clock_at, make_user, make_outing, tick, outbox, channels
):
    worker, lead = make_user("ot"), make_user("lead")
    outing_id = make_outing(worker=worker, buddy=lead)
    with app.app_context():
        outing, person = db.session.get(Outing, outing_id), db.session.get(User, worker.id)
        outings.sos(outing, person)
        outings.check_in(outing, person)
        db.session.commit()
    clock_at.advance(minutes=5)
    tick()
    assert any(":sos:1:" in m.dedupe_key for m in outbox(outing_id))


def test_one_outing_that_cannot_be_processed_does_not_stop_the_others(
    app, clock_at, make_user, make_outing, steps_of, monkeypatch, outbox, channels
):
    from app.lone_working.watcher import run_once

    broken = make_outing(worker=make_user("ot"), destination="Broken")
    healthy = make_outing(worker=make_user("ot"), destination="Healthy")
    real_compose = escalation.compose

    def compose(outing, message, reason):
        if outing.destination == "Broken":
            raise RuntimeError("simulated fault in one outing")
        return real_compose(outing, message, reason)

    monkeypatch.setattr(escalation, "compose", compose)
    clock_at.value = DUE + timedelta(minutes=16)
    with app.app_context():
        result = run_once(app, "test-watcher", channels={})
        beats = db.session.scalar(select(func.count()).select_from(WatcherHeartbeat))
        broken_next = db.session.get(Outing, broken).next_step_at
        db.session.remove()
    assert result["failed_outings"] == [broken]
    assert [k for k, _ in steps_of(healthy)] == ["e1:prompt", "e1:prompt-again", "e1:buddy"]
    assert steps_of(broken) == []
    assert broken_next == clock_at.value + timedelta(minutes=1)
    assert beats == 0  # a failing watcher writes no heartbeat, so the board turns red
    monkeypatch.setattr(escalation, "compose", real_compose)
    clock_at.advance(minutes=1)
    with app.app_context():
        assert run_once(app, "test-watcher", channels={})["failed_outings"] == []
        assert escalation.watcher_status() == "ok"
    assert [k for k, _ in steps_of(broken)][-1] == "e1:buddy"


def test_contacted_safe_and_extended_starts_a_fresh_welfare_cycle(
    app, clock_at, make_user, make_outing, tick, steps_of
):
    lead = make_user("lead")
    outing_id = make_outing(minutes=240, welfare_interval=60, buddy=lead)
    clock_at.advance(minutes=91)
    tick()  # the welfare check at +60 was missed: its ladder reached red at +90
    with app.app_context():
        outing = db.session.get(Outing, outing_id)
        outings.resolve(
            outing, db.session.get(User, lead.id), "contacted_safe_extended", "Phoned, all fine", 60
        )
        db.session.commit()
    clock_at.advance(minutes=45)
    tick()  # the old cycle's emergency step (+120 after its deadline) must not fire
    assert not any(k.endswith(":emergency") for k, _ in steps_of(outing_id))


def test_the_board_colour_comes_down_after_an_extension(
    app, clock_at, make_user, make_outing, tick
):
    worker = make_user("ot")
    outing_id = make_outing(worker=worker)
    clock_at.value = DUE + timedelta(minutes=16)
    tick()
    with app.app_context():
        outing = db.session.get(Outing, outing_id)
        assert planning.level(outing) == "amber"
        outings.resolve(
            outing,
            db.session.get(User, make_user("lead").id),
            "contacted_safe_extended",
            "Phoned",
            30,
        )
        db.session.commit()
        assert planning.level(outing) == "ok"


def test_a_ladder_with_an_overlong_key_or_message_is_refused_at_start_up():
    import pytest

    from app.lone_working.ladder import DEFAULT_LADDER, LadderError, parse

    long_key = [dict(DEFAULT_LADDER[0], key="k" * 41), *DEFAULT_LADDER[1:]]
    with pytest.raises(LadderError):
        parse(long_key)
    long_message = [dict(DEFAULT_LADDER[0], message="m" * 301), *DEFAULT_LADDER[1:]]
    with pytest.raises(LadderError):
        parse(long_message)


def test_a_buddy_with_no_phone_is_passed_over_for_a_lead_who_has_one(
    app, clock_at, make_user, make_outing, tick, outbox
):
    app.config.update(
        NOTIFY_API_KEY="key-" + "1" * 36 + "-" + "2" * 36, NOTIFY_SMS_TEMPLATE_ID="t"
    )  # SMS only
    try:
        buddy = make_user("ot", phone="")
        lead = make_user("lead", phone="07700 900333")
        outing_id = make_outing(buddy=buddy)
        clock_at.value = DUE + timedelta(minutes=15)
        tick()
        told = {m.recipient_id for m in outbox(outing_id) if ":e1:buddy:" in m.dedupe_key}
        assert told == {lead.id}
    finally:
        app.config.update(NOTIFY_API_KEY="", NOTIFY_SMS_TEMPLATE_ID="")


def test_an_alert_that_reaches_nobody_is_shown_on_the_board(
    app, web, clock_at, make_user, make_outing, tick, channels
):
    worker = make_user("ot")
    buddy = make_user("assistant", phone="", email="")
    outing_id = make_outing(worker=worker, buddy=buddy)
    app.config["SMTP_HOST"] = ""  # SMS only (the fixture puts it back) ...
    with app.app_context():  # ... and nobody in the Trust has a phone number
        for person in db.session.scalars(select(User)):
            person.phone = ""
        db.session.commit()
    clock_at.value = DUE + timedelta(minutes=15)
    tick()
    with app.app_context():
        from app.lone_working.models import OutingEvent

        kinds = set(
            db.session.scalars(select(OutingEvent.kind).where(OutingEvent.outing_id == outing_id))
        )
    assert "unheard" in kinds
    viewer = make_user("assistant")
    web.login(viewer)
    assert "Some alerts did not reach anyone" in web.get("/board").get_data(as_text=True)


def test_a_welfare_prompt_tells_the_worker_to_tap_im_ok_not_to_check_in(
    app, clock_at, make_user, make_outing, tick, outbox, channels
):
    worker = make_user("ot")
    outing_id = make_outing(worker=worker, minutes=180, welfare_interval=60)
    clock_at.value = T0 + timedelta(minutes=60)
    tick()
    (prompt, *_) = [m for m in outbox(outing_id) if m.recipient_id == worker.id]
    assert "Tap 'I'm OK'" in prompt.body and "do not check in" in prompt.body


def test_a_lead_who_forgot_to_end_yesterdays_shift_is_not_on_duty_today(app, clock_at, make_user):
    from app.lone_working import duty

    lead = make_user("lead")
    with app.app_context():
        duty.start_shift(db.session.get(User, lead.id), lead.home_unit_id)
        db.session.commit()
        clock_at.advance(hours=13)
        assert [u.id for u in duty.on_duty(lead.home_unit_id)] == [lead.id]
        clock_at.advance(hours=2)
        assert duty.on_duty(lead.home_unit_id) == []


def test_logging_out_ends_your_shift(app, web, make_user, clock_at):
    from app.lone_working import duty

    lead = make_user("lead")
    web.login(lead)
    web.post("/duty/start")
    web.post("/logout")
    with app.app_context():
        assert duty.on_duty(lead.home_unit_id) == []


def test_a_lead_on_duty_who_is_out_themselves_is_not_the_only_one_told(
    app, clock_at, make_user, make_outing, tick, outbox, channels
):
    from app.lone_working import duty

    lead_out, lead_in = make_user("lead"), make_user("lead")
    with app.app_context():
        duty.start_shift(db.session.get(User, lead_out.id), lead_out.home_unit_id)
        db.session.commit()
    make_outing(worker=lead_out, minutes=300)  # on duty, but out in town
    outing_id = make_outing(minutes=60)
    clock_at.value = DUE + timedelta(minutes=30)
    tick()
    told = {m.recipient_id for m in outbox(outing_id) if ":e1:leads:" in m.dedupe_key}
    # Not the on-duty lead alone: with them out, every lead and admin of the unit is told.
    assert lead_in.id in told


def test_a_changed_ladder_is_applied_to_outings_already_out_when_the_watcher_starts(
    app, clock_at, make_user, make_outing, tick, steps_of
):
    from app.lone_working.ladder import DEFAULT_LADDER, parse

    outing_id = make_outing(minutes=60)
    faster = [dict(step) for step in DEFAULT_LADDER]
    faster[2]["after_minutes"] = 10  # buddy at +10 instead of +15
    saved = app.extensions["lone_working_ladder"]
    app.extensions["lone_working_ladder"] = parse(faster)
    try:
        clock_at.value = DUE + timedelta(minutes=6)
        tick()  # prompt and prompt-again; the next look is planned for the buddy step
        with app.app_context():
            outing = db.session.get(Outing, outing_id)
            outing.next_step_at = DUE + timedelta(minutes=15)  # as planned under the old ladder
            db.session.commit()
            assert escalation.replan_open_outings() == 1
        clock_at.value = DUE + timedelta(minutes=10)
        tick()
        assert steps_of(outing_id)[-1] == ("e1:buddy", "amber")
    finally:
        app.extensions["lone_working_ladder"] = saved
