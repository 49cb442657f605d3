from sqlalchemy import select

from app.audit.models import AuditEvent
from app.clients.models import ClientGoal
from app.extensions import db
from tests.conftest import soup


def goal_texts(response) -> list[str]:
    return [li.get_text(" ", strip=True) for li in soup(response).select(".app-goal-list__text")]


def test_an_ot_adds_a_goal_and_the_client_page_lists_it(web, make_user, make_client):
    client = make_client("AB")
    web.login(make_user("ot"))
    response = web.post(f"/clients/{client.id}/goals", {"text": "  Catch the 321 bus alone  "})
    assert response.status_code == 303
    assert response.headers["Location"] == f"/clients/{client.id}#client-goals"
    assert goal_texts(web.get(f"/clients/{client.id}")) == ["Catch the 321 bus alone"]


def test_an_htmx_add_answers_with_the_goals_section_only(web, make_user, make_client):
    client = make_client("AB")
    web.login(make_user("lead"))
    response = web.post(f"/clients/{client.id}/goals", {"text": "Cook a meal"}, htmx=True)
    assert response.status_code == 200
    page = soup(response)
    assert page.html is None
    assert page.select_one("section#client-goals") is not None
    assert goal_texts(response) == ["Cook a meal"]
    assert page.select_one("#text")["value"] == ""  # a fresh form for the next goal


def test_an_empty_or_too_long_goal_is_a_field_error_that_keeps_the_text(
    web, make_user, make_client
):
    client = make_client("AB")
    web.login(make_user("ot"))
    empty = web.post(f"/clients/{client.id}/goals", {"text": "  "}, htmx=True)
    assert empty.status_code == 422
    assert "Enter the goal" in soup(empty).select_one("#text-error").get_text()

    long_text = "x" * 201
    too_long = web.post(f"/clients/{client.id}/goals", {"text": long_text}, htmx=True)
    assert too_long.status_code == 422
    page = soup(too_long)
    assert "200 characters or fewer" in page.select_one("#text-error").get_text()
    assert page.select_one("#text")["value"] == long_text
    assert page.select_one(".nhsuk-error-summary") is not None


def test_a_plain_post_with_errors_shows_the_whole_client_page(web, make_user, make_client):
    client = make_client("AB")
    web.login(make_user("ot"))
    response = web.post(f"/clients/{client.id}/goals", {"text": ""})
    assert response.status_code == 422
    page = soup(response)
    assert page.select_one("#client-details") is not None
    assert page.select_one("#text-error") is not None


def test_retiring_a_goal_moves_it_to_the_retired_list(web, make_user, make_client, app):
    client = make_client("AB")
    web.login(make_user("ot"))
    web.post(f"/clients/{client.id}/goals", {"text": "Use the library"})
    with app.app_context():
        goal_id = db.session.scalar(select(ClientGoal.id))
    response = web.post(f"/clients/{client.id}/goals/{goal_id}/retire", htmx=True)
    assert response.status_code == 200
    assert goal_texts(response) == []
    retired = soup(response).select_one(".nhsuk-details")
    assert "Retired goals (1)" in retired.get_text() and "Use the library" in retired.get_text()
    with app.app_context():
        assert db.session.get(ClientGoal, goal_id).active is False


def test_a_goal_of_another_client_cannot_be_retired_through_this_one(
    web, make_user, make_client, app
):
    first, second = make_client("AB"), make_client("CD")
    web.login(make_user("ot"))
    web.post(f"/clients/{second.id}/goals", {"text": "Go swimming"})
    with app.app_context():
        goal_id = db.session.scalar(select(ClientGoal.id))
    assert web.post(f"/clients/{first.id}/goals/{goal_id}/retire").status_code == 404
    with app.app_context():
        assert db.session.get(ClientGoal, goal_id).active is True


def test_assistants_see_goals_but_cannot_add_or_retire_them(web, make_user, make_client, app):
    client = make_client("AB")
    ot = make_user("ot")
    with app.app_context():
        goal = ClientGoal(client_id=client.id, text="Budget for the week", created_by_id=ot.id)
        db.session.add(goal)
        db.session.commit()
        goal_id = goal.id

    web.login(make_user("assistant"))
    page = soup(web.get(f"/clients/{client.id}"))
    assert goal_texts(web.get(f"/clients/{client.id}")) == ["Budget for the week"]
    assert page.select_one("#goal-form") is None
    assert not page.select(".app-goal-list__action")
    assert web.post(f"/clients/{client.id}/goals", {"text": "x"}).status_code == 403
    assert web.post(f"/clients/{client.id}/goals/{goal_id}/retire").status_code == 403


def test_goals_of_a_client_in_a_unit_you_cannot_work_in_are_not_reachable(
    web, make_user, make_client, make_unit
):
    other = make_unit("Orchard Lodge", "Orchard")
    theirs = make_client("ZZ", home_unit=other)
    web.login(make_user("ot"))
    assert web.post(f"/clients/{theirs.id}/goals", {"text": "x"}).status_code == 404


def test_adding_and_retiring_goals_is_audited_without_the_goal_text(
    web, make_user, make_client, app
):
    client = make_client("AB")
    ot = make_user("ot")
    web.login(ot)
    web.post(f"/clients/{client.id}/goals", {"text": "Private wording about relapse"})
    with app.app_context():
        goal_id = db.session.scalar(select(ClientGoal.id))
    web.post(f"/clients/{client.id}/goals/{goal_id}/retire")
    with app.app_context():
        events = db.session.scalars(
            select(AuditEvent)
            .where(AuditEvent.entity_type == "client_goal")
            .order_by(AuditEvent.id)
        ).all()
    assert [(e.action, e.entity_id, e.actor_id) for e in events] == [
        ("create", goal_id, ot.id),
        ("retire", goal_id, ot.id),
    ]
    assert all(e.summary["client_id"] == client.id for e in events)
    assert "relapse" not in str([e.summary for e in events])


def test_goal_text_is_shown_as_text_not_html(web, make_user, make_client):
    client = make_client("AB")
    web.login(make_user("ot"))
    web.post(f"/clients/{client.id}/goals", {"text": "<script>alert(1)</script><b>bold</b>"})
    response = web.get(f"/clients/{client.id}")
    body = response.get_data(as_text=True)
    assert "<script>alert(1)</script>" not in body
    assert "&lt;script&gt;" in body
    assert goal_texts(response) == ["<script>alert(1)</script><b>bold</b>"]


def test_an_administrator_reads_and_sets_no_goals_they_are_clinical_text(
    web, make_user, make_client
):
    client = make_client("AB")
    web.login(make_user("ot"))
    web.post(f"/clients/{client.id}/goals", {"text": "Catch the 321 bus alone"})
    web.post("/logout")
    web._token = None
    web.login(make_user("admin"))
    page = web.get(f"/clients/{client.id}")
    assert page.status_code == 200
    assert "Catch the 321 bus alone" not in page.get_data(as_text=True)
    assert soup(page).select_one("#client-goals") is None
    assert web.post(f"/clients/{client.id}/goals", {"text": "Anything"}).status_code == 403
