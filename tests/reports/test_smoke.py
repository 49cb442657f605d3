"""A look at every report page with a little of everything (and the PDFs kept for a human
to look at: test-artifacts/reports/*.pdf)."""

from datetime import UTC, datetime
from pathlib import Path

from tests.conftest import soup

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "reports"


def test_every_report_page_answers_for_a_lead_with_a_little_of_everything(
    now, make_user, make_client, browser_for, add_note, add_outing, add_goal
):
    ot = make_user("ot")
    lead = make_user("lead")
    client = make_client("AB")
    goal = add_goal(client, "Plan and buy a week's food within budget", ot)
    add_goal(client, "Use the bus to the library alone", ot)
    ratings = {"interest": "F", "choices": "A", "routine": "I", "roles": "A"}
    add_note(ot, client, datetime(2026, 9, 3, 10, tzinfo=UTC), ratings=ratings, goals=[goal])
    later = {"interest": "F", "choices": "F", "routine": "A", "roles": "A", "knowledge": "A"}
    add_note(
        ot,
        client,
        datetime(2026, 11, 3, 10, tzinfo=UTC),
        "shopping",
        75,
        ratings=later,
        goals=[goal],
    )
    add_note(ot, client, datetime(2026, 11, 10, 10, tzinfo=UTC), "cooking", 45)
    add_outing(ot, [client], datetime(2026, 11, 4, 10, tzinfo=UTC), extensions=1, alerts=[5])
    web = browser_for(lead)
    for url in (
        f"/reports/clients/{client.id}/timeline",
        f"/reports/clients/{client.id}/report",
        "/reports/statistics",
        "/reports/statistics?period=week&start=2026-10-01&end=2026-11-30",
        "/reports/statistics.csv",
        f"/reports/clients/{client.id}/timeline.csv",
    ):
        response = web.get(url)
        assert response.status_code == 200, url
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    draft = web.get(f"/reports/clients/{client.id}/report.pdf?start=2026-09-01&end=2026-11-30")
    assert draft.status_code == 200 and draft.data.startswith(b"%PDF")
    (ARTIFACTS / "draft.pdf").write_bytes(draft.data)
    response = web.post(
        f"/reports/clients/{client.id}/report",
        {
            "start": "2026-09-01",
            "end": "2026-11-30",
            "formulation": "AB is gaining confidence in planning.\nShe still needs prompts.",
            "recommendations": "Continue weekly shopping; start bus training.",
        },
    )
    assert response.status_code == 303
    page = web.get(response.headers["Location"])
    assert "Version 1" in soup(page).get_text()
    issued = web.get(response.headers["Location"] + ".pdf")
    (ARTIFACTS / "issued.pdf").write_bytes(issued.data)
