"""OpenAPI examples for the code-check endpoints: what a client sends and gets back."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiExample

from tasks_api import examples as task_examples

MULTIPART = "multipart/form-data"
UPLOADED = "2026-12-02T09:30:00.120000Z"
CHECKED = "2026-12-02T09:31:00.870000Z"

NEW_FILE = {
    "id": 17,
    "name": "report.py",
    "status": "new",
    "size": 1834,
    "version": 1,
    "uploaded_at": UPLOADED,
    "updated_at": UPLOADED,
    "last_check": None,
}
CHECKED_FILE = {
    **NEW_FILE,
    "status": "checked",
    "last_check": {
        "id": 230,
        "version": 1,
        "finished_at": CHECKED,
        "result": "failed",
        "issue_count": 2,
        "new_issues": 2,
        "fixed_issues": 0,
    },
}
UPDATED_FILE = {**CHECKED_FILE, "status": "updated", "version": 2, "size": 1790, "updated_at": CHECKED}
DELETED_FILE = {**CHECKED_FILE, "status": "deleted", "updated_at": CHECKED}
CHECK = {
    "id": 230,
    "file": 17,
    "file_name": "report.py",
    "version": 1,
    "started_at": "2026-12-02T09:31:00.410000Z",
    "finished_at": CHECKED,
    "result": "failed",
    "issue_count": 2,
    "issues": [
        {"line": 1, "column": 1, "code": "F401", "message": "'os' imported but unused"},
        {"line": 12, "column": 80, "code": "E501", "message": "line too long (97 > 79 characters)"},
    ],
    "new_issues": 2,
    "fixed_issues": 0,
    "email_sent": True,
    "email_sent_at": "2026-12-02T09:31:01.950000Z",
}

BAD_FILE = OpenApiExample(
    "Not Python source",
    value={"file": ["Only Python source files (.py) are accepted."]},
    response_only=True,
    status_codes=[400],
)
WAS_DELETED = OpenApiExample(
    "Deleted", value={"detail": "The file was deleted."}, response_only=True, status_codes=[409]
)

UPLOAD = [
    OpenApiExample("Upload", value={"file": "(report.py's bytes)"}, media_type=MULTIPART, request_only=True),
    OpenApiExample("Uploaded", value=NEW_FILE, response_only=True, status_codes=[201]),
    BAD_FILE,
]

OVERWRITE = [
    OpenApiExample(
        "New version", value={"file": "(report.py's new bytes)"}, media_type=MULTIPART, request_only=True
    ),
    OpenApiExample("Overwritten", value=UPDATED_FILE, response_only=True),
    BAD_FILE,
    WAS_DELETED,
]

FILES = [OpenApiExample("A checked file", value=CHECKED_FILE, response_only=True)]

FILE = [
    OpenApiExample("Checked", value=CHECKED_FILE, response_only=True),
    OpenApiExample("Not checked yet", value=NEW_FILE, response_only=True),
    OpenApiExample("Deleted", value=DELETED_FILE, response_only=True),
]

CHECK_NOW = [
    OpenApiExample(
        "The check's task",
        value={**task_examples.QUEUED, "kind": "code_check", "params": {"file_id": 17, "version": 2}},
        response_only=True,
        status_codes=[202],
    ),
    WAS_DELETED,
]

SOURCE = [
    OpenApiExample(
        "Source", value="import os\n\n\ndef main():\n    print('hello')\n", media_type="text/x-python"
    ),
    WAS_DELETED,
]

CHECKS = [OpenApiExample("A check", value=CHECK, response_only=True)]
