"""NHS.UK components rendered once per distinct set of parameters, then served from memory.

The nhsuk-frontend-jinja macros are pure: what a component writes depends only on the
parameters it is given (they are imported without context, so they see no request, session or
user). Rendering one is costly, though: the profile of /clients (cProfile, issue 11) put the
header, two buttons, three tags, the back link, the skip link and the footer at about 28 % of
the request. The same button, with the same text and link, is rendered again on every page.

``Memo`` wraps such a macro: the parameters are frozen into a key (dicts, lists, text, numbers,
booleans, ``Markup`` kept apart from plain text, since the two are escaped differently, and
Jinja's undefined), and the output is kept in a bounded, least-recently-used table per macro.
Parameters holding anything else (an object, a function) are rendered every time.

Only the page's chrome is kept this way (header, footer, links, buttons, status tags), not the
components that show a client's record (summary lists, tables): those would keep what a record
says in the process's memory after the request that showed it.

The templates call these through globals of the same names as the macros (``button``,
``backLink``, ``tag``), so they do not import them (``scripts/purge_css.py`` follows the paths
named here to keep their styles). ``base.html`` calls the header, footer and skip link as
``kept.header`` and so on, since the NHS page template's own imports of those names come first
in its blocks. Text that changes per request (the CSRF token in the header's log-out form) must
not be passed in: ``base.html`` passes a placeholder and puts the form in after.
"""

from collections import OrderedDict
from threading import Lock

from jinja2 import Environment, Undefined
from markupsafe import Markup

MACROS = {
    "backLink": "nhsuk/components/back-link/macro.jinja",
    "button": "nhsuk/components/button/macro.jinja",
    "footer": "nhsuk/components/footer/macro.jinja",
    "header": "nhsuk/components/header/macro.jinja",
    "skipLink": "nhsuk/components/skip-link/macro.jinja",
    "tag": "nhsuk/components/tag/macro.jinja",
}
SIZE = 512  # distinct parameter sets kept per component
# Where base.html puts the log-out form (and its CSRF token) into the kept header.
LOGOUT_FORM_PLACEHOLDER = Markup("<!-- waypoint:logout-form -->")


class _Unfreezable(Exception):
    pass


def _frozen(value):
    if isinstance(value, Markup):
        return ("markup", str(value))
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    if isinstance(value, dict):
        return ("dict", tuple(sorted((str(k), _frozen(v)) for k, v in value.items())))
    if isinstance(value, (list, tuple)):
        return ("list", tuple(_frozen(v) for v in value))
    if isinstance(value, Undefined):
        return ("undefined",)
    raise _Unfreezable


class Memo:
    """A pure component macro with its output kept per parameter set."""

    def __init__(self, macro, size: int = SIZE):
        self.macro = macro
        self.size = size
        self._kept: OrderedDict = OrderedDict()
        self._lock = Lock()
        self.hits = self.misses = 0

    def __call__(self, params=None):
        try:
            key = _frozen(params)
        except _Unfreezable:
            return self.macro(params)
        with self._lock:
            html = self._kept.get(key)
            if html is not None:
                self._kept.move_to_end(key)
                self.hits += 1
                return html
        html = self.macro(params) if params is not None else self.macro()
        with self._lock:
            self.misses += 1
            self._kept[key] = html
            while len(self._kept) > self.size:
                self._kept.popitem(last=False)
        return html


def install(env: Environment) -> None:
    """The NHS macros above, memoised, as globals of ``env``."""
    kept = {
        name: Memo(getattr(env.get_template(path).module, name)) for name, path in MACROS.items()
    }
    env.globals.update(kept)
    # The NHS page template imports its own header, footer and skip link, and a page's blocks
    # see those before any global: base.html calls these three as ``kept.header`` and so on.
    env.globals["kept"] = kept
    env.globals["LOGOUT_FORM_PLACEHOLDER"] = LOGOUT_FORM_PLACEHOLDER
