"""Security headers, the per-request CSP nonce, compression, safe redirect targets, the request
class that keeps files and NUL characters away from the app, and the URL converter for ids."""

import gzip
import secrets
from functools import cached_property
from urllib.parse import urlsplit

from flask import Flask, Response, g
from flask import Request as FlaskRequest
from werkzeug.datastructures import ImmutableMultiDict
from werkzeug.routing import BaseConverter, ValidationError

from app.core.assets import accepts_gzip

COMPRESS_TYPES = {"text/html", "application/json", "text/csv"}
COMPRESS_MIN_BYTES = 500


def csp_nonce() -> str:
    if "csp_nonce" not in g:
        g.csp_nonce = secrets.token_urlsafe(16)
    return g.csp_nonce


def is_safe_next(target: str | None) -> bool:
    """Only a path on this site: no scheme, no host, no '//' or backslash tricks."""
    if not target or not target.startswith("/") or target.startswith("//"):
        return False
    if "\\" in target or any(ord(c) < 32 for c in target):
        return False
    parts = urlsplit(target)
    return not parts.scheme and not parts.netloc


class IdConverter(BaseConverter):
    """``<id:name>`` in a route: a record id, 1 ... 2^31 - 1 in ASCII digits, else a 404.

    Werkzeug's ``int`` takes any length (SQLite overflows past 2^63, PostgreSQL's integer past
    2^31) and other scripts' digits."""

    regex = r"[1-9][0-9]{0,9}"
    weight = 50

    def to_python(self, value: str) -> int:
        from app.core.forms import parse_id

        number = parse_id(value)
        if number is None:
            raise ValidationError()
        return number

    def to_url(self, value) -> str:
        return str(int(value))


def _without_nul(data: ImmutableMultiDict) -> tuple[ImmutableMultiDict, set[str]]:
    dirty = {key for key, value in data.items(multi=True) if "\x00" in value}
    if not dirty:
        return data, dirty
    clean = [(key, value.replace("\x00", "")) for key, value in data.items(multi=True)]
    return ImmutableMultiDict(clean), dirty


class InputGuard(FlaskRequest):
    """Files and NUL characters never reach a view, a form or the database.

    No form takes a file, so one sent (in place of a text field, say) is dropped; NUL characters,
    which PostgreSQL refuses in text, are taken out of form fields and query strings. The names
    of the form fields that had either are in ``refused_fields`` with the message a form shows
    (``app.core.forms.FlaskForm``), so the person sees why and keeps the rest of their input.
    """

    def _load_form_data(self) -> None:
        super()._load_form_data()
        from app.core.forms import FILE_MESSAGE, NUL_MESSAGE

        refused: dict[str, str] = {}
        files = self.__dict__.get("files")
        if files:
            for name, upload in files.items(multi=True):
                upload.close()
                refused[name] = FILE_MESSAGE
            self.__dict__["files"] = ImmutableMultiDict()
        form, dirty = _without_nul(self.__dict__.get("form", ImmutableMultiDict()))
        self.__dict__["form"] = form
        refused.update({name: NUL_MESSAGE for name in dirty})
        self.refused_fields = refused

    @cached_property
    def args(self) -> ImmutableMultiDict:
        return _without_nul(super().args)[0]


def init_security(app: Flask) -> None:
    # On top of the request class extensions installed (htmx-flask's ``request.htmx``).
    app.request_class = type("Request", (InputGuard, app.request_class), {})
    app.url_map.converters["id"] = IdConverter

    @app.context_processor
    def inject_nonce() -> dict:
        return {"cspNonce": csp_nonce()}

    @app.after_request
    def security_headers(response: Response) -> Response:
        nonce = g.get("csp_nonce")
        script_src = "'self'" + (f" 'nonce-{nonce}'" if nonce else "")
        response.headers["Content-Security-Policy"] = (
            "default-src 'self'; "
            f"script-src {script_src}; "
            "style-src 'self'; img-src 'self' data:; font-src 'self'; connect-src 'self'; "
            "object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
        )
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["Referrer-Policy"] = "same-origin"
        response.headers["X-Frame-Options"] = "DENY"
        # Location for this site only: asked once, when SOS is pressed (issue 10 item 5).
        response.headers["Permissions-Policy"] = "camera=(), microphone=(), geolocation=(self)"
        if app.config.get("PRODUCTION"):
            response.headers["Strict-Transport-Security"] = (
                f"max-age={app.config['HSTS_SECONDS']}; includeSubDomains"
            )
        if response.mimetype in ("text/html", "application/json", "text/csv"):
            # Clinical pages must not sit in shared caches or the back-forward cache on disk.
            response.headers.setdefault("Cache-Control", "no-store")
        return compress(response)


def compress(response: Response) -> Response:
    if (
        response.direct_passthrough
        or response.mimetype not in COMPRESS_TYPES
        or "Content-Encoding" in response.headers
        or response.status_code < 200
        or response.status_code in (204, 304)
    ):
        return response
    response.vary.add("Accept-Encoding")
    if not accepts_gzip():
        return response
    body = response.get_data()
    if len(body) < COMPRESS_MIN_BYTES:
        return response
    response.set_data(gzip.compress(body, compresslevel=6))
    response.headers["Content-Encoding"] = "gzip"
    return response
