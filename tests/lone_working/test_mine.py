"""My outing through the web: the state the board shows in the worker's own words, the next step
and when (planning.next_planned), "Seen by", SOS's in-place confirm, the way to the notes after
checking in, and the Resolve form only when there is something to resolve (issue 14)."""

import re
from datetime import timedelta

import pytest
from werkzeug.security import generate_password_hash

from app.auth.models import User
from app.core import clock
from app.extensions import db
from app.lone_working import ladder as ladder_config
from app.lone_working import planning
from app.lone_working.models import Outing
from tests.conftest import soup
from tests.lone_working.conftest import T0

HX = {"HX-Request": "true"}


def hhmm(value) -> str:
    return f"{clock.to_london(value):%H:%M}"


def _next(app, outing_id):
    with app.app_context():
        step = planning.next_planned(db.session.get(Outing, outing_id))
        db.session.remove()
    return step and (step.told, step.reason, step.at)


def _status(web):
    return soup(web.get("/out/mine")).select_one("#my-outing-status")


def _text(element) -> str:
    return re.sub(r"\s+", " ", element.get_text()).strip()


@pytest.fixture
def custom_ladder(app):
    """``custom_ladder([...])``: configure another ladder for this test."""
    saved = app.extensions["lone_working_ladder"]

    def use(steps):
        app.extensions["lone_working_ladder"] = ladder_config.parse(steps)

    yield use
    app.extensions["lone_working_ladder"] = saved


# --- planning.next_planned ------------------------------------------------------------------


def test_the_next_step_is_the_buddy_fifteen_minutes_after_the_due_time(app, make_outing, clock_at):
    outing_id = make_outing(minutes=60)
    due = T0 + timedelta(minutes=60)
    assert _next(app, outing_id) == ("buddy", "overdue", due + timedelta(minutes=15))


def test_steps_already_taken_are_skipped_up_to_the_emergency_procedure(
    app, make_outing, clock_at, tick
):
    outing_id = make_outing(minutes=60)
    due = T0 + timedelta(minutes=60)
    clock_at.advance(minutes=76)  # due + 16: prompts and buddy taken
    tick()
    assert _next(app, outing_id) == ("leads", "overdue", due + timedelta(minutes=30))
    clock_at.advance(minutes=15)  # due + 31: the shift lead told
    tick()
    assert _next(app, outing_id) == ("emergency", "overdue", due + timedelta(minutes=60))
    clock_at.advance(minutes=30)  # due + 61: the top step taken, nothing is left
    tick()
    assert _next(app, outing_id) is None


def test_an_extension_moves_the_next_step(app, web, make_user, make_outing, clock_at):
    worker = make_user("ot")
    outing_id = make_outing(worker=worker, minutes=60)
    web.login(worker)
    due = soup(web.get("/out/mine")).select_one("#due")["value"]
    response = web.post(
        f"/out/{outing_id}/extend", {"minutes": "30", "reason": "Bus late", "due": due}
    )
    assert response.status_code == 303
    new_due = T0 + timedelta(minutes=90)
    assert _next(app, outing_id) == ("buddy", "overdue", new_due + timedelta(minutes=15))
    assert f"Your buddy will be alerted at {hhmm(new_due + timedelta(minutes=15))}" in (
        _text(_status(web))
    )


def test_a_step_the_watcher_has_not_taken_yet_is_reported_as_now(app, make_outing, clock_at):
    outing_id = make_outing(minutes=10)
    clock_at.advance(minutes=40)  # buddy due at +25, no watcher pass since
    assert _next(app, outing_id) == ("buddy", "overdue", T0 + timedelta(minutes=40))


def test_the_configured_ladder_is_followed(app, make_outing, clock_at, custom_ladder):
    custom_ladder(
        [
            {"key": "tell-buddy", "after_minutes": 10, "recipients": ["buddy"], "level": "amber"},
            {
                "key": "all-leads",
                "after_minutes": 20,
                "recipients": ["all_leads"],
                "level": "red",
                "needs_ack": True,
            },
        ]
    )
    outing_id = make_outing(minutes=60)
    due = T0 + timedelta(minutes=60)
    assert _next(app, outing_id) == ("buddy", "overdue", due + timedelta(minutes=10))


def test_a_ladder_of_worker_prompts_then_one_lead_step_names_it_the_emergency_procedure(
    app, make_outing, clock_at, custom_ladder, tick
):
    custom_ladder(
        [
            {"key": "remind", "after_minutes": 0, "recipients": ["worker"], "level": "due"},
            {
                "key": "leads-now",
                "after_minutes": 5,
                "recipients": ["leads_on_duty"],
                "level": "red",
                "needs_ack": True,
            },
        ]
    )
    outing_id = make_outing(minutes=60)
    clock_at.advance(minutes=61)
    tick()  # the reminder to the worker is taken; it is never "the next step" for them
    assert _next(app, outing_id) == ("emergency", "overdue", T0 + timedelta(minutes=65))


def test_a_welfare_check_that_falls_due_first_is_the_next_deadline(
    app, web, make_user, make_outing, clock_at
):
    worker = make_user("ot")
    outing_id = make_outing(worker=worker, minutes=120, welfare_interval=20)
    assert _next(app, outing_id) == ("buddy", "welfare", T0 + timedelta(minutes=35))
    web.login(worker)
    clock_at.advance(minutes=10)
    assert web.post(f"/out/{outing_id}/welfare-ok").status_code == 303  # a new cycle from now
    assert _next(app, outing_id) == ("buddy", "welfare", T0 + timedelta(minutes=45))
    text = _text(_status(web))
    assert f"Your buddy will be alerted at {hhmm(T0 + timedelta(minutes=45))}" in text
    assert "unless you answer your welfare check" in text


def test_a_checked_in_outing_has_no_next_step(app, web, make_user, make_outing, clock_at):
    worker = make_user("ot")
    outing_id = make_outing(worker=worker)
    web.login(worker)
    web.post(f"/out/{outing_id}/back", {})
    assert _next(app, outing_id) is None


# --- the worker's screen --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("minutes", "level", "title", "said"),
    [
        (30, "ok", "On time", "Your buddy will be alerted at 11:15 unless you check in"),
        (61, "due", "You are due back", "Your buddy will be alerted at 11:15."),
        (76, "amber", "You are overdue", "The shift lead will be alerted at 11:30."),
        (91, "red", "You are overdue: urgent", "The emergency procedure starts at 12:00."),
        (121, "red", "You are overdue: urgent", "The emergency procedure started at 12:01."),
    ],
)
def test_my_outing_shows_the_boards_state_in_words_and_what_happens_next(
    web, make_user, make_outing, clock_at, tick, minutes, level, title, said
):
    worker = make_user("ot")
    make_outing(worker=worker, minutes=60)  # due 11:00 (GMT)
    clock_at.advance(minutes=minutes)
    tick()
    web.login(worker)
    status = _status(web)
    assert status["data-level"] == level and f"app-status--{level}" in status["class"]
    assert status.find("h2").get_text(strip=True) == title
    assert said in _text(status)


def test_a_missed_welfare_check_is_named_as_such_not_as_being_due_back(
    web, make_user, make_outing, clock_at, tick
):
    worker = make_user("ot")
    make_outing(worker=worker, minutes=120, welfare_interval=20)
    web.login(worker)
    clock_at.advance(minutes=21)
    tick()  # the welfare prompt
    status = _status(web)
    assert status["data-level"] == "due"
    assert status.find("h2").get_text(strip=True) == "Your welfare check is due"
    assert "Your buddy will be alerted at 10:35 unless you answer your welfare check." in _text(
        status
    )
    clock_at.advance(minutes=15)
    tick()  # the buddy is told
    status = _status(web)
    assert status.find("h2").get_text(strip=True) == "You missed your welfare check"
    assert "Your buddy was alerted at 10:36." in _text(status)


def test_the_status_poll_clears_the_done_banner_only_once_the_worker_is_overdue(
    web, make_user, make_outing, clock_at, tick
):
    worker = make_user("ot")
    make_outing(worker=worker, minutes=60)
    web.login(worker)
    on_time = soup(web.get("/out/mine?poll=1", headers=HX))
    assert on_time.select_one("#mine-flash") is None
    clock_at.advance(minutes=61)
    tick()
    due = soup(web.get("/out/mine?poll=1", headers=HX))
    cleared = due.select_one("#my-outing-status #mine-flash")
    assert cleared is not None and cleared["hx-swap-oob"] == "true" and not cleared.contents
    # The full page always has the box the poll empties, so the swap never misses its target.
    assert soup(web.get("/out/mine")).select_one("#mine-flash") is not None


def test_the_worker_sees_who_acknowledged_their_sos_and_when(
    app, web, make_user, make_outing, clock_at
):
    worker, lead = make_user("ot"), make_user("lead", name="Rosa Lead")
    outing_id = make_outing(worker=worker, buddy=lead)
    web.login(worker)
    web.post(f"/out/{outing_id}/sos")
    status = _status(web)
    assert status["data-level"] == "sos"
    assert "Not seen by a lead yet" in status.get_text()
    assert "Seen by" not in status.get_text()
    with app.app_context():
        step_id = db.session.get(Outing, outing_id).steps[0].id
        db.session.remove()
    clock_at.advance(minutes=3)
    web.post("/logout")
    web.login(lead)
    assert web.post(f"/board/alerts/{step_id}/ack").status_code == 303
    web.post("/logout")
    web.login(worker)
    text = soup(web.get("/out/mine?poll=1", headers=HX)).select_one("#my-outing-status").get_text()
    assert f"Seen by Rosa Lead at {hhmm(T0 + timedelta(minutes=3))}." in text
    assert "Not seen by a lead yet" not in text


def test_what_a_duress_pin_raised_never_colours_or_names_anything_on_the_workers_screen(
    app, make_user, make_outing, clock_at
):
    from app.lone_working import outings

    worker, lead = make_user("ot"), make_user("lead")
    outing_id = make_outing(worker=worker, buddy=lead)
    with app.app_context():
        person = db.session.get(User, worker.id)
        person.checkin_pin_hash = generate_password_hash("2468")
        person.duress_pin_hash = generate_password_hash("1357")
        outing = db.session.get(Outing, outing_id)
        outings.check_in(outing, person, "1357")
        (step,) = outing.steps
        assert planning.level(outing) == "sos"  # the board's colour, for leads
        assert planning.level(outing, include_silent=False) == "ok"
        assert planning.waiting_for_ack(outing) is False
        outings.acknowledge(step, db.session.get(User, lead.id))
        assert step.acknowledged_at is not None
        assert planning.seen_by(outing) is None
        assert planning.last_told(outing) is None
        assert planning.waiting_for_ack(outing) is False
        db.session.remove()


def test_polling_a_closed_outing_says_so_in_the_status_box_and_stops(
    app, web, make_user, make_outing, clock_at
):
    worker = make_user("ot")
    outing_id = make_outing(worker=worker)
    web.login(worker)
    web.post(f"/out/{outing_id}/back", {})
    response = web.get("/out/mine?poll=1", headers=HX)
    assert response.status_code == 286
    box = soup(response).select_one("#my-outing-status")
    assert "Your outing is closed" in box.get_text()
    # Without htmx there is no poll: the page sends the worker home.
    plain = web.get("/out/mine?poll=1")
    assert plain.status_code == 302 and plain.headers["Location"] == "/"


# --- SOS ---------------------------------------------------------------------------------------


def test_sos_opens_its_confirm_in_place_for_htmx_and_as_a_page_without_javascript(
    web, make_user, make_outing, clock_at
):
    worker = make_user("ot")
    outing_id = make_outing(worker=worker)
    web.login(worker)
    link = soup(web.get("/out/mine")).find("a", string="SOS")
    assert link["href"] == f"/out/{outing_id}/sos"  # the no-JS path
    assert link["hx-get"] == link["href"] and link["hx-target"] == "#sos"
    fragment = soup(web.get(link["hx-get"], headers=HX))
    assert fragment.select_one("main") is None and fragment.select_one("div#sos") is not None
    form = fragment.find("form")
    assert form["method"] == "post" and form["action"] == f"/out/{outing_id}/sos"
    assert form.find("button", string="Send SOS now") is not None
    cancel = fragment.find("a", string=re.compile("Cancel"))
    assert cancel["href"] == "/out/mine" and cancel["hx-select"] == "#sos"
    page = soup(web.get(link["href"]))
    assert page.find("h1").get_text(strip=True) == "Send SOS?"


# --- after I'm back: on to the notes ---------------------------------------------------------


def _pins(app, user):
    with app.app_context():
        person = db.session.get(User, user.id)
        person.checkin_pin_hash = generate_password_hash("2468")
        person.duress_pin_hash = generate_password_hash("1357")
        db.session.commit()


def _normalised(html: str, outing_id: int, worker: User) -> str:
    text = re.sub(r"\s+", " ", html)
    text = re.sub(r'name="csrf_token"[^>]*>', "", text)
    text = re.sub(r"X-CSRFToken&#34;: &#34;[^&]+&#34;|X-CSRFToken\": \"[^\"]+\"", "", text)
    text = text.replace(f"/out/{outing_id}", "/out/N").replace(f"outing={outing_id}", "outing=N")
    text = text.replace(worker.name, "WORKER").replace(worker.email, "EMAIL")
    # The two test accounts differ by id, which the page carries for the phone's own copies.
    text = text.replace(f'data-note-user="{worker.id}"', 'data-note-user="ID"')
    text = text.replace(
        f'name="waypoint-user" content="{worker.id}"', 'name="waypoint-user" content="ID"'
    )
    return re.sub(r"nonce=\"[^\"]+\"", "", text)


def test_after_im_back_with_either_pin_the_worker_is_offered_a_note_for_the_clients(
    app, web, make_user, make_client, make_outing, clock_at, channels
):
    lead = make_user("lead")
    first, second = make_client("AB"), make_client("BC")
    pages = []
    for pin in ("2468", "1357"):  # the check-in PIN, then the duress PIN
        worker = make_user("ot", name="Same Name")
        _pins(app, worker)
        outing_id = make_outing(worker=worker, buddy=lead, clients=[first, second])
        web.login(worker)
        response = web.post(f"/out/{outing_id}/back", {"pin": pin})
        assert response.status_code == 303
        assert response.headers["Location"] == f"/out/{outing_id}"
        page = web.get(response.headers["Location"])
        link = soup(page).find("a", string="Write a note for AB / BC")
        assert link["href"].startswith("/notes/from-outing?")
        assert f"clients={first.id},{second.id}&" in link["href"]
        assert f"outing={outing_id}" in link["href"]
        assert "Welcome back. You are checked in." in page.get_data(as_text=True)
        pages.append(_normalised(page.get_data(as_text=True), outing_id, worker))
        web.post("/logout")
        web._token = None
    assert pages[0] == pages[1]  # a duress check-in cannot be told apart on the screen


def test_after_im_back_on_an_outing_without_clients_the_worker_goes_home(
    web, make_user, make_outing, clock_at
):
    worker = make_user("ot")
    outing_id = make_outing(worker=worker)
    web.login(worker)
    response = web.post(f"/out/{outing_id}/back", {})
    assert response.status_code == 303 and response.headers["Location"] == "/"


def test_the_htmx_check_in_sends_the_browser_to_the_notes_offer(
    web, make_user, make_client, make_outing, clock_at
):
    worker = make_user("ot")
    outing_id = make_outing(worker=worker, clients=[make_client("AB")])
    web.login(worker)
    response = web.post(f"/out/{outing_id}/back", {}, htmx=True)
    assert response.headers["HX-Redirect"] == f"/out/{outing_id}"


# --- the Resolve form (issue 14 item 9) --------------------------------------------------------


def _has_resolve_form(web, outing_id) -> bool:
    return soup(web.get(f"/out/{outing_id}")).select_one("#resolve-form") is not None


def test_the_resolve_form_shows_only_when_there_is_something_to_resolve(
    web, make_user, make_outing, clock_at, tick
):
    worker, lead = make_user("ot"), make_user("lead")
    quiet = make_outing(worker=worker, buddy=lead, minutes=60)
    web.login(lead)
    assert _has_resolve_form(web, quiet)  # out: a lead may close or extend it
    web.post("/logout")
    web.login(worker)
    web.post(f"/out/{quiet}/back", {})
    web.post("/logout")
    web.login(lead)
    assert not _has_resolve_form(web, quiet)  # back on time: nothing to resolve

    late_worker = make_user("ot")
    late = make_outing(worker=late_worker, buddy=lead, minutes=10)
    web.post("/logout")
    clock_at.advance(minutes=41)  # the shift lead has been alerted
    tick()
    web.login(late_worker)
    web.post(f"/out/{late}/back", {})
    web.post("/logout")
    web.login(lead)
    assert _has_resolve_form(web, late)  # back, but an alert was raised: it needs resolving
    response = web.post(
        f"/out/{late}/resolve", {"outcome": "returned_safe", "note": "Phoned, all fine"}
    )
    assert response.status_code == 303
    page = soup(web.get(f"/out/{late}"))
    assert page.select_one("#resolve-form") is None  # resolved: closed
    assert page.find("h2", string="Resolve") is None
