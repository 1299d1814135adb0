"""The site in a real browser: Playwright driving Debian's Chromium against `live_server`.

Sweeps and their check tasks (with the mails) run in-process here (the e2e tests prove the
worker path), except in the live-page test, which runs the site under uvicorn with real
workers. A screenshot of each page goes to test-artifacts/ (or $TEST_ARTIFACTS).
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from codecheck.services import codecheck_sweep
from tests.codecheck.sources import CLEAN, DIRTY, sweep_and_check
from tests.conftest import ARTIFACTS
from tests.helpers import PASSWORD

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--headless",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]

pytestmark = [
    pytest.mark.skipif(not CHROMIUM.exists(), reason="browser tests need Chromium at /usr/bin/chromium"),
    pytest.mark.django_db(transaction=True),
]


@pytest.fixture
def browser(monkeypatch):
    sync_api = pytest.importorskip("playwright.sync_api")
    # Playwright's sync API keeps an event loop running in this thread; the ORM calls this
    # test makes between page actions are plain synchronous code all the same.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    with sync_api.sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


def shot(page, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"codecheck-{name}.png"), full_page=True)


def badge(page, file_name: str) -> str:
    return page.locator("#files tr", has_text=file_name).locator("[data-status]").inner_text()


def log_in(page, base: str, email: str) -> None:
    page.goto(f"{base}/accounts/login/")
    page.fill("#id_username", email)
    page.fill("#id_password", PASSWORD)
    page.click("form:not(.d-flex) button[type=submit]")


def still_this_page(page) -> bool:
    """True while the page was not reloaded since `mark_page` (a reload drops the mark)."""
    return page.evaluate("window.liveTestMark === true")


def mark_page(page) -> None:
    page.evaluate("window.liveTestMark = true")


@pytest.mark.e2e
def test_pending_checks_update_in_place_when_a_worker_runs_them(
    browser, site_server, start_worker, without_session_worker, make_user, tmp_path
):
    expect = pytest.importorskip("playwright.sync_api").expect
    make_user("live@example.com")
    source = tmp_path / "live.py"
    source.write_text(DIRTY)
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    log_in(page, site_server, "live@example.com")
    page.wait_for_url(f"{site_server}/files/")
    page.set_input_files("#upload-file", str(source))
    page.click("button:has-text('Upload')")
    row = page.locator("#files tr", has_text="live.py")
    expect(row.locator("[data-status]")).to_have_text("new")
    expect(row).to_contain_text("waiting for the sweep")
    mark_page(page)

    # No worker runs yet: the sweep's task stays queued, and the page (which polls while a
    # file waits for its sweep) shows it and follows its event stream.
    assert codecheck_sweep() == 1
    expect(row.locator("[data-task-events]")).to_have_text("check queued", timeout=30_000)
    shot(page, "files-live-queued")
    worker = start_worker()
    expect(row.locator("[data-status]")).to_have_text("checked", timeout=30_000)
    expect(row.locator("[data-result]")).to_have_text("failed · 3 issues")
    assert row.locator("[data-task-events]").count() == 0
    assert still_this_page(page), "the page updated itself, it was not reloaded"

    # "Check now" on the file's page, with the worker stopped again: queued, then done.
    worker.stop()
    row.locator("text=live.py").click()
    page.click("text=Check now")
    expect(page.locator(".alert")).to_contain_text("A check of live.py is on its way.")
    expect(page.locator("#file-header [data-task-events]")).to_have_text("check queued")
    assert page.locator(".check").count() == 1
    mark_page(page)
    start_worker()
    expect(page.locator(".check")).to_have_count(2, timeout=30_000)
    expect(page.locator("#file-header [data-task-events]")).to_have_count(0)
    expect(page.locator(".check").first.locator("[data-result]")).to_have_text("failed · 3 issues")
    assert still_this_page(page)
    shot(page, "file-detail-live-done")


def test_a_new_user_checks_a_file_end_to_end(browser, live_server, smtp, tmp_path):
    dirty = tmp_path / "style.py"
    dirty.write_text(DIRTY)
    clean = tmp_path / "style_fixed.py"
    clean.write_text(CLEAN)
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    page.on("dialog", lambda dialog: dialog.accept())
    url = live_server.url

    page.goto(f"{url}/accounts/register/")
    page.fill("#id_email", "newcomer@example.com")
    page.fill("#id_password", PASSWORD)
    page.fill("#id_password_confirmation", PASSWORD + "typo")
    page.click("button[type=submit]")
    assert "The two passwords differ." in page.inner_text("form")
    page.fill("#id_password", PASSWORD)
    page.fill("#id_password_confirmation", PASSWORD)
    shot(page, "register")
    page.click("button[type=submit]")
    page.wait_for_url(f"{url}/files/")
    assert "Welcome, newcomer@example.com." in page.inner_text(".alert")

    page.click("text=Log out")
    page.wait_for_url(re.compile(r".*/accounts/login/$"))
    assert "You are logged out." in page.inner_text(".alert")
    page.fill("#id_username", "newcomer@example.com")
    page.fill("#id_password", PASSWORD)
    shot(page, "login")
    page.click("form:not(.d-flex) button[type=submit]")
    page.wait_for_url(f"{url}/files/")

    page.set_input_files("#upload-file", str(dirty))
    page.click("button:has-text('Upload')")
    assert "Uploaded style.py" in page.inner_text(".alert")
    assert badge(page, "style.py") == "new"
    shot(page, "files-new")

    sweep_and_check()
    page.reload()
    assert badge(page, "style.py") == "checked"
    page.click("#files >> text=style.py")
    issues = page.locator("table.issues tbody tr")
    assert issues.count() == 3
    assert issues.first.inner_text().split("\t") == ["1", "1", "F401", "'os' imported but unused"]
    shot(page, "file-detail-failed")

    page.set_input_files("#overwrite-file", str(clean))
    page.click("#overwrite button[type=submit] >> text=Overwrite")
    assert "Overwrote with style_fixed.py (version 2)" in page.inner_text(".alert")
    assert page.inner_text("[data-status]") == "updated"
    sweep_and_check()
    page.reload()
    assert page.locator(".check").first.locator("[data-result]").inner_text() == "passed"
    shot(page, "file-detail-passed")
    assert [m["Subject"] for m in smtp.messages] == [
        "Code check failed with 3 issue(s): style.py",
        "Code check passed: style_fixed.py",
    ]

    page.click("text=Reports")
    rows = page.locator("#reports tbody tr")
    assert rows.count() == 2
    assert page.locator('#reports [data-email="sent"]').count() == 2
    shot(page, "reports")

    page.click("text=Files")
    page.locator("#files tr", has_text="style_fixed.py").locator("text=Delete").click()
    assert "Deleted style_fixed.py" in page.inner_text(".alert")
    assert badge(page, "style_fixed.py") == "deleted"
    shot(page, "files-deleted")

    phone = browser.new_page(viewport={"width": 375, "height": 740}, is_mobile=True)
    phone.goto(f"{url}/accounts/login/")
    phone.fill("#id_username", "newcomer@example.com")
    phone.fill("#id_password", PASSWORD)
    phone.click("form:not(.d-flex) button[type=submit]")
    phone.wait_for_url(f"{url}/files/")
    assert phone.evaluate("document.documentElement.scrollWidth") <= 375  # no sideways scrolling
    shot(phone, "files-phone")
