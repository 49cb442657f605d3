import pytest


@pytest.mark.parametrize(
    ("role", "method", "url"),
    [
        ("ot", "GET", "/staff"),
        ("ot", "GET", "/staff/new"),
        ("lead", "GET", "/staff"),
        ("assistant", "POST", "/staff/new"),
        ("ot", "GET", "/clients/new"),
        ("assistant", "POST", "/clients/new"),
        ("ot", "GET", "/audit"),
        ("assistant", "GET", "/audit"),
    ],
)
def test_roles_without_the_right_are_refused(web, make_user, role, method, url):
    web.login(make_user(role))
    response = web.get(url) if method == "GET" else web.post(url, {})
    assert response.status_code == 403
    assert "You do not have access to this page" in response.get_data(as_text=True)


@pytest.mark.parametrize(
    ("role", "url"),
    [("admin", "/staff"), ("lead", "/clients/new"), ("admin", "/clients/new"), ("lead", "/audit")],
)
def test_roles_with_the_right_get_in(web, make_user, role, url):
    web.login(make_user(role))
    assert web.get(url).status_code == 200


def test_home_shows_only_the_actions_a_role_may_use(web, make_user):
    web.login(make_user("ot"))
    body = web.get("/").get_data(as_text=True)
    assert 'href="/clients"' in body
    assert 'href="/staff"' not in body and 'href="/audit"' not in body
