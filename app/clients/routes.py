"""Client list, client page and client form. URLs carry ids only, never names."""

from flask import abort, flash, g, request, url_for
from flask_login import current_user

from app.auth.decorators import roles_required
from app.auth.services import staff
from app.clients import bp
from app.clients.forms import ClientForm
from app.clients.models import Client
from app.clients.services import save_client, search
from app.core.htmx import hx_redirect, render
from app.extensions import db


def _client_or_404(client_id: int) -> Client:
    client = db.get_or_404(Client, client_id)
    if not current_user.can_access_unit(client.unit_id):
        abort(404)
    return client


@bp.get("")
def index():
    """Clients of the current unit, filtered as you type (and as a plain GET form)."""
    text = request.args.get("q", "")[:100]
    include_discharged = request.args.get("discharged") == "1"
    clients = search(g.unit.id, text, include_discharged)
    return render(
        "clients/index.html",
        "clients/_results.html",
        clients=clients,
        q=text,
        include_discharged=include_discharged,
    )


@bp.get("/<int:client_id>")
def show(client_id: int):
    """One client's page: the only place the full name is shown."""
    return render("clients/show.html", "clients/_details.html", client=_client_or_404(client_id))


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
    status = 422 if request.method == "POST" else 200
    return render(
        "clients/form.html", "clients/_form.html", status=status, form=form, client=client
    )


@bp.route("/new", methods=["GET", "POST"])
@roles_required("lead", "admin")
def new():
    """Add a client to the register."""
    return _form_page(None)


@bp.route("/<int:client_id>/edit", methods=["GET", "POST"])
@roles_required("lead", "admin")
def edit(client_id: int):
    """Change a client's details."""
    return _form_page(_client_or_404(client_id))
