"""Lone working: check out and back in, the whereabouts board and the escalation ladder."""

from flask import Blueprint

bp = Blueprint("lone_working", __name__)


@bp.record_once
def setup(state) -> None:
    """Parse the ladder at start-up (a bad one stops the app) and add the watcher health check."""
    from app.config import ConfigError
    from app.core.conditional import register_quick
    from app.lone_working import duty, escalation, ladder, outings
    from app.notify.channels import available_channels
    from app.notify.services import delivery_status

    app = state.app
    app.extensions["lone_working_ladder"] = ladder.parse(app.config["LONE_WORKING_LADDER"])
    if app.config.get("PRODUCTION") and not available_channels(app.config):
        raise ConfigError(
            "Lone-working alerts need a channel in production: set NOTIFY_API_KEY with "
            "NOTIFY_SMS_TEMPLATE_ID, and/or SMTP_HOST."
        )
    app.extensions.setdefault("health_checks", {})["watcher"] = escalation.watcher_status
    app.extensions["health_checks"]["delivery"] = delivery_status  # texts stuck or failing
    app.extensions.setdefault("idle_exemptions", []).append(outings.keeps_session_alive)
    app.extensions.setdefault("on_logout", []).append(duty.end_shift)
    register_quick(app, "lone_working.board", routes.quick_board_version)


from app.lone_working import routes  # noqa: E402,F401
