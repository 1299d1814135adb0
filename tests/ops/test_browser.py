"""The /ops/ dashboard in a real browser (Playwright driving Debian's Chromium)."""

from __future__ import annotations

import pytest
from django.utils import timezone

from tasks_api.models import Task, TaskStatus
from tasks_api.services import task_cancel, task_create
from tests.codecheck.test_browser import CHROMIUM, browser, mark_page, shot, still_this_page  # noqa: F401  (the fixture)
from tests.helpers import PASSWORD
from tests.ops.test_site import failed_task

pytestmark = [
    pytest.mark.skipif(not CHROMIUM.exists(), reason="browser tests need Chromium at /usr/bin/chromium"),
    pytest.mark.django_db(transaction=True),
]


def test_staff_logs_in_sees_a_failure_and_retries_all_of_its_kind(browser, live_server, make_user, owner):  # noqa: F811
    make_user("ops@example.com", is_staff=True)
    failures = [
        Task.objects.create(
            owner=owner,
            kind="sleep",
            params={"seconds": 1},
            status=TaskStatus.FAILED,
            error="Internal error: OSError: disk full",
            traceback="Traceback (most recent call last):\nOSError: disk full",
            finished_at=timezone.now(),
        )
        for _ in range(2)
    ]
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    # The live server (WSGI) would hold a thread on the endless stream: it is refused here, so
    # the page falls back to fetching itself every 5 s (shown at the end).
    page.route("**/api/ops/events/", lambda route: route.abort())
    page.goto(f"{live_server.url}/ops/")
    assert "for staff" in page.inner_text("main")
    page.click("text=Log in")
    page.fill("#id_username", "ops@example.com")
    page.fill("#id_password", PASSWORD)
    page.click("input[type=submit]")
    page.wait_for_url(f"{live_server.url}/ops/")
    row = page.locator(f'#failures tr[data-task="{failures[0].id}"]')
    assert "OSError: disk full" in row.inner_text()
    row.locator("summary").click()
    assert row.locator("pre").is_visible()
    assert page.locator('#schedules tr[data-job="codecheck_sweep"]').count() == 1
    shot(page, "ops-dashboard")
    page.locator('#activity tr[data-kind="sleep"]').locator("text=Retry all failed").click()
    assert "Queued again 2 failed sleep task(s)." in page.inner_text(".alert")
    assert "No failed task." in page.inner_text("#failures")
    assert set(Task.objects.values_list("status", flat=True)) == {TaskStatus.QUEUED}

    mark_page(page)
    later = failed_task(owner)
    expect = pytest.importorskip("playwright.sync_api").expect
    expect(page.locator(f'#failures tr[data-task="{later.id}"]')).to_have_count(1, timeout=30_000)
    assert still_this_page(page), "without its stream the dashboard polled, it was not reloaded"


def staff_logs_in(page, base: str) -> None:
    page.goto(f"{base}/ops/")
    page.click("text=Log in")
    page.fill("#id_username", "ops@example.com")
    page.fill("#id_password", PASSWORD)
    page.click("input[type=submit]")
    page.wait_for_url(f"{base}/ops/")


@pytest.mark.e2e
def test_the_dashboard_updates_itself_as_tasks_run_fail_and_stop(
    browser,  # noqa: F811  (the fixture imported above)
    site_server,
    worker,
    make_user,
    owner,
):
    expect = pytest.importorskip("playwright.sync_api").expect
    make_user("ops@example.com", is_staff=True)
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    streams = []
    page.on(
        "request", lambda request: streams.append(request.url) if "/api/ops/events/" in request.url else None
    )
    staff_logs_in(page, site_server)
    expect(page.locator("#running")).to_contain_text("Nothing runs now.")
    expect(page.locator("#failures")).to_contain_text("No failed task.")
    # The updates below must come from the stream: a poll, were one still due, waits ten minutes.
    page.evaluate("document.querySelector('[data-live-poll]').dataset.livePoll = '600'")
    mark_page(page)

    failed = failed_task(owner)
    failure = page.locator(f'#failures tr[data-task="{failed.id}"]')
    expect(failure).to_contain_text("ZeroDivisionError", timeout=30_000)
    expect(page.locator('#activity tr[data-kind="sleep"] [data-failed]')).to_have_text("1")
    failure.locator("summary").click()

    running, _ = task_create(owner=owner, kind="sleep", params={"seconds": 600})
    row = page.locator(f'#running tr[data-task="{running.id}"]')
    expect(row).to_contain_text("slept", timeout=30_000)  # the worker runs it and says so
    expect(failure.locator("pre")).to_be_visible()  # an open traceback stays open across updates
    task_cancel(task=running)
    expect(row).to_have_count(0, timeout=30_000)
    expect(page.locator("#running")).to_contain_text("Nothing runs now.")
    assert still_this_page(page), "the dashboard updated itself, it was not reloaded"
    assert streams == [f"{site_server}/api/ops/events/"], "one stream, kept open across the updates"
    styled = page.evaluate("getComputedStyle(document.querySelector('.navbar')).display")
    assert styled == "flex", "Bootstrap's stylesheet loads (it lays the navbar out)"
    shot(page, "ops-dashboard-live")
    page.close()  # ends its stream, so the server stops at once
