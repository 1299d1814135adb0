"""The sequential lane without a worker: numbers, positions, the queue endpoint, the lease."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from jobs import sequential
from jobs.lane import lane_claim, lane_release, lane_renew, lane_wake_head
from jobs.sequential import sequential_step, sequential_wake
from tasks_api.models import Lane, Task, TaskStatus
from tasks_api.services import task_create

pytestmark = pytest.mark.django_db

TASKS = "/api/tasks/"
QUEUE = "/api/tasks/queue/"


def submit(client, num=1, timeout=0):
    response = client.post(
        TASKS, {"kind": "sequential", "params": {"num": num, "timeout": timeout}}, format="json"
    )
    assert response.status_code == 202, response.content
    return response.json()


def test_tasks_are_numbered_in_submission_order_over_all_users(owner_client, other_client):
    first, second, third = submit(owner_client, 1), submit(other_client, 2), submit(owner_client, 3)
    numbers = [Task.objects.get(id=t["id"]).number for t in (first, second, third)]
    assert numbers == [1, 2, 3]
    assert [first["position"], second["position"], third["position"]] == [1, 2, 3]
    assert Lane.objects.get(name="sequential").last_number == 3


def test_queue_lists_the_callers_tasks_in_lane_order_with_positions_over_everyone(owner_client, other_client):
    mine_1 = submit(owner_client, num=10, timeout=5)
    submit(other_client, num=20)
    mine_2 = submit(owner_client, num=30, timeout=7.5)

    response = owner_client.get(QUEUE)
    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 2
    assert [(e["id"], e["number"], e["position"]) for e in body["results"]] == [
        (mine_1["id"], 1, 1),
        (mine_2["id"], 3, 3),
    ]
    entry = body["results"][1]
    assert entry["num"] == 30 and entry["timeout"] == 7.5 and entry["status"] == "queued"
    assert set(entry) == {"id", "number", "position", "status", "num", "timeout", "created_at", "started_at"}

    other = other_client.get(QUEUE).json()["results"]
    assert [(e["number"], e["position"]) for e in other] == [(2, 2)]


def test_cancelling_takes_a_task_out_of_the_lane(owner_client, other_client):
    first = submit(owner_client, 1)
    second = submit(other_client, 2)
    third = submit(owner_client, 3)
    assert owner_client.post(f"{TASKS}{first['id']}/cancel/").status_code == 200

    assert [(e["number"], e["position"]) for e in owner_client.get(QUEUE).json()["results"]] == [(3, 2)]
    assert other_client.get(f"{TASKS}{second['id']}/").json()["position"] == 1
    assert owner_client.get(f"{TASKS}{first['id']}/").json()["position"] is None
    assert owner_client.get(f"{TASKS}{third['id']}/").json()["position"] == 2


def test_finished_tasks_leave_the_queue_and_are_listed_by_status(owner_client):
    done = submit(owner_client, 1)
    Task.objects.filter(id=done["id"]).update(status=TaskStatus.SUCCEEDED, result={"num": 1})
    waiting = submit(owner_client, 2)
    assert [e["id"] for e in owner_client.get(QUEUE).json()["results"]] == [waiting["id"]]
    finished = owner_client.get(TASKS, {"kind": "sequential", "status": "succeeded"}).json()["results"]
    assert [(t["id"], t["result"]) for t in finished] == [(done["id"], {"num": 1})]


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"num": 1, "timeout": 3601}, "timeout"),
        ({"num": 1, "timeout": -1}, "timeout"),
        ({"num": 1, "timeout": 3600.01}, "timeout"),
        ({"num": 1, "timeout": -0.3}, "timeout"),
        ({"num": 1, "timeout": False}, "timeout"),
        ({"num": 1, "timeout": "inf"}, "timeout"),
        ({"num": 1.5, "timeout": 1}, "num"),
        ({"timeout": 1}, "num"),
        ({"num": "one", "timeout": 1}, "num"),
        ({"num": 1}, "timeout"),
        ({"num": 1, "timeout": 1, "extra": 1}, "extra"),
        ({"num": 2**53, "timeout": 1}, "num"),
        ({"num": -(2**53), "timeout": 1}, "num"),
    ],
)
def test_bad_params_are_a_400_and_use_no_number(owner_client, params, field):
    response = owner_client.post(TASKS, {"kind": "sequential", "params": params}, format="json")
    assert response.status_code == 400
    assert field in response.json()["params"]
    assert not Task.objects.exists()
    assert not Lane.objects.filter(last_number__gt=0).exists()


@pytest.mark.parametrize("timeout", [0, 0.3, 3600, 0.001])
def test_timeout_takes_fractions_of_a_second_within_bounds(owner_client, timeout):
    response = owner_client.post(
        TASKS, {"kind": "sequential", "params": {"num": 1, "timeout": timeout}}, format="json"
    )
    assert response.status_code == 202, response.json()
    assert response.json()["params"] == {"num": 1, "timeout": timeout}


def test_queue_needs_a_login(anon_client):
    assert anon_client.get(QUEUE).status_code == 401


def test_empty_queue(owner_client):
    assert owner_client.get(QUEUE).json() == {"count": 0, "next": None, "previous": None, "results": []}


# --- the lease -----------------------------------------------------------------------


def test_only_the_head_may_claim_and_only_one_run_at_a_time(owner_client):
    first, second = submit(owner_client, 1), submit(owner_client, 2)
    assert lane_claim(task_id=second["id"]) is None  # not the head
    lease = lane_claim(task_id=first["id"])
    assert lease is not None
    assert lane_claim(task_id=first["id"]) is None  # a duplicate message of the same task
    assert lane_renew(lease=lease)
    lane_release(lease=lease)
    assert not lane_renew(lease=lease)
    assert lane_claim(task_id=first["id"]) is not None


def test_an_expired_lease_is_claimed_again(owner_client):
    task = submit(owner_client, 1)
    dead = lane_claim(task_id=task["id"])
    Lane.objects.update(lease_until=timezone.now() - timedelta(seconds=1))  # its worker died
    again = lane_claim(task_id=task["id"])
    assert again is not None and again.token != dead.token
    assert not lane_renew(lease=dead)  # the dead run cannot take it back


def test_wake_is_rationed_while_the_lane_is_free(owner_client):
    head = submit(owner_client, 1)
    submit(owner_client, 2)
    assert str(lane_wake_head(lane="sequential")) == head["id"]
    assert lane_wake_head(lane="sequential") is None  # woken a moment ago
    assert str(lane_wake_head(lane="sequential", force=True)) == head["id"]


def test_a_step_runs_the_head_and_wakes_the_next(owner_client):
    first, second = submit(owner_client, num=7), submit(owner_client, num=8)
    waiting = sequential_step(task_id=second["id"])
    assert waiting.again_in_ms == 2 * 2000  # SEQUENTIAL_POLL_SECONDS x its position

    done = sequential_step(task_id=first["id"])
    assert str(done.wake) == second["id"] and done.again_in_ms is None
    row = Task.objects.get(id=first["id"])
    assert (row.status, row.result) == ("succeeded", {"num": 7})
    assert Lane.objects.get().lease_token is None

    assert sequential_step(task_id=first["id"]).again_in_ms is None  # finished: the message ends


def test_admin_shows_who_holds_the_lane(owner_client, admin_client):
    task = submit(owner_client, 1)
    lane_claim(task_id=task["id"])
    page = admin_client.get("/admin/tasks_api/lane/")
    assert page.status_code == 200
    assert task["id"] in page.content.decode()
    assert admin_client.get("/admin/tasks_api/lane/add/").status_code == 403


@pytest.mark.django_db(transaction=True)
def test_numbers_stay_unique_and_gapless_when_submitted_at_once(owner):
    """Many requests at the same moment, each in its own transaction and connection."""

    def create(num: int) -> None:
        try:
            task_create(owner=owner, kind="sequential", params={"num": num, "timeout": 0})
        finally:
            connection.close()

    with ThreadPoolExecutor(8) as pool:
        list(pool.map(create, range(24)))
    numbers = sorted(Task.objects.values_list("number", flat=True))
    assert numbers == list(range(1, 25))


def test_waiting_tasks_far_back_poll_less_often(owner_client, settings):
    settings.SEQUENTIAL_POLL_SECONDS = 0.5
    tasks = [submit(owner_client, num=n) for n in range(40)]
    polls = [sequential_step(task_id=t["id"]).again_in_ms for t in tasks[1:]]
    assert polls[:3] == [1000, 1500, 2000]
    assert polls[-1] == 15_000  # capped at 30 positions


def test_the_scheduled_wake_restarts_a_lane_whose_messages_were_all_lost(owner_client):
    head, _ = submit(owner_client, 1), submit(owner_client, 2)
    # Nothing runs and no message is left anywhere: only the schedule can start the lane.
    assert str(sequential_wake()) == head["id"]
    assert sequential_wake() is None  # not again within a lease, whatever the schedule says
    Lane.objects.update(kicked_at=timezone.now() - timedelta(minutes=5))
    assert str(sequential_wake()) == head["id"]
    lane_claim(task_id=head["id"])
    Lane.objects.update(kicked_at=None)
    assert sequential_wake() is None  # the lane is held: its holder wakes the next


def test_cancelling_the_waiting_head_wakes_the_next_at_once(
    owner_client, monkeypatch, django_capture_on_commit_callbacks
):
    sent = []  # the broker's side: which task gets a message
    monkeypatch.setattr(sequential, "send_actor", lambda actor, task_id: sent.append((actor, task_id)))
    head, second = submit(owner_client, 1), submit(owner_client, 2)
    with django_capture_on_commit_callbacks(execute=True):
        assert owner_client.post(f"{TASKS}{head['id']}/cancel/").status_code == 200
    assert sent == [("sequential_task", second["id"])]


def test_cancelling_behind_a_running_task_wakes_nobody(
    owner_client, monkeypatch, django_capture_on_commit_callbacks
):
    sent = []
    monkeypatch.setattr(sequential, "send_actor", lambda actor, task_id: sent.append((actor, task_id)))
    running, waiting = submit(owner_client, 1), submit(owner_client, 2)
    submit(owner_client, 3)
    assert lane_claim(task_id=running["id"]) is not None
    with django_capture_on_commit_callbacks(execute=True):
        assert owner_client.post(f"{TASKS}{waiting['id']}/cancel/").status_code == 200
    assert sent == []  # the running task wakes its successor when it finishes
