"""The installable app's shell (issue 10 items 1 and 2): the manifest, the service worker and
the offline page, served with the right types and cache headers, holding nothing personal."""

import json
import re

from tests.conftest import soup


def test_the_manifest_makes_waypoint_installable_with_our_icons(app, web):
    response = web.get("/manifest.webmanifest")
    assert response.status_code == 200
    assert response.mimetype == "application/manifest+json"
    assert response.headers["Cache-Control"] == "no-cache"
    manifest = json.loads(response.get_data(as_text=True))
    assert manifest["name"] == manifest["short_name"] == "Waypoint"
    assert manifest["display"] == "standalone" and manifest["start_url"] == "/"
    assert manifest["theme_color"] == "#005eb8"
    sizes = {icon["sizes"]: icon for icon in manifest["icons"]}
    assert {"192x192", "512x512", "any"} <= set(sizes)
    for icon in manifest["icons"]:
        served = web.get(icon["src"])
        assert served.status_code == 200 and served.mimetype == icon["type"], icon


def test_every_page_links_our_manifest_not_nhs_ukS(app, web, make_user):
    web.login(make_user("ot"))
    page = soup(web.get("/"))
    links = [link["href"] for link in page.select('link[rel="manifest"]')]
    assert links == ["/manifest.webmanifest"]


def test_the_service_worker_is_served_from_the_root_uncached_as_javascript(app, web):
    response = web.get("/sw.js")
    assert response.status_code == 200
    assert response.mimetype == "text/javascript"
    assert response.headers["Cache-Control"] == "no-cache"
    assert response.headers["Service-Worker-Allowed"] == "/"
    # The CSP is the app's usual one: no inline script, nothing from another origin.
    csp = response.headers["Content-Security-Policy"]
    assert "default-src 'self'" in csp and "unsafe-inline" not in csp


def test_the_service_worker_keeps_only_the_offline_page_and_static_files(app, web):
    source = web.get("/sw.js").get_data(as_text=True)
    keep = json.loads(re.search(r"^const KEEP = (.*);$", source, re.MULTILINE).group(1))
    assert keep[0] == "/offline"
    assert all(url.startswith("/static/") for url in keep[1:])
    # Versioned URLs, but for the module other modules import by its plain path.
    assert [url for url in keep[1:] if "?v=" not in url] == ["/static/js/drafts.js"]
    for url in keep:
        assert web.get(url).status_code == 200, url


def test_the_offline_page_needs_no_login_and_holds_nothing_personal(app, web, make_user):
    anonymous = web.get("/offline")
    assert anonymous.status_code == 200 and anonymous.headers["Cache-Control"] == "no-cache"
    assert "Set-Cookie" not in anonymous.headers  # no session is started for it
    worker = make_user("ot", name="Priya Ramanathan")
    web.login(worker)
    page = web.get("/offline").get_data(as_text=True)
    assert "Priya" not in page and "waypoint-user" not in page and "csrf" not in page.lower()


def test_the_offline_page_always_offers_999_and_loads_only_our_script(app, web):
    page = soup(web.get("/offline"))
    assert page.find("a", string="Call 999")["href"] == "tel:999"
    scripts = page.select("script")
    assert all(s.get("src", "").startswith("/static/") or s.get("nonce") for s in scripts)


def test_geolocation_is_allowed_for_this_site_only(app, web):
    policy = web.get("/offline").headers["Permissions-Policy"]
    assert "geolocation=(self)" in policy and "camera=()" in policy
