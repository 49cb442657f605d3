"""A save or a delete that was already on its way when the note was signed changes nothing."""

import pytest

from app.auth.models import User
from app.clients.models import Client
from app.extensions import db
from app.notes import services
from app.notes.models import Note
from tests.notes.conftest import ACTIVITY_AT


def _data(**fields):
    return {
        "activity_at": ACTIVITY_AT,
        "duration_minutes": 60,
        "activity_type": "cafe",
        "place": "Café on the corner",
        "engagement": "full",
        "support_given": "Prompted to order.",
        "ratings": {},
        **fields,
    }


@pytest.fixture
def draft(app, make_user, make_client):
    author, client = make_user("ot"), make_client("AB")
    with app.app_context():
        saved = services.save_note(
            "race-key", db.session.get(Client, client.id), _data(), db.session.get(User, author.id)
        )
        db.session.commit()
        note_id = saved.note.id
    return author, client, note_id


def _sign_elsewhere(app, author, note_id):
    with app.app_context():  # another request, e.g. the Sign tap that overtook an autosave
        services.sign_note(db.session.get(Note, note_id), db.session.get(User, author.id))
        db.session.commit()


def test_a_late_autosave_does_not_change_a_note_signed_meanwhile(app, draft):
    author, client, note_id = draft
    with app.app_context():
        stale = services.find_by_key("race-key")  # loaded while it was still a draft
        assert not stale.is_signed
        _sign_elsewhere(app, author, note_id)
        saved = services.save_note(
            "race-key",
            db.session.get(Client, client.id),
            _data(support_given="CHANGED AFTER SIGNING"),
            db.session.get(User, author.id),
        )
        db.session.commit()
        assert saved.already_signed
    with app.app_context():
        note = db.session.get(Note, note_id)
        assert note.is_signed and note.support_given == "Prompted to order."


def test_a_late_delete_does_not_remove_a_note_signed_meanwhile(app, draft):
    author, client, note_id = draft
    with app.app_context():
        stale = db.session.get(Note, note_id)
        _sign_elsewhere(app, author, note_id)
        with pytest.raises(services.NoteRefused):
            services.discard_draft(stale, db.session.get(User, author.id))
        db.session.rollback()
    with app.app_context():
        assert db.session.get(Note, note_id).is_signed
