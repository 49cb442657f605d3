"""Every page kind, as every role, found by following the app's own links: every control outside
running text is at least 24x24 px (WCAG 2.2, 2.5.8), and axe is clean, "region" included."""

import re
from urllib.parse import urlsplit

import pytest

pytestmark = pytest.mark.browser

ROLES = [
    "ot@example.com",
    "assistant@example.com",  # out on the demo outing: My outing and its forms
    "headot@example.com",
    "admin@example.com",
    "ot2@example.com",
]
NOT_VISITED = re.compile(r"^/(static/|logout|healthz)|\.(csv|pdf)$")
MIN_TARGET = 24

# Controls, and labels that are the control of a radio or checkbox. A link inside running
# text (a paragraph, list item or cell with other text) is exempt, as WCAG 2.5.8 allows.
MEASURE = """() => {
  // A sentence: the block around the link has words of its own, not only links and separators.
  const inRunningText = (link) => {
    const block = link.closest('p, li, dd, td, th, .nhsuk-hint');
    if (!block) return false;
    let own = block.textContent;
    for (const control of block.querySelectorAll('a, button')) {
      own = own.replace(control.textContent, '');
    }
    return /[A-Za-z]{2,}/.test(own);
  };
  const selector = 'a[href], button, input:not([type=hidden]), select, textarea, summary, '
    + 'label[for]';
  const found = [];
  for (const el of document.querySelectorAll(selector)) {
    if (el.matches('input[type=radio], input[type=checkbox]')) continue;  // the label is measured
    if (el.matches('label') && !document.getElementById(el.htmlFor)?.matches(
      'input[type=radio], input[type=checkbox]')) continue;
    if (!el.getClientRects().length || el.closest('details:not([open]) > :not(summary)')) continue;
    const style = getComputedStyle(el);
    if (style.visibility === 'hidden') continue;
    const box = el.getBoundingClientRect();
    if (box.width <= 1 && box.height <= 1) continue;  // visually hidden until focused
    if (el.matches('a') && inRunningText(el)) continue;
    if (box.width < 24 || box.height < 24) {
      const size = `${Math.round(box.width)}x${Math.round(box.height)}`;
      found.push(`${el.outerHTML.slice(0, 140)} is ${size}`);
    }
  }
  return found;
}"""


def _kind(path: str) -> str:
    """One visit per page kind: ids and dates become N, so /clients/3 and /clients/4 are one kind,
    and so are a meal plan's weeks (each links to the week before and after, without end)."""
    return re.sub(r"/\d[\d-]*", "/N", path)


def _links(page) -> list[str]:
    hrefs = page.eval_on_selector_all("a[href]", "els => els.map((a) => a.href)")
    paths = []
    for href in hrefs:
        parts = urlsplit(href)
        if parts.netloc and parts.netloc != urlsplit(page.url).netloc:
            continue
        path = parts.path + (f"?{parts.query}" if parts.query else "")
        if path.startswith("/") and not NOT_VISITED.search(parts.path):
            paths.append(path)
    return paths


def test_every_control_outside_running_text_is_at_least_24px_on_every_page(
    new_page, demo, log_in, axe
):
    problems, visited = [], set()
    login = new_page()
    login.goto("/login")
    problems += [f"/login: {p}" for p in login.evaluate(MEASURE)]
    axe(login)
    for email in ROLES:
        page = new_page()
        log_in(page, email)
        queue, seen_kinds = ["/"], set()
        while queue:
            path = queue.pop(0)
            kind = _kind(urlsplit(path).path)
            if kind in seen_kinds:
                continue
            seen_kinds.add(kind)
            response = page.goto(path)
            if response is None or response.status >= 400 or "/login" in page.url:
                continue
            page.wait_for_load_state("networkidle")  # fragments loaded on "load" are in
            visited.add(kind)
            problems += [f"{path} as {email}: {p}" for p in page.evaluate(MEASURE)]
            axe(page)
            queue += _links(page)
    assert len(visited) >= 15, f"the crawl found only {sorted(visited)}"
    assert not problems, "Controls under 24x24 px:\n  " + "\n  ".join(problems)
