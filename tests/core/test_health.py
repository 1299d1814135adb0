import pytest

pytestmark = pytest.mark.django_db


def test_healthz_is_open_and_ok(anon_client):
    response = anon_client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_readyz_says_ok_for_the_database_broker_and_cache(anon_client):
    response = anon_client.get("/readyz")
    assert response.status_code == 200
    assert response.json() == {"database": "ok", "broker": "ok", "cache": "ok"}


def test_readyz_says_only_down_when_the_broker_is_unreachable(anon_client, settings):
    settings.RABBITMQ_URL = "amqp://guest:guest@127.0.0.1:1/%2F"
    response = anon_client.get("/readyz")
    assert response.status_code == 503
    # No exception text, no host or port: the endpoint is open to anyone.
    assert response.json() == {"database": "ok", "broker": "down", "cache": "ok"}


def test_readyz_keeps_its_answer_instead_of_connecting_to_the_broker_per_call(
    anon_client, settings, broker_proxy
):
    settings.RABBITMQ_URL = broker_proxy.url
    settings.READYZ_CACHE_SECONDS = 60
    assert [anon_client.get("/readyz").status_code for _ in range(3)] == [200, 200, 200]
    assert broker_proxy.accepted == 1
    settings.READYZ_CACHE_SECONDS = 0
    assert anon_client.get("/readyz").status_code == 200
    assert broker_proxy.accepted == 2


def test_an_unknown_api_url_is_a_json_404_and_a_site_url_the_html_page(client):
    api = client.get("/api/no-such-thing/")
    assert (api.status_code, api["Content-Type"]) == (404, "application/json")
    assert api.json() == {"detail": "Not found."}
    site = client.get("/no-such-page/")
    assert site.status_code == 404
    assert site["Content-Type"].startswith("text/html")


def test_an_unexpected_error_under_the_api_is_a_json_500(rf):
    from core.views import server_error

    api = server_error(rf.get("/api/tasks/"))
    assert (api.status_code, api["Content-Type"]) == (500, "application/json")
    assert server_error(rf.get("/files/"))["Content-Type"].startswith("text/html")
