"""Safety huddles: one per unit per shift, with attendees, per-client RAG risk flags, entries
since the last huddle and for the next 24 hours, and actions that carry forward until done."""

from flask import Blueprint

bp = Blueprint("huddles", __name__, url_prefix="/huddles")


@bp.record_once
def setup(state) -> None:
    from app.core.conditional import register_quick

    register_quick(state.app, "huddles.poll", routes.quick_poll_version)


from app.huddles import routes  # noqa: E402,F401
