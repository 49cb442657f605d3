"""A huddle through the web as a phone uses it: start, attendees, flags, entries, actions,
close; one huddle per unit per shift; a closed huddle refuses edits."""

from sqlalchemy import func, select

from app.audit.models import AuditEvent
from app.extensions import db
from app.huddles.models import Huddle
from tests.conftest import soup
from tests.huddles.conftest import LATE, actions, entries, flag, huddle, relogin, start


def _count_huddles(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(Huddle))


def test_home_starts_the_huddle_in_one_tap_and_a_second_start_opens_the_same_one(
    app, web, team, early
):
    web.login(team["lead"])
    home = soup(web.get("/"))
    (button,) = [b for b in home.find_all("button") if "Start the huddle" in b.get_text()]
    assert button.find_parent("form")["action"] == "/huddles/start"
    first = start(web)
    other = web.__class__(app.test_client())
    other.login(team["ot"])
    assert start(other) == first
    assert _count_huddles(app) == 1
    page = soup(web.get(f"/huddles/{first}"))
    assert "Early shift huddle" in page.find("h1").get_text()
    # Whoever started it is ticked present.
    pressed = page.select("#attendees button[aria-pressed=true]")
    assert [b.get_text(" ", strip=True) for b in pressed] == ["✓ Lena Lead"]


def test_the_next_shift_gets_its_own_huddle_and_is_offered_to_close_the_last(app, web, team, early):
    web.login(team["lead"])
    first = start(web)
    early.advance(hours=6)  # 15:30, the late shift
    relogin(web, team["lead"])  # hours later: the idle timeout signed us out
    second = start(web)
    assert second != first
    page = soup(web.get(f"/huddles/{second}"))
    offer = page.find(id="earlier-open")
    assert offer is not None
    assert offer.find("a")["href"] == f"/huddles/{first}"


def test_ticking_attendees_and_adding_a_visitor(app, web, team, early):
    web.login(team["lead"])
    hid = start(web)
    response = web.post(
        f"/huddles/{hid}/attendees", {"staff_id": team["ot"].id, "present": "1"}, htmx=True
    )
    assert response.status_code == 200
    names = [
        b.get_text(" ", strip=True) for b in soup(response).select("button[aria-pressed=true]")
    ]
    assert "✓ Olu Therapist" in names
    response = web.post(f"/huddles/{hid}/visitors", {"name": "Dr A Patel, psychiatrist"}, htmx=True)
    assert "Dr A Patel, psychiatrist" in soup(response).get_text()
    # Unticking takes them off.
    web.post(f"/huddles/{hid}/attendees", {"staff_id": team["ot"].id, "present": "0"})
    page = soup(web.get(f"/huddles/{hid}"))
    assert "✓ Olu Therapist" not in [
        b.get_text(" ", strip=True) for b in page.select("#attendees button[aria-pressed=true]")
    ]


def test_an_attendee_who_is_not_the_units_staff_is_refused(
    app, web, team, early, make_unit, make_user
):
    stranger = make_user("ot", home_unit=make_unit("Elsewhere", "Else"))
    web.login(team["lead"])
    hid = start(web)
    response = web.post(f"/huddles/{hid}/attendees", {"staff_id": stranger.id, "present": "1"})
    assert response.status_code == 422
    assert "Choose someone from the unit's staff" in soup(response).get_text()


def test_every_current_client_is_listed_by_initials_and_room(app, web, team, early):
    web.login(team["lead"])
    hid = start(web)
    rows = soup(web.get(f"/huddles/{hid}")).select("#flags li.app-flag")
    assert [r.select_one(".app-flag__who").get_text() for r in rows] == ["AB", "CD", "EF"]
    assert "room 1" in rows[0].get_text()


def test_a_tap_moves_a_flag_on_and_amber_needs_a_reason(app, web, team, early):
    web.login(team["ot"])
    hid = start(web)
    ab = team["clients"][0]
    row = flag(app, hid, ab.id)
    assert row.value == "green"
    # Amber with no reason: refused, the row asks why and keeps amber as not saved yet.
    response = web.post(
        f"/huddles/{hid}/flags/{ab.id}",
        {"value": "amber", "reason": "", "version": row.version},
        htmx=True,
    )
    assert response.status_code == 422
    page = soup(response)
    assert "Say why this client is amber" in page.get_text()
    assert "amber, not saved yet" in page.find("label").get_text()
    assert flag(app, hid, ab.id).value == "green"
    # With a reason it saves.
    response = web.post(
        f"/huddles/{hid}/flags/{ab.id}",
        {"value": "amber", "reason": "Low mood after family visit", "version": row.version},
        htmx=True,
    )
    assert response.status_code == 200
    saved = flag(app, hid, ab.id)
    assert (saved.value, saved.reason, saved.version) == ("amber", "Low mood after family visit", 2)
    assert soup(response).select_one(".nhsuk-tag").get_text() == "Amber"
    # The next tap offers red; red needs a reason too.
    (button,) = [
        b for b in soup(response).find_all("button") if b.get_text().startswith("Make red")
    ]
    assert button["value"] == "red"
    response = web.post(
        f"/huddles/{hid}/flags/{ab.id}", {"value": "red", "reason": " ", "version": 2}
    )
    assert response.status_code == 422
    assert "Say why this client is red" in soup(response).get_text()


def test_red_needs_a_reason_and_green_clears_it(app, web, team, early):
    web.login(team["ot"])
    hid = start(web)
    cd = team["clients"][1]
    web.post(f"/huddles/{hid}/flags/{cd.id}", {"value": "red", "reason": "AWOL risk", "version": 1})
    assert flag(app, hid, cd.id).value == "red"
    web.post(f"/huddles/{hid}/flags/{cd.id}", {"value": "green", "reason": "x", "version": 2})
    saved = flag(app, hid, cd.id)
    assert (saved.value, saved.reason) == ("green", "")


def test_bad_flag_input_is_a_field_error_with_the_input_kept(app, web, team, early):
    web.login(team["ot"])
    hid = start(web)
    ab = team["clients"][0]
    for data, message in (
        ({"value": "purple", "reason": "why", "version": "1"}, "Choose green, amber or red"),
        ({"value": "amber", "reason": "x" * 201, "version": "1"}, "200 characters or fewer"),
        ({"value": "amber", "reason": "ok", "version": "abc"}, "out of date"),
        ({"value": "amber", "reason": "ok"}, "out of date"),
    ):
        response = web.post(f"/huddles/{hid}/flags/{ab.id}", data)
        assert response.status_code == 422, data
        page = soup(response)
        assert message in page.get_text(), data
        assert page.find(id=f"reason-{ab.id}")["value"] == data["reason"]
    assert flag(app, hid, ab.id).version == 1


def test_flags_carry_forward_with_a_changed_since_last_huddle_marker(app, web, team, early):
    ab, cd, ef = team["clients"]
    web.login(team["lead"])
    first = start(web)
    web.post(
        f"/huddles/{first}/flags/{ab.id}",
        {"value": "red", "reason": "Self-harm risk", "version": 1},
    )
    web.post(
        f"/huddles/{first}/flags/{cd.id}", {"value": "amber", "reason": "Missed meds", "version": 1}
    )
    web.post(f"/huddles/{first}/close")
    early.advance(hours=6)
    relogin(web, team["lead"])  # hours later: the idle timeout signed us out
    second = start(web)
    # The red flag is carried forward, not reset.
    carried = flag(app, second, ab.id)
    assert (carried.value, carried.reason, carried.previous_value) == (
        "red",
        "Self-harm risk",
        "red",
    )
    web.post(f"/huddles/{second}/flags/{cd.id}", {"value": "green", "reason": "", "version": 1})
    page = soup(web.get(f"/huddles/{second}"))
    ab_row = page.find(id=f"flag-{ab.id}")
    cd_row = page.find(id=f"flag-{cd.id}")
    assert "Same as last huddle" in ab_row.get_text()
    assert cd_row.select_one(".app-flag__changed").get_text() == "Changed since last huddle"
    assert "was amber (Missed meds)" in " ".join(cd_row.get_text().split())
    assert "Self-harm risk" in ab_row.get_text()


def test_the_clients_page_shows_the_latest_flag_and_reason(app, web, team, early):
    ab = team["clients"][0]
    web.login(team["ot"])
    hid = start(web)
    web.post(
        f"/huddles/{hid}/flags/{ab.id}", {"value": "amber", "reason": "Poor sleep", "version": 1}
    )
    page = soup(web.get(f"/clients/{ab.id}"))
    section = page.find(id="client-flag")
    assert section["hx-get"] == f"/huddles/clients/{ab.id}/flag"
    fragment = soup(web.get(f"/huddles/clients/{ab.id}/flag", headers={"HX-Request": "true"}))
    assert fragment.select_one(".nhsuk-tag").get_text() == "Amber"
    assert "Poor sleep" in fragment.get_text()


def test_entries_are_typed_and_link_to_the_client(app, web, team, early):
    ab = team["clients"][0]
    web.login(team["ot"])
    hid = start(web)
    response = web.post(
        f"/huddles/{hid}/entries",
        {
            "period": "since",
            "category": "observation",
            "client_id": ab.id,
            "observation_level": "Within eyesight",
            "text": "Raised after an incident on the ward",
        },
        htmx=True,
    )
    assert response.status_code == 200
    entry = soup(response).select_one("#entry-list .app-entry")
    assert "Observation level change" in entry.get_text()
    assert "now within eyesight" in entry.get_text()
    assert entry.find("a", string="AB")["href"] == f"/clients/{ab.id}"
    (saved,) = entries(app)
    assert (saved.category, saved.client_id) == ("observation", ab.id)


def test_bad_entries_are_field_errors_with_the_input_kept(app, web, team, early):
    web.login(team["ot"])
    hid = start(web)
    response = web.post(
        f"/huddles/{hid}/entries",
        {"period": "next", "category": "nonsense", "client_id": "99999", "text": "  "},
    )
    assert response.status_code == 422
    page = soup(response)
    summary = page.select_one(".nhsuk-error-summary").get_text()
    assert "Enter what happened or is planned" in summary
    assert "Choose what kind of entry this is" in summary
    assert "Choose a client from the list" in summary
    response = web.post(
        f"/huddles/{hid}/entries",
        {"period": "since", "category": "incident", "client_id": "0", "text": "x" * 501},
    )
    assert response.status_code == 422
    assert "500 characters or fewer" in soup(response).get_text()
    assert soup(response).find("textarea", id="entry-text").get_text().strip() == "x" * 501
    assert entries(app) == []


def test_an_action_needs_text_an_active_owner_and_a_due_time_not_past(
    app, web, team, early, make_user
):
    gone = make_user("ot", name="Former Staff", active=False)
    web.login(team["lead"])
    hid = start(web)
    cases = (
        ({"text": "", "owner_id": team["ot"].id, "due_kind": "shift"}, "Enter the action"),
        ({"text": "Call GP", "owner_id": gone.id, "due_kind": "shift"}, "active staff"),
        ({"text": "Call GP", "owner_id": "abc", "due_kind": "shift"}, "active staff"),
        (
            {"text": "Call GP", "owner_id": team["ot"].id, "due_kind": "time", "due_time": "08:00"},
            "That time has passed",
        ),
        (
            {"text": "Call GP", "owner_id": team["ot"].id, "due_kind": "time", "due_time": "25:61"},
            "Enter a real time",
        ),
        ({"text": "x" * 301, "owner_id": team["ot"].id, "due_kind": "today"}, "300 characters"),
    )
    for data, message in cases:
        response = web.post(f"/huddles/{hid}/actions", data)
        assert response.status_code == 422, data
        assert message in soup(response).get_text(), data
        if data["text"]:
            assert (
                soup(response).find("textarea", id="action-text").get_text().strip() == data["text"]
            )
    assert actions(app) == []


def test_actions_carry_forward_until_done_and_record_who_and_when(app, web, team, early):
    web.login(team["lead"])
    first = start(web)
    response = web.post(
        f"/huddles/{first}/actions",
        {
            "text": "Check the knife audit",
            "owner_id": team["ot"].id,
            "due_kind": "time",
            "due_time": "12:00",
        },
    )
    assert response.status_code == 303
    web.post(
        f"/huddles/{first}/actions",
        {"text": "Ring pharmacy", "owner_id": team["lead"].id, "due_kind": "shift"},
    )
    web.post(f"/huddles/{first}/close")
    early.advance(hours=6)
    relogin(web, team["lead"])  # hours later: the idle timeout signed us out
    second = start(web)
    page = soup(web.get(f"/huddles/{second}"))
    listed = page.select("#action-list li.app-action")
    assert [li.select_one(".app-action__text").get_text() for li in listed] == [
        "Check the knife audit",
        "Ring pharmacy",
    ]
    assert all("Carried forward" in li.get_text() for li in listed)
    assert "Overdue" in listed[0].get_text()
    knife = actions(app)[0]
    web.post(
        f"/actions/{knife.id}/done".join(["/huddles", ""]),
        {"version": knife.version, "huddle": second},
    )
    done = actions(app)[0]
    assert done.done_by_id == team["lead"].id and done.done_at == LATE.replace(minute=30)
    assert done.done_in_huddle_id == second
    early.advance(hours=7)
    relogin(web, team["lead"])
    relogin(web, team["lead"])  # hours later: the idle timeout signed us out
    third = start(web)
    texts = [
        li.get_text()
        for li in soup(web.get(f"/huddles/{third}")).select("#action-list li.app-action")
    ]
    assert len(texts) == 1 and "Ring pharmacy" in texts[0]


def test_my_actions_on_home_with_a_count(app, web, team, early):
    other = web.__class__(app.test_client())
    other.login(team["lead"])
    hid = start(other)
    for text in ("Call the GP", "Book the kitchen"):
        other.post(
            f"/huddles/{hid}/actions",
            {"text": text, "owner_id": team["ot"].id, "due_kind": "today"},
        )
    web.login(team["ot"])
    link = soup(web.get("/")).select_one("#home-huddle a.app-home-huddle__mine")
    assert link["href"] == "/huddles/actions/mine"
    assert link.select_one(".nhsuk-tag").get_text() == "2"
    mine = soup(web.get("/huddles/actions/mine"))
    assert [p.get_text() for p in mine.select(".app-action__text")] == [
        "Call the GP",
        "Book the kitchen",
    ]
    first = actions(app)[0]
    response = web.post(f"/huddles/actions/{first.id}/done", {"version": first.version})
    assert response.status_code == 303
    assert soup(web.get("/")).select_one("#home-huddle .nhsuk-tag").get_text() == "1"
    # A second tap on the same (now stale) button says who did it, changes nothing.
    response = web.post(f"/huddles/actions/{first.id}/done", {"version": first.version})
    follow = soup(web.get(response.headers["Location"]))
    assert "Already marked done by Olu Therapist" in follow.get_text()


def test_closing_gives_a_read_only_printable_summary(app, web, team, early):
    ab = team["clients"][0]
    web.login(team["lead"])
    hid = start(web)
    web.post(
        f"/huddles/{hid}/flags/{ab.id}", {"value": "amber", "reason": "Poor sleep", "version": 1}
    )
    web.post(
        f"/huddles/{hid}/entries",
        {
            "period": "since",
            "category": "incident",
            "client_id": "0",
            "text": "Fire alarm at 03:00",
        },
    )
    web.post(
        f"/huddles/{hid}/actions",
        {"text": "Test alarms", "owner_id": team["ot"].id, "due_kind": "today"},
    )
    early.advance(minutes=4)
    response = web.post(f"/huddles/{hid}/close")
    assert response.status_code == 303
    page = soup(web.get(f"/huddles/{hid}"))
    text = " ".join(page.get_text().split())
    assert "summary" in page.title.get_text().lower()
    assert "4 minutes" in text
    assert "Lena Lead" in text
    assert "Poor sleep" in page.select_one("table").get_text()
    assert "Fire alarm at 03:00" in text and "Test alarms" in text
    assert page.find("form", action=lambda a: a and "/flags/" in a) is None
    assert page.find("button", attrs={"data-print": True}) is not None


def test_a_closed_huddle_refuses_edits(app, web, team, early):
    ab = team["clients"][0]
    web.login(team["lead"])
    hid = start(web)
    web.post(f"/huddles/{hid}/close")
    before = huddle(app, hid).version
    attempts = (
        (f"/huddles/{hid}/flags/{ab.id}", {"value": "red", "reason": "late", "version": 1}),
        (
            f"/huddles/{hid}/entries",
            {"period": "since", "category": "incident", "client_id": "0", "text": "late"},
        ),
        (
            f"/huddles/{hid}/actions",
            {"text": "late", "owner_id": team["ot"].id, "due_kind": "today"},
        ),
        (f"/huddles/{hid}/attendees", {"staff_id": team["ot"].id, "present": "1"}),
        (f"/huddles/{hid}/visitors", {"name": "late"}),
        (f"/huddles/{hid}/close", {}),
    )
    for url, data in attempts:
        response = web.post(url, data, htmx=True)
        assert response.status_code == 409, url
        assert "closed" in soup(response).get_text(), url
    assert flag(app, hid, ab.id).value == "green"
    assert entries(app) == [] and actions(app) == []
    assert huddle(app, hid).version == before


def test_another_units_huddle_cannot_be_read_or_changed(
    app, web, team, early, make_unit, make_user
):
    other_unit = make_unit("Orchard Lodge", "Orchard")
    outsider = make_user("lead", home_unit=other_unit)
    web.login(team["lead"])
    hid = start(web)
    ab = team["clients"][0]
    stranger = web.__class__(app.test_client())
    stranger.login(outsider)
    for url in (
        f"/huddles/{hid}",
        f"/huddles/{hid}/poll?v=1",
        f"/huddles/{hid}/part/flags",
        f"/huddles/clients/{ab.id}/flag",
    ):
        assert stranger.get(url).status_code == 404, url
    for url, data in (
        (f"/huddles/{hid}/flags/{ab.id}", {"value": "red", "reason": "x", "version": 1}),
        (f"/huddles/{hid}/close", {}),
        (f"/huddles/{hid}/entries", {"period": "since", "category": "incident", "text": "x"}),
    ):
        assert stranger.post(url, data).status_code == 404, url
    assert flag(app, hid, ab.id).value == "green"
    assert huddle(app, hid).closed_at is None


def test_every_change_writes_an_audit_row_without_the_text(app, web, team, early):
    ab = team["clients"][0]
    web.login(team["lead"])
    hid = start(web)
    web.post(
        f"/huddles/{hid}/flags/{ab.id}", {"value": "red", "reason": "SECRET-REASON", "version": 1}
    )
    web.post(
        f"/huddles/{hid}/entries",
        {"period": "since", "category": "incident", "client_id": ab.id, "text": "SECRET-ENTRY"},
    )
    web.post(
        f"/huddles/{hid}/actions",
        {"text": "SECRET-ACTION", "owner_id": team["ot"].id, "due_kind": "today"},
    )
    web.post(f"/huddles/{hid}/attendees", {"staff_id": team["ot"].id, "present": "1"})
    web.post(f"/huddles/{hid}/close")
    with app.app_context():
        rows = db.session.scalars(select(AuditEvent).order_by(AuditEvent.id)).all()
        kinds = [(r.action, r.entity_type) for r in rows if r.entity_type.startswith("huddle")]
        dump = " ".join(str(r.summary) for r in rows)
    assert kinds == [
        ("start", "huddle"),
        ("flag", "huddle_flag"),
        ("add", "huddle_entry"),
        ("add", "huddle_action"),
        ("attendance", "huddle"),
        ("close", "huddle"),
    ]
    assert "SECRET" not in dump


def test_the_add_forms_load_after_the_page_and_work_without_javascript(app, web, team, early):
    web.login(team["lead"])
    hid = start(web)
    page = soup(web.get(f"/huddles/{hid}"))
    for slot_id, url in (
        ("entry-form", f"/huddles/{hid}/entries/new"),
        ("action-form", f"/huddles/{hid}/actions/new"),
    ):
        slot = page.find(id=slot_id)
        assert slot["hx-get"] == url and slot["hx-trigger"] == "load"
        assert slot.find("a")["href"] == url  # the no-JavaScript way
        fragment = soup(web.get(url, headers={"HX-Request": "true"}))
        assert fragment.find("form")["hx-post"]
        full = soup(web.get(url))
        assert full.find("h1") is not None
        assert not full.find(
            "form", action=lambda a: a and a.endswith(("/entries", "/actions"))
        ).get("hx-post")
