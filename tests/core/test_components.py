"""NHS.UK components kept per parameter set (app/core/components.py) write exactly what the
macros write, never one person's header for another, and keep a bounded number of entries."""

import re

from markupsafe import Markup

from app.core import components
from tests.conftest import Web


def _macro(app, name):
    path = components.MACROS[name]
    return getattr(app.jinja_env.get_template(path).module, name)


def test_each_kept_component_writes_what_its_macro_writes(app):
    samples = {
        "button": [{"text": "Save"}, {"text": "Add", "href": "/x", "classes": "a"}],
        "backLink": [{"href": "/", "text": "Home"}],
        "tag": [{"text": "Amber", "classes": "nhsuk-tag--orange"}],
        "footer": [{"copyright": {"text": "© A Trust"}}],
        "skipLink": [{"href": "#maincontent", "text": "Skip to main content"}],
        "header": [{"service": {"text": "Waypoint", "href": "/"}}],
    }
    for name, params_list in samples.items():
        kept = app.jinja_env.globals[name]
        for params in params_list:
            expected = str(_macro(app, name)(params))
            assert str(kept(params)) == expected, name
            assert str(kept(params)) == expected, name  # and again, from memory


def test_markup_and_plain_text_are_different_parameters(app):
    button = app.jinja_env.globals["button"]
    as_html = str(button({"text": Markup("<b>Go</b>")}))
    as_text = str(button({"text": "<b>Go</b>"}))
    assert "<b>Go</b>" in as_html
    assert "&lt;b&gt;Go&lt;/b&gt;" in as_text


def test_parameters_that_cannot_be_frozen_are_rendered_each_time(app):
    class Thing:
        def __str__(self):
            return "Thing"

    tag = app.jinja_env.globals["tag"]
    before = len(tag._kept)
    assert "Thing" in str(tag({"text": Thing()}))
    assert len(tag._kept) == before


def test_the_table_is_bounded(app):
    memo = components.Memo(_macro(app, "tag"), size=5)
    for i in range(20):
        assert f"Label {i}" in str(memo({"text": f"Label {i}"}))
    assert len(memo._kept) == 5
    memo({"text": "Label 19"})
    assert memo.hits == 1


def test_two_people_each_see_their_own_header_and_token(app, make_user):
    pages = {}
    for name in ("Ada Marsh", "Bea Holt"):
        web = Web(app.test_client())
        web.login(make_user("ot", name=name))
        for _ in range(2):  # the second page is served from the kept header
            html = web.get("/").get_data(as_text=True)
        form_token = re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)
        body_token = re.search(r'X-CSRFToken(?:&#34;|"): (?:&#34;|")([^&"]+)', html).group(1)
        assert form_token == body_token  # this request's token, not a kept one
        assert "waypoint:logout-form" not in html
        pages[name] = html
    assert "Ada Marsh" in pages["Ada Marsh"] and "Bea Holt" not in pages["Ada Marsh"]
    assert "Bea Holt" in pages["Bea Holt"] and "Ada Marsh" not in pages["Bea Holt"]


def _normalised(html: str) -> str:
    """Markup with the whitespace between and inside tags made irrelevant."""
    html = re.sub(r"\s+", " ", html)
    html = re.sub(r"\s*(<[^>]+>)\s*", r"\1", html)
    return html.strip()


def test_the_written_out_summary_list_is_the_nhs_one(app):
    ours = app.jinja_env.get_template("components/summary_list.html").module.summaryList
    nhs = app.jinja_env.get_template("nhsuk/components/summary-list/macro.jinja").module.summaryList
    amend = {"items": [{"href": "/amend?f=place", "text": "Amend", "visuallyHiddenText": "place"}]}
    cases = [
        {"rows": [{"key": {"text": "Name"}, "value": {"text": "Al <Brooke> & co"}}]},
        {
            "rows": [
                {"key": {"text": "Client"}, "value": {"html": Markup('<a href="/c/1">AB</a>')}},
                {"key": {"text": "Place"}, "value": {"html": Markup("Café")}, "actions": amend},
                {"key": {"text": "Duration"}, "value": {"html": Markup("")}, "actions": amend},
                {"key": {"text": "Outing"}, "value": {"text": "Outing 4"}},
            ]
        },
    ]
    for params in cases:
        assert _normalised(str(ours(params))) == _normalised(str(nhs(params)))
