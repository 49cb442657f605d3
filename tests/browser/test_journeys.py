"""What staff do on a phone, in headless Chromium at 360x740, with accessibility checks."""

import re

import pytest

expect = pytest.importorskip(
    "playwright.sync_api",
    reason="needs the playwright package: pip install -r requirements-dev.txt",
).expect

pytestmark = pytest.mark.browser

OT = "ot@example.com"
ADMIN = "admin@example.com"
# A demo client of The Beacon (the OT's and the admin's home unit); no other client there has
# "CD" in their initials, names or room, so filtering by it leaves exactly one.
CLIENT_NAME = "Callum Dunmore"
CLIENT_INITIALS = "CD"
BEACON_CLIENTS = 10
# Nine digits whose Modulus 11 check digit would be 10: no tenth digit makes this valid.
INVALID_NHS_NUMBER = "999 000 0000"

TOUCH_TARGETS = """
() => {
  const shown = (el) => {
    const style = getComputedStyle(el);
    const box = el.getBoundingClientRect();
    return style.display !== 'none' && style.visibility !== 'hidden'
      && box.width > 1 && box.height > 1;
  };
  const describe = (el) => {
    const label = el.labels && el.labels[0] ? el.labels[0].innerText : '';
    const text = (label || el.getAttribute('aria-label') || el.innerText || '').trim();
    return `<${el.tagName.toLowerCase()}${el.id ? ' id=' + el.id : ''}`
      + `${el.name ? ' name=' + el.name : ''}${el.type ? ' type=' + el.type : ''}>`
      + (text ? ` "${text.slice(0, 40)}"` : '');
  };
  const targets = [];
  const controls = document.querySelectorAll(
    'button, input:not([type=hidden]), select, textarea, .app-client-list__link');
  for (const el of controls) {
    // A checkbox or radio is drawn by its label; the label is what a finger hits.
    const choice = el.matches('input[type=checkbox], input[type=radio]');
    const target = choice ? el.labels[0] : el;
    if (!target || !shown(target)) continue;
    const box = target.getBoundingClientRect();
    targets.push({
      what: choice ? `label for ${describe(el)}` : describe(el),
      height: box.height,
      width: box.width,
    });
  }
  return targets;
}
"""


def small_touch_targets(page) -> list[str]:
    """Controls on this page under 44 px high (43.5 allows for sub-pixel rounding)."""
    targets = page.evaluate(TOUCH_TARGETS)
    assert targets, f"no touch targets found on {page.url}"
    return [
        f"{page.url}: {t['what']} is {t['width']:.1f} x {t['height']:.1f} px"
        for t in targets
        if t["height"] < 43.5
    ]


def assert_no_sideways_scroll(page) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 360, f"{page.url} is {width} px wide at a 360 px viewport: it scrolls sideways"


def open_client_form(page) -> None:
    page.goto("/clients")
    page.get_by_role("button", name="Add a client").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Add a client")
    page.wait_for_load_state()  # htmx is a deferred script: let it start before the form is used


def test_an_ot_logs_in_and_finds_a_client_by_initials_without_a_page_load(
    page, demo, log_in, axe, assert_clean, screenshot
):
    page.goto("/login")
    expect(page.get_by_role("heading", level=1)).to_have_text("Log in to Waypoint")
    axe(page)
    assert_clean(page)
    screenshot(page, "login")

    log_in(page, OT)
    expect(page).to_have_title("Home – Waypoint")
    clients_action = page.get_by_role("link", name="Clients", exact=True)
    expect(clients_action).to_be_visible()
    axe(page)
    assert_clean(page)
    screenshot(page, "home")

    clients_action.click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Clients")
    page.wait_for_load_state()  # htmx is a deferred script: let it start before typing
    results = page.locator("#client-results")
    expect(results.get_by_role("listitem")).to_have_count(BEACON_CLIENTS)
    axe(page)
    assert_clean(page)
    screenshot(page, "clients")

    htmx_requests = []
    page.on(
        "request",
        lambda request: (
            request.headers.get("hx-request") == "true" and htmx_requests.append(request)
        ),
    )
    page.evaluate("window.waypointPageMarker = 'set before typing'")
    page.get_by_role("searchbox", name="Find a client").press_sequentially(
        CLIENT_INITIALS, delay=30
    )
    expect(results).to_contain_text(f"1 client matching “{CLIENT_INITIALS}”")
    expect(results.get_by_role("listitem")).to_have_count(1)
    assert page.evaluate("window.waypointPageMarker") == "set before typing", (
        "the page reloaded: the filter should swap the list in place"
    )
    assert htmx_requests, "the list narrowed without an HTMX request"
    for request in htmx_requests:  # the term travels in the body, never in a URL
        assert request.method == "POST" and CLIENT_INITIALS not in request.url
    assert CLIENT_INITIALS not in page.url
    axe(page)
    assert_clean(page)

    results.get_by_role("link", name=re.compile(CLIENT_INITIALS)).click()
    page.wait_for_url(re.compile(r"/clients/\d+$"))
    expect(page.get_by_role("heading", level=1)).to_contain_text(CLIENT_INITIALS)
    expect(page.locator("#client-details")).to_contain_text(CLIENT_NAME)
    assert CLIENT_NAME not in page.title()
    for part in CLIENT_NAME.split():
        assert part not in page.title(), f"the page title shows the client's name: {page.title()}"
        assert part not in page.url
    axe(page)
    assert_clean(page)
    screenshot(page, "client")


def test_the_client_filter_works_without_javascript(new_page, demo, log_in, assert_clean):
    page = new_page(java_script_enabled=False)
    log_in(page, OT)
    page.goto("/clients")
    page.get_by_role("searchbox", name="Find a client").fill(CLIENT_INITIALS)
    with page.expect_navigation():
        page.get_by_role("button", name="Search").click()

    assert CLIENT_INITIALS not in page.url  # a POST: the term is not in the address or history
    results = page.locator("#client-results")
    expect(results).to_contain_text(f"1 client matching “{CLIENT_INITIALS}”")
    expect(results.get_by_role("listitem")).to_have_count(1)
    expect(page.get_by_role("searchbox", name="Find a client")).to_have_value(CLIENT_INITIALS)
    assert_clean(page)


def test_an_admin_can_open_staff_client_and_audit_pages_and_each_passes_axe(
    page, demo, log_in, axe, assert_clean, screenshot
):
    log_in(page, ADMIN)

    page.get_by_role("link", name="Staff", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Staff")
    expect(page.locator("#staff-list")).to_contain_text("Priya Sandhu")
    axe(page)
    assert_clean(page)
    screenshot(page, "staff-list")

    page.get_by_role("button", name="Add a member of staff").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Add a member of staff")
    axe(page)
    assert_clean(page)

    open_client_form(page)
    axe(page)
    assert_clean(page)

    page.goto("/")
    page.get_by_role("link", name="Audit trail").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Audit trail")
    axe(page)
    assert_clean(page)
    screenshot(page, "audit")


def test_an_empty_client_form_shows_the_error_summary_and_stays_accessible(
    page, demo, log_in, axe, assert_clean, screenshot
):
    log_in(page, ADMIN)
    open_client_form(page)

    page.get_by_role("button", name="Save client").click()

    summary = page.locator(".nhsuk-error-summary")
    expect(summary).to_be_visible()
    expect(summary).to_contain_text("There is a problem")
    for message in (
        "Enter the client's full name",
        "Enter the client's initials",
        "Enter the NHS number",
        "Enter the date of admission",
    ):
        expect(summary.get_by_role("link", name=re.compile(re.escape(message)))).to_be_visible()
    expect(page.locator(".nhsuk-error-message").first).to_be_visible()
    # Focus moves to the summary once htmx has settled, so screen readers announce it.
    expect(summary).to_be_focused()
    # The swapped fragment carries a <title>, so the tab says "Error:" as after a full load.
    expect(page).to_have_title(re.compile(r"^Error: Add a client"))
    axe(page)
    assert_clean(page, expected_statuses=(422,))
    screenshot(page, "client-form-errors")


def test_a_bad_nhs_number_keeps_everything_else_the_admin_typed(page, demo, log_in, assert_clean):
    log_in(page, ADMIN)
    open_client_form(page)
    typed = {
        "Full name": "Olive Pratt",
        "Preferred name": "Liv",
        "Initials": "OP",
        "NHS number": INVALID_NHS_NUMBER,
        "Room": "12",
        "Admitted": "2026-01-05",
    }
    for label, value in typed.items():
        page.get_by_label(label, exact=True).fill(value)
    page.get_by_label("Lives in the step-down house").check()
    page.get_by_label("Key worker").select_option(label="Priya Sandhu")

    page.get_by_role("button", name="Save client").click()

    summary = page.locator(".nhsuk-error-summary")
    expect(summary).to_be_visible()
    expect(summary.get_by_role("listitem")).to_have_count(1)
    expect(summary).to_contain_text("Enter a valid NHS number")
    for label, value in typed.items():
        expect(page.get_by_label(label, exact=True)).to_have_value(value)
    expect(page.get_by_label("Lives in the step-down house")).to_be_checked()
    expect(page.get_by_label("Key worker").locator("option:checked")).to_have_text("Priya Sandhu")
    assert_clean(page, expected_statuses=(422,))


def test_buttons_inputs_selects_and_client_links_are_at_least_44_pixels_high(page, demo, log_in):
    log_in(page, ADMIN)
    small = small_touch_targets(page)

    page.goto("/clients")
    expect(page.locator(".app-client-list__link")).to_have_count(BEACON_CLIENTS)
    small += small_touch_targets(page)

    open_client_form(page)
    small += small_touch_targets(page)

    assert not small, "Touch targets under 44 px high:\n  " + "\n  ".join(small)


def test_no_page_scrolls_sideways_at_360_pixels(page, demo, log_in):
    page.goto("/login")
    assert_no_sideways_scroll(page)

    log_in(page, ADMIN)
    assert_no_sideways_scroll(page)

    page.goto("/clients")
    assert_no_sideways_scroll(page)

    page.locator(".app-client-list__link").first.click()
    page.wait_for_url(re.compile(r"/clients/\d+$"))
    assert_no_sideways_scroll(page)

    open_client_form(page)
    assert_no_sideways_scroll(page)
    page.get_by_role("button", name="Save client").click()
    expect(page.locator(".nhsuk-error-summary")).to_be_visible()
    assert_no_sideways_scroll(page)

    for path, heading in (
        ("/staff", "Staff"),
        ("/staff/new", "Add a member of staff"),
        ("/audit", "Audit trail"),
    ):
        page.goto(path)
        expect(page.get_by_role("heading", level=1)).to_have_text(heading)
        assert_no_sideways_scroll(page)
