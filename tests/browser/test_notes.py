"""Activity notes on a phone, in headless Chromium at 360x740: writing through a lost signal,
signing, amending, countersigning and the MOHOST chart, each page checked with axe and for CSP
violations."""

import json
import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from app.clients.models import Client
from app.core import clock
from app.extensions import db
from app.notes.models import Note
from tests.browser.conftest import SCREENSHOTS
from tests.browser.test_journeys import assert_no_sideways_scroll, small_touch_targets

expect = pytest.importorskip(
    "playwright.sync_api",
    reason="needs the playwright package: pip install -r requirements-dev.txt",
).expect

pytestmark = pytest.mark.browser

OT = "ot@example.com"
ASSISTANT = "assistant@example.com"
# A demo client of The Beacon with signed notes and MOHOST ratings in the demo data.
RATED = "CD"
# A demo client of The Beacon with no notes yet.
UNRATED = "BC"


def client_id(app, initials: str) -> int:
    with app.app_context():
        return db.session.scalar(select(Client.id).where(Client.initials == initials))


def notes_of(app, initials: str) -> list[Note]:
    with app.app_context():
        notes = db.session.scalars(
            select(Note).join(Client).where(Client.initials == initials).order_by(Note.id)
        ).all()
        for note in notes:
            _ = note.amendments
            db.session.expunge(note)
        return notes


def two_hours_ago() -> tuple[str, str]:
    local = clock.to_london(clock.now() - timedelta(hours=2))
    return f"{local:%Y-%m-%d}", f"{local:%H:%M}"


def wait_until(page, condition, what: str, seconds: float = 10) -> None:
    for _ in range(int(seconds * 10)):
        if condition():
            return
        page.wait_for_timeout(100)
    raise AssertionError(f"timed out waiting until {what}")


def stored_drafts(page) -> list[dict]:
    return page.evaluate(
        """() => Object.keys(localStorage)
            .filter((k) => k.startsWith('waypoint:note:'))
            .map((k) => JSON.parse(localStorage.getItem(k)))"""
    )


def open_new_note(page, app, initials: str) -> None:
    page.goto(f"/clients/{client_id(app, initials)}")
    # The client page loads its notes panel with htmx; "Write a note" is in it.
    page.locator("#client-notes").get_by_role("button", name="Write a note").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Write a note")
    page.wait_for_load_state()  # htmx and notes.js are deferred: let them start


def fill_the_essentials(page) -> None:
    day, at = two_hours_ago()
    page.get_by_label("Date", exact=True).fill(day)
    page.get_by_label("Start time").fill(at)
    page.get_by_label("How long it took").fill("75")
    page.get_by_label("Place").fill("Costa, Chequer Street")
    page.get_by_role("radio", name="Café or eating out").check()
    page.get_by_role("radio", name="Mostly engaged").check()


def test_a_note_survives_a_lost_signal_and_a_reload_and_is_signed_once(
    page, demo, app, log_in, axe, assert_clean, page_log, screenshot
):
    log_in(page, OT)
    open_new_note(page, app, UNRATED)
    axe(page)
    assert_clean(page)
    screenshot(page, "note-form")
    fill_the_essentials(page)
    page.get_by_label("Support given").fill("Prompted her to order at the counter.")

    status = page.locator("#note-autosave")
    expect(status).to_contain_text("Draft saved at", timeout=10_000)
    expect(page).to_have_url(re.compile(r"/notes/\d+/edit$"))  # a reload now opens the draft
    wait_until(
        page,
        lambda: notes_of(app, UNRATED)[0].support_given == "Prompted her to order at the counter.",
        "the server has the draft",
    )
    [draft] = notes_of(app, UNRATED)
    # Once the server has everything, no copy of the clinical text stays on the phone.
    wait_until(page, lambda: stored_drafts(page) == [], "the confirmed copy is deleted")

    # On the bus back: no signal, and she keeps typing.
    page.context.set_offline(True)
    page.get_by_label("What went well").fill("Paid with her own card and counted the change.")
    page.get_by_label("Risks observed").fill("Stepped off the kerb without looking once.")
    expect(status).to_contain_text("No signal. Kept on this phone", timeout=10_000)
    expect(status).to_be_in_viewport()  # it sticks to the bottom of the screen while typing
    expect(page.locator("#note-autosave-problem")).to_have_text(re.compile("^No signal"))
    page.screenshot(path=str(SCREENSHOTS / "note-form-offline.png"))  # what the phone shows
    [copy] = stored_drafts(page)
    assert copy["pending"] is True
    assert copy["fields"]["went_well"] == "Paid with her own card and counted the change."
    assert notes_of(app, UNRATED)[0].went_well == ""  # the server never got it

    # The signal comes back, but the page is reloaded before the draft reaches the server.
    page.route("**/notes/autosave", lambda route: route.abort())
    page.context.set_offline(False)
    page.wait_for_timeout(500)
    page.unroute("**/notes/autosave")
    page_log(page).console.clear()  # the failed requests above were logged on purpose
    page_log(page).bad_responses.clear()
    page.reload()

    notice = page.locator("#note-restored")
    expect(notice).to_be_visible()
    expect(notice).to_contain_text("We put back what you typed on this phone")
    expect(notice).to_be_focused()  # so a screen reader says it
    expect(notice).to_be_in_viewport()  # and the OT sees it, wherever they were on the page
    page.screenshot(path=str(SCREENSHOTS / "note-form-restored.png"))
    expect(page.get_by_label("What went well")).to_have_value(
        "Paid with her own card and counted the change."
    )
    expect(page.get_by_label("Risks observed")).to_have_value(
        "Stepped off the kerb without looking once."
    )
    expect(page.get_by_label("Support given")).to_have_value(
        "Prompted her to order at the counter."
    )
    expect(page.get_by_role("radio", name="Mostly engaged")).to_be_checked()
    wait_until(  # sent to the server as soon as it was restored
        page,
        lambda: notes_of(app, UNRATED)[0].risks == "Stepped off the kerb without looking once.",
        "the restored text reaches the server",
    )
    expect(status).to_contain_text("Draft saved at")
    axe(page)
    assert_clean(page)

    page.get_by_role("button", name="Sign note").click()
    page.wait_for_url(re.compile(r"/notes/\d+$"))
    expect(page.locator(".app-tags")).to_contain_text("Signed")
    expect(page.locator("#note-went_well")).to_contain_text("counted the change")
    [note] = notes_of(app, UNRATED)
    assert note.is_signed and note.id == draft.id
    assert stored_drafts(page) == []  # nothing clinical left in the browser once signed
    axe(page)
    assert_clean(page)


def test_a_note_typed_with_no_signal_at_all_comes_back_on_a_new_page_with_its_key(
    page, demo, app, log_in, axe, assert_clean, page_log
):
    log_in(page, OT)
    open_new_note(page, app, UNRATED)
    first_key = page.locator("#note-key").input_value()
    page.context.set_offline(True)
    fill_the_essentials(page)
    page.get_by_label("Difficulties").fill("Lift out of order; took the stairs slowly.")
    expect(page.locator("#note-autosave")).to_contain_text("No signal", timeout=10_000)
    assert notes_of(app, UNRATED) == []

    # The tab is closed or used for something else while there is still no signal. (A reload
    # would show Chromium's error page, which reloads itself when the signal is back: that
    # restores the draft too, but at a moment this test cannot choose.)
    page.goto("about:blank")
    # Later, with a signal, she opens "Write a note" for the same client again.
    page.context.set_offline(False)
    page_log(page).console.clear()
    page_log(page).bad_responses.clear()
    page_log(page).errors.clear()
    open_new_note(page, app, UNRATED)
    expect(page.locator("#note-restored")).to_be_visible()
    expect(page.get_by_label("Difficulties")).to_have_value(
        "Lift out of order; took the stairs slowly."
    )
    expect(page.get_by_label("Place")).to_have_value("Costa, Chequer Street")
    expect(page.locator("#note-key")).to_have_value(first_key)  # the same note, not a new one
    wait_until(page, lambda: len(notes_of(app, UNRATED)) == 1, "the draft reaches the server")
    axe(page)

    page.get_by_role("button", name="Sign note").click()
    page.wait_for_url(re.compile(r"/notes/\d+$"))
    [note] = notes_of(app, UNRATED)
    assert note.is_signed and note.idempotency_key == first_key
    assert note.difficulties == "Lift out of order; took the stairs slowly."
    assert_clean(page)


def test_a_sign_whose_answer_is_lost_can_be_retried_without_a_second_note(
    page, demo, app, log_in, assert_clean, page_log
):
    log_in(page, OT)
    open_new_note(page, app, UNRATED)
    fill_the_essentials(page)
    page.get_by_label("Next steps").fill("Go again next week.")

    lost = []

    def lose_the_answer(route):
        if route.request.method == "POST" and not lost:
            route.fetch()  # the server gets it and signs...
            lost.append(True)
            route.abort("timedout")  # ...but the phone never hears back
        else:
            route.fallback()

    page.route("**/notes/new", lose_the_answer)
    page.get_by_role("button", name="Sign note").click()
    warning = page.locator("#note-send-failed")
    expect(warning).to_be_visible()
    expect(warning).to_contain_text("it will not be saved twice")
    expect(page.get_by_label("Next steps")).to_have_value("Go again next week.")

    page.wait_for_timeout(1100)  # the NHS button ignores a second tap within a second
    page.get_by_role("button", name="Sign note").click()
    page.wait_for_url(re.compile(r"/notes/\d+$"))
    expect(page.locator("main")).to_contain_text("already signed. Nothing was changed")
    assert len(notes_of(app, UNRATED)) == 1
    page_log(page).console.clear()
    assert_clean(page)


def test_no_autosave_races_the_page_a_signed_note_goes_to(
    new_page, demo, app, log_in, assert_clean
):
    """Text typed just before "Sign note" starts an autosave timer (2 s). If the note's page is
    slow to come, that timer used to fire on the way there and the server refused it (409: the
    note is signed): a red error in the console of a note that was fine (seen in CI, stop 17)."""
    # The service worker would answer the navigation itself, out of the route's sight.
    page = new_page(service_workers="block")
    log_in(page, OT)
    open_new_note(page, app, UNRATED)
    fill_the_essentials(page)
    autosaves = []
    page.on(
        "request",
        lambda r: autosaves.append(r.url) if r.url.endswith("/notes/autosave") else None,
    )

    def slow_note_page(route):
        if route.request.method == "GET" and route.request.is_navigation_request():
            page.wait_for_timeout(3000)  # longer than the autosave's 2 s delay
        route.fallback()

    page.route(re.compile(r"/notes/\d+$"), slow_note_page)
    page.wait_for_timeout(2500)  # the essentials' own autosave is done before the last typing
    sent_before = len(autosaves)
    page.get_by_label("Next steps").fill("Go again next week.")
    page.get_by_role("button", name="Sign note").click()
    page.wait_for_url(re.compile(r"/notes/\d+$"))
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    assert autosaves[sent_before:] == []
    assert len(notes_of(app, UNRATED)) == 1
    assert_clean(page)


def test_mohost_ratings_are_one_tap_each_with_live_totals_and_big_targets(
    page, demo, app, log_in, axe, assert_clean, screenshot
):
    log_in(page, OT)
    open_new_note(page, app, UNRATED)
    page.get_by_text("MOHOST ratings (optional)").click()
    routine = page.get_by_role("group", name="Routine")
    # The letter is shown; screen readers hear the word too ("F, facilitates").
    facilitates = routine.get_by_role("radio", name=re.compile(r"^F\W+facilitates$"))
    facilitates.check()
    roles = page.get_by_role("group", name="Roles", exact=True)
    roles.get_by_role("radio", name=re.compile(r"^I\W+inhibits$")).check()
    total = page.locator("[data-mohost-total=pattern]")
    expect(total).to_have_text("Section total: 6 (2 of 4 items rated)")
    expect(facilitates).to_be_checked()
    roles.get_by_role("radio", name="Not rated").check()
    expect(total).to_have_text("Section total: 4 (1 of 4 items rated)")
    assert not small_touch_targets(page), small_touch_targets(page)
    assert_no_sideways_scroll(page)
    axe(page)
    assert_clean(page)
    screenshot(page, "note-form-mohost")


def test_a_signed_note_with_an_amendment_reads_well_on_a_phone(
    page, demo, app, log_in, axe, assert_clean, screenshot
):
    log_in(page, OT)
    open_new_note(page, app, UNRATED)
    fill_the_essentials(page)
    page.get_by_label("Support given").fill("Prompted to order.\nWaited outside.")
    page.get_by_role("button", name="Sign note").click()
    page.wait_for_url(re.compile(r"/notes/\d+$"))

    page.get_by_role("link", name="Amend support given").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Amend support given")
    axe(page)
    page.get_by_label("Support given: amended text").fill(
        "Prompted to order.\nWaited outside, where I could see her."
    )
    page.get_by_label("Reason for the amendment").fill("Added where I waited, for the risk plan")
    page.get_by_role("button", name="Sign amendment").click()
    page.wait_for_url(re.compile(r"/notes/\d+#note-support_given$"))

    part = page.locator("#note-support_given")
    expect(part.locator(".app-note-text").first).to_have_text(
        "Prompted to order.\nWaited outside, where I could see her."
    )
    part.get_by_text(re.compile(r"History of support given")).click()
    expect(part.locator("del")).to_contain_text("Waited outside.")
    expect(part).to_contain_text("Reason: Added where I waited, for the risk plan")
    assert_no_sideways_scroll(page)
    axe(page)
    assert_clean(page)
    screenshot(page, "note-signed-amended")


def test_an_ot_countersigns_an_assistants_note(page, demo, app, log_in, axe, assert_clean):
    with app.app_context():
        waiting = db.session.scalar(
            select(Note.id).where(Note.signed_role == "assistant").order_by(Note.id).limit(1)
        )
    log_in(page, ASSISTANT)
    page.goto(f"/notes/{waiting}")
    expect(page.locator(".app-tags")).to_contain_text("Awaiting countersignature")
    expect(page.get_by_role("button", name="Countersign this note")).to_have_count(0)
    page.get_by_role("button", name="Log out").click()

    log_in(page, OT)
    page.goto(f"/notes/{waiting}")
    axe(page)
    page.get_by_role("button", name="Countersign this note").click()
    expect(page.locator(".app-signoff")).to_contain_text("Countersigned")
    expect(page.locator(".app-signoff")).to_contain_text("Priya Sandhu, Occupational therapist")
    assert_clean(page)


def test_the_client_page_shows_notes_and_the_mohost_chart_at_360_pixels(
    page, demo, app, log_in, axe, assert_clean, screenshot
):
    log_in(page, OT)
    page.goto(f"/clients/{client_id(app, RATED)}")
    panel = page.locator("#client-notes")
    expect(panel.locator("svg.app-chart__svg")).to_have_count(6)
    expect(panel.locator(".app-note-list__item")).to_have_count(5)
    chart = panel.locator("#mohost-chart-motivation svg")
    assert chart.get_attribute("role") == "img"
    box = chart.bounding_box()
    assert box["width"] <= 330 and box["height"] > 100, box
    panel.get_by_text("Show the ratings as a table").click()
    expect(panel.locator("#mohost-table tbody tr")).to_have_count(5)
    assert_no_sideways_scroll(page)
    axe(page)
    assert_clean(page)
    screenshot(page, "client-mohost-chart")

    with app.app_context():
        total = db.session.scalar(select(func.count()).select_from(Note))
    assert total >= 5
    stored = page.evaluate("() => JSON.stringify(localStorage)")
    assert "waypoint:note" not in json.loads(json.dumps(stored))


LEAD = "lead@example.com"


def test_a_server_error_during_sign_keeps_the_form_and_offers_a_retry(
    page, demo, app, log_in, axe, assert_clean, page_log
):
    """Issue 13 item 15: a 500 on Sign leaves the form and its text on screen."""
    log_in(page, OT)
    open_new_note(page, app, UNRATED)
    fill_the_essentials(page)
    page.get_by_label("Support given").fill("Chose a table by the window herself.")

    def fail(route):
        if route.request.method == "POST":
            route.fulfill(status=500, body="<h1>Sorry, there is a problem</h1>")
        else:
            route.fallback()

    page.route("**/notes/new", fail)
    page.route(re.compile(r".*/notes/\d+/edit$"), fail)
    page.get_by_role("button", name="Sign note").click()
    summary = page.locator("#note-server-error")
    expect(summary).to_be_visible()
    expect(summary.get_by_role("heading")).to_have_text("Not signed — try again")
    expect(summary).to_be_focused()
    expect(page.get_by_label("Support given")).to_have_value("Chose a table by the window herself.")
    expect(page.get_by_role("heading", level=1)).not_to_contain_text("Sorry")
    assert not any(n.is_signed for n in notes_of(app, UNRATED))
    [copy] = stored_drafts(page)  # the fallback if the server stays down
    assert copy["fields"]["support_given"] == "Chose a table by the window herself."
    axe(page)

    page.unroute("**/notes/new")
    page.unroute(re.compile(r".*/notes/\d+/edit$"))
    page.wait_for_timeout(1100)  # the NHS button ignores a second tap within a second
    summary.get_by_role("button", name="Try again").click()
    page.wait_for_url(re.compile(r"/notes/\d+$"))
    expect(page.locator(".app-tags")).to_contain_text("Signed")
    [note] = notes_of(app, UNRATED)
    assert note.is_signed and note.support_given == "Chose a table by the window herself."
    page_log(page).console.clear()  # the 500 was caused on purpose
    page_log(page).bad_responses.clear()
    assert_clean(page)


def test_a_lead_sees_notes_waiting_for_countersignature_on_home(
    page, demo, app, log_in, axe, assert_clean
):
    """Issue 14 item 7: the queue is the notes area's fragment, loaded on home."""
    with app.app_context():
        waiting = db.session.scalars(
            select(Note)
            .where(Note.signed_role == "assistant", Note.countersigned_at.is_(None))
            .order_by(Note.signed_at, Note.id)
        ).all()
        first = (waiting[0].id, waiting[0].client.initials)
    assert waiting, "the demo data has an assistant's note waiting"
    log_in(page, LEAD)
    page.goto("/")
    queue = page.locator("#countersign-queue")
    expect(queue.get_by_role("heading", name="Waiting for your countersignature")).to_be_visible()
    count = len(waiting)
    expect(queue).to_contain_text(f"{count} {'note' if count == 1 else 'notes'} to countersign")
    link = queue.locator("#countersign-list a").first
    expect(link).to_contain_text(first[1])
    axe(page)
    assert_clean(page)
    link.click()
    page.wait_for_url(f"**/notes/{first[0]}")
    expect(page.get_by_role("button", name="Countersign this note")).to_be_visible()


def test_an_adopted_copy_whose_note_was_signed_meanwhile_is_kept_as_a_new_note(
    page, demo, app, log_in, axe, assert_clean, page_log
):
    """Issue 13 item 12: the unsent copy's note was signed (its reply lost); the new text
    typed into that copy is offered as a new note, never dropped."""
    from app.auth.models import User
    from app.notes import services

    with app.app_context():
        ot = db.session.scalar(select(User).where(User.email == OT))
        client = db.session.get(Client, client_id(app, UNRATED))
        at = clock.now() - timedelta(hours=3)
        data = {"activity_at": at, "duration_minutes": 60, "activity_type": "cafe"}
        data |= {"place": "Costa", "engagement": "full", "support_given": "As signed."}
        saved = services.save_note(services.new_key(), client, data, ot, sign=True)
        db.session.commit()
        key, user_id, signed_id = saved.note.idempotency_key, ot.id, saved.note.id
    log_in(page, OT)
    day, time_ = two_hours_ago()
    copy = {
        "key": key,
        "client": str(client_id(app, UNRATED)),
        "pending": True,
        "fields": {
            "activity_date": day,
            "activity_time": time_,
            "duration_minutes": "60",
            "activity_type": "cafe",
            "place": "Costa",
            "engagement": "full",
            "support_given": "As signed.",
            "risks": "Typed after the signal dropped: left her bag on the bus.",
        },
    }
    page.evaluate(
        "([name, entry]) => localStorage.setItem("
        "name, JSON.stringify({...entry, changed: Date.now()}))",
        [f"waypoint:note:{user_id}:{key}", copy],
    )
    open_new_note(page, app, UNRATED)
    expect(page.locator("#note-restored")).to_be_visible()
    expect(page.locator("#note-autosave")).to_contain_text("What you typed is kept on this phone")

    page.wait_for_timeout(1100)
    page.get_by_role("button", name="Sign note").click()
    callout = page.locator("#note-signed-meanwhile")
    expect(callout).to_be_visible()
    expect(callout).to_contain_text("This note has already been signed")
    expect(callout.get_by_role("link", name="open the signed note and amend it")).to_have_attribute(
        "href", f"/notes/{signed_id}"
    )
    expect(page.get_by_label("Risks observed")).to_have_value(
        "Typed after the signal dropped: left her bag on the bus."
    )
    new_key = page.locator("#note-key").input_value()
    assert new_key != key
    drafts = stored_drafts(page)
    assert [d["key"] for d in drafts] == [new_key]  # moved to the new key, not dropped
    assert drafts[0]["fields"]["risks"].startswith("Typed after the signal dropped")
    axe(page)

    page.wait_for_timeout(1100)
    page.get_by_role("button", name="Sign note").click()
    page.wait_for_url(re.compile(r"/notes/\d+$"))
    first, second = notes_of(app, UNRATED)
    assert first.risks == "" and second.risks.startswith("Typed after the signal dropped")
    assert second.is_signed and second.idempotency_key == new_key
    page_log(page).console.clear()  # the 409s were the point
    page_log(page).bad_responses.clear()
    assert_clean(page)


def test_limits_show_before_submitting_and_count_as_the_server_does(
    page, demo, app, log_in, assert_clean
):
    """Issue 14 item 9: the counter counts code points, as the server does, and the Place
    field keeps emoji and Arabic whole."""
    log_in(page, OT)
    open_new_note(page, app, UNRATED)
    expect(page.locator("#place-hint")).to_contain_text("Up to 120 characters")
    support = page.get_by_label("Support given")
    # 1 990 emoji: 1 990 characters for the server, 3 980 UTF-16 units for NHS's own count.
    support.fill("😀" * 1990)
    status = page.locator(
        "[data-module=app-character-count]:has(#support_given) .nhsuk-character-count__status"
    )
    expect(status).to_have_text(re.compile(r"You have 10 characters remaining"))
    support.fill("😀" * 2003)
    expect(status).to_have_text(re.compile(r"You have 3 characters too many"))
    support.fill("Walked to the café 😀")

    place = "مقهى الحي " * 6 + "🚌" * 40  # 100 code points, 140 UTF-16 units
    assert len(place) <= 120 < len(place.encode("utf-16-le")) // 2
    fill_the_essentials(page)
    page.get_by_label("Place").fill(place)
    expect(page.get_by_label("Place")).to_have_value(place)
    page.get_by_role("button", name="Sign note").click()
    page.wait_for_url(re.compile(r"/notes/\d+$"))
    [note] = notes_of(app, UNRATED)
    assert note.place == place and note.support_given == "Walked to the café 😀"
    assert_clean(page)


def test_logging_out_with_unsent_text_offers_to_send_or_delete_it(
    page, demo, app, log_in, axe, assert_clean, page_log
):
    """Issue 13 item 13: never left on the phone, never deleted silently."""
    log_in(page, OT)
    open_new_note(page, app, UNRATED)
    page.route("**/notes/autosave", lambda route: route.abort())
    fill_the_essentials(page)
    page.get_by_label("Support given").fill("Unsent: chose the quiet table.")
    wait_until(page, lambda: len(stored_drafts(page)) == 1, "the copy is on the phone")
    page.goto("/")  # elsewhere in the app, the text still unsent

    page.get_by_role("button", name="Log out").click()
    choice = page.locator("#logout-unsent")
    expect(choice).to_be_visible()
    expect(choice).to_be_in_viewport()
    expect(choice).to_contain_text("1 note you typed on this phone has not reached the server")
    assert "/login" not in page.url
    axe(page)
    page.get_by_role("button", name="Send now, then log out").click()
    expect(choice.get_by_role("status")).to_contain_text("Not sent")
    assert len(stored_drafts(page)) == 1  # kept, not deleted

    page.unroute("**/notes/autosave")
    page.get_by_role("button", name="Send now, then log out").click()
    page.wait_for_url(re.compile(r"/login"))
    [draft] = notes_of(app, UNRATED)
    assert draft.support_given == "Unsent: chose the quiet table." and not draft.is_signed
    assert stored_drafts(page) == []
    page_log(page).console.clear()  # the aborted saves were on purpose
    page_log(page).bad_responses.clear()
    assert_clean(page)


def test_logging_out_can_delete_unsent_text_and_without_any_just_logs_out(
    page, demo, app, log_in, page_log
):
    log_in(page, OT)
    page.get_by_role("button", name="Log out").click()  # nothing unsent: straight out
    page.wait_for_url(re.compile(r"/login"))

    log_in(page, OT)
    open_new_note(page, app, UNRATED)
    page.route("**/notes/autosave", lambda route: route.abort())  # no signal for saves
    page.get_by_label("Support given").fill("Typed on the bus.")
    wait_until(page, lambda: len(stored_drafts(page)) == 1, "the copy is on the phone")
    page.get_by_role("button", name="Log out").click()
    expect(page.locator("#logout-unsent")).to_be_visible()
    page.get_by_role("button", name="Stay logged in").click()
    expect(page.locator("#logout-unsent")).to_have_count(0)
    assert len(stored_drafts(page)) == 1
    page.get_by_role("button", name="Log out").click()
    page.get_by_role("button", name="Delete from this phone and log out").click()
    page.wait_for_url(re.compile(r"/login"))
    assert stored_drafts(page) == []
    assert notes_of(app, UNRATED) == []
    page_log(page).console.clear()


def test_the_facts_of_a_signed_note_are_amended_on_a_phone(
    page, demo, app, log_in, axe, assert_clean
):
    """Issue 14 item 9: type and MOHOST ratings corrected after signing, the original kept."""
    log_in(page, OT)
    open_new_note(page, app, UNRATED)
    fill_the_essentials(page)
    page.get_by_label("Support given").fill("Ordered for herself.")
    page.get_by_role("button", name="Sign note").click()
    page.wait_for_url(re.compile(r"/notes/\d+$"))

    page.get_by_role("link", name="Amend activity").click()
    expect(page.get_by_role("radio", name="Café or eating out")).to_be_checked()
    axe(page)
    page.get_by_role("radio", name="Library").check()
    page.get_by_label("Reason for the amendment").fill("It was the library café")
    page.get_by_role("button", name="Sign amendment").click()
    page.wait_for_url(re.compile(r"/notes/\d+#note-activity_type$"))
    expect(page.get_by_role("heading", level=1)).to_contain_text("Library")
    history = page.locator("#note-activity_type")
    history.get_by_text(re.compile("History of activity")).click()
    expect(history.locator("del")).to_contain_text("Café or eating out")

    page.get_by_role("link", name="Add MOHOST ratings, as an amendment").click()
    page.get_by_role("group", name="Interest").get_by_role("radio", name="F").check()
    page.get_by_label("Reason for the amendment").fill("Forgot to rate interest")
    page.get_by_role("button", name="Sign amendment").click()
    page.wait_for_url(re.compile(r"/notes/\d+#note-mohost$"))
    expect(page.locator("#note-mohost")).to_contain_text("(amended)")
    [note] = notes_of(app, UNRATED)
    assert note.activity_type == "cafe" and len(note.amendments) == 2
    assert_no_sideways_scroll(page)
    assert not small_touch_targets(page), small_touch_targets(page)
    axe(page)
    assert_clean(page)
