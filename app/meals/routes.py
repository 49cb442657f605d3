"""Meal-planning pages. URLs carry a client id and a week's Monday, never a name or a dish."""

from datetime import date

from flask import abort, flash, redirect, request, url_for
from flask_login import current_user
from sqlalchemy.exc import IntegrityError

from app.auth.decorators import roles_required
from app.auth.services import staff
from app.clients.models import Client
from app.core import clock
from app.core.forms import parse_int
from app.core.htmx import hx_redirect, render, wants_fragment
from app.extensions import db
from app.meals import bp, money, services
from app.meals.forms import (
    EXTRA_LINES,
    MAX_LINES,
    BudgetForm,
    CopyWeekForm,
    FreeItemForm,
    RemoveItemForm,
    TickForm,
    TripForm,
    WeekForm,
    aisles_form_class,
    day_form_class,
)
from app.meals.models import AISLES, CUE_LEVELS, DAYS, MEALS, FreeItem
from app.meals.services import DAY_SLUGS, PLANNERS


@bp.app_template_filter("pence")
def pence_filter(value) -> str:
    return money.format_pence(value)


@bp.app_template_filter("quantity")
def quantity_filter(value) -> str:
    return money.format_quantity(value)


def _client_or_404(client_id: int) -> Client:
    client = services.client_for(current_user, client_id)
    if client is None:
        abort(404)
    return client


def _week_or_404(week: str) -> date:
    start = services.parse_week(week)
    if start is None:
        abort(404, description="A week is shown by the date of its Monday, like 2026-11-23.")
    return start


def _week_url(client: Client, start: date, **kwargs) -> str:
    return url_for("meals.week", client_id=client.id, week=start.isoformat(), **kwargs)


def _note_link(client: Client, kind: str, dish: str | None, at) -> str:
    """The notes form with the facts as query parameters (areas compose by URL, not import)."""
    params = {"client": client.id, "type": kind}
    if dish:
        params["dish"] = dish
    if at is not None and at <= clock.now():
        params["at"] = at.isoformat()
    return url_for("notes.new", **params)


def _week_context(client: Client, start: date, **extra) -> dict:
    week = services.find_week(client, start)
    trips = services.trips_of(week)
    slots = services.meals_by_slot(week)
    today = clock.london_today()
    return {
        "client": client,
        "start": start,
        "week": week,
        "slots": slots,
        "planned_days": {day for day, _ in slots},
        "days": DAYS,
        "day_slugs": DAY_SLUGS,
        "meals": MEALS,
        "budget": services.budget_for(week, trips),
        "trips": trips,
        "is_this_week": start == services.this_week(),
        "today_index": (today - start).days if 0 <= (today - start).days < 7 else None,
        "previous": start.fromordinal(start.toordinal() - 7),
        "next": start.fromordinal(start.toordinal() + 7),
        "budget_form": extra.pop("budget_form", None)
        or BudgetForm(formdata=None, data={"budget": week.budget_pence if week else None}),
        "copy_form": CopyWeekForm(),
        "can_copy": not slots
        and services.has_plan(client, start.fromordinal(start.toordinal() - 7)),
        "week_form": extra.pop("week_form", None) or WeekForm(formdata=None, data={"start": start}),
        "cooking_link": lambda day, meal, dish: _note_link(
            client, "cooking", dish, services.meal_time(start, day, meal)
        ),
        "trip_link": lambda trip: _note_link(client, "shopping", None, trip.trip_at),
        "cue_levels": CUE_LEVELS,
        **extra,
    }


@bp.get("/clients/<id:client_id>")
@roles_required(*PLANNERS)
def this_week(client_id: int):
    """The client's plan for this week."""
    client = _client_or_404(client_id)
    return redirect(_week_url(client, services.this_week()))


@bp.get("/clients/<id:client_id>/list")
@roles_required(*PLANNERS)
def this_weeks_list(client_id: int):
    """This week's shopping list."""
    client = _client_or_404(client_id)
    return redirect(
        url_for("meals.shopping_list", client_id=client.id, week=services.this_week().isoformat())
    )


@bp.get("/clients/<id:client_id>/week-of")
@roles_required(*PLANNERS)
def week_of(client_id: int):
    """'Show another week': the Monday typed, or the form again with what was typed."""
    client = _client_or_404(client_id)
    form = WeekForm(request.args)
    if form.validate():
        return redirect(_week_url(client, form.start.data))
    return render(
        "meals/week.html",
        "meals/_week.html",
        status=422,
        **_week_context(client, services.this_week(), week_form=form),
    )


@bp.get("/clients/<id:client_id>/weeks/<week>")
@roles_required(*PLANNERS)
def week(client_id: int, week: str):
    """The whole week on one screen: each day's meals, the budget and the shop trips."""
    client = _client_or_404(client_id)
    return render(
        "meals/week.html", "meals/_week.html", **_week_context(client, _week_or_404(week))
    )


# --- one day ----------------------------------------------------------------------------------


def _day_index(day: str) -> int:
    if day not in DAY_SLUGS:
        abort(404)
    return DAY_SLUGS.index(day)


def _lines_wanted(slots: dict, index: int, more: bool) -> dict[str, int]:
    wanted = {}
    for meal in MEALS:
        slot = slots.get((index, meal))
        have = len(slot.ingredients) if slot else 0
        posted = parse_int(request.form.get(f"{meal}_lines", ""), 0, MAX_LINES) or 0
        count = max(have + EXTRA_LINES, posted)
        wanted[meal] = min(MAX_LINES, count + (EXTRA_LINES if more else 0))
    return wanted


@bp.route("/clients/<id:client_id>/weeks/<week>/days/<day>", methods=["GET", "POST"])
@roles_required(*PLANNERS)
def edit_day(client_id: int, week: str, day: str):
    """Plan one day: four meals, each a dish and its ingredients (htmx swaps the day in place)."""
    client = _client_or_404(client_id)
    start = _week_or_404(week)
    index = _day_index(day)
    existing = services.find_week(client, start)
    slots = services.meals_by_slot(existing)
    more = request.form.get("action") == "more"
    form_class = day_form_class(_lines_wanted(slots, index, more))
    status = 200
    if request.method == "POST":
        form = form_class()
        if not form.validate():
            status = 422
        else:
            services.save_day(client, start, index, form.slots(), current_user)
            db.session.commit()
            if not more:
                if wants_fragment():
                    context = _week_context(client, start)
                    return render(
                        "meals/week.html", "meals/_day.html", index=index, saved=True, **context
                    )
                flash(f"{DAYS[index]} saved.", "success")
                return redirect(_week_url(client, start, _anchor=f"day-{day}"), 303)
            # Saved; the same day again with more empty ingredient lines.
            slots = services.meals_by_slot(services.find_week(client, start))
            form = day_form_class(_lines_wanted(slots, index, more))(formdata=None)
            form.fill_from({m: slots.get((index, m)) for m in MEALS})
    else:
        form = form_class(formdata=None)
        form.fill_from({m: slots.get((index, m)) for m in MEALS})
    return render(
        "meals/day.html",
        "meals/_day_form.html",
        status=status,
        client=client,
        start=start,
        index=index,
        day=day,
        days=DAYS,
        meals=MEALS,
        form=form,
        dishes=services.dishes_of(client),
    )


@bp.get("/clients/<id:client_id>/weeks/<week>/days/<day>/view")
@roles_required(*PLANNERS)
def view_day(client_id: int, week: str, day: str):
    """One day as read (htmx 'Cancel' puts it back in place of the form)."""
    client = _client_or_404(client_id)
    start = _week_or_404(week)
    index = _day_index(day)
    if not wants_fragment():
        return redirect(_week_url(client, start, _anchor=f"day-{day}"))
    return render("meals/week.html", "meals/_day.html", index=index, **_week_context(client, start))


# --- budget and copying -----------------------------------------------------------------------


@bp.post("/clients/<id:client_id>/weeks/<week>/budget")
@roles_required(*PLANNERS)
def budget(client_id: int, week: str):
    """Set the week's budget (empty: no budget)."""
    client = _client_or_404(client_id)
    start = _week_or_404(week)
    form = BudgetForm()
    if not form.validate():
        return render(
            "meals/week.html",
            "meals/_budget.html",
            status=422,
            **_week_context(client, start, budget_form=form),
        )
    services.set_budget(client, start, form.budget.data, current_user)
    db.session.commit()
    if wants_fragment():
        return render(
            "meals/week.html", "meals/_budget.html", saved=True, **_week_context(client, start)
        )
    flash("Budget saved.", "success")
    return redirect(_week_url(client, start, _anchor="week-budget"), 303)


@bp.post("/clients/<id:client_id>/weeks/<week>/copy-last-week")
@roles_required(*PLANNERS)
def copy_last_week(client_id: int, week: str):
    """Copy last week's meals into this (empty) week."""
    client = _client_or_404(client_id)
    start = _week_or_404(week)
    CopyWeekForm()
    copied = services.copy_last_week(client, start, current_user)
    db.session.commit()
    if copied:
        flash(f"Copied {copied} meals from last week. Change any day below.", "success")
    else:
        flash("Nothing copied: last week has no meals, or this week already has some.", "warning")
    return hx_redirect(_week_url(client, start))


# --- the shopping list ------------------------------------------------------------------------


def _list_context(client: Client, start: date, **extra) -> dict:
    week = services.find_week(client, start)
    return {
        "client": client,
        "start": start,
        "week": week,
        "shopping": services.shopping_list(client, week),
        "aisles": AISLES,
        "tick_form": TickForm(),
        "remove_form": RemoveItemForm(),
        "item_form": extra.pop("item_form", None) or FreeItemForm(formdata=None),
        **extra,
    }


@bp.get("/clients/<id:client_id>/weeks/<week>/list")
@roles_required(*PLANNERS)
def shopping_list(client_id: int, week: str):
    """The week's shopping list by aisle, to tick in the shop."""
    client = _client_or_404(client_id)
    start = _week_or_404(week)
    return render("meals/list.html", "meals/_list.html", **_list_context(client, start))


@bp.get("/clients/<id:client_id>/weeks/<week>/list/print")
@roles_required(*PLANNERS)
def print_list(client_id: int, week: str):
    """The list in large print, to print and carry."""
    client = _client_or_404(client_id)
    start = _week_or_404(week)
    return render("meals/print.html", "meals/print.html", **_list_context(client, start))


@bp.post("/clients/<id:client_id>/weeks/<week>/list/tick")
@roles_required(*PLANNERS)
def tick(client_id: int, week: str):
    """Tick or untick one line (htmx, or a queued tick sent when the signal returns)."""
    client = _client_or_404(client_id)
    start = _week_or_404(week)
    form = TickForm()
    form.validate()
    week_row = services.find_week(client, start)
    key = (form.item.data or "")[:200]
    if week_row is None:
        abort(404)
    shopping = services.shopping_list(client, week_row)
    item = next((i for i in shopping.items if i.key == key), None)
    if item is None:
        abort(404, description="That item is no longer on this week's list.")
    wanted = form.ticked.data in ("1", "y", "on")
    seq = form.parsed_seq()
    try:
        item.ticked = services.set_tick(client, week_row, key, wanted, seq, current_user)
        db.session.commit()
    except IntegrityError:  # the first tick of this line, twice at once: the row exists now
        db.session.rollback()
        item.ticked = services.set_tick(client, week_row, key, wanted, seq, current_user)
        db.session.commit()
    if wants_fragment():
        return render("meals/list.html", "meals/_tick_status.html", item=item)
    return redirect(
        url_for(
            "meals.shopping_list", client_id=client.id, week=start.isoformat(), _anchor=item.dom_id
        ),
        303,
    )


@bp.post("/clients/<id:client_id>/weeks/<week>/list/items")
@roles_required(*PLANNERS)
def add_item(client_id: int, week: str):
    """Add something that is not in a planned meal."""
    client = _client_or_404(client_id)
    start = _week_or_404(week)
    form = FreeItemForm()
    if not form.validate():
        return render(
            "meals/list.html",
            "meals/_list.html",
            status=422,
            **_list_context(client, start, item_form=form),
        )
    services.add_free_item(client, start, form.name.data, form.aisle.data or None, current_user)
    db.session.commit()
    flash("Added to the list.", "success")
    return hx_redirect(url_for("meals.shopping_list", client_id=client.id, week=start.isoformat()))


@bp.post("/clients/<id:client_id>/weeks/<week>/list/items/<id:item_id>/remove")
@roles_required(*PLANNERS)
def remove_item(client_id: int, week: str, item_id: int):
    """Take an added item off the list."""
    client = _client_or_404(client_id)
    start = _week_or_404(week)
    RemoveItemForm()
    week_row = services.find_week(client, start)
    item = db.session.get(FreeItem, item_id)
    if week_row is None or item is None or item.week_id != week_row.id:
        abort(404)
    services.remove_free_item(client, week_row, item, current_user)
    db.session.commit()
    flash("Taken off the list.", "success")
    return hx_redirect(url_for("meals.shopping_list", client_id=client.id, week=start.isoformat()))


@bp.route("/clients/<id:client_id>/weeks/<week>/list/aisles", methods=["GET", "POST"])
@roles_required(*PLANNERS)
def aisles(client_id: int, week: str):
    """Put each item in an aisle; the unit's list remembers it for next time."""
    client = _client_or_404(client_id)
    start = _week_or_404(week)
    week_row = services.find_week(client, start)
    shopping = services.shopping_list(client, week_row)
    names = []
    for item in shopping.items:
        if item.name_key not in [n.name_key for n in names]:
            names.append(item)
    form_class = aisles_form_class(len(names))
    if request.method == "POST" and week_row is not None:
        form = form_class()
        form.validate()
        chosen = {}
        for n, item in enumerate(names):
            if form[f"key_{n}"].data == item.name_key and form[f"aisle_{n}"].data in AISLES:
                chosen[item.name_key] = form[f"aisle_{n}"].data
        services.remember_aisles(client, week_row, chosen, current_user)
        db.session.commit()
        flash("Aisles saved. This unit's lists will use them next time.", "success")
        return hx_redirect(
            url_for("meals.shopping_list", client_id=client.id, week=start.isoformat())
        )
    form = form_class(formdata=None)
    for n, item in enumerate(names):
        form[f"aisle_{n}"].data = item.aisle
        form[f"key_{n}"].data = item.name_key
    return render(
        "meals/aisles.html",
        "meals/_aisles.html",
        client=client,
        start=start,
        form=form,
        names=list(enumerate(names)),
        aisle_names=AISLES,
    )


# --- shop trips -------------------------------------------------------------------------------


@bp.route("/clients/<id:client_id>/weeks/<week>/trips/new", methods=["GET", "POST"])
@roles_required(*PLANNERS)
def new_trip(client_id: int, week: str):
    """Record a shop trip against the week: date, shop, spent, who supported, cue level."""
    client = _client_or_404(client_id)
    start = _week_or_404(week)
    people = staff(client.unit_id)
    window = services.trip_window(start)
    if request.method == "POST":
        form = TripForm(staff=people, window=window)
        if form.validate():
            _, new = services.record_trip(
                client, start, form.trip_data(), current_user, form.request_key.data
            )
            db.session.commit()
            flash(
                "Shop trip recorded."
                if new
                else "This shop trip was already recorded: it is in the list once.",
                "success",
            )
            return hx_redirect(_week_url(client, start, _anchor="trips"))
        status = 422
    else:
        now = clock.to_london(clock.now())
        today = now.date()
        default_day = min(max(today, window[0]), window[1])
        form = TripForm(
            formdata=None,
            staff=people,
            window=window,
            data={
                "trip_date": default_day,
                "trip_time": now.time().replace(second=0, microsecond=0)
                if default_day == today
                else None,
                "supported_by_id": current_user.id,
            },
        )
        status = 200
    return render(
        "meals/trip.html",
        "meals/_trip_form.html",
        status=status,
        client=client,
        start=start,
        form=form,
    )
