"""`/api/` lists the resources and the docs; the browsable API sends a stranger to the login."""

from __future__ import annotations

import pytest

from tests.helpers import PASSWORD

pytestmark = pytest.mark.django_db


def test_api_root_lists_every_resource_and_the_docs_and_each_link_answers(anon_client, owner_client):
    response = anon_client.get("/api/")
    assert response.status_code == 200
    links = response.json()
    assert links["tasks"] == "http://testserver/api/tasks/"
    assert {
        "register",
        "token",
        "me",
        "tasks",
        "images",
        "codecheck-files",
        "codecheck-checks",
    } <= links.keys()
    assert {"schema", "docs", "redoc"} <= links.keys()
    for name, url in links.items():
        path = url.removeprefix("http://testserver")
        if name in {"register", "token", "token-refresh"}:
            assert owner_client.options(path).status_code == 200, name  # POST only
        else:
            assert owner_client.get(path).status_code == 200, name


def test_api_root_in_a_browser_is_the_browsable_api(anon_client):
    response = anon_client.get("/api/", HTTP_ACCEPT="text/html")
    assert response.status_code == 200
    assert "http://testserver/api/images/" in response.content.decode()


def test_the_browsable_api_401_page_links_to_the_login_that_leads_back(client, owner):
    page = client.get("/api/tasks/", HTTP_ACCEPT="text/html")
    assert page.status_code == 401
    assert "href='/api/auth/login/?next=/api/tasks/'" in page.content.decode()

    login = client.get("/api/auth/login/?next=/api/tasks/", follow=True)
    assert login.status_code == 200
    assert login.redirect_chain[-1][0] == "/accounts/login/?next=/api/tasks/"
    answer = client.post(
        "/accounts/login/?next=/api/tasks/", {"username": owner.email, "password": PASSWORD}, follow=True
    )
    assert answer.redirect_chain[-1][0] == "/api/tasks/"
    assert answer.status_code == 200
