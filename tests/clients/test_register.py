from sqlalchemy import select, text

from app.audit.models import AuditEvent
from app.clients.models import Client
from app.extensions import db
from tests.conftest import soup

VALID = "9434765919"


def listed(response) -> list[str]:
    """The initials shown in the client list, in order."""
    return [s.get_text() for s in soup(response).select(".app-client-list__initials")]


def _form(**overrides):
    data = {
        "full_name": "Wilfred Amberley",
        "preferred_name": "Wil",
        "initials": "wa",
        "nhs_number": "943 476 5919",
        "room": "12",
        "unit_id": "",
        "key_worker_id": "0",
        "admitted_on": "2026-03-14",
        "discharged_on": "",
    }
    data.update(overrides)
    return data


def test_the_list_shows_initials_and_room_but_never_names(web, make_user, make_client):
    make_client("JS", full_name="Jeremy Stonebridge", preferred_name="Jez", room="7")
    web.login(make_user("ot"))
    response = web.get("/clients")
    text = soup(response).get_text()
    item = soup(response).select_one(".app-client-list__item")
    assert "JS" in item.get_text() and "Room 7" in item.get_text()
    assert "Stonebridge" not in text and "Jez" not in text


def test_the_filter_matches_initials_name_room_and_nhs_number(web, make_user, make_client):
    make_client("JS", full_name="Jeremy Stonebridge", room="7")
    make_client("PQ", full_name="Petra Quill", room="12")
    web.login(make_user("ot"))

    def found(q):
        return listed(web.post("/clients", {"q": q}))

    assert found("js") == ["JS"]
    assert found("stonebr") == ["JS"]
    assert found("12") == ["PQ"]
    assert found("") == ["JS", "PQ"]
    assert found("zzz") == []


def test_the_htmx_filter_returns_only_the_results_fragment(web, make_user, make_client):
    make_client("JS", full_name="Jeremy Stonebridge")
    web.login(make_user("ot"))
    response = web.post("/clients", {"q": "JS"}, htmx=True)
    body = response.get_data(as_text=True)
    assert body.lstrip().startswith('<div id="client-results"')
    assert "<html" not in body
    assert "HX-Request" in response.headers["Vary"]
    full = web.post("/clients", {"q": "JS"})
    assert "<html" in full.get_data(as_text=True)
    assert "HX-Request" in full.headers["Vary"]


def test_the_search_form_posts_so_the_term_is_never_in_a_url(web, make_user, make_client):
    make_client("JS", full_name="Jeremy Stonebridge", room="7")
    web.login(make_user("ot"))
    form = soup(web.get("/clients")).select_one("form[role=search]")
    assert form["method"] == "post" and form["action"] == "/clients"
    assert form["hx-post"] == "/clients" and not form.has_attr("hx-get")
    assert form.select_one("input[name=csrf_token]") is not None
    assert form.select_one("input#q[name=q]") is not None
    # A term in the address is ignored, so no link or bookmark can carry one usefully.
    assert listed(web.get("/clients?q=Stonebridge")) == ["JS"]
    assert listed(web.get("/clients?q=zzz")) == ["JS"]


def test_a_search_answers_in_place_with_the_term_kept_and_no_redirect(web, make_user, make_client):
    make_client("JS", full_name="Jeremy Stonebridge", room="7")
    make_client("PQ", full_name="Petra Quill", room="12")
    web.login(make_user("ot"))
    for htmx in (False, True):
        response = web.post("/clients", {"q": "Stonebridge"}, htmx=htmx)
        assert response.status_code == 200
        assert "Location" not in response.headers and "HX-Redirect" not in response.headers
        assert response.request.query_string == b""
        assert "Stonebridge" not in response.request.full_path
        assert listed(response) == ["JS"]
        assert "matching “Stonebridge”" in soup(response).select_one("#client-results").get_text()
    page = soup(web.post("/clients", {"q": "Stonebridge"}))
    assert page.select_one("#q")["value"] == "Stonebridge"
    assert "Stonebridge" not in page.title.get_text()


def test_a_search_without_the_csrf_token_is_refused(web, make_user, make_client):
    make_client("JS")
    web.login(make_user("ot"))
    assert web.client.post("/clients", data={"q": "JS"}).status_code == 400


def test_a_boosted_or_history_restore_request_gets_the_full_page(web, make_user):
    web.login(make_user("ot"))
    for header in ("HX-Boosted", "HX-History-Restore-Request"):
        response = web.get("/clients", headers={"HX-Request": "true", header: "true"})
        assert "<html" in response.get_data(as_text=True), header


def test_discharged_clients_are_hidden_unless_asked_for(web, make_user, make_client):
    from datetime import date

    make_client("OL", discharged_on=date(2026, 2, 1))
    web.login(make_user("ot"))
    assert listed(web.get("/clients")) == []
    assert listed(web.post("/clients", {"q": "", "discharged": "1"})) == ["OL"]


def test_the_client_page_shows_the_full_name_but_the_title_and_url_do_not(
    web, make_user, make_client
):
    client = make_client(
        "JS", full_name="Jeremy Stonebridge", preferred_name="Jez", nhs_number=VALID
    )
    web.login(make_user("ot"))
    response = web.get(f"/clients/{client.id}")
    page = soup(response)
    assert "Jez (Jeremy Stonebridge)" in page.get_text()
    assert "943 476 5919" in page.get_text()
    assert "Jeremy" not in page.title.get_text() and "Jez" not in page.title.get_text()
    for link in page.select("a[href]"):
        assert "Jeremy" not in link["href"] and "Stonebridge" not in link["href"]


def test_clients_of_a_unit_you_cannot_work_in_are_not_listed_or_shown(
    web, make_user, make_client, make_unit
):
    other = make_unit("Orchard Lodge", "Orchard")
    theirs = make_client("ZZ", home_unit=other)
    web.login(make_user("ot"))
    assert listed(web.get("/clients")) == []
    assert web.get(f"/clients/{theirs.id}").status_code == 404


def test_switching_unit_is_one_tap_and_changes_the_list(
    web, make_user, make_client, make_unit, app
):
    other = make_unit("Orchard Lodge", "Orchard")
    make_client("ZZ", home_unit=other)
    lead = make_user("lead")
    with app.app_context():
        from app.auth.models import Unit, User

        person = db.session.get(User, lead.id)
        person.cover_units = [db.session.get(Unit, other.id)]
        db.session.commit()
    web.login(lead)
    home = soup(web.get("/"))
    switch = home.select_one(f'form[action="/unit/{other.id}"]')
    assert switch is not None and "Switch to Orchard Lodge" in switch.get_text()
    response = web.post(f"/unit/{other.id}", {"next": "/clients"})
    assert response.status_code == 303 and response.headers["Location"] == "/clients"
    assert listed(web.get("/clients")) == ["ZZ"]


def test_you_cannot_switch_to_a_unit_you_do_not_cover(web, make_user, make_unit):
    other = make_unit("Orchard Lodge", "Orchard")
    web.login(make_user("ot"))
    assert web.post(f"/unit/{other.id}").status_code == 403


def test_a_lead_adds_a_client_and_the_nhs_number_is_stored_without_spaces(
    web, make_user, unit, app
):
    web.login(make_user("lead"))
    response = web.post("/clients/new", _form(unit_id=str(unit.id)))
    assert response.status_code == 303
    with app.app_context():
        client = db.session.scalar(select(Client))
        assert client.nhs_number == VALID
        assert client.initials == "WA"
        assert client.unit_id == unit.id
    shown = web.get(response.headers["Location"]).get_data(as_text=True)
    assert "943 476 5919" in shown


def test_an_htmx_save_answers_with_hx_redirect(web, make_user, unit):
    web.login(make_user("lead"))
    response = web.post("/clients/new", _form(unit_id=str(unit.id)), htmx=True)
    assert response.headers["HX-Redirect"].startswith("/clients/")


def test_form_errors_keep_everything_the_user_typed(web, make_user, unit):
    web.login(make_user("lead"))
    data = _form(unit_id=str(unit.id), nhs_number="943 476 5918", admitted_on="")
    response = web.post("/clients/new", data)
    assert response.status_code == 422
    page = soup(response)
    assert page.title.get_text().startswith("Error: ")
    summary = page.select_one(".nhsuk-error-summary")
    assert "Enter a valid NHS number" in summary.get_text()
    assert "Enter the date of admission" in summary.get_text()
    assert page.select_one("#nhs_number-error") is not None
    assert page.select_one("#full_name")["value"] == "Wilfred Amberley"
    assert page.select_one("#preferred_name")["value"] == "Wil"
    assert page.select_one("#nhs_number")["value"] == "943 476 5918"
    assert page.select_one("#room")["value"] == "12"


def test_form_errors_come_back_as_a_422_fragment_for_htmx(web, make_user, unit):
    web.login(make_user("lead"))
    response = web.post("/clients/new", _form(unit_id=str(unit.id), initials="W"), htmx=True)
    assert response.status_code == 422
    page = soup(response)
    assert page.select_one("#client-form") is not None and page.html is None
    assert page.select_one("#initials")["value"] == "W"
    assert page.title.get_text().startswith("Error: Add a client")  # htmx moves it to the tab


def test_a_number_in_use_says_only_that_it_cannot_be_used_here_and_whom_to_ask(
    web, make_user, make_client, unit, make_unit
):
    orchard = make_unit("Orchard Lodge", "Orchard")
    make_client("JS", nhs_number=VALID, home_unit=orchard)
    make_client("PQ", nhs_number="9000000009", home_unit=unit)
    web.login(make_user("lead"))
    messages = []
    for number in ("943 476 5919", "9000000009"):  # another unit's patient, then this unit's
        response = web.post("/clients/new", _form(unit_id=str(unit.id), nhs_number=number))
        assert response.status_code == 422
        page = soup(response)
        assert page.select_one("#nhs_number")["value"] == number
        messages.append(page.select_one("#nhs_number-error").get_text(" ", strip=True))
    assert messages[0] == messages[1]  # the same words wherever the patient is
    assert "cannot be used here" in messages[0] and "administrator" in messages[0]
    for hint in ("unit", "Orchard", "another", "already", "exists"):
        assert hint.lower() not in messages[0].lower()


def test_a_number_in_use_is_audited_without_the_number(web, make_user, make_client, unit, app):
    existing = make_client("JS", nhs_number=VALID)
    lead = make_user("lead")
    web.login(lead)
    for _ in range(2):
        web.post("/clients/new", _form(unit_id=str(unit.id), nhs_number="943 476 5919"))
    with app.app_context():
        refused = db.session.scalars(
            select(AuditEvent).where(AuditEvent.action == "nhs_number_refused")
        ).all()
        stored = [
            " ".join(str(v) for v in row)
            for row in db.session.execute(text("SELECT * FROM audit_events"))
        ]
    assert [(e.actor_id, e.unit_id, e.entity_type) for e in refused] == [
        (lead.id, unit.id, "client")
    ] * 2
    assert refused[0].summary["nhs_number_hash"] == refused[1].summary["nhs_number_hash"]
    assert refused[0].summary["in_use_by_client"] == existing.id
    assert not any(VALID in line or "943 476 5919" in line for line in stored)


def test_editing_keeps_the_same_nhs_number_allowed_and_audits_without_names(
    web, make_user, make_client, app
):
    client = make_client("JS", full_name="Jeremy Stonebridge", nhs_number=VALID, room="7")
    web.login(make_user("lead"))
    form = soup(web.get(f"/clients/{client.id}/edit"))
    assert form.select_one("#full_name")["value"] == "Jeremy Stonebridge"
    data = _form(
        full_name="Jeremy Stonebridge-Hale",
        initials="JS",
        nhs_number=VALID,
        room="9",
        unit_id=str(client.unit_id),
    )
    response = web.post(f"/clients/{client.id}/edit", data)
    assert response.status_code == 303
    with app.app_context():
        event = db.session.scalars(
            select(AuditEvent).where(AuditEvent.entity_type == "client")
        ).one()
    assert event.action == "update" and event.entity_id == client.id
    changes = event.summary["changes"]
    assert changes["room"] == ["7", "9"]
    assert changes["full_name"] == "(changed)"
    assert "Stonebridge" not in str(event.summary)
