"""The code-check API: uploads, overwrites, deletes, "check now", source and reports."""

from __future__ import annotations

import pytest
from rest_framework.pagination import PageNumberPagination

from codecheck.models import Check, CodeFile
from tasks_api.models import Task
from tests.codecheck.sources import CLEAN, DIRTY, py_upload, run_checks
from tests.codecheck.sources import sweep_and_check as codecheck_sweep

pytestmark = pytest.mark.django_db

FILES = "/api/codecheck/files/"
CHECKS = "/api/codecheck/checks/"


def upload(client, content=DIRTY, name="example.py"):
    return client.post(FILES, {"file": py_upload(content, name)}, format="multipart")


def test_upload_creates_a_new_file(owner_client, owner):
    response = upload(owner_client)
    assert response.json()["uploaded_at"] == response.json()["updated_at"]
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["status"] == "new"
    assert body["name"] == "example.py"
    assert body["size"] == len(DIRTY.encode())
    assert body["last_check"] is None
    assert set(body) >= {"id", "name", "status", "size", "uploaded_at", "updated_at", "last_check"}
    row = CodeFile.objects.get(id=body["id"])
    assert row.owner == owner and row.content == DIRTY


def test_list_and_retrieve_show_the_last_check(owner_client):
    file_id = upload(owner_client).json()["id"]
    upload(owner_client, CLEAN, "clean.py")
    assert codecheck_sweep() == 2
    listed = owner_client.get(FILES).json()
    assert listed["count"] == 2
    assert {f["status"] for f in listed["results"]} == {"checked"}
    detail = owner_client.get(f"{FILES}{file_id}/").json()
    assert detail["last_check"]["result"] == "failed"
    assert detail["last_check"]["issue_count"] == 3
    assert owner_client.get(FILES, {"status": "new"}).json()["count"] == 0


@pytest.mark.parametrize(
    ("content", "name", "message"),
    [
        (DIRTY, "example.txt", "Only Python source files (.py) are accepted."),
        (DIRTY, ".py", "Only Python source files (.py) are accepted."),
        (b"x = '\xff\xfe'\n", "latin.py", "The file is not UTF-8 text."),
        (b"x = 1\x00\n", "nul.py", "The file contains NUL bytes, so it is not Python source text."),
        ("x = 1\n" * 20, "big.py", "The file is larger than the limit of 100 bytes."),
    ],
    ids=["not-py", "bare-extension", "not-utf8", "nul-bytes", "too-big"],
)
def test_bad_uploads_are_400_and_store_nothing(owner_client, settings, content, name, message):
    settings.CODECHECK_MAX_BYTES = 100
    response = upload(owner_client, content, name)
    assert response.status_code == 400
    assert response.json() == {"file": [message]}
    assert not CodeFile.objects.exists()


def test_empty_and_missing_file_are_400(owner_client):
    empty = owner_client.post(FILES, {"file": py_upload(b"")}, format="multipart")
    assert empty.status_code == 400
    assert "empty" in empty.json()["file"][0]
    missing = owner_client.post(FILES, {}, format="multipart")
    assert missing.status_code == 400
    assert missing.json() == {"file": ["No file was submitted."]}
    as_json = owner_client.post(FILES, {"file": "x = 1"}, format="json")
    assert as_json.status_code == 415
    assert not CodeFile.objects.exists()


def test_overwrite_makes_the_file_updated_with_a_new_version(owner_client):
    file_id = upload(owner_client).json()["id"]
    codecheck_sweep()
    response = owner_client.put(
        f"{FILES}{file_id}/", {"file": py_upload(CLEAN, "renamed.py")}, format="multipart"
    )
    assert response.status_code == 200, response.json()
    body = response.json()
    assert (body["status"], body["version"], body["name"]) == ("updated", 2, "renamed.py")
    assert CodeFile.objects.get(id=file_id).content == CLEAN
    bad = owner_client.put(f"{FILES}{file_id}/", {"file": py_upload(b"\xff", "x.py")}, format="multipart")
    assert bad.status_code == 400
    assert CodeFile.objects.get(id=file_id).content == CLEAN
    assert owner_client.patch(f"{FILES}{file_id}/", {}, format="multipart").status_code == 405


def test_delete_keeps_the_row_as_deleted_and_it_is_never_checked(owner_client):
    uploaded = upload(owner_client).json()
    file_id = uploaded["id"]
    assert owner_client.delete(f"{FILES}{file_id}/").status_code == 204
    shown = owner_client.get(f"{FILES}{file_id}/")
    assert shown.status_code == 200
    assert shown.json()["status"] == "deleted"
    assert shown.json()["updated_at"] > uploaded["updated_at"], "the delete is the file's latest change"
    row = CodeFile.objects.get(id=file_id)
    assert row.content == ""
    assert codecheck_sweep() == 0
    assert not Check.objects.exists()
    for response in (
        owner_client.post(f"{FILES}{file_id}/check/"),
        owner_client.put(f"{FILES}{file_id}/", {"file": py_upload()}, format="multipart"),
        owner_client.get(f"{FILES}{file_id}/source/"),
    ):
        assert response.status_code == 409
        assert response.json() == {"detail": "The file was deleted."}
    assert owner_client.delete(f"{FILES}{file_id}/").status_code == 204


def test_check_now_is_202_with_the_task_and_queues_a_recheck_of_a_checked_file(
    owner_client, django_capture_on_commit_callbacks
):
    file_id = upload(owner_client).json()["id"]
    codecheck_sweep()
    with django_capture_on_commit_callbacks() as callbacks:
        response = owner_client.post(f"{FILES}{file_id}/check/")
    assert response.status_code == 202
    task = response.json()
    assert (task["kind"], task["status"], task["params"]) == (
        "code_check",
        "queued",
        {"file_id": file_id, "version": 1},
    )
    assert response["Location"] == f"/api/tasks/{task['id']}/"
    assert len(callbacks) == 1  # the message to the check task's actor, sent after commit
    assert owner_client.post(f"{FILES}{file_id}/check/").json()["id"] == task["id"]  # not yet run: the same
    assert run_checks() == 1
    assert Check.objects.filter(file_id=file_id).count() == 2
    followed = owner_client.get(response["Location"]).json()
    assert (followed["status"], followed["result"]["check_id"]) == (
        "succeeded",
        Check.objects.filter(file_id=file_id).latest("id").id,
    )
    assert Task.objects.filter(kind="code_check").count() == 2


def test_source_download(owner_client):
    file_id = upload(owner_client).json()["id"]
    response = owner_client.get(f"{FILES}{file_id}/source/")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/x-python")
    assert 'filename="example.py"' in response["Content-Disposition"]
    assert response.content == DIRTY.encode()


@pytest.mark.parametrize(
    ("name", "disposition"),
    [
        ('say "hi".py', 'attachment; filename="say \\"hi\\".py"'),
        ("café.py", "attachment; filename*=utf-8''caf%C3%A9.py"),
    ],
)
def test_source_download_names_any_file_name_in_a_valid_header(owner_client, name, disposition):
    file_id = upload(owner_client, CLEAN, name).json()["id"]
    response = owner_client.get(f"{FILES}{file_id}/source/")
    assert response["Content-Disposition"] == disposition


def test_checks_report_with_issues_and_file_filter(owner_client):
    first = upload(owner_client).json()["id"]
    second = upload(owner_client, CLEAN, "clean.py").json()["id"]
    codecheck_sweep()
    report = owner_client.get(CHECKS).json()
    assert report["count"] == 2
    only = owner_client.get(CHECKS, {"file": first}).json()["results"]
    assert [c["file"] for c in only] == [first]
    check = only[0]
    assert check["file_name"] == "example.py"
    assert check["result"] == "failed"
    assert check["issue_count"] == 3 == len(check["issues"])
    assert check["issues"][0] == {
        "line": 1,
        "column": 1,
        "code": "F401",
        "message": "'os' imported but unused",
    }
    assert (check["new_issues"], check["fixed_issues"]) == (3, 0)
    assert check["email_sent"] is True and check["email_sent_at"]  # its task mailed the report
    assert owner_client.get(f"{CHECKS}{check['id']}/").json() == check
    passed = owner_client.get(CHECKS, {"file": second}).json()["results"][0]
    assert (passed["result"], passed["issues"]) == ("passed", [])
    for not_an_id in ("abc", "²", "-1", "1.5", "99999999999999999999"):
        assert owner_client.get(CHECKS, {"file": not_an_id}).status_code == 400, not_an_id


def test_another_users_file_and_checks_are_404(owner_client, other_client):
    file_id = upload(owner_client).json()["id"]
    codecheck_sweep()
    check_id = Check.objects.get().id
    assert other_client.get(f"{FILES}{file_id}/").status_code == 404
    assert (
        other_client.put(f"{FILES}{file_id}/", {"file": py_upload()}, format="multipart").status_code == 404
    )
    assert other_client.delete(f"{FILES}{file_id}/").status_code == 404
    assert other_client.post(f"{FILES}{file_id}/check/").status_code == 404
    assert other_client.get(f"{FILES}{file_id}/source/").status_code == 404
    assert other_client.get(f"{CHECKS}{check_id}/").status_code == 404
    assert other_client.get(FILES).json()["count"] == 0
    assert other_client.get(CHECKS, {"file": file_id}).json()["count"] == 0
    assert CodeFile.objects.get(id=file_id).status == "checked"


def test_anonymous_and_forged_tokens_are_401(anon_client):
    assert anon_client.get(FILES).status_code == 401
    assert anon_client.post(FILES, {"file": py_upload()}, format="multipart").status_code == 401
    assert anon_client.get(CHECKS).status_code == 401
    anon_client.credentials(HTTP_AUTHORIZATION="Bearer forged.token.value")
    assert anon_client.get(FILES).status_code == 401


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("get", "/api/codecheck/files/abc/"),
        ("put", "/api/codecheck/files/abc/"),
        ("delete", "/api/codecheck/files/abc/"),
        ("post", "/api/codecheck/files/abc/check/"),
        ("get", "/api/codecheck/files/abc/source/"),
        ("get", "/api/codecheck/checks/abc/"),
    ],
)
def test_an_id_that_is_not_a_number_is_404(owner_client, method, path):
    assert getattr(owner_client, method)(path).status_code == 404


def test_checks_are_paged_and_each_stores_at_most_the_issue_limit(owner_client, settings, monkeypatch):
    settings.CODECHECK_MAX_ISSUES = 50
    monkeypatch.setattr(PageNumberPagination, "page_size", 2)
    file_id = upload(owner_client, "a=1\n" * 300, "many.py").json()["id"]
    codecheck_sweep()
    for _ in range(2):
        owner_client.post(f"{FILES}{file_id}/check/")
        run_checks()
    first = owner_client.get(CHECKS, {"file": file_id}).json()
    assert first["count"] == 3 and len(first["results"]) == 2 and first["next"]
    assert owner_client.get(first["next"]).json()["results"][0]["version"] == 1
    for check in first["results"]:
        assert (check["issue_count"], len(check["issues"])) == (300, 50)
    assert owner_client.get(FILES).json()["results"][0]["last_check"]["issue_count"] == 300
