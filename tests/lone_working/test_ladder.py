"""The escalation ladder, step by step, with the clock under the test's control."""

from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from app.auth.models import User
from app.extensions import db
from app.lone_working import duty, outings, planning
from app.lone_working.models import Outing, OutingEvent
from tests.lone_working.conftest import T0

DUE = T0 + timedelta(minutes=60)


def _at(frozen_clock, minutes_after_due: float):
    frozen_clock.value = DUE + timedelta(minutes=minutes_after_due)


def test_nothing_happens_before_the_expected_return(clock_at, make_outing, tick, steps_of):
    outing_id = make_outing(minutes=60)
    clock_at.value = DUE - timedelta(seconds=1)
    assert tick() == 0
    assert steps_of(outing_id) == []


def test_each_step_fires_at_its_time_and_turns_the_board_the_right_colour(
    app, clock_at, make_outing, make_user, tick, steps_of
):
    outing_id = make_outing(minutes=60)
    expected = [
        (0, ("e1:prompt", "due"), "due"),
        (5, ("e1:prompt-again", "due"), "due"),
        (15, ("e1:buddy", "amber"), "amber"),
        (30, ("e1:leads", "red"), "red"),
        (60, ("e1:emergency", "red"), "red"),
    ]
    for minutes, step, colour in expected:
        _at(clock_at, minutes - 0.5)
        tick()
        assert step not in steps_of(outing_id), f"{step} fired early"
        _at(clock_at, minutes)
        assert tick() == 1
        assert steps_of(outing_id)[-1] == step
        with app.app_context():
            assert planning.level(db.session.get(Outing, outing_id)) == colour
    with app.app_context():
        assert db.session.get(Outing, outing_id).status == "escalated"


def test_a_step_fires_once_however_often_the_watcher_looks(clock_at, make_outing, tick, steps_of):
    outing_id = make_outing(minutes=60)
    _at(clock_at, 16)
    tick()
    tick()
    tick()
    assert steps_of(outing_id) == [
        ("e1:prompt", "due"),
        ("e1:prompt-again", "due"),
        ("e1:buddy", "amber"),
    ]


def test_a_watcher_that_was_down_catches_up_on_every_missed_step(
    clock_at, make_outing, tick, steps_of
):
    outing_id = make_outing(minutes=60)
    _at(clock_at, 61)
    assert tick() == 5
    assert [key for key, _ in steps_of(outing_id)] == [
        "e1:prompt",
        "e1:prompt-again",
        "e1:buddy",
        "e1:leads",
        "e1:emergency",
    ]


def test_the_worker_is_prompted_twice_before_anyone_else_is_told(
    clock_at, make_outing, make_user, tick, outbox, channels
):
    worker, buddy = make_user("ot"), make_user("lead")
    outing_id = make_outing(worker=worker, buddy=buddy)
    _at(clock_at, 14)
    tick()
    assert {m.recipient_id for m in outbox(outing_id)} == {worker.id}
    assert len([m for m in outbox(outing_id) if m.channel == "sms"]) == 2
    _at(clock_at, 15)
    tick()
    assert buddy.id in {m.recipient_id for m in outbox(outing_id)}


def test_an_extension_moves_the_remaining_steps(
    app, clock_at, make_user, make_outing, tick, steps_of
):
    worker = make_user("ot")
    outing_id = make_outing(worker=worker)
    _at(clock_at, 6)
    tick()  # prompt and prompt-again: the worker forgot
    with app.app_context():
        outing = db.session.get(Outing, outing_id)
        new_due = outings.extend(outing, db.session.get(User, worker.id), 30, "Bus is late")
        db.session.commit()
    assert new_due == DUE + timedelta(minutes=36)
    _at(clock_at, 36 + 14)
    tick()
    assert [k for k, _ in steps_of(outing_id)] == ["e1:prompt", "e1:prompt-again"]
    _at(clock_at, 36 + 15)
    tick()
    assert steps_of(outing_id)[-1] == ("e1:buddy", "amber")
    with app.app_context():
        events = db.session.scalars(select(OutingEvent.kind).where(OutingEvent.kind == "extended"))
        assert list(events) == ["extended"]


def test_checking_in_ends_the_ladder(app, clock_at, make_user, make_outing, tick, steps_of):
    worker = make_user("ot")
    outing_id = make_outing(worker=worker)
    _at(clock_at, 10)
    tick()
    with app.app_context():
        outing = db.session.get(Outing, outing_id)
        assert outings.check_in(outing, db.session.get(User, worker.id)) == "checked_in"
        db.session.commit()
        assert outing.next_step_at is None
        assert outing.status == "back"
    _at(clock_at, 120)
    assert tick() == 0
    assert [k for k, _ in steps_of(outing_id)] == ["e1:prompt", "e1:prompt-again"]


def test_sos_goes_straight_to_the_top_and_a_second_tap_changes_nothing(
    app, clock_at, make_user, make_outing, tick, steps_of, outbox, channels
):
    worker, lead, admin = make_user("ot"), make_user("lead"), make_user("admin")
    outing_id = make_outing(worker=worker, buddy=lead)
    clock_at.value = T0 + timedelta(minutes=5)  # long before the expected return
    with app.app_context():
        outing = db.session.get(Outing, outing_id)
        person = db.session.get(User, worker.id)
        assert outings.sos(outing, person) is True
        assert outings.sos(outing, person) is False
        db.session.commit()
        assert planning.level(outing) == "sos"
        sos_events = [e for e in outing.events if e.kind == "sos"]
        assert len(sos_events) == 1
    assert steps_of(outing_id) == [("sos", "sos")]
    told = {m.recipient_id for m in outbox(outing_id)}
    assert {lead.id, admin.id} <= told and worker.id not in told


def test_an_unacknowledged_alert_is_sent_again_every_five_minutes_then_to_every_lead(
    app, clock_at, make_user, make_outing, tick, outbox, channels
):
    worker, lead_on_duty, other_lead = make_user("ot"), make_user("lead"), make_user("lead")
    with app.app_context():
        duty.start_shift(db.session.get(User, lead_on_duty.id), lead_on_duty.home_unit_id)
        db.session.commit()
    outing_id = make_outing(worker=worker, buddy=lead_on_duty)
    _at(clock_at, 30)
    tick()
    first = [m for m in outbox(outing_id) if ":e1:leads:0:" in m.dedupe_key]
    assert {m.recipient_id for m in first} == {lead_on_duty.id}
    _at(clock_at, 34)
    tick()
    assert not [m for m in outbox(outing_id) if ":e1:leads:1:" in m.dedupe_key]
    _at(clock_at, 35)
    tick()
    again = [m for m in outbox(outing_id) if ":e1:leads:1:" in m.dedupe_key]
    assert {m.recipient_id for m in again} == {lead_on_duty.id}
    _at(clock_at, 60)
    tick()  # emergency: the ladder is now exhausted
    _at(clock_at, 65)
    tick()
    resent = [m for m in outbox(outing_id) if ":e1:emergency:1:" in m.dedupe_key]
    assert {lead_on_duty.id, other_lead.id} <= {m.recipient_id for m in resent}


def test_with_no_lead_on_duty_every_lead_and_admin_of_the_unit_is_told(
    app, clock_at, make_user, make_unit, make_outing, tick, outbox, channels
):
    worker = make_user("ot")
    lead, admin = make_user("lead"), make_user("admin")
    elsewhere = make_user("lead", home_unit=make_unit("Orchard Lodge", "Orchard"))
    outing_id = make_outing(worker=worker, buddy=lead)
    _at(clock_at, 30)
    tick()
    told = {m.recipient_id for m in outbox(outing_id) if ":e1:leads:" in m.dedupe_key}
    assert told == {lead.id, admin.id}
    assert elsewhere.id not in told


def test_a_lead_on_duty_is_told_alone_and_a_lead_who_is_out_is_not_told(
    app, clock_at, make_user, make_outing, tick, outbox, channels
):
    on_duty_lead, off_duty_lead = make_user("lead"), make_user("lead")
    with app.app_context():
        duty.start_shift(db.session.get(User, on_duty_lead.id), on_duty_lead.home_unit_id)
        db.session.commit()
    outing_id = make_outing(worker=on_duty_lead, buddy=off_duty_lead)
    _at(clock_at, 30)
    tick()
    told = {m.recipient_id for m in outbox(outing_id) if ":e1:leads:" in m.dedupe_key}
    assert on_duty_lead.id not in told  # they are the one who is overdue
    assert off_duty_lead.id in told


def test_the_first_lead_to_acknowledge_owns_the_alert(app, clock_at, make_user, make_outing, tick):
    first, second = make_user("lead"), make_user("lead")
    outing_id = make_outing()
    _at(clock_at, 30)
    tick()
    with app.app_context():
        step = db.session.get(Outing, outing_id).steps[-1]
        assert outings.acknowledge(step, db.session.get(User, first.id)) is True
        assert outings.acknowledge(step, db.session.get(User, second.id)) is False
        db.session.commit()
        assert step.acknowledged_by_id == first.id


def test_contacted_safe_and_extended_starts_a_fresh_ladder(
    app, clock_at, make_user, make_outing, tick, steps_of
):
    lead = make_user("lead")
    outing_id = make_outing()
    _at(clock_at, 31)
    tick()
    with app.app_context():
        outing = db.session.get(Outing, outing_id)
        outings.resolve(
            outing,
            db.session.get(User, lead.id),
            "contacted_safe_extended",
            "Phoned, bus broke down, all fine",
            30,
        )
        db.session.commit()
        assert outing.status == "out" and outing.episode == 2
        assert all(s.acknowledged_at for s in outing.steps if s.needs_ack)
    _at(clock_at, 31 + 30)
    tick()
    assert ("e2:prompt", "due") in steps_of(outing_id)


def test_a_missed_welfare_check_is_escalated_like_an_overdue_return(
    app, clock_at, make_user, make_outing, tick, steps_of
):
    worker = make_user("ot")
    outing_id = make_outing(worker=worker, minutes=180, welfare_interval=60)
    clock_at.value = T0 + timedelta(minutes=59)
    assert tick() == 0
    clock_at.value = T0 + timedelta(minutes=60)
    tick()
    cycle = int(T0.timestamp())
    assert steps_of(outing_id) == [(f"w{cycle}:prompt", "due")]
    clock_at.value = T0 + timedelta(minutes=75)
    tick()
    assert (f"w{cycle}:buddy", "amber") in steps_of(outing_id)


def test_answering_a_welfare_check_resets_its_timer(
    app, clock_at, make_user, make_outing, tick, steps_of
):
    worker = make_user("ot")
    outing_id = make_outing(worker=worker, minutes=180, welfare_interval=60)
    clock_at.value = T0 + timedelta(minutes=50)
    with app.app_context():
        outings.welfare_ok(db.session.get(Outing, outing_id), db.session.get(User, worker.id))
        db.session.commit()
    clock_at.value = T0 + timedelta(minutes=100)
    assert tick() == 0
    clock_at.value = T0 + timedelta(minutes=110)
    tick()
    assert steps_of(outing_id)[0][0].endswith(":prompt")


def test_a_welfare_update_resets_nothing(app, clock_at, make_user, make_outing, tick, steps_of):
    worker = make_user("ot")
    outing_id = make_outing(worker=worker, minutes=60)
    clock_at.value = T0 + timedelta(minutes=55)
    with app.app_context():
        outings.welfare_update(
            db.session.get(Outing, outing_id), db.session.get(User, worker.id), "On the bus back"
        )
        db.session.commit()
    _at(clock_at, 0)
    tick()
    assert steps_of(outing_id) == [("e1:prompt", "due")]


def test_steps_follow_real_elapsed_time_across_the_march_clock_change(
    app, frozen_clock, make_user, make_outing, tick, steps_of
):
    # 29 March 2026: at 01:00 UTC the clocks go forward from 01:00 GMT to 02:00 BST.
    frozen_clock(datetime(2026, 3, 29, 0, 30, tzinfo=UTC))
    outing_id = make_outing(minutes=60)
    with app.app_context():
        outing = db.session.get(Outing, outing_id)
        assert outing.expected_return == datetime(2026, 3, 29, 1, 30, tzinfo=UTC)
        from app.core.clock import format_time

        assert format_time(outing.expected_return) == "02:30"  # BST, shown in local time
    frozen_clock.value = datetime(2026, 3, 29, 1, 44, tzinfo=UTC)
    tick()
    assert ("e1:buddy", "amber") not in steps_of(outing_id)
    frozen_clock.value = datetime(2026, 3, 29, 1, 45, tzinfo=UTC)
    tick()
    assert ("e1:buddy", "amber") in steps_of(outing_id)


def test_steps_follow_real_elapsed_time_across_the_october_clock_change(
    app, frozen_clock, make_user, make_outing, tick, steps_of
):
    # 25 October 2026: at 01:00 UTC the clocks go back from 02:00 BST to 01:00 GMT, so 01:30
    # happens twice locally. Due at 00:45 UTC (01:45 BST); +30 minutes is 01:15 UTC (01:15 GMT).
    frozen_clock(datetime(2026, 10, 24, 23, 45, tzinfo=UTC))
    outing_id = make_outing(minutes=60)
    frozen_clock.value = datetime(2026, 10, 25, 1, 14, tzinfo=UTC)
    tick()
    assert ("e1:leads", "red") not in steps_of(outing_id)
    frozen_clock.value = datetime(2026, 10, 25, 1, 15, tzinfo=UTC)
    tick()
    assert ("e1:leads", "red") in steps_of(outing_id)
