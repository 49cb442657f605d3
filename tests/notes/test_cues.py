"""Cooking sessions and supported shops: a note of type cooking or shopping with a task cue
section (issue 7 item 5), and the client's cue progress (item 6)."""

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import event, select

from app.audit.models import AuditEvent
from app.clients.models import Client
from app.extensions import db
from app.notes import cue_progress, cues, services
from app.notes.cue_progress import CuePoint
from app.notes.models import Note, NoteCue, SignedNoteError
from tests.conftest import soup
from tests.notes.conftest import ACTIVITY_AT, complete_form, only_note

COOKING = {"activity_type": "cooking", "place": "Unit kitchen", "dish": "Spaghetti bolognese"}


def cooking_form(client_id: int, **overrides) -> dict:
    return complete_form(client_id, **{**COOKING, **overrides})


def load(app, note_id: int) -> Note:
    with app.app_context():
        note = db.session.get(Note, note_id)
        _ = note.goals, note.ratings, note.amendments, note.cues
        db.session.expunge(note)
        return note


def audit_rows(app, entity_type: str = "note") -> list[AuditEvent]:
    with app.app_context():
        return list(
            db.session.scalars(
                select(AuditEvent)
                .where(AuditEvent.entity_type == entity_type)
                .order_by(AuditEvent.id)
            )
        )


# --- the scale -----------------------------------------------------------------------------


def test_the_scale_is_efpt_0_to_5_and_the_skills_include_the_fsa_4_cs():
    assert cues.DEFAULT_LABELS == {
        0: "No cues",
        1: "Indirect verbal guidance",
        2: "Gestural guidance",
        3: "Direct verbal instruction",
        4: "Physical assistance",
        5: "Done for the client",
    }
    names = [cues.full_name(s) for s in cues.SKILLS]
    assert names == [
        "Overall",
        "Planning the meal",
        "Budgeting",
        "Shopping",
        "Food hygiene: cleaning",
        "Food hygiene: cooking",
        "Food hygiene: chilling",
        "Food hygiene: cross-contamination",
        "Storage and use-by dates",
        "Safe use of knife",
        "Safe use of hob/oven",
        "Timing",
        "Clearing up",
    ]


def test_only_known_skills_with_a_level_0_to_5_are_kept():
    levels = {"overall": "3", "knife": 0, "timing": "6", "made_up": 2, "hob_oven": "", "x": "1"}
    assert cues.clean(levels) == {"overall": 3, "knife": 0}
    assert cues.clean({"overall": True, "knife": -1, "timing": "３"}) == {}
    assert cues.decode(cues.encode({"overall": 3, "knife": 0})) == {"overall": 3, "knife": 0}


# --- writing a cooking session -------------------------------------------------------------


def test_the_form_has_a_cue_section_with_one_tap_levels_overall_and_per_skill(
    web, make_user, make_client
):
    client = make_client("AB")
    web.login(make_user("ot"))
    page = soup(web.get(f"/notes/new?client={client.id}&type=cooking"))
    section = page.select_one("#cue-section")
    assert section is not None
    assert section.select_one("input[name=dish]") is not None
    assert section.select_one("textarea[name=reflection]") is not None
    groups = section.select(".app-segmented--cues")
    assert len(groups) == 13
    overall = groups[0]
    assert overall.find_parent("fieldset").legend.get_text(strip=True) == "Overall"
    labels = [label.get_text("", strip=True) for label in overall.select("label")]
    assert labels == [
        "0, No cues",
        "1, Indirect verbal guidance",
        "2, Gestural guidance",
        "3, Direct verbal instruction",
        "4, Physical assistance",
        "5, Done for the client",
        "Not rated",
    ]
    radios = overall.select("input[type=radio]")
    assert [r["value"] for r in radios] == ["0", "1", "2", "3", "4", "5", ""]
    assert radios[-1].has_attr("checked")
    assert "Lower is more independent" in section.get_text()
    # The type came from the link: cooking is already chosen.
    assert page.select_one("input[name=activity_type][value=cooking]").has_attr("checked")


def test_a_cooking_session_is_signed_with_dish_reflection_and_cue_levels(
    web, make_user, make_client, app, now
):
    client = make_client("AB")
    ot = make_user("ot")
    web.login(ot)
    response = web.post(
        "/notes/new",
        cooking_form(
            client.id,
            reflection="I rushed the onions.",
            cue_overall="3",
            cue_knife="2",
            cue_hob_oven="4",
            cue_timing="",
        ),
    )
    assert response.status_code == 303
    note = only_note(app)
    note = load(app, note.id)
    assert note.is_signed and note.activity_type == "cooking"
    assert note.dish == "Spaghetti bolognese"
    assert note.reflection == "I rushed the onions."
    assert note.cue_map == {"overall": 3, "knife": 2, "hob_oven": 4}
    page = soup(web.get(f"/notes/{note.id}"))
    cue_part = page.select_one("#note-cues").get_text(" ", strip=True)
    assert "Overall 3 Direct verbal instruction" in cue_part
    assert "Safe use of knife 2 Gestural guidance" in cue_part
    assert "Safe use of hob/oven 4 Physical assistance" in cue_part
    assert "lower is more independent" in cue_part
    assert "Spaghetti bolognese" in page.select_one(".nhsuk-summary-list").get_text()
    assert "I rushed the onions." in page.select_one("#note-reflection").get_text()
    sign = [e for e in audit_rows(app) if e.action == "sign"][0]
    assert sign.summary["cue_levels_rated"] == 3
    everything = str([e.summary for e in audit_rows(app)])
    assert "onions" not in everything and "bolognese" not in everything


def test_a_supported_shop_is_a_shopping_note_with_the_same_section(
    web, make_user, make_client, app, now
):
    client = make_client("AB")
    web.login(make_user("ot"))
    web.post("/notes/new", complete_form(client.id, cue_overall="1", cue_budgeting="2"))
    assert only_note(app).activity_type == "shopping"
    assert load(app, only_note(app).id).cue_map == {"overall": 1, "budgeting": 2}


def test_cue_levels_on_another_type_are_refused_with_everything_kept(
    web, make_user, make_client, app, now
):
    client = make_client("AB")
    web.login(make_user("ot"))
    response = web.post(
        "/notes/new",
        complete_form(client.id, activity_type="cafe", cue_overall="2", dish="Toast"),
    )
    assert response.status_code == 422
    page = soup(response)
    assert "cooking and shopping sessions only" in page.select_one("#cue_overall-error").get_text()
    assert page.select_one("input[name=cue_overall][value='2']").has_attr("checked")
    assert page.select_one("input[name=dish]")["value"] == "Toast"
    assert page.select_one("input[name=activity_type][value=cafe]").has_attr("checked")
    with app.app_context():
        assert db.session.scalar(select(Note)) is None


def test_a_draft_keeps_its_cue_levels_and_puts_them_back_in_the_form(
    web, make_user, make_client, app, now
):
    client = make_client("AB")
    web.login(make_user("ot"))
    web.post("/notes/new", cooking_form(client.id, action="draft", cue_overall="5"))
    note = only_note(app)
    assert not note.is_signed
    page = soup(web.get(f"/notes/{note.id}/edit"))
    assert page.select_one("input[name=cue_overall][value='5']").has_attr("checked")
    assert page.select_one("input[name=dish]")["value"] == "Spaghetti bolognese"
    web.post(f"/notes/{note.id}/edit", cooking_form(client.id, cue_overall="4", action="sign"))
    assert load(app, note.id).cue_map == {"overall": 4}


def test_autosave_stores_cue_levels_as_they_are_tapped(web, make_user, make_client, app, now):
    client = make_client("AB")
    web.login(make_user("ot"))
    form = cooking_form(client.id, cue_overall="2", cue_clearing_up="1")
    form.pop("action")
    assert web.post("/notes/autosave", form, htmx=True).status_code == 200
    assert load(app, only_note(app).id).cue_map == {"overall": 2, "clearing_up": 1}


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"cue_overall": "7"}, "cue_overall", "Choose a cue level from 0 to 5"),
        ({"cue_knife": "two"}, "cue_knife", "Choose a cue level from 0 to 5"),
        ({"dish": "x" * 10_000}, "dish", "Dish must be 120 characters or fewer"),
        ({"activity_date": "2026-03-11"}, "activity_date", "today or in the past"),
    ],
)
def test_bad_input_in_a_cooking_session_is_a_clear_field_error_with_input_kept(
    web, make_user, make_client, app, now, overrides, field, message
):
    client = make_client("AB")
    web.login(make_user("ot"))
    response = web.post("/notes/new", cooking_form(client.id, **overrides))
    assert response.status_code == 422
    page = soup(response)
    assert message in page.select_one(f"#{field}-error").get_text()
    if field == "dish":
        assert page.select_one("input[name=dish]")["value"] == "x" * 10_000
    assert page.select_one("textarea[name=support_given]").get_text().strip()


# --- after signing: the notes' own rules ---------------------------------------------------


@pytest.fixture
def signed_session(app, web, make_user, make_client, make_note, frozen_clock):
    frozen_clock(ACTIVITY_AT + timedelta(hours=3))
    client = make_client("AB")
    ot = make_user("ot")
    note_id = make_note(ot, client, activity_type="cooking", cues={"overall": 4, "knife": 3})
    web.login(ot)
    return {"id": note_id, "client": client, "ot": ot}


def test_signed_cue_levels_cannot_be_changed_in_place(app, signed_session):
    with app.app_context():
        note = db.session.get(Note, signed_session["id"])
        note.cues[0].level = 0
        with pytest.raises(SignedNoteError):
            db.session.flush()
        db.session.rollback()
        note = db.session.get(Note, signed_session["id"])
        note.cues.append(NoteCue(skill_key="timing", level=1))
        with pytest.raises(SignedNoteError):
            db.session.flush()
        db.session.rollback()


def test_cue_levels_are_amended_as_a_fact_with_a_reason_and_the_original_kept(
    web, app, signed_session
):
    note_id = signed_session["id"]
    page = soup(web.get(f"/notes/{note_id}/amend/cues"))
    assert page.select_one("input[name=cue_overall][value='4']").has_attr("checked")
    missing = web.post(f"/notes/{note_id}/amend/cues", {"cue_overall": "3", "reason": ""})
    assert missing.status_code == 422
    assert soup(missing).select_one("input[name=cue_overall][value='3']").has_attr("checked")
    response = web.post(
        f"/notes/{note_id}/amend/cues",
        {"cue_overall": "3", "cue_knife": "3", "cue_timing": "2", "reason": "Rated the wrong row"},
    )
    assert response.status_code == 303
    note = load(app, note_id)
    assert note.cue_map == {"overall": 4, "knife": 3}  # as signed
    assert note.current_cues == {"overall": 3, "knife": 3, "timing": 2}
    shown = soup(web.get(f"/notes/{note_id}")).select_one("#note-cues").get_text(" ", strip=True)
    assert "Overall 3 Direct verbal instruction" in shown
    assert "(amended)" in shown and "Rated the wrong row" in shown
    assert "Overall 4 (Physical assistance)" in shown  # the original, in the history
    [amend] = [e for e in audit_rows(app) if e.action == "amend"]
    assert amend.summary["field"] == "cues"
    assert amend.summary["before"] == "knife=3,overall=4"
    assert amend.summary["after"] == "knife=3,overall=3,timing=2"
    assert "wrong row" not in str(amend.summary)
    with app.app_context():
        [point] = cue_progress.cue_history(db.session.get(Client, signed_session["client"].id))
    assert point.levels == {"overall": 3, "knife": 3, "timing": 2}


def test_an_assistants_cooking_session_is_countersigned_and_a_late_one_flagged(
    app, make_user, make_client, browser_for, frozen_clock
):
    frozen_clock(ACTIVITY_AT + timedelta(days=2))
    client = make_client("AB")
    assistant, ot = make_user("assistant"), make_user("ot")
    web = browser_for(assistant)
    web.post("/notes/new", cooking_form(client.id, cue_overall="2"))
    note = only_note(app)
    assert note.is_late_entry and note.needs_countersignature
    reviewer = browser_for(ot)
    assert reviewer.post(f"/notes/{note.id}/countersign").status_code == 303
    note = load(app, note.id)
    assert note.countersigned_by_id == ot.id and note.cue_map == {"overall": 2}
    page = soup(reviewer.get(f"/notes/{note.id}"))
    tags = page.select_one(".app-tags").get_text(" ")
    assert "Late entry" in tags and "Countersigned" in tags


# --- prefill from the meals pages ----------------------------------------------------------


def test_prefill_takes_a_known_type_and_a_length_limited_dish(frozen_clock):
    frozen_clock(datetime(2026, 3, 10, 18, 0, tzinfo=UTC))
    data = services.parse_prefill(
        {"type": "cooking", "dish": "  Chilli\r\n con carne ", "at": "2026-03-10T17:00"}
    )
    assert data["activity_type"] == "cooking" and data["dish"] == "Chilli con carne"
    assert data["activity_time"].hour == 17
    assert services.parse_prefill({"type": "shopping"})["activity_type"] == "shopping"
    assert services.parse_prefill({"type": "Cooking; drop"}) == {}
    assert services.parse_prefill({"type": "x" * 500, "dish": ""}) == {}
    assert len(services.parse_prefill({"dish": "d" * 10_000})["dish"]) == 120
    assert "activity_date" not in services.parse_prefill({"at": "2026-03-11T09:00"})  # future
    assert services.parse_prefill({"at": "not a time", "type": "", "dish": "   "}) == {}


def test_the_meals_link_opens_a_cooking_note_with_its_facts(web, make_user, make_client, now):
    client = make_client("AB")
    web.login(make_user("ot"))
    response = web.get(
        f"/notes/new?client={client.id}&type=cooking&dish=Fish+pie&at=2026-03-10T12:30"
    )
    page = soup(response)
    assert page.select_one("input[name=activity_type][value=cooking]").has_attr("checked")
    assert page.select_one("input[name=dish]")["value"] == "Fish pie"
    assert page.select_one("input[name=activity_time]")["value"] == "12:30"
    odd = soup(web.get(f"/notes/new?client={client.id}&type=bogus&dish=&at=yesterday"))
    assert not odd.select("input[name=activity_type][checked]")


# --- progress ------------------------------------------------------------------------------


def point(day: int, month: int = 10, **levels) -> CuePoint:
    return CuePoint(day, datetime(2026, month, day, 11, tzinfo=UTC), "cooking", "", levels)


LABELS = cues.DEFAULT_LABELS


def test_the_summary_for_no_sessions():
    assert cue_progress.summary([], LABELS) == "Overall: no cue levels recorded yet."


def test_the_summary_for_one_session():
    assert cue_progress.summary([point(3, overall=3)], LABELS) == (
        "Overall: one session, on 3 October 2026: level 3 (direct verbal instruction)."
    )


def test_the_summary_for_many_sessions_compares_with_the_first_month():
    history = [
        point(2, 9, overall=4),
        point(9, 9, overall=4),
        point(16, 9, overall=3),
        point(1, 10, overall=3),
        point(8, 10, overall=3),
        point(15, 10, overall=2),
        point(22, 10, overall=3),
    ]
    assert cue_progress.summary(history, LABELS) == (
        "Overall: level 3 (direct verbal instruction) in 3 of the last 4 sessions, "
        "down from level 4 (physical assistance) in September (more independent)."
    )
    worse = [point(2, 9, overall=1), *[point(d, 10, overall=3) for d in (1, 8, 15, 22)]]
    assert cue_progress.summary(worse, LABELS).endswith(
        "in all of the last 4 sessions, up from level 1 (indirect verbal guidance) in "
        "September (more support needed)."
    )
    same = [point(2, 9, overall=2), *[point(d, 10, overall=2) for d in (1, 8, 15, 22)]]
    assert cue_progress.summary(same, LABELS).endswith(", the same as in September.")


def test_the_summary_uses_the_units_words_and_each_skill_on_its_own():
    labels = {**LABELS, 2: "Pointing"}
    history = [point(1, overall=2, knife=1), point(8, knife=0)]
    assert "level 2 (pointing)" in cue_progress.summary(history, labels)
    assert cue_progress.summary(history, labels, "knife").startswith(
        "Safe use of knife: level 0 (no cues) in 1 of the last 2 sessions"
    )
    assert cue_progress.summary([point(1, knife=1)], labels) == (
        "No overall cue level yet in 1 session with cue levels."
    )


def test_the_progress_fragment_has_a_chart_a_table_and_a_summary(
    web, app, make_user, make_client, make_note, frozen_clock
):
    frozen_clock(datetime(2026, 11, 1, 12, tzinfo=UTC))
    client = make_client("AB")
    ot = make_user("ot")
    for i, level in enumerate([4, 4, 3, 3, 2]):
        at = datetime(2026, 9, 1, 11, tzinfo=UTC) + timedelta(days=10 * i)
        make_note(ot, client, at=at, activity_type="cooking", cues={"overall": level, "knife": 2})
    make_note(ot, client, activity_type="cafe")  # no cues: not a point
    web.login(ot)
    fragment = web.get(f"/notes/client/{client.id}/cues", headers={"HX-Request": "true"})
    assert fragment.status_code == 200 and "<html" not in fragment.get_data(as_text=True)
    page = soup(fragment)
    summary = page.select_one("#cue-summary").get_text(" ", strip=True)
    assert summary.startswith("Overall: level 3 (direct verbal instruction) in 2 of the last 4")
    assert "down from level 4 (physical assistance) in September" in summary
    overall = page.select_one("#cue-chart-overall svg")
    assert overall["role"] == "img"
    assert "lower is more independent" in overall.title.get_text()
    assert len(overall.select("circle")) == 5
    assert [t.get_text() for t in overall.select("text")][:6] == ["5", "4", "3", "2", "1", "0"]
    assert page.select_one("#cue-chart-knife svg") is not None
    assert page.select_one("#cue-chart-timing") is None  # never rated: no empty chart
    assert "Lower is more independent" in page.get_text()
    rows = page.select("#cue-table tbody tr")
    assert len(rows) == 5
    assert "2 Gestural guidance" in rows[0].get_text(" ")
    full = web.get(f"/notes/client/{client.id}/cues")
    assert "<html" in full.get_data(as_text=True)
    assert soup(full).h1.get_text(" ", strip=True).endswith("Cooking and shopping: cue levels")


def test_the_client_page_loads_the_progress_fragment_with_a_plain_link(web, make_user, make_client):
    client = make_client("AB")
    web.login(make_user("ot"))
    page = soup(web.get(f"/clients/{client.id}"))
    section = page.select_one("#client-cues")
    assert section["hx-get"] == f"/notes/client/{client.id}/cues"
    assert section["hx-trigger"] == "load"
    assert section.select_one("a")["href"] == f"/notes/client/{client.id}/cues"


def test_another_units_client_has_no_progress_and_an_admin_none_at_all(
    make_user, make_client, make_unit, browser_for
):
    other = make_unit("Orchard Lodge", "Orchard")
    theirs = make_client("ZZ", home_unit=other)
    mine = make_client("AB")
    assert browser_for(make_user("ot")).get(f"/notes/client/{theirs.id}/cues").status_code == 404
    assert browser_for(make_user("admin")).get(f"/notes/client/{mine.id}/cues").status_code == 403


def test_the_progress_page_runs_the_same_number_of_statements_for_5_or_60_sessions(
    web, app, make_user, make_client, make_note, frozen_clock
):
    frozen_clock(datetime(2026, 11, 1, 12, tzinfo=UTC))
    ot = make_user("ot")
    web.login(ot)

    def statements_for(sessions: int) -> int:
        client = make_client("C" + str(sessions)[-1])
        for i in range(sessions):
            at = datetime(2026, 1, 1, 11, tzinfo=UTC) + timedelta(days=4 * i)
            make_note(
                ot, client, at=at, activity_type="cooking", cues={"overall": i % 6, "timing": 2}
            )
        with app.app_context():  # one amended session, so amendments load too
            note = db.session.scalars(select(Note).where(Note.client_id == client.id)).first()
            services.amend(note, "cues", "overall=1", "typo", note.author)
            db.session.commit()
        seen = []

        def count(*args, **kwargs):
            seen.append(1)

        with app.app_context():
            engine = db.engine
        event.listen(engine, "before_cursor_execute", count)
        try:
            response = web.get(f"/notes/client/{client.id}/cues")
        finally:
            event.remove(engine, "before_cursor_execute", count)
        assert response.status_code == 200
        assert len(soup(response).select("#cue-chart-overall circle")) == sessions
        return len(seen)

    assert statements_for(5) == statements_for(60)


# --- the unit's labels ---------------------------------------------------------------------


def test_a_lead_words_the_units_cue_labels_and_the_form_and_chart_use_them(
    make_user, make_client, browser_for, app, unit
):
    lead = browser_for(make_user("lead"))
    page = soup(lead.get("/notes/cue-labels"))
    assert page.select_one("input[name=label_3]")["value"] == "Direct verbal instruction"
    form = {f"label_{level}": text for level, text in cues.DEFAULT_LABELS.items()}
    response = lead.post("/notes/cue-labels", {**form, "label_2": "Pointing or showing"})
    assert response.status_code == 303
    with app.app_context():
        assert cue_progress.labels_for(unit.id)[2] == "Pointing or showing"
    [row] = audit_rows(app, "cue_labels")
    assert row.summary == {"levels_changed": [2]} and row.entity_id == unit.id
    client = make_client("AB")
    writer = browser_for(make_user("ot"))
    labels = (
        soup(writer.get(f"/notes/new?client={client.id}"))
        .select("#cue-section .app-segmented--cues")[0]
        .select("label")
    )
    assert labels[2].get_text("", strip=True) == "2, Pointing or showing"


@pytest.mark.parametrize(
    ("value", "message"),
    [("", "Enter the words for level 4"), ("w" * 61, "Level 4 must be 60 characters or fewer")],
)
def test_a_cue_label_must_have_words_within_the_limit(make_user, browser_for, value, message):
    lead = browser_for(make_user("lead"))
    form = {f"label_{level}": text for level, text in cues.DEFAULT_LABELS.items()}
    response = lead.post("/notes/cue-labels", {**form, "label_4": value})
    assert response.status_code == 422
    page = soup(response)
    assert message in page.select_one("#label_4-error").get_text()
    assert page.select_one("input[name=label_4]")["value"] == value


def test_only_a_lead_changes_cue_labels(make_user, browser_for):
    for role in ("ot", "assistant", "admin"):
        assert browser_for(make_user(role)).get("/notes/cue-labels").status_code == 403
