import pytest

from app.notes import mohost
from tests.conftest import soup
from tests.notes.conftest import complete_form, only_note

ALL = {key: "F" for key in mohost.ITEMS}


def test_there_are_24_items_in_6_sections_of_4_with_names_only():
    assert [s.title for s in mohost.SECTIONS] == [
        "Motivation for occupation",
        "Pattern of occupation",
        "Communication and interaction skills",
        "Process skills",
        "Motor skills",
        "Environment",
    ]
    assert all(len(s.items) == 4 for s in mohost.SECTIONS)
    assert len(mohost.ITEMS) == 24
    assert [i.name for i in mohost.SECTIONS[0].items] == [
        "Appraisal of ability",
        "Expectation of success",
        "Interest",
        "Choices",
    ]
    assert [i.name for i in mohost.SECTIONS[5].items] == [
        "Physical space",
        "Physical resources",
        "Social groups",
        "Occupational demands",
    ]
    # Names, not the manual's rating criteria: short labels of a few words each.
    assert all(len(i.name) <= 25 and len(i.name.split()) <= 3 for i in mohost.ITEMS.values())


def test_f_a_i_r_score_4_3_2_1():
    assert {letter: mohost.score(letter) for letter in "FAIR"} == {"F": 4, "A": 3, "I": 2, "R": 1}


@pytest.mark.parametrize(("letter", "section_total", "overall"), [("F", 16, 96), ("R", 4, 24)])
def test_a_full_rating_runs_from_4_to_16_per_section_and_24_to_96_overall(
    letter, section_total, overall
):
    ratings = {key: letter for key in mohost.ITEMS}
    totals = mohost.section_totals(ratings)
    assert [t.total.total for t in totals] == [section_total] * 6
    assert all(t.total.complete for t in totals)
    assert totals[0].total.text == f"{section_total} of 16"
    assert mohost.overall_total(ratings).total == overall
    assert mohost.overall_total(ratings).text == f"{overall} of 96"


def test_section_totals_add_the_scores_of_the_section_items():
    ratings = {
        "appraisal_of_ability": "F",
        "expectation_of_success": "A",
        "interest": "I",
        "choices": "R",
        "routine": "A",
    }
    motivation, pattern, *rest = mohost.section_totals(ratings)
    assert motivation.total.total == 10 and motivation.total.text == "10 of 16"
    assert pattern.total.total == 3 and pattern.total.rated == 1
    assert all(t.total.rated == 0 and t.total.text == "Not rated" for t in rest)


def test_a_partial_rating_says_how_many_items_its_total_covers():
    ratings = {"routine": "F", "roles": "I"}
    pattern = mohost.section_totals(ratings)[1].total
    assert (pattern.total, pattern.rated, pattern.of) == (6, 2, 4)
    assert pattern.text == "6 (2 of 4 items rated)"
    assert pattern.average == 3.0
    assert mohost.overall_total(ratings).text == "6 (2 of 24 items rated)"


def test_unknown_items_and_ratings_are_ignored():
    ratings = {"routine": "F", "made_up": "F", "roles": "X", "energy": "", "timing": None}
    assert mohost.clean(ratings) == {"routine": "F"}
    assert mohost.overall_total(ratings).total == 4


def test_each_item_on_the_form_is_one_tap_segmented_control(web, make_user, make_client):
    client = make_client("AB")
    web.login(make_user("ot"))
    page = soup(web.get(f"/notes/new?client={client.id}"))
    groups = page.select("#mohost .app-segmented")
    assert len(groups) == 24
    assert not page.select("#mohost select")
    first = groups[0]
    legend = first.find_parent("fieldset").select_one("legend").get_text(strip=True)
    assert legend == "Appraisal of ability"
    labels = [label.get_text("", strip=True) for label in first.select("label")]
    assert labels == ["F, facilitates", "A, allows", "I, inhibits", "R, restricts", "Not rated"]
    hidden = [s.get_text() for s in first.select("label .nhsuk-u-visually-hidden")]
    assert hidden == [", facilitates", ", allows", ", inhibits", ", restricts"]
    radios = first.select("input[type=radio]")
    assert [r["value"] for r in radios] == ["F", "A", "I", "R", ""]
    assert [r["data-score"] for r in radios] == ["4", "3", "2", "1", "0"]
    assert radios[-1].has_attr("checked")  # not rated unless the OT taps a rating
    assert not page.select_one("#mohost").has_attr("open")
    totals = [p.get_text(" ", strip=True) for p in page.select("[data-mohost-total]")]
    assert totals == ["Section total: Not rated"] * 6


def test_ratings_are_saved_per_item_and_shown_with_section_totals(
    web, make_user, make_client, app, now
):
    client = make_client("AB")
    web.login(make_user("ot"))
    web.post(
        "/notes/new",
        complete_form(
            client.id,
            mohost_appraisal_of_ability="F",
            mohost_expectation_of_success="A",
            mohost_interest="A",
            mohost_choices="I",
            mohost_energy="R",
            mohost_routine="",
        ),
    )
    note = only_note(app)
    assert note.rating_map == {
        "appraisal_of_ability": "F",
        "expectation_of_success": "A",
        "interest": "A",
        "choices": "I",
        "energy": "R",
    }
    page = soup(web.get(f"/notes/{note.id}"))
    rows = {
        tr.th.get_text(strip=True): tr.td.get_text(strip=True)
        for tr in page.select(".app-mohost-totals tbody tr")
    }
    assert rows["Motivation for occupation"] == "12 of 16"
    assert rows["Motor skills"] == "1 (1 of 4 items rated)"
    assert rows["Pattern of occupation"] == "Not rated"
    assert rows["All sections"] == "13 (5 of 24 items rated)"
    items = page.select_one(".app-mohost-items").get_text(" ", strip=True)
    assert "F Appraisal of ability (facilitates)" in items


def test_a_note_with_no_ratings_shows_no_mohost_section(web, make_user, make_client, app, now):
    client = make_client("AB")
    web.login(make_user("ot"))
    web.post("/notes/new", complete_form(client.id))
    page = soup(web.get(f"/notes/{only_note(app).id}"))
    assert page.select_one("#note-mohost") is None


def test_a_rating_that_is_not_f_a_i_r_is_a_field_error(web, make_user, make_client, app, now):
    client = make_client("AB")
    web.login(make_user("ot"))
    response = web.post("/notes/new", complete_form(client.id, mohost_timing="Z"))
    assert response.status_code == 422
    error = soup(response).select_one("#mohost_timing-error").get_text()
    assert "Choose F, A, I, R or not rated for timing" in error
    assert soup(response).select_one("#mohost").has_attr("open")


def test_changing_a_drafts_ratings_replaces_them(web, make_user, make_client, app, now):
    client = make_client("AB")
    web.login(make_user("ot"))
    form = complete_form(client.id, action="draft", mohost_routine="F", mohost_roles="A")
    web.post("/notes/autosave", form, htmx=True)
    web.post("/notes/autosave", {**form, "mohost_routine": "I", "mohost_roles": ""}, htmx=True)
    assert only_note(app).rating_map == {"routine": "I"}
