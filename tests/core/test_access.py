"""Every route needs a login except /login, /healthz and static files.

The routes are found by walking the URL map, so new ones are covered without listing them."""

import re

import pytest

from app import PUBLIC_ENDPOINTS


def _example_url(rule) -> str:
    return re.sub(r"<(?:[^:>]+:)?([^>]+)>", lambda m: "1" if "id" in m.group(1) else "x", rule.rule)


def _protected_rules(app):
    return [r for r in app.url_map.iter_rules() if r.endpoint not in PUBLIC_ENDPOINTS]


def test_the_walk_finds_the_routes_it_should(app):
    endpoints = {r.endpoint for r in _protected_rules(app)}
    assert {
        "home.index",
        "clients.index",
        "clients.show",
        "auth.staff_list",
        "audit.index",
    } <= endpoints


def test_only_login_health_static_the_offline_shell_and_notifys_callback_are_public():
    # The offline shell (manifest, service worker, offline page) holds nothing personal
    # (tests/core/test_offline_shell.py); Notify's callback checks its own bearer token
    # (tests/lone_working/test_sms.py).
    assert PUBLIC_ENDPOINTS == {
        "auth.login",
        "core.healthz",
        "static",
        "core.manifest",
        "core.service_worker",
        "core.offline",
        "lone_working.inbound_sms",
    }


def test_every_other_route_sends_an_anonymous_user_to_login(app):
    client = app.test_client()
    checked = 0
    for rule in _protected_rules(app):
        url = _example_url(rule)
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            response = client.open(url, method=method)
            assert response.status_code in (302, 303), (method, url, response.status_code)
            assert response.headers["Location"].startswith("/login?next="), (method, url)
            checked += 1
    assert checked >= 10


def test_an_anonymous_htmx_request_is_sent_to_login_by_hx_redirect(app):
    response = app.test_client().get(
        "/clients?q=ab",
        headers={"HX-Request": "true", "HX-Current-URL": "http://localhost/clients?q=a"},
    )
    assert response.headers["HX-Redirect"] == "/login?next=/clients?q%3Da"
    assert b"<html" not in response.data


@pytest.mark.parametrize("url", ["/login", "/healthz"])
def test_public_pages_need_no_login(app, watcher_alive, url):
    assert app.test_client().get(url).status_code == 200
