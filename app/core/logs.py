"""Log lines that what a person sends cannot forge: one record is one line.

A path, a form value or an exception message may hold a newline (``%0A`` in a URL decodes to
one) or another control character; written as they are, they start a new, made-up log line or
rewrite the terminal. Here every control character (and the Unicode line separators and
direction overrides) is written as its escape, ``\\n`` for a newline:

- in every log record's message and arguments, whichever handler writes it (``install``);
- in what the app's own handlers write, tracebacks included (``EscapingFormatter``);
- in gunicorn's access log (``AccessLogger``, named in the Procfile), which also writes the raw
  path without the query string.

What is logged is ids, endpoints and statuses, never request bodies or client details.
"""

import logging
import re

_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def escape(text: str) -> str:
    """Control characters as escapes: 'a\\nb' (a newline) becomes 'a\\\\nb' (backslash, n)."""
    return _CONTROL.sub(lambda m: m.group().encode("unicode_escape").decode("ascii"), text)


class EscapedRecord(logging.LogRecord):
    def getMessage(self) -> str:  # noqa: N802 - logging's name
        return escape(super().getMessage())


class EscapingFormatter(logging.Formatter):
    """Escapes the whole formatted record, so a traceback is one line too."""

    def format(self, record: logging.LogRecord) -> str:
        return escape(super().format(record))


def install() -> None:
    """Every log record from here on renders its message escaped (idempotent)."""
    current = logging.getLogRecordFactory()
    if getattr(current, "escapes_control_characters", False):
        return

    def factory(*args, **kwargs) -> logging.LogRecord:
        record = current(*args, **kwargs)
        if type(record) is logging.LogRecord:
            record.__class__ = EscapedRecord
        return record

    factory.escapes_control_characters = True
    logging.setLogRecordFactory(factory)


try:
    from gunicorn.glogging import Logger as _GunicornLogger
except ImportError:  # pragma: no cover - gunicorn is only needed to serve
    _GunicornLogger = object


class AccessLogger(_GunicornLogger):
    """gunicorn's logger with every access-log field escaped, and ``%(P)s``: the path as the
    client sent it (still percent-encoded), without the query string."""

    def atoms(self, resp, req, environ, request_time):
        atoms = super().atoms(resp, req, environ, request_time)
        atoms["P"] = (environ.get("RAW_URI") or environ.get("PATH_INFO") or "").split("?")[0]
        return {k: escape(v) if isinstance(v, str) else v for k, v in atoms.items()}
