from sqlalchemy import func, select

from app.clients.models import Client, ClientGoal
from app.extensions import db
from app.notes.models import Note


def test_the_demo_has_goals_and_signed_rated_notes_for_the_charts(app):
    runner = app.test_cli_runner()
    assert runner.invoke(args=["demo", "seed"]).exit_code == 0
    assert runner.invoke(args=["demo", "seed"]).exit_code == 0  # a second run adds nothing
    with app.app_context():
        everything = db.session.scalars(select(Note)).all()
        # Cooking sessions carry cue levels instead of MOHOST ratings (issue 7; tested below).
        notes = [n for n in everything if n.activity_type != "cooking"]
        assert len(notes) == 7
        assert all(n.is_signed and not n.is_late_entry and n.ratings for n in notes)
        assert {n.client.initials for n in notes} == {"AB", "CD"}
        assert any(n.needs_countersignature for n in notes)
        cd = db.session.scalar(select(Client).where(Client.initials == "CD"))
        goals = db.session.scalar(
            select(func.count()).select_from(ClientGoal).where(ClientGoal.client_id == cd.id)
        )
        assert goals == 3


def test_the_demo_has_signed_cooking_sessions_with_cue_levels_for_the_cue_chart(app):
    runner = app.test_cli_runner()
    assert runner.invoke(args=["demo", "seed"]).exit_code == 0
    with app.app_context():
        cooking = db.session.scalars(select(Note).where(Note.activity_type == "cooking")).all()
        assert len(cooking) == 7
        assert all(n.is_signed and not n.is_late_entry and n.dish for n in cooking)
        assert all("overall" in n.cue_map for n in cooking)
        assert {n.client.initials for n in cooking} == {"AB"}
