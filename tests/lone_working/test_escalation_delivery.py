"""What the ladder hands the outbox: each step's urgency (so emergencies go first) and the moment a
step was written."""

from datetime import timedelta

from app.auth.models import User
from app.extensions import db
from app.lone_working import escalation, outings
from app.lone_working.models import EscalationStep, Outing
from app.notify.models import BUDDY, EMERGENCY, LEADS, ROUTINE
from tests.lone_working.conftest import T0

DUE = T0 + timedelta(minutes=60)


def test_each_step_queues_its_messages_with_its_urgency(
    app, clock_at, make_user, make_outing, tick, outbox, channels
):
    outing_id = make_outing(minutes=60)
    clock_at.value = DUE + timedelta(minutes=61)
    tick()
    urgency = {m.dedupe_key.split(":")[3]: m.priority for m in outbox(outing_id)}
    assert urgency == {
        "prompt": ROUTINE,
        "prompt-again": ROUTINE,
        "buddy": BUDDY,
        "leads": LEADS,
        "emergency": EMERGENCY,
    }


def test_sos_and_its_resends_are_emergencies(
    app, clock_at, make_user, make_outing, tick, outbox, channels
):
    worker = make_user("ot")
    outing_id = make_outing(worker=worker)
    with app.app_context():
        outings.sos(db.session.get(Outing, outing_id), db.session.get(User, worker.id))
        db.session.commit()
    clock_at.advance(minutes=5)
    tick()  # unacknowledged: sent again
    messages = outbox(outing_id)
    assert {m.dedupe_key.split(":")[3] for m in messages} == {"0", "1"}
    assert {m.priority for m in messages} == {EMERGENCY}


def test_a_step_records_when_it_was_written_not_when_the_pass_started(app, clock_at, make_outing):
    outing_id = make_outing(minutes=60)
    written = DUE + timedelta(seconds=4)  # the pass took 4 s to reach this outing
    clock_at.value = written
    with app.app_context():
        escalation.tick(now=DUE)
        step = db.session.scalars(
            db.select(EscalationStep).where(EscalationStep.outing_id == outing_id)
        ).one()
        assert step.step_key == "e1:prompt"
        assert step.fired_at == written
