"""Login, logout, switching unit, and the admin's staff pages."""

from flask import abort, current_app, flash, redirect, request, session, url_for
from flask_login import current_user, login_user, logout_user

from app.audit.services import record
from app.auth import bp
from app.auth.decorators import roles_required
from app.auth.forms import LoginForm, ProfileForm, StaffForm, UnitSwitchForm
from app.auth.models import User
from app.auth.services import (
    authenticate,
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
from app.extensions import db, limiter


def _login_account_key() -> str:
    return "login-account:" + normalise_email(request.form.get("email", ""))


def _failed_login(response) -> bool:
    return response.status_code != 303


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["LOGIN_LIMIT_PER_IP"], methods=["POST"], scope="login-ip")
@limiter.limit(
    lambda: current_app.config["LOGIN_LIMIT_PER_ACCOUNT"],
    key_func=_login_account_key,
    methods=["POST"],
    deduct_when=_failed_login,
    scope="login-account",
)
def login():
    """Sign in with email and password; one generic message for any failure."""
    next_url = request.values.get("next", "")
    if not is_safe_next(next_url):
        next_url = ""
    if current_user.is_authenticated:
        return redirect(next_url or url_for("home.index"))
    form = LoginForm()
    status = 200
    if form.validate_on_submit():
        user = authenticate(form.email.data, form.password.data)
        if user is not None:
            session.clear()
            login_user(user)
            session["last_seen"] = clock.now().timestamp()
            record("login", "staff", user.id, actor=user, unit_id=user.home_unit_id)
            db.session.commit()
            return redirect(next_url or url_for("home.index"), 303)
        record(
            "login_failed",
            "staff",
            None,
            actor_label=normalise_email(form.email.data)[:160],
        )
        db.session.commit()
        form.form_errors.append("The email address or password is not right")
        status = 422
    elif request.method == "POST":
        status = 422
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
