"""The one place that decides between a full page and an HTMX fragment."""

from flask import Response, make_response, render_template, request


def wants_fragment() -> bool:
    """True for an HTMX swap; false for a plain request, a boosted one or a history restore."""
    hx = getattr(request, "htmx", None)
    return bool(hx) and not hx.boosted and not hx.history_restore_request


def render(page_template: str, fragment_template: str, status: int = 200, **context) -> Response:
    """Render the fragment for an HTMX swap, else the full page (which includes the fragment)."""
    fragment = wants_fragment()
    template = fragment_template if fragment else page_template
    response = make_response(render_template(template, is_fragment=fragment, **context), status)
    response.vary.add("HX-Request")
    return response


def hx_redirect(location: str) -> Response:
    """Send the browser to ``location``: a full navigation for HTMX, a 303 otherwise."""
    if request.htmx:
        response = make_response("", 204)
        response.headers["HX-Redirect"] = location
    else:
        response = make_response("", 303)
        response.headers["Location"] = location
    response.vary.add("HX-Request")
    return response


def current_location() -> str:
    """Where the user is: for an HTMX request the page it came from, else this request."""
    if request.htmx and request.htmx.current_url:
        from urllib.parse import urlsplit

        parts = urlsplit(request.htmx.current_url)
        return parts.path + (f"?{parts.query}" if parts.query else "")
    return request.full_path.rstrip("?")
