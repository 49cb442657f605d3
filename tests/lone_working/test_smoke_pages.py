from tests.conftest import soup


def test_the_lone_working_pages_render_for_an_outing(web, make_user, make_outing, clock_at):
    worker = make_user("ot")
    outing_id = make_outing(worker=worker)
    web.login(worker)
    for url in ("/", "/out/mine", "/board", f"/out/{outing_id}", f"/out/{outing_id}/sos"):
        response = web.get(url)
        assert response.status_code == 200, url
        assert soup(response).h1 is not None
