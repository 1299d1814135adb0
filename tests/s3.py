"""A real S3 HTTP API for the tests: moto's server mode, in a process of its own.

The session starts one server on a free loopback port; each test that asks for `s3_bucket`
gets a fresh bucket in it, with this process's default storage pointed there and the
environment a worker process needs to use it too (S3_BUCKET and the rest, as deployed).
"""

from __future__ import annotations

import subprocess
import sys
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import boto3
import pytest
import requests

from tests.helpers import wait_for

ACCESS_KEY, SECRET_KEY, REGION = "testing-access-key", "testing-secret-key", "us-east-1"


class S3Server:
    """`python -m moto.server` on loopback; its log goes to `log_path`."""

    def __init__(self, *, port: int, log_path: Path) -> None:
        log_path.parent.mkdir(parents=True, exist_ok=True)
        self.url = f"http://127.0.0.1:{port}"
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
            stdout=log_path.open("w"),
            stderr=subprocess.STDOUT,
        )
        wait_for(self._answers, timeout=60, what="the S3 server to answer")
        if self.proc.poll() is not None:
            raise RuntimeError(f"the S3 server exited early:\n{log_path.read_text()}")

    def _answers(self) -> bool:
        try:
            return requests.get(self.url, timeout=1).status_code < 500
        except requests.ConnectionError:
            return self.proc.poll() is not None

    def client(self):
        return boto3.client(
            "s3",
            endpoint_url=self.url,
            aws_access_key_id=ACCESS_KEY,
            aws_secret_access_key=SECRET_KEY,
            region_name=REGION,
        )

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(timeout=30)


@dataclass
class Bucket:
    name: str
    server: S3Server

    @property
    def env(self) -> dict[str, str]:
        """What a process started from the tests needs to keep its files here."""
        return {
            "S3_BUCKET": self.name,
            "S3_ENDPOINT_URL": self.server.url,
            "AWS_ACCESS_KEY_ID": ACCESS_KEY,
            "AWS_SECRET_ACCESS_KEY": SECRET_KEY,
        }

    def storage_settings(self, *, endpoint_url: str | None = None) -> dict:
        """STORAGES["default"] as src/core/settings.py makes it from `env`."""
        return {
            "BACKEND": "core.storage.BucketStorage",
            "OPTIONS": {
                "bucket_name": self.name,
                "endpoint_url": endpoint_url or self.server.url,
                "region_name": REGION,
                "access_key": ACCESS_KEY,
                "secret_key": SECRET_KEY,
                "addressing_style": "path",
                "signature_version": "s3v4",
                "default_acl": None,
            },
        }

    def object_keys(self, prefix: str = "") -> list[str]:
        pages = (
            self.server.client().get_paginator("list_objects_v2").paginate(Bucket=self.name, Prefix=prefix)
        )
        return sorted(entry["Key"] for page in pages for entry in page.get("Contents", ()))

    def read(self, key: str) -> bytes:
        return self.server.client().get_object(Bucket=self.name, Key=key)["Body"].read()

    def write(self, key: str, content: bytes) -> None:
        self.server.client().put_object(Bucket=self.name, Key=key, Body=content)

    def delete(self, key: str) -> None:
        self.server.client().delete_object(Bucket=self.name, Key=key)


@pytest.fixture(scope="session")
def s3_server() -> Iterator[S3Server]:
    from tests.conftest import ARTIFACTS, free_port

    server = S3Server(port=free_port(), log_path=ARTIFACTS / "s3-server.log")
    yield server
    server.stop()


@pytest.fixture
def s3_bucket(s3_server: S3Server, settings, tmp_path) -> Iterator[Bucket]:
    """A new, empty bucket; this process's default storage writes there and MEDIA_ROOT is a
    directory of the test's own, so a test can show nothing was written to it."""
    bucket = Bucket(name=f"test-{uuid.uuid4().hex[:12]}", server=s3_server)
    client = s3_server.client()
    client.create_bucket(Bucket=bucket.name)
    settings.STORAGES = {**settings.STORAGES, "default": bucket.storage_settings()}
    settings.MEDIA_ROOT = tmp_path / "media"
    yield bucket
    for key in bucket.object_keys():
        client.delete_object(Bucket=bucket.name, Key=key)
    client.delete_bucket(Bucket=bucket.name)
