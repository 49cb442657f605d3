"""Answer a poll with ``304 Not Modified`` when nothing the viewer would see has changed.

A polling view computes a *version* of what it would show (cheaply: one query, no rendering)
and hands it with the renderer to ``unless_unchanged``::

    version = board.board_version(g.unit.id, current_user, now)
    return unless_unchanged(version, lambda: render(...))

The version must cover everything the fragment shows, the parts that change only because time
passes included (a colour that turns amber, an "Updated 14:05" line): the view passes those in.
The ETag is a digest of the version and of who is asking, so it never leaks between people.

In the browser, ``static/js/app.js`` sends the last ETag of each polled URL back as
``If-None-Match`` and leaves the page as it is on a 304 (the fragment stays, and so does its
``hx-trigger="every 15s"``). Pages stay ``Cache-Control: no-store``: nothing is kept in the
browser's HTTP cache, the script holds only the ETag.

**The quick answer.** Most polls are answered 304, and loading the person (their row, units and
cover) cost more than the rest of the request. So a view can also register a *quick version*
(``register_quick``): the session guard calls it first for a poll that sends an ETag, from a
session that is signed in and not idle, and it computes the same version with the person checked
in the version's own statement instead of loaded (``app.auth.services.viewer_columns``: the user
loader's rule and ``can_access_unit``, as SQL).
It only ever answers ``304`` to an unchanged ETag; anything else (no such person, no access, a
changed version, an idle or new session) falls through to the full sign-in check and the view.
"""

import hashlib
import hmac
from collections.abc import Callable
from datetime import datetime

from flask import Flask, Response, current_app, make_response, request, session
from flask_login import current_user

from app.core.htmx import wants_fragment

# (view arguments, now) -> (viewer id, version), or None to leave the poll to the full path.
QuickVersion = Callable[[dict, datetime], tuple[int, object] | None]


def etag_for(version: object, viewer_id: int | None = None) -> str:
    """A short digest of ``version`` (any repr-able value) and of the person asking, keyed with
    the app's secret: nobody can work out the ETag of a version they have not been sent (a
    huddle's version is a small number), so a guessed one never gets a 304."""
    if viewer_id is None:
        viewer_id = getattr(current_user, "id", None)
    secret = current_app.secret_key
    key = secret.encode() if isinstance(secret, str) else secret
    raw = repr(("etag", viewer_id, version)).encode()
    return hmac.new(key, raw, hashlib.sha256).hexdigest()[:24]


def unless_unchanged(version: object, render: Callable[[], Response]) -> Response:
    """304 with no body when the request's If-None-Match is the version's ETag; else render,
    with the ETag, so the next poll can send it back."""
    etag = etag_for(version)
    unchanged = request.if_none_match.contains_weak(etag)
    return _tagged(make_response("", 304) if unchanged else render(), etag)


def _tagged(response: Response, etag: str) -> Response:
    response.set_etag(etag, weak=True)
    response.vary.add("HX-Request")
    response.vary.add("Cookie")
    return response


def register_quick(app: Flask, endpoint: str, version: QuickVersion) -> None:
    """Let the session guard answer an unchanged poll of ``endpoint`` with ``version``, which
    must compute exactly what the view passes to ``unless_unchanged`` (tests hold them equal)."""
    app.extensions.setdefault("quick_polls", {})[endpoint] = version


def answer_quickly(now: datetime, idle_seconds: float) -> Response | None:
    """``304`` for a poll whose ETag still holds, checked without loading the person; None
    whenever the full sign-in check and the view are needed (the caller then runs them)."""
    quick = current_app.extensions.get("quick_polls", {}).get(request.endpoint)
    if quick is None or not request.if_none_match or not wants_fragment():
        return None
    # Only a session the full check would pass unchanged: signed in for the day, not idle.
    last_seen = session.get("last_seen")
    if not session.permanent or not isinstance(last_seen, int | float):
        return None
    if now.timestamp() - last_seen > idle_seconds:
        return None
    found = quick(request.view_args or {}, now)
    if found is None:
        return None
    viewer_id, version = found
    etag = etag_for(version, viewer_id)
    if not request.if_none_match.contains_weak(etag):
        return None
    return _tagged(make_response("", 304), etag)
