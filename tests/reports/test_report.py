"""The MDT / OT report: figures against hand-computed ones, the PDF, issued versions, roles and
bad input."""

import shutil
import subprocess
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from app.audit.models import AuditEvent
from app.extensions import db
from app.reports.models import IssuedReport
from tests.conftest import skip_or_fail, soup

PERIOD = "start=2026-09-01&end=2026-11-30"
SEPT = datetime(2026, 9, 10, 10, 0, tzinfo=UTC)


@pytest.fixture
def fixture_data(make_user, make_client, add_note, add_outing, add_goal):
    """A small history, hand-counted in the test below."""
    ot = make_user("ot", name="Olive Therapist")
    client = make_client("AB")
    shop = add_goal(client, "Shop for a week's food within budget", ot)
    bus = add_goal(client, "Take the bus to the library alone", ot)
    add_goal(client, "An old goal nobody addressed", ot, active=False)
    first = {"interest": "I", "choices": "A", "routine": "R", "roles": "I"}
    latest = {"interest": "F", "choices": "A", "routine": "A", "roles": "A", "timing": "A"}
    add_note(ot, client, SEPT, "shopping", 90, ratings=first, goals=[shop])
    add_note(ot, client, SEPT + timedelta(days=20), "shopping", 60, goals=[shop, bus])
    add_note(ot, client, SEPT + timedelta(days=30), "library", 45, goals=[bus])
    add_note(ot, client, SEPT + timedelta(days=40), "cooking", 120, ratings=latest)
    add_note(ot, client, SEPT - timedelta(days=20), "shopping", 999)  # before the period
    add_note(ot, client, datetime(2026, 12, 1, 9, tzinfo=UTC), "cafe", 999)  # after it
    add_outing(ot, [client], SEPT, minutes=100)
    add_outing(ot, [client], SEPT + timedelta(days=30), minutes=55)
    add_outing(ot, [client], SEPT - timedelta(days=20), minutes=500)  # before the period
    return ot, client


def rows(table) -> list[list[str]]:
    return [
        [cell.get_text(" ", strip=True) for cell in tr.find_all(["th", "td"])]
        for tr in table.find_all("tr")
    ]


def section(page, heading_id):
    return page.find(id=heading_id).find_parent("section")


def test_the_report_figures_equal_the_hand_counted_ones(now, fixture_data, browser_for):
    ot, client = fixture_data
    response = browser_for(ot).get(f"/reports/clients/{client.id}/report?{PERIOD}")
    assert response.status_code == 200
    page = soup(response)
    activities = section(page, "report-activities")
    assert rows(activities.find("table"))[1:] == [
        ["Shopping", "2", "150"],
        ["Library", "1", "45"],
        ["Cooking", "1", "120"],
        ["All activities", "4", "315"],
    ]
    assert "155 minutes on 2 outings" in activities.get_text(" ", strip=True)

    goals = section(page, "report-goals").get_text(" ", strip=True)
    assert "Shop for a week's food within budget Addressed in 2 notes" in goals
    assert "Take the bus to the library alone Addressed in 2 notes" in goals
    assert "An old goal nobody addressed" not in goals  # retired and not addressed

    mohost = rows(section(page, "report-mohost").find("table"))
    assert mohost[0] == ["Section", "First (10 September 2026)", "Latest (20 October 2026)"]
    assert mohost[1] == [
        "Motivation for occupation",
        "5 (2 of 4 items rated)",
        "7 (2 of 4 items rated)",
    ]
    assert mohost[2] == [
        "Pattern of occupation",
        "3 (2 of 4 items rated)",
        "6 (2 of 4 items rated)",
    ]
    assert mohost[4] == ["Process skills", "Not rated", "3 (1 of 4 items rated)"]
    assert mohost[-1] == ["All sections", "8 (4 of 24 items rated)", "16 (5 of 24 items rated)"]

    cooking = section(page, "report-cooking").get_text(" ", strip=True)
    assert "(activity notes of type cooking): 1" in cooking
    assert "No cue levels recorded for cooking sessions in this period." in cooking
    risk = section(page, "report-risk").get_text(" ", strip=True)
    assert "No amber or red flags in safety huddles in this period." in risk


def test_the_pdf_renders_with_the_clients_initials_and_the_range(now, fixture_data, browser_for):
    ot, client = fixture_data
    response = browser_for(ot).get(f"/reports/clients/{client.id}/report.pdf?{PERIOD}")
    assert response.status_code == 200
    assert response.mimetype == "application/pdf" and response.data.startswith(b"%PDF")
    assert "attachment" in response.headers["Content-Disposition"]
    assert "Ada" not in response.headers["Content-Disposition"]
    if shutil.which("pdftotext") is None:
        skip_or_fail("pdftotext (Debian package poppler-utils) reads the PDF's text")
    text = subprocess.run(
        ["pdftotext", "-", "-"], input=response.data, capture_output=True, check=True
    ).stdout.decode()
    assert "MDT / OT report: client AB" in text
    assert "1 September 2026 to 30 November 2026" in text
    assert "Draft: not issued" in text
    assert "Shop for a week's food within budget" in text
    assert "Ada Byron" not in text


def issue(web, client, formulation="Gaining confidence.", recommendations="Bus training."):
    return web.post(
        f"/reports/clients/{client.id}/report",
        {
            "start": "2026-09-01",
            "end": "2026-11-30",
            "formulation": formulation,
            "recommendations": recommendations,
        },
    )


def test_issuing_saves_a_signed_version_and_a_later_issue_is_a_new_one_the_old_kept(
    app, now, fixture_data, browser_for, add_note
):
    ot, client = fixture_data
    web = browser_for(ot)
    first = issue(web, client, "First formulation.")
    assert first.status_code == 303
    v1 = first.headers["Location"]
    page = soup(web.get(v1))
    text = page.get_text(" ", strip=True)
    assert (
        "Version 1 , issued 1 Dec 2026, 12:00 by Olive Therapist (Occupational therapist)" in text
    )
    assert "First formulation." in text and "All activities 4 315" in text

    add_note(ot, client, SEPT + timedelta(days=50), "exercise", 30)  # the record moves on
    now.advance(minutes=10)
    second = issue(web, client, "Second formulation.")
    v2 = second.headers["Location"]
    assert v2 != v1
    newer = soup(web.get(v2)).get_text(" ", strip=True)
    assert "Version 2" in newer and "All activities 5 345" in newer

    older = soup(web.get(v1))
    old_text = older.get_text(" ", strip=True)
    assert "First formulation." in old_text and "All activities 4 315" in old_text  # as issued
    assert "Not the latest version" in old_text
    with app.app_context():
        reports = db.session.scalars(select(IssuedReport).order_by(IssuedReport.version)).all()
        assert [(r.version, r.issued_by_name, r.issued_role) for r in reports] == [
            (1, "Olive Therapist", "ot"),
            (2, "Olive Therapist", "ot"),
        ]
        issued = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "issue")).all()
        assert [e.summary["version"] for e in issued] == [1, 2]
        assert all("formulation" not in str(e.summary).lower() for e in issued)
    pdf = web.get(v1 + ".pdf")
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF")


def test_every_report_produced_writes_an_audit_row(app, now, fixture_data, browser_for):
    ot, client = fixture_data
    web = browser_for(ot)
    web.get(f"/reports/clients/{client.id}/report?{PERIOD}")
    web.get(f"/reports/clients/{client.id}/report.pdf?{PERIOD}")
    web.get(f"/reports/clients/{client.id}/timeline")
    web.get(f"/reports/clients/{client.id}/timeline.csv")
    with app.app_context():
        events = db.session.scalars(
            select(AuditEvent).where(AuditEvent.action == "produce").order_by(AuditEvent.id)
        ).all()
        assert [e.summary["report"] for e in events] == [
            "mdt_html",
            "mdt_pdf",
            "timeline",
            "timeline_csv",
        ]
        assert all(e.entity_id == client.id and e.actor_id == ot.id for e in events)
        assert events[0].summary["start"] == "2026-09-01"


def test_an_assistant_reads_the_report_but_only_an_ot_or_lead_issues_it(
    now, fixture_data, make_user, browser_for
):
    _, client = fixture_data
    assistant = browser_for(make_user("assistant"))
    page = assistant.get(f"/reports/clients/{client.id}/report?{PERIOD}")
    assert page.status_code == 200 and not soup(page).find("textarea")
    assert issue(assistant, client).status_code == 403
    lead = browser_for(make_user("lead"))
    assert issue(lead, client).status_code == 303


def test_an_administrator_sees_the_figures_but_no_clinical_text(
    now, fixture_data, make_user, browser_for
):
    ot, client = fixture_data
    issued = issue(browser_for(ot), client, "Secret formulation.").headers["Location"]
    admin = browser_for(make_user("admin"))
    response = admin.get(f"/reports/clients/{client.id}/report?{PERIOD}")
    assert response.status_code == 200
    text = soup(response).get_text(" ", strip=True)
    assert "All activities 4 315" in text
    assert "Shop for a week's food" not in text and "Motivation for occupation" not in text
    assert "not shown to administrators" in text
    assert issue(admin, client).status_code == 403
    version = soup(admin.get(issued)).get_text(" ", strip=True)
    assert "Secret formulation." not in version and "Shop for a week's food" not in version
    assert "All activities 4 315" in version


def test_another_units_client_and_report_are_not_found(
    now, fixture_data, make_unit, make_user, browser_for
):
    ot, client = fixture_data
    issued = issue(browser_for(ot), client).headers["Location"]
    elsewhere = browser_for(make_user("lead", home_unit=make_unit("Orchard Lodge", "Orchard")))
    assert elsewhere.get(f"/reports/clients/{client.id}/report").status_code == 404
    assert elsewhere.get(f"/reports/clients/{client.id}/report.pdf").status_code == 404
    assert elsewhere.get(issued).status_code == 404
    assert issue(elsewhere, client).status_code == 404
    assert elsewhere.get("/reports/clients/999999/report").status_code == 404


@pytest.mark.parametrize(
    "query, field, message",
    [
        ("start=2026-11-30&end=2026-09-01", "end", "must be on or after the first day"),
        ("start=2024-01-01&end=2026-11-30", "end", "at most 2 years"),
        ("start=2026-11-01&end=2026-12-25", "end", "cannot be in the future"),
        ("start=2027-01-01&end=2027-01-02", "start", "cannot be in the future"),
        ("start=2026-02-30&end=2026-11-30", "start", "Enter a real date"),
        ("start=&end=2026-11-30", "start", "Enter the first day"),
        ("start=9999-12-31&end=0001-01-01", "start", "between 1900 and 2100"),
    ],
)
def test_a_bad_period_is_a_field_error_with_the_input_kept(
    now, fixture_data, browser_for, query, field, message
):
    ot, client = fixture_data
    web = browser_for(ot)
    response = web.get(f"/reports/clients/{client.id}/report?{query}")
    assert response.status_code == 422
    page = soup(response)
    assert message in page.find(class_="nhsuk-error-summary").get_text()
    assert page.title.get_text().startswith("Error:")
    sent = dict(part.split("=") for part in query.split("&"))
    assert page.find("input", id=field)["value"] == sent[field]
    assert not page.find(id="report-activities")
    pdf = web.get(f"/reports/clients/{client.id}/report.pdf?{query}")
    assert pdf.status_code == 422


def test_issuing_without_a_formulation_keeps_what_was_typed(now, fixture_data, browser_for):
    ot, client = fixture_data
    response = issue(browser_for(ot), client, "", "Keep these words.")
    assert response.status_code == 422
    page = soup(response)
    assert "Enter the OT formulation" in page.find(class_="nhsuk-error-summary").get_text()
    assert page.find("textarea", id="recommendations").get_text() == "Keep these words."


@pytest.fixture
def cooking_and_flags(make_user, make_client, add_note, add_cues, add_huddle, app):
    """Cue levels and huddle flags, hand-counted in the tests below."""
    from app.notes import cues
    from app.notes.models import NoteAmendment

    ot = make_user("ot", name="Olive Therapist")
    lead = make_user("lead")
    client, other = make_client("AB"), make_client("CD")
    before = add_note(ot, client, SEPT - timedelta(days=15), "cooking")
    add_cues(before, {"overall": 5})  # before the period
    add_cues(add_note(ot, client, SEPT, "cooking"), {"overall": 4, "knife": 3})
    add_cues(
        add_note(ot, client, SEPT + timedelta(days=14), "cooking"), {"overall": 3, "hob_oven": 2}
    )
    amended = add_note(ot, client, SEPT + timedelta(days=28), "cooking")
    add_cues(amended, {"overall": 2, "knife": 1})
    with app.app_context():  # a signed amendment: overall 2 was a slip for 1
        db.session.add(
            NoteAmendment(
                note_id=amended,
                field="cues",
                old_text=cues.encode({"overall": 2, "knife": 1}),
                new_text=cues.encode({"overall": 1, "knife": 1}),
                reason="Wrong level ticked",
                author_id=ot.id,
                author_name=ot.name,
                author_role_label=ot.role_label,
            )
        )
        db.session.commit()
    add_cues(
        add_note(ot, client, SEPT + timedelta(days=35), "shopping"), {"overall": 0}
    )  # not cooking
    add_note(ot, client, SEPT + timedelta(days=40), "cooking")  # no cue levels

    day = timedelta(days=1)
    add_huddle(lead, SEPT - 11 * day, flags={client: ("red", "Before the period", None)})
    add_huddle(lead, SEPT + 5 * day, flags={client: ("amber", "Left the hob on", "green")})
    add_huddle(lead, SEPT + 6 * day, flags={client: ("amber", "Left the hob on", "amber")})
    add_huddle(
        lead,
        SEPT + 21 * day,
        flags={client: ("red", "Knife incident", "amber"), other: ("red", "Not ours", None)},
    )
    add_huddle(lead, SEPT + 22 * day, flags={client: ("green", "", "red")})
    return ot, client


def test_the_cooking_trend_and_risk_flags_equal_the_hand_counted_ones(
    app, now, cooking_and_flags, browser_for
):
    ot, client = cooking_and_flags
    web = browser_for(ot)
    page = soup(web.get(f"/reports/clients/{client.id}/report?{PERIOD}"))
    cooking = section(page, "report-cooking")
    text = cooking.get_text(" ", strip=True)
    assert "(activity notes of type cooking): 4" in text
    assert "3 cooking sessions with cue levels, 10 September 2026 to 8 October 2026" in text
    assert "Overall: level 1 (indirect verbal guidance) in 1 of the last 3 sessions." in text
    assert rows(cooking.find("table")) == [
        ["Skill", "First", "Latest", "Sessions"],
        [
            "Overall",
            "4 (Physical assistance), 10 September 2026",
            "1 (Indirect verbal guidance), 8 October 2026",
            "3",
        ],
        [
            "Safe use of knife",
            "3 (Direct verbal instruction), 10 September 2026",
            "1 (Indirect verbal guidance), 8 October 2026",
            "2",
        ],
        [
            "Safe use of hob/oven",
            "2 (Gestural guidance), 24 September 2026",
            "2 (Gestural guidance), 24 September 2026",
            "1",
        ],
    ]
    risk = section(page, "report-risk")
    assert "Amber or red in 3 safety huddles: 1 red, 2 amber." in risk.get_text(" ", strip=True)
    assert rows(risk.find("table"))[1:] == [
        ["15 September 2026 (Early)", "Amber (raised)", "Left the hob on"],
        ["16 September 2026 (Early)", "Amber", "Left the hob on"],
        ["1 October 2026 (Early)", "Red (raised)", "Knife incident"],
    ]
    assert "Not ours" not in risk.get_text() and "Before the period" not in risk.get_text()

    # Issued: the same figures are saved with the version and shown from there.
    location = issue(web, client).headers["Location"]
    with app.app_context():
        saved = db.session.scalars(select(IssuedReport)).one().figures
    assert saved["cooking_trend"]["sessions"] == 3
    assert [
        (s["name"], s["first_level"], s["latest_level"]) for s in saved["cooking_trend"]["skills"]
    ] == [
        ("Overall", 4, 1),
        ("Safe use of knife", 3, 1),
        ("Safe use of hob/oven", 2, 2),
    ]
    assert [(r["date"], r["flag"], r["reason"]) for r in saved["risk_flags"]["rows"]] == [
        ("15 September 2026", "Amber", "Left the hob on"),
        ("16 September 2026", "Amber", "Left the hob on"),
        ("1 October 2026", "Red", "Knife incident"),
    ]
    version = soup(web.get(location))
    assert rows(section(version, "report-risk").find("table"))[3][2] == "Knife incident"
    assert rows(section(version, "report-cooking").find("table"))[1][0] == "Overall"


def test_an_administrator_sees_no_cue_levels_or_flag_reasons(
    now, cooking_and_flags, make_user, browser_for
):
    _, client = cooking_and_flags
    admin = browser_for(make_user("admin"))
    text = soup(admin.get(f"/reports/clients/{client.id}/report?{PERIOD}")).get_text(
        " ", strip=True
    )
    assert "(activity notes of type cooking): 4" in text
    for clinical in ("Knife incident", "Left the hob on", "Physical assistance", "Overall:"):
        assert clinical not in text
    assert "Cue levels are clinical records and are not shown to administrators." in text
