"""Browser fixtures: the app on a live server, headless Chromium at 360x740, and page checks.

Chromium is Debian's (`apt-get install chromium`), found on PATH; Playwright only drives it, so
`playwright install` is never needed. Locally a missing Chromium skips these tests; in CI
(CI=true) it, and any other skip in this folder, fails the run instead.
"""

import functools
import shutil
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from werkzeug.serving import make_server

from app.extensions import db
from tests.conftest import in_ci, skip_or_fail

ROOT = Path(__file__).resolve().parents[2]
AXE_SCRIPT = ROOT / "node_modules" / "axe-core" / "axe.min.js"
SCREENSHOTS = ROOT / "test-artifacts" / "screenshots"

CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
PHONE = {
    "viewport": {"width": 360, "height": 740},
    "device_scale_factor": 1,
    "is_mobile": True,
    "has_touch": True,
    "locale": "en-GB",
    "timezone_id": "Europe/London",
}
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
AXE_BLOCKING = {"serious", "critical"}
# Rules outside the WCAG tags that must also pass whatever their impact: "region" (every piece
# of a page inside a landmark, the back link included).
AXE_EXTRA_RULES = ("region",)


def _fail_skips_in_ci(report):
    if in_ci() and report.skipped and not hasattr(report, "wasxfail"):
        reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else report.longrepr
        report.outcome = "failed"
        report.longrepr = f"Browser tests may not be skipped in CI (CI=true): {reason}"
    return report


# Hooks in this conftest only see this folder: in CI no browser test or module may be skipped.
@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    return _fail_skips_in_ci((yield))


@pytest.hookimpl(wrapper=True)
def pytest_make_collect_report(collector):
    return _fail_skips_in_ci((yield))


# --- the app on a live server --------------------------------------------------------------


class InFlight:
    """WSGI middleware that counts the requests the live server is still answering.

    A page closed at the end of a test may have left a request (a poll, a queued send) being
    answered in the server's thread, inside a database transaction; the table wipe after the
    test must not race it (on PostgreSQL its TRUNCATE deadlocked with such a request, and the
    next test then found the last one's rows)."""

    def __init__(self, app):
        self.app = app
        self.answering: dict[int, str] = {}
        self.idle = threading.Condition()

    def __call__(self, environ, start_response):
        key = id(environ)
        with self.idle:
            self.answering[key] = f"{environ['REQUEST_METHOD']} {environ.get('PATH_INFO')}"

        def done() -> None:
            with self.idle:
                self.answering.pop(key, None)
                self.idle.notify_all()

        try:
            answer = self.app(environ, start_response)
        except BaseException:
            done()
            raise
        return self._body(answer, done)

    @staticmethod
    def _body(answer, done):
        # Done once the body is out, not at close(): the dev server closes only after reading
        # what is left of the socket, which lasts as long as the browser keeps it open.
        try:
            yield from answer
        finally:
            done()
            if hasattr(answer, "close"):
                answer.close()

    def wait_until_idle(self, timeout: float) -> list[str]:
        """What is still being answered after ``timeout`` seconds (nothing, normally)."""
        with self.idle:
            self.idle.wait_for(lambda: not self.answering, timeout)
            return sorted(self.answering.values())


IN_FLIGHT: dict[str, InFlight] = {}


@pytest.fixture(autouse=True)
def no_request_outlives_its_test():
    """After each browser test (its pages closed first), wait for the live server to finish
    what it was answering, before the table wipe in tests/conftest.py runs."""
    yield
    server = IN_FLIGHT.get("server")
    if server is not None:
        assert server.wait_until_idle(15) == [], "the live server still answers these 15 s on"


@pytest.fixture(scope="session")
def live_server(app) -> Iterator[str]:
    """The session's test app served on a free port of 127.0.0.1 from a background thread."""
    counted = IN_FLIGHT["server"] = InFlight(app)
    server = make_server("127.0.0.1", 0, counted, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="waypoint-live-server", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(timeout=5)
        server.server_close()
        IN_FLIGHT.pop("server", None)


@pytest.fixture
def demo(app):
    """The demo Trust (units, staff, clients) in the test database for this test."""
    from app.demo import seed_demo

    with app.app_context():
        seed_demo()
        db.session.remove()


# --- Chromium ------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def chromium():
    executable = shutil.which("chromium")
    if executable is None:
        skip_or_fail(
            "Chromium is not on PATH: install Debian's package with `apt-get install chromium` "
            "to run the browser tests (see README)"
        )
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        skip_or_fail(
            "the playwright Python package is not installed (pip install -r requirements-dev.txt)"
        )
    playwright = sync_playwright().start()
    try:
        browser = playwright.chromium.launch(
            executable_path=executable, headless=True, args=CHROMIUM_ARGS
        )
    except Exception as error:
        playwright.stop()
        skip_or_fail(f"Chromium at {executable} would not start: {error}")
    yield browser
    browser.close()
    playwright.stop()


@dataclass
class PageLog:
    """What a page said on the console, threw, or failed to load."""

    console: list = field(default_factory=list)
    errors: list = field(default_factory=list)
    bad_responses: list = field(default_factory=list)


LOGS: dict = {}


def log_of(page) -> PageLog:
    return LOGS[page]


@pytest.fixture
def new_page(chromium, live_server) -> Iterator[Callable]:
    """``new_page(**context_options)``: a page in a fresh phone-sized context, watched."""
    contexts = []

    def make(**options):
        context = chromium.new_context(**{**PHONE, "base_url": live_server, **options})
        context.set_default_timeout(5_000)
        contexts.append(context)
        page = context.new_page()
        log = LOGS[page] = PageLog()
        page.on("console", lambda message: log.console.append(message))
        page.on("pageerror", lambda error: log.errors.append(error))
        page.on(
            "response",
            lambda response: response.status >= 400 and log.bad_responses.append(response),
        )
        return page

    yield make
    for context in contexts:
        for page in context.pages:
            LOGS.pop(page, None)
        context.close()


@pytest.fixture
def page(new_page):
    return new_page()


@pytest.fixture
def log_in():
    """``log_in(page, email)``: through the login form, as a person would."""
    from app.demo import DEMO_PASSWORD

    def log_in(page, email: str, password: str = DEMO_PASSWORD) -> None:
        if "/login" not in page.url:
            page.goto("/login")
        page.get_by_label("Email address").fill(email)
        page.get_by_label("Password").fill(password)
        page.get_by_role("button", name="Log in").click()
        page.wait_for_url(lambda url: "/login" not in url)

    return log_in


# --- checks --------------------------------------------------------------------------------


def _describe_console(message) -> str:
    where = message.location or {}
    place = f" ({where.get('url', '')}:{where.get('lineNumber', '')})" if where.get("url") else ""
    return f"[{message.type}] {message.text}{place}"


def assert_no_csp_violations_or_js_errors(page, expected_statuses: tuple[int, ...] = ()) -> None:
    """No Content-Security-Policy violation, no uncaught error, no console error, no broken load.

    ``expected_statuses`` are response codes the test caused on purpose (422 for a form with
    errors); Chromium logs those as "Failed to load resource", which is not a fault.
    """
    log = log_of(page)
    csp = [m for m in log.console if "content security policy" in m.text.lower()]
    expected = tuple(f"status of {status}" for status in expected_statuses)
    console_errors = [
        m
        for m in log.console
        if m.type == "error"
        and m not in csp
        and not (
            m.text.startswith("Failed to load resource") and any(e in m.text for e in expected)
        )
    ]
    bad = [r for r in log.bad_responses if r.status not in expected_statuses]
    problems = (
        [f"CSP violation: {_describe_console(m)}" for m in csp]
        + [f"JavaScript error: {error}" for error in log.errors]
        + [f"Console error: {_describe_console(m)}" for m in console_errors]
        + [f"HTTP {r.status} for {r.request.method} {r.url}" for r in bad]
    )
    assert not problems, f"Problems on {page.url}:\n  " + "\n  ".join(problems)


@pytest.fixture
def assert_clean():
    return assert_no_csp_violations_or_js_errors


@pytest.fixture
def page_log():
    """``page_log(page)``: what a page logged, to forget failures a test caused on purpose."""
    return log_of


@functools.cache
def _axe_source() -> str:
    if not AXE_SCRIPT.exists():
        skip_or_fail(f"{AXE_SCRIPT.relative_to(ROOT)} is missing: run `npm ci`")
    return AXE_SCRIPT.read_text(encoding="utf-8")


def format_violations(violations: list[dict]) -> str:
    lines = []
    for violation in violations:
        lines.append(
            f"{violation['impact'].upper()} {violation['id']}: {violation['help']}"
            f" ({violation['helpUrl']})"
        )
        for node in violation["nodes"]:
            target = " ".join(str(part) for part in node["target"])
            lines.append(f"    at {target}")
            lines.append(f"       {node['html'][:200]}")
            summary = (node.get("failureSummary") or "").replace("\n", "\n         ")
            if summary:
                lines.append(f"         {summary}")
    return "\n".join(lines)


def assert_accessible(page) -> None:
    """axe-core (WCAG 2.0/2.1 A and AA, 2.2 AA) finds nothing serious or critical, and nothing
    outside a landmark (the "region" rule).

    axe is evaluated through the DevTools protocol rather than added as a script tag, so the
    page's own Content-Security-Policy (no inline scripts) stays in force.
    """
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.evaluate(_axe_source())
    results = page.evaluate(
        """async ([tags, extra]) => {
            const rules = Object.fromEntries(extra.map((id) => [id, {enabled: true}]));
            const results = await axe.run(document, {runOnly: {type: 'tag', values: tags}, rules});
            return results.violations.map((v) => ({
                id: v.id, impact: v.impact, help: v.help, helpUrl: v.helpUrl,
                nodes: v.nodes.map((n) => ({
                    target: n.target, html: n.html, failureSummary: n.failureSummary,
                })),
            }));
        }""",
        [AXE_TAGS, list(AXE_EXTRA_RULES)],
    )
    blocking = [v for v in results if v["impact"] in AXE_BLOCKING or v["id"] in AXE_EXTRA_RULES]
    assert not blocking, f"axe found accessibility problems on {page.url}:\n" + format_violations(
        blocking
    )


@pytest.fixture
def axe():
    return assert_accessible


def save_screenshot(page, name: str) -> Path:
    """A full-page PNG in test-artifacts/screenshots/<name>.png (gitignored)."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


@pytest.fixture
def screenshot():
    return save_screenshot
