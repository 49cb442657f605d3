"""Static files under content-hashed URLs, cached for a year, gzipped once in memory.

``url_for('static', filename=...)`` gains ``?v=<hash of the file>``; a request carrying the
current hash is answered with ``Cache-Control: immutable``, anything else must revalidate. The
vendor files are built from npm by ``scripts/build_vendor.py`` and never committed.
"""

import gzip
import hashlib
import mimetypes
import os
import time
from dataclasses import dataclass
from pathlib import Path

from flask import Flask, Response, abort, has_request_context, request
from werkzeug.security import safe_join

YEAR = 365 * 24 * 3600
COMPRESSIBLE = {
    "text/css",
    "text/javascript",
    "application/javascript",
    "image/svg+xml",
    "application/json",
    "application/manifest+json",
    "text/plain",
}


@dataclass(frozen=True)
class Asset:
    mtime_ns: int
    digest: str
    body: bytes
    gzipped: bytes | None
    mimetype: str


RECHECK_SECONDS = 1.0  # how often a file is looked at again for a change (editing in dev)


class AssetStore:
    def __init__(self, root: Path):
        self.root = root
        self._cache: dict[str, Asset] = {}
        self._checked: dict[str, float] = {}
        self._urls: dict[tuple, str] = {}

    def get(self, filename: str) -> Asset | None:
        cached = self._cache.get(filename)
        now = time.monotonic()
        if cached and now - self._checked.get(filename, 0) < RECHECK_SECONDS:
            return cached  # a page names a dozen files: not two system calls each, each time
        path = safe_join(str(self.root), filename)
        if path is None or not os.path.isfile(path):
            return None
        mtime = os.stat(path).st_mtime_ns
        self._checked[filename] = now
        if cached and cached.mtime_ns == mtime:
            return cached
        body = Path(path).read_bytes()
        mimetype = mimetypes.guess_type(path)[0] or "application/octet-stream"
        gzipped = None
        if mimetype in COMPRESSIBLE and len(body) > 512:
            gzipped = gzip.compress(body, compresslevel=9, mtime=0)
        asset = Asset(mtime, hashlib.sha256(body).hexdigest()[:12], body, gzipped, mimetype)
        self._cache[filename] = asset
        return asset

    def url(self, filename: str, build) -> str:
        """The URL of a static file in this request, built once per file, version and script
        root: werkzeug's URL building was a tenth of a simple page, and a page names a dozen."""
        asset = self.get(filename)
        key = (request.script_root, filename, asset.digest if asset else None)
        url = self._urls.get(key)
        if url is None:
            url = self._urls[key] = build()
        return url


class Waypoint(Flask):
    """Flask, with ``url_for('static', filename=...)`` answered from ``AssetStore.url``."""

    def url_for(
        self, endpoint: str, *, _anchor=None, _method=None, _scheme=None, _external=None, **values
    ):
        def build() -> str:
            return super(Waypoint, self).url_for(
                endpoint,
                _anchor=_anchor,
                _method=_method,
                _scheme=_scheme,
                _external=_external,
                **values,
            )

        plain = _anchor is None and _method is None and _scheme is None and _external is None
        if (
            endpoint == "static"
            and plain
            and list(values) == ["filename"]
            and has_request_context()
        ):
            return self.extensions["assets"].url(values["filename"], build)
        return build()


def accepts_gzip() -> bool:
    return "gzip" in request.headers.get("Accept-Encoding", "").lower()


def init_assets(app: Flask, root: Path) -> None:
    store = AssetStore(root)
    app.extensions["assets"] = store

    @app.url_defaults
    def add_content_hash(endpoint: str, values: dict) -> None:
        if endpoint == "static" and "filename" in values and "v" not in values:
            asset = store.get(values["filename"])
            if asset is not None:
                values["v"] = asset.digest

    def serve_static(filename: str) -> Response:
        asset = store.get(filename)
        if asset is None:
            abort(404)
        use_gzip = asset.gzipped is not None and accepts_gzip()
        response = Response(asset.gzipped if use_gzip else asset.body, mimetype=asset.mimetype)
        if use_gzip:
            response.headers["Content-Encoding"] = "gzip"
        response.headers["Vary"] = "Accept-Encoding"
        response.set_etag(asset.digest)
        if request.args.get("v") == asset.digest:
            response.headers["Cache-Control"] = f"public, max-age={YEAR}, immutable"
        else:
            response.headers["Cache-Control"] = "no-cache"
        return response.make_conditional(request)

    app.add_url_rule("/static/<path:filename>", endpoint="static", view_func=serve_static)
