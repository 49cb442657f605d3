"""Routes that belong to no feature: the health check and the installable app's shell (the web
app manifest, the service worker and the one page it keeps for when there is no signal)."""

import hashlib
import json

from flask import Blueprint, Response, abort, current_app, jsonify, render_template, url_for
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from app.extensions import db

bp = Blueprint("core", __name__)


@bp.get("/healthz")
def healthz():
    """Machine-readable health for a load balancer or monitor; needs no login."""
    checks = {"database": "ok"}
    try:
        db.session.execute(text("SELECT 1"))
    except SQLAlchemyError:
        db.session.rollback()
        checks["database"] = "unreachable"
    else:
        # Features add their own checks (e.g. the lone-working watcher's heartbeat).
        for name, check in current_app.extensions.get("health_checks", {}).items():
            try:
                checks[name] = check()
            except SQLAlchemyError:
                db.session.rollback()
                checks[name] = "unknown"
    healthy = all(value == "ok" for value in checks.values())
    response = jsonify({"status": "ok" if healthy else "error", **checks})
    response.status_code = 200 if healthy else 503
    return response


# What the service worker keeps: the offline page and the static files it needs. Nothing else:
# every other page (notes, clients, boards, My outing) stays network-only.
OFFLINE_ASSETS = (
    "vendor/nhsuk/nhsuk-frontend.min.css",
    "css/app.css",
    "js/offline.js",
    "js/drafts.js",
    "icons/icon.svg",
    "icons/icon-192.png",
)
OFFLINE_MODULES = ("js/drafts.js",)
NO_CACHE = "no-cache"  # may be kept, but asked for again each time: an update shows at once


@bp.get("/manifest.webmanifest")
def manifest():
    """The web app manifest: "Add to home screen" gives Waypoint its own icon and window."""
    icon = lambda name, size, kind: {  # noqa: E731
        "src": url_for("static", filename=f"icons/{name}"),
        "sizes": size,
        "type": kind,
        "purpose": "any",
    }
    body = {
        "name": "Waypoint",
        "short_name": "Waypoint",
        "description": "Lone working, activity notes and safety huddles for occupational therapy.",
        "start_url": "/",
        "scope": "/",
        "display": "standalone",
        "orientation": "portrait",
        "theme_color": "#005eb8",
        "background_color": "#f0f4f5",
        "icons": [
            icon("icon-192.png", "192x192", "image/png"),
            icon("icon-512.png", "512x512", "image/png"),
            icon("icon.svg", "any", "image/svg+xml"),
        ],
    }
    response = Response(json.dumps(body, indent=1), mimetype="application/manifest+json")
    response.headers["Cache-Control"] = NO_CACHE
    return response


@bp.get("/sw.js")
def service_worker():
    """The service worker, served from the root so that its scope is the whole site.

    Its first lines list the versioned URLs it keeps; a new file version changes them, so the
    browser installs the new worker, which drops the old cache."""
    asset = current_app.extensions["assets"].get("js/sw.js")
    if asset is None:
        abort(404)
    store = current_app.extensions["assets"]
    keep = [url_for("core.offline")] + [url_for("static", filename=f) for f in OFFLINE_ASSETS]
    # Modules import each other by plain path ("./drafts.js"): kept under that URL too.
    keep += [f"/static/{name}" for name in OFFLINE_MODULES]
    digests = [asset.digest] + [store.get(f).digest for f in OFFLINE_ASSETS if store.get(f)]
    version = hashlib.sha256("|".join(digests + keep).encode()).hexdigest()[:12]
    head = f"const VERSION = {json.dumps(version)};\nconst KEEP = {json.dumps(keep)};\n"
    response = Response(head.encode() + asset.body, mimetype="text/javascript")
    response.headers["Cache-Control"] = NO_CACHE
    response.headers["Service-Worker-Allowed"] = "/"
    return response


@bp.get("/offline")
def offline():
    """The page the service worker shows when there is no signal. It holds nothing personal:
    what it shows of an outing comes from this phone's own storage (static/js/offline.js)."""
    response = Response(render_template("core/offline.html"))
    response.headers["Cache-Control"] = NO_CACHE
    return response
