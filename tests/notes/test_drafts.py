from datetime import timedelta
from pathlib import Path

from sqlalchemy import select

from app.audit.models import AuditEvent
from app.extensions import db
from app.notes.models import Note
from tests.conftest import soup
from tests.notes.conftest import NOW, complete_form, new_key, note_count, only_note


def autosave(web, data):
    return web.post("/notes/autosave", data, htmx=True)


def test_autosave_creates_the_draft_then_keeps_updating_the_same_one(
    web, make_user, make_client, app, frozen_clock
):
    frozen_clock(NOW)
    client = make_client("AB")
    web.login(make_user("ot"))
    key = new_key()
    first = autosave(web, {"idempotency_key": key, "client_id": client.id, "went_well": "Fou"})
    assert first.status_code == 200
    note = only_note(app)
    assert not note.is_signed and note.went_well == "Fou" and note.revision == 1
    assert first.headers["HX-Replace-Url"] == f"/notes/{note.id}/edit"
    status = soup(first).select_one(".app-autosave__text")
    assert status.get_text() == "Draft saved at 15:30"
    assert status["data-state"] == "saved" and status["data-revision"] == "1"

    frozen_clock(NOW + timedelta(minutes=1))
    second = autosave(
        web, {"idempotency_key": key, "client_id": client.id, "went_well": "Found the shop"}
    )
    assert "HX-Replace-Url" not in second.headers
    assert soup(second).get_text() == "Draft saved at 15:31"
    assert note_count(app) == 1
    note = only_note(app)
    assert note.went_well == "Found the shop" and note.revision == 2


def test_the_saved_time_is_uk_local_time(web, make_user, make_client, frozen_clock):
    from datetime import UTC, datetime

    frozen_clock(datetime(2026, 7, 1, 13, 2, tzinfo=UTC))
    client = make_client("AB")
    web.login(make_user("ot"))
    response = autosave(web, {"idempotency_key": new_key(), "client_id": client.id})
    assert soup(response).get_text() == "Draft saved at 14:02"


def test_autosave_keeps_what_the_server_had_for_a_field_that_does_not_parse(
    web, make_user, make_client, app, now
):
    client = make_client("AB")
    web.login(make_user("ot"))
    key = new_key()
    autosave(web, {"idempotency_key": key, "client_id": client.id, "duration_minutes": "45"})
    response = autosave(
        web,
        {
            "idempotency_key": key,
            "client_id": client.id,
            "duration_minutes": "4 5",
            "activity_date": "not a date",
            "support_given": "Still typing",
        },
    )
    assert response.status_code == 200
    note = only_note(app)
    assert note.duration_minutes == 45 and note.support_given == "Still typing"


def test_autosave_refuses_text_over_its_limit_and_says_which(web, make_user, make_client, app):
    client = make_client("AB")
    web.login(make_user("ot"))
    response = autosave(
        web, {"idempotency_key": new_key(), "client_id": client.id, "next_steps": "z" * 2001}
    )
    assert response.status_code == 422
    status = soup(response).select_one(".app-autosave__text")
    assert status["data-state"] == "failed"
    assert "Next steps is over the limit" in status.get_text()
    assert "kept on this phone" in status.get_text()
    assert note_count(app) == 0


def test_autosave_without_a_known_client_or_key_saves_nothing(
    web, make_user, make_client, make_unit, app
):
    other = make_client("ZZ", home_unit=make_unit("Orchard Lodge", "Orchard"))
    web.login(make_user("ot"))
    for data in (
        {"idempotency_key": new_key(), "client_id": "9999"},
        {"idempotency_key": new_key(), "client_id": str(other.id)},
        {"idempotency_key": "not-a-uuid", "client_id": str(other.id)},
    ):
        assert autosave(web, data).status_code == 422
    assert note_count(app) == 0


def test_autosave_of_someone_elses_draft_is_refused(
    make_user, make_client, make_note, app, browser_for
):
    client = make_client("AB")
    note_id = make_note(make_user("ot"), client, sign=False, went_well="Theirs")
    with app.app_context():
        key = db.session.get(Note, note_id).idempotency_key
    response = autosave(
        browser_for(make_user("ot")),
        {"idempotency_key": key, "client_id": client.id, "went_well": "Mine now"},
    )
    assert response.status_code == 409
    assert only_note(app).went_well == "Theirs"


def test_a_saved_draft_comes_back_in_the_form_with_its_key(
    web, make_user, make_client, make_goal, app, now
):
    client = make_client("AB")
    ot = make_user("ot")
    goal = make_goal(client, "Shop with a list", ot)
    web.login(ot)
    key = new_key()
    data = complete_form(
        client.id, key=key, action="draft", mohost_interest="A", mohost_routine="F"
    )
    data["goal_ids"] = [str(goal)]
    autosave(web, data)
    note = only_note(app)

    page = soup(web.get(f"/notes/{note.id}/edit"))
    assert page.select_one("h1").get_text(" ", strip=True).endswith("Draft note")
    assert page.select_one("#note-key")["value"] == key
    assert page.select_one("#activity_date")["value"] == "2026-03-10"
    assert page.select_one("#activity_time")["value"] == "10:00"
    assert page.select_one("#duration_minutes")["value"] == "90"
    assert page.select_one("#place")["value"] == "Sainsbury's, St Albans"
    assert page.select_one("textarea#went_well").get_text() == "Found everything on the list."
    assert page.select_one("input[name=activity_type][value=shopping]").has_attr("checked")
    assert page.select_one("input[name=engagement][value=most]").has_attr("checked")
    assert page.select_one(f"input[name=goal_ids][value='{goal}']").has_attr("checked")
    assert page.select_one("input[name=mohost_interest][value=A]").has_attr("checked")
    assert page.select_one("input[name=mohost_choices][value='']").has_attr("checked")
    form = page.select_one("[data-note-form]")
    assert form["data-note-revision"] == "1" and form["data-note-client"] == str(client.id)
    assert "Draft saved at 15:30" in page.select_one("#note-autosave").get_text()


def test_a_draft_without_a_time_yet_keeps_the_day_it_was_started(
    web, make_user, make_client, app, frozen_clock
):
    frozen_clock(NOW)
    client = make_client("AB")
    web.login(make_user("ot"))
    autosave(
        web, {"idempotency_key": new_key(), "client_id": client.id, "activity_date": "2026-03-10"}
    )
    note = only_note(app)
    assert note.activity_at is None
    assert soup(web.get(f"/notes/{note.id}/edit")).select_one("#activity_date")["value"] == (
        "2026-03-10"
    )


def test_the_form_wires_up_autosave_and_the_browser_copy_without_inline_script(
    web, make_user, make_client
):
    client = make_client("AB")
    user = make_user("ot")
    web.login(user)
    page = soup(web.get(f"/notes/new?client={client.id}"))
    autosaver = page.select_one("#note-autosave")
    assert autosaver["hx-post"] == "/notes/autosave"
    assert autosaver["hx-include"] == "closest form"
    triggers = [t.strip() for t in autosaver["hx-trigger"].split(",")]
    assert triggers == ["input delay:2s from:closest form", "waypoint:autosave"]
    assert not autosaver.has_attr("role")  # "saved" every few seconds is not read out
    assert page.select_one("#note-autosave-problem")["role"] == "status"
    assert page.select_one("[data-note-form]")["data-note-user"] == str(user.id)
    modules = [s["src"] for s in page.select("script[type=module]")]
    assert any(src.startswith("/static/js/notes.js?v=") for src in modules)
    assert not [s for s in page.select("script:not([src])") if s.get("nonce") is None]
    assert page.select_one("#note-restored").has_attr("hidden")
    assert page.select_one("#note-send-failed").has_attr("hidden")


def test_the_browser_copy_is_cleared_by_the_signed_note_page(
    web, make_user, make_client, make_note, app
):
    client = make_client("AB")
    ot = make_user("ot")
    note_id = make_note(ot, client)
    web.login(ot)
    page = soup(web.get(f"/notes/{note_id}"))
    marker = page.select_one("[data-note-signed]")
    with app.app_context():
        key = db.session.get(Note, note_id).idempotency_key
    assert marker["data-note-key"] == key and marker["data-note-user"] == str(ot.id)
    assert page.select_one("script[src*='js/notes.js']") is not None


def test_the_notes_script_scopes_its_storage_to_person_and_note():
    source = (Path(__file__).parents[2] / "static" / "js" / "notes.js").read_text("utf-8")
    assert "`${PREFIX}${user}:${key}`" in source
    assert "remove(entryName(signed.dataset.noteUser, signed.dataset.noteKey))" in source
    assert "innerHTML" not in source  # restored text is set as values, never parsed as HTML


def test_drafts_are_private_to_their_author(make_user, make_client, make_note, browser_for):
    client = make_client("AB")
    author = make_user("ot")
    draft = make_note(author, client, sign=False, activity_type="library")
    other = browser_for(make_user("lead"))
    assert other.get(f"/notes/{draft}").status_code == 404
    assert other.get(f"/notes/{draft}/edit").status_code == 404
    assert not soup(other.get(f"/notes/client/{client.id}")).select(".app-note-list__item")
    mine = soup(browser_for(author).get(f"/notes/client/{client.id}"))
    [item] = mine.select(".app-note-list__item")
    assert "Draft" in item.get_text() and item.a["href"] == f"/notes/{draft}/edit"


def test_the_home_screen_counts_your_drafts_and_lists_recent_notes(
    make_user, make_client, make_note, browser_for, now
):
    ab, cd = make_client("AB"), make_client("CD")
    ot = make_user("ot")
    first = make_note(ot, ab, sign=False, activity_type="library")
    second = make_note(ot, cd, sign=False)
    signed = make_note(ot, ab, activity_type="exercise")
    make_note(make_user("ot"), ab, sign=False)  # someone else's draft

    home = soup(browser_for(ot).get("/"))
    action = home.select_one('a[href="/notes/new"]').find_parent(class_="nhsuk-card")
    assert "Write a note" in action.get_text() and "2 drafts to finish" in action.get_text()
    notes = home.select_one("#home-notes")
    assert "2 drafts to finish" in notes.get_text()
    drafts = [a["href"] for a in notes.select("ul")[0].select("a")]
    assert sorted(drafts) == sorted([f"/notes/{first}/edit", f"/notes/{second}/edit"])
    recent = notes.select("ul")[1]
    assert [a["href"] for a in recent.select("a")] == [f"/notes/{signed}"]
    assert "AB: Exercise" in recent.get_text()


def test_the_home_screen_offers_write_a_note_only_to_clinical_staff(make_user, browser_for):
    for role, offered in (("ot", True), ("assistant", True), ("lead", True), ("admin", False)):
        home = soup(browser_for(make_user(role)).get("/"))
        assert (home.select_one('a[href="/notes/new"]') is not None) is offered, role
        assert home.select_one("#home-notes") is None  # nothing written yet


def test_an_author_deletes_their_draft_and_it_is_audited(
    make_user, make_client, make_note, app, browser_for
):
    client = make_client("AB")
    ot = make_user("ot")
    draft = make_note(ot, client, sign=False)
    web = browser_for(ot)
    assert browser_for(make_user("ot")).post(f"/notes/{draft}/discard").status_code == 404
    response = web.post(f"/notes/{draft}/discard")
    assert response.status_code == 303 and response.headers["Location"] == "/"
    assert note_count(app) == 0
    with app.app_context():
        actions = db.session.scalars(
            select(AuditEvent.action).where(
                AuditEvent.entity_type == "note", AuditEvent.entity_id == draft
            )
        ).all()
    assert actions == ["create", "discard"]


def test_a_signed_note_cannot_be_deleted(make_user, make_client, make_note, app, browser_for):
    client = make_client("AB")
    ot = make_user("ot")
    signed = make_note(ot, client)
    response = browser_for(ot).post(f"/notes/{signed}/discard")
    assert response.status_code == 409
    assert note_count(app) == 1


def test_a_new_note_offers_to_continue_your_unsigned_draft_for_that_client(
    make_user, make_client, make_note, browser_for, now
):
    ab, cd = make_client("AB"), make_client("CD")
    ot = make_user("ot")
    draft = make_note(ot, ab, sign=False, activity_type="library")
    make_note(ot, cd, sign=False)
    make_note(make_user("ot"), ab, sign=False)  # someone else's: not offered
    web = browser_for(ot)
    page = soup(web.get(f"/notes/new?client={ab.id}"))
    offer = page.select_one("#note-other-drafts")
    assert "You have an unsigned draft for AB" in offer.get_text()
    assert [a["href"] for a in offer.select("a")] == [f"/notes/{draft}/edit"]
    assert "(library) last saved 10 Mar 2026, 15:30" in offer.get_text()
    assert soup(web.get(f"/notes/{draft}/edit")).select_one("#note-other-drafts") is None
