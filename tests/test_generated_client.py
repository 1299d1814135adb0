"""A Python client generated from the served schema drives every capability.

openapi-python-client reads /api/schema/ from a live server, as a client's author would,
and must not warn about any part of it; the generated package is imported and used as is
against the live server and a real worker: register, log in, run a sleep to its result,
upload an image and download its renditions, upload a code file and get its check.
"""

from __future__ import annotations

import importlib
import io
import sys
from pathlib import Path
from types import ModuleType

import pytest
from openapi_python_client import generate
from openapi_python_client.config import Config, ConfigFile, MetaType

from images.storage import image_files_delete
from tests.codecheck.sources import DIRTY
from tests.helpers import PASSWORD, wait_for
from tests.images.conftest import make_image

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

PACKAGE = "workhorse_generated_client"


@pytest.fixture
def client_package(live_server, tmp_path, monkeypatch) -> ModuleType:
    """The client generated from the live server's schema, importable as PACKAGE."""
    config = Config.from_sources(
        ConfigFile(package_name_override=PACKAGE, post_hooks=[]),  # no formatter run: only imported
        MetaType.NONE,
        f"{live_server.url}/api/schema/",
        "utf-8",
        overwrite=True,
        output_path=tmp_path / PACKAGE,
    )
    problems = generate(config=config)
    assert not problems, "\n".join(f"{p.level}: {p.header}\n{p.detail}" for p in problems)
    monkeypatch.syspath_prepend(str(tmp_path))
    yield importlib.import_module(PACKAGE)
    for name in [name for name in sys.modules if name.split(".")[0] == PACKAGE]:
        del sys.modules[name]


def operation(package: ModuleType, tag: str, operation_id: str) -> ModuleType:
    return importlib.import_module(f"{package.__name__}.api.{tag}.{operation_id}")


def test_a_generated_client_drives_every_capability(client_package, live_server, worker, smtp):
    api = client_package
    models = importlib.import_module(f"{PACKAGE}.models")
    types = importlib.import_module(f"{PACKAGE}.types")
    anonymous = api.Client(base_url=live_server.url, raise_on_unexpected_status=True)

    registered = operation(api, "auth", "auth_register_create").sync_detailed(
        client=anonymous, body=models.RegisterRequest(email="client@example.com", password=PASSWORD)
    )
    assert registered.status_code == 201 and registered.parsed.email == "client@example.com"
    tokens = operation(api, "auth", "auth_token_create").sync(
        client=anonymous, body=models.TokenObtainPairRequest(email="client@example.com", password=PASSWORD)
    )
    assert isinstance(tokens, models.TokenPair)
    refreshed = operation(api, "auth", "auth_token_refresh_create").sync(
        client=anonymous, body=models.TokenRefreshRequest(refresh=tokens.refresh)
    )
    client = api.AuthenticatedClient(
        base_url=live_server.url, token=refreshed.access, raise_on_unexpected_status=True
    )
    assert operation(api, "auth", "auth_me_retrieve").sync(client=client).id == registered.parsed.id

    # A sleep, from submission to its result.
    submitted = operation(api, "tasks", "tasks_create").sync_detailed(
        client=client,
        body=models.SleepTaskSubmitRequest(
            kind=models.SleepTaskSubmitKindEnum.SLEEP, params=models.SleepParamsRequest(seconds=1)
        ),
    )
    assert submitted.status_code == 202
    retrieve_task = operation(api, "tasks", "tasks_retrieve")
    task = wait_for(
        lambda: (
            (t := retrieve_task.sync(submitted.parsed.id, client=client)).status.value == "succeeded" and t
        ),
        what="the sleep to succeed",
    )
    assert task.result == {"slept": 1} and task.progress == 100

    # An image: upload, processed by the worker, renditions downloaded, deleted.
    picture = make_image("PNG", (800, 600))
    uploaded = operation(api, "images", "images_create").sync_detailed(
        client=client,
        body=models.ImageUploadRequest(
            file=types.File(payload=io.BytesIO(picture), file_name="harbour.png", mime_type="image/png"),
            name="Harbour",
            tags=["sea", "evening"],
        ),
    )
    assert uploaded.status_code == 201
    image_id = uploaded.parsed.id
    try:
        assert (uploaded.parsed.status.value, sorted(uploaded.parsed.tags)) == (
            "processing",
            ["evening", "sea"],
        )
        retrieve_image = operation(api, "images", "images_retrieve")
        image = wait_for(
            lambda: (i := retrieve_image.sync(image_id, client=client)).status.value == "ready" and i,
            what="the image to be processed",
        )
        download = operation(api, "images", "images_file_retrieve")
        assert download.sync(image_id, client=client).payload.read() == picture
        for rendition in image.renditions:
            name = models.ImagesFileRetrieveRendition(rendition.name)
            body = download.sync(image_id, client=client, rendition=name).payload.read()
            assert len(body) == rendition.size
        changed = operation(api, "images", "images_partial_update").sync(
            image_id, client=client, body=models.PatchedImageChangeRequest(name="Harbour at dusk")
        )
        assert changed.name == "Harbour at dusk"
        assert (
            operation(api, "images", "images_destroy").sync_detailed(image_id, client=client).status_code
            == 204
        )
    finally:
        image_files_delete(image_id=image_id)

    # A code file: upload, check now (the worker runs flake8 and mails the report), read the check.
    code_file = operation(api, "codecheck", "codecheck_files_create").sync(
        client=client,
        body=models.CodeFileUploadRequest(
            file=types.File(
                payload=io.BytesIO(DIRTY.encode()), file_name="example.py", mime_type="text/x-python"
            )
        ),
    )
    assert code_file.status.value == "new"
    check_now = operation(api, "codecheck", "codecheck_files_check_create")
    assert check_now.sync_detailed(code_file.id, client=client).status_code == 202
    list_checks = operation(api, "codecheck", "codecheck_checks_list")
    [check] = wait_for(
        lambda: [c for c in list_checks.sync(client=client, file=code_file.id).results if c.email_sent],
        what="the check and its report mail",
    )
    assert (check.result.value, check.issue_count) == ("failed", len(check.issues))
    source = operation(api, "codecheck", "codecheck_files_source_retrieve").sync(code_file.id, client=client)
    assert source == DIRTY


def test_every_operation_of_the_schema_is_a_function_of_the_client(client_package, anon_client):
    schema = anon_client.get("/api/schema/", HTTP_ACCEPT="application/json").json()
    operation_ids = {
        operation["operationId"] for methods in schema["paths"].values() for operation in methods.values()
    }
    api_dir = Path(client_package.__file__).parent / "api"
    assert {path.stem for path in api_dir.rglob("*.py") if path.stem != "__init__"} == operation_ids
