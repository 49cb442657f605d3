"""Amending the facts of a signed note, not only its text (issue 14 item 9): type, date and
time, duration, goals, engagement and MOHOST ratings, the original still kept and shown."""

from datetime import timedelta

import pytest
from sqlalchemy import select

from app.audit.models import AuditEvent
from app.clients.models import Client
from app.extensions import db
from app.notes import services
from app.notes.models import Note
from tests.conftest import soup
from tests.notes.conftest import ACTIVITY_AT


def load(app, note_id: int) -> Note:
    with app.app_context():
        note = db.session.get(Note, note_id)
        _ = note.goals, note.ratings, note.amendments
        db.session.expunge(note)
        return note


@pytest.fixture
def signed(app, web, make_user, make_client, make_note, make_goal, frozen_clock):
    frozen_clock(ACTIVITY_AT + timedelta(hours=3))
    client = make_client("AB")
    ot = make_user("ot")
    shop = make_goal(client, "Shop for a week's meals on a budget", ot)
    bus = make_goal(client, "Take the bus to town alone", ot)
    note_id = make_note(
        ot, client, goal_ids=[shop], ratings={"appraisal_of_ability": "I"}, engagement="full"
    )
    web.login(ot)
    return {"id": note_id, "client": client, "shop": shop, "bus": bus}


def amend(web, note_id, field, reason="Recorded wrongly at first", **values):
    return web.post(f"/notes/{note_id}/amend/{field}", {"reason": reason, **values})


def test_the_type_of_activity_is_amended_and_the_original_kept(web, app, signed):
    note_id = signed["id"]
    form = soup(web.get(f"/notes/{note_id}/amend/activity_type"))
    assert form.select_one("input[name=activity_type][value=cafe]").has_attr("checked")
    response = amend(web, note_id, "activity_type", activity_type="shopping")
    assert response.status_code == 303
    note = load(app, note_id)
    assert note.activity_type == "cafe"  # as signed, never overwritten
    [change] = note.amendments
    assert (change.field, change.old_text, change.new_text) == ("activity_type", "cafe", "shopping")
    page = soup(web.get(f"/notes/{note_id}"))
    assert "Shopping" in page.select_one("h1").get_text()
    history = page.select_one("#note-activity_type .app-history")
    assert "Café or eating out" in history.select_one("del").get_text()
    assert "Shopping" in history.select_one("ins").get_text()
    with app.app_context():
        event = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "amend")).one()
        assert (event.summary["before"], event.summary["after"]) == ("cafe", "shopping")


def test_date_and_time_are_amended_but_never_to_the_future(web, app, signed):
    note_id = signed["id"]
    future = amend(web, note_id, "activity_at", activity_date="2026-03-11", activity_time="09:00")
    assert future.status_code == 422
    page = soup(future)
    assert "must be in the past" in page.select_one(".nhsuk-error-summary").get_text()
    assert page.select_one("#activity_date")["value"] == "2026-03-11"  # input kept
    assert page.select_one("#reason").get_text() == "Recorded wrongly at first"
    ok = amend(web, note_id, "activity_at", activity_date="2026-03-10", activity_time="09:15")
    assert ok.status_code == 303
    note = load(app, note_id)
    assert note.activity_at == ACTIVITY_AT
    assert note.current_activity_at == ACTIVITY_AT - timedelta(minutes=45)
    text = soup(web.get(f"/notes/{note_id}")).select_one("#note-activity_at").get_text(" ")
    assert "10:00" in text and "09:15" in text


def test_duration_and_engagement_are_amended_within_their_rules(web, app, signed):
    note_id = signed["id"]
    assert amend(web, note_id, "duration_minutes", duration_minutes="0").status_code == 422
    assert amend(web, note_id, "duration_minutes", duration_minutes="²").status_code == 422
    assert amend(web, note_id, "duration_minutes", duration_minutes="45").status_code == 303
    same = amend(web, note_id, "engagement", engagement="full")
    assert same.status_code == 422
    assert "same as what the note says now" in soup(same).get_text()
    assert amend(web, note_id, "engagement", engagement="nonsense").status_code == 422
    assert amend(web, note_id, "engagement", engagement="partial").status_code == 303
    note = load(app, note_id)
    assert (note.duration_minutes, note.engagement) == (60, "full")
    assert (note.current_duration, note.current("engagement")) == (45, "partial")
    page = soup(web.get(f"/notes/{note_id}"))
    assert "45 minutes" in page.select_one(".nhsuk-summary-list").get_text()
    assert "Partly engaged" in page.select_one(".nhsuk-summary-list").get_text()


def test_goals_are_amended_and_both_lists_stay_readable(web, app, signed):
    note_id = signed["id"]
    response = amend(web, note_id, "goals", goal_ids=[str(signed["bus"])])
    assert response.status_code == 303
    note = load(app, note_id)
    assert [g.id for g in note.goals] == [signed["shop"]]
    page = soup(web.get(f"/notes/{note_id}"))
    assert "Take the bus to town alone" in page.select_one(".app-note-goals").get_text()
    history = page.select_one("#note-goals .app-history")
    assert "Shop for a week's meals" in history.select_one("del").get_text()
    assert "Take the bus" in history.select_one("ins").get_text()
    other = amend(web, note_id, "goals", goal_ids=["99999"])
    assert other.status_code == 422


def test_mohost_ratings_are_amended_and_the_chart_follows(web, app, signed):
    note_id = signed["id"]
    response = amend(
        web,
        note_id,
        "mohost",
        mohost_appraisal_of_ability="A",
        mohost_interest="F",
    )
    assert response.status_code == 303
    note = load(app, note_id)
    assert note.rating_map == {"appraisal_of_ability": "I"}  # as signed
    assert note.current_ratings == {"appraisal_of_ability": "A", "interest": "F"}
    with app.app_context():
        [point] = services.rating_history(db.session.get(Client, signed["client"].id))
        assert point.ratings == {"appraisal_of_ability": "A", "interest": "F"}
    page = soup(web.get(f"/notes/{note_id}"))
    history = page.select_one("#note-mohost .app-history").get_text(" ")
    assert "Appraisal of ability I" in history and "Interest F" in history


def test_only_the_author_or_a_lead_amends_facts(signed, make_user, browser_for, app):
    other = browser_for(make_user("ot"))
    response = amend(other, signed["id"], "activity_type", activity_type="library")
    assert response.status_code == 403
    assert load(app, signed["id"]).amendments == []
