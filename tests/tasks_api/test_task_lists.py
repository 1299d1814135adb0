"""Task and image lists: a stable order across pages, and a query count that does not grow."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from images.models import Image
from tasks_api.models import Task
from tasks_api.services import task_create

pytestmark = pytest.mark.django_db

TASKS = "/api/tasks/"
QUEUE = "/api/tasks/queue/"
SAME_TIME = datetime(2026, 1, 1, tzinfo=UTC)


def queries_of(client, url: str) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


def add_sequential(owner, count: int) -> None:
    for n in range(count):
        task_create(owner=owner, kind="sequential", params={"num": n, "timeout": 0})


@pytest.mark.parametrize("url", [TASKS, QUEUE])
def test_the_query_count_is_the_same_for_1_and_20_sequential_tasks(
    owner_client, owner, other_user, url, django_assert_num_queries
):
    add_sequential(other_user, 2)  # ahead in the lane: positions count everyone's tasks
    add_sequential(owner, 1)
    one = queries_of(owner_client, url)
    add_sequential(owner, 19)
    with django_assert_num_queries(one):
        results = owner_client.get(url).json()["results"]
    assert len(results) == 20


def test_the_task_list_gives_lane_positions_over_everyone_and_none_elsewhere(owner_client, owner, other_user):
    add_sequential(owner, 1)
    add_sequential(other_user, 1)
    add_sequential(owner, 1)
    task_create(owner=owner, kind="sleep", params={"seconds": 1})
    Task.objects.filter(kind="sequential", number=1).update(status="succeeded")
    results = owner_client.get(TASKS).json()["results"]
    # Newest first: the sleep, the second sequential (behind the other user's), the finished one.
    assert [(t["kind"], t["position"]) for t in results] == [
        ("sleep", None),
        ("sequential", 2),
        ("sequential", None),
    ]
    assert [t["position"] for t in results] == [
        owner_client.get(f"{TASKS}{t['id']}/").json()["position"] for t in results
    ]


def all_pages(client, url: str) -> list[str]:
    ids, page = [], url
    while page:
        body = client.get(page).json()
        ids.extend(item["id"] for item in body["results"])
        page = body["next"]
    return ids


def test_tasks_with_equal_timestamps_page_without_repeats_or_gaps(owner_client, owner):
    for _ in range(45):
        task_create(owner=owner, kind="sleep", params={"seconds": 1})
    Task.objects.update(created_at=SAME_TIME)
    ids = all_pages(owner_client, TASKS)
    assert ids == sorted(map(str, Task.objects.values_list("id", flat=True)), reverse=True)


def test_images_with_equal_timestamps_page_without_repeats_or_gaps(owner_client, owner):
    Image.objects.bulk_create(
        Image(owner=owner, name=f"img{n}", file=f"images/{n}.jpg", width=1, height=1, size=1, format="JPEG")
        for n in range(45)
    )
    Image.objects.update(uploaded_at=SAME_TIME)
    ids = all_pages(owner_client, "/api/images/")
    assert ids == sorted(map(str, Image.objects.values_list("id", flat=True)), reverse=True)
