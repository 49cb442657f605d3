"""Waypoint: the application factory."""

import logging
from datetime import timedelta
from pathlib import Path

from flask import Flask, g, make_response, request, session, url_for
from flask_login import current_user, logout_user
from flask_wtf.csrf import CSRFError
from jinja2 import ChainableUndefined, ChoiceLoader, FileSystemLoader, PackageLoader
from sqlalchemy.exc import DataError
from werkzeug.exceptions import HTTPException

from app import config as config_module
from app.core import clock, components, logs
from app.core.assets import Waypoint, init_assets
from app.core.conditional import answer_quickly
from app.core.forms import TEMPLATE_GLOBALS
from app.core.htmx import current_location, hx_redirect, render
from app.core.security import init_security
from app.extensions import csrf, db, htmx, limiter, login_manager, migrate

ROOT = Path(__file__).resolve().parent.parent
# The offline shell (manifest, service worker, offline page) holds nothing personal; Notify's
# inbound-text callback authenticates with its own bearer token.
PUBLIC_ENDPOINTS = {
    "auth.login",
    "core.healthz",
    "static",
    "core.manifest",
    "core.service_worker",
    "core.offline",
    "lone_working.inbound_sms",
}
LAST_SEEN_STEP = 60  # seconds: how often the idle-timeout stamp in the session may move


def create_app(config: dict | None = None) -> Flask:
    app = Waypoint(
        __name__,
        instance_path=str(ROOT / "instance"),
        static_folder=None,
        template_folder=str(ROOT / "templates"),
    )
    setup_config(app, config)
    setup_logging(app)
    setup_extensions(app)
    setup_jinja(app)
    init_assets(app, ROOT / "static")
    init_security(app)
    setup_session_guard(app)
    register_blueprints(app)
    register_error_handlers(app)
    register_cli(app)
    return app


def setup_config(app: Flask, overrides: dict | None) -> None:
    instance = Path(app.instance_path)
    instance.mkdir(parents=True, exist_ok=True)
    app.config.from_mapping(config_module.from_environment(instance))
    if overrides:
        app.config.update(overrides)
    app.config.setdefault(
        "SQLALCHEMY_ENGINE_OPTIONS",
        config_module.engine_options(app.config["SQLALCHEMY_DATABASE_URI"]),
    )
    app.permanent_session_lifetime = timedelta(minutes=app.config["IDLE_TIMEOUT_MINUTES"])
    if app.config["PROXY_FIX_X_FOR"]:
        from werkzeug.middleware.proxy_fix import ProxyFix

        app.wsgi_app = ProxyFix(
            app.wsgi_app, x_for=app.config["PROXY_FIX_X_FOR"], x_proto=1, x_host=1
        )


def setup_logging(app: Flask) -> None:
    """Ids and endpoints only, never request bodies or client details; and every line escaped,
    so a newline or control character someone sent cannot forge a log line."""
    from flask.logging import default_handler

    logs.install()
    default_handler.setFormatter(
        logs.EscapingFormatter("[%(asctime)s] %(levelname)s in %(module)s: %(message)s")
    )
    logging.getLogger("waypoint").setLevel(logging.INFO)


def setup_extensions(app: Flask) -> None:
    db.init_app(app)
    migrate.init_app(
        app, db, directory=str(ROOT / "migrations"), compare_type=True, render_as_batch=True
    )
    csrf.init_app(app)
    htmx.init_app(app)
    from app.auth import limits  # noqa: F401  (registers the database:// limit storage)

    limiter.init_app(app)
    login_manager.init_app(app)
    login_manager.session_protection = None  # the session token + idle timeout do this job

    from sqlalchemy import bindparam, select
    from sqlalchemy.orm import joinedload

    from app.auth.models import User

    # With the units it may work in: every page needs them (one statement, not three). Built
    # once: building a statement costs more than running this one.
    by_token = (
        select(User)
        .where(User.signed_in_by(bindparam("token")))
        .options(joinedload(User.home_unit), joinedload(User.cover_units))
    )

    @login_manager.user_loader
    def load_user(token: str):
        return db.session.scalars(by_token, {"token": token}).unique().first()


def setup_jinja(app: Flask) -> None:
    app.jinja_loader = ChoiceLoader(
        [FileSystemLoader(str(ROOT / "templates")), PackageLoader("nhsuk_frontend_jinja")]
    )
    app.jinja_env.undefined = ChainableUndefined
    # Escape everything, the NHS macros' .jinja files included: Flask only escapes .html by
    # default, and the macros print the text we pass them ("text" params, labels, textarea
    # values), some of it typed by staff.
    app.jinja_env.autoescape = True
    app.jinja_env.trim_blocks = True
    app.jinja_env.lstrip_blocks = True
    app.jinja_env.filters["datetime"] = clock.format_datetime
    app.jinja_env.filters["date"] = clock.format_date
    app.jinja_env.filters["time"] = clock.format_time
    app.jinja_env.globals.update(TEMPLATE_GLOBALS)
    components.install(app.jinja_env)

    @app.context_processor
    def layout_context() -> dict:
        return {
            "assetPath": url_for("static", filename="vendor/nhsuk/assets").split("?")[0],
            "trust_name": app.config["TRUST_NAME"],
            "current_unit": g.get("unit"),
        }


def setup_session_guard(app: Flask) -> None:
    """Login for every view except the public ones, idle timeout, and the current unit.

    It runs before every other request hook (CSRF included), so an anonymous request is always
    sent to the login page rather than refused for some other reason first.
    """

    # Not on SQLite: its driver opens no transaction for a SELECT anyway, and switching the
    # isolation level there costs two PRAGMA statements a request.
    polls_without_transaction = app.config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql")

    def require_login():
        if request.endpoint in PUBLIC_ENDPOINTS or request.endpoint is None:
            return None
        polling = request.method == "GET" and request.args.get("poll") == "1"
        if polling and polls_without_transaction:
            # A poll only reads (tests/core/test_query_counts.py): no transaction to open and
            # roll back, two round trips fewer on PostgreSQL. Its statements see what is
            # committed, as they would in a READ COMMITTED transaction.
            db.session.connection(execution_options={"isolation_level": "AUTOCOMMIT"})
        moment = clock.now()
        idle = app.config["IDLE_TIMEOUT_MINUTES"] * 60
        if polling and (answer := answer_quickly(moment, idle)) is not None:
            return answer  # 304: signed in, may see it, and nothing it shows has changed
        now = moment.timestamp()
        if current_user.is_authenticated:
            last_seen = session.setdefault("last_seen", now)
            exempt = any(
                check(current_user, request.endpoint)
                for check in app.extensions.get("idle_exemptions", ())
            )
            if now - last_seen <= idle or exempt:
                # Polling is not the person being active. The stamp moves at most once a minute,
                # so most responses carry no new session cookie (nothing re-signed or sent).
                if not polling and now - last_seen >= LAST_SEEN_STEP:
                    session["last_seen"] = now
                if not session.permanent:
                    session.permanent = True
                from app.auth.services import SESSION_UNIT_KEY, current_unit_for

                g.unit = current_unit_for(current_user)
                if session.get(SESSION_UNIT_KEY) != g.unit.id:
                    session[SESSION_UNIT_KEY] = g.unit.id  # the unit a quick poll answer checks
                return None
            logout_user()
            session.clear()
            session["signed_out_idle"] = True
        if request.method == "POST" and request.endpoint != "auth.logout":
            # The login page says what was not sent (the endpoint only, never what was typed).
            session["unsent_form"] = request.endpoint
        target = url_for("auth.login", next=current_location())
        return hx_redirect(target) if request.htmx else _redirect_to_login(target)

    app.before_request_funcs.setdefault(None, []).insert(0, require_login)


def _redirect_to_login(target: str):
    from flask import redirect

    return redirect(target, 303 if request.method == "POST" else 302)


def register_blueprints(app: Flask) -> None:
    from app.audit import bp as audit_bp
    from app.auth import bp as auth_bp
    from app.clients import bp as clients_bp
    from app.core.routes import bp as core_bp
    from app.home import bp as home_bp
    from app.huddles import bp as huddles_bp
    from app.lone_working import bp as lone_working_bp
    from app.meals import bp as meals_bp
    from app.notes import bp as notes_bp
    from app.reports import bp as reports_bp

    for blueprint in (
        core_bp,
        auth_bp,
        home_bp,
        clients_bp,
        lone_working_bp,
        notes_bp,
        meals_bp,
        huddles_bp,
        reports_bp,
        audit_bp,
    ):
        app.register_blueprint(blueprint)


ERROR_TEXT = {
    400: (
        "Sorry, there is a problem with that request",
        "Go back, check what you entered and try again.",
    ),
    403: (
        "You do not have access to this page",
        "Ask a lead or an administrator if you think you should.",
    ),
    404: (
        "Page not found",
        "If you typed the web address, check it is correct. "
        "If you pasted it, check you copied the whole address.",
    ),
    405: ("Sorry, that action is not allowed here", "Go back and try again."),
    413: (
        "What you sent is too large",
        "Waypoint takes typed text only, up to about 250 KB at a time. Go back, shorten what you "
        "entered (your text is still in the form) and try again.",
    ),
    429: ("Too many attempts", "For your security, wait 15 minutes before trying again."),
    500: (
        "Sorry, there is a problem with the service",
        "Try again later. What you entered may not have been saved.",
    ),
}


def register_error_handlers(app: Flask) -> None:
    def error_page(status: int, detail: str | None = None):
        if request.htmx and request.args.get("poll") == "1" and status != 429:
            # A poll that fails leaves the page as it is (an outing screen with its SOS button,
            # or the board) and tries again at the next poll.
            return make_response("", 204)
        title, text = ERROR_TEXT.get(status, ERROR_TEXT[500])
        response = render(
            "errors/error.html",
            "errors/_error.html",
            status=status,
            title=title,
            text=detail or text,
            code=status,
        )
        if request.htmx:
            # An error replaces the main content, never a small fragment or a form.
            response.headers["HX-Retarget"] = "#maincontent"
            response.headers["HX-Reswap"] = "innerHTML"
        return response

    @app.errorhandler(CSRFError)
    def csrf_error(error):
        return error_page(
            400,
            "This form was open too long or came from somewhere else, so it was not sent. "
            "Go back, refresh the page and try again.",
        )

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException):
        if error.code in (301, 302, 303, 307, 308):
            return error
        # A view's own words (abort(400, description=...)) replace the generic text.
        own = error.description if error.description != type(error).description else None
        return error_page(error.code or 500, own)

    @app.errorhandler(OverflowError)
    @app.errorhandler(DataError)
    def value_out_of_range(error: Exception):
        # The last line of defence behind the parsers in app/core: a number too large for the
        # database (SQLite's OverflowError, PostgreSQL's "integer out of range"), or a value
        # the database will not store, is the request's fault, not the service's.
        db.session.rollback()
        app.logger.warning(
            "Refused a value out of range on %s: %s", request.endpoint, type(error).__name__
        )
        return error_page(
            400,
            "A number, date or piece of text in what you sent is outside what Waypoint can "
            "store. Go back, check what you entered and try again.",
        )

    @app.errorhandler(Exception)
    def server_error(error: Exception):
        if app.testing and not app.config.get("RENDER_SERVER_ERRORS"):
            raise error
        app.logger.exception("Unhandled error on %s", request.endpoint)
        db.session.rollback()
        return error_page(500)


def register_cli(app: Flask) -> None:
    from app.cli import register

    register(app)
