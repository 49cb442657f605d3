"""Out of signal on a real phone (Chromium at 360x740, issue 10): the offline page in place of
the browser's error, "I'm back" queued and sent once when the signal returns, SOS offline saying
plainly it has not gone with the call/text/999 fallbacks, location only with SOS, and a service
worker cache that holds no clinical page."""

from urllib.parse import unquote

import pytest
from sqlalchemy import select
from werkzeug.security import generate_password_hash

from app.extensions import db

expect = pytest.importorskip("playwright.sync_api").expect

pytestmark = pytest.mark.browser

WORKER = "assistant@example.com"  # the demo assistant, out shopping with two clients
UNIT_PHONE = "01632 960001"
PIN = "2468"


@pytest.fixture
def outing(app, demo):
    """The demo outing; the unit has a shift phone and the worker a check-in PIN."""
    from app.auth.models import User
    from app.lone_working.models import Outing

    with app.app_context():
        row = db.session.query(Outing).one()
        row.unit.shift_phone = UNIT_PHONE
        worker = db.session.scalar(select(User).where(User.email == WORKER))
        worker.checkin_pin_hash = generate_password_hash(PIN)
        db.session.commit()
        facts = {"id": row.id, "destination": row.destination, "worker": worker.name}
        db.session.remove()
    return facts


def _outing(app, outing_id):
    from app.lone_working.models import Outing, OutingEvent

    with app.app_context():
        row = db.session.get(Outing, outing_id)
        facts = {
            "checked_in_at": row.checked_in_at,
            "pressed": row.checkin_pressed_at,
            "checked_in": len([e for e in row.events if e.kind == "checked_in"]),
            "sos": [
                (s.latitude, s.longitude, s.accuracy_m) for s in row.steps if s.reason == "sos"
            ],
            "events": db.session.query(OutingEvent).count(),
        }
        db.session.remove()
    return facts


def _my_outing_with_worker_ready(page, log_in):
    """My outing loaded with a signal: the service worker installed and the outing remembered."""
    log_in(page, WORKER)
    page.goto("/out/mine")
    expect(page.get_by_role("heading", name="My outing")).to_be_visible()
    page.evaluate("navigator.serviceWorker.ready.then(() => true)")
    page.wait_for_function("navigator.serviceWorker.controller !== null || true")


def test_with_no_signal_waypoint_opens_the_offline_page_with_the_countdown_and_three_fallbacks(
    page, outing, log_in, axe, assert_clean, screenshot
):
    _my_outing_with_worker_ready(page, log_in)
    page.context.set_offline(True)
    page.goto("/")  # opening Waypoint from the home screen with no data
    expect(page.get_by_role("heading", name="No signal")).to_be_visible()
    expect(page.locator("#offline-outing")).to_be_visible()
    expect(page.locator("[data-offline-due] .app-countdown__value")).to_have_text(
        __import__("re").compile(r"^\d+ h \d\d min$")
    )
    call = page.get_by_role("link", name="Call the unit")
    text = page.get_by_role("link", name='Text the unit "SOS"')
    emergency = page.get_by_role("link", name="Call 999")
    for link in (call, text, emergency):
        expect(link).to_be_visible()
        box = link.bounding_box()
        assert box["height"] >= 44 and box["y"] + box["height"] <= 740 * 2, box
    assert call.get_attribute("href") == "tel:01632960001"
    assert emergency.get_attribute("href") == "tel:999"
    body = unquote(text.get_attribute("href"))
    assert body.startswith("sms:01632960001?&body=SOS.")
    assert outing["worker"] in body and outing["destination"] in body
    axe(page)
    screenshot(page, "offline-page")
    page.context.set_offline(False)


def test_the_service_worker_caches_no_clinical_page(page, outing, log_in):
    _my_outing_with_worker_ready(page, log_in)
    for url in ("/", "/board", "/clients", "/out/mine", f"/out/{outing['id']}"):
        page.goto(url)
    cached = page.evaluate(
        """async () => {
            const urls = [];
            for (const name of await caches.keys()) {
                const cache = await caches.open(name);
                for (const request of await cache.keys()) urls.push(new URL(request.url).pathname);
            }
            return urls;
        }"""
    )
    assert "/offline" in cached
    assert all(path == "/offline" or path.startswith("/static/") for path in cached), cached


def test_im_back_pressed_offline_is_sent_once_when_the_signal_returns_and_the_outing_ends(
    app, page, outing, log_in, screenshot
):
    _my_outing_with_worker_ready(page, log_in)
    posts = []
    page.on(
        "requestfinished",
        lambda r: r.method == "POST" and r.url.endswith("/back") and posts.append(r.url),
    )
    page.context.set_offline(True)
    page.get_by_label("Your PIN").fill(PIN)
    page.get_by_role("button", name="I'm back").click()
    help_box = page.locator("#offline-help")
    expect(help_box).to_be_visible()
    expect(help_box).to_contain_text("has not been sent yet")
    expect(help_box.get_by_role("link", name="Call the unit")).to_be_visible()
    screenshot(page, "offline-im-back-queued")
    assert _outing(app, outing["id"])["checked_in_at"] is None

    page.context.set_offline(False)
    page.evaluate("window.dispatchEvent(new Event('online'))")  # as the phone does
    page.wait_for_url(lambda url: "/out/mine" not in url)
    page.wait_for_timeout(500)  # any second send would be on its way by now
    facts = _outing(app, outing["id"])
    assert facts["checked_in_at"] is not None and facts["checked_in"] == 1
    assert facts["pressed"] is not None and facts["pressed"] <= facts["checked_in_at"]
    assert len(posts) == 1, posts
    queued = page.evaluate(
        "Object.keys(localStorage).filter((k) => k.startsWith('waypoint:offline:'))"
    )
    assert queued == []


def test_sos_pressed_offline_says_it_has_not_been_sent_and_shows_the_fallbacks(
    app, page, outing, log_in, axe, screenshot
):
    _my_outing_with_worker_ready(page, log_in)
    page.context.set_offline(True)
    page.get_by_role("button", name="SOS", exact=True).click()
    help_box = page.locator("#offline-help")
    expect(help_box).to_be_visible()
    expect(help_box).to_contain_text("Your SOS has not been sent")
    for name in ("Call the unit", 'Text the unit "SOS"', "Call 999"):
        expect(help_box.get_by_role("link", name=name)).to_be_visible()
    axe(page)
    screenshot(page, "offline-sos")
    assert _outing(app, outing["id"])["sos"] == []
    page.context.set_offline(False)


def test_send_sos_now_with_the_signal_lost_after_the_confirm_shows_the_fallbacks(
    app, page, outing, log_in
):
    _my_outing_with_worker_ready(page, log_in)
    page.get_by_role("button", name="SOS", exact=True).click()
    send = page.get_by_role("button", name="Send SOS now")
    expect(send).to_be_visible()
    page.context.set_offline(True)
    send.click()
    expect(page.locator("#offline-help")).to_contain_text("Your SOS has not been sent")
    assert _outing(app, outing["id"])["sos"] == []
    page.context.set_offline(False)


def test_sos_sends_one_position_when_the_phone_allows_it(app, new_page, outing, log_in):
    page = new_page(
        permissions=["geolocation"],
        geolocation={"latitude": 52.62817, "longitude": 1.29293, "accuracy": 25},
    )
    _my_outing_with_worker_ready(page, log_in)
    page.get_by_role("button", name="SOS", exact=True).click()
    page.get_by_role("button", name="Send SOS now").click()
    expect(page.get_by_role("heading", name="SOS sent")).to_be_visible()
    assert _outing(app, outing["id"])["sos"] == [(52.62817, 1.29293, 25.0)]


def test_sos_without_location_permission_is_sent_at_once_without_a_position(
    app, page, outing, log_in
):
    _my_outing_with_worker_ready(page, log_in)  # no permission granted: the prompt never answers
    page.get_by_role("button", name="SOS", exact=True).click()
    started = page.evaluate("performance.now()")
    page.get_by_role("button", name="Send SOS now").click()
    expect(page.get_by_role("heading", name="SOS sent")).to_be_visible()
    waited = page.evaluate("performance.now()") - started
    assert waited < 4500, waited  # never held back long for a position
    assert _outing(app, outing["id"])["sos"] == [(None, None, None)]
