"""Two phones, one huddle (issue 8 item 8): each part saves on its own with a version counter.
A stale edit of the same flag is a conflict showing both values, never a silent overwrite;
edits of different flags both survive. The races run in real OS processes, on SQLite and (with
DATABASE_URL) PostgreSQL."""

import subprocess
import sys
import time
from pathlib import Path

from tests.conftest import PASSWORD, Web, soup
from tests.huddles.conftest import flag, huddle, start

ROOT = Path(__file__).resolve().parents[2]
WORKER = Path(__file__).with_name("race_worker.py")


def test_a_stale_edit_of_the_same_flag_is_a_conflict_showing_both_values(app, web, team, early):
    ab = team["clients"][0]
    web.login(team["lead"])
    hid = start(web)
    other = Web(app.test_client())
    other.login(team["ot"])
    # Both phones loaded the page at version 1; the lead saves first.
    first = web.post(
        f"/huddles/{hid}/flags/{ab.id}",
        {"value": "red", "reason": "Absconded last night", "version": 1},
    )
    assert first.status_code == 303
    second = other.post(
        f"/huddles/{hid}/flags/{ab.id}",
        {"value": "amber", "reason": "Low mood", "version": 1},
        htmx=True,
    )
    assert second.status_code == 409
    row = soup(second)
    text = " ".join(row.get_text().split())
    assert "Changed on another phone – not saved" in text
    assert "Now: Red – Absconded last night (Lena Lead" in text
    assert "Yours: Amber – Low mood" in text
    # What the second phone typed is kept, and its form now carries the current version, so
    # "Save amber" replaces theirs only because this person chose to.
    assert row.find(id=f"reason-{ab.id}")["value"] == "Low mood"
    assert row.find("input", attrs={"name": "version"})["value"] == "2"
    saved = flag(app, hid, ab.id)
    assert (saved.value, saved.reason, saved.version) == ("red", "Absconded last night", 2)
    again = other.post(
        f"/huddles/{hid}/flags/{ab.id}", {"value": "amber", "reason": "Low mood", "version": 2}
    )
    assert again.status_code == 303
    assert flag(app, hid, ab.id).value == "amber"


def test_a_stale_edit_of_an_entry_is_a_conflict_showing_both_texts(app, web, team, early):
    web.login(team["lead"])
    hid = start(web)
    web.post(
        f"/huddles/{hid}/entries",
        {"period": "since", "category": "incident", "client_id": "0", "text": "Fire alarm"},
    )
    entry_url = soup(web.get(f"/huddles/{hid}")).select_one("#entry-list a[href*='/entries/']")[
        "href"
    ]
    form = {"period": "since", "category": "incident", "client_id": "0", "version": "1"}
    assert web.post(entry_url, {**form, "text": "Fire alarm at 03:00, false"}).status_code == 303
    other = Web(app.test_client())
    other.login(team["ot"])
    response = other.post(entry_url, {**form, "text": "Fire alarm, brigade came"})
    assert response.status_code == 409
    text = " ".join(soup(response).get_text().split())
    assert "Now it says: Fire alarm at 03:00, false" in text
    assert soup(response).find("textarea").get_text().strip() == "Fire alarm, brigade came"


def test_the_poll_is_one_small_fragment_that_says_when_the_huddle_changed(app, web, team, early):
    ab = team["clients"][0]
    web.login(team["lead"])
    hid = start(web)
    page = soup(web.get(f"/huddles/{hid}"))
    live = page.find(id="huddle-live")
    assert live["hx-trigger"] == "every 15s"
    version = int(live["data-version"])
    quiet = web.get(live["hx-get"], headers={"HX-Request": "true"})
    assert quiet.status_code == 200 and "HX-Trigger" not in quiet.headers
    assert len(quiet.get_data()) < 1000
    other = Web(app.test_client())
    other.login(team["ot"])
    other.post(
        f"/huddles/{hid}/flags/{ab.id}", {"value": "red", "reason": "AWOL risk", "version": 1}
    )
    changed = web.get(live["hx-get"], headers={"HX-Request": "true"})
    assert changed.headers["HX-Trigger"] == "huddle-changed"
    assert int(changed.headers["X-Huddle-Version"]) == version + 1
    # The parts reload on that event and show the other phone's change.
    flags = page.find(id="flags")
    assert "huddle-changed from:body" in flags["hx-trigger"]
    part = web.get(flags["hx-get"], headers={"HX-Request": "true"})
    assert "AWOL risk" in soup(part).get_text()
    # Closing stops the polling (286) and says so.
    other.post(f"/huddles/{hid}/close")
    closed = web.get(live["hx-get"], headers={"HX-Request": "true"})
    assert closed.status_code == 286
    assert "This huddle has been closed" in soup(closed).get_text()
    assert huddle(app, hid).version == version + 2


def _race(app, tmp_path, posts: list[tuple[str, str, str, str, str]]) -> list[int]:
    """Start one process per (email, url, value, reason, version), release them together."""
    go = tmp_path / "go"
    workers = []
    for n, (email, url, value, reason, version) in enumerate(posts):
        ready = tmp_path / f"ready-{n}"
        workers.append(
            (
                ready,
                subprocess.Popen(
                    [
                        sys.executable,
                        str(WORKER),
                        app.config["SQLALCHEMY_DATABASE_URI"],
                        email,
                        PASSWORD,
                        url,
                        value,
                        reason,
                        version,
                        str(ready),
                        str(go),
                    ],
                    cwd=ROOT,
                    stdout=subprocess.PIPE,
                    stderr=subprocess.PIPE,
                    text=True,
                ),
            )
        )
    deadline = time.monotonic() + 120
    while not all(ready.exists() for ready, _ in workers):
        for _, process in workers:
            if process.poll() is not None:
                raise AssertionError(process.stderr.read()[-2000:])
        assert time.monotonic() < deadline, "workers did not start"
        time.sleep(0.05)
    go.touch()
    statuses = []
    for _, process in workers:
        out, err = process.communicate(timeout=120)
        assert process.returncode == 0, err[-2000:]
        statuses.append(int(out.strip().splitlines()[-1]))
    return statuses


def test_two_processes_editing_the_same_flag_one_saves_the_other_gets_a_conflict(
    app, web, team, tmp_path
):
    ab = team["clients"][0]
    web.login(team["lead"])
    hid = start(web)
    url = f"/huddles/{hid}/flags/{ab.id}"
    statuses = _race(
        app,
        tmp_path,
        [
            (team["lead"].email, url, "red", "Said they would leave", "1"),
            (team["ot"].email, url, "amber", "Unsettled", "1"),
        ],
    )
    assert sorted(statuses) == [200, 409]
    saved = flag(app, hid, ab.id)
    assert saved.version == 2
    winner = ("red", "Said they would leave") if statuses[0] == 200 else ("amber", "Unsettled")
    assert (saved.value, saved.reason) == winner


def test_two_processes_editing_different_flags_both_survive(app, web, team, tmp_path):
    ab, cd = team["clients"][:2]
    web.login(team["lead"])
    hid = start(web)
    statuses = _race(
        app,
        tmp_path,
        [
            (
                team["lead"].email,
                f"/huddles/{hid}/flags/{ab.id}",
                "red",
                "Said they would leave",
                "1",
            ),
            (team["ot"].email, f"/huddles/{hid}/flags/{cd.id}", "amber", "Unsettled", "1"),
        ],
    )
    assert statuses == [200, 200]
    assert (flag(app, hid, ab.id).value, flag(app, hid, cd.id).value) == ("red", "amber")
    assert huddle(app, hid).version == 3


def test_a_poll_with_nothing_changed_is_a_304_and_a_change_breaks_it(app, web, team, early):
    ab = team["clients"][0]
    web.login(team["lead"])
    hid = start(web)
    live = soup(web.get(f"/huddles/{hid}")).find(id="huddle-live")
    hx = {"HX-Request": "true"}
    first = web.get(live["hx-get"], headers=hx)
    assert first.status_code == 200 and first.headers["ETag"]
    again = web.get(live["hx-get"], headers={**hx, "If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304 and again.get_data() == b""
    # Another phone's change: the same ETag no longer matches, and the page is told to reload.
    other = Web(app.test_client())
    other.login(team["ot"])
    other.post(
        f"/huddles/{hid}/flags/{ab.id}", {"value": "red", "reason": "AWOL risk", "version": 1}
    )
    changed = web.get(live["hx-get"], headers={**hx, "If-None-Match": first.headers["ETag"]})
    assert changed.status_code == 200
    assert changed.headers["HX-Trigger"] == "huddle-changed"
    # The ETag is per viewer: the other phone's copy of it is not a match for this one.
    theirs = other.get(live["hx-get"], headers=hx)
    assert theirs.headers["ETag"] != changed.headers["ETag"]
