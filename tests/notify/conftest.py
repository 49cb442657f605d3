from tests.fakes import delivery_config, notify_server, smtp_server  # noqa: F401
