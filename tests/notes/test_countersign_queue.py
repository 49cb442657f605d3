"""Countersigning after an amendment (issue 13 item 11) and a lead's countersign queue on home
(issue 14 item 7)."""

from datetime import timedelta

from sqlalchemy import select

from app.audit.models import AuditEvent
from app.extensions import db
from app.notes.models import Note
from tests.conftest import soup
from tests.notes.conftest import ACTIVITY_AT


def load(app, note_id: int) -> Note:
    with app.app_context():
        note = db.session.get(Note, note_id)
        _ = note.amendments, note.countersignatures
        db.session.expunge(note)
        return note


def amend(web, note_id, field, text, reason="Typo"):
    return web.post(f"/notes/{note_id}/amend/{field}", {"new_text": text, "reason": reason})


# --- an assistant's amendment asks for a new countersignature ------------------------------


def test_an_assistants_amendment_after_a_countersignature_needs_a_new_one(
    make_user, make_client, make_note, app, browser_for, frozen_clock
):
    frozen_clock(ACTIVITY_AT + timedelta(hours=1))
    client = make_client("AB")
    assistant = make_user("assistant", name="Tom Okafor")
    note_id = make_note(assistant, client, risks="None seen.")
    ot = make_user("ot", name="Priya Sandhu")
    frozen_clock(ACTIVITY_AT + timedelta(hours=2))
    assert browser_for(ot).post(f"/notes/{note_id}/countersign").status_code == 303
    assert load(app, note_id).needs_countersignature is False

    frozen_clock(ACTIVITY_AT + timedelta(hours=3))
    assistant_web = browser_for(assistant)
    assert (
        amend(assistant_web, note_id, "risks", "Crossed without looking once.").status_code == 303
    )
    note = load(app, note_id)
    assert note.needs_countersignature and note.countersigned_at is None
    # The earlier countersignature stays on the record and on the page.
    assert [(c.by_name, c.at) for c in note.countersignatures] == [
        ("Priya Sandhu", ACTIVITY_AT + timedelta(hours=2))
    ]
    page = soup(browser_for(ot).get(f"/notes/{note_id}"))
    assert "Awaiting countersignature" in page.select_one(".app-tags").get_text()
    earlier = page.select_one("#earlier-countersignatures").get_text(" ", strip=True)
    assert "Priya Sandhu" in earlier and "12:00" in earlier
    assert "needs countersigning again" in page.select_one(".app-signoff").get_text()
    assert page.select_one("#countersign-form") is not None

    frozen_clock(ACTIVITY_AT + timedelta(hours=4))
    lead_web = browser_for(make_user("lead", name="Dana Lee"))
    assert lead_web.post(f"/notes/{note_id}/countersign").status_code == 303
    note = load(app, note_id)
    assert note.countersigned_by_name == "Dana Lee" and not note.needs_countersignature
    assert [c.by_name for c in note.countersignatures] == ["Priya Sandhu", "Dana Lee"]
    with app.app_context():
        amended = db.session.scalars(
            select(AuditEvent).where(AuditEvent.action == "amend", AuditEvent.entity_id == note_id)
        ).one()
        assert amended.summary["needs_countersignature_again"] is True


def test_a_leads_amendment_keeps_the_countersignature(
    make_user, make_client, make_note, app, browser_for
):
    client = make_client("AB")
    note_id = make_note(make_user("assistant"), client, risks="None seen.")
    assert browser_for(make_user("ot")).post(f"/notes/{note_id}/countersign").status_code == 303
    lead_web = browser_for(make_user("lead"))
    assert amend(lead_web, note_id, "risks", "Added by the lead.").status_code == 303
    assert load(app, note_id).countersigned_at is not None


# --- the lead's queue ----------------------------------------------------------------------


def test_a_lead_sees_assistants_notes_waiting_oldest_first_with_a_count(
    make_user, make_client, make_unit, make_note, app, browser_for, frozen_clock
):
    frozen_clock(ACTIVITY_AT + timedelta(hours=1))
    ab, cd = make_client("AB"), make_client("CD")
    elsewhere = make_client("ZZ", home_unit=make_unit("Orchard Lodge", "Orchard"))
    assistant = make_user("assistant", name="Tom Okafor")
    older = make_note(assistant, cd, activity_type="library")
    frozen_clock(ACTIVITY_AT + timedelta(hours=2))
    newer = make_note(assistant, ab, activity_type="shopping")
    done = make_note(assistant, ab)
    make_note(make_user("ot"), ab)  # an OT's note needs no countersignature
    make_note(assistant, ab, sign=False)  # a draft is not signed yet
    make_note(make_user("assistant", home_unit=elsewhere_unit(app, elsewhere)), elsewhere)
    ot_web = browser_for(make_user("ot"))
    assert ot_web.post(f"/notes/{done}/countersign").status_code == 303

    lead_web = browser_for(make_user("lead"))
    fragment = lead_web.get("/notes/countersign", headers={"HX-Request": "true"})
    assert fragment.status_code == 200
    page = soup(fragment)
    assert "2 notes to countersign" in page.get_text()
    links = [a["href"] for a in page.select("#countersign-list a")]
    assert links == [f"/notes/{older}", f"/notes/{newer}"]
    assert page.select_one("html") is None  # a fragment, not a page

    # Countersigning takes it off the queue.
    assert lead_web.post(f"/notes/{older}/countersign").status_code == 303
    page = soup(lead_web.get("/notes/countersign"))
    assert page.title.get_text() == "Notes to countersign – Waypoint"
    assert "1 note to countersign" in page.get_text()


def elsewhere_unit(app, client):
    from app.auth.models import Unit

    with app.app_context():
        unit = db.session.get(Unit, client.unit_id)
        db.session.expunge(unit)
        return unit


def test_home_loads_the_queue_for_a_lead_only(make_user, browser_for):
    lead_home = soup(browser_for(make_user("lead")).get("/"))
    section = lead_home.select_one("#countersign-queue")
    assert section["hx-get"] == "/notes/countersign" and section["hx-trigger"] == "load"
    assert section.select_one("a")["href"] == "/notes/countersign"  # works without JavaScript
    for role in ("ot", "assistant", "admin"):
        web = browser_for(make_user(role))
        assert soup(web.get("/")).select_one("#countersign-queue") is None
        assert web.get("/notes/countersign").status_code == 403
