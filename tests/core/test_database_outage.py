"""PostgreSQL away: every API call answers 503 JSON with Retry-After, `/healthz` stays 200,
`/readyz` says the database is down (SPEC §6 Faults).

A real web process reaches the database through a fault proxy that the test cuts (a stopped
PostgreSQL) or holds (one that accepts connections and never answers).
"""

from __future__ import annotations

import pytest
import requests

from tests.helpers import PASSWORD, wait_for

pytestmark = pytest.mark.timeout(120)


@pytest.fixture
def web(db_proxy, start_web, owner):
    # A short connect timeout keeps the "hanging database" test quick; the default is 5 s.
    base = start_web({"DATABASE_URL": db_proxy.url, "DATABASE_CONNECT_TIMEOUT": "1"})
    access = requests.post(
        f"{base}/api/auth/token/", json={"email": owner.email, "password": PASSWORD}, timeout=10
    ).json()["access"]
    return base, {"Authorization": f"Bearer {access}"}


def api_calls(base: str, headers: dict[str, str], email: str) -> dict[str, requests.Response]:
    def call(method: str, path: str, **kwargs) -> requests.Response:
        return requests.request(method, f"{base}{path}", timeout=30, **kwargs)

    return {
        "GET /api/tasks/": call("GET", "/api/tasks/", headers=headers),
        "GET /api/auth/me/": call("GET", "/api/auth/me/", headers=headers),
        "POST /api/tasks/": call(
            "POST", "/api/tasks/", headers=headers, json={"kind": "sleep", "params": {"seconds": 1}}
        ),
        "POST /api/auth/token/": call(
            "POST", "/api/auth/token/", json={"email": email, "password": PASSWORD}
        ),
    }


def assert_unavailable(responses: dict[str, requests.Response]) -> None:
    for name, response in responses.items():
        assert response.status_code == 503, (name, response.status_code, response.text)
        assert response.headers["Content-Type"] == "application/json", name
        assert response.json() == {"detail": "The database is unavailable; try again shortly."}, name
        assert int(response.headers["Retry-After"]) > 0, name


def test_with_the_database_stopped_the_api_answers_503_and_recovers(web, db_proxy, owner):
    base, headers = web
    db_proxy.cut()

    assert_unavailable(api_calls(base, headers, owner.email))
    assert requests.get(f"{base}/healthz", timeout=10).status_code == 200
    ready = requests.get(f"{base}/readyz", timeout=30)
    assert (ready.status_code, ready.json()["database"]) == (503, "down")

    db_proxy.restore()
    assert requests.get(f"{base}/api/tasks/", headers=headers, timeout=10).status_code == 200
    wait_for(
        lambda: requests.get(f"{base}/readyz", timeout=30).status_code == 200,
        what="/readyz to see the database again",
    )


def test_with_the_database_hanging_the_api_answers_503_instead_of_waiting(web, db_proxy, owner):
    base, headers = web
    db_proxy.hold()
    assert_unavailable(api_calls(base, headers, owner.email))
    db_proxy.restore()
    assert requests.get(f"{base}/api/tasks/", headers=headers, timeout=10).status_code == 200
