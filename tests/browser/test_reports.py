"""Reports on a phone, in headless Chromium at 360x740: a client's timeline with 'Load more',
the MDT report issued from the page, and the unit statistics, each checked with axe, for CSP
violations and for sideways scrolling."""

import pytest
from sqlalchemy import select

from app.clients.models import Client
from app.extensions import db
from app.reports import timeline
from tests.browser.test_journeys import assert_no_sideways_scroll

expect = pytest.importorskip(
    "playwright.sync_api",
    reason="needs the playwright package: pip install -r requirements-dev.txt",
).expect

pytestmark = pytest.mark.browser

LEAD = "lead@example.com"
RATED = "CD"  # a demo client of The Beacon with signed, MOHOST-rated notes


def client_id(app, initials: str) -> int:
    with app.app_context():
        return db.session.scalar(select(Client.id).where(Client.initials == initials))


def test_a_lead_reads_a_timeline_loads_more_and_issues_an_mdt_report(
    page, demo, app, log_in, axe, assert_clean, screenshot, monkeypatch
):
    monkeypatch.setattr(timeline, "PAGE_SIZE", 2)
    log_in(page, LEAD)
    page.goto(f"/clients/{client_id(app, RATED)}")
    page.get_by_role("link", name=f"Timeline for {RATED}").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Timeline")
    page.wait_for_load_state()
    rows = page.locator("li[data-key]")
    expect(rows).to_have_count(2)
    axe(page)
    assert_no_sideways_scroll(page)
    screenshot(page, "reports-timeline")
    url = page.url
    page.get_by_role("link", name="Load more").click()
    expect(rows).to_have_count(4)
    assert page.url == url  # htmx added the rows in place
    keys = rows.evaluate_all("items => items.map(i => i.dataset.key)")
    assert len(set(keys)) == 4
    assert_clean(page)

    page.goto(f"/clients/{client_id(app, RATED)}")
    page.get_by_role("link", name=f"MDT / OT report for {RATED}").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("MDT / OT report")
    expect(page.get_by_role("heading", name="Activities attended")).to_be_visible()
    axe(page)
    assert_no_sideways_scroll(page)
    screenshot(page, "reports-mdt-report")

    page.get_by_label("OT formulation").fill("Gaining confidence with shopping.")
    page.get_by_label("Recommendations").fill("Start bus training.")
    page.get_by_role("button", name="Issue report").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Issued MDT / OT report")
    expect(page.get_by_text("Version 1", exact=True)).to_be_visible()
    expect(page.get_by_text("Gaining confidence with shopping.")).to_be_visible()
    axe(page)
    assert_no_sideways_scroll(page)
    screenshot(page, "reports-issued")
    assert_clean(page)

    # On paper: the report alone, without the header, links and forms.
    page.emulate_media(media="print")
    expect(page.get_by_role("heading", name=f"MDT / OT report: client {RATED}")).to_be_visible()
    expect(page.get_by_role("link", name="Download version 1 as PDF")).to_be_hidden()
    expect(page.locator("header.nhsuk-header")).to_be_hidden()
    screenshot(page, "reports-issued-print")


def test_a_wrong_period_shows_its_error_in_place(page, demo, app, log_in, axe, assert_clean):
    log_in(page, LEAD)
    page.goto(f"/reports/clients/{client_id(app, RATED)}/report")
    page.wait_for_load_state()
    page.get_by_label("From").fill("2026-11-30")
    page.get_by_label("To").fill("2026-09-01")
    page.get_by_role("button", name="Show report").click()
    summary = page.locator(".nhsuk-error-summary")
    expect(summary).to_contain_text("The last day must be on or after the first day")
    expect(page.get_by_label("From")).to_have_value("2026-11-30")
    axe(page)
    assert_clean(page, expected_statuses=(422,))


def test_a_lead_reads_the_unit_statistics_on_a_phone(
    page, demo, log_in, axe, assert_clean, screenshot
):
    log_in(page, LEAD)
    page.get_by_role("link", name="Unit statistics").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Unit statistics")
    expect(page.get_by_role("img", name="Contacts by period")).to_be_visible()
    expect(page.get_by_role("link", name="Download this table (CSV)")).to_be_visible()
    page.get_by_label("Count by").select_option("week")
    page.get_by_role("button", name="Show").click()
    expect(page.get_by_role("heading", name="By week")).to_be_visible()
    axe(page)
    assert_no_sideways_scroll(page)
    screenshot(page, "reports-statistics")
    assert_clean(page)
