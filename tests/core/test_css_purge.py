"""The purged NHS.UK stylesheet (scripts/purge_css.py) still has every class the pages use.

A class missing here means the built CSS is stale (a merge brought new templates: run
``make install``, which rebuilds it) or the purge was too eager."""

import re
import sys
from pathlib import Path

import pytest

from app.demo import DEMO_PASSWORD, seed_demo
from app.extensions import db
from tests.conftest import soup

ROOT = Path(__file__).resolve().parents[2]
FULL_CSS = ROOT / "node_modules" / "nhsuk-frontend" / "dist" / "nhsuk" / "nhsuk-frontend.min.css"
BUILT_CSS = ROOT / "static" / "vendor" / "nhsuk" / "nhsuk-frontend.min.css"
CLASS = re.compile(r"\.(-?[_a-zA-Z](?:[\w-]|\\.)*)")
TOKEN = re.compile(r"nhsuk-[A-Za-z0-9_-]*[A-Za-z0-9]")
HINT = "the built CSS is stale or over-purged: run `make install` (scripts/build_vendor.py)"


def classes_in(css: str) -> set[str]:
    selectors = " ".join(re.findall(r"([^{}]+)\{", css))
    return {name.replace("\\", "") for name in CLASS.findall(selectors)}


@pytest.fixture(scope="module")
def full_and_built() -> tuple[set[str], set[str]]:
    return classes_in(FULL_CSS.read_text()), classes_in(BUILT_CSS.read_text())


def test_every_nhsuk_class_our_templates_python_and_js_name_is_in_the_built_css(full_and_built):
    full, built = full_and_built
    files = [p for p in (ROOT / "templates").rglob("*") if p.is_file()]
    files += list((ROOT / "app").rglob("*.py")) + list((ROOT / "static" / "js").rglob("*.js"))
    named = {token for path in files for token in TOKEN.findall(path.read_text())}
    assert len(named) > 50  # the scan found the classes
    missing = sorted((named & full) - built)
    assert not missing, f"{missing}: {HINT}"


PAGES = [
    "/",
    "/board",
    "/clients",
    "/clients/1",
    "/notes/new?client_id=1",
    "/out/new",
    "/out/mine",
    "/profile",
    "/audit",
    "/staff",
    "/login",
]


def test_every_class_on_the_main_pages_is_in_the_built_css(app, web, full_and_built):
    """Classes the NHS macros add from their parameters are checked as the pages render them."""
    full, built = full_and_built
    with app.app_context():
        seed_demo()
        db.session.remove()
    shown: set[str] = set()
    for email in ("assistant@example.com", "admin@example.com"):  # on an outing; an admin
        web.post("/login", {"email": email, "password": DEMO_PASSWORD})
        for path in PAGES:
            response = web.get(path)
            if response.status_code != 200:
                continue
            for element in soup(response).select("[class]"):
                shown.update(element["class"])
        web.post("/logout", {})
    assert {"nhsuk-header", "nhsuk-button", "nhsuk-card"} <= shown
    missing = sorted((shown & full) - built)
    assert not missing, f"{missing}: {HINT}"


def test_the_purge_keeps_only_what_is_used_and_never_needs_a_class_inside_not():
    sys.path.insert(0, str(ROOT / "scripts"))
    from purge_css import Purger

    purger = Purger({"used", "nhsuk-a"}, {"nhsuk-w-"}, {"half"}, {"nhsuk-menu"}, {"open"})
    css = (
        '@charset "UTF-8";html{color:red}.used,.unused{a:b}.unused{c:d}'
        ".nhsuk-a:not(.unused){e:f}@media (min-width:1px){.unused{g:h}}"
        "@media print{.used:has(+.nhsuk-a){i:j}}.nhsuk-w-half{k:l}.nhsuk-w-third{m:n}"
        ".nhsuk-menu--open{o:p}.nhsuk-menu--shut{q:r}@keyframes x{0%{s:t}}"
    )
    assert purger.purge(css) == (
        '@charset "UTF-8";html{color:red}.used{a:b}.nhsuk-a:not(.unused){e:f}'
        "@media print{.used:has(+.nhsuk-a){i:j}}.nhsuk-w-half{k:l}.nhsuk-menu--open{o:p}"
        "@keyframes x{0%{s:t}}"
    )
