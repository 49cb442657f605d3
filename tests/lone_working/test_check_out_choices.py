"""The check-out form through the web: one due time, last time's defaults, who can be a buddy on
a small unit (covering leads, the unit's shift phone), and the login page after a lost session."""

from datetime import timedelta

from sqlalchemy import select

from app.auth.models import Unit, User
from app.extensions import db
from app.lone_working.models import Outing
from tests.conftest import soup


def _data(**overrides):
    data = {
        "destination": "Central Library",
        "transport": "Walking",
        "contact_number": "07700 900111",
        "return_in": "60",
        "return_at": "",
        "welfare_interval": "",
        "request_key": "k-1",
    }
    data.update(overrides)
    return data


def _outings(app):
    with app.app_context():
        rows = db.session.scalars(select(Outing).order_by(Outing.id)).all()
        db.session.expunge_all()
    return rows


def _options(page) -> dict[str, str]:
    return {o.get_text(strip=True): o["value"] for o in page.select("#buddy_id option")}


def test_a_duration_chip_and_a_different_typed_back_by_time_are_refused_with_input_kept(
    app, web, make_user, make_client, clock_at
):
    worker, buddy = make_user("ot"), make_user("lead")
    client = make_client("JS")
    web.login(worker)
    response = web.post(
        "/out/new",
        _data(buddy_id=str(buddy.id), return_at="22:00", client_ids=[str(client.id)]),
    )
    assert response.status_code == 422
    page = soup(response)
    error = page.select_one("#return_at-error").get_text(" ", strip=True)
    assert "You chose 1 hour and typed back by 22:00" in error
    assert page.select_one("#return_at")["value"] == "22:00"
    assert page.select_one("#destination")["value"] == "Central Library"
    assert page.select_one("input[name=return_in][value='60']").has_attr("checked")
    assert page.select_one(f"input[name=client_ids][value='{client.id}']").has_attr("checked")
    assert _outings(app) == []


def test_a_typed_time_that_matches_the_chip_or_at_a_time_alone_is_accepted(
    app, web, make_user, clock_at
):
    worker, buddy = make_user("ot"), make_user("lead")
    web.login(worker)
    # 10:00 UTC is 10:00 in London in November: "1 hour" and "11:00" say the same thing.
    response = web.post("/out/new", _data(buddy_id=str(buddy.id), return_at="11:00"))
    assert response.status_code == 303
    (outing,) = _outings(app)
    assert outing.expected_return == clock_at.value + timedelta(hours=1)


def test_same_as_last_time_fills_place_clients_transport_and_buddy(
    app, web, make_user, make_client, make_outing, clock_at
):
    worker, buddy = make_user("ot"), make_user("lead", name="Sam Lead")
    client = make_client("AB", room="1")
    outing_id = make_outing(worker=worker, buddy=buddy, clients=[client], destination="Tesco Extra")
    with app.app_context():
        from app.lone_working import outings

        outings.check_in(db.session.get(Outing, outing_id), db.session.get(User, worker.id), "")
        db.session.commit()
    web.login(worker)
    page = soup(web.get("/out/new"))
    link = page.select_one("a.app-same-as-last")
    text = link.get_text(" ", strip=True)
    assert text == "Same as last time: Tesco Extra with AB, bus, buddy Sam Lead"
    assert link["href"] == "/out/new?same=1"  # a flag, never a client in the URL
    page = soup(web.get(link["href"]))
    assert page.select_one("#destination")["value"] == "Tesco Extra"
    assert page.select_one("input[name=transport][value=Bus]").has_attr("checked")
    assert page.select_one(f"input[name=client_ids][value='{client.id}']").has_attr("checked")
    assert page.select_one("#buddy_id option[selected]")["value"] == str(buddy.id)
    assert page.select_one("a.app-same-as-last") is None  # already the same as last time


def test_covering_leads_and_admins_can_be_a_buddy_on_a_small_unit(
    app, web, make_unit, make_user, clock_at
):
    small = make_unit("Orchard Lodge", "Orchard")
    worker = make_user("ot", home_unit=small, name="Ben Carter")
    lead = make_user("lead", name="Grace Adeyemi")  # home unit elsewhere, covers Orchard
    with app.app_context():
        person = db.session.get(User, lead.id)
        person.cover_units = [db.session.get(Unit, small.id)]
        db.session.commit()
    web.login(worker)
    options = _options(soup(web.get("/out/new")))
    assert "Grace Adeyemi" in options
    response = web.post("/out/new", _data(buddy_id=options["Grace Adeyemi"]))
    assert response.status_code == 303
    (outing,) = _outings(app)
    assert outing.buddy_id == lead.id


def test_with_nobody_to_pick_the_form_names_who_the_ladder_alerts_and_checks_out(
    app, web, make_unit, make_user, clock_at
):
    small = make_unit("Orchard Lodge", "Orchard")
    worker = make_user("ot", home_unit=small)
    make_user("admin", name="Sam Whitfield")  # an admin of the Trust, in another unit
    web.login(worker)
    page = soup(web.get("/out/new"))
    assert page.select_one("#buddy_id") is None
    text = page.select_one(".app-no-buddy").get_text(" ", strip=True)
    assert "No buddy on shift: your alerts go to Sam Whitfield" in text
    response = web.post("/out/new", _data())
    assert response.status_code == 303
    (outing,) = _outings(app)
    assert outing.buddy_id is None


def test_someone_outside_the_buddy_list_is_refused(app, web, make_user, make_unit, clock_at):
    worker, buddy = make_user("ot"), make_user("lead")
    stranger = make_user("ot", home_unit=make_unit("Elsewhere", "Else"))
    web.login(worker)
    response = web.post("/out/new", _data(buddy_id=str(stranger.id)))
    assert response.status_code == 422
    assert "Choose a buddy from the list" in soup(response).select_one("#buddy_id-error").text
    assert buddy  # the unit has a buddy to choose


def test_the_units_shift_phone_can_be_the_buddy_and_gets_the_buddy_alert(
    app, web, make_unit, make_user, channels, tick, outbox, clock_at
):
    small = make_unit("Orchard Lodge", "Orchard")
    with app.app_context():
        db.session.get(Unit, small.id).shift_phone = "07700 900199"
        db.session.commit()
    worker = make_user("ot", home_unit=small)
    make_user("admin", name="Sam Whitfield")
    web.login(worker)
    options = _options(soup(web.get("/out/new")))
    shift = options["The unit's shift phone (07700 900199)"]
    response = web.post("/out/new", _data(buddy_id=shift, return_in="30"))
    assert response.status_code == 303
    (outing,) = _outings(app)
    assert (outing.buddy_id, outing.buddy_phone) == (None, "07700 900199")

    clock_at.advance(minutes=30 + 15)  # the buddy step of the ladder
    tick()
    buddy_step = [m for m in outbox(outing.id) if ":buddy:" in m.dedupe_key]
    assert [(m.channel, m.address) for m in buddy_step] == [("sms", "07700 900199")]


def test_a_post_after_the_session_ended_says_on_the_login_page_what_was_not_sent(
    app, web, make_user, clock_at
):
    worker, buddy = make_user("ot"), make_user("lead")
    web.login(worker)
    token = web.token()
    with web.client.session_transaction() as session:
        session.clear()
    response = web.post("/out/new", _data(buddy_id=str(buddy.id), csrf_token=token), htmx=True)
    assert response.headers["HX-Redirect"] == "/login?next=/out/new"
    assert "Central" not in response.headers["HX-Redirect"]
    text = soup(web.get("/login?next=/out/new")).get_text(" ", strip=True)
    assert "You were signed out, so your check-out was not sent. Sign in to finish it." in text
    again = soup(web.get("/login")).get_text(" ", strip=True)
    assert "was not sent" not in again  # said once, for the page it belongs to


def test_the_shift_phone_is_set_from_the_command_line(app, unit):
    runner = app.test_cli_runner()
    bad = runner.invoke(args=["lone-working", "shift-phone", "--unit", unit.name, "--phone", "x"])
    assert bad.exit_code != 0 and "Enter a phone number" in bad.output
    done = runner.invoke(
        args=["lone-working", "shift-phone", "--unit", unit.name, "--phone", "07700 900199"]
    )
    assert done.exit_code == 0, done.output
    with app.app_context():
        assert db.session.get(Unit, unit.id).shift_phone == "07700 900199"


def test_htmx_gives_up_on_a_request_after_a_timeout_so_a_tap_can_say_not_sent(web, make_user):
    import json

    web.login(make_user("ot"))
    meta = soup(web.get("/out/new")).select_one("meta[name=htmx-config]")
    assert 0 < json.loads(meta["content"])["timeout"] <= 30_000
