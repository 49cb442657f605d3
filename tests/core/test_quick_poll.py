# ruff: noqa: F811  (the lone-working fixtures are imported by name)
"""The quick answer to a poll (app/core/conditional.py): an unchanged board or huddle is
answered 304 in one statement, with the person checked in SQL rather than loaded. It must give
the very ETag the full view gives, and never answer 304 to a session the full sign-in check
refuses: a password change or a log-out elsewhere, a deactivated account, a unit no longer
covered, an idle session, a huddle of a unit the person may not see."""

import pytest

from app.auth.models import Unit, User
from app.extensions import db
from tests.conftest import Web
from tests.core.test_query_counts import Statements
from tests.huddles.conftest import start
from tests.lone_working.conftest import clock_at, make_outing  # noqa: F401 (fixtures)

POLL = {"HX-Request": "true"}


def poll(web, path, etag=None):
    return web.get(path, headers={**POLL, **({"If-None-Match": etag} if etag else {})})


def quick_304(app, web, path, etag) -> bool:
    """True when ``path`` was answered 304 by the quick answer: one statement, and no person
    loaded (the user loader's statement reads ``users.password_hash``, the quick one never)."""
    with Statements(app) as statements:
        response = poll(web, path, etag)
    if response.status_code != 304:
        return False
    assert len(statements.seen) == 1, statements.seen
    assert "password_hash" not in statements.seen[0]
    return True


def logged_in(app, user) -> Web:
    web = Web(app.test_client())
    web.login(user)
    return web


@pytest.fixture
def board(app, make_user, make_outing, clock_at, watcher_alive):
    """A lead polling the board of a unit with two outings: (web, path, ETag, the lead)."""
    lead = make_user("lead")
    make_outing(minutes=60)
    make_outing(minutes=90)
    web = logged_in(app, lead)
    first = poll(web, "/board?poll=1")
    assert first.status_code == 200
    return web, "/board?poll=1", first.headers["ETag"], lead


@pytest.fixture
def huddle(app, make_user, clock_at):
    """A lead polling an open huddle: (web, path, ETag, the lead)."""
    lead = make_user("lead")
    web = logged_in(app, lead)
    path = f"/huddles/{start(web)}/poll?v=0&poll=1"
    first = poll(web, path)
    assert first.status_code == 200
    return web, path, first.headers["ETag"], lead


@pytest.fixture(params=["board", "huddle"])
def polled(request):
    return request.getfixturevalue(request.param)


def test_an_unchanged_poll_is_answered_quickly_with_the_full_views_etag(app, polled):
    web, path, etag, _ = polled
    assert quick_304(app, web, path, etag)
    again = poll(web, path, etag)
    assert again.status_code == 304 and again.headers["ETag"] == etag and again.data == b""
    assert "Set-Cookie" not in again.headers
    # The security headers still go on (after_request runs for the quick answer too).
    assert again.headers["X-Frame-Options"] == "DENY"
    assert "Cookie" in again.headers["Vary"]


def test_a_change_goes_past_the_quick_answer_to_the_full_fragment(
    app, board, make_outing, clock_at
):
    web, path, etag, _ = board
    make_outing(minutes=30)
    response = poll(web, path, etag)
    assert response.status_code == 200 and response.headers["ETag"] != etag
    assert quick_304(app, web, path, response.headers["ETag"])


def _change_person(app, user_id: int, change) -> None:
    with app.app_context():
        change(db.session.get(User, user_id))
        db.session.commit()


@pytest.mark.parametrize(
    "change",
    [
        pytest.param(lambda u: u.end_sessions(), id="signed out everywhere"),
        pytest.param(lambda u: u.set_password("another-long-password-1"), id="password changed"),
        pytest.param(lambda u: setattr(u, "active", False), id="deactivated"),
    ],
)
def test_a_session_the_sign_in_check_refuses_never_gets_a_304(app, polled, change):
    web, path, etag, lead = polled
    assert quick_304(app, web, path, etag)
    _change_person(app, lead.id, change)
    response = poll(web, path, etag)
    assert response.status_code == 204 and response.headers["HX-Redirect"].startswith("/login")


def test_a_role_change_changes_the_board_etag(app, board):
    web, path, etag, lead = board
    _change_person(app, lead.id, lambda u: setattr(u, "role", "assistant"))
    response = poll(web, path, etag)
    assert response.status_code == 200 and response.headers["ETag"] != etag


def test_a_board_of_a_unit_no_longer_covered_is_not_answered(
    app, make_unit, make_user, make_outing, clock_at, watcher_alive
):
    """Working in a covered unit, then the cover is taken away: the next poll is the home
    unit's board (what every page now shows), not a 304 for the unit they left."""
    other = make_unit("Orchard Lodge", "Orchard")
    lead = make_user("lead")
    _change_person(app, lead.id, lambda u: u.cover_units.append(db.session.get(Unit, other.id)))
    make_outing(minutes=60)
    web = logged_in(app, lead)
    assert web.post(f"/unit/{other.id}", {}).status_code in (302, 303)
    etag = poll(web, "/board?poll=1").headers["ETag"]
    assert quick_304(app, web, "/board?poll=1", etag)

    _change_person(app, lead.id, lambda u: u.cover_units.clear())
    response = poll(web, "/board?poll=1", etag)
    assert response.status_code == 200 and response.headers["ETag"] != etag
    # Closing the unit does the same for an administrator.
    admin = make_user("admin")
    web = logged_in(app, admin)
    assert web.post(f"/unit/{other.id}", {}).status_code in (302, 303)
    etag = poll(web, "/board?poll=1").headers["ETag"]
    assert quick_304(app, web, "/board?poll=1", etag)
    with app.app_context():
        db.session.get(Unit, other.id).active = False
        db.session.commit()
    assert poll(web, "/board?poll=1", etag).status_code == 200


def test_an_idle_session_is_sent_to_log_in_not_answered(app, huddle, clock_at):
    web, path, etag, _ = huddle
    assert quick_304(app, web, path, etag)
    clock_at.advance(minutes=app.config["IDLE_TIMEOUT_MINUTES"] + 1)
    response = poll(web, path, etag)
    assert response.status_code == 204 and response.headers["HX-Redirect"].startswith("/login")


def test_a_huddle_of_a_unit_they_may_not_see_is_refused_even_with_its_etag(
    app, huddle, make_unit, make_user
):
    """The ETag is a digest of the viewer's id and the version, which someone could work out:
    guessing it must not tell them whether another unit's huddle changed."""
    from app.core.conditional import etag_for

    owner, path, _, _ = huddle
    version = int(poll(owner, path).headers["X-Huddle-Version"])
    elsewhere = make_user("lead", home_unit=make_unit("Elsewhere", "Else"))
    web = logged_in(app, elsewhere)
    web.get("/")  # a session in use (the quick answer passes over a brand-new one)
    with app.app_context():  # the real ETag, as if they had the app's secret
        forged = f'W/"{etag_for((version, False, 0), elsewhere.id)}"'
    response = poll(web, path, forged)
    # A failed poll is answered 204 (the page stays as it is): the view's 404, not a 304.
    assert response.status_code == 204 and "ETag" not in response.headers
    assert web.get(path.replace("&poll=1", ""), headers=POLL).status_code == 404


def test_an_etag_cannot_be_worked_out_without_the_apps_secret(app):
    """A huddle's version is a small number: without a key, anyone could compute its ETag."""
    from app.core.conditional import etag_for

    with app.app_context():
        ours = etag_for((3, False, 0), 7)
        assert ours == etag_for((3, False, 0), 7)
        assert ours != etag_for((4, False, 0), 7) and ours != etag_for((3, False, 0), 8)
        secret = app.secret_key
        try:
            app.secret_key = "another-secret-key-of-the-same-length-as-any-0123456789"
            assert etag_for((3, False, 0), 7) != ours
        finally:
            app.secret_key = secret


def test_a_poll_without_a_login_is_sent_to_log_in(app, huddle):
    _, path, etag, _ = huddle
    anonymous = Web(app.test_client())
    response = poll(anonymous, path, etag)
    assert response.status_code == 204 and response.headers["HX-Redirect"].startswith("/login")


def test_only_the_polls_that_registered_are_answered_quickly(app):
    assert set(app.extensions["quick_polls"]) == {"lone_working.board", "huddles.poll"}


@pytest.mark.parametrize("seen", ["-1", "abc", "99999999999999999999", ""])
@pytest.mark.parametrize("sent", ["*", "garbage", 'W/"' + "a" * 5000 + '"', 'W/"", W/"x"'])
def test_odd_poll_input_is_answered_not_crashed(app, huddle, seen, sent):
    """Whatever a phone (or someone else) sends as the version seen and the ETag, the poll is
    answered as the full view answers it; an ETag it never sent is not a 304."""
    web, path, _, _ = huddle
    odd = path.replace("v=0", f"v={seen}")
    quick = poll(web, odd, sent)
    assert quick.status_code in (200, 304), quick.status_code
    if sent != "*":  # "*" is "any version": HTTP's own rule gives it a 304 on both paths
        assert quick.status_code == 200
    assert quick.headers["ETag"]
