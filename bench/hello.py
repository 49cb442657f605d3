"""The baseline for bench/load.py: a bare Flask "hello" view, served under the same gunicorn
settings as Waypoint, so Waypoint's figures can be given as a share of what the framework itself
manages on this machine at this moment."""

from flask import Flask

app = Flask(__name__)


@app.get("/", defaults={"path": ""})
@app.get("/<path:path>")
def hello(path: str) -> str:
    return "Hello"
