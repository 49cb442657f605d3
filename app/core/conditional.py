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
"""

import hashlib
from collections.abc import Callable

from flask import Response, make_response, request
from flask_login import current_user


def etag_for(version: object) -> str:
    """A short digest of ``version`` (any repr-able value) and of the person asking."""
    viewer = getattr(current_user, "id", None)
    raw = repr((viewer, version)).encode()
    return hashlib.sha256(raw).hexdigest()[:24]


def unless_unchanged(version: object, render: Callable[[], Response]) -> Response:
    """304 with no body when the request's If-None-Match is the version's ETag; else render,
    with the ETag, so the next poll can send it back."""
    etag = etag_for(version)
    unchanged = request.if_none_match.contains_weak(etag)
    response = make_response("", 304) if unchanged else render()
    response.set_etag(etag, weak=True)
    response.vary.add("HX-Request")
    response.vary.add("Cookie")
    return response
