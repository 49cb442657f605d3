"""In-process cost of one request: time a path through the Flask test client, optionally with
cProfile, for this checkout or another (a before/after in the same run).

Builds the app with ``bench/load.py``'s set-up (demo data, four more outings, an open huddle) on
a throwaway SQLite database (or on DATABASE_URL, which is wiped), logs in as the lead and sends
the path repeatedly. A poll is sent like a phone sends it: htmx header and the last ETag back.
The bare Flask view (``bench/hello.py``) is timed the same way as the baseline.

    .venv/bin/python bench/profile.py "/board?poll=1" /clients
    .venv/bin/python bench/profile.py --profile 40 /board          # cProfile, top 40 by cumulative
    .venv/bin/python bench/profile.py --before /tmp/before --rounds 3 / /clients
        # alternates this checkout and /tmp/before (git archive <commit> | tar -x -C /tmp/before;
        # run with this checkout's Python, so the other's requirements must be importable too)

``{huddle}`` and ``{version}`` in a path are the open huddle's id and version.
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

CHILD = r'''
import cProfile, contextlib, io, json, os, pstats, re, sys, time
sys.path.insert(0, os.getcwd())
spec = json.loads(sys.argv[1])
if spec["path"] == "@hello":
    sys.path.insert(0, os.path.join(spec["root"], "bench"))
    from hello import app
    client, headers, path = app.test_client(), {}, "/"
else:
    source = open(os.path.join(spec["root"], "bench", "load.py")).read()
    setup = source.split('SETUP = textwrap.dedent(\n    """')[1].split('"""')[0]
    import textwrap
    out = io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(io.StringIO()):
        exec(textwrap.dedent(setup))
    huddle, version = re.search(r"HUDDLE (\d+) (\d+)", out.getvalue()).groups()
    path = spec["path"].replace("{huddle}", huddle).replace("{version}", version)
    client = app.test_client()
    page = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
    form = {"email": "lead@example.com", "password": "waypoint-demo-2026", "csrf_token": token}
    assert client.post("/login", data=form).status_code in (302, 303)
    headers = {"HX-Request": "true"} if "poll" in path else {}

def send():
    response = client.get(path, headers=headers)
    if response.headers.get("ETag"):
        headers["If-None-Match"] = response.headers["ETag"]
    return response.status_code

statuses = {send() for _ in range(50)}
started = time.perf_counter()
for _ in range(spec["n"]):
    send()
ms = (time.perf_counter() - started) / spec["n"] * 1000
if spec["profile"]:
    profiler = cProfile.Profile()
    profiler.enable()
    for _ in range(spec["n"]):
        send()
    profiler.disable()
    stats = pstats.Stats(profiler, stream=sys.stderr)
    stats.sort_stats(spec["sort"]).print_stats(spec["profile"])
print(json.dumps({"ms": ms, "statuses": sorted(statuses)}))
'''


def run(root: Path, path: str, n: int, profile: int, sort: str = "cumulative") -> dict:
    env = dict(os.environ)
    if "DATABASE_URL" not in env:
        env["DATABASE_URL"] = f"sqlite:///{tempfile.mkdtemp(prefix='waypoint-profile-')}/p.db"
    env.setdefault("WAYPOINT_ENV", "development")
    spec = json.dumps({"root": str(root), "path": path, "n": n, "profile": profile, "sort": sort})
    done = subprocess.run(
        [sys.executable, "-c", CHILD, spec],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    if done.returncode != 0:
        sys.exit(f"profile: {path} in {root} failed:\n{done.stderr[-2000:]}")
    if profile:
        print(done.stderr[done.stderr.find("   Ordered by") :])
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("paths", nargs="+")
    parser.add_argument("-n", type=int, default=300, help="requests per timing (max 5000)")
    parser.add_argument("--rounds", type=int, default=1, help="alternations (max 5)")
    parser.add_argument("--before", type=Path, help="another checkout to time alongside")
    parser.add_argument("--profile", type=int, default=0, help="print cProfile's top N")
    parser.add_argument("--sort", default="cumulative", help="cProfile's order (e.g. tottime)")
    args = parser.parse_args()
    n, rounds = max(10, min(args.n, 5000)), max(1, min(args.rounds, 5))
    roots = {"after": ROOT, **({"before": args.before.resolve()} if args.before else {})}
    hello = statistics.median(run(ROOT, "@hello", n, 0)["ms"] for _ in range(rounds))
    print(f"bare Flask hello: {hello:.3f} ms/request")
    for path in args.paths:
        times: dict[str, list[float]] = {name: [] for name in roots}
        for _ in range(rounds):
            for name, root in roots.items():
                result = run(root, path, n, args.profile, args.sort)
                times[name].append(result["ms"])
        medians = {name: statistics.median(values) for name, values in times.items()}
        summary = "  ".join(
            f"{name} {ms:.3f} ms ({ms / hello:.1f}x hello)" for name, ms in medians.items()
        )
        print(f"{path}: {summary}  statuses {result['statuses']}")


if __name__ == "__main__":
    main()
