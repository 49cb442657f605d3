"""Shift times per unit and the Trust's observation levels (leads and admins)."""

from tests.conftest import Web, soup
from tests.huddles.conftest import huddle, start


def test_a_unit_sets_its_shift_times_and_the_huddle_follows_them(app, web, team, early):
    web.login(team["lead"])
    page = soup(web.get("/huddles/settings"))
    assert page.find("input", id="early_start")["value"] == "07:00"
    response = web.post(
        "/huddles/settings",
        {"early_start": "06:00", "late_start": "09:00", "night_start": "20:00"},
    )
    assert response.status_code == 303
    hid = start(web)  # 09:30 is now the late shift
    assert huddle(app, hid).shift == "late"


def test_bad_shift_times_are_field_errors_with_the_input_kept(app, web, team, early):
    web.login(team["lead"])
    response = web.post(
        "/huddles/settings",
        {"early_start": "14:00", "late_start": "07:00", "night_start": "25:99"},
    )
    assert response.status_code == 422
    page = soup(response)
    text = page.select_one(".nhsuk-error-summary").get_text()
    assert "The late shift must start after the early shift" in text
    assert "Enter a real time" in text
    assert page.find("input", id="night_start")["value"] == "25:99"


def test_only_an_admin_changes_the_trusts_observation_levels(app, web, team, early, make_user):
    web.login(team["lead"])
    times = {"early_start": "07:00", "late_start": "14:00", "night_start": "21:00"}
    web.post("/huddles/settings", {**times, "observation_levels": "Level A"})
    assert "Level A" not in soup(web.get("/huddles/settings")).get_text()
    web = Web(app.test_client())
    web.login(make_user("admin"))
    web.post("/huddles/settings", {**times, "observation_levels": "General\nLevel A\n\nLevel B"})
    hid = start(web)
    form = soup(web.get(f"/huddles/{hid}/entries/new"))
    options = [o.get_text() for o in form.find("select", id="observation_level").find_all("option")]
    assert options == ["Not an observation change", "General", "Level A", "Level B"]


def test_an_ot_cannot_change_the_settings(app, web, team, early):
    web.login(team["ot"])
    assert web.get("/huddles/settings").status_code == 403
