"""A discovery-driven fuzz test: no bad input answers a 5xx, for any role.

It logs in as each role (and as nobody), finds the app's pages and forms itself (links from the
home page, every GET rule of the URL map with ids from the demo data, every <form> and hx-get /
hx-post on the pages it reaches, and every POST rule even if no page links to it), then sends
mutated values field by field. Any 5xx fails the test with (role, method, path, field, value).

FUZZ_REQUESTS sets how many requests it sends in all (default 600, a short run for `make test`;
CI sets 3000); FUZZ_SEED varies the random choices (default 13, so a run can be repeated).
"""

import os
import random
import re
from collections import defaultdict
from dataclasses import dataclass, field
from io import BytesIO
from urllib.parse import parse_qsl, urlencode, urlsplit

import pytest
from bs4 import BeautifulSoup
from sqlalchemy import select

from app.extensions import db, limiter

REQUESTS = int(os.environ.get("FUZZ_REQUESTS", "600"))
SEED = int(os.environ.get("FUZZ_SEED", "13"))
ROLES = [
    ("ot", "ot@example.com"),
    ("assistant", "assistant@example.com"),
    ("lead", "lead@example.com"),
    ("anonymous", None),
    ("admin", "admin@example.com"),  # last: it can change other accounts
]
# Never sent: they end the fuzzer's own session.
SKIP_ENDPOINTS = {"auth.logout", "static"}
PAGES_PER_ENDPOINT = 2
PAGES_PER_ROLE = 60

FILE = object()  # marker: send this field as an uploaded file
MISSING = object()  # marker: leave the field out
REPEATED = object()  # marker: send the field twice with different values
VALUES = [
    "",
    MISSING,
    "x" * 10_000,
    "a\x00b",
    "\x00",
    "²",
    "١٢",
    "１２",
    "12345678901234567890",
    "-1",
    "-12345678901234567890",
    "0",
    "2147483648",
    "2026-02-30",
    "25:61",
    "0001-01-01T00:00+05:00",
    "9999-12-31T23:59-05:00",
    "9999-12",
    "0000-00",
    "9999-12-31",
    "0001-01-01",
    REPEATED,
    FILE,
    "🙂 שלום مرحبا \u202e",
    "line\r\nbreak",
]
# Values aimed at what a field's own value looks like (a number, a date, a time, a month).
NUMBERS = ["12345678901234567890", "2147483648", "-1", "0", "²", "١٢", "", "1e3", " 7 "]
DATES = ["2026-02-30", "0001-01-01", "9999-12-31", "２０２６-01-01", "2026-13-01", ""]
TIMES = ["25:61", "24:00", "١٢:٣٠", "9:5", "23:59:59", ""]
MOMENTS = ["0001-01-01T00:00+05:00", "9999-12-31T23:59-05:00", "2026-02-30T10:00", "now"]
MONTHS = ["9999-12", "0000-00", "2026-13", "²⁰²⁶-01", "1-1"]
SHAPES = [
    (r"[0-9]+(,[0-9]+)*", NUMBERS),
    (r"[0-9]{4}-[0-9]{2}-[0-9]{2}", DATES),
    (r"[0-9]{1,2}:[0-9]{2}", TIMES),
    (r"[0-9]{4}-[0-9]{2}-[0-9]{2}T.*", MOMENTS),
    (r"[0-9]{4}-[0-9]{2}", MONTHS),
]
# Query-string names the views read that no link may show (a month for the CSV export, say).
QUERY_NAMES = ["month", "page", "client", "clients", "outing", "at", "place", "actor", "entity"]
ID_VALUES = ["12345678901234567890", "2147483648", "0", "%C2%B2", "%D9%A1"]
# A value for an empty box, so that a form can pass validation and reach the code behind it.
FILLERS = {"email": "fuzz@example.com", "tel": "07700 900123", "date": "", "time": "12:00"}
HX_ATTRS = ("hx-post", "hx-get")


@dataclass
class Form:
    method: str
    path: str
    fields: list[tuple[str, str]] = field(default_factory=list)  # (name, a sensible value)
    htmx: bool = False
    extra: list[tuple[str, str]] = field(default_factory=list)  # unticked boxes, other names

    def key(self) -> tuple:
        return (self.method, self.path, tuple(sorted({n for n, _ in self.fields})))


@dataclass
class Found:
    pages: list[str] = field(default_factory=list)
    forms: dict[tuple, Form] = field(default_factory=dict)


class Fuzzer:
    def __init__(self, app, rng: random.Random, budget: int):
        self.app = app
        self.rng = rng
        self.budget = budget
        self.sent = 0
        self.failures: list[tuple] = []
        self.adapter = app.url_map.bind("localhost")

    # --- sending -------------------------------------------------------------------------

    def send(self, client, role, method, url, data=None, *, what=("", ""), htmx=False):
        self.sent += 1
        headers = {"HX-Request": "true"} if htmx else {}
        try:
            if method == "GET":
                response = client.get(url, headers=headers)
            else:
                response = client.post(url, data=data, headers=headers)
        except Exception as error:  # noqa: BLE001 - an unhandled error is what we look for
            self.failures.append((role, method, url, *what, f"raised {error!r}"[:300]))
            return None
        if response.status_code >= 500 and not (response.status_code == 503 and url == "/healthz"):
            # /healthz answers 503 by design while the lone-working watcher is not running.
            self.failures.append((role, method, url, *what, response.status_code))
        return response

    def left(self) -> int:
        return self.budget - self.sent

    # --- discovery -----------------------------------------------------------------------

    def endpoint(self, path: str) -> str | None:
        try:
            return self.adapter.match(urlsplit(path).path, method="GET")[0]
        except Exception:  # noqa: BLE001
            try:
                return self.adapter.match(urlsplit(path).path, method="POST")[0]
            except Exception:  # noqa: BLE001
                return None

    def url_map_pages(self, samples: dict[str, list[int]]) -> list[str]:
        """Every GET rule, with ids from the demo data for the rule's arguments."""
        urls = []
        for rule in self.app.url_map.iter_rules():
            if "GET" not in rule.methods or rule.endpoint in SKIP_ENDPOINTS:
                continue
            urls.extend(self.build(rule, samples))
        return urls

    def build(self, rule, samples) -> list[str]:
        values = {}
        for arg in rule.arguments:
            pool = samples.get(arg) or samples.get("*", [1])
            values[arg] = pool
        if not values:
            return [rule.rule]
        urls = []
        for i in range(2):
            chosen = {a: pool[(i * 7 + len(a)) % len(pool)] for a, pool in values.items()}
            try:
                urls.append(self.adapter.build(rule.endpoint, chosen))
            except Exception:  # noqa: BLE001 - an argument we cannot guess
                continue
        return urls

    def crawl(self, client, role, start: list[str]) -> Found:
        found = Found()
        queue = list(dict.fromkeys(start))
        seen: set[str] = set()
        per_endpoint: dict[str, int] = defaultdict(int)
        while queue and len(found.pages) < PAGES_PER_ROLE and self.left() > 0:
            url = queue.pop(0)
            endpoint = self.endpoint(url)
            if url in seen or endpoint is None or endpoint in SKIP_ENDPOINTS:
                continue
            seen.add(url)
            if per_endpoint[endpoint] >= PAGES_PER_ENDPOINT:
                continue
            per_endpoint[endpoint] += 1
            response = self.send(client, role, "GET", url, what=("(page)", ""))
            if response is None or response.status_code != 200:
                continue
            found.pages.append(url)
            if not response.mimetype.startswith("text/html"):
                continue
            page = BeautifulSoup(response.get_data(as_text=True), "html.parser")
            for link in _links(page):
                if link not in seen:
                    queue.append(link)
            for form in _forms(page, url):
                found.forms.setdefault(form.key(), form)
        return found

    # --- mutation ------------------------------------------------------------------------

    def mutate_form(self, client, role, form: Form, token: str) -> None:
        pool = [*form.fields, *form.extra]
        names = sorted({n for n, _ in pool if n != "csrf_token"}) or ["x"]
        name = self.rng.choice(names)
        sample = next((v for n, v in pool if n == name), "")
        shaped = [values for shape, values in SHAPES if re.fullmatch(shape, sample)]
        if shaped and self.rng.random() < 0.5:
            value = self.rng.choice(shaped[-1])
        else:
            value = self.rng.choice(VALUES)
        data = _with_token(form.fields, token)
        if form.method == "GET":
            data = [(n, v) for n, v in data if n != "csrf_token"]
        shown = value if isinstance(value, str) else _marker_name(value)
        if value is MISSING:
            data = [(n, v) for n, v in data if n != name]
        elif value is REPEATED:
            data = [*data, (name, self.rng.choice(["1", "²", "x" * 300, ""]))]
        elif value is FILE:
            data = [(n, v) for n, v in data if n != name]
            data.append((name, (BytesIO(b"not a text field"), "evil.txt")))
        else:
            data = [(n, v) for n, v in data if n != name] + [(name, value)]
        if form.method == "GET":
            query = urlencode([(n, v) for n, v in data if isinstance(v, str)])
            self.send(client, role, "GET", f"{form.path}?{query}", what=(name, shown[:40]))
        else:
            self.send(
                client,
                role,
                "POST",
                form.path,
                _multidict(data),
                what=(name, shown[:40]),
                htmx=form.htmx and self.rng.random() < 0.5,
            )

    def mutate_path(self, client, role, samples, token: str) -> None:
        """A rule with an id, the id replaced by one too long, too large or not ASCII."""
        rules = [r for r in self.app.url_map.iter_rules() if r.arguments and r.endpoint != "static"]
        rule = self.rng.choice(rules)
        good = self.build(rule, samples)
        if not good:
            return
        url = good[0]
        arg = self.rng.choice(sorted(rule.arguments))
        bad = self.rng.choice(ID_VALUES)
        parts = url.split("/")
        digits = [i for i, p in enumerate(parts) if p.isascii() and p.isdigit()]
        if not digits:
            return
        parts[self.rng.choice(digits)] = bad
        url = "/".join(parts)
        method = "POST" if "POST" in rule.methods and self.rng.random() < 0.6 else "GET"
        data = {"csrf_token": token} if method == "POST" else None
        self.send(client, role, method, url, data, what=(f"<{arg}>", bad))


def _multidict(pairs):
    from werkzeug.datastructures import MultiDict

    return MultiDict(pairs)


def _marker_name(value) -> str:
    return {id(FILE): "<file>", id(MISSING): "<missing>", id(REPEATED): "<repeated>"}[id(value)]


def _with_token(fields, token):
    return [(n, token if n == "csrf_token" else v) for n, v in fields] + (
        [] if any(n == "csrf_token" for n, _ in fields) else [("csrf_token", token)]
    )


def _local(url: str | None) -> str | None:
    if not url or url.startswith(("#", "mailto:", "tel:", "javascript:")):
        return None
    parts = urlsplit(url)
    if parts.scheme or parts.netloc or not parts.path.startswith("/"):
        return None
    if parts.path.startswith("/static/"):
        return None
    return parts.path + (f"?{parts.query}" if parts.query else "")


def _links(page) -> list[str]:
    links = []
    for tag in page.find_all(["a", "link"], href=True):
        local = _local(tag["href"])
        if local and tag.name == "a":
            links.append(local)
    for tag in page.find_all(attrs={"hx-get": True}):
        if tag.name != "form":
            local = _local(tag["hx-get"])
            if local:
                links.append(local)
    return links


def _field_value(tag) -> str:
    if tag.name == "textarea":
        return tag.get_text()
    if tag.name == "select":
        options = tag.find_all("option")
        chosen = next((o for o in options if o.has_attr("selected")), None)
        chosen = chosen or next((o for o in options if o.get("value")), None)
        return (chosen.get("value") if chosen else "") or ""
    return tag.get("value", "")


def _fields_of(container) -> list[tuple[str, str]]:
    return _read_fields(container)[0]


def _read_fields(container) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    """(what the form sends as it stands, boxes it could also send: unticked checkboxes)."""
    fields: list[tuple[str, str]] = []
    extra: list[tuple[str, str]] = []
    radios_done: set[str] = set()
    for tag in container.find_all(["input", "textarea", "select", "button"]):
        name = tag.get("name")
        if not name:
            continue
        kind = (tag.get("type") or "").lower()
        if tag.name == "button" or kind in ("submit", "button"):
            if tag.get("value") and not any(n == name for n, _ in fields):
                fields.append((name, tag["value"]))
            continue
        if kind in ("radio", "checkbox"):
            if kind == "radio" and name in radios_done:
                continue
            if kind == "radio" or tag.has_attr("checked"):
                radios_done.add(name)
                fields.append((name, tag.get("value", "on")))
            else:
                extra.append((name, tag.get("value", "on")))
            continue
        value = _field_value(tag)
        if not value and tag.name in ("input", "textarea") and kind != "hidden":
            value = FILLERS.get(kind, "Fuzz text") if kind != "password" else ""
        fields.append((name, value))
    return fields, extra


def _forms(page, page_url: str) -> list[Form]:
    forms = []
    for tag in page.find_all("form"):
        method = (tag.get("method") or "GET").upper()
        action = tag.get("hx-post") or tag.get("hx-get") or tag.get("action") or page_url
        if tag.get("hx-post"):
            method = "POST"
        local = _local(action)
        if local is None:
            continue
        path, _, query = local.partition("?")
        fields, extra = _read_fields(tag)
        if method == "GET" and query:
            fields = parse_qsl(query, keep_blank_values=True) + fields
            local = path
        htmx = any(tag.get(a) for a in HX_ATTRS)
        forms.append(Form(method, local, fields, htmx=htmx, extra=extra))
    for tag in page.find_all(attrs={"hx-post": True}):
        if tag.name == "form":
            continue
        local = _local(tag["hx-post"])
        if local:
            container = tag.find_parent("form") or tag
            forms.append(Form("POST", local, _fields_of(container), htmx=True))
    for link in _links(page):
        path, _, query = link.partition("?")
        others = [(name, "") for name in QUERY_NAMES]
        forms.append(Form("GET", path, parse_qsl(query, keep_blank_values=True), extra=others))
    return forms


def _samples(app) -> dict[str, list[int]]:
    """Ids for URL arguments, from the seeded demo data; ``*`` for arguments we do not know."""
    from app.auth.models import Unit, User
    from app.clients.models import Client, ClientGoal
    from app.lone_working.models import EscalationStep, Outing
    from app.notes.models import Note

    models = {
        "client_id": Client,
        "goal_id": ClientGoal,
        "note_id": Note,
        "outing_id": Outing,
        "step_id": EscalationStep,
        "user_id": User,
        "unit_id": Unit,
    }
    with app.app_context():
        samples = {
            arg: list(db.session.scalars(select(model.id).order_by(model.id).limit(10)))
            for arg, model in models.items()
        }
        samples["field"] = ["support_given", "risks"]
    samples["*"] = sorted({i for ids in samples.values() for i in ids if isinstance(i, int)})[:10]
    return {k: v or [1] for k, v in samples.items()}


def _token(client) -> str:
    page = client.get("/login").get_data(as_text=True)
    if "csrf_token" not in page:
        page = client.get("/").get_data(as_text=True)
    match = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page) or re.search(
        r"X-CSRFToken&#34;: &#34;([^&]+)&#34;", page
    )
    return match.group(1) if match else ""


def _login(app, email: str | None):
    from app.demo import DEMO_PASSWORD

    limiter.reset()  # the fuzzing of /login must not lock the next role out
    client = app.test_client()
    if email is None:
        return client, _token(client)
    token = _token(client)
    client.post("/login", data={"email": email, "password": DEMO_PASSWORD, "csrf_token": token})
    return client, _token(client)


@pytest.fixture
def demo(app):
    from app.demo import seed_demo

    with app.app_context():
        seed_demo()
        db.session.remove()


def test_no_input_from_any_role_answers_a_server_error(app, demo):
    rng = random.Random(SEED)
    fuzzer = Fuzzer(app, rng, REQUESTS)
    samples = _samples(app)
    share = REQUESTS // len(ROLES)
    page_kinds: set[str] = set()
    form_kinds: set[tuple] = set()
    for number, (role, email) in enumerate(ROLES):
        stop_at = REQUESTS if number == len(ROLES) - 1 else share * (number + 1)
        client, token = _login(app, email)
        found = fuzzer.crawl(client, role, ["/", *fuzzer.url_map_pages(samples)])
        page_kinds |= {fuzzer.endpoint(p) for p in found.pages}
        forms = list(found.forms.values())
        # Every POST rule is fuzzed, whether or not a page this role sees has its form.
        known = {(f.method, fuzzer.endpoint(f.path)) for f in forms}
        for rule in app.url_map.iter_rules():
            unseen = ("POST", rule.endpoint) not in known
            if "POST" in rule.methods and rule.endpoint not in SKIP_ENDPOINTS and unseen:
                forms += [Form("POST", url, [("x", "1")]) for url in fuzzer.build(rule, samples)]
        form_kinds |= {(f.method, fuzzer.endpoint(f.path)) for f in forms}
        rounds = 0
        while forms and fuzzer.sent < stop_at:
            rounds += 1
            if rng.random() < 0.15:
                fuzzer.mutate_path(client, role, samples, token)
            else:
                fuzzer.mutate_form(client, role, rng.choice(forms), token)
            if rounds % 25 == 0:
                # A mutation may have ended this session (a password change, say): log in again.
                with client.session_transaction() as session:
                    lost = email is not None and "_user_id" not in session
                if lost:
                    client, token = _login(app, email)
    print(
        f"\nfuzz: {fuzzer.sent} requests (seed {SEED}), {len(page_kinds)} page kinds, "
        f"{len(form_kinds)} form kinds, {len(fuzzer.failures)} server errors"
    )
    report = "\n".join(" | ".join(str(part) for part in f) for f in fuzzer.failures[:80])
    assert not fuzzer.failures, (
        f"{len(fuzzer.failures)} server errors (role | method | path | field | value | status):\n"
        + report
    )
    assert fuzzer.sent >= REQUESTS * 0.95, "the fuzzer ran out of things to send"
