"""Bad input is a 4xx with a clear message and the rest of what was typed kept, never a 500
(issue 13 item 3). Each test here answered 500, or quietly accepted the input, before."""

from datetime import UTC, datetime, timedelta
from io import BytesIO

import pytest
from sqlalchemy import select
from werkzeug.routing.converters import NumberConverter

from app.auth.models import User
from app.core import clock
from app.core.forms import MAX_ID, coerce_id, is_ascii_digits, parse_id, parse_id_list
from app.core.security import IdConverter
from app.extensions import db
from app.lone_working.models import Outing
from app.notes.models import Note
from tests.conftest import soup
from tests.notes.conftest import NOW, complete_form, new_key

TOO_LONG = "12345678901234567890"  # 20 digits: past SQLite's integer, let alone PostgreSQL's


@pytest.fixture
def now(frozen_clock):
    return frozen_clock(NOW)


def _text(response) -> str:
    return soup(response).get_text(" ", strip=True)


# --- the parsers ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("1", 1),
        (" 42 ", 42),
        (str(MAX_ID), MAX_ID),
        (str(MAX_ID + 1), None),
        (TOO_LONG, None),
        ("0", None),
        ("-3", None),
        ("+3", None),
        ("²", None),
        ("١٢", None),
        ("１２", None),
        ("", None),
        (None, None),
        ("3\x00", None),
        (7, 7),
    ],
)
def test_a_record_id_is_ascii_digits_from_1_to_2_to_the_31_minus_1(value, expected):
    assert parse_id(value) == expected


def test_an_id_list_keeps_valid_ids_once_and_drops_the_rest():
    assert parse_id_list(f"3, 5,3,²,{TOO_LONG},-1,,8") == [3, 5, 8]


def test_a_select_of_records_refuses_what_is_not_an_id():
    assert coerce_id("0") == 0 and coerce_id("12") == 12
    for bad in ("²", "١", TOO_LONG, "-1", "1.0"):
        with pytest.raises(ValueError):
            coerce_id(bad)


def test_only_ascii_digits_are_digits():
    assert is_ascii_digits("0123456789")
    assert not any(is_ascii_digits(v) for v in ("²", "١٢٣", "１２", "", "1 2"))


@pytest.mark.parametrize(
    "text",
    [
        "0001-01-01T00:00+05:00",
        "9999-12-31T23:59-05:00",
        "2026-02-30T10:00",
        "２０２６-01-01T10:00",
    ],
)
def test_a_date_and_time_out_of_range_or_not_real_is_refused_not_overflowed(text):
    with pytest.raises(ValueError):
        clock.parse_datetime(text)


def test_a_date_and_time_without_a_zone_is_uk_time_and_comes_back_in_utc():
    assert clock.parse_datetime("2026-07-01T10:00") == datetime(2026, 7, 1, 9, 0, tzinfo=UTC)
    assert clock.parse_datetime("2026-12-01T10:00Z") == datetime(2026, 12, 1, 10, 0, tzinfo=UTC)


@pytest.mark.parametrize("text", ["9999-12", "0000-00", "2026-13", "1899-12", "²⁰²⁶-01"])
def test_a_month_outside_the_range_is_refused(text):
    with pytest.raises(ValueError):
        clock.parse_month(text)


@pytest.mark.parametrize("text", ["25:61", "24:00", "١٢:٣٠", "9", ""])
def test_a_time_that_is_not_on_the_24_hour_clock_is_refused(text):
    with pytest.raises(ValueError):
        clock.parse_time(text)


# --- ids in URLs ---------------------------------------------------------------------------


def test_every_route_with_an_id_uses_the_one_id_converter(app):
    for rule in app.url_map.iter_rules():
        for name, converter in rule._converters.items():
            assert not isinstance(converter, NumberConverter), (
                f"{rule.rule}: <{name}> uses werkzeug's number converter; use <id:{name}>"
            )
    with_ids = [r for r in app.url_map.iter_rules() if r.arguments - {"filename", "field"}]
    assert with_ids and all(
        isinstance(c, IdConverter)
        for r in with_ids
        for n, c in r._converters.items()
        if n.endswith("_id")
    )


@pytest.mark.parametrize("bad", [TOO_LONG, str(MAX_ID + 1), "%D9%A1", "%C2%B2", "0"])
def test_an_id_in_a_url_that_is_not_a_record_id_is_not_found(web, make_user, make_client, bad):
    make_client("AB")  # id 1 exists: '١' (Arabic-Indic one) used to open it
    web.login(make_user("lead"))
    for url in (f"/clients/{bad}", f"/notes/client/{bad}", f"/out/{bad}", f"/notes/{bad}"):
        assert web.get(url).status_code == 404, url
    assert web.post(f"/out/{bad}/back", {}).status_code == 404


# --- ids and numbers in query strings and forms --------------------------------------------


def test_query_string_ids_that_are_not_ids_are_ignored_or_not_found(web, make_user, make_client):
    client = make_client("AB")
    web.login(make_user("lead"))
    assert web.get(f"/notes/new?client={TOO_LONG}").status_code == 404
    assert web.get(f"/notes/new?client={client.id}&outing=²").status_code == 200
    page = web.get(f"/notes/from-outing?clients={client.id},²,{TOO_LONG}&outing={TOO_LONG}")
    assert page.status_code == 200 and "AB" in _text(page)
    for query in ("actor=²", f"actor={TOO_LONG}", "page=²", f"page={TOO_LONG}", "actor=١"):
        assert web.get(f"/audit?{query}").status_code == 200, query


def test_form_ids_that_are_not_ids_are_field_errors_that_keep_the_rest(
    app, web, make_user, make_client
):
    worker, buddy = make_user("ot"), make_user("lead")
    make_client("AB")
    web.login(worker)
    data = {
        "destination": "Central Library",
        "transport": "Walking",
        "contact_number": "07700 900111",
        "return_in": "60",
        "buddy_id": str(buddy.id),
        "client_ids": TOO_LONG,
        "coworker_ids": TOO_LONG,  # used to reach the database: "is this person out?"
    }
    response = web.post("/out/new", data)
    assert response.status_code == 422
    page = soup(response)
    assert page.select_one("#destination")["value"] == "Central Library"
    assert "Choose staff from the list" in page.get_text()
    with app.app_context():
        assert db.session.scalar(select(Outing)) is None


def test_a_check_out_with_an_empty_client_list_works(app, web, make_user):
    worker, buddy = make_user("ot"), make_user("lead")
    web.login(worker)
    data = {
        "destination": "Central Library",
        "transport": "Walking",
        "contact_number": "07700 900111",
        "return_in": "60",
        "buddy_id": str(buddy.id),
        "client_ids": "",
        "coworker_ids": "",
    }
    assert web.post("/out/new", data).status_code == 303
    with app.app_context():
        outing = db.session.scalars(select(Outing)).one()
        assert outing.clients == [] and outing.coworkers == []


def test_a_new_account_with_an_empty_cover_units_list_is_created(app, web, make_user, unit):
    web.login(make_user("admin"))
    data = {
        "name": "Morag Fenwick",
        "email": "morag.fenwick@example.com",
        "phone": "07700 900222",
        "role": "ot",
        "home_unit_id": str(unit.id),
        "cover_unit_ids": "",
        "password": "a-long-enough-password",
        "active": "y",
    }
    assert web.post("/staff/new", data).status_code == 303
    with app.app_context():
        person = db.session.scalar(select(User).where(User.email == "morag.fenwick@example.com"))
        assert person is not None and person.cover_units == []


def test_a_pin_in_other_scripts_digits_is_refused(app, web, make_user):
    person = make_user("ot")
    web.login(person)
    response = web.post(
        "/profile",
        {"phone": "07700 900000", "checkin_pin": "١٢٣٤", "password": "correct-horse-battery"},
    )
    assert response.status_code == 422
    assert "PIN must be 4 to 6 digits" in _text(response)
    with app.app_context():
        assert db.session.get(User, person.id).checkin_pin_hash in (None, "")


def test_an_nhs_number_with_a_superscript_digit_is_a_field_error(web, make_user, unit):
    web.login(make_user("admin"))
    response = web.post(
        "/clients/new",
        {
            "full_name": "Ada Byron",
            "initials": "AB",
            "nhs_number": "999100000²",
            "unit_id": str(unit.id),
            "key_worker_id": "0",
            "admitted_on": "2026-01-05",
        },
    )
    assert response.status_code == 422
    page = soup(response)
    assert "NHS number must contain only numbers" in page.get_text()
    assert page.select_one("#full_name")["value"] == "Ada Byron"


# --- notes: dates, times, durations --------------------------------------------------------


def test_a_duration_in_other_scripts_digits_is_a_field_error(web, make_user, make_client, now):
    client = make_client("AB")
    web.login(make_user("ot"))
    response = web.post("/notes/new", complete_form(client.id, duration_minutes="٩٠"))
    assert response.status_code == 422
    page = soup(response)
    assert "number of minutes" in page.get_text()
    assert page.select_one("#place")["value"] == "Sainsbury's, St Albans"


@pytest.mark.parametrize("minutes", [TOO_LONG, "5000", "-1"])
def test_autosave_checks_the_duration_as_save_does(app, web, make_user, make_client, now, minutes):
    client = make_client("AB")
    web.login(make_user("ot"))
    data = {"idempotency_key": new_key(), "client_id": client.id, "went_well": "Found it"}
    response = web.post("/notes/autosave", {**data, "duration_minutes": minutes}, htmx=True)
    assert response.status_code == 200  # the rest is saved; the bad number is not
    with app.app_context():
        note = db.session.scalars(select(Note)).one()
        assert note.went_well == "Found it" and note.duration_minutes is None


def test_a_date_outside_1900_to_2100_is_a_field_error_not_a_stored_note(
    app, web, make_user, make_client, now
):
    client = make_client("AB")
    web.login(make_user("ot"))
    response = web.post("/notes/new", complete_form(client.id, activity_date="0001-01-01"))
    assert response.status_code == 422
    assert "Enter a real date for the activity" in _text(response)
    with app.app_context():
        assert db.session.scalar(select(Note)) is None


@pytest.mark.parametrize("at", ["0001-01-01T00:00+05:00", "9999-12-31T23:59-05:00", "2026-02-30"])
def test_an_outing_time_that_would_overflow_is_ignored_by_the_new_note_form(
    web, make_user, make_client, now, at
):
    client = make_client("AB")
    web.login(make_user("ot"))
    response = web.get("/notes/new", query_string={"client": client.id, "at": at})
    assert response.status_code == 200
    assert soup(response).select_one("#activity_date")["value"] == "2026-03-10"  # today


def test_an_outing_time_in_the_query_string_still_fills_the_form(web, make_user, make_client, now):
    client = make_client("AB")
    web.login(make_user("ot"))
    at = (NOW - timedelta(hours=2)).isoformat()
    page = soup(web.get("/notes/new", query_string={"client": client.id, "at": at}))
    assert page.select_one("#activity_time")["value"] == "13:30"


# --- the CSV export month -------------------------------------------------------------------


@pytest.mark.parametrize("month", ["9999-12", "0000-00", "2026-13", "²⁰²⁶-01"])
def test_an_export_month_out_of_range_is_a_400_that_says_why(web, make_user, month):
    web.login(make_user("lead"))
    response = web.get(f"/out/export.csv?month={month}")
    assert response.status_code == 400
    assert "Enter a month, like 2026-11" in _text(response) or "between 1900 and 2100" in _text(
        response
    )


# --- files, NUL characters, size -----------------------------------------------------------


def test_a_file_in_the_login_form_is_a_field_error(web):
    response = web.client.post(
        "/login",
        data={
            "csrf_token": web.token(),
            "email": (BytesIO(b"not an address"), "evil.txt"),
            "password": "whatever-it-is",
        },
    )
    assert response.status_code == 422
    assert "This box takes typed text, not a file" in _text(response)


def test_a_file_in_a_text_field_keeps_the_rest_of_the_form(web, make_user, make_client):
    client = make_client("AB")
    web.login(make_user("lead"))
    response = web.client.post(
        f"/clients/{client.id}/edit",
        data={
            "csrf_token": web.token(),
            "full_name": (BytesIO(b"x"), "name.txt"),
            "initials": "AB",
            "nhs_number": "",
            "room": "12B",
            "admitted_on": "2026-01-05",
        },
    )
    assert response.status_code == 422
    page = soup(response)
    assert "This box takes typed text, not a file" in page.get_text()
    assert page.select_one("#room")["value"] == "12B"


def test_a_nul_character_is_a_field_error_and_never_reaches_the_database(app, web, make_user):
    response = web.post("/login", {"email": "ot\x00@example.com", "password": "x"})
    assert response.status_code == 422
    page = soup(response)
    assert "a null character" in page.get_text()
    assert page.select_one("#email")["value"] == "ot@example.com"  # the rest kept


def test_a_nul_character_in_a_note_is_refused_with_the_text_kept(
    app, web, make_user, make_client, now
):
    client = make_client("AB")
    web.login(make_user("ot"))
    response = web.post("/notes/new", complete_form(client.id, risks="Wet\x00 floor"))
    assert response.status_code == 422
    page = soup(response)
    assert "a null character" in page.get_text()
    assert page.select_one("#risks").get_text() == "Wet floor"


def test_a_nul_character_in_a_query_string_is_taken_out(web, make_user):
    web.login(make_user("lead"))
    assert web.get("/audit?entity=sta%00ff").status_code == 200


def test_a_request_body_over_the_limit_gets_the_nhs_413_page(app, web):
    assert app.config["MAX_CONTENT_LENGTH"] == 256 * 1024
    response = web.post("/login", {"email": "a@example.com", "password": "x" * 300_000})
    assert response.status_code == 413
    assert "What you sent is too large" in _text(response)


# --- the last line of defence ---------------------------------------------------------------


def test_a_number_the_database_cannot_store_is_a_400_not_a_500(web, make_user, monkeypatch):
    # Past every parser (as a future view might be): the database's own overflow error.
    monkeypatch.setattr("app.audit.routes.parse_id", lambda value: 10**20 if value else None)
    web.login(make_user("lead"))
    response = web.get("/audit?actor=1")
    assert response.status_code == 400
    assert "outside what Waypoint can store" in _text(response)


def test_every_form_reads_the_request_through_the_one_base_form(app):
    import flask_wtf

    from app.core.forms import FlaskForm

    def subclasses(cls):
        for sub in cls.__subclasses__():
            yield sub
            yield from subclasses(sub)

    forms = [c for c in subclasses(flask_wtf.FlaskForm) if c.__module__.startswith("app.")]
    assert len(forms) > 10
    strays = [f"{c.__module__}.{c.__name__}" for c in forms if not issubclass(c, FlaskForm)]
    assert not strays, f"derive these from app.core.forms.FlaskForm: {strays}"
