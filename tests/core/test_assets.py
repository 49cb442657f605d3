"""Static URLs carry the file's content hash; they are built once per file, version and script
root, and a changed file is seen again within a second (app/core/assets.py)."""

import os

from flask import url_for

from app.core import assets


def test_a_static_url_carries_the_digest_and_the_script_root(app):
    digest = app.extensions["assets"].get("css/app.css").digest
    with app.test_request_context("/"):
        first = url_for("static", filename="css/app.css")
        assert first == f"/static/css/app.css?v={digest}"
        assert url_for("static", filename="css/app.css") == first
    with app.test_request_context("/", base_url="http://localhost/waypoint/"):
        prefixed = url_for("static", filename="css/app.css")
        assert prefixed == f"/waypoint/static/css/app.css?v={digest}"
    with app.test_request_context("/"):
        external = url_for("static", filename="css/app.css", _external=True)
        assert external == f"http://localhost/static/css/app.css?v={digest}"


def test_a_changed_file_gets_a_new_digest_and_url(tmp_path, monkeypatch):
    path = tmp_path / "a.css"
    path.write_text("a { color: red }")
    store = assets.AssetStore(tmp_path)
    before = store.get("a.css").digest
    path.write_text("a { color: blue }")
    os.utime(path, ns=(0, path.stat().st_mtime_ns + 10**9))
    monkeypatch.setattr(assets, "RECHECK_SECONDS", 0)
    assert store.get("a.css").digest != before
    assert store.get("missing.css") is None
