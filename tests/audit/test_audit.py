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
                unit_id=lead.home_unit_id,
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
            record("update", "client", n, actor_label="system", unit_id=lead.home_unit_id)
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


def _event_in(app, unit, action: str) -> None:
    with app.app_context():
        record(action, "client", 1, actor_label="system", unit_id=unit.id if unit else None)
        db.session.commit()


def _actions_seen(web, user) -> set[str] | int:
    web.login(user)
    response = web.get("/audit")
    if response.status_code != 200:
        return response.status_code
    items = soup(response).select(".app-audit-list__item strong")
    return {item.get_text() for item in items} - {"login"}


@pytest.fixture
def two_units_of_events(app, unit, make_unit):
    orchard = make_unit("Orchard Lodge", "Orchard")
    _event_in(app, unit, "beacon_event")
    _event_in(app, orchard, "orchard_event")
    _event_in(app, None, "unitless_event")
    return orchard


@pytest.mark.parametrize("role", ["ot", "assistant"])
def test_clinical_staff_cannot_open_the_audit_trail(web, make_user, two_units_of_events, role):
    assert _actions_seen(web, make_user(role)) == 403


def test_a_lead_sees_only_their_own_units_events(web, make_user, two_units_of_events):
    assert _actions_seen(web, make_user("lead")) == {"beacon event"}


def test_a_lead_of_the_other_unit_sees_only_that_units_events(web, make_user, two_units_of_events):
    lead = make_user("lead", home_unit=two_units_of_events)
    assert _actions_seen(web, lead) == {"orchard event"}


def test_a_lead_who_covers_another_unit_sees_its_events_too(
    app, web, make_user, two_units_of_events
):
    from app.auth.models import Unit, User

    lead = make_user("lead")
    with app.app_context():
        person = db.session.get(User, lead.id)
        person.cover_units = [db.session.get(Unit, two_units_of_events.id)]
        db.session.commit()
    assert _actions_seen(web, lead) == {"beacon event", "orchard event"}


def test_an_admin_sees_every_units_events_and_those_of_no_unit(web, make_user, two_units_of_events):
    assert _actions_seen(web, make_user("admin")) == {
        "beacon event",
        "orchard event",
        "unitless event",
    }


def test_the_audit_filters_list_only_people_and_records_in_the_leads_scope(
    app, web, make_user, unit, make_unit
):
    orchard = make_unit("Orchard Lodge", "Orchard")
    stranger = make_user("ot", home_unit=orchard, name="Oona Orchard")
    with app.app_context():
        from app.auth.models import User

        record(
            "create", "meal_plan", 3, actor=db.session.get(User, stranger.id), unit_id=orchard.id
        )
        db.session.commit()
    web.login(make_user("lead"))
    page = soup(web.get("/audit"))
    assert "Oona Orchard" not in page.get_text()
    assert "meal_plan" not in [o["value"] for o in page.select("#entity option")]
