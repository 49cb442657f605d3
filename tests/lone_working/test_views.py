"""Check-out, my outing, the board and the outing page, through the web as a phone uses them."""

import csv
import io
import re
from datetime import timedelta

from sqlalchemy import func, select
from werkzeug.security import generate_password_hash

from app.auth.models import User
from app.extensions import db
from app.lone_working.models import EscalationStep, Outing, OutingEvent
from tests.conftest import soup
from tests.lone_working.conftest import T0


def _check_out_data(buddy, **overrides):
    data = {
        "destination": "Central Library",
        "purpose": "Library card for the reading group",
        "transport": "Walking",
        "contact_number": "07700 900111",
        "return_in": "60",
        "return_at": "",
        "buddy_id": str(buddy.id),
        "welfare_interval": "",
        "request_key": "k-1",
    }
    data.update(overrides)
    return data


def _set_pins(app, user, checkin="2468", duress="1357"):
    with app.app_context():
        person = db.session.get(User, user.id)
        person.checkin_pin_hash = generate_password_hash(checkin)
        person.duress_pin_hash = generate_password_hash(duress)
        db.session.commit()


def _outings(app):
    with app.app_context():
        rows = db.session.scalars(select(Outing).order_by(Outing.id)).all()
        db.session.expunge_all()
    return rows


def test_checking_out_records_the_outing_and_shows_my_outing(
    app, web, make_user, make_client, clock_at
):
    worker, buddy = make_user("ot", phone="07700 900999"), make_user("lead")
    client = make_client("JS")
    web.login(worker)
    form = soup(web.get("/out/new"))
    assert form.select_one("#contact_number")["value"] == "07700 900999"  # from the profile
    data = _check_out_data(buddy, client_ids=[str(client.id)])
    response = web.post("/out/new", data)
    assert response.status_code == 303 and response.headers["Location"] == "/out/mine"
    (outing,) = _outings(app)
    assert outing.destination == "Central Library"
    assert outing.expected_return == T0 + timedelta(minutes=60)
    mine = soup(web.get("/out/mine"))
    assert "1 h 00 min" in mine.select_one(".app-countdown__value").get_text()
    assert "with JS" in mine.get_text()
    assert (
        "Due back at" in mine.get_text()
        and "10:00" not in mine.select_one(".app-countdown").get_text()
    )


def test_a_double_submitted_check_out_is_one_outing(app, web, make_user, clock_at):
    worker, buddy = make_user("ot"), make_user("lead")
    web.login(worker)
    first = web.post("/out/new", _check_out_data(buddy))
    second = web.post("/out/new", _check_out_data(buddy))
    assert first.status_code == 303
    assert second.status_code == 303  # the retry lands on My outing; nothing new is made
    assert second.headers["Location"] == "/out/mine"
    assert len(_outings(app)) == 1
    other = web.post("/out/new", _check_out_data(buddy, request_key="another-form"))
    assert other.status_code == 422  # a second, different check-out while out is refused
    assert "You are already out" in other.get_data(as_text=True)


def test_the_same_request_key_twice_is_one_outing_even_past_validation(app, make_user, clock_at):
    from app.lone_working.outings import check_out

    worker, buddy = make_user("ot"), make_user("lead")
    with app.app_context():
        person = db.session.get(User, worker.id)
        data = {
            "destination": "Gym",
            "contact_number": "07700 900111",
            "buddy_id": buddy.id,
            "expected_return": T0 + timedelta(hours=1),
        }
        first = check_out(person, person.home_unit_id, data, "same-key")
        db.session.commit()
        again = check_out(person, person.home_unit_id, data, "same-key")
        assert first.id == again.id
        assert db.session.scalar(select(func.count()).select_from(Outing)) == 1


def test_bad_check_out_input_gets_field_errors_and_keeps_the_rest(
    app, web, make_user, make_outing, clock_at
):
    worker, buddy, colleague = (
        make_user("ot"),
        make_user("lead"),
        make_user("ot", name="Out Already"),
    )
    make_outing(worker=colleague)
    web.login(worker)
    data = _check_out_data(
        buddy,
        destination="",
        return_in="exact",
        return_at="09:00",
        coworker_ids=[str(colleague.id)],
        client_ids=["99999"],
    )
    response = web.post("/out/new", data)
    assert response.status_code == 422
    page = soup(response)
    summary = page.select_one(".nhsuk-error-summary").get_text()
    assert "Enter where you are going" in summary
    assert "must be in the future" in summary
    assert "Out Already is already out" in summary
    assert "Choose clients from the list" in summary
    assert page.select_one("#purpose")["value"] == "Library card for the reading group"
    assert page.select_one("#return_at")["value"] == "09:00"
    assert page.select_one("#contact_number")["value"] == "07700 900111"
    assert len(_outings(app)) == 1


def test_a_return_more_than_12_hours_ahead_is_refused(web, make_user, clock_at):
    worker, buddy = make_user("ot"), make_user("lead")
    web.login(worker)
    # 10:00 UTC now; 23:30 London (GMT) is 13.5 hours ahead.
    response = web.post("/out/new", _check_out_data(buddy, return_in="exact", return_at="23:30"))
    assert response.status_code == 422
    assert "within 12 hours" in soup(response).select_one("#return_at-error").get_text()


def test_an_exact_return_time_is_read_as_uk_local_time_in_summer(app, web, make_user, frozen_clock):
    from datetime import UTC, datetime

    frozen_clock(datetime(2026, 7, 1, 9, 0, tzinfo=UTC))  # 10:00 BST
    worker, buddy = make_user("ot"), make_user("lead")
    web.login(worker)
    web.post("/out/new", _check_out_data(buddy, return_in="exact", return_at="14:30"))
    assert _outings(app)[0].expected_return == datetime(2026, 7, 1, 13, 30, tzinfo=UTC)


def test_im_back_twice_is_one_check_in_and_a_closed_outing_says_so(
    app, web, make_user, make_outing, clock_at
):
    worker = make_user("ot")
    outing_id = make_outing(worker=worker)
    web.login(worker)
    first = web.post(f"/out/{outing_id}/back", {"pin": ""})
    second = web.post(f"/out/{outing_id}/back", {"pin": ""})
    assert first.status_code == second.status_code == 303
    home = web.get("/").get_data(as_text=True)
    assert "already checked in. Nothing has changed" in home
    with app.app_context():
        kinds = db.session.scalars(
            select(OutingEvent.kind).where(OutingEvent.outing_id == outing_id)
        ).all()
    assert kinds.count("checked_in") == 1


def test_a_worker_cannot_check_in_someone_elses_outing_but_a_lead_can_resolve_it(
    app, web, make_user, make_outing, clock_at
):
    owner, other, lead = make_user("ot"), make_user("ot"), make_user("lead")
    outing_id = make_outing(worker=owner)
    web.login(other)
    assert web.post(f"/out/{outing_id}/back", {}).status_code == 403
    assert web.post(f"/out/{outing_id}/sos", {}).status_code == 403
    assert (
        web.post(f"/out/{outing_id}/resolve", {"outcome": "returned_safe", "note": "x"}).status_code
        == 403
    )
    web.post("/logout")
    web._token = None
    web.login(lead)
    response = web.post(
        f"/out/{outing_id}/resolve", {"outcome": "returned_safe", "note": "Saw them come in"}
    )
    assert response.status_code == 303
    assert _outings(app)[0].status == "resolved"


def test_sos_needs_a_confirmation_and_a_double_tap_is_one_alert(
    app, web, make_user, make_outing, clock_at
):
    worker = make_user("ot")
    outing_id = make_outing(worker=worker)
    web.login(worker)
    confirm = soup(web.get(f"/out/{outing_id}/sos"))
    assert confirm.find("button", string="Send SOS now") is not None
    assert web.post(f"/out/{outing_id}/sos").status_code == 303
    assert web.post(f"/out/{outing_id}/sos").status_code == 303
    with app.app_context():
        steps = db.session.scalars(select(EscalationStep.step_key)).all()
    assert steps == ["sos"]


def test_the_duress_pin_checks_in_as_usual_but_raises_the_top_step_silently(
    app, web, make_user, make_outing, clock_at, channels
):
    worker, lead = make_user("ot"), make_user("lead")
    _set_pins(app, worker)
    outing_id = make_outing(worker=worker, buddy=lead)
    web.login(worker)
    assert soup(web.get("/out/mine")).select_one("#pin") is not None
    normal_home = None
    response = web.post(f"/out/{outing_id}/back", {"pin": "1357"})
    assert response.status_code == 303 and response.headers["Location"] == "/"
    normal_home = web.get("/")
    text = normal_home.get_data(as_text=True)
    assert "Welcome back. You are checked in." in text
    assert "alert" not in soup(normal_home).select_one("main").get_text().lower()
    assert "duress" not in web.get("/board").get_data(as_text=True).lower()
    with app.app_context():
        step = db.session.scalars(select(EscalationStep)).one()
        assert (step.step_key, step.level, step.silent) == ("duress", "sos", True)
        from app.notify.models import OutboxMessage

        told = set(db.session.scalars(select(OutboxMessage.recipient_id)))
    assert lead.id in told and worker.id not in told
    web.post("/logout")
    web._token = None
    web.login(lead)
    board = web.get("/board").get_data(as_text=True)
    assert "Possible duress" in board
    assert "alert needs acknowledging" in web.get("/").get_data(as_text=True)


def test_a_wrong_pin_does_not_check_in_and_keeps_the_outing_open(
    app, web, make_user, make_outing, clock_at
):
    worker = make_user("ot")
    with app.app_context():
        db.session.get(User, worker.id).checkin_pin_hash = generate_password_hash("2468")
        db.session.commit()
    outing_id = make_outing(worker=worker)
    web.login(worker)
    response = web.post(f"/out/{outing_id}/back", {"pin": "0000"})
    assert response.status_code == 422
    assert "That PIN is not right" in soup(response).select_one("#pin-error").get_text()
    assert _outings(app)[0].checked_in_at is None


def test_extending_needs_a_reason_and_moves_the_due_time(
    app, web, make_user, make_outing, clock_at
):
    worker = make_user("ot")
    outing_id = make_outing(worker=worker)
    web.login(worker)
    refused = web.post(f"/out/{outing_id}/extend", {"minutes": "30", "reason": ""})
    assert refused.status_code == 422
    assert "Say why you need longer" in refused.get_data(as_text=True)
    due = _outings(app)[0].expected_return.isoformat()
    ok = web.post(
        f"/out/{outing_id}/extend", {"minutes": "30", "reason": "Queue at the bank", "due": due}
    )
    assert ok.status_code == 303
    assert _outings(app)[0].expected_return == T0 + timedelta(minutes=90)
    # The same tap again (a retry after a timeout, a double tap) changes nothing.
    again = web.post(
        f"/out/{outing_id}/extend", {"minutes": "30", "reason": "Queue at the bank", "due": due}
    )
    assert again.status_code == 303
    assert _outings(app)[0].expected_return == T0 + timedelta(minutes=90)
    assert "already made" in web.get("/out/mine").get_data(as_text=True)


def test_the_board_shows_who_is_out_and_polls_a_small_fragment(
    app, web, make_user, make_outing, make_client, clock_at, watcher_alive
):
    worker = make_user("ot", name="Paula Field")
    client = make_client("QR", full_name="Quentin Rowe")
    make_outing(worker=worker, clients=[client], destination="Leisure centre")
    viewer = make_user("assistant")
    web.login(viewer)
    page = soup(web.get("/board"))
    item = page.select_one(".app-board-list__item").get_text()
    assert "Paula Field" in item and "Leisure centre" in item and "QR" in item
    assert "Quentin" not in page.get_text()
    assert page.select_one("#board")["hx-trigger"] == "every 15s"
    fragment = web.get("/board?poll=1", headers={"HX-Request": "true"})
    assert fragment.get_data(as_text=True).lstrip().startswith('<div id="board"')
    assert "Alerts are not being sent" not in fragment.get_data(as_text=True)


def test_the_board_turns_amber_fifteen_minutes_after_the_due_time(
    app, web, make_user, make_outing, clock_at, tick
):
    outing_id = make_outing(minutes=60)
    viewer = make_user("assistant")
    clock_at.advance(minutes=74)
    tick()
    web.login(viewer)
    assert "nhsuk-tag--yellow" in str(soup(web.get("/board")).select_one(".app-board-list__item"))
    clock_at.advance(minutes=1)
    tick()
    item = soup(web.get("/board")).select_one(".app-board-list__item")
    assert "app-board-list__item--amber" in item["class"]
    assert f"/out/{outing_id}" in item.a["href"]


def test_the_board_warns_in_red_when_the_watcher_is_not_running(web, make_user, clock_at):
    web.login(make_user("ot"))
    assert "Alerts are not being sent" in web.get("/board").get_data(as_text=True)


def test_polling_does_not_keep_an_idle_session_alive(web, make_user, clock_at):
    web.login(make_user("ot"))
    for _ in range(4):
        clock_at.advance(minutes=10)
        web.get("/board?poll=1", headers={"HX-Request": "true"})
    response = web.get("/board?poll=1", headers={"HX-Request": "true"})
    assert response.headers.get("HX-Redirect", "").startswith("/login")


def test_my_outing_polling_stops_once_the_outing_is_closed(web, make_user, clock_at):
    web.login(make_user("ot"))
    assert web.get("/out/mine?poll=1", headers={"HX-Request": "true"}).status_code == 286


def test_every_logged_in_person_sees_a_banner_while_an_alert_is_unacknowledged(
    app, web, make_user, make_outing, clock_at, tick
):
    outing_id = make_outing(minutes=60)
    assistant, lead = make_user("assistant"), make_user("lead")
    clock_at.advance(minutes=90)
    tick()
    web.login(assistant)
    assert "acknowledging" in soup(web.get("/")).select_one("#alert-banner").get_text()
    web.post("/logout")
    web._token = None
    web.login(lead)
    with app.app_context():
        step_id = db.session.scalar(select(EscalationStep.id).where(EscalationStep.needs_ack))
    response = web.post(f"/board/alerts/{step_id}/ack")
    assert response.headers["Location"] == f"/out/{outing_id}"
    page = web.get(f"/out/{outing_id}").get_data(as_text=True)
    assert "Acknowledged by" in page


def test_only_leads_acknowledge(app, web, make_user, make_outing, clock_at, tick):
    make_outing(minutes=60)
    clock_at.advance(minutes=90)
    tick()
    web.login(make_user("ot"))
    with app.app_context():
        step_id = db.session.scalar(select(EscalationStep.id).where(EscalationStep.needs_ack))
    assert web.post(f"/board/alerts/{step_id}/ack").status_code == 403


def test_the_timeline_shows_each_event_step_and_message(
    app, web, make_user, make_outing, clock_at, tick, channels
):
    worker, lead = make_user("ot"), make_user("lead")
    outing_id = make_outing(worker=worker, buddy=lead)
    clock_at.advance(minutes=76)
    tick()
    web.login(lead)
    text = soup(web.get(f"/out/{outing_id}")).select_one("#timeline").get_text(" ")
    for expected in ("Checked out", "Escalation", "AMBER", "SMS to 07700", "pending"):
        assert expected in text, expected


def test_leads_export_a_month_as_csv_without_client_names(
    app, web, make_user, make_client, make_outing, clock_at
):
    client = make_client("JS", full_name="Jeremy Stonebridge")
    make_outing(clients=[client], destination="=HYPERLINK(1)")
    web.login(make_user("lead"))
    response = web.get("/out/export.csv?month=2026-11")
    assert response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True))))
    assert rows[0][0] == "outing" and len(rows) == 2
    assert rows[1][4] == "JS"
    assert rows[1][5].startswith("'=")  # no formula injection into a spreadsheet
    assert "Stonebridge" not in response.get_data(as_text=True)
    assert web.get("/out/export.csv?month=2026-10").get_data(as_text=True).count("\n") == 1


def test_staff_start_and_end_a_shift_in_one_tap(app, web, make_user, clock_at):
    lead = make_user("lead")
    web.login(lead)
    home = soup(web.get("/"))
    assert home.select_one('form[action="/duty/start"] button') is not None
    web.post("/duty/start")
    home = soup(web.get("/"))
    assert home.select_one('form[action="/duty/end"] button') is not None
    with app.app_context():
        from app.lone_working.duty import on_duty

        assert [u.id for u in on_duty(lead.home_unit_id)] == [lead.id]
    web.post("/duty/end")
    with app.app_context():
        assert on_duty(lead.home_unit_id) == []


def test_the_buddy_defaults_to_the_lead_on_duty(web, make_user, app, clock_at):
    worker, lead = make_user("ot"), make_user("lead")
    with app.app_context():
        from app.lone_working.duty import start_shift

        start_shift(db.session.get(User, lead.id), lead.home_unit_id)
        db.session.commit()
    web.login(worker)
    selected = soup(web.get("/out/new")).select_one("#buddy_id option[selected]")
    assert selected["value"] == str(lead.id)


def test_a_worker_who_used_the_duress_pin_sees_nothing_of_it_on_the_outing_page(
    app, web, make_user, make_outing, clock_at, channels
):
    worker, lead = make_user("ot"), make_user("lead")
    _set_pins(app, worker)
    outing_id = make_outing(worker=worker, buddy=lead)
    web.login(worker)
    web.post(f"/out/{outing_id}/back", {"pin": "1357"})
    page = web.get(f"/out/{outing_id}").get_data(as_text=True)
    for hidden in ("duress", "Escalation", "SMS to", "Escalated"):
        assert hidden not in page, hidden
    web.post("/logout")
    web._token = None
    web.login(lead)
    assert "duress" in web.get(f"/out/{outing_id}").get_data(as_text=True)


def test_alert_messages_carry_initials_place_and_time_but_no_client_name(
    app, make_user, make_client, make_outing, clock_at, tick, outbox, channels
):
    client = make_client("JS", full_name="Jeremy Stonebridge", preferred_name="Jez")
    outing_id = make_outing(clients=[client], destination="Market Street")
    clock_at.advance(minutes=60)
    tick()
    (message, *_) = outbox(outing_id)
    assert "JS" in message.body and "Market Street" in message.body and "11:00" in message.body
    assert "Jeremy" not in message.body and "Stonebridge" not in message.body
    assert "Jez" not in message.body


def test_the_board_says_when_no_lead_is_on_duty(web, make_user, clock_at):
    web.login(make_user("ot"))
    assert "No lead is on duty" in web.get("/board").get_data(as_text=True)


def test_every_lone_working_change_writes_an_audit_row(app, web, make_user, make_outing, clock_at):
    from app.audit.models import AuditEvent

    worker = make_user("ot")
    web.login(worker)
    web.post("/duty/start")
    outing_id = make_outing(worker=worker)
    web.post(f"/out/{outing_id}/welfare", {"text": "All fine"})
    due = _outings(app)[0].expected_return.isoformat()
    web.post(f"/out/{outing_id}/extend", {"minutes": "15", "reason": "Queue", "due": due})
    web.post(f"/out/{outing_id}/back", {})
    with app.app_context():
        actions = set(db.session.scalars(select(AuditEvent.action)))
    assert {"start_shift", "check_out", "welfare_update", "extend", "check_in"} <= actions


def test_the_idle_timeout_does_not_log_a_worker_out_of_their_outing(
    web, make_user, make_outing, clock_at
):
    worker = make_user("ot")
    web.login(worker)
    web.token()  # the phone has the page (and its CSRF token) already
    outing_id = make_outing(worker=worker, minutes=120)
    clock_at.advance(minutes=45)  # no taps for 45 minutes, polls only
    assert web.get("/out/mine?poll=1", headers={"HX-Request": "true"}).status_code == 200
    assert web.get(f"/out/{outing_id}/sos").status_code == 200
    clock_at.advance(minutes=45)
    assert web.post(f"/out/{outing_id}/back", {}).status_code == 303
    clock_at.advance(minutes=45)
    assert web.get("/clients").status_code == 302  # other pages still time out


def test_other_pages_still_time_out_while_a_worker_is_out(web, make_user, make_outing, clock_at):
    worker = make_user("ot")
    web.login(worker)
    make_outing(worker=worker, minutes=120)
    clock_at.advance(minutes=45)
    assert web.get("/clients").status_code == 302


def test_an_exact_time_after_midnight_means_tomorrow(app, web, make_user, frozen_clock):
    from datetime import UTC, datetime

    frozen_clock(datetime(2026, 11, 24, 23, 0, tzinfo=UTC))
    worker, buddy = make_user("ot"), make_user("lead")
    web.login(worker)
    assert (
        web.post(
            "/out/new", _check_out_data(buddy, return_in="exact", return_at="00:30")
        ).status_code
        == 303
    )
    assert _outings(app)[0].expected_return == datetime(2026, 11, 25, 0, 30, tzinfo=UTC)


def test_the_repeated_hour_when_the_clocks_go_back_takes_the_one_still_ahead(
    app, web, make_user, frozen_clock
):
    from datetime import UTC, datetime

    # 25 Oct 2026 01:10 UTC is 01:10 GMT, after the first 01:30 (BST, 00:30 UTC) has passed.
    frozen_clock(datetime(2026, 10, 25, 1, 10, tzinfo=UTC))
    worker, buddy = make_user("ot"), make_user("lead")
    web.login(worker)
    response = web.post("/out/new", _check_out_data(buddy, return_in="exact", return_at="01:30"))
    assert response.status_code == 303
    assert _outings(app)[0].expected_return == datetime(2026, 10, 25, 1, 30, tzinfo=UTC)


def test_a_lead_cannot_acknowledge_or_resolve_their_own_outing(
    app, web, make_user, make_outing, clock_at, tick
):
    lead = make_user("lead")
    outing_id = make_outing(worker=lead)
    clock_at.advance(minutes=100)
    tick()
    web.login(lead)
    with app.app_context():
        step_id = db.session.scalar(select(EscalationStep.id).where(EscalationStep.needs_ack))
    assert web.post(f"/board/alerts/{step_id}/ack").status_code == 403
    assert (
        web.post(
            f"/out/{outing_id}/resolve", {"outcome": "returned_safe", "note": "me"}
        ).status_code
        == 403
    )


def test_a_worker_keeps_sos_and_check_in_after_losing_access_to_the_unit(
    app, web, make_user, make_unit, make_outing, clock_at
):
    worker = make_user("ot")
    outing_id = make_outing(worker=worker)
    moved = make_unit("Orchard Lodge", "Orchard")
    with app.app_context():
        db.session.get(User, worker.id).home_unit_id = moved.id
        db.session.commit()
    web.login(worker)
    assert web.get(f"/out/{outing_id}/sos").status_code == 200
    assert web.post(f"/out/{outing_id}/back", {}).status_code == 303


def test_a_check_in_pin_equal_to_the_duress_pin_is_refused(app, web, make_user):
    from tests.conftest import PASSWORD

    me = make_user("ot")
    _set_pins(app, me)
    web.login(me)
    response = web.post("/profile", {"checkin_pin": "1357", "password": PASSWORD})
    assert response.status_code == 422
    assert "different from your duress PIN" in response.get_data(as_text=True)


def test_a_failing_poll_leaves_the_page_alone(app, web, make_user, clock_at):
    web.login(make_user("ot"))
    response = web.get("/out/999999?poll=1", headers={"HX-Request": "true"})
    assert response.status_code == 204


def test_a_closed_outing_offers_to_write_notes_for_its_clients(
    app, web, make_user, make_client, make_outing, clock_at
):
    worker = make_user("ot")
    first, second = make_client("AB"), make_client("CD")
    outing_id = make_outing(worker=worker, clients=[first, second], destination="Library")
    web.login(worker)
    assert "Write a note" not in web.get(f"/out/{outing_id}").get_data(as_text=True)
    web.post(f"/out/{outing_id}/back", {})
    link = soup(web.get(f"/out/{outing_id}")).find(
        "a", string=re.compile("Write a note for AB / CD")
    )
    assert link is not None
    page = soup(web.get(link["href"]))
    links = [a["href"] for a in page.select('a[href^="/notes/new"]')]
    assert len(links) == 2
    assert all("place=Library" in h and f"outing={outing_id}" in h for h in links)
