import re

import pytest

from app import create_app
from app.config import ConfigError
from tests.conftest import soup


def test_a_post_without_the_csrf_token_is_refused_and_changes_nothing(web, make_user, app):
    admin = make_user("admin")
    web.login(admin)
    response = web.client.post("/clients/new", data={"full_name": "Nobody Atall", "initials": "NA"})
    assert response.status_code == 400
    assert "was not sent" in response.get_data(as_text=True)
    assert "Nobody" not in web.get("/clients?q=NA").get_data(as_text=True)


def test_an_htmx_post_with_a_wrong_token_header_is_refused(web, make_user):
    web.login(make_user("admin"))
    response = web.client.post(
        "/clients/new",
        data={"full_name": "X"},
        headers={"HX-Request": "true", "X-CSRFToken": "forged"},
    )
    assert response.status_code == 400


def test_an_htmx_post_with_the_token_header_from_the_page_is_accepted(web, make_user):
    web.login(make_user("admin"))
    body = web.get("/").get_data(as_text=True)
    token = re.search(r'X-CSRFToken&#34;: &#34;([^&]+)&#34;|"X-CSRFToken": "([^"]+)"', body)
    header = token.group(1) or token.group(2)
    response = web.client.post(
        "/clients/new", data={}, headers={"HX-Request": "true", "X-CSRFToken": header}
    )
    assert response.status_code == 422  # got past CSRF to validation


def test_pages_carry_a_strict_content_security_policy_with_a_fresh_nonce(app):
    client = app.test_client()
    first, second = client.get("/login"), client.get("/login")
    csp = first.headers["Content-Security-Policy"]
    assert "default-src 'self'" in csp
    assert "frame-ancestors 'none'" in csp
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp
    nonce = re.search(r"'nonce-([^']+)'", csp).group(1)
    assert nonce not in second.headers["Content-Security-Policy"]
    scripts = soup(first).select("script:not([src])")
    assert scripts and all(s.get("nonce") == nonce for s in scripts)


def test_pages_load_nothing_from_another_origin(app):
    page = soup(app.test_client().get("/login"))
    urls = [t.get("href") for t in page.select("link[href]")] + [
        t.get("src") for t in page.select("script[src], img[src]")
    ]
    assert urls
    assert all(u.startswith("/") and not u.startswith("//") for u in urls), urls


def test_the_stylesheet_has_no_web_font_or_url_from_another_origin(app):
    client = app.test_client()
    href = soup(client.get("/login")).select_one('link[href*="nhsuk-frontend"]')["href"]
    css = client.get(href).get_data(as_text=True)
    assert "@font-face" not in css
    assert not re.search(r"url\(['\"]?(https?:)?//", css)


def test_security_headers_are_set(app):
    response = app.test_client().get("/login")
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "same-origin"
    assert response.headers["Cache-Control"] == "no-store"
    assert "Strict-Transport-Security" not in response.headers


def test_session_cookie_is_httponly_and_samesite_lax(web, make_user):
    response = web.login(make_user("ot"))
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_production_refuses_to_start_without_a_real_secret_key(monkeypatch):
    monkeypatch.setenv("WAYPOINT_ENV", "production")
    monkeypatch.delenv("SECRET_KEY", raising=False)
    with pytest.raises(ConfigError):
        create_app()
    monkeypatch.setenv("SECRET_KEY", "dev")
    with pytest.raises(ConfigError):
        create_app()


def test_production_refuses_to_start_with_no_way_to_send_alerts(monkeypatch, app):
    monkeypatch.setenv("WAYPOINT_ENV", "production")
    monkeypatch.setenv("SECRET_KEY", "a" * 64)
    monkeypatch.delenv("SMTP_HOST", raising=False)
    monkeypatch.delenv("NOTIFY_API_KEY", raising=False)
    with pytest.raises(ConfigError, match="need a channel"):
        create_app({"SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"]})


def test_production_sets_secure_cookies_and_hsts(monkeypatch, app):
    monkeypatch.setenv("WAYPOINT_ENV", "production")
    monkeypatch.setenv("SECRET_KEY", "a" * 64)
    monkeypatch.setenv("SMTP_HOST", "127.0.0.1")
    prod = create_app({"SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"]})
    assert prod.config["SESSION_COOKIE_SECURE"] is True
    response = prod.test_client().get("/login")
    assert response.headers["Strict-Transport-Security"].startswith("max-age=31536000")


def test_health_reports_ok_with_the_database_up_and_the_watcher_beating(app, watcher_alive):
    response = app.test_client().get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {
        "status": "ok",
        "database": "ok",
        "watcher": "ok",
        "delivery": "ok",
    }


def test_health_reports_503_when_the_watcher_heartbeat_is_stale(app, frozen_clock):
    from datetime import UTC, datetime

    from app.extensions import db
    from app.lone_working.escalation import beat

    frozen_clock(datetime(2026, 11, 24, 9, 0, tzinfo=UTC))
    with app.app_context():
        beat("test-watcher")
        db.session.remove()
    frozen_clock.advance(minutes=1, seconds=59)
    assert app.test_client().get("/healthz").status_code == 200
    frozen_clock.advance(seconds=2)
    response = app.test_client().get("/healthz")
    assert response.status_code == 503
    assert response.get_json() == {
        "status": "error",
        "database": "ok",
        "watcher": "stale",
        "delivery": "ok",
    }


def test_health_reports_503_and_the_failing_part_when_the_database_is_unreachable(tmp_path):
    broken = create_app(
        {"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/missing/dir/nowhere.db", "TESTING": True}
    )
    response = broken.test_client().get("/healthz")
    assert response.status_code == 503
    assert response.get_json() == {"status": "error", "database": "unreachable"}


def test_static_files_have_content_hashed_urls_cached_for_a_year(app):
    client = app.test_client()
    href = soup(client.get("/login")).select_one('link[href*="app.css"]')["href"]
    assert re.search(r"\?v=[0-9a-f]{12}$", href)
    response = client.get(href)
    assert response.headers["Cache-Control"] == "public, max-age=31536000, immutable"
    stale = client.get(href.split("?")[0] + "?v=000000000000")
    assert stale.headers["Cache-Control"] == "no-cache"


def test_static_files_and_pages_are_gzipped_when_the_browser_accepts_it(app):
    client = app.test_client()
    page = client.get("/login", headers={"Accept-Encoding": "gzip"})
    assert page.headers["Content-Encoding"] == "gzip"
    assert "Accept-Encoding" in page.headers["Vary"]
    href = soup(client.get("/login")).select_one('link[href*="nhsuk-frontend"]')["href"]
    css = client.get(href, headers={"Accept-Encoding": "gzip"})
    assert css.headers["Content-Encoding"] == "gzip"
    assert client.get(href).headers.get("Content-Encoding") is None


def test_static_paths_cannot_escape_the_static_folder(app):
    assert app.test_client().get("/static/../app/config.py").status_code == 404


def test_a_404_is_an_nhs_styled_page(web, make_user):
    web.login(make_user("ot"))
    response = web.get("/clients/999999")
    assert response.status_code == 404
    page = soup(response)
    assert page.select_one("header.nhsuk-header") is not None
    assert page.h1.get_text(strip=True) == "Page not found"


def test_errors_inside_an_htmx_swap_replace_the_main_content_not_the_fragment(web, make_user):
    web.login(make_user("ot"))
    response = web.get("/staff", headers={"HX-Request": "true"})
    assert response.status_code == 403
    assert response.headers["HX-Retarget"] == "#maincontent"
    assert response.headers["HX-Reswap"] == "innerHTML"
    body = response.get_data(as_text=True)
    assert "<html" not in body
    assert "You do not have access to this page" in body


def test_a_server_error_shows_the_nhs_500_page(app, web, make_user, monkeypatch):
    web.login(make_user("ot"))
    from app.clients import routes

    def explode(*args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(routes, "search", explode)
    app.config["RENDER_SERVER_ERRORS"] = True
    try:
        response = web.get("/clients", headers={"HX-Request": "true"})
    finally:
        app.config["RENDER_SERVER_ERRORS"] = False
    assert response.status_code == 500
    assert "Sorry, there is a problem with the service" in response.get_data(as_text=True)
    assert response.headers["HX-Retarget"] == "#maincontent"


def test_text_typed_by_staff_is_escaped_inside_the_nhs_macros_too(app, web, make_user, make_client):
    """The nhsuk-frontend-jinja macros are .jinja files, which Flask would not autoescape."""
    attack = '</textarea><b id="pwned" hx-post="/logout" hx-trigger="load">x</b>'
    client = make_client("XS", full_name=attack, room="1")
    web.login(make_user("lead"))
    shown = soup(web.get(f"/clients/{client.id}"))
    assert shown.select_one("#pwned") is None
    assert attack in shown.select_one("#client-details").get_text()  # shown as text
    form = soup(web.get(f"/clients/{client.id}/edit"))
    assert form.select_one("#pwned") is None
    assert form.select_one("#full_name")["value"] == attack  # kept, escaped once
