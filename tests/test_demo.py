from sqlalchemy import func, select

from app.auth.models import Unit, User
from app.clients import nhs_number
from app.clients.models import Client
from app.demo import DEMO_PASSWORD
from app.extensions import db


def test_demo_seed_creates_a_realistic_trust_once(app):
    runner = app.test_cli_runner()
    first = runner.invoke(args=["demo", "seed"])
    assert first.exit_code == 0, first.output
    assert DEMO_PASSWORD in first.output and "ot@example.com" in first.output
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Unit)) == 2
        roles = sorted(db.session.scalars(select(User.role)))
        assert roles == ["admin", "assistant", "lead", "lead", "ot", "ot"]
        clients = db.session.scalars(select(Client)).all()
        assert len(clients) == 14
        assert all(
            c.nhs_number.startswith("999") and nhs_number.is_valid(c.nhs_number) for c in clients
        )
        assert len({c.nhs_number for c in clients}) == 14
        assert {c.unit_id for c in clients} == set(db.session.scalars(select(Unit.id)))
        assert sum(c.step_down for c in clients) == 3
    second = runner.invoke(args=["demo", "seed"])
    assert second.exit_code == 0 and "left as it is" in second.output
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Client)) == 14


def test_the_demo_ot_can_log_in_with_the_documented_password(app, web):
    app.test_cli_runner().invoke(args=["demo", "seed"])
    response = web.post("/login", {"email": "ot@example.com", "password": DEMO_PASSWORD})
    assert response.status_code == 303
