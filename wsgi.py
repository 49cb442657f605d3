"""Entry point for gunicorn (``wsgi:app``) and the Flask CLI (``flask --app wsgi ...``)."""

import gc

from app import create_app

app = create_app()
# The app's long-lived objects (modules, templates, the SQL statements built once) are never
# garbage: keep them out of the collector's full passes, which otherwise walk them all and
# pause a request for tens of milliseconds every so often.
gc.freeze()
