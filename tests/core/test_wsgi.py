"""The served app (wsgi.py, as gunicorn and the watcher load it) keeps its long-lived objects
out of the garbage collector's full passes: with them, one pass took about 80 ms on this
machine, a pause that landed on whichever request was running (the board poll's p99)."""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_the_served_app_freezes_what_it_loaded_out_of_full_collections(tmp_path):
    probe = "import gc, wsgi\nprint(gc.get_freeze_count())\n"
    env = {
        "PATH": "/usr/bin:/bin",
        "SECRET_KEY": "wsgi-test-secret-key-0123456789abcdef",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'wsgi.db'}",
    }
    done = subprocess.run(
        [sys.executable, "-c", probe], cwd=ROOT, env=env, capture_output=True, text=True, check=True
    )
    # The app's modules, templates and statements: tens of thousands of objects, not a handful.
    assert int(done.stdout) > 50_000, done.stdout
