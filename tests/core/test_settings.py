"""Start-up behaviour of the settings module, run as a fresh process each time."""

from __future__ import annotations

import os
import subprocess
import sys

from tests.conftest import ROOT


def manage(*args: str, **env: str) -> subprocess.CompletedProcess:
    base = {k: v for k, v in os.environ.items() if k not in {"SECRET_KEY", "DEBUG"}}
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env={**base, "ENV_FILE": os.devnull, **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_missing_secret_key_outside_debug_is_a_clear_error():
    result = manage("check")
    assert result.returncode != 0
    assert "SECRET_KEY is not set" in result.stderr


def test_debug_runs_without_a_secret_key():
    assert manage("check", DEBUG="1").returncode == 0


def test_check_and_collectstatic_work_with_the_broker_down(tmp_path):
    down = {"SECRET_KEY": "x" * 50, "RABBITMQ_URL": "amqp://guest:guest@127.0.0.1:1/%2F"}
    assert manage("check", **down).returncode == 0
    result = manage("collectstatic", "--noinput", "-v0", STATIC_ROOT=str(tmp_path), **down)
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "admin").is_dir()


def test_bad_setting_value_fails_loudly():
    result = manage("check", SECRET_KEY="x" * 50, TASK_RETENTION_DAYS="thirty")
    assert result.returncode != 0
    assert "ImproperlyConfigured: Environment variable TASK_RETENTION_DAYS has a bad value" in result.stderr


def test_https_deployments_pass_the_deploy_checks():
    secret = {
        "SECRET_KEY": "k" * 20 + "-9a8b7c6d5e4f3g2h1i0j-ZYXWVUTSRQPONMLKJIH",
        "ALLOWED_HOSTS": "example.com",
    }
    result = manage("check", "--deploy", "--fail-level", "WARNING", HTTPS="1", **secret)
    assert result.returncode == 0, result.stderr
    # Without HTTPS=1 the embedded default serves plain HTTP: the same checks name what is off.
    plain = manage("check", "--deploy", "--fail-level", "WARNING", **secret)
    assert plain.returncode != 0
    assert "security.W004" in plain.stderr and "security.W012" in plain.stderr


def test_s3_bucket_settings_put_the_files_in_the_bucket():
    show = "from django.core.files.storage import storages; s = storages['default']; print(type(s).__name__"
    bucket_fields = ", s.bucket_name, s.endpoint_url, s.access_key, s.addressing_style, s.querystring_expire)"
    bucket = {
        "S3_BUCKET": "pictures",
        "S3_ENDPOINT_URL": "http://minio:9000",
        "AWS_ACCESS_KEY_ID": "key-id",
        "AWS_SECRET_ACCESS_KEY": "secret",
        "S3_PRESIGNED_SECONDS": "90",
    }
    result = manage("shell", "-v0", "-c", show + bucket_fields, SECRET_KEY="x" * 50, **bucket)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["BucketStorage", "pictures", "http://minio:9000", "key-id", "path", "90"]
    local = manage("shell", "-v0", "-c", show + ")", SECRET_KEY="x" * 50)
    assert local.returncode == 0, local.stderr
    assert local.stdout.split() == ["FileSystemStorage"]
