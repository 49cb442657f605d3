"""Local fake servers for the real delivery code: an SMTP server (aiosmtpd) and a GOV.UK
Notify stand-in (a small HTTP server that records requests and can be told to fail)."""

import json
import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from aiosmtpd.controller import Controller


class RecordingSmtp:
    """Accepts mail, after refusing the first ``fail_first`` with a temporary 451."""

    def __init__(self):
        self.messages: list[dict] = []
        self.fail_first = 0
        self.refused = 0

    async def handle_DATA(self, server, session, envelope):
        if self.refused < self.fail_first:
            self.refused += 1
            return "451 4.3.0 Try again later"
        self.messages.append(
            {"to": envelope.rcpt_tos, "body": envelope.content.decode("utf8", "replace")}
        )
        return "250 OK"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def smtp_server():
    handler = RecordingSmtp()
    handler.port = _free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=handler.port)
    controller.start()
    yield handler
    controller.stop()


class FakeNotify:
    def __init__(self):
        self.requests: list[dict] = []
        self.fail_first = 0
        self.failed = 0


@pytest.fixture
def notify_server():
    state = FakeNotify()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            if state.failed < state.fail_first:
                state.failed += 1
                self._reply(500, {"errors": [{"error": "Exception", "message": "Internal error"}]})
                return
            state.requests.append(
                {"path": self.path, "body": body, "auth": self.headers.get("Authorization", "")}
            )
            self._reply(
                201, {"id": f"notify-{len(state.requests)}", "reference": body.get("reference")}
            )

        def _reply(self, status, payload):
            data = json.dumps(payload).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    state.url = f"http://127.0.0.1:{server.server_address[1]}"
    yield state
    server.shutdown()
    server.server_close()


SERVICE_ID = "11111111-1111-1111-1111-111111111111"
SECRET = "22222222-2222-2222-2222-222222222222"


@pytest.fixture
def delivery_config(app, smtp_server, notify_server):
    """Point the app's channels at the fake servers for one test."""
    keys = (
        "SMTP_HOST",
        "SMTP_PORT",
        "NOTIFY_API_KEY",
        "NOTIFY_BASE_URL",
        "NOTIFY_SMS_TEMPLATE_ID",
        "NOTIFY_EMAIL_TEMPLATE_ID",
    )
    saved = {k: app.config.get(k) for k in keys}
    app.config.update(
        SMTP_HOST="127.0.0.1",
        SMTP_PORT=smtp_server.port,
        NOTIFY_API_KEY=f"waypoint_test-{SERVICE_ID}-{SECRET}",
        NOTIFY_BASE_URL=notify_server.url,
        NOTIFY_SMS_TEMPLATE_ID="33333333-3333-3333-3333-333333333333",
        NOTIFY_EMAIL_TEMPLATE_ID="",
    )
    yield app.config
    app.config.update(saved)
