"""The board's 15-second poll: 304 Not Modified while nothing the viewer would see has changed,
the fragment as soon as anything has, the changes that come only from time passing included."""

import re

from sqlalchemy import select

from app.extensions import db
from app.lone_working.models import EscalationStep
from tests.conftest import soup

POLL = {"HX-Request": "true"}


def poll(web, etag=None):
    headers = dict(POLL)
    if etag:
        headers["If-None-Match"] = etag
    return web.get("/board?poll=1", headers=headers)


def test_a_poll_sending_back_the_last_etag_gets_304_with_no_body(
    web, make_user, make_outing, clock_at, watcher_alive
):
    make_outing(minutes=60)
    web.login(make_user("lead"))
    first = poll(web)
    assert first.status_code == 200 and 'id="board"' in first.get_data(as_text=True)
    etag = first.headers["ETag"]
    again = poll(web, etag)
    assert again.status_code == 304
    assert again.data == b""
    assert again.headers["ETag"] == etag
    assert "Set-Cookie" not in again.headers  # the session is not re-signed for a poll
    assert poll(web, 'W/"something-else"').status_code == 200


def test_the_full_board_page_is_never_answered_304(web, make_user, clock_at, watcher_alive):
    web.login(make_user("lead"))
    etag = poll(web).headers["ETag"]
    assert web.get("/board", headers={"If-None-Match": etag}).status_code == 200


def test_each_viewer_has_their_own_etag(web, app, make_user, make_outing, clock_at, watcher_alive):
    from tests.conftest import Web

    make_outing(minutes=60)
    web.login(make_user("lead"))
    other = Web(app.test_client())
    other.login(make_user("assistant"))
    mine = poll(web).headers["ETag"]
    theirs = poll(other).headers["ETag"]
    assert mine != theirs
    assert poll(other, mine).status_code == 200


def test_an_outing_reaching_its_due_time_changes_the_poll_with_no_row_changing(
    web, make_user, make_outing, frozen_clock, watcher_alive
):
    from datetime import UTC, datetime

    clock = frozen_clock(datetime(2026, 11, 24, 10, 0, 10, tzinfo=UTC))
    make_outing(minutes=0.5)  # due at 10:00:40
    web.login(make_user("lead"))
    before = poll(web)
    assert "nhsuk-tag--green" in before.get_data(as_text=True)
    clock.advance(seconds=20)  # 10:00:30, the same minute: nothing changed
    assert poll(web, before.headers["ETag"]).status_code == 304
    clock.advance(seconds=15)  # 10:00:45: due, still the same minute, no row written
    after = poll(web, before.headers["ETag"])
    assert after.status_code == 200
    assert "nhsuk-tag--yellow" in after.get_data(as_text=True)


def test_the_updated_time_line_stays_right(web, make_user, clock_at, watcher_alive):
    web.login(make_user("lead"))
    first = poll(web)
    assert "Updated 10:00." in first.get_data(as_text=True)
    clock_at.advance(seconds=45)
    assert poll(web, first.headers["ETag"]).status_code == 304
    clock_at.advance(seconds=20)
    later = poll(web, first.headers["ETag"])
    assert later.status_code == 200 and "Updated 10:01." in later.get_data(as_text=True)


def _without_tokens(html: str) -> str:
    return re.sub(r'name="csrf_token"[^>]*value="[^"]*"', "", html)


def test_the_same_etag_always_means_the_same_fragment(
    app, web, make_user, make_outing, make_client, clock_at, tick, watcher_alive
):
    """A story of a morning on the board, polled every 15 s: whenever two polls carry the same
    ETag they showed the same board, and each change a lead would see changed the ETag."""
    lead = make_user("lead")
    web.login(lead)
    seen: dict[str, str] = {}
    changes = 0

    def check():
        nonlocal changes
        response = poll(web)
        assert response.status_code == 200
        body = _without_tokens(response.get_data(as_text=True))
        etag = response.headers["ETag"]
        if etag in seen:
            assert seen[etag] == body
        elif seen:
            changes += 1
        seen[etag] = body
        assert poll(web, etag).status_code == 304

    def step(seconds=15):
        clock_at.advance(seconds=seconds)
        web.get("/")  # the lead is using the app (polls alone would let the session idle out)
        check()

    check()
    outing_id = make_outing(minutes=20, clients=[make_client("ZX")])
    step()
    make_outing(minutes=120, coworkers=[make_user("assistant")])
    step()
    for _ in range(8):  # the clock runs on to the first outing's due time and past it
        step(seconds=150)
    tick()
    step()
    clock_at.advance(minutes=15)
    tick()  # amber
    step()
    clock_at.advance(minutes=15)
    tick()  # red: an alert to acknowledge
    step()
    assert "Alerts to acknowledge" in seen[poll(web).headers["ETag"]]
    with app.app_context():
        step_id = db.session.scalar(
            select(EscalationStep.id).where(
                EscalationStep.outing_id == outing_id, EscalationStep.needs_ack
            )
        )
    other_lead = make_user("lead")
    from tests.conftest import Web

    other = Web(app.test_client())
    other.login(other_lead)
    other.post(f"/board/alerts/{step_id}/ack")
    step()
    assert "Owned by" in seen[poll(web).headers["ETag"]]
    assert changes >= 8


def test_htmx_keeps_polling_and_the_page_keeps_its_board_on_304(web, make_user, clock_at):
    """The fragment is swapped outerHTML and carries its own trigger: a 304 swaps nothing, so
    the element (and its every-15-s trigger) stays; app.js sends If-None-Match."""
    web.login(make_user("lead"))
    board = soup(web.get("/board")).select_one("#board")
    assert board["hx-trigger"] == "every 15s" and board["hx-swap"] == "outerHTML"
    script = (web.get("/static/js/app.js").get_data(as_text=True)).replace("\n", " ")
    assert "If-None-Match" in script and "xhr.status === 304" in script
