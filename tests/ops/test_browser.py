"""The /ops/ dashboard in a real browser (Playwright driving Debian's Chromium)."""

from __future__ import annotations

import pytest
from django.utils import timezone

from tasks_api.models import Task, TaskStatus
from tests.codecheck.test_browser import CHROMIUM, browser, shot  # noqa: F401  (the fixture)
from tests.helpers import PASSWORD

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
