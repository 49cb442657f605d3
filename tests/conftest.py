"""Shared fixtures: one app per test session built from DATABASE_URL, a clean database per test.

SQLite (a file in a temporary folder) by default; PostgreSQL when DATABASE_URL is set. The
schema is built by running the real migrations from an empty database, so every test run also
proves the migrations.
"""

import os
import re
from datetime import date

import pytest
from bs4 import BeautifulSoup
from flask_migrate import upgrade
from sqlalchemy import text

from app import create_app
from app.auth.models import Unit, User
from app.clients.models import Client
from app.core import clock
from app.extensions import db, limiter

PASSWORD = "correct-horse-battery"


def _database_url(tmp_path_factory) -> str:
    url = os.environ.get("DATABASE_URL", "").strip()
    if url:
        from app.config import database_url

        return database_url(tmp_path_factory.getbasetemp())
    return f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.db'}"


def _reset_schema(app) -> None:
    with app.app_context():
        engine = db.engine
        if engine.dialect.name == "postgresql":
            with engine.begin() as conn:
                conn.execute(text("DROP SCHEMA public CASCADE"))
                conn.execute(text("CREATE SCHEMA public"))
        upgrade()


@pytest.fixture(scope="session")
def app(tmp_path_factory):
    app = create_app(
        {
            "TESTING": True,
            "SQLALCHEMY_DATABASE_URI": _database_url(tmp_path_factory),
            "SECRET_KEY": "test-secret-key-that-is-long-enough-0123456789",
            "SERVER_NAME": None,
        }
    )
    _reset_schema(app)
    return app


@pytest.fixture(autouse=True)
def clean_state(app):
    """Every test starts with empty tables, fresh rate limits and the real clock."""
    yield
    clock.set_clock(None)
    limiter.reset()
    with app.app_context():
        db.session.remove()
        tables = [t.name for t in reversed(db.metadata.sorted_tables)]
        with db.engine.begin() as conn:
            if db.engine.dialect.name == "postgresql":
                conn.execute(text(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE"))
            else:
                for name in tables:
                    conn.execute(text(f"DELETE FROM {name}"))


@pytest.fixture
def app_ctx(app):
    with app.app_context():
        yield
        db.session.remove()


class Web:
    """A test client that logs in, carries the CSRF token and parses HTML."""

    def __init__(self, client):
        self.client = client
        self._token: str | None = None

    def get(self, url: str, **kwargs):
        return self.client.get(url, **kwargs)

    def token(self) -> str:
        if self._token is None:
            page = self.client.get("/login" if not self.logged_in else "/")
            match = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page.get_data(as_text=True))
            if match is None:  # pages without a form carry it in hx-headers
                match = re.search(
                    r"X-CSRFToken&#34;: &#34;([^&]+)&#34;", page.get_data(as_text=True)
                )
            assert match, "no CSRF token on the page"
            self._token = match.group(1)
        return self._token

    @property
    def logged_in(self) -> bool:
        with self.client.session_transaction() as session:
            return "_user_id" in session

    def post(self, url: str, data: dict | None = None, htmx: bool = False, **kwargs):
        data = dict(data or {})
        data.setdefault("csrf_token", self.token())
        headers = kwargs.pop("headers", {})
        if htmx:
            headers["HX-Request"] = "true"
        return self.client.post(url, data=data, headers=headers, **kwargs)

    def login(self, user: User, password: str = PASSWORD):
        self._token = None
        response = self.post("/login", {"email": user.email, "password": password})
        assert response.status_code == 303, response.get_data(as_text=True)[:500]
        self._token = None
        return response


def soup(response) -> BeautifulSoup:
    return BeautifulSoup(response.get_data(as_text=True), "html.parser")


@pytest.fixture
def web(app):
    return Web(app.test_client())


def _persist(app, obj):
    """Save ``obj`` in its own app context and hand it back detached, attributes loaded.

    Requests in a test must not share an app context (and so ``g``) with the test itself.
    """
    with app.app_context():
        db.session.add(obj)
        db.session.commit()
        db.session.refresh(obj)
        db.session.expunge(obj)
    return obj


@pytest.fixture
def make_unit(app):
    def make(name: str = "The Beacon", short_name: str = "Beacon") -> Unit:
        return _persist(app, Unit(name=name, short_name=short_name))

    return make


@pytest.fixture
def unit(make_unit) -> Unit:
    return make_unit()


_counter = {"n": 0}


@pytest.fixture
def make_user(app, unit):
    def make(
        role: str = "ot", home_unit: Unit | None = None, active: bool = True, **fields
    ) -> User:
        _counter["n"] += 1
        user = User(
            name=fields.pop("name", f"Test {role.title()} {_counter['n']}"),
            email=fields.pop("email", f"{role}{_counter['n']}@example.com"),
            phone=fields.pop("phone", "07700 900000"),
            role=role,
            active=active,
            home_unit_id=(home_unit or unit).id,
            **fields,
        )
        user.set_password(PASSWORD)
        return _persist(app, user)

    return make


@pytest.fixture
def make_client(app, unit):
    from app.demo import demo_nhs_numbers

    numbers = iter(demo_nhs_numbers(200))

    def make(initials: str = "AB", home_unit: Unit | None = None, **fields) -> Client:
        client = Client(
            full_name=fields.pop("full_name", "Ada Byron"),
            preferred_name=fields.pop("preferred_name", ""),
            initials=initials,
            nhs_number=fields.pop("nhs_number", next(numbers)),
            room=fields.pop("room", "4"),
            unit_id=(home_unit or unit).id,
            admitted_on=fields.pop("admitted_on", date(2026, 1, 5)),
            **fields,
        )
        return _persist(app, client)

    return make


@pytest.fixture
def watcher_alive(app):
    """A heartbeat as if the lone-working watcher had just run."""
    from app.lone_working.escalation import beat

    with app.app_context():
        beat("test-watcher")


@pytest.fixture
def frozen_clock():
    """Set the app's clock: ``frozen_clock(datetime(...))``; move it with ``.advance``."""
    from datetime import timedelta

    class Frozen:
        def __init__(self):
            self.value = None

        def __call__(self, value):
            self.value = value
            clock.set_clock(lambda: self.value)
            return self

        def advance(self, **delta):
            self.value = self.value + timedelta(**delta)

    yield Frozen()
    clock.set_clock(None)  # a test that fails half-way must not leave later tests in its time


def in_ci() -> bool:
    return os.environ.get("CI") == "true"


def skip_or_fail(reason: str) -> None:
    """Skip locally; in CI every test must run (browser tests, PDF text), so a reason to skip
    is a failure there."""
    if in_ci():
        pytest.fail(f"{reason} (CI=true, so this test must run)", pytrace=False)
    pytest.skip(reason)
