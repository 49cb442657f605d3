from datetime import timedelta

import pytest
from sqlalchemy import select

from app.audit.models import AuditEvent
from app.extensions import db
from app.notes.models import Note, NoteAmendment, SignedNoteError
from tests.conftest import soup
from tests.notes.conftest import ACTIVITY_AT, complete_form, note_count, only_note


def load(app, note_id: int) -> Note:
    with app.app_context():
        note = db.session.get(Note, note_id)
        _ = note.goals, note.ratings, note.amendments
        db.session.expunge(note)
        return note


# --- signed notes are read-only ------------------------------------------------------------


def test_a_signed_note_refuses_a_crafted_edit_post(web, make_user, make_client, make_note, app):
    client = make_client("AB")
    ot = make_user("ot")
    note_id = make_note(ot, client, support_given="As signed.")
    web.login(ot)
    key = load(app, note_id).idempotency_key
    response = web.post(
        f"/notes/{note_id}/edit",
        complete_form(client.id, key=key, support_given="Rewritten later.", action="draft"),
    )
    assert response.status_code == 409
    assert "has been signed, so it cannot be changed" in soup(response).get_text()
    assert load(app, note_id).support_given == "As signed."


def test_the_edit_page_of_a_signed_note_sends_you_to_the_note(
    web, make_user, make_client, make_note
):
    client = make_client("AB")
    ot = make_user("ot")
    note_id = make_note(ot, client)
    web.login(ot)
    response = web.get(f"/notes/{note_id}/edit")
    assert response.status_code == 302 and response.headers["Location"] == f"/notes/{note_id}"


def test_resending_a_signed_notes_key_with_new_text_changes_nothing(
    web, make_user, make_client, make_note, app
):
    client = make_client("AB")
    ot = make_user("ot")
    note_id = make_note(ot, client, support_given="As signed.")
    web.login(ot)
    key = load(app, note_id).idempotency_key
    for action in ("sign", "draft"):
        form = complete_form(client.id, key=key, support_given="Sneaky change.", action=action)
        response = web.post("/notes/new", form)
        # The signed note is untouched; the different text comes back as a new note's form
        # (issue 13 item 12: typed text is never dropped).
        assert response.status_code == 409
        page = soup(response)
        assert page.select_one("#support_given").get_text() == "Sneaky change."
        assert page.select_one("#note-key")["value"] != key
    autosave = web.post(
        "/notes/autosave", {"idempotency_key": key, "support_given": "Sneaky change."}, htmx=True
    )
    assert autosave.status_code == 409
    assert load(app, note_id).support_given == "As signed."
    assert note_count(app) == 1


def test_someone_else_cannot_edit_or_resend_your_draft(
    web, make_user, make_client, make_note, app, browser_for
):
    client = make_client("AB")
    author, other = make_user("ot"), make_user("ot")
    note_id = make_note(author, client, sign=False, support_given="Mine.")
    key = load(app, note_id).idempotency_key
    theirs = browser_for(other)
    assert theirs.get(f"/notes/{note_id}/edit").status_code == 404
    assert theirs.get(f"/notes/{note_id}").status_code == 404
    response = theirs.post("/notes/new", complete_form(client.id, key=key, support_given="Theirs."))
    assert response.status_code == 409
    assert load(app, note_id).support_given == "Mine."


def test_the_database_layer_refuses_to_change_a_signed_note(make_user, make_client, make_note, app):
    client = make_client("AB")
    note_id = make_note(make_user("ot"), client, ratings={"routine": "F"})
    with app.app_context():
        note = db.session.get(Note, note_id)
        note.risks = "Changed behind the app's back."
        with pytest.raises(SignedNoteError):
            db.session.flush()
        db.session.rollback()
        db.session.get(Note, note_id).ratings[0].rating = "R"
        with pytest.raises(SignedNoteError):
            db.session.flush()
        db.session.rollback()
        db.session.delete(db.session.get(Note, note_id))
        with pytest.raises(SignedNoteError):
            db.session.flush()
        db.session.rollback()
        assert db.session.get(Note, note_id).rating_map == {"routine": "F"}


# --- amendments ----------------------------------------------------------------------------


def amend(web, note_id, field, text, reason="Wrong shop name written first"):
    return web.post(f"/notes/{note_id}/amend/{field}", {"new_text": text, "reason": reason})


def test_an_amendment_keeps_the_original_visible_and_records_who_why_and_when(
    web, make_user, make_client, make_note, app, frozen_clock
):
    frozen_clock(ACTIVITY_AT + timedelta(hours=3))
    client = make_client("AB")
    ot = make_user("ot", name="Priya Sandhu")
    note_id = make_note(ot, client, support_given="Prompted to pay at the till.")
    frozen_clock(ACTIVITY_AT + timedelta(days=1))
    web.login(ot)

    form = soup(web.get(f"/notes/{note_id}/amend/support_given"))
    assert form.select_one("textarea#new_text").get_text() == "Prompted to pay at the till."
    response = amend(web, note_id, "support_given", "Prompted to pay at the self-checkout.")
    assert response.status_code == 303
    assert response.headers["Location"] == f"/notes/{note_id}#note-support_given"

    note = load(app, note_id)
    assert note.support_given == "Prompted to pay at the till."  # the signed text is untouched
    [amendment] = note.amendments
    assert amendment.old_text == "Prompted to pay at the till."
    assert amendment.new_text == "Prompted to pay at the self-checkout."
    assert amendment.reason == "Wrong shop name written first"
    assert amendment.author_name == "Priya Sandhu"
    assert amendment.author_role_label == "Occupational therapist"
    assert amendment.signed_at == ACTIVITY_AT + timedelta(days=1)

    page = soup(web.get(f"/notes/{note_id}"))
    part = page.select_one("#note-support_given")
    assert part.select_one(".app-note-text").get_text() == "Prompted to pay at the self-checkout."
    assert "(amended)" in part.select_one("h2").get_text()
    history = part.select_one("details.app-history")
    assert history.select_one("del").get_text(strip=True).endswith("Prompted to pay at the till.")
    assert "Prompted to pay at the self-checkout." in history.select_one("ins").get_text()
    assert "Reason: Wrong shop name written first" in history.get_text(" ", strip=True)
    assert "Priya Sandhu, Occupational therapist, 11 Mar 2026, 10:00" in history.get_text()
    assert page.select_one(".app-tags").get_text().count("Amended") == 1


def test_a_second_amendment_strikes_through_the_first(web, make_user, make_client, make_note, app):
    client = make_client("AB")
    ot = make_user("ot")
    note_id = make_note(ot, client, place="Tesco")
    web.login(ot)
    amend(web, note_id, "place", "Tesco Express")
    amend(web, note_id, "place", "Tesco Extra", reason="It was the big one")
    note = load(app, note_id)
    assert [(a.old_text, a.new_text) for a in note.amendments] == [
        ("Tesco", "Tesco Express"),
        ("Tesco Express", "Tesco Extra"),
    ]
    page = soup(web.get(f"/notes/{note_id}"))
    struck = [d.get_text(strip=True) for d in page.select(".app-history del")]
    assert struck[0].endswith("Tesco") and struck[1].endswith("Tesco Express")
    assert "Tesco Extra" in page.select_one(".app-history ins").get_text()


def test_an_amendment_needs_a_reason_and_a_real_change_and_keeps_the_text_on_error(
    web, make_user, make_client, make_note, app
):
    client = make_client("AB")
    ot = make_user("ot")
    note_id = make_note(ot, client, risks="None seen.")
    web.login(ot)
    no_reason = amend(web, note_id, "risks", "Stepped into the road once.", reason=" ")
    assert no_reason.status_code == 422
    page = soup(no_reason)
    assert "Enter the reason for the amendment" in page.select_one("#reason-error").get_text()
    assert page.select_one("textarea#new_text").get_text() == "Stepped into the road once."

    unchanged = amend(web, note_id, "risks", "None seen.")
    assert unchanged.status_code == 422
    assert "same as what the note says now" in soup(unchanged).select_one("#new_text-error").text

    too_long = amend(web, note_id, "risks", "y" * 2001)
    assert "2,000 characters or fewer" in soup(too_long).select_one("#new_text-error").text
    assert load(app, note_id).amendments == []


def test_only_the_author_or_a_lead_may_amend(
    web, make_user, make_client, make_note, app, browser_for
):
    client = make_client("AB")
    author = make_user("assistant")
    note_id = make_note(author, client)
    for role in ("ot", "assistant"):
        other = browser_for(make_user(role))
        response = amend(other, note_id, "risks", "Changed by someone else.")
        assert response.status_code == 403, role
        assert "Only the person who wrote this note, or a lead OT" in soup(response).get_text()
        assert soup(other.get(f"/notes/{note_id}")).select_one(".app-note-part__action") is None
    # An admin reads no notes at all (issue 13 item 14), so cannot amend one either.
    admin = browser_for(make_user("admin"))
    assert amend(admin, note_id, "risks", "Changed by an admin.").status_code == 403
    assert admin.get(f"/notes/{note_id}").status_code == 403
    lead = browser_for(make_user("lead"))
    assert amend(lead, note_id, "risks", "Added by the lead.").status_code == 303
    assert len(load(app, note_id).amendments) == 1


def test_an_unknown_part_cannot_be_amended_and_a_draft_is_edited_instead(
    web, make_user, make_client, make_note
):
    client = make_client("AB")
    ot = make_user("ot")
    signed = make_note(ot, client)
    draft = make_note(ot, client, sign=False)
    web.login(ot)
    assert amend(web, signed, "signed_by_name", "Someone else").status_code == 404
    assert amend(web, signed, "status", "draft").status_code == 404
    assert amend(web, signed, "countersigned_at", "2020-01-01").status_code == 404
    # (activity_at is amendable since issue 14 item 9: see test_amending_facts.py)
    response = web.get(f"/notes/{draft}/amend/risks")
    assert response.status_code == 302 and response.headers["Location"] == f"/notes/{draft}/edit"


def test_the_database_layer_refuses_to_change_or_delete_an_amendment(
    web, make_user, make_client, make_note, app
):
    client = make_client("AB")
    ot = make_user("ot")
    note_id = make_note(ot, client)
    web.login(ot)
    amend(web, note_id, "risks", "New risk.")
    with app.app_context():
        amendment = db.session.scalars(select(NoteAmendment)).one()
        amendment.reason = "Rewritten"
        with pytest.raises(SignedNoteError):
            db.session.flush()
        db.session.rollback()
        db.session.delete(db.session.scalars(select(NoteAmendment)).one())
        with pytest.raises(SignedNoteError):
            db.session.flush()
        db.session.rollback()


# --- late entries --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("signed_after", "late"),
    [
        (timedelta(hours=23, minutes=59), False),
        (timedelta(hours=24), False),
        (timedelta(hours=24, seconds=1), True),
        (timedelta(hours=24, minutes=1), True),
        (timedelta(days=3), True),
    ],
)
def test_a_note_signed_more_than_24_hours_after_the_activity_is_a_late_entry(
    signed_after, late, web, make_user, make_client, make_note, frozen_clock
):
    frozen_clock(ACTIVITY_AT + signed_after)
    client = make_client("AB")
    ot = make_user("ot")
    note_id = make_note(ot, client)
    web.login(ot)
    page = soup(web.get(f"/notes/{note_id}"))
    tags = page.select_one(".app-tags").get_text()
    assert ("Late entry" in tags) is late
    callout = page.select_one(".nhsuk-card--warning")
    if late:
        text = callout.get_text(" ", strip=True)
        assert "Activity: 10 Mar 2026, 10:00" in text
        assert f"Signed: {(ACTIVITY_AT + signed_after):%-d %b %Y, %H:%M}" in text
    else:
        assert callout is None


def test_the_late_entry_flag_is_in_the_audit_row_and_the_client_list(
    web, make_user, make_client, app, frozen_clock
):
    frozen_clock(ACTIVITY_AT + timedelta(hours=30))
    client = make_client("AB")
    web.login(make_user("ot"))
    web.post("/notes/new", complete_form(client.id))
    note = only_note(app)
    assert note.is_late_entry
    with app.app_context():
        sign = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "sign")).one()
    assert sign.summary["late_entry"] is True
    listing = soup(web.get(f"/notes/client/{client.id}")).select_one(".app-note-list__item")
    assert "Late entry" in listing.get_text()


# --- countersigning ------------------------------------------------------------------------


def countersign(web, note_id):
    return web.post(f"/notes/{note_id}/countersign")


def test_an_ot_countersigns_an_assistants_note_and_it_shows_on_the_note(
    make_user, make_client, make_note, app, browser_for, frozen_clock
):
    frozen_clock(ACTIVITY_AT + timedelta(hours=2))
    client = make_client("AB")
    assistant = make_user("assistant", name="Tom Okafor")
    note_id = make_note(assistant, client)
    frozen_clock(ACTIVITY_AT + timedelta(hours=5))
    ot_web = browser_for(make_user("ot", name="Priya Sandhu"))

    before = soup(ot_web.get(f"/notes/{note_id}"))
    assert "Awaiting countersignature" in before.select_one(".app-tags").get_text()
    assert before.select_one("#countersign-form button").get_text(strip=True) == (
        "Countersign this note"
    )
    response = countersign(ot_web, note_id)
    assert response.status_code == 303

    note = load(app, note_id)
    assert note.countersigned_at == ACTIVITY_AT + timedelta(hours=5)
    assert note.countersigned_by_name == "Priya Sandhu"
    after = soup(ot_web.get(f"/notes/{note_id}"))
    signoff = after.select_one(".app-signoff").get_text(" ", strip=True)
    assert "Tom Okafor, OT assistant / assistant practitioner" in signoff
    assert "Countersigned Priya Sandhu, Occupational therapist 10 Mar 2026, 15:00" in signoff
    assert after.select_one("#countersign-form") is None
    assert countersign(ot_web, note_id).status_code == 403  # only once


def test_an_assistant_cannot_countersign(make_user, make_client, make_note, app, browser_for):
    client = make_client("AB")
    note_id = make_note(make_user("assistant"), client)
    other_assistant = browser_for(make_user("assistant"))
    assert soup(other_assistant.get(f"/notes/{note_id}")).select_one("#countersign-form") is None
    response = countersign(other_assistant, note_id)
    assert response.status_code == 403
    assert "Only an occupational therapist or a lead OT" in soup(response).get_text()
    assert load(app, note_id).countersigned_at is None


def test_nobody_countersigns_their_own_note_or_a_note_that_needs_none(
    make_user, make_client, make_note, app, browser_for
):
    client = make_client("AB")
    assistant = make_user("assistant")
    theirs = make_note(assistant, client)
    response = countersign(browser_for(assistant), theirs)
    assert response.status_code == 403

    lead = make_user("lead")
    leads_note = make_note(lead, client)
    assert countersign(browser_for(lead), leads_note).status_code == 403
    ot_note = make_note(make_user("ot"), client)
    response = countersign(browser_for(make_user("lead")), ot_note)
    assert response.status_code == 403
    assert "Only notes written by an OT assistant" in soup(response).get_text()
    assert all(load(app, n).countersigned_at is None for n in (theirs, leads_note, ot_note))


def test_a_draft_cannot_be_countersigned(make_user, make_client, make_note, app, browser_for):
    client = make_client("AB")
    assistant = make_user("assistant")
    draft = make_note(assistant, client, sign=False)
    # The OT cannot even see another person's draft.
    assert countersign(browser_for(make_user("ot")), draft).status_code == 404


def test_amending_and_countersigning_are_audited_without_free_text(
    make_user, make_client, make_note, app, browser_for
):
    client = make_client("AB")
    assistant, ot = make_user("assistant"), make_user("ot")
    note_id = make_note(assistant, client)
    amend(browser_for(assistant), note_id, "risks", "Got off at the wrong stop")
    countersign(browser_for(ot), note_id)
    with app.app_context():
        events = db.session.scalars(
            select(AuditEvent).where(AuditEvent.entity_type == "note").order_by(AuditEvent.id)
        ).all()
        amendment_id = db.session.scalar(select(NoteAmendment.id))
    assert [(e.action, e.actor_id) for e in events] == [
        ("create", assistant.id),
        ("sign", assistant.id),
        ("amend", assistant.id),
        ("countersign", ot.id),
    ]
    assert events[2].summary == {
        "client_id": client.id,
        "field": "risks",
        "amendment_id": amendment_id,
    }
    everything = str([e.summary for e in events])
    assert "wrong stop" not in everything and "Wrong shop" not in everything
