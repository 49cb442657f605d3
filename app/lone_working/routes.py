"""Lone-working pages: check out, my outing, the whereabouts board, an outing's timeline."""

import hmac

from flask import (
    Response,
    abort,
    current_app,
    flash,
    g,
    jsonify,
    make_response,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_login import current_user

from app.auth.decorators import roles_required
from app.auth.services import SESSION_UNIT_KEY, login_token, staff
from app.clients.services import search as client_search
from app.core import clock
from app.core.conditional import unless_unchanged
from app.core.htmx import hx_redirect, render, wants_fragment
from app.extensions import csrf, db
from app.lone_working import board as whereabouts
from app.lone_working import bp, duty, escalation, outings, planning, sms, timeline
from app.lone_working import export as csv_export
from app.lone_working.forms import (
    SHIFT_PHONE,
    CheckInForm,
    CheckOutForm,
    ConfirmForm,
    ExtendForm,
    ResolveForm,
    SosForm,
    WelfareUpdateForm,
)
from app.lone_working.models import EscalationStep, Outing
from app.notify.services import delivery_status

STOP_POLLING = 286  # htmx stops polling on this status
# Who may write activity notes (the notes feature's rule; features do not import each other).
NOTE_WRITERS = ("ot", "assistant", "lead")


def _outing_or_404(outing_id: int) -> Outing:
    outing = db.get_or_404(Outing, outing_id)
    if not current_user.can_access_unit(outing.unit_id):
        abort(404)
    return outing


def _buddies(unit_id: int) -> list:
    """Who can be a buddy: leads on duty first, then the unit's staff, then the leads and admins
    who cover it (a small unit may have nobody else on shift)."""
    on_duty_leads = duty.on_duty(unit_id, ("lead",))
    people = on_duty_leads + staff(unit_id) + duty.unit_leads_and_admins(unit_id)
    seen, buddies = {current_user.id}, []
    for person in people:
        if person.id not in seen:
            seen.add(person.id)
            buddies.append(person)
    return buddies


def _same_as_last_time(form: CheckOutForm, last) -> None:
    """Fill the form from the last outing, keeping only what can still be chosen."""
    clients = {c.value for c in form.client_ids.iter_choices()}
    form.destination.data = last.destination
    form.purpose.data = last.purpose
    form.transport.data = last.transport or None
    form.client_ids.data = [c.id for c in last.clients if c.id in clients]
    buddy = SHIFT_PHONE if last.buddy_phone else last.buddy_id
    if buddy in form.buddy_ids:
        form.buddy_id.data = buddy


def _check_out_form(last=None) -> CheckOutForm:
    unit_id = g.unit.id
    colleagues = [u for u in staff(unit_id) if u.id != current_user.id]
    buddies = _buddies(unit_id)
    form = CheckOutForm(
        worker=current_user,
        clients=client_search(unit_id),
        staff=colleagues,
        buddies=buddies,
        shift_phone=g.unit.shift_phone,
    )
    if request.method == "GET":
        form.contact_number.data = form.contact_number.data or current_user.phone
        form.destination.data = request.args.get("destination", "")[:120] or None
        on_duty_leads = [u for u in duty.on_duty(unit_id, ("lead",)) if u.id != current_user.id]
        form.buddy_id.data = on_duty_leads[0].id if on_duty_leads else 0
        if last is not None and request.args.get("same") == "1":
            _same_as_last_time(form, last)
    return form


def _last_time_summary(last, form: CheckOutForm) -> str | None:
    """'Tesco Extra with AB, bus, buddy Sam Whitfield': the one-tap default, initials only."""
    if last is None:
        return None
    parts = [last.destination + (f" with {last.client_initials}" if last.clients else "")]
    if last.transport:
        parts.append(last.transport.lower())
    if last.buddy is not None and last.buddy_id in form.buddy_ids:
        parts.append(f"buddy {last.buddy.name}")
    elif last.buddy_phone and SHIFT_PHONE in form.buddy_ids:
        parts.append("buddy the shift phone")
    return ", ".join(parts)


@bp.route("/out/new", methods=["GET", "POST"])
def check_out():
    """Check out: where, with whom, back by when. Under 30 seconds on a phone."""
    current = whereabouts.open_outing_for(current_user.id)
    if current is not None and (
        request.method == "GET" or request.form.get("request_key") == current.request_key
    ):
        return hx_redirect(url_for("lone_working.mine"))  # a retry of the check-out that worked
    last = whereabouts.last_outing(current_user.id, g.unit.id)
    form = _check_out_form(last)
    if form.validate_on_submit():
        data = {**form.data, "expected_return": form.expected_return}
        if data["buddy_id"] == SHIFT_PHONE:  # the phone is kept as it is now on the outing
            data.update(buddy_id=None, buddy_phone=g.unit.shift_phone)
        outings.check_out(current_user, g.unit.id, data, form.request_key.data)
        db.session.commit()
        flash("You are checked out. Check in when you are back.", "success")
        return hx_redirect(url_for("lone_working.mine"))
    status = 422 if request.method == "POST" else 200
    # With nobody to pick as a buddy, say who the ladder tells instead (never refuse).
    stand_ins = [] if form.buddy_ids else escalation.stand_ins(g.unit.id, current_user.id)
    return render(
        "lone_working/check_out.html",
        "lone_working/_check_out_form.html",
        status=status,
        form=form,
        recent=whereabouts.recent_destinations(current_user.id),
        last_time=_last_time_summary(last, form),
        prefilled=request.method == "GET" and bool(request.args),
        stand_ins=stand_ins,
        lead_on_duty=bool(duty.on_duty(g.unit.id, ("lead",))),
    )


@bp.get("/out/mine")
def mine():
    """What the phone shows while out: the countdown and the big buttons."""
    outing = whereabouts.open_outing_for(current_user.id)
    polling = request.args.get("poll") == "1"
    if outing is None:
        if polling and wants_fragment():  # the status box says so in place; htmx stops asking
            closed = render_template("lone_working/_mine_closed.html")
            response = make_response(closed, STOP_POLLING)
            response.vary.add("HX-Request")
            return response
        return redirect(url_for("home.index"))
    return _mine_page(outing)


def _mine_page(outing: Outing, status: int = 200, **forms) -> Response:
    now = clock.now()
    return render(
        "lone_working/mine.html",
        "lone_working/_mine.html",
        status=status,
        outing=outing,
        # What a duress PIN raised never shows on the worker's own screen (include_silent).
        level=planning.level(outing, now, include_silent=False),
        next_step=planning.next_planned(outing, now),
        last_told=planning.last_told(outing),
        seen=planning.seen_by(outing),
        waiting=planning.waiting_for_ack(outing),
        told=planning.told,
        welfare_late=(planning.welfare_deadline(outing) or now) < now
        and planning.ladder_running(outing),
        now=now,
        extend_form=forms.get("extend_form") or ExtendForm(due=outing.expected_return.isoformat()),
        welfare_form=forms.get("welfare_form") or WelfareUpdateForm(),
        checkin_form=forms.get("checkin_form") or CheckInForm(),
        needs_pin=bool(current_user.checkin_pin_hash or current_user.duress_pin_hash),
        message=forms.get("message"),
    )


def _on_it(outing: Outing) -> bool:
    return current_user.id in {p.id for p in outing.people_out()}


def _act(outing_id: int):
    """An outing the current person is on; their own outing whatever unit they now work in."""
    outing = db.get_or_404(Outing, outing_id)
    if not _on_it(outing):
        if not current_user.can_access_unit(outing.unit_id):
            abort(404)
        abort(403)
    return outing


def _lead_of(outing: Outing) -> None:
    """Leads act on other people's outings, never their own (a duress alert included)."""
    if _on_it(outing):
        abort(403)


@bp.post("/out/<id:outing_id>/back")
def check_in(outing_id: int):
    """I'm back. A second tap, or a check-in on a closed outing, changes nothing."""
    outing = _act(outing_id)
    form = CheckInForm()
    if not form.validate_on_submit():
        return _mine_page(outing, 422, checkin_form=form)
    try:
        result = outings.check_in(
            outing, current_user, form.pin.data or "", pressed=form.pressed.data or None
        )
    except outings.LoneWorkingError as error:
        if isinstance(error, outings.PinsPaused):
            db.session.commit()  # the leads' alert stands; the check-in does not happen
        else:
            db.session.rollback()
        form.pin.errors = [str(error)]
        return _mine_page(outing, 422, checkin_form=form)
    db.session.commit()
    if result == "already":
        flash("This outing was already checked in. Nothing has changed.", "success")
    else:
        flash("Welcome back. You are checked in.", "success")
    if outing.clients and current_user.has_role(*NOTE_WRITERS):
        # Straight on to the notes for the clients who went. A duress check-in lands on the
        # same page with the same words: nothing here may tell it apart.
        return hx_redirect(url_for("lone_working.outing", outing_id=outing.id))
    return hx_redirect(url_for("home.index"))


@bp.post("/out/<id:outing_id>/extend")
def extend(outing_id: int):
    """Extend by 15, 30 or 60 minutes, with a reason; the remaining steps move."""
    outing = _act(outing_id)
    form = ExtendForm()
    if form.validate_on_submit():
        if form.due.data != outing.expected_return.isoformat():
            flash("That extension was already made. Nothing has changed.", "success")
            return hx_redirect(url_for("lone_working.mine"))
        try:
            new = outings.extend(outing, current_user, int(form.minutes.data), form.reason.data)
        except outings.LoneWorkingError as error:
            db.session.rollback()
            form.minutes.errors = [str(error)]
        else:
            db.session.commit()
            flash(f"Extended. You are now due back at {clock.to_london(new):%H:%M}.", "success")
            return hx_redirect(url_for("lone_working.mine"))
    return _mine_page(outing, 422, extend_form=form)


@bp.post("/out/<id:outing_id>/welfare")
def welfare(outing_id: int):
    """Add a welfare update (a short note; it resets no timer)."""
    outing = _act(outing_id)
    form = WelfareUpdateForm()
    if form.validate_on_submit():
        try:
            outings.welfare_update(outing, current_user, form.text.data)
        except outings.LoneWorkingError as error:
            db.session.rollback()
            form.text.errors = [str(error)]
        else:
            db.session.commit()
            flash("Welfare update added.", "success")
            return hx_redirect(url_for("lone_working.mine"))
    return _mine_page(outing, 422, welfare_form=form)


@bp.post("/out/<id:outing_id>/welfare-ok")
def welfare_ok(outing_id: int):
    """Answer a welfare check: the next one is an interval from now."""
    outing = _act(outing_id)
    ConfirmForm()
    try:
        outings.welfare_ok(outing, current_user)
    except outings.LoneWorkingError as error:
        db.session.rollback()
        return _mine_page(outing, 409, message=str(error))
    db.session.commit()
    flash("Thanks. Your welfare check is recorded.", "success")
    return hx_redirect(url_for("lone_working.mine"))


@bp.route("/out/<id:outing_id>/sos", methods=["GET", "POST"])
def sos(outing_id: int):
    """SOS: one confirmation, then straight to the top of the ladder."""
    outing = _act(outing_id)
    form = SosForm()
    if request.method == "POST" and form.validate_on_submit():
        if outings.sos(outing, current_user, form.location()):
            flash("SOS sent. Leads are being alerted now. If you can, call 999.", "success")
        else:
            flash(
                "Your SOS is already being sent to the leads until one of them answers. "
                "If you can, call 999.",
                "success",
            )
        db.session.commit()
        return hx_redirect(url_for("lone_working.mine"))
    return render("lone_working/sos.html", "lone_working/_sos.html", outing=outing, form=form)


@bp.get("/board")
def board():
    """Whereabouts board for the current unit; htmx polls the fragment every 15 s, and a poll
    is answered 304 while nothing on the board has changed (the version says what counts)."""
    now = clock.now()
    if request.args.get("poll") == "1" and wants_fragment():
        version = whereabouts.board_version(g.unit.id, current_user, now)
        return unless_unchanged(version, lambda: _board(now))
    return _board(now)


def quick_board_version(view_args: dict, now) -> tuple | None:
    """The poll's version as ``board`` computes it, for the person checked rather than loaded
    (app/core/conditional.py): the unit is the one their session works in."""
    token, unit_id = login_token(), session.get(SESSION_UNIT_KEY)
    if token is None or type(unit_id) is not int:
        return None
    found = whereabouts.quick_board_version(token, unit_id, now)
    if found is None:
        return None
    viewer, version = found
    return viewer.id, version


def _board(now) -> Response:
    listed = whereabouts.board(g.unit.id)
    hide = current_user._get_current_object()
    visible = [
        o
        for o in listed
        if not (any(s.silent for s in o.steps) and hide.id in {p.id for p in o.people_out()})
    ]
    return render(
        "lone_working/board.html",
        "lone_working/_board.html",
        outings=visible,
        alerts=whereabouts.open_alerts(g.unit.id, hide_for=hide),
        now=now,
        levels={o.id: planning.level(o, now) for o in visible},
        watcher=escalation.watcher_status(),
        delivery=delivery_status(),
        channels=planning.configured_channels(),
        problems=whereabouts.delivery_problems(g.unit.id),
        leads_on_duty=duty.on_duty(g.unit.id, ("lead",)),
        ack_form=ConfirmForm(),
    )


@bp.post("/board/alerts/<id:step_id>/ack")
@roles_required("lead", "admin")
def acknowledge(step_id: int):
    """The first lead to acknowledge owns the alert; everyone sees who."""
    step = db.get_or_404(EscalationStep, step_id)
    if not current_user.can_access_unit(step.outing.unit_id):
        abort(404)
    _lead_of(step.outing)
    ConfirmForm()
    if outings.acknowledge(step, current_user):
        db.session.commit()
        flash("You have acknowledged the alert and own it now.", "success")
    else:
        owner = step.acknowledged_by.name if step.acknowledged_by else "another lead"
        flash(f"{owner} had already acknowledged this alert.", "success")
    return hx_redirect(url_for("lone_working.outing", outing_id=step.outing_id))


@bp.route("/out/<id:outing_id>", methods=["GET"])
def outing(outing_id: int):
    """An outing's timeline, and the resolve form for leads."""
    outing = _outing_or_404(outing_id)
    me = current_user._get_current_object()
    return render(
        "lone_working/outing.html",
        "lone_working/_timeline.html",
        outing=outing,
        items=timeline.timeline(outing, me),
        hide_duress=whereabouts.hides_duress_from(outing, me),
        level=planning.level(outing),
        resolve_form=ResolveForm(),
        ack_form=ConfirmForm(),
        can_resolve=current_user.has_role("lead", "admin")
        and (outing.is_open or whereabouts.needs_resolving(outing))
        and not _on_it(outing),
    )


@bp.post("/out/<id:outing_id>/resolve")
@roles_required("lead", "admin")
def resolve(outing_id: int):
    """A lead resolves the outing with an outcome and a note."""
    outing = _outing_or_404(outing_id)
    _lead_of(outing)
    form = ResolveForm()
    if form.validate_on_submit():
        try:
            outings.resolve(
                outing, current_user, form.outcome.data, form.note.data, form.minutes.data
            )
        except outings.LoneWorkingError as error:
            db.session.rollback()
            form.outcome.errors = [str(error)]
        else:
            db.session.commit()
            flash("Outing resolved.", "success")
            return hx_redirect(url_for("lone_working.outing", outing_id=outing.id))
    return render(
        "lone_working/outing.html",
        "lone_working/_resolve_form.html",
        status=422,
        outing=outing,
        items=timeline.timeline(outing, current_user._get_current_object()),
        hide_duress=whereabouts.hides_duress_from(outing, current_user._get_current_object()),
        level=planning.level(outing),
        resolve_form=form,
        ack_form=ConfirmForm(),
        can_resolve=True,
    )


@bp.get("/out/export.csv")
@roles_required("lead", "admin")
def export():
    """A month of the unit's outings for activity statistics (no client names)."""
    month = request.args.get("month", "").strip()
    if month:
        try:
            year, mon = clock.parse_month(month)
        except ValueError as error:
            abort(400, description=f"{error} ({clock.FIRST_YEAR} to {clock.LAST_YEAR}).")
    else:
        today = clock.london_today()
        year, mon = today.year, today.month
    body = csv_export.month_csv(g.unit.id, year, mon)
    response = make_response(body)
    response.mimetype = "text/csv"
    response.headers["Content-Disposition"] = (
        f'attachment; filename="outings-{g.unit.short_name.lower()}-{year}-{mon:02d}.csv"'
    )
    return response


@bp.post("/duty/start")
def start_shift():
    """Start a shift in the current unit (one tap on home)."""
    ConfirmForm()
    duty.start_shift(current_user, g.unit.id)
    db.session.commit()
    flash(f"Your shift in {g.unit.name} has started.", "success")
    return hx_redirect(url_for("home.index"))


@bp.post("/duty/end")
def end_shift():
    """End your shift."""
    ConfirmForm()
    duty.end_shift(current_user)
    db.session.commit()
    flash("Your shift has ended.", "success")
    return hx_redirect(url_for("home.index"))


@bp.post("/notify/inbound-sms")
@csrf.exempt
def inbound_sms():
    """GOV.UK Notify's "received text messages" callback: a worker checks in by text.

    Notify authenticates with the bearer token set on the callback (NOTIFY_INBOUND_TOKEN),
    compared in constant time. A text that does nothing is still answered 200 (Notify would
    otherwise retry it); the outcome is recorded, never the message."""
    token = current_app.config.get("NOTIFY_INBOUND_TOKEN") or ""
    if not token:
        abort(404)
    given = request.headers.get("Authorization", "")
    scheme, _, value = given.partition(" ")
    if scheme.lower() != "bearer" or not hmac.compare_digest(
        value.strip().encode("utf-8", "replace"), token.encode()
    ):
        return jsonify(error="unauthorised"), 401
    try:
        outcome, _row = sms.receive(request.get_json(silent=True))
    except sms.BadCallback as error:
        db.session.rollback()
        return jsonify(error=f"not a received text message callback: {error}"), 400
    db.session.commit()
    return jsonify(outcome=outcome), 200
