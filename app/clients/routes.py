"""Client list, client page and client form. URLs carry ids only, never names."""

from flask import abort, flash, g, redirect, request, url_for
from flask_login import current_user

from app.audit.services import record
from app.auth.decorators import roles_required
from app.auth.limits import keyed_hash
from app.auth.services import staff
from app.clients import bp, nhs_number
from app.clients.forms import ClientForm, GoalForm, RetireGoalForm
from app.clients.models import Client, ClientGoal
from app.clients.services import add_goal, goals_of, retire_goal, save_client, search
from app.core.htmx import hx_redirect, render, wants_fragment
from app.extensions import db


def _client_or_404(client_id: int) -> Client:
    client = db.get_or_404(Client, client_id)
    if not current_user.can_access_unit(client.unit_id):
        abort(404)
    return client


@bp.route("", methods=["GET", "POST"])
def index():
    """Clients of the current unit, filtered as you type.

    The search is a POST form (plain, or swapped in by HTMX) so that a name or NHS number
    never lands in a URL, the browser history or the access log; the answer is the page itself,
    never a redirect that would carry the term.
    """
    text = request.form.get("q", "")[:100] if request.method == "POST" else ""
    include_discharged = request.values.get("discharged") == "1"
    clients = search(g.unit.id, text, include_discharged)
    return render(
        "clients/index.html",
        "clients/_results.html",
        clients=clients,
        q=text,
        include_discharged=include_discharged,
    )


# Who may add and retire a client's OT goals.
# OT goals are clinical text: the clinical roles read them, OTs and leads set them; an
# administrator manages accounts and the register but reads no clinical text (least privilege).
GOAL_READERS = ("lead", "ot", "assistant")
GOAL_EDITORS = ("lead", "ot")


def _goal_context(client: Client, goal_form: GoalForm | None = None) -> dict:
    can_edit = current_user.has_role(*GOAL_EDITORS)
    if not current_user.has_role(*GOAL_READERS):
        return {"client": client, "show_goals": False}
    return {
        "client": client,
        "show_goals": True,
        "goals": goals_of(client.id),
        "retired_goals": [g for g in goals_of(client.id, active_only=False) if not g.active],
        "goal_form": (goal_form or GoalForm(formdata=None)) if can_edit else None,
        "retire_form": RetireGoalForm() if can_edit else None,
    }


@bp.get("/<id:client_id>")
def show(client_id: int):
    """One client's page: the only place the full name is shown."""
    client = _client_or_404(client_id)
    return render("clients/show.html", "clients/_details.html", **_goal_context(client))


def _goals_answer(client: Client, status: int = 200, goal_form: GoalForm | None = None):
    """The goals section for htmx; back to the client page for a plain POST that worked."""
    if status == 200 and not wants_fragment():
        return redirect(url_for("clients.show", client_id=client.id, _anchor="client-goals"), 303)
    return render(
        "clients/show.html",
        "clients/_goals.html",
        status=status,
        **_goal_context(client, goal_form),
    )


@bp.post("/<id:client_id>/goals")
@roles_required(*GOAL_EDITORS)
def add_client_goal(client_id: int):
    """Add an OT goal to the client's list (notes then offer it as a goal addressed)."""
    client = _client_or_404(client_id)
    form = GoalForm()
    if not form.validate_on_submit():
        return _goals_answer(client, 422, form)
    add_goal(client, form.text.data, current_user)
    db.session.commit()
    return _goals_answer(client)


@bp.post("/<id:client_id>/goals/<id:goal_id>/retire")
@roles_required(*GOAL_EDITORS)
def retire_client_goal(client_id: int, goal_id: int):
    """Take a goal off the active list; notes that addressed it still show it."""
    client = _client_or_404(client_id)
    RetireGoalForm()  # CSRF is checked globally; the form documents that it is a POST form
    goal = db.session.get(ClientGoal, goal_id)
    if goal is None or goal.client_id != client.id:
        abort(404)
    retire_goal(goal, current_user)
    db.session.commit()
    return _goals_answer(client)


def _form_page(client: Client | None):
    unit_id = client.unit_id if client else g.unit.id
    form = ClientForm(
        obj=client,
        client=client,
        units=current_user.accessible_units(),
        staff=staff(unit_id),
    )
    if request.method == "GET" and client is None:
        form.unit_id.data = g.unit.id
    if request.method == "GET" and client is not None:
        form.key_worker_id.data = client.key_worker_id or 0
    if form.validate_on_submit():
        saved = save_client(client or Client(), form.data)
        db.session.commit()
        flash("Client saved.", "success")
        return hx_redirect(url_for("clients.show", client_id=saved.id))
    if form.nhs_number_in_use is not None:
        _audit_nhs_number_in_use(form, client, unit_id)
    status = 422 if request.method == "POST" else 200
    return render(
        "clients/form.html", "clients/_form.html", status=status, form=form, client=client
    )


def _audit_nhs_number_in_use(form: ClientForm, client: Client | None, unit_id: int) -> None:
    """Record the refused number as a keyed hash: repeats group, the number is not kept."""
    record(
        "nhs_number_refused",
        "client",
        client.id if client else None,
        unit_id=form.unit_id.data if current_user.can_access_unit(form.unit_id.data) else unit_id,
        extra={
            "nhs_number_hash": keyed_hash(nhs_number.normalise(form.nhs_number.data)),
            "in_use_by_client": form.nhs_number_in_use.id,
        },
    )
    db.session.commit()


@bp.route("/new", methods=["GET", "POST"])
@roles_required("lead", "admin")
def new():
    """Add a client to the register."""
    return _form_page(None)


@bp.route("/<id:client_id>/edit", methods=["GET", "POST"])
@roles_required("lead", "admin")
def edit(client_id: int):
    """Change a client's details."""
    return _form_page(_client_or_404(client_id))
