"""The demo Trust has the last shift's huddle, closed, with flags and open actions to carry."""

from sqlalchemy import select

from app.demo import DEMO_PASSWORD
from app.extensions import db
from app.huddles.models import Huddle
from tests.conftest import soup


def test_the_demo_has_a_closed_huddle_whose_flags_and_actions_carry_forward(app, web):
    assert app.test_cli_runner().invoke(args=["demo", "seed"]).exit_code == 0
    with app.app_context():
        (last,) = db.session.scalars(select(Huddle)).all()
        assert last.closed_at is not None
        last_id = last.id
    response = web.post("/login", {"email": "lead@example.com", "password": DEMO_PASSWORD})
    assert response.status_code == 303
    web._token = None
    summary = soup(web.get(f"/huddles/{last_id}"))
    assert "summary" in summary.title.get_text()
    started = web.post("/huddles/start")
    hid = int(started.headers["Location"].split("/")[-1])
    assert hid != last_id
    page = soup(web.get(f"/huddles/{hid}"))
    tags = [t.get_text() for t in page.select("#flags .app-flag .nhsuk-tag")]
    assert tags.count("Red") == 1 and tags.count("Amber") == 2
    carried = page.select("#action-list li.app-action")
    assert len(carried) == 3 and all("Carried forward" in li.get_text() for li in carried)
