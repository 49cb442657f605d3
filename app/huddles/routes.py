"""Huddle pages. URLs carry ids only; titles never name a client.

Every part of the page (an attendee, a flag, an entry, an action) posts on its own: with htmx
the answer is that part's fragment, without JavaScript a redirect back to the page (or the
whole page with the part's errors, 422, or its conflict, 409).
"""

from flask import (
    Response,
    abort,
    flash,
    g,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import current_user

from app.auth.decorators import roles_required
from app.auth.services import login_token
from app.clients.models import Client
from app.core import clock
from app.core.conditional import unless_unchanged
from app.core.forms import parse_id, parse_int
from app.core.htmx import hx_redirect, render, wants_fragment
from app.extensions import db
from app.huddles import bp, services, shifts
from app.huddles.forms import (
    ActionForm,
    AttendeeForm,
    ConfirmForm,
    DoneForm,
    EntryForm,
    FlagForm,
    SettingsForm,
    VisitorForm,
)
from app.huddles.models import FLAGS, NEXT_FLAG, Huddle, HuddleEntry
from app.huddles.services import CLOSED_MESSAGE, Conflict, HuddleClosed

PARTS = {
    "attendees": "huddles/_attendees.html",
    "flags": "huddles/_flags.html",
    "entries": "huddles/_entry_list.html",
    "actions": "huddles/_action_list.html",
}


def _me():
    return current_user._get_current_object()


def _huddle_or_404(huddle_id: int) -> Huddle:
    huddle = services.visible_huddle(_me(), huddle_id)
    if huddle is None:
        abort(404)
    return huddle


def _page_context(huddle: Huddle, **overrides) -> dict:
    data = services.page(huddle)
    levels = shifts.observation_levels()
    context = {
        "huddle": huddle,
        "data": data,
        "flags": FLAGS,
        "next_flag": NEXT_FLAG,
        "now": clock.now(),
        "flag_forms": {},
        "conflicts": {},
        "entry_form": EntryForm(formdata=None, clients=data.clients, levels=levels),
        "action_form": ActionForm(formdata=None, staff=data.staff),
        "visitor_form": VisitorForm(formdata=None),
        "confirm_form": ConfirmForm(),
    }
    context.update(overrides)
    return context


def _show(huddle: Huddle, status: int = 200, **overrides):
    template = "huddles/summary.html" if huddle.is_closed else "huddles/show.html"
    response = make_response(
        render_template(template, **_page_context(huddle, **overrides)), status
    )
    response.vary.add("HX-Request")
    return response


def _refused_closed(huddle: Huddle):
    db.session.rollback()
    if wants_fragment():
        response = make_response(
            render_template("huddles/_closed.html", huddle=huddle, message=CLOSED_MESSAGE), 409
        )
        response.headers["HX-Retarget"] = "#huddle-live"
        response.headers["HX-Reswap"] = "outerHTML"
        return response
    flash(CLOSED_MESSAGE, "warning")
    return redirect(url_for("huddles.show", huddle_id=huddle.id), 303)


def _back(huddle: Huddle, anchor: str):
    return hx_redirect(url_for("huddles.show", huddle_id=huddle.id, _anchor=anchor))


# --- the huddle ----------------------------------------------------------------------------


@bp.get("")
def index():
    """This shift's huddle (start it, or open it) and the unit's recent huddles."""
    shift = shifts.shift_at(g.unit.id)
    current = services.huddle_for_shift(g.unit.id, shift)
    recent = db.session.scalars(
        db.select(Huddle)
        .where(Huddle.unit_id == g.unit.id)
        .order_by(Huddle.started_at.desc())
        .limit(20)
    ).all()
    return render_template(
        "huddles/index.html",
        shift=shift,
        current=current,
        earlier_open=services.still_open_before(g.unit.id, current, shift),
        recent=recent,
        form=ConfirmForm(),
    )


@bp.post("/start")
def start():
    """One tap from the home screen: this unit's huddle for this shift (opened if it exists)."""
    form = ConfirmForm()
    if not form.validate():
        abort(400)
    huddle, created = services.start(g.unit.id, _me())
    db.session.commit()
    if not created:
        flash(
            f"The {huddle.shift_label.lower()} huddle had already started: here it is.", "success"
        )
    return hx_redirect(url_for("huddles.show", huddle_id=huddle.id))


@bp.get("/<id:huddle_id>")
def show(huddle_id: int):
    """The huddle page while open; the read-only, printable summary once closed."""
    huddle = _huddle_or_404(huddle_id)
    earlier = None
    if not huddle.is_closed:
        earlier = services.still_open_before(huddle.unit_id, huddle, None)
    return _show(huddle, earlier_open=earlier)


@bp.get("/<id:huddle_id>/poll")
def poll(huddle_id: int):
    """The small fragment the page polls every 15 s: one query on the huddle's version.

    The version counts every change to any part (attendees, flags, entries, actions, close);
    when it differs from the page's, ``huddle-changed`` tells the parts to reload themselves.
    """
    found = services.version_of(_me().session_token, huddle_id)
    if found is None:
        abort(404)
    _, version, closed = found
    seen = _seen_version()

    def fragment() -> Response:
        response = make_response(
            render_template(
                "huddles/_live.html", huddle_id=huddle_id, version=version, closed=closed
            ),
            286 if closed else 200,
        )
        if seen is not None and seen != version:
            response.headers["HX-Trigger"] = "huddle-changed"
        response.headers["X-Huddle-Version"] = str(version)
        return response

    # Nothing on this fragment depends on the clock, so the version and the page's own are all.
    return unless_unchanged((version, closed, seen), fragment)


def _seen_version() -> int | None:
    return parse_int(request.args.get("v", ""), 0, 2**31 - 1)


def quick_poll_version(view_args: dict, now) -> tuple | None:
    """``poll``'s version for the person checked rather than loaded (app/core/conditional.py)."""
    token = login_token()
    found = token and services.version_of(token, view_args["huddle_id"])
    if not found:
        return None
    viewer, version, closed = found
    return viewer.id, (version, closed, _seen_version())


@bp.get("/<id:huddle_id>/part/<name>")
def part(huddle_id: int, name: str):
    """One part of the page, reloaded after another phone changed the huddle."""
    huddle = _huddle_or_404(huddle_id)
    if name not in PARTS:
        abort(404)
    return render(
        "huddles/show.html" if not huddle.is_closed else "huddles/summary.html",
        PARTS[name],
        **_page_context(huddle),
    )


@bp.post("/<id:huddle_id>/close")
def close(huddle_id: int):
    """Close: the huddle becomes a read-only summary."""
    huddle = _huddle_or_404(huddle_id)
    if not ConfirmForm().validate():
        abort(400)
    try:
        services.close(huddle, _me())
    except HuddleClosed:
        return _refused_closed(huddle)
    db.session.commit()
    flash("Huddle closed. This is its summary.", "success")
    return hx_redirect(url_for("huddles.show", huddle_id=huddle.id))


# --- attendees -----------------------------------------------------------------------------


@bp.post("/<id:huddle_id>/attendees")
def attendee(huddle_id: int):
    """Tick (or untick) one member of staff as present."""
    huddle = _huddle_or_404(huddle_id)
    form = AttendeeForm()
    staff_ids = {u.id for u in services.unit_staff(huddle.unit_id)}
    if not form.validate() or form.staff_id.data not in staff_ids:
        return _attendees(huddle, 422, error="Choose someone from the unit's staff")
    try:
        services.set_present(huddle, form.staff_id.data, form.present.data == "1", _me())
    except HuddleClosed:
        return _refused_closed(huddle)
    db.session.commit()
    return _attendees(huddle) if wants_fragment() else _back(huddle, "attendees")


@bp.post("/<id:huddle_id>/visitors")
def visitor(huddle_id: int):
    """Add a visitor by name (free text)."""
    huddle = _huddle_or_404(huddle_id)
    form = VisitorForm()
    if not form.validate():
        return _attendees(huddle, 422, visitor_form=form)
    try:
        services.add_visitor(huddle, form.name.data.strip(), _me())
    except HuddleClosed:
        return _refused_closed(huddle)
    db.session.commit()
    return _attendees(huddle) if wants_fragment() else _back(huddle, "attendees")


def _attendees(huddle: Huddle, status: int = 200, **overrides):
    if not wants_fragment():
        return _show(huddle, status, **overrides)
    response = make_response(
        render_template(
            "huddles/_attendees.html", is_fragment=True, **_page_context(huddle, **overrides)
        ),
        status,
    )
    response.vary.add("HX-Request")
    return response


# --- flags ---------------------------------------------------------------------------------


def _client_or_404(huddle: Huddle, client_id: int) -> Client:
    client = db.session.get(Client, client_id)
    if client is None or client.unit_id != huddle.unit_id:
        abort(404)
    return client


def _flag_row(huddle: Huddle, client: Client, status: int = 200, form=None, conflict=None):
    if not wants_fragment():
        overrides = {}
        if form is not None:
            overrides["flag_forms"] = {client.id: form}
        if conflict is not None:
            overrides["conflicts"] = {client.id: conflict}
        return _show(huddle, status, **overrides)
    flag = services._fresh_flag(huddle.id, client.id) or services.HuddleFlag(
        client_id=client.id, value="green", reason="", version=0
    )
    response = make_response(
        render_template(
            "huddles/_flag_row.html",
            huddle=huddle,
            client=client,
            flag=flag,
            flags=FLAGS,
            next_flag=NEXT_FLAG,
            form=form,
            conflict=conflict,
            is_fragment=True,
        ),
        status,
    )
    response.vary.add("HX-Request")
    return response


@bp.post("/<id:huddle_id>/flags/<id:client_id>")
def flag(huddle_id: int, client_id: int):
    """Save one client's flag (a tap cycles green → amber → red; amber and red need a reason).
    A stale version is a conflict showing both values, never an overwrite."""
    huddle = _huddle_or_404(huddle_id)
    client = _client_or_404(huddle, client_id)
    form = FlagForm()
    if not form.validate():
        return _flag_row(huddle, client, 422, form=form)
    try:
        services.set_flag(
            huddle, client, form.value.data, form.reason.data, form.version.data, _me()
        )
    except HuddleClosed:
        return _refused_closed(huddle)
    except Conflict as conflict:
        db.session.rollback()
        return _flag_row(huddle, client, 409, form=form, conflict=conflict)
    db.session.commit()
    if wants_fragment():
        return _flag_row(huddle, client)
    return _back(huddle, f"flag-{client.id}")


@bp.get("/clients/<id:client_id>/flag")
def client_flag(client_id: int):
    """The client's latest huddle flag and reason, for the client's page (loaded by URL)."""
    client = db.session.get(Client, client_id)
    if client is None or not _me().can_access_unit(client.unit_id):
        abort(404)
    return render(
        "huddles/client_flag.html",
        "huddles/_client_flag.html",
        client=client,
        latest=services.latest_flag(client.id),
        flags=FLAGS,
    )


# --- entries -------------------------------------------------------------------------------


def _entry_or_404(huddle: Huddle, entry_id: int) -> HuddleEntry:
    entry = db.session.get(HuddleEntry, entry_id)
    if entry is None or entry.huddle_id != huddle.id:
        abort(404)
    return entry


@bp.post("/<id:huddle_id>/entries")
def add_entry(huddle_id: int):
    """Add an entry: since the last huddle or for the next 24 hours."""
    huddle = _huddle_or_404(huddle_id)
    data = services.page(huddle)
    form = EntryForm(clients=data.clients, levels=shifts.observation_levels())
    if not form.validate():
        return _entries(huddle, 422, entry_form=form)
    try:
        services.add_entry(huddle, form.entry_data(), _me())
    except HuddleClosed:
        return _refused_closed(huddle)
    db.session.commit()
    if wants_fragment():
        return _entries(huddle, 200, entry_added=True, inline_forms=True)
    flash("Entry added.", "success")
    return _back(huddle, "entries")


def _entries(huddle: Huddle, status: int = 200, **overrides):
    if not wants_fragment():
        return _show(huddle, status, **overrides)
    response = make_response(
        render_template(
            "huddles/_entries.html", is_fragment=True, **_page_context(huddle, **overrides)
        ),
        status,
    )
    response.vary.add("HX-Request")
    return response


@bp.get("/<id:huddle_id>/entries/new")
def new_entry(huddle_id: int):
    """The add-entry form: loaded into the huddle page after it, or a page without JavaScript."""
    huddle = _huddle_or_404(huddle_id)
    if huddle.is_closed:
        return redirect(url_for("huddles.show", huddle_id=huddle.id))
    form = EntryForm(
        formdata=None,
        clients=services.current_clients(huddle.unit_id),
        levels=shifts.observation_levels(),
    )
    return render(
        "huddles/entry_new.html",
        "huddles/_entry_form.html",
        huddle=huddle,
        entry_form=form,
        standalone=not wants_fragment(),
    )


@bp.route("/<id:huddle_id>/entries/<id:entry_id>", methods=["GET", "POST"])
def edit_entry(huddle_id: int, entry_id: int):
    """Change an entry; a stale version shows both texts and saves nothing."""
    huddle = _huddle_or_404(huddle_id)
    entry = _entry_or_404(huddle, entry_id)
    data = services.page(huddle)
    levels = shifts.observation_levels()
    if huddle.is_closed:
        return _refused_closed(huddle)
    if request.method == "GET":
        form = EntryForm(
            formdata=None,
            obj=entry,
            clients=data.clients,
            levels=levels,
            data={"client_id": entry.client_id or 0, "version": entry.version},
        )
        return render_template("huddles/entry.html", huddle=huddle, entry=entry, form=form)
    form = EntryForm(clients=data.clients, levels=levels)
    if not form.validate() or form.version.data is None:
        if form.version.data is None and not form.version.errors:
            form.version.errors = ["This form is out of date: refresh the page and try again"]
        return make_response(
            render_template("huddles/entry.html", huddle=huddle, entry=entry, form=form), 422
        )
    try:
        services.edit_entry(huddle, entry, form.entry_data(), form.version.data, _me())
    except HuddleClosed:
        return _refused_closed(huddle)
    except Conflict as conflict:
        db.session.rollback()
        current = conflict.current
        form.version.data = current.version
        form.version.raw_data = [str(current.version)]
        return make_response(
            render_template(
                "huddles/entry.html", huddle=huddle, entry=current, form=form, conflict=current
            ),
            409,
        )
    db.session.commit()
    flash("Entry changed.", "success")
    return redirect(url_for("huddles.show", huddle_id=huddle.id, _anchor="entries"), 303)


# --- actions -------------------------------------------------------------------------------


@bp.get("/<id:huddle_id>/actions/new")
def new_action(huddle_id: int):
    """The add-action form: loaded into the huddle page after it, or a page without JavaScript."""
    huddle = _huddle_or_404(huddle_id)
    if huddle.is_closed:
        return redirect(url_for("huddles.show", huddle_id=huddle.id))
    form = ActionForm(formdata=None, staff=services.unit_staff(huddle.unit_id))
    return render(
        "huddles/action_new.html",
        "huddles/_action_form.html",
        huddle=huddle,
        action_form=form,
        standalone=not wants_fragment(),
    )


@bp.post("/<id:huddle_id>/actions")
def add_action(huddle_id: int):
    """Add an action with an owner (active staff) and when it is due."""
    huddle = _huddle_or_404(huddle_id)
    form = ActionForm(staff=services.unit_staff(huddle.unit_id))
    if not form.validate():
        return _actions(huddle, 422, action_form=form)
    try:
        services.add_action(huddle, form.action_data(), _me())
    except HuddleClosed:
        return _refused_closed(huddle)
    db.session.commit()
    if wants_fragment():
        return _actions(huddle, 200, inline_forms=True)
    flash("Action added.", "success")
    return _back(huddle, "actions")


def _actions(huddle: Huddle, status: int = 200, **overrides):
    if not wants_fragment():
        return _show(huddle, status, **overrides)
    response = make_response(
        render_template(
            "huddles/_actions.html", is_fragment=True, **_page_context(huddle, **overrides)
        ),
        status,
    )
    response.vary.add("HX-Request")
    return response


@bp.post("/actions/<id:action_id>/done")
def done(action_id: int):
    """Mark an action done (anyone may; who and when are recorded). From the huddle page
    (``huddle`` in the form) or from My actions."""
    action = services.visible_action(_me(), action_id)
    if action is None:
        abort(404)
    huddle = None
    huddle_id = parse_id(request.form.get("huddle", ""))
    if huddle_id is not None:
        huddle = _huddle_or_404(huddle_id)
        if huddle.unit_id != action.unit_id:
            abort(404)
    form = DoneForm()
    message = None
    status = 200
    if not form.validate():
        message, status = form.version.errors[0], 422
    else:
        try:
            services.mark_done(action, form.version.data, _me(), huddle)
            db.session.commit()
        except HuddleClosed:
            return _refused_closed(huddle)
        except Conflict as conflict:
            db.session.rollback()
            current = conflict.current
            status = 409
            if current.is_done:
                message = (
                    f"Already marked done by {current.done_by.name} at "
                    f"{clock.format_time(current.done_at)}."
                )
            else:
                message = "This action changed on another phone: check it and try again."
    if huddle is not None:
        if message and not wants_fragment():
            flash(message, "warning")
            return redirect(url_for("huddles.show", huddle_id=huddle.id, _anchor="actions"), 303)
        if wants_fragment():
            return _actions(huddle, status, action_message=message, inline_forms=True)
        return _back(huddle, "actions")
    if message:
        flash(message, "warning")
    else:
        flash("Action marked done.", "success")
    return hx_redirect(url_for("huddles.mine"))


@bp.get("/actions/mine")
def mine():
    """My open huddle actions, soonest due first."""
    return render_template(
        "huddles/mine.html",
        actions=services.my_open_actions(_me()),
        now=clock.now(),
        form=DoneForm(formdata=None),
    )


# --- settings ------------------------------------------------------------------------------


@bp.route("/settings", methods=["GET", "POST"])
@roles_required("lead", "admin")
def settings():
    """The unit's shift times and the Trust's observation levels."""
    if request.method == "GET":
        starts = shifts.shift_starts(g.unit.id)
        form = SettingsForm(
            formdata=None,
            data={
                "early_start": starts["early"],
                "late_start": starts["late"],
                "night_start": starts["night"],
                "observation_levels": "\n".join(shifts.observation_levels()),
            },
        )
        return render_template("huddles/settings.html", form=form)
    me = _me()
    form = SettingsForm()
    if not me.has_role("admin"):  # the levels are the whole Trust's: an admin changes them
        form.observation_levels.data = "\n".join(shifts.observation_levels())
    if not form.validate():
        return make_response(render_template("huddles/settings.html", form=form), 422)
    shifts.save_shift_starts(
        g.unit.id,
        {
            "early": form.early_start.data,
            "late": form.late_start.data,
            "night": form.night_start.data,
        },
        me,
    )
    if form.levels() != shifts.observation_levels():
        shifts.save_observation_levels(form.levels(), me)
    db.session.commit()
    flash("Huddle settings saved.", "success")
    return redirect(url_for("huddles.settings"), 303)
