"""Activity note pages. URLs carry ids only; titles never name the client."""

from flask import abort, flash, g, redirect, request, url_for
from flask_login import current_user
from markupsafe import Markup
from sqlalchemy.exc import IntegrityError

from app.auth.decorators import roles_required
from app.clients.models import Client
from app.clients.services import search
from app.core import clock
from app.core.forms import MAX_ID, parse_id_list, parse_int
from app.core.htmx import hx_redirect, render, wants_fragment
from app.extensions import db
from app.notes import bp, chart, cue_progress, cues, mohost, services
from app.notes.forms import (
    KEY_PATTERN,
    AmendFactForm,
    AmendForm,
    CountersignForm,
    CueLabelsForm,
    DiscardForm,
    NoteForm,
    form_data_from_note,
)
from app.notes.models import AMENDABLE, FACTS, Note, decode
from app.notes.services import READERS, WRITERS, NoteRefused

PER_PAGE = 10


@bp.app_template_filter("hhmm")
def hhmm(value) -> str:
    """'14:02' in UK local time."""
    return f"{clock.to_london(value):%H:%M}" if value else ""


@bp.app_template_filter("own_counter")
def own_counter(html: Markup) -> Markup:
    """An NHS character count that notes.js starts itself, counting code points as the server
    does (NHS's own script counts UTF-16 units: 3 193 for 3 000 characters with emoji).
    Renaming the module keeps NHS's initAll from starting a second counter on it."""
    return Markup(
        str(html).replace(
            'data-module="nhsuk-character-count"', 'data-module="app-character-count"'
        )
    )


def _client_or_404(client_id) -> Client:
    client = services.client_for(current_user, client_id)
    if client is None:
        abort(404)
    return client


def _note_or_404(note_id: int) -> Note:
    note = services.visible_note(current_user, note_id)
    if note is None:
        abort(404)
    return note


def _labels(client: Client | None) -> dict[int, str]:
    """The client's unit's wording of the cue levels (the defaults without a client)."""
    return cue_progress.labels_for(client.unit_id if client else None)


def _refused(refused: NoteRefused, note: Note | None = None):
    """An NHS-style page (or fragment, in place of the form) saying why nothing changed."""
    return render(
        "notes/refused.html",
        "notes/_refused.html",
        status=refused.status,
        message=refused.message,
        note=note,
    )


# --- writing -------------------------------------------------------------------------------


def _form_page(
    form: NoteForm,
    client: Client | None,
    note: Note | None,
    status: int = 200,
    signed_meanwhile: Note | None = None,
    replaces: str = "",
):
    # A new note for a client who already has this person's unsigned draft: offer that first.
    drafts = (
        [d for d in services.drafts_for(current_user) if d.client_id == client.id]
        if client is not None and note is None
        else []
    )
    return render(
        "notes/form.html",
        "notes/_form.html",
        status=status,
        form=form,
        client=client,
        note=note,
        totals=form.section_totals(),
        cue_skills=cues.SKILLS,
        signed_meanwhile=signed_meanwhile,
        replaces=replaces,
        other_drafts=[d for d in drafts if d.idempotency_key != form.idempotency_key.data],
    )


def _save(form: NoteForm, client: Client, signing: bool):
    """Save (and maybe sign) through the idempotency key; a same-key race is retried once."""
    key = form.idempotency_key.data
    try:
        saved = services.save_note(key, client, form.note_data(), current_user, sign=signing)
        db.session.commit()
    except IntegrityError:
        # Another request with the same key made the note first: update that one instead.
        db.session.rollback()
        saved = services.save_note(key, client, form.note_data(), current_user, sign=signing)
        db.session.commit()
    return saved


def _submit(client: Client | None, note: Note | None):
    signing = request.form.get("action") == "sign"
    form = NoteForm(
        mode="sign" if signing else "draft",
        client=client,
        goals=services.goal_choices(client, note) if client else [],
        cue_labels=_labels(client),
    )
    if note is not None:
        form.idempotency_key.data = note.idempotency_key
    if not form.validate() or client is None:
        return _form_page(form, client, note, status=422)
    try:
        saved = _save(form, client, signing)
    except NoteRefused as refused:
        db.session.rollback()
        return _refused(refused, note)
    if saved.already_signed:
        if saved.note.author_id == current_user.id and services.differs_from(
            saved.note, form.note_data()
        ):
            return _keep_typed(form, client, saved.note)
        flash("This note was already signed. Nothing was changed.", "success")
        return hx_redirect(url_for("notes.show", note_id=saved.note.id))
    if signing:
        flash("Note signed.", "success")
        return hx_redirect(url_for("notes.show", note_id=saved.note.id))
    flash("Draft saved. It is on your home screen until you sign it.", "success")
    return hx_redirect(url_for("notes.edit", note_id=saved.note.id))


def _keep_typed(form: NoteForm, client: Client, signed: Note):
    """The form's key belongs to a note signed meanwhile (a reply lost, a copy adopted), but
    what was typed differs from it. Never drop it: give the form a new key and offer it back,
    to sign as a new note or to carry into an amendment of the signed one (issue 13 item 12)."""
    old_key = form.idempotency_key.data
    form.idempotency_key.data = services.new_key()
    return _form_page(form, client, None, 409, signed_meanwhile=signed, replaces=old_key)


@bp.route("/new", methods=["GET", "POST"])
@roles_required(*WRITERS)
def new():
    """Write a note for one client (``?client=<id>``, and from an outing ``at``, ``place``,
    ``outing``); without a client, choose one first."""
    if request.method == "POST":
        # An unknown client is a field error on the form, which keeps everything typed.
        return _submit(services.client_for(current_user, request.form.get("client_id")), None)

    if not request.args.get("client"):
        return render(
            "notes/choose_client.html", "notes/_choose_client.html", clients=_unit_clients()
        )
    client = _client_or_404(request.args["client"])
    data = {
        "idempotency_key": services.new_key(),
        "client_id": str(client.id),
        "activity_date": clock.london_today(),
        **services.parse_prefill(request.args),
    }
    if "outing_id" in data and not services.outing_had_client(int(data["outing_id"]), client):
        del data["outing_id"]  # not an outing this client was on: the note is not linked
    form = NoteForm(
        formdata=None,
        data=data,
        client=client,
        goals=services.goal_choices(client),
        cue_labels=_labels(client),
    )
    return _form_page(form, client, None)


def _unit_clients() -> list[Client]:
    return search(g.unit.id)


@bp.route("/<id:note_id>/edit", methods=["GET", "POST"])
@roles_required(*WRITERS)
def edit(note_id: int):
    """Carry on with a draft. A signed note cannot be edited, only amended."""
    note = _note_or_404(note_id)
    if note.is_signed:
        if request.method == "GET":
            return redirect(url_for("notes.show", note_id=note.id))
        if note.author_id == current_user.id:
            # Signed on another phone or tab while this one still had the draft open: what
            # this one sends is kept if it differs (see _submit).
            return _submit(_client_or_404(note.client_id), None)
        return _refused(NoteRefused(services.SIGNED_MESSAGE, 409), note)
    if note.author_id != current_user.id:
        abort(404)
    client = _client_or_404(note.client_id)
    if request.method == "POST":
        return _submit(client, note)
    form = NoteForm(
        formdata=None,
        data=form_data_from_note(note),
        client=client,
        goals=services.goal_choices(client, note),
        cue_labels=_labels(client),
    )
    return _form_page(form, client, note)


@bp.post("/autosave")
@roles_required(*WRITERS)
def autosave():
    """Save the draft as the OT types (htmx, every few seconds); answers a one-line status."""
    key = request.form.get("idempotency_key", "")
    existing = services.find_by_key(key) if KEY_PATTERN.match(key) else None
    client = services.client_for(
        current_user, existing.client_id if existing else request.form.get("client_id")
    )

    def status(text: str, code: int, note: Note | None = None):
        return render(
            "notes/_autosave.html",
            "notes/_autosave.html",
            status=code,
            state="saved" if code == 200 else "failed",
            text=text,
            note=note,
        )

    if existing is not None and existing.is_signed:
        if existing.author_id == current_user.id:
            return status(
                "This note has been signed, so it was not changed. What you typed is kept on "
                "this phone: Save draft or Sign note keeps it as a new note.",
                409,
                existing,
            )
        return status("This note has been signed, so it was not changed.", 409, existing)
    if existing is not None and existing.author_id != current_user.id:
        return status("Not saved: this form belongs to another draft. Refresh the page.", 409)
    form = NoteForm(
        mode="autosave",
        client=client,
        goals=services.goal_choices(client, existing) if client else [],
        cue_labels=_labels(client),
    )
    form.validate()
    if client is None or form.form_errors:
        return status("Not saved: refresh the page. What you typed is kept on this phone.", 422)
    if form.too_long:
        return status(
            f"Not saved to the server: {', '.join(form.too_long)} is over the limit. "
            "Shorten it; your text is kept on this phone.",
            422,
        )
    try:
        saved = _save(form, client, signing=False)
    except NoteRefused as refused:
        db.session.rollback()
        return status(f"Not saved: {refused.message}", refused.status)
    response = status(f"Draft saved at {hhmm(saved.note.updated_at)}", 200, saved.note)
    if saved.created:
        # A reload now opens the saved draft instead of a fresh form with a new key.
        response.headers["HX-Replace-Url"] = url_for("notes.edit", note_id=saved.note.id)
    return response


@bp.post("/<id:note_id>/discard")
@roles_required(*WRITERS)
def discard(note_id: int):
    """Delete one's own draft (never a signed note)."""
    note = _note_or_404(note_id)
    DiscardForm()
    try:
        services.discard_draft(note, current_user)
    except NoteRefused as refused:
        db.session.rollback()
        return _refused(refused, note)
    db.session.commit()
    flash("Draft deleted.", "success")
    return hx_redirect(url_for("home.index"))


@bp.get("/from-outing")
@roles_required(*WRITERS)
def from_outing():
    """One "Write note" link per client of a closed outing (``?clients=1,2&at=&place=&outing=``)."""
    ids = parse_id_list(request.args.get("clients", ""))
    clients = [c for c in (services.client_for(current_user, i) for i in ids) if c is not None]
    prefill = services.parse_prefill(request.args)
    outing_id = prefill.get("outing_id")
    written = (
        services.notes_for_outing(current_user, outing_id, [c.id for c in clients])
        if outing_id
        else {}
    )
    passed = {k: request.args.get(k) for k in ("at", "place", "outing") if request.args.get(k)}
    return render(
        "notes/from_outing.html",
        "notes/_from_outing.html",
        clients=clients,
        written=written,
        passed=passed,
        prefill=prefill,
        unknown=len(ids) - len(clients),
    )


# --- reading -------------------------------------------------------------------------------


@bp.get("/<id:note_id>")
@roles_required(*READERS)
def show(note_id: int):
    """One note as signed, with its amendments, countersignature and MOHOST ratings."""
    note = _note_or_404(note_id)
    if not note.is_signed:
        return redirect(url_for("notes.edit", note_id=note.id))
    return render(
        "notes/show.html",
        "notes/_note.html",
        note=note,
        totals=mohost.section_totals(note.current_ratings),
        overall=mohost.overall_total(note.current_ratings),
        can_amend=services.can_amend(note, current_user),
        countersign_problem=services.countersign_problem(note, current_user),
        countersign_form=CountersignForm(),
        cue_labels=_labels(note.client),
        cue_skills=cues.SKILLS,
    )


@bp.get("/client/<id:client_id>")
@roles_required(*READERS)
def client_notes(client_id: int):
    """A client's notes, newest first, with their MOHOST summary and charts. The client page
    loads this with htmx; "Show more" adds the next page (a link to a longer page without JS)."""
    client = _client_or_404(client_id)
    page = min(parse_int(request.args.get("page", ""), 1, MAX_ID) or 1, 500)
    if wants_fragment() and page > 1:
        notes, has_more = services.client_notes(client, current_user, page, PER_PAGE)
        return render(
            "notes/client.html",
            "notes/_note_items.html",
            client=client,
            notes=notes,
            has_more=has_more,
            page=page,
        )
    notes, has_more = services.client_notes(client, current_user, 1, PER_PAGE * page)
    history = services.rating_history(client)
    return render(
        "notes/client.html",
        "notes/_client_panel.html",
        client=client,
        notes=notes,
        has_more=has_more,
        page=page,
        history=history,
        charts=chart.section_charts(history),
        chart_size=chart.SIZE,
        latest=history[-1] if history else None,
    )


@bp.get("/client/<id:client_id>/cues", endpoint="cue_progress")
@roles_required(*READERS)
def cue_progress_page(client_id: int):
    """A client's cue levels over time, overall and per skill: charts, a summary in words and
    the table behind them. The client page (and the meal-plan page) load this fragment by URL."""
    client = _client_or_404(client_id)
    history = cue_progress.cue_history(client)
    labels = _labels(client)
    skills = cue_progress.rated_skills(history)
    return render(
        "notes/cue_progress.html",
        "notes/_cue_progress.html",
        client=client,
        history=history,
        labels=labels,
        skills=skills,
        summaries={s.key: cue_progress.summary(history, labels, s.key) for s in skills},
        overall_summary=cue_progress.summary(history, labels),
        charts=chart.cue_charts(history, skills),
        chart_size=chart.SIZE,
        rows=cue_progress.table_rows(history, skills, labels),
        # One url_for, not one per row: the table has a row per session (up to 100).
        show_url=url_for("notes.show", note_id=1).rsplit("/", 1)[0],
    )


@bp.route("/cue-labels", methods=["GET", "POST"])
@roles_required("lead")
def cue_labels():
    """A lead OT words the cue levels for their current unit. The numbers 0 to 5 and what they
    mean stay fixed; only the words shown beside them change. Leads only: every notes page
    refuses admins (issue 13 item 14), and a lead is who decides the unit's clinical wording."""
    unit = g.unit
    current = cue_progress.labels_for(unit.id)
    form = CueLabelsForm()
    if request.method == "GET":
        form.fill(current)
    elif form.validate_on_submit():
        changed = cue_progress.set_labels(unit.id, form.labels(), current_user)
        db.session.commit()
        flash(
            "Cue labels saved." if changed else "Nothing changed: the labels were already these.",
            "success",
        )
        return hx_redirect(url_for("notes.cue_labels"))
    return render(
        "notes/cue_labels.html",
        "notes/_cue_labels_form.html",
        status=422 if request.method == "POST" else 200,
        form=form,
        unit=unit,
        defaults=cues.DEFAULT_LABELS,
    )


@bp.get("/countersign")
@roles_required("lead")
def countersign_queue():
    """A lead's "Waiting for your countersignature": assistants' notes in their units, oldest
    first. Home loads this fragment by URL (areas compose in the browser)."""
    notes, count = services.waiting_for_countersignature(current_user)
    return render(
        "notes/countersign_queue.html",
        "notes/_countersign_queue.html",
        notes=notes,
        count=count,
    )


# --- after signing -------------------------------------------------------------------------


@bp.route("/<id:note_id>/amend/<field>", methods=["GET", "POST"])
@roles_required(*READERS)
def amend(note_id: int, field: str):
    """Change one part of a signed note, with a reason; what it said before stays visible.
    Text parts and the activity's facts (type, time, duration, goals, engagement, MOHOST)."""
    note = _note_or_404(note_id)
    if field not in AMENDABLE and field not in FACTS:
        abort(404)
    if not note.is_signed:
        return redirect(url_for("notes.edit", note_id=note.id))
    if not services.can_amend(note, current_user):
        return _refused(
            NoteRefused("Only the person who wrote this note, or a lead OT, can amend it.", 403),
            note,
        )
    current = note.current(field)
    if field in FACTS:
        label, limit = FACTS[field], 0
        goals = services.goal_choices(note.client, note) if field == "goals" else []
        goals += [g for g in note.current_goals if g not in goals]
        form = AmendFactForm(
            field=field, current=current, goals=goals, cue_labels=_labels(note.client)
        )
        if request.method == "GET":
            form.fill(decode(field, current))
        valid = request.method == "POST" and form.validate_on_submit()
        new_value = form.encoded
    else:
        label, limit = AMENDABLE[field]
        form = AmendForm(field=field, current=current)
        if request.method == "GET":
            form.new_text.data = current
        valid = request.method == "POST" and form.validate_on_submit()
        new_value = form.new_text.data or ""
    if valid:
        services.amend(note, field, new_value, form.reason.data, current_user)
        db.session.commit()
        flash(f"Amendment to {label.lower()} signed.", "success")
        return hx_redirect(url_for("notes.show", note_id=note.id, _anchor=f"note-{field}"))
    return render(
        "notes/amend.html",
        "notes/_amend_form.html",
        status=422 if request.method == "POST" else 200,
        form=form,
        note=note,
        field=field,
        label=label,
        limit=limit,
        is_fact=field in FACTS,
        totals=mohost.section_totals(note.current_ratings) if field == "mohost" else [],
        cue_labels=_labels(note.client),
    )


@bp.post("/<id:note_id>/countersign")
@roles_required(*READERS)
def countersign(note_id: int):
    """An OT or lead countersigns an assistant's signed note (never their own)."""
    note = _note_or_404(note_id)
    CountersignForm()
    try:
        services.countersign(note, current_user)
    except NoteRefused as refused:
        db.session.rollback()
        return _refused(refused, note)
    db.session.commit()
    flash("Note countersigned.", "success")
    return hx_redirect(url_for("notes.show", note_id=note.id))
