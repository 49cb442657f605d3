"""Load benchmark: Waypoint's hot pages under gunicorn, each against a bare Flask view.

Starts Waypoint (demo data plus a few outings on the board, logged in as the lead) and a bare
Flask "hello" view (bench/hello.py) under the same gunicorn settings, on 127.0.0.1 only, then
drives each path with wrk, alternating Waypoint and the bare view round by round so both see the
same machine load. Prints requests per second, p50 / p99 latency, the status codes seen and
Waypoint's share of the bare view's requests per second.

The poll (/board?poll=1) is driven like a phone: htmx headers, and the ETag of the last answer
sent back as If-None-Match (so a board that has not changed is answered 304).

    .venv/bin/python bench/load.py                      # SQLite in a temporary directory
    DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/test_bench \\
        .venv/bin/python bench/load.py
    .venv/bin/python bench/load.py --app-dir /tmp/waypoint-main   # another checkout (before/after)

The PostgreSQL form wipes that database. Needs wrk (Debian/Ubuntu: ``sudo apt-get install wrk``).
Bounded: at most 30 s per run, 5 rounds, 100 connections.
"""

import argparse
import http.cookiejar
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_PATHS = [
    "/board",
    "/board?poll=1",
    "/huddles/{huddle}/poll?v={version}&poll=1",
    "/clients",
    "/",
    "/clients/1",
]
PASSWORD = "waypoint-demo-2026"

SETUP = textwrap.dedent(
    """
    import os, sys
    from datetime import timedelta
    sys.path.insert(0, os.getcwd())
    from flask_migrate import upgrade
    from sqlalchemy import select, text
    from app import create_app
    from app.extensions import db
    app = create_app()
    with app.app_context():
        if db.engine.dialect.name == "postgresql":
            with db.engine.begin() as conn:
                conn.execute(text("DROP SCHEMA public CASCADE"))
                conn.execute(text("CREATE SCHEMA public"))
        upgrade()
        from app.auth.models import User
        from app.core import clock
        from app.demo import seed_demo
        from app.lone_working import outings
        seed_demo()
        people = {u.email: u for u in db.session.scalars(select(User))}
        # Four more outings on The Beacon's board: three out, one already past its return.
        for i, (email, minutes) in enumerate(
            [("ot@example.com", 90), ("lead@example.com", 30), ("admin@example.com", 120),
             ("headot@example.com", -3)]
        ):
            worker = people[email]
            outings.check_out(worker, worker.home_unit_id, {
                "destination": f"Bench place {i}", "contact_number": "07700 900100",
                "expected_return": clock.now() + timedelta(minutes=minutes),
                "client_ids": [], "coworker_ids": [],
            }, f"bench-{i}")
        db.session.commit()
        # This shift's huddle, open, as a phone at the huddle polls it.
        from app.huddles import services as huddles
        lead = people["lead@example.com"]
        huddle, _ = huddles.start(lead.home_unit_id, lead)
        db.session.commit()
        print(f"HUDDLE {huddle.id} {huddle.version}")
    """
)

LUA = textwrap.dedent(
    """
    local headers = HEADERS
    local path = PATH
    local etag = nil
    codes = {}  -- global: done() reads it from each thread
    local threads = {}
    function setup(thread) table.insert(threads, thread) end
    function init(args) codes = {} end
    function request()
      local h = {}
      for k, v in pairs(headers) do h[k] = v end
      if etag then h["If-None-Match"] = etag end
      return wrk.format("GET", path, h)
    end
    function response(status, hdrs, body)
      codes[status] = (codes[status] or 0) + 1
      local tag = hdrs["ETag"] or hdrs["etag"]
      if tag then etag = tag end
    end
    function done(summary, latency, requests)
      local total = {}
      for _, t in ipairs(threads) do
        local c = t:get("codes")
        for k, v in pairs(c) do total[k] = (total[k] or 0) + v end
      end
      local parts = {}
      for k, v in pairs(total) do table.insert(parts, k .. "=" .. v) end
      table.sort(parts)
      io.write("STATUSES " .. table.concat(parts, " ") .. "\\n")
    end
    """
)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(port: int, proc: subprocess.Popen, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            sys.exit(f"load: the server on port {port} exited with {proc.returncode}")
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2)
            return
        except urllib.error.HTTPError:
            return  # it answers
        except OSError:
            time.sleep(0.2)
    sys.exit(f"load: nothing answered on port {port}")


def gunicorn(app: str, cwd: Path, port: int, args, env: dict) -> subprocess.Popen:
    command = [
        sys.executable,
        "-m",
        "gunicorn",
        "--bind",
        f"127.0.0.1:{port}",
        "--workers",
        str(args.workers),
        "--threads",
        str(args.threads),
        "--log-level",
        "warning",
        app,
    ]
    return subprocess.Popen(command, cwd=cwd, env=env, start_new_session=True)


def login(port: int) -> str:
    """Log in as the lead the way a browser does; the Cookie header for wrk."""
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    base = f"http://127.0.0.1:{port}"
    page = opener.open(f"{base}/login").read().decode()
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page)
    if token is None:
        sys.exit("load: no CSRF token on the login page")
    data = urllib.parse.urlencode(
        {"csrf_token": token.group(1), "email": "lead@example.com", "password": PASSWORD}
    ).encode()
    opener.open(f"{base}/login", data=data).read()
    cookie = "; ".join(f"{c.name}={c.value}" for c in jar)
    request = urllib.request.Request(f"{base}/board", headers={"Cookie": cookie})
    with urllib.request.urlopen(request) as response:
        if "/login" in response.url:
            sys.exit("load: could not log in as the lead")
    return cookie


def lua_script(directory: Path, name: str, path: str, headers: dict) -> Path:
    def lua_str(value: str) -> str:
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'

    table = "{" + ", ".join(f"[{lua_str(k)}] = {lua_str(v)}" for k, v in headers.items()) + "}"
    script = directory / f"{name}.lua"
    script.write_text(LUA.replace("HEADERS", table).replace("PATH", lua_str(path)))
    return script


UNITS = {"us": 1e-3, "ms": 1.0, "s": 1e3, "m": 60e3}


def to_ms(value: str) -> float:
    number, unit = re.fullmatch(r"([\d.]+)(us|ms|s|m)", value).groups()
    return float(number) * UNITS[unit]


def run_wrk(port: int, path: str, script: Path, args) -> dict:
    command = [
        "wrk",
        f"--threads={args.wrk_threads}",
        f"--connections={args.connections}",
        f"--duration={args.duration}s",
        "--timeout=5s",
        "--latency",
        f"--script={script}",
        f"http://127.0.0.1:{port}{path}",
    ]
    out = subprocess.run(command, capture_output=True, text=True, timeout=args.duration + 30)
    text = out.stdout
    rps = re.search(r"Requests/sec:\s+([\d.]+)", text)
    p50 = re.search(r"^\s+50%\s+(\S+)", text, re.M)
    p99 = re.search(r"^\s+99%\s+(\S+)", text, re.M)
    statuses = re.search(r"^STATUSES (.*)$", text, re.M)
    errors = re.search(r"Socket errors: (.*)$", text, re.M)
    if not (rps and p50 and p99):
        sys.exit(f"load: could not read wrk's output:\n{text}\n{out.stderr}")
    return {
        "rps": float(rps.group(1)),
        "p50": to_ms(p50.group(1)),
        "p99": to_ms(p99.group(1)),
        "statuses": statuses.group(1) if statuses else "?",
        "errors": errors.group(1) if errors else "",
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=int, default=5, help="seconds per run (max 30)")
    parser.add_argument("--rounds", type=int, default=2, help="alternations (max 5)")
    parser.add_argument("--connections", type=int, default=20, help="wrk connections (max 100)")
    parser.add_argument("--wrk-threads", type=int, default=2)
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers (as Procfile)")
    parser.add_argument("--threads", type=int, default=4, help="gunicorn threads (as Procfile)")
    parser.add_argument("--app-dir", type=Path, default=ROOT, help="the Waypoint checkout to run")
    parser.add_argument("paths", nargs="*", default=DEFAULT_PATHS)
    args = parser.parse_args()
    args.duration = max(1, min(args.duration, 30))
    args.rounds = max(1, min(args.rounds, 5))
    args.connections = max(1, min(args.connections, 100))
    if shutil.which("wrk") is None:
        sys.exit("load: wrk is not installed. On Debian or Ubuntu: sudo apt-get install wrk")

    work = Path(tempfile.mkdtemp(prefix="waypoint-load-"))
    env = dict(os.environ)
    url = env.get("DATABASE_URL") or f"sqlite:///{work}/load.db"
    env.update(
        DATABASE_URL=url,
        SECRET_KEY="load-benchmark-secret-key-not-for-production-0123456789",
        WAYPOINT_ENV="development",
    )
    app_dir = args.app_dir.resolve()
    database = "PostgreSQL" if url.startswith("postgresql") else "SQLite"
    print(f"Setting up {database} with the demo data ({app_dir}) ...", flush=True)
    setup = subprocess.run(
        [sys.executable, "-c", SETUP],
        cwd=app_dir,
        env=env,
        check=True,
        capture_output=True,
        text=True,
    )
    found = re.search(r"^HUDDLE (\d+) (\d+)$", setup.stdout, re.MULTILINE)
    if found is None:
        sys.exit(f"load: the set-up did not start a huddle\n{setup.stdout}\n{setup.stderr}")
    args.paths = [p.format(huddle=found[1], version=found[2]) for p in args.paths]

    app_port, hello_port = free_port(), free_port()
    servers = [
        gunicorn("wsgi:app", app_dir, app_port, args, env),
        gunicorn("hello:app", ROOT / "bench", hello_port, args, env),
    ]
    try:
        wait_for(app_port, servers[0])
        wait_for(hello_port, servers[1])
        cookie = login(app_port)
        results: dict[str, dict[str, list[dict]]] = {
            p: {"app": [], "hello": []} for p in args.paths
        }
        print(
            f"gunicorn --workers {args.workers} --threads {args.threads}; wrk "
            f"{args.connections} connections, {args.duration} s per run, {args.rounds} rounds",
            flush=True,
        )
        for round_no in range(1, args.rounds + 1):
            for i, path in enumerate(args.paths):
                headers = {"Cookie": cookie, "Accept-Encoding": "gzip"}
                if "poll=1" in path:
                    headers["HX-Request"] = "true"
                    page = "/board" if path.startswith("/board") else path.split("/poll")[0]
                    headers["HX-Current-URL"] = f"http://127.0.0.1:{app_port}{page}"
                script = lua_script(work, f"p{i}", path, headers)
                for side, port in (("app", app_port), ("hello", hello_port)):
                    result = run_wrk(port, path, script, args)
                    results[path][side].append(result)
                app, hello = results[path]["app"][-1], results[path]["hello"][-1]
                print(
                    f"round {round_no} {path:<16} waypoint {app['rps']:8.0f} req/s "
                    f"p50 {app['p50']:6.1f} ms p99 {app['p99']:6.1f} ms [{app['statuses']}]"
                    f"{' errors ' + app['errors'] if app['errors'] else ''} | "
                    f"bare {hello['rps']:8.0f} req/s | {100 * app['rps'] / hello['rps']:5.1f} %",
                    flush=True,
                )
        print()
        print(f"{database}: | path | bare Flask req/s | Waypoint req/s | ratio | p50 | p99 |")
        print("|---|---|---|---|---|---|")
        for path in args.paths:
            app, hello = results[path]["app"], results[path]["hello"]
            ratios = [100 * a["rps"] / h["rps"] for a, h in zip(app, hello, strict=True)]

            def span(values, fmt="{:.0f}"):
                lo, hi = min(values), max(values)
                return fmt.format(lo) if lo == hi else f"{fmt.format(lo)}–{fmt.format(hi)}"

            print(
                f"| {path} | {span([h['rps'] for h in hello])} | {span([a['rps'] for a in app])} "
                f"| {statistics.median(ratios):.1f} % "
                f"| {span([a['p50'] for a in app], '{:.1f}')} ms "
                f"| {span([a['p99'] for a in app], '{:.1f}')} ms |"
            )
    finally:
        for server in servers:
            if server.poll() is None:
                os.killpg(server.pid, signal.SIGTERM)
        for server in servers:
            try:
                server.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(server.pid, signal.SIGKILL)
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
