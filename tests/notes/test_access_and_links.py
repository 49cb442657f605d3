"""Who may read notes (admins may not: issue 13 item 14) and which outing a note may name
(only one the client was on, in the client's unit: issue 13 item 8)."""

import pytest

from app import create_app  # noqa: F401  (the app fixture builds it)
from tests.conftest import soup
from tests.notes.conftest import complete_form, note_count, only_note

# --- an outing a note names must be one the client was on ----------------------------------


@pytest.fixture
def outings(make_user, make_client, make_unit, make_outing):
    """The OT, client AB and four outing ids: AB's own, another unit's (with AB's id on it
    anyway), one AB was not on, and one that does not exist."""
    ab, cd = make_client("AB"), make_client("CD")
    ot = make_user("ot")
    orchard = make_unit("Orchard Lodge", "Orchard")
    return {
        "ot": ot,
        "client": ab,
        "own": make_outing(ot, [ab]),
        "other_unit": make_outing(ot, [ab], unit=orchard),
        "not_on_it": make_outing(ot, [cd]),
        "missing": 987654,
    }


@pytest.mark.parametrize("which", ["other_unit", "not_on_it", "missing"])
def test_a_note_cannot_name_an_outing_the_client_was_not_on(web, outings, app, now, which):
    client = outings["client"]
    web.login(outings["ot"])
    form = complete_form(client.id, outing_id=str(outings[which]), support_given="Kept text.")
    response = web.post("/notes/new", form)
    assert response.status_code == 422
    page = soup(response)
    assert "not one AB was on in this unit" in page.select_one(".nhsuk-error-summary").get_text()
    assert page.select_one("#support_given").get_text() == "Kept text."
    assert page.select_one("#note-outing")["value"] == ""  # dropped: signing again works
    assert note_count(app) == 0
    again = web.post("/notes/new", {**form, "outing_id": ""})
    assert again.status_code == 303
    assert only_note(app).outing_id is None


def test_a_note_keeps_an_outing_the_client_was_on(web, outings, app, now):
    web.login(outings["ot"])
    form = complete_form(outings["client"].id, outing_id=str(outings["own"]))
    assert web.post("/notes/new", form).status_code == 303
    assert only_note(app).outing_id == outings["own"]


@pytest.mark.parametrize("which", ["other_unit", "not_on_it", "missing"])
def test_autosave_keeps_the_text_but_not_a_wrong_outing(web, outings, app, now, which):
    client = outings["client"]
    web.login(outings["ot"])
    form = complete_form(client.id, outing_id=str(outings[which]), action=None)
    response = web.post("/notes/autosave", form, htmx=True)
    assert response.status_code == 200
    note = only_note(app)
    assert note.support_given == form["support_given"] and note.outing_id is None


def test_a_link_from_an_outing_the_client_was_not_on_starts_an_unlinked_note(web, outings, now):
    web.login(outings["ot"])
    query = {"client": outings["client"].id, "outing": str(outings["not_on_it"])}
    page = soup(web.get("/notes/new", query_string=query))
    assert page.select_one("#note-outing")["value"] == ""


def test_the_service_refuses_a_wrong_outing_too(app, outings):
    from app.auth.models import User
    from app.clients.models import Client
    from app.extensions import db
    from app.notes import services

    with app.app_context():
        ot = db.session.get(User, outings["ot"].id)
        client = db.session.get(Client, outings["client"].id)
        with pytest.raises(services.NoteRefused):
            services.save_note(services.new_key(), client, {"outing_id": 987654}, ot)


# --- admins see no clinical text -----------------------------------------------------------


def test_every_notes_page_and_fragment_refuses_an_admin(
    app, web, make_user, make_client, make_note, outings, now
):
    """Every GET route of the notes blueprint, found from the URL map, as page and fragment."""
    client = outings["client"]
    ot = outings["ot"]
    signed = make_note(ot, client, ratings={"appraisal_of_ability": "F"})
    draft = make_note(ot, client, sign=False)
    values = {"note_id": signed, "client_id": client.id, "field": "place"}
    admin = make_user("admin")
    web.login(admin)
    checked = []
    for rule in app.url_map.iter_rules():
        if not rule.endpoint.startswith("notes."):
            continue
        url = rule.build({k: values[k] for k in rule.arguments}, append_unknown=False)[1]
        if "GET" in rule.methods:
            for htmx in (False, True):
                headers = {"HX-Request": "true"} if htmx else {}
                query = {"client": client.id}
                response = web.get(url, headers=headers, query_string=query)
                assert response.status_code in (403, 404), (url, htmx, response.status_code)
                assert "Prompted to order" not in response.get_data(as_text=True)
        if "POST" in rule.methods:
            response = web.post(url, {"idempotency_key": "x", "client_id": str(client.id)})
            assert response.status_code in (403, 404), (url, response.status_code)
        checked.append(rule.endpoint)
    assert {"notes.show", "notes.client_notes", "notes.amend", "notes.countersign"} <= set(checked)
    assert web.get(f"/notes/{draft}/edit").status_code in (403, 404)
    # The client page's notes fragment (with the MOHOST chart) and the home page carry no notes.
    fragment = web.get(f"/notes/client/{client.id}", headers={"HX-Request": "true"})
    assert fragment.status_code == 403
    assert "app-chart" not in fragment.get_data(as_text=True)
    assert "Your notes" not in soup(web.get("/")).get_text()
    # The client page does not load the notes fragment for an admin (its 403 would otherwise
    # replace the whole page), while an OT's client page does.
    assert soup(web.get(f"/clients/{client.id}")).select_one("#client-notes") is None


def test_the_client_page_loads_the_notes_fragment_for_clinical_roles(
    browser_for, make_user, outings
):
    client = outings["client"]
    for role in ("ot", "assistant", "lead"):
        page = soup(browser_for(make_user(role)).get(f"/clients/{client.id}"))
        assert page.select_one("#client-notes")["hx-get"] == f"/notes/client/{client.id}"


def test_a_lead_still_reads_the_notes_an_admin_cannot(browser_for, make_user, outings, make_note):
    client = outings["client"]
    signed = make_note(outings["ot"], client, ratings={"appraisal_of_ability": "F"})
    lead = browser_for(make_user("lead"))
    assert lead.get(f"/notes/{signed}").status_code == 200
    assert "app-chart" in lead.get(f"/notes/client/{client.id}").get_data(as_text=True)
