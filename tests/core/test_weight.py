"""Page weight, by bytes on the wire: a first visit to the demo home page, and a repeat visit."""

import re

from app.demo import DEMO_PASSWORD, seed_demo
from app.extensions import db
from tests.conftest import soup

GZIP = {"Accept-Encoding": "gzip"}
FIRST_VISIT_LIMIT = 75 * 1024
FIRST_VISIT_TARGET = 45 * 1024  # issue 11: purged NHS.UK CSS, htmx as it is, no fonts
# The components app.js fetches the NHS.UK script for (the same selector as NEEDS_NHSUK_JS there).
NEEDS_NHSUK_JS = (
    '[data-module^="nhsuk-"]:not([data-module="nhsuk-header"])'
    ':not([data-module="nhsuk-skip-link"]), '
    '[data-module="nhsuk-header"] .nhsuk-header__navigation'
)
REPEAT_HTML_LIMIT = 8 * 1024


def _subresources(page) -> list[str]:
    urls = [
        link["href"] for link in page.select('link[rel="stylesheet"], link[rel="modulepreload"]')
    ]
    urls += [script["src"] for script in page.select("script[src]")]
    if page.select(NEEDS_NHSUK_JS):  # app.js imports it only then
        urls += [meta["content"] for meta in page.select('meta[name="waypoint-nhsuk-js"]')]
    return sorted(set(urls))


def _module_imports(url: str, source: bytes) -> list[str]:
    """Our ES modules' static imports ("./drafts.js"): the browser fetches them too."""
    base = url.split("?")[0].rsplit("/", 1)[0]
    return [
        f"{base}/{name.decode()}".encode()
        for name in re.findall(rb'from "\./([\w.-]+\.js)"', source)
    ]


def test_the_demo_home_page_first_visit_is_under_45_kb_and_a_repeat_under_8_kb(app, web):
    with app.app_context():
        seed_demo()
        db.session.remove()
    web.post("/login", {"email": "ot@example.com", "password": DEMO_PASSWORD})

    home = web.get("/", headers=GZIP)
    assert home.headers["Content-Encoding"] == "gzip"
    html_bytes = len(home.data)
    page = soup(web.get("/"))
    assets = _subresources(page)
    assert any(".css" in u for u in assets) and any(".js" in u for u in assets)

    asset_bytes = 0
    fetched = set()
    while assets:
        url = assets.pop()
        if url in fetched:
            continue
        fetched.add(url)
        response = web.get(url, headers=GZIP)
        assert response.status_code == 200, url
        asset_bytes += len(response.data)
        if url.split("?")[0].endswith(".js"):
            assets += [u.decode() for u in _module_imports(url, web.get(url).data)]
        css = response.data if url.split("?")[0].endswith(".css") else b""
        # Fonts count too: any the stylesheets ask for would have to be added here.
        assert b"@font-face" not in css, url

    total = html_bytes + asset_bytes
    print(f"first visit: html {html_bytes} B + assets {asset_bytes} B = {total} B")
    assert total <= FIRST_VISIT_LIMIT
    assert total <= FIRST_VISIT_TARGET

    repeat = web.get("/", headers=GZIP)
    print(f"repeat visit html: {len(repeat.data)} B")
    assert len(repeat.data) <= REPEAT_HTML_LIMIT
    # On a repeat visit the assets come from the browser cache: their URLs are immutable.
    for url in assets:
        assert "immutable" in web.get(url).headers["Cache-Control"], url
