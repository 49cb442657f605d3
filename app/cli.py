"""Command-line tasks: ``flask --app wsgi users create`` and ``flask --app wsgi demo seed``."""

import click
from flask import Flask
from flask.cli import AppGroup
from sqlalchemy import func, select

from app.auth.models import ROLES, Unit, User
from app.auth.services import MIN_PASSWORD_LENGTH, find_by_email, save_user
from app.extensions import db


def register(app: Flask) -> None:
    users = AppGroup("users", help="Manage staff accounts.")
    demo = AppGroup("demo", help="Demo data for trying Waypoint out.")

    @users.command("create")
    @click.option("--email", required=True)
    @click.option("--name", required=True)
    @click.option("--role", type=click.Choice(sorted(ROLES)), required=True)
    @click.option("--unit", "unit_name", required=True, help="Home unit name (created if new).")
    @click.option("--phone", default="")
    @click.password_option(help="Prompted for when not given.")
    def create_user(email, name, role, unit_name, phone, password):
        """Create a staff account (the first admin is made this way)."""
        if len(password) < MIN_PASSWORD_LENGTH:
            raise click.ClickException(
                f"Password must be at least {MIN_PASSWORD_LENGTH} characters"
            )
        if find_by_email(email):
            raise click.ClickException("An account with that email already exists")
        unit = db.session.scalar(select(Unit).where(Unit.name == unit_name))
        if unit is None:
            unit = Unit(name=unit_name, short_name=unit_name[:40])
            db.session.add(unit)
            db.session.flush()
        user = save_user(
            User(),
            {"name": name, "email": email, "phone": phone, "role": role, "home_unit_id": unit.id},
            actor=None,
            password=password,
        )
        db.session.commit()
        click.echo(f"Created {user.role} account {user.email} (id {user.id}) in {unit.name}.")

    @demo.command("seed")
    def seed():
        """Create the demo Trust when the database has no staff yet; otherwise do nothing."""
        from app.demo import DEMO_PASSWORD, seed_demo

        if app.config["PRODUCTION"]:
            raise click.ClickException("Demo data is never seeded in production.")
        if db.session.scalar(select(func.count()).select_from(User)):
            click.echo("Demo seed: the database already has staff; left as it is.")
            return
        people = seed_demo()
        click.echo(f"Demo seed: created 2 units, {len(people)} staff and the clients.")
        click.echo(f"Every demo account's password is: {DEMO_PASSWORD}")
        for person in people:
            click.echo(f"  {person.role:<9} {person.email}")

    lone_working = AppGroup("lone-working", help="Lone-working escalation.")

    @lone_working.command("shift-phone")
    @click.option("--unit", "unit_name", required=True, help="The unit's name.")
    @click.option("--phone", required=True, help="The shift phone's number; '' removes it.")
    def shift_phone(unit_name, phone):
        """Set the unit's shift phone: check-outs may choose it as their buddy."""
        import re

        from app.auth.forms import PHONE_PATTERN

        unit = db.session.scalar(select(Unit).where(Unit.name == unit_name))
        if unit is None:
            raise click.ClickException(f"No unit is called {unit_name!r}")
        phone = phone.strip()
        if phone and not re.fullmatch(PHONE_PATTERN, phone, flags=re.ASCII):
            raise click.ClickException("Enter a phone number, like 07700 900123")
        unit.shift_phone = phone
        db.session.commit()
        click.echo(f"{unit.name}: shift phone {phone or 'removed'}.")

    @lone_working.command("watch")
    @click.option("--interval", type=float, default=None, help="Seconds between passes.")
    @click.option("--passes", type=int, default=None, help="Stop after this many (tests).")
    def watch(interval, passes):
        """Run the escalation watcher: take due ladder steps and send the outbox."""
        from app.lone_working.watcher import watch as run

        run(app, interval or app.config["WATCHER_INTERVAL_SECONDS"], passes)

    app.cli.add_command(lone_working)
    app.cli.add_command(users)
    app.cli.add_command(demo)
