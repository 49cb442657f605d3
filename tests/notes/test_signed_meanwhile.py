"""A form whose key turned out to be a note signed meanwhile keeps what was typed (issue 13
item 12), and a server error during Sign loses nothing (issue 13 item 15, HTTP part)."""

import pytest
from sqlalchemy import select

from app.extensions import db
from app.notes.models import Note
from tests.conftest import soup
from tests.notes.conftest import complete_form, note_count


def notes(app) -> list[Note]:
    with app.app_context():
        rows = db.session.scalars(select(Note).order_by(Note.id)).all()
        for row in rows:
            db.session.expunge(row)
        return rows


@pytest.fixture
def signed(app, make_user, make_client, make_note, web):
    """An OT logged in, client AB and the OT's note signed with ``As signed.``."""
    ot, client = make_user("ot"), make_client("AB")
    note_id = make_note(ot, client, support_given="As signed.")
    web.login(ot)
    return {"client": client, "note_id": note_id, "key": notes(app)[0].idempotency_key}


@pytest.mark.parametrize("action", ["sign", "draft"])
def test_different_text_sent_with_a_signed_notes_key_comes_back_as_a_new_note(
    web, app, signed, now, action
):
    form = complete_form(
        signed["client"].id, key=signed["key"], support_given="Typed offline.", action=action
    )
    response = web.post("/notes/new", form, htmx=True)
    assert response.status_code == 409
    page = soup(response)
    assert page.select_one("#support_given").get_text() == "Typed offline."
    assert page.select_one("#place")["value"] == form["place"]
    new_key = page.select_one("#note-key")["value"]
    assert new_key != signed["key"]
    assert page.select_one("[data-note-form]")["data-note-replaces"] == signed["key"]
    callout = page.select_one("#note-signed-meanwhile")
    assert "already been signed" in callout.get_text()
    amend_link = callout.select_one("a")
    assert amend_link["href"] == f"/notes/{signed['note_id']}"
    assert page.select_one("form")["action"] == "/notes/new"
    assert note_count(app) == 1

    again = web.post("/notes/new", {**form, "idempotency_key": new_key})
    assert again.status_code == 303
    first, second = notes(app)
    assert first.support_given == "As signed." and second.support_given == "Typed offline."


def test_the_same_text_resent_with_a_signed_notes_key_just_opens_the_note(web, app, signed, now):
    with app.app_context():
        note = db.session.get(Note, signed["note_id"])
        same = {
            "activity_date": "2026-03-10",
            "activity_time": "10:00",
            "duration_minutes": "60",
            "activity_type": "cafe",
            "place": "Café on the corner",
            "engagement": "full",
            "support_given": note.support_given,
            "went_well": "",
            "difficulties": "",
            "risks": "",
            "next_steps": "",
        }
    form = complete_form(signed["client"].id, key=signed["key"], **same)
    response = web.post("/notes/new", form)
    assert response.status_code == 303
    assert response.headers["Location"] == f"/notes/{signed['note_id']}"
    assert note_count(app) == 1


def test_a_draft_signed_on_another_phone_keeps_this_phones_edit(
    web, app, make_user, make_client, make_note, browser_for, now
):
    ot, client = make_user("ot"), make_client("AB")
    note_id = make_note(ot, client, sign=False, support_given="First words.")
    key = notes(app)[0].idempotency_key
    phone_a, phone_b = browser_for(ot), browser_for(ot)
    signing = complete_form(client.id, key=key, support_given="First words.")
    assert phone_a.post(f"/notes/{note_id}/edit", signing).status_code == 303
    late = complete_form(client.id, key=key, support_given="First words, and more.")
    response = phone_b.post(f"/notes/{note_id}/edit", late)
    assert response.status_code == 409
    assert soup(response).select_one("#support_given").get_text() == "First words, and more."


def test_autosave_with_a_signed_notes_key_says_the_text_is_kept(web, signed, app):
    response = web.post(
        "/notes/autosave",
        {"idempotency_key": signed["key"], "support_given": "Typed offline."},
        htmx=True,
    )
    assert response.status_code == 409
    assert "What you typed is kept on this phone" in response.get_data(as_text=True)
    assert notes(app)[0].support_given == "As signed."


def test_a_server_error_during_sign_leaves_nothing_half_signed_and_a_retry_signs_once(
    web, app, make_user, make_client, monkeypatch, now
):
    """Issue 13 item 15 at HTTP level: without JavaScript the text is in the phone's copy, and
    the server's part is that the failed Sign changed nothing and the retry is safe."""
    from app.notes import services

    ot, client = make_user("ot"), make_client("AB")
    web.login(ot)
    real_sign = services.sign_note

    def broken(note, actor):
        raise RuntimeError("database went away")

    monkeypatch.setattr(services, "sign_note", broken)
    monkeypatch.setitem(app.config, "PROPAGATE_EXCEPTIONS", False)
    form = complete_form(client.id, support_given="Signed on the second try.")
    response = web.post("/notes/new", form, htmx=True)
    assert response.status_code == 500
    assert note_count(app) == 0  # the half-done save was rolled back with the failed sign

    monkeypatch.setattr(services, "sign_note", real_sign)
    assert web.post("/notes/new", form, htmx=True).status_code == 204
    [note] = notes(app)
    assert note.is_signed and note.support_given == "Signed on the second try."
    assert web.post("/notes/new", form, htmx=True).status_code == 204  # a third tap: same note
    assert note_count(app) == 1


def test_limits_are_shown_before_submitting_and_counted_in_characters(
    web, app, make_user, make_client, now
):
    """Issue 14 item 9: the hint says each limit up front; the server counts characters (code
    points), so emoji and Arabic count once each and are never cut."""
    client = make_client("AB")
    web.login(make_user("ot"))
    page = soup(web.get(f"/notes/new?client={client.id}"))
    assert "Up to 120 characters" in page.select_one("#place-hint").get_text()
    assert not page.select_one("#place").has_attr("maxlength")  # the browser cut pasted text
    for name in ("support_given", "risks", "observations"):
        assert page.select_one(f"#{name}-info").get_text(strip=True) == (
            "You can enter up to 2000 characters"
        )
        counter = page.select_one(f"#{name}").find_parent(attrs={"data-module": True})
        assert counter["data-module"] == "app-character-count"  # notes.js counts code points
    place = "مقهى الحي " * 6 + "🚌" * 60  # 120 characters, 180 UTF-16 units
    response = web.post("/notes/new", complete_form(client.id, place=place))
    assert response.status_code == 303
    assert notes(app)[0].place == place
    over = web.post("/notes/new", complete_form(client.id, place=place + "☕"))
    assert over.status_code == 422
    assert soup(over).select_one("#place")["value"] == place + "☕"
    assert "you have 1 too many" in soup(over).select_one("#place-error").get_text()
