import pytest
from sqlalchemy import select

from app.audit.models import AppendOnlyError, AuditEvent
from app.audit.services import diff, record
from app.extensions import db
from tests.conftest import soup


def test_audit_rows_cannot_be_changed_or_deleted_through_the_app(app):
    with app.app_context():
        event = record("create", "client", 1, changes={"room": [None, "4"]})
        db.session.commit()
        event.action = "tampered"
        with pytest.raises(AppendOnlyError):
            db.session.commit()
        db.session.rollback()
        db.session.delete(db.session.get(AuditEvent, event.id))
        with pytest.raises(AppendOnlyError):
            db.session.commit()
        db.session.rollback()
        assert db.session.get(AuditEvent, event.id).action == "create"


def test_a_diff_lists_only_changed_fields_and_hides_redacted_values():
    before = {"room": "4", "full_name": "A B", "step_down": False}
    after = {"room": "5", "full_name": "A C", "step_down": False}
    assert diff(before, after, redact=("full_name",)) == {
        "room": ["4", "5"],
        "full_name": "(changed)",
    }


def _seed_events(app, lead, ot):
    with app.app_context():
        from app.auth.models import User

        for actor, entity in ((lead, "client"), (ot, "staff"), (ot, "client")):
            record(
                "update",
                entity,
                7,
                actor=db.session.get(User, actor.id),
                changes={"room": ["1", "2"]},
            )
        db.session.commit()


def test_leads_see_the_audit_trail_and_filter_by_record_and_person(app, web, make_user):
    lead, ot = make_user("lead", name="Lena Lead"), make_user("ot", name="Otto Therapist")
    _seed_events(app, lead, ot)
    web.login(lead)  # adds a login row by the lead

    def rows(**params):
        return soup(web.get("/audit", query_string=params)).select(".app-audit-list__item")

    assert len(rows()) == 4
    assert len(rows(entity="client")) == 2
    assert len(rows(actor=str(ot.id))) == 2
    only = rows(entity="client", actor=str(ot.id))
    assert len(only) == 1 and "Otto Therapist" in only[0].get_text()
    assert "room: 1 → 2" in only[0].get_text()


def test_the_audit_filter_answers_htmx_with_the_list_fragment(app, web, make_user):
    lead = make_user("lead")
    web.login(lead)
    response = web.get("/audit?entity=staff", headers={"HX-Request": "true"})
    assert soup(response).select_one("#audit-events") is not None
    assert "<html" not in response.get_data(as_text=True)


def test_the_audit_trail_pages_fifty_at_a_time(app, web, make_user):
    lead = make_user("lead")
    with app.app_context():
        for n in range(60):
            record("update", "client", n, actor_label="system")
        db.session.commit()
    web.login(lead)
    first = soup(web.get("/audit?entity=client"))
    assert len(first.select(".app-audit-list__item")) == 50
    older = first.select_one(".nhsuk-pagination__link--next")["href"]
    assert len(soup(web.get(older)).select(".app-audit-list__item")) == 10


def test_every_audit_row_records_who_when_and_from_where(app, web, make_user):
    ot = make_user("ot")
    web.login(ot)
    with app.app_context():
        event = db.session.scalars(select(AuditEvent)).one()
    assert event.actor_id == ot.id and event.action == "login"
    assert event.at.tzinfo is not None
    assert event.ip == "127.0.0.1"
