"""The sequential lane in the embedded default: SQLite, in-process broker and worker threads."""

from __future__ import annotations

import itertools
from datetime import datetime

import requests

from tests.core.test_embedded import embedded_server  # noqa: F401  (the fixture)
from tests.helpers import PASSWORD, wait_for


def test_lane_runs_in_order_one_at_a_time_on_sqlite(embedded_server):  # noqa: F811
    api = f"{embedded_server}/api"
    creds = {"email": "lane@example.com", "password": PASSWORD}
    assert requests.post(f"{api}/auth/register/", json=creds, timeout=10).status_code == 201
    access = requests.post(f"{api}/auth/token/", json=creds, timeout=10).json()["access"]
    headers = {"Authorization": f"Bearer {access}"}

    ids = []
    for num, timeout in enumerate([1, 0, 1, 0, 1]):
        response = requests.post(
            f"{api}/tasks/",
            json={"kind": "sequential", "params": {"num": num, "timeout": timeout}},
            headers=headers,
            timeout=10,
        )
        assert response.status_code == 202, response.text
        ids.append(response.json()["id"])
    queue = requests.get(f"{api}/tasks/queue/", headers=headers, timeout=10).json()["results"]
    assert [entry["number"] for entry in queue] == sorted(entry["number"] for entry in queue)

    def results() -> list[dict]:
        done = requests.get(
            f"{api}/tasks/", params={"kind": "sequential", "status": "succeeded"}, headers=headers, timeout=10
        ).json()["results"]
        return done if len(done) == len(ids) else []

    def at(task: dict, field: str) -> datetime:
        return datetime.fromisoformat(task[field])

    done = sorted(wait_for(results, timeout=60, what="the lane to drain"), key=lambda t: at(t, "started_at"))
    assert [task["id"] for task in done] == ids
    assert [task["result"] for task in done] == [{"num": n} for n in range(len(ids))]
    for before, after in itertools.pairwise(done):
        assert at(before, "finished_at") <= at(after, "started_at")
