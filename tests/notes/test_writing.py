from datetime import UTC, datetime

from sqlalchemy import select

from app.audit.models import AuditEvent
from app.extensions import db
from tests.conftest import soup
from tests.notes.conftest import NOW, complete_form, new_key, note_count, only_note


def test_the_new_note_form_starts_on_today_with_a_fresh_idempotency_key(
    web, make_user, make_client, now
):
    client = make_client("AB", room="4")
    web.login(make_user("ot"))
    first = soup(web.get(f"/notes/new?client={client.id}"))
    second = soup(web.get(f"/notes/new?client={client.id}"))
    assert first.select_one("#activity_date")["value"] == "2026-03-10"
    assert first.select_one("#activity_time")["type"] == "time"
    assert first.select_one("#note-client")["value"] == str(client.id)
    keys = {page.select_one("#note-key")["value"] for page in (first, second)}
    assert len(keys) == 2 and all(len(k) == 36 for k in keys)
    assert "AB, room 4" in first.select_one("h1").get_text()


def test_without_a_client_the_ot_first_chooses_one_of_the_unit(web, make_user, make_client):
    ours = make_client("AB")
    make_client("CD", discharged_on=datetime(2026, 1, 20).date())
    web.login(make_user("ot"))
    page = soup(web.get("/notes/new"))
    links = [a["href"] for a in page.select("#choose-client a")]
    assert links == [f"/notes/new?client={ours.id}"]


def test_signing_a_complete_note_records_author_role_and_time(
    web, make_user, make_client, app, now
):
    client = make_client("AB")
    ot = make_user("ot", name="Priya Sandhu")
    web.login(ot)
    response = web.post("/notes/new", complete_form(client.id))
    note = only_note(app)
    assert response.status_code == 303
    assert response.headers["Location"] == f"/notes/{note.id}"
    assert note.is_signed
    assert note.signed_by_id == ot.id and note.author_id == ot.id
    assert note.signed_by_name == "Priya Sandhu"
    assert note.signed_role == "ot" and note.signed_role_label == "Occupational therapist"
    assert note.signed_at == NOW
    assert note.activity_at == datetime(2026, 3, 10, 10, 0, tzinfo=UTC)
    assert note.duration_minutes == 90 and note.activity_type == "shopping"
    page = soup(web.get(f"/notes/{note.id}"))
    signoff = page.select_one(".app-signoff").get_text(" ", strip=True)
    assert "Priya Sandhu, Occupational therapist" in signoff and "10 Mar 2026, 15:30" in signoff


def test_an_activity_in_british_summer_time_is_stored_in_utc(
    web, make_user, make_client, app, frozen_clock
):
    frozen_clock(datetime(2026, 7, 1, 12, 0, tzinfo=UTC))
    client = make_client("AB")
    web.login(make_user("ot"))
    web.post("/notes/new", complete_form(client.id, activity_date="2026-07-01"))
    note = only_note(app)
    assert note.activity_at == datetime(2026, 7, 1, 9, 0, tzinfo=UTC)
    assert "1 Jul 2026, 10:00" in soup(web.get(f"/notes/{note.id}")).get_text()


def test_the_same_idempotency_key_sent_twice_makes_one_note(web, make_user, make_client, app, now):
    client = make_client("AB")
    web.login(make_user("ot"))
    form = complete_form(client.id)
    first = web.post("/notes/new", form)
    retry = web.post("/notes/new", form)
    assert note_count(app) == 1
    assert first.headers["Location"] == retry.headers["Location"]
    followed = soup(web.get(retry.headers["Location"]))
    assert "already signed. Nothing was changed" in followed.get_text()


def test_save_draft_then_sign_with_the_same_key_is_still_one_note(
    web, make_user, make_client, app, now
):
    client = make_client("AB")
    web.login(make_user("ot"))
    form = complete_form(client.id, action="draft")
    draft = web.post("/notes/new", form)
    note = only_note(app)
    assert draft.headers["Location"] == f"/notes/{note.id}/edit"
    assert not note.is_signed and note.signed_at is None
    web.post("/notes/new", {**form, "action": "sign"})
    assert note_count(app) == 1
    assert only_note(app).is_signed


def test_a_draft_needs_nothing_but_a_signed_note_needs_the_essentials(
    web, make_user, make_client, app
):
    client = make_client("AB")
    web.login(make_user("ot"))
    bare = {"idempotency_key": new_key(), "client_id": str(client.id)}
    assert web.post("/notes/new", {**bare, "action": "draft"}).status_code == 303

    response = web.post("/notes/new", {**bare, "idempotency_key": new_key(), "action": "sign"})
    assert response.status_code == 422
    summary = soup(response).select_one(".nhsuk-error-summary").get_text()
    for message in (
        "Enter the date of the activity",
        "Enter the time the activity started",
        "Enter how long the activity took, in minutes",
        "Choose the type of activity",
        "Enter where the activity took place",
        "Choose how engaged the client was",
        "The note is empty",
    ):
        assert message in summary, message
    assert note_count(app) == 1


def errors_of(response) -> dict[str, str]:
    """Field id -> its error message, from the NHS error messages on the page."""
    page = soup(response)
    found = {}
    for message in page.select(".nhsuk-error-message"):
        found[message["id"].removesuffix("-error")] = message.get_text(" ", strip=True)
    return found


def test_an_activity_in_the_future_is_refused(web, make_user, make_client, app, now):
    client = make_client("AB")
    web.login(make_user("ot"))
    tomorrow = web.post("/notes/new", complete_form(client.id, activity_date="2026-03-11"))
    assert tomorrow.status_code == 422
    assert "today or in the past" in errors_of(tomorrow)["activity_date"]
    later_today = web.post("/notes/new", complete_form(client.id, activity_time="16:00"))
    assert later_today.status_code == 422
    assert "must be in the past" in errors_of(later_today)["activity_time"]
    just_now = web.post("/notes/new", complete_form(client.id, activity_time="15:30"))
    assert just_now.status_code == 303


def test_a_duration_must_be_1_minute_to_12_hours(web, make_user, make_client, app, now):
    client = make_client("AB")
    web.login(make_user("ot"))
    for value, message in (
        ("0", "at least 1 minute"),
        ("-20", "at least 1 minute"),
        ("721", "12 hours (720 minutes) or less"),
        ("an hour", "as a number of minutes"),
    ):
        response = web.post("/notes/new", complete_form(client.id, duration_minutes=value))
        assert response.status_code == 422, value
        assert message in errors_of(response)["duration_minutes"], value
        assert soup(response).select_one("#duration_minutes")["value"] == value
    assert note_count(app) == 0
    ok = web.post("/notes/new", complete_form(client.id, duration_minutes="720"))
    assert ok.status_code == 303


def test_an_empty_note_is_refused_with_a_clear_message(web, make_user, make_client, app, now):
    client = make_client("AB")
    web.login(make_user("ot"))
    empty_text = {
        name: "   "
        for name in (
            "support_given",
            "went_well",
            "difficulties",
            "risks",
            "next_steps",
            "observations",
        )
    }
    response = web.post("/notes/new", complete_form(client.id, **empty_text))
    assert response.status_code == 422
    assert "The note is empty" in errors_of(response)["support_given"]
    assert note_count(app) == 0


def test_text_over_its_limit_says_which_field_and_keeps_the_text(
    web, make_user, make_client, app, now
):
    client = make_client("AB")
    web.login(make_user("ot"))
    long_risks = "Crossed without looking. " * 100  # 2,500 characters
    response = web.post("/notes/new", complete_form(client.id, risks=long_risks))
    assert response.status_code == 422
    error = errors_of(response)["risks"]
    assert "Risks observed must be 2,000 characters or fewer" in error
    assert "500 too many" in error
    page = soup(response)
    assert page.select_one("textarea#risks").get_text() == long_risks
    assert page.select_one("textarea#support_given").get_text() == (
        "Verbal prompts to check the list."
    )
    assert note_count(app) == 0


def test_an_unknown_client_is_a_clear_error_and_keeps_what_was_typed(
    web, make_user, make_client, make_unit, app, now
):
    other_unit = make_unit("Orchard Lodge", "Orchard")
    elsewhere = make_client("ZZ", home_unit=other_unit)
    web.login(make_user("ot"))
    for client_id in ("9999", "abc", str(elsewhere.id)):
        response = web.post("/notes/new", complete_form(client_id, went_well="Paid by card."))
        assert response.status_code == 422, client_id
        page = soup(response)
        assert "client was not found" in page.select_one("#client_id-error").get_text()
        assert page.select_one("textarea#went_well").get_text() == "Paid by card."
    assert note_count(app) == 0


def test_an_unknown_or_other_clients_goal_is_a_field_error(
    web, make_user, make_client, make_goal, app, now
):
    client, other = make_client("AB"), make_client("CD")
    ot = make_user("ot")
    ours = make_goal(client, "Shop with a list", ot)
    theirs = make_goal(other, "Swim a length", ot)
    web.login(ot)
    for goal_ids in (["99999"], [str(theirs)], ["one"]):
        form = complete_form(client.id)
        form["goal_ids"] = [str(ours), *goal_ids]
        response = web.post("/notes/new", data=form)
        assert response.status_code == 422, goal_ids
        assert "Choose goals from the client's list" in errors_of(response)["goal_ids"]
    assert note_count(app) == 0


def test_the_goals_chosen_are_saved_and_shown_even_after_one_is_retired(
    web, make_user, make_client, make_goal, app, now
):
    client = make_client("AB")
    ot = make_user("ot")
    shop = make_goal(client, "Shop with a list", ot)
    make_goal(client, "Catch the bus", ot)
    web.login(ot)
    form = complete_form(client.id)
    form["goal_ids"] = [str(shop)]
    web.post("/notes/new", data=form)
    note = only_note(app)
    assert [g.id for g in note.goals] == [shop]
    web.post(f"/clients/{client.id}/goals/{shop}/retire")
    shown = soup(web.get(f"/notes/{note.id}")).select_one(".app-note-goals").get_text()
    assert "Shop with a list" in shown and "Catch the bus" not in shown


def test_errors_keep_every_value_the_ot_chose(web, make_user, make_client, make_goal, app, now):
    client = make_client("AB")
    ot = make_user("ot")
    goal = make_goal(client, "Shop with a list", ot)
    web.login(ot)
    form = complete_form(
        client.id,
        duration_minutes="0",
        activity_type="library",
        engagement="partial",
        mohost_routine="I",
        mohost_energy="R",
    )
    form["goal_ids"] = [str(goal)]
    page = soup(web.post("/notes/new", data=form))
    assert page.select_one("input[name=activity_type][value=library]").has_attr("checked")
    assert page.select_one("input[name=engagement][value=partial]").has_attr("checked")
    assert page.select_one(f"input[name=goal_ids][value='{goal}']").has_attr("checked")
    assert page.select_one("input[name=mohost_routine][value=I]").has_attr("checked")
    assert page.select_one("input[name=mohost_energy][value=R]").has_attr("checked")
    assert page.select_one("#mohost").has_attr("open")
    assert page.select_one("#place")["value"] == "Sainsbury's, St Albans"
    assert page.select_one("#note-key")["value"] == form["idempotency_key"]


def test_an_htmx_submit_with_errors_gets_the_form_fragment_with_an_error_title(
    web, make_user, make_client, now
):
    client = make_client("AB")
    web.login(make_user("ot"))
    response = web.post("/notes/new", complete_form(client.id, place=""), htmx=True)
    assert response.status_code == 422
    page = soup(response)
    assert page.html is None and page.select_one("#note-form") is not None
    assert page.title.get_text().startswith("Error: Write a note")


def test_an_htmx_sign_answers_with_hx_redirect_to_the_note(web, make_user, make_client, app, now):
    client = make_client("AB")
    web.login(make_user("ot"))
    response = web.post("/notes/new", complete_form(client.id), htmx=True)
    assert response.headers["HX-Redirect"] == f"/notes/{only_note(app).id}"


def test_html_and_script_in_free_text_are_shown_as_text(web, make_user, make_client, app, now):
    client = make_client("AB")
    web.login(make_user("ot"))
    hostile = '<script>alert("x")</script><img src=x onerror=alert(1)>'
    web.post(
        "/notes/new",
        complete_form(client.id, support_given=hostile, place="<b>Tesco</b>"),
    )
    note = only_note(app)
    for url in (f"/notes/{note.id}", f"/notes/client/{note.client_id}", "/"):
        response = web.get(url)
        body = response.get_data(as_text=True)
        assert "<script>alert" not in body and "<img src=x" not in body, url
        assert "<b>Tesco</b>" not in body, url
    page = soup(web.get(f"/notes/{note.id}"))
    assert page.select_one("#note-support_given .app-note-text").get_text() == hostile
    assert not page.select("#note script, #note img, #note b")


def test_titles_and_urls_never_carry_the_client_name(web, make_user, make_client, app, now):
    client = make_client("JS", full_name="Jeremy Stonebridge", preferred_name="Jez")
    web.login(make_user("ot"))
    form_page = web.get(f"/notes/new?client={client.id}")
    web.post("/notes/new", complete_form(client.id))
    note = only_note(app)
    for response in (
        form_page,
        web.get(f"/notes/{note.id}"),
        web.get(f"/notes/client/{client.id}"),
        web.get(f"/notes/{note.id}/amend/risks"),
    ):
        page = soup(response)
        text = page.get_text()
        assert "Jeremy" not in text and "Stonebridge" not in text and "Jez" not in text
        assert "JS" in page.select_one("h1").get_text()
        for link in page.select("a[href]"):
            assert "Stonebridge" not in link["href"]


def test_admins_neither_read_nor_write_notes(web, make_user, make_client):
    # Issue 13 item 14 reversed the earlier policy (admins read every unit's notes).
    client = make_client("AB")
    web.login(make_user("admin"))
    assert web.get(f"/notes/new?client={client.id}").status_code == 403
    assert web.post("/notes/new", complete_form(client.id)).status_code == 403
    assert web.get(f"/notes/client/{client.id}").status_code == 403


def test_a_client_of_a_unit_you_do_not_work_in_has_no_note_form(
    web, make_user, make_client, make_unit
):
    other = make_unit("Orchard Lodge", "Orchard")
    theirs = make_client("ZZ", home_unit=other)
    web.login(make_user("ot"))
    assert web.get(f"/notes/new?client={theirs.id}").status_code == 404
    assert web.get(f"/notes/client/{theirs.id}").status_code == 404


def test_writing_and_signing_are_audited_without_any_free_text(
    web, make_user, make_client, app, now
):
    client = make_client("AB")
    ot = make_user("ot")
    web.login(ot)
    web.post("/notes/new", complete_form(client.id, risks="Said he felt like self-harming"))
    note = only_note(app)
    with app.app_context():
        events = db.session.scalars(
            select(AuditEvent).where(AuditEvent.entity_type == "note").order_by(AuditEvent.id)
        ).all()
    assert [(e.action, e.entity_id, e.actor_id) for e in events] == [
        ("create", note.id, ot.id),
        ("sign", note.id, ot.id),
    ]
    assert events[1].summary == {
        "client_id": client.id,
        "late_entry": False,
        "mohost_items_rated": 0,
    }
    everything = str([e.summary for e in events])
    for text in ("self-harming", "Sainsbury", "Verbal prompts", "till"):
        assert text not in everything


# --- from an outing --------------------------------------------------------------------------


def test_an_outing_prefills_time_place_and_outing_and_the_note_keeps_the_outing(
    web, make_user, make_client, make_outing, app, now
):
    client = make_client("AB")
    ot = make_user("ot")
    outing = make_outing(ot, [client])
    web.login(ot)
    page = soup(
        web.get(
            "/notes/new",
            query_string={
                "client": client.id,
                "at": "2026-03-10T11:45:00+00:00",
                "place": "Verulamium Park",
                "outing": str(outing),
            },
        )
    )
    assert page.select_one("#activity_date")["value"] == "2026-03-10"
    assert page.select_one("#activity_time")["value"] == "11:45"
    assert page.select_one("#place")["value"] == "Verulamium Park"
    assert page.select_one("#note-outing")["value"] == str(outing)
    form = complete_form(
        client.id, activity_time="11:45", place="Verulamium Park", outing_id=str(outing)
    )
    web.post("/notes/new", form)
    note = only_note(app)
    assert note.outing_id == outing
    assert f"Outing {outing}" in soup(web.get(f"/notes/{note.id}")).get_text()


def test_outing_facts_that_do_not_make_sense_are_left_for_the_ot(web, make_user, make_client, now):
    client = make_client("AB")
    web.login(make_user("ot"))
    for query in (
        {"at": "yesterday-ish", "outing": "x1"},
        {"at": "2026-03-11T09:00:00+00:00"},  # in the future
    ):
        page = soup(web.get("/notes/new", query_string={"client": client.id, **query}))
        assert page.select_one("#activity_time")["value"] == ""
        assert page.select_one("#activity_date")["value"] == "2026-03-10"  # today
        assert page.select_one("#note-outing")["value"] == ""
    local = soup(
        web.get("/notes/new", query_string={"client": client.id, "at": "2026-03-10T09:05"})
    )
    assert local.select_one("#activity_time")["value"] == "09:05"  # no zone: UK time


def test_a_closed_outing_offers_one_write_note_link_per_client(
    web, make_user, make_client, make_unit, make_note, make_outing, app, now
):
    ab, cd, ef = make_client("AB"), make_client("CD"), make_client("EF")
    elsewhere = make_client("ZZ", home_unit=make_unit("Orchard Lodge", "Orchard"))
    ot = make_user("ot")
    outing = make_outing(ot, [ab, cd, ef])
    drafted = make_note(ot, cd, sign=False, outing_id=outing)
    signed = make_note(ot, ef, outing_id=outing)
    web.login(ot)
    query = {
        "clients": f"{ab.id},{cd.id},{ef.id},{elsewhere.id},999",
        "at": "2026-03-10T11:00:00+00:00",
        "place": "Museum",
        "outing": str(outing),
    }
    response = web.get("/notes/from-outing", query_string=query)
    page = soup(response)
    assert page.title.get_text() == "Notes from an outing – Waypoint"
    links = {
        a.select_one(".app-client-list__initials").get_text(): a["href"]
        for a in page.select("#from-outing a")
    }
    assert set(links) == {"AB", "CD", "EF"}
    assert links["AB"].startswith(f"/notes/new?client={ab.id}&")
    for part in ("at=2026-03-10T11:00:00%2B00:00", "place=Museum", f"outing={outing}"):
        assert part in links["AB"]
    assert links["CD"] == f"/notes/{drafted}/edit"
    assert links["EF"] == f"/notes/{signed}"
    assert "2 clients were not found" in page.get_text()
    assert "Museum, 10 March 2026 at 11:00" in page.get_text(" ", strip=True).replace(" ,", ",")
