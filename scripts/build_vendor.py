"""Copy the front-end files we serve from node_modules into static/vendor.

- nhsuk-frontend: the minified CSS and JS and its assets (icons, favicon, manifest). The
  stylesheet's @font-face rules point at another origin (the Frutiger web font on assets.nhs.uk),
  which our Content-Security-Policy forbids and which we may not re-host, so they are removed:
  text falls back to the design system's own stack (Arial, sans-serif). Root-relative asset URLs
  are made relative to the stylesheet so they resolve under /static/vendor/nhsuk/.
  The stylesheet keeps only the rules our pages can use (scripts/purge_css.py: templates, the
  NHS macros they use, classes set in Python and JS, and the NHS script's runtime classes).
- htmx.org 2.0.x: the minified build.

Run by ``make``; idempotent; prints what it copies. Fails loudly if a file is missing.
"""

import re
import shutil
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "scripts"))
from purge_css import purge  # noqa: E402

NODE = ROOT / "node_modules"
OUT = ROOT / "static" / "vendor"

FONT_FACE = re.compile(r"@font-face\{[^}]*\}")
OTHER_ORIGIN = re.compile(r"url\((['\"]?)https?://", re.I)


def build() -> None:
    nhsuk = NODE / "nhsuk-frontend" / "dist" / "nhsuk"
    htmx = NODE / "htmx.org" / "dist" / "htmx.min.js"
    for needed in (nhsuk / "nhsuk-frontend.min.css", nhsuk / "nhsuk-frontend.min.js", htmx):
        if not needed.exists():
            sys.exit(f"build_vendor: {needed} is missing; run 'npm ci' first")

    if OUT.exists():
        shutil.rmtree(OUT)
    (OUT / "nhsuk").mkdir(parents=True)

    css = (nhsuk / "nhsuk-frontend.min.css").read_text(encoding="utf-8")
    css = FONT_FACE.sub("", css)
    js = (nhsuk / "nhsuk-frontend.min.js").read_text(encoding="utf-8")
    full = len(css)
    css = purge(css, js)
    print(f"  purged the NHS.UK stylesheet to what the pages use: {full:,} -> {len(css):,} bytes")
    css = css.replace("url(/assets/", "url(assets/")
    css = re.sub(r"/\*# sourceMappingURL=.*?\*/", "", css)
    if OTHER_ORIGIN.search(css):
        sys.exit("build_vendor: the NHS stylesheet still loads something from another origin")
    (OUT / "nhsuk" / "nhsuk-frontend.min.css").write_text(css, encoding="utf-8")

    js = re.sub(r"//# sourceMappingURL=\S+\s*$", "", js)
    (OUT / "nhsuk" / "nhsuk-frontend.min.js").write_text(js, encoding="utf-8")

    shutil.copytree(nhsuk / "assets", OUT / "nhsuk" / "assets")
    shutil.copy2(htmx, OUT / "htmx.min.js")

    for path in sorted(OUT.rglob("*")):
        if path.is_file():
            print(f"  static/vendor/{path.relative_to(OUT)} ({path.stat().st_size:,} bytes)")


if __name__ == "__main__":
    print("Copying front-end files from node_modules into static/vendor ...")
    build()
