"""Home screen: the day's actions in the current unit, and a banner while an alert is open.

Like ``reports``, home reads across features; it changes nothing in them.
"""

from flask import g
from flask_login import current_user

from app.core.htmx import render
from app.home import bp
from app.huddles import services as huddles
from app.lone_working import board, duty
from app.lone_working.forms import ConfirmForm
from app.notes import services as notes


@bp.get("/")
def index():
    """Large actions for what an OT does from a phone; more arrive with each feature."""
    me = current_user._get_current_object()
    outing = board.open_outing_for(me.id)
    actions = []
    if outing is not None:
        actions.append(
            {
                "title": "My outing",
                "href": "lone_working.mine",
                "text": "Check in, extend, or send SOS",
            }
        )
    else:
        actions.append(
            {
                "title": "Check out",
                "href": "lone_working.check_out",
                "text": "Going out? Say where, with whom, back by when",
            }
        )
    actions += [
        {"title": "Whereabouts", "href": "lone_working.board", "text": "Who is out now"},
        {"title": "Clients", "href": "clients.index", "text": "Find a client in this unit"},
    ]
    my_notes = {}
    if me.has_role(*notes.WRITERS):
        drafts = notes.drafts_for(me)
        count = f"{len(drafts)} draft{'' if len(drafts) == 1 else 's'} to finish"
        actions.append(
            {
                "title": "Write a note",
                "href": "notes.new",
                "text": count if drafts else "After an activity, for one client",
            }
        )
        my_notes = {"my_drafts": drafts, "my_recent": notes.recent_signed_for(me)}
    if me.has_role("lead", "admin"):
        actions.append(
            {
                "title": "Unit statistics",
                "href": "reports.statistics",
                "text": "Contacts, outings and alerts by week or month",
            }
        )
        actions.append(
            {"title": "Audit trail", "href": "audit.index", "text": "Who changed what, and when"}
        )
    if me.has_role("admin"):
        actions.append(
            {"title": "Staff", "href": "auth.staff_list", "text": "Accounts, roles and units"}
        )
    huddle = huddles.home_summary(me, g.unit.id)
    shift = duty.open_shift(me.id)
    return render(
        "home/index.html",
        "home/_actions.html",
        actions=actions,
        unit=g.unit,
        alerts=board.open_alerts(g.unit.id, hide_for=me),
        shift=shift,
        shift_form=ConfirmForm(),
        huddle=huddle,
        **my_notes,
    )
