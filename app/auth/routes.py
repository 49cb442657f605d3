"""Login, logout, switching unit, and the admin's staff pages."""

from flask import abort, current_app, flash, redirect, request, session, url_for
from flask_login import current_user, login_user, logout_user

from app.audit.services import record
from app.auth import bp, limits
from app.auth.decorators import roles_required
from app.auth.forms import LoginForm, ProfileForm, StaffForm, UnitSwitchForm
from app.auth.models import User
from app.auth.services import (
    authenticate,
    find_by_email,
    normalise_email,
    save_profile,
    save_user,
    staff,
    switch_unit,
    units,
)
from app.core import clock
from app.core.htmx import hx_redirect, render
from app.core.security import is_safe_next
from app.extensions import db


def _failed_login_label(email: str, user: User | None) -> str:
    """The audit's name for a failed login: the address only when it is an account's.

    People paste passwords into the email box: anything else is kept as a keyed hash, so
    repeated attempts can still be grouped without storing what was typed.
    """
    return user.email if user is not None else f"unknown email #{limits.keyed_hash(email)}"


@bp.route("/login", methods=["GET", "POST"])
def login():
    """Sign in with email and password; one generic message for any failure.

    Failures hold back an address for the account it tried (and, at a higher count, for every
    account), never the account itself: the owner on their own phone still gets in.
    """
    next_url = request.values.get("next", "")
    if not is_safe_next(next_url):
        next_url = ""
    if current_user.is_authenticated:
        return redirect(next_url or url_for("home.index"))
    form = LoginForm()
    status = 200
    if form.validate_on_submit():
        email, address = normalise_email(form.email.data), request.remote_addr or ""
        if limits.login_refused(email, address):
            form.form_errors.append(
                "Too many attempts from this device. For your security, wait "
                f"{limits.window_minutes('LOGIN_LIMIT_PER_ACCOUNT')} minutes and try again, "
                "or ask a lead or an administrator"
            )
            return _login_page(form, next_url, 429)
        user = authenticate(email, form.password.data)
        if user is not None:
            session.clear()
            login_user(user)
            session["last_seen"] = clock.now().timestamp()
            record("login", "staff", user.id, actor=user, unit_id=user.home_unit_id)
            db.session.commit()
            return redirect(next_url or url_for("home.index"), 303)
        account = find_by_email(email)
        record(
            "login_failed",
            "staff",
            account.id if account is not None else None,
            actor_label=_failed_login_label(email, account),
            unit_id=account.home_unit_id if account is not None else None,
        )
        limits.count_login_failure(email, address, account)
        db.session.commit()
        form.form_errors.append("The email address or password is not right")
        status = 422
    elif request.method == "POST":
        status = 422
    return _login_page(form, next_url, status)


def _login_page(form: LoginForm, next_url: str, status: int):
    return render(
        "auth/login.html", "auth/_login_form.html", status=status, form=form, next=next_url
    )


@bp.post("/logout")
def logout():
    """End this session and every other session of this account."""
    user = current_user._get_current_object()
    record("logout", "staff", user.id, unit_id=user.home_unit_id)
    for hook in current_app.extensions.get("on_logout", ()):
        hook(user)  # e.g. lone working ends the person's duty shift
    user.end_sessions()
    db.session.commit()
    logout_user()
    session.clear()
    flash("You have logged out.", "success")
    return redirect(url_for("auth.login"), 303)


@bp.post("/unit/<id:unit_id>")
def change_unit(unit_id: int):
    """Work in another unit: lists, boards and huddles follow."""
    UnitSwitchForm()  # CSRF is checked globally; the form documents that it is a POST form
    unit = switch_unit(current_user, unit_id)
    if unit is None:
        abort(403)
    flash(f"You are now working in {unit.name}.", "success")
    target = request.form.get("next", "")
    return hx_redirect(target if is_safe_next(target) else url_for("home.index"))


@bp.get("/staff")
@roles_required("admin")
def staff_list():
    """Every account, active first."""
    people = sorted(staff(active_only=False), key=lambda u: (not u.active, u.name.lower()))
    return render("auth/staff_list.html", "auth/_staff_table.html", people=people)


def _staff_form_page(user: User | None):
    form = StaffForm(obj=user, user=user, units=units())
    if request.method == "GET" and user is not None:
        form.cover_unit_ids.data = user.cover_unit_ids
    if form.validate_on_submit():
        if user is not None and user.id == current_user.id and not form.active.data:
            form.active.errors = ["You cannot deactivate your own account"]
        else:
            saved = save_user(
                user or User(),
                form.data,
                actor=current_user,
                password=form.password.data or None,
            )
            db.session.commit()
            flash(f"Saved the account for {saved.name}.", "success")
            return hx_redirect(url_for("auth.staff_list"))
    status = 422 if request.method == "POST" else 200
    return render(
        "auth/staff_form.html", "auth/_staff_form.html", status=status, form=form, person=user
    )


@bp.route("/staff/new", methods=["GET", "POST"])
@roles_required("admin")
def staff_new():
    """Create an account."""
    return _staff_form_page(None)


@bp.route("/staff/<id:user_id>/edit", methods=["GET", "POST"])
@roles_required("admin")
def staff_edit(user_id: int):
    """Change an account, reset its password or deactivate it."""
    return _staff_form_page(db.get_or_404(User, user_id))


@bp.route("/profile", methods=["GET", "POST"])
def profile():
    """Your phone number and lone-working PINs."""
    me = current_user._get_current_object()
    form = ProfileForm(obj=me, user=me)
    if form.validate_on_submit():
        save_profile(me, form.phone.data, form.checkin_pin.data, form.duress_pin.data)
        db.session.commit()
        flash("Your details are saved.", "success")
        return hx_redirect(url_for("home.index"))
    status = 422 if request.method == "POST" else 200
    return render("auth/profile.html", "auth/_profile_form.html", status=status, form=form)
