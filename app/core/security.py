"""Security headers, the per-request CSP nonce, compression and safe redirect targets."""

import gzip
import secrets
from urllib.parse import urlsplit

from flask import Flask, Response, g

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


def init_security(app: Flask) -> None:
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
        response.headers["Permissions-Policy"] = "camera=(), microphone=(), geolocation=()"
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
