"""Home screen."""

from flask import g
from flask_login import current_user

from app.core.htmx import render
from app.home import bp
from app.notes import services as notes


@bp.get("/")
def index():
    """Large actions for what an OT does from a phone; more arrive with each feature."""
    actions = [
        {"title": "Clients", "href": "clients.index", "text": "Find a client in this unit"},
    ]
    my_notes = {}
    if current_user.has_role(*notes.WRITERS):
        drafts = notes.drafts_for(current_user)
        count = f"{len(drafts)} draft{'' if len(drafts) == 1 else 's'} to finish"
        actions.append(
            {
                "title": "Write a note",
                "href": "notes.new",
                "text": count if drafts else "After an activity, for one client",
            }
        )
        my_notes = {"my_drafts": drafts, "my_recent": notes.recent_signed_for(current_user)}
    if current_user.has_role("lead", "admin"):
        actions.append(
            {"title": "Audit trail", "href": "audit.index", "text": "Who changed what, and when"}
        )
    if current_user.has_role("admin"):
        actions.append(
            {"title": "Staff", "href": "auth.staff_list", "text": "Accounts, roles and units"}
        )
    return render("home/index.html", "home/_actions.html", actions=actions, unit=g.unit, **my_notes)
