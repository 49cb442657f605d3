"""Keep only the NHS.UK CSS that Waypoint's pages can use (run by scripts/build_vendor.py).

What counts as used: every word (``[A-Za-z0-9_-]+``, PurgeCSS's default extractor) in

- ``templates/**`` (our pages and fragments),
- the nhsuk-frontend-jinja templates those import, include or extend, and those that
  ``app/**/*.py`` names (the components ``app/core/components.py`` installs as globals, which
  templates call without importing), followed recursively,
- ``app/**/*.py`` (classes set in Python, e.g. a tag's colour) and ``static/js/**`` (set in JS),

plus, as a safelist, the classes the NHS.UK JavaScript adds at runtime: each ``nhsuk-*`` name in
its script whose component the pages use (``nhsuk-header__menu`` because ``nhsuk-header`` is
used), with the ``--modifier`` forms its script names (``--visible``). A class name built in a
template (``nhsuk-grid-column-{{ width }}``, ``"nhsuk-u-width-" ~ x``, ``nhsuk-x-${y}``) keeps
the classes made of that fixed part and a word quoted in our templates or in the macros
(``one-half``, ``secondary``).

A selector is kept when every class it needs is used; classes inside ``:not(...)`` are not
needed (``.a:not(.b)`` still matches an ``.a``). Rules without classes (elements, ``:root``,
attributes) are always kept, and so are @keyframes. At-rules (@media, @supports, @container)
keep what is kept inside them and vanish when empty.
"""

import re
from collections.abc import Iterable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
WORD = re.compile(r"[A-Za-z0-9_-]+")
CLASS = re.compile(r"\.((?:[A-Za-z0-9_-]|\\.)+)")
TEMPLATE_REF = re.compile(r"""\{%-?\s*(?:from|import|include|extends)\s+["']([^"']+)["']""")
MACRO_PATH = re.compile(r"""["'](nhsuk/[A-Za-z0-9_/-]+\.jinja)["']""")  # named in Python
# A class name with a variable part: the fixed part before {{ ... }}, before "..." ~, before ${
PREFIX = re.compile(r"""(nhsuk-[A-Za-z0-9_-]*?)(?:\{\{|["']\s*~|\$\{)""")


def macro_root() -> Path:
    import nhsuk_frontend_jinja

    return Path(nhsuk_frontend_jinja.__file__).resolve().parent / "templates"


def source_files(root: Path = ROOT) -> list[Path]:
    """Our own files the purge reads (the Makefile rebuilds the CSS when one changes)."""
    files = [p for p in (root / "templates").rglob("*") if p.is_file()]
    files += list((root / "app").rglob("*.py"))
    files += list((root / "static" / "js").rglob("*.js"))
    return sorted(files)


def used_macro_templates(our_templates: Iterable[Path]) -> list[Path]:
    """The nhsuk-frontend-jinja templates our templates reach, followed recursively."""
    base = macro_root()
    seen: set[Path] = set()
    todo = []
    for path in our_templates:
        text = path.read_text()
        todo += TEMPLATE_REF.findall(text)
        if path.suffix == ".py":
            todo += MACRO_PATH.findall(text)
    while todo:
        ref = todo.pop()
        path = (base / ref).resolve()
        if path in seen or not path.is_file() or base not in path.parents:
            continue
        seen.add(path)
        todo += TEMPLATE_REF.findall(path.read_text())
    return sorted(seen)


QUOTED = re.compile(r"""["']([A-Za-z0-9_-]+)["']""")
# Features of the NHS macros Waypoint's pages do not switch on (the macros name their classes
# whether or not a page uses them). Dropped unless one of our own files names the class; the
# rendered-page check in tests/core/test_css_purge.py fails if a page shows one after all.
UNUSED_MACRO_FEATURES = (
    "nhsuk-header__search",
    "nhsuk-header__navigation",
    "nhsuk-header__menu",
    "nhsuk-header--white",
    "nhsuk-header--organisation",
    "nhsuk-header__organisation",
    "nhsuk-card--care",
)


def used_words(root: Path = ROOT) -> tuple[set[str], set[str], set[str]]:
    """(every word in what the pages are made of, the fixed parts of built class names, the
    values such a name may end with: quoted words of our templates and of the macros)."""
    ours = source_files(root)
    own_texts = [p.read_text(encoding="utf-8") for p in ours]
    macro_texts = [p.read_text(encoding="utf-8") for p in used_macro_templates(ours)]
    words: set[str] = set()
    values: set[str] = set()
    prefixes: set[str] = set()
    for path, text in zip(ours, own_texts, strict=True):
        # Macro parameters are passed from templates as quoted strings ("type": "feature").
        if path.suffix == ".html":
            values.update(QUOTED.findall(text))
    for text in macro_texts:  # what a macro passes to another (icon("user")), its defaults
        values.update(QUOTED.findall(text))
    for text in own_texts + macro_texts:
        words.update(WORD.findall(text))
        prefixes.update(p for p in PREFIX.findall(text) if len(p) > len("nhsuk-"))
    own_words = {w for text in own_texts for w in WORD.findall(text)}
    words = {w for w in words if w in own_words or not w.startswith(UNUSED_MACRO_FEATURES)}
    return words, prefixes, values


def runtime_prefixes(nhsuk_js: str, words: set[str]) -> set[str]:
    """Classes the NHS.UK script adds, for the components the pages use."""
    kept = set()
    for name in set(re.findall(r"nhsuk-[A-Za-z0-9_-]+", nhsuk_js)):
        block = re.split(r"__|--", name)[0]
        if name.startswith(UNUSED_MACRO_FEATURES) and name not in words:
            continue
        if block in words or name in words:
            kept.add(name)
    return kept


def _strip_not(selector: str) -> str:
    """The selector without the contents of its :not(...) parts."""
    out, i = [], 0
    while True:
        j = selector.find(":not(", i)
        if j < 0:
            out.append(selector[i:])
            return "".join(out)
        out.append(selector[i:j])
        depth, k = 1, j + 5
        while k < len(selector) and depth:
            depth += {"(": 1, ")": -1}.get(selector[k], 0)
            k += 1
        i = k


def _split_top(text: str, sep: str = ",") -> list[str]:
    parts, depth, start, quote = [], 0, 0, ""
    for i, ch in enumerate(text):
        if quote:
            if ch == quote and text[i - 1] != "\\":
                quote = ""
        elif ch in "\"'":
            quote = ch
        elif ch in "([":
            depth += 1
        elif ch in ")]":
            depth -= 1
        elif ch == sep and depth == 0:
            parts.append(text[start:i])
            start = i + 1
    parts.append(text[start:])
    return parts


class Purger:
    def __init__(
        self,
        words: set[str],
        prefixes: set[str],
        values: set[str],
        runtime: set[str],
        js_words: set[str],
    ):
        self.words = words
        self.values = values
        self.prefixes = tuple(sorted(prefixes))
        self.runtime = runtime
        self.js_words = js_words

    def class_used(self, name: str) -> bool:
        name = name.replace("\\", "")
        if name in self.words or name in self.runtime:
            return True
        # A built name: the fixed part, then a value some template or Python/JS file names.
        if any(name.startswith(p) and name[len(p) :] in self.values for p in self.prefixes):
            return True
        # The NHS script's modifiers of its own classes (nhsuk-header__menu-toggle--visible).
        base, sep, rest = name.rpartition("--")
        return bool(sep) and base in self.runtime and rest in self.js_words

    def selector_used(self, selector: str) -> bool:
        return all(self.class_used(c) for c in CLASS.findall(_strip_not(selector)))

    def purge(self, css: str) -> str:
        out, _ = self._block(css, 0)
        return out

    def _block(self, css: str, i: int) -> tuple[str, int]:
        """Rules from css[i:] up to the closing brace of the enclosing block (or the end)."""
        out = []
        n = len(css)
        while i < n:
            if css[i] in " \n\t;":
                i += 1
                continue
            if css[i] == "}":
                return "".join(out), i + 1
            if css.startswith("/*", i):
                i = css.index("*/", i) + 2
                continue
            head_end = self._find_head_end(css, i)
            head = css[i:head_end].strip()
            if head_end >= n or css[head_end] == ";":  # @charset ...; @import ...;
                out.append(head + ";")
                i = head_end + 1
                continue
            body_start = head_end + 1
            if head.startswith("@"):
                name = head[1:].split("(")[0].split()[0].lower()
                if name in ("media", "supports", "container", "layer", "document"):
                    inner, i = self._block(css, body_start)
                    if inner:
                        out.append(f"{head}{{{inner}}}")
                else:  # keyframes, font-face, page ...: kept whole
                    end = self._matching_brace(css, head_end)
                    out.append(css[i:end])
                    i = end
                continue
            end = self._matching_brace(css, head_end)
            body = css[body_start : end - 1]
            kept = [s for s in _split_top(head) if self.selector_used(s)]
            if kept:
                out.append(",".join(kept) + "{" + body + "}")
            i = end
        return "".join(out), i

    @staticmethod
    def _find_head_end(css: str, i: int) -> int:
        quote, depth = "", 0
        while i < len(css):
            ch = css[i]
            if quote:
                if ch == quote and css[i - 1] != "\\":
                    quote = ""
            elif ch in "\"'":
                quote = ch
            elif ch == "(":
                depth += 1
            elif ch == ")":
                depth -= 1
            elif ch in "{;" and depth == 0:
                return i
            i += 1
        return i

    @staticmethod
    def _matching_brace(css: str, open_at: int) -> int:
        """Index just past the brace closing the one at ``open_at``."""
        depth, quote, i = 0, "", open_at
        while i < len(css):
            ch = css[i]
            if quote:
                if ch == quote and css[i - 1] != "\\":
                    quote = ""
            elif ch in "\"'":
                quote = ch
            elif ch == "{":
                depth += 1
            elif ch == "}":
                depth -= 1
                if depth == 0:
                    return i + 1
            i += 1
        raise ValueError("purge_css: unbalanced braces in the stylesheet")


def purge(css: str, nhsuk_js: str, root: Path = ROOT) -> str:
    words, prefixes, values = used_words(root)
    runtime = runtime_prefixes(nhsuk_js, words)
    return Purger(words, prefixes, values, runtime, set(WORD.findall(nhsuk_js))).purge(css)
