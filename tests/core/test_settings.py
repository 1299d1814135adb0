"""Start-up behaviour of the settings module, run as a fresh process each time."""

from __future__ import annotations

import os
import subprocess
import sys

from tests.conftest import ROOT

# What decides between the embedded default and a deployment.
DEPLOYMENT_VARS = ("DATABASE_URL", "RABBITMQ_URL", "REDIS_URL", "EMAIL_URL", "EMAIL_BACKEND", "LOG_FORMAT")


def manage(*args: str, unset: tuple[str, ...] = (), **env: str) -> subprocess.CompletedProcess:
    base = {k: v for k, v in os.environ.items() if k not in {"SECRET_KEY", "DEBUG", *unset}}
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


def setting(name: str, **env: str) -> str:
    """A setting's value in a fresh process with only `env` configured."""
    code = f"from django.conf import settings; print(settings.{name})"
    result = manage("shell", "-v0", "-c", code, unset=DEPLOYMENT_VARS, SECRET_KEY="x" * 50, **env)
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


def test_logs_are_text_on_the_embedded_default_and_json_once_deployed(tmp_path):
    sqlite = f"sqlite:///{tmp_path / 'db.sqlite3'}"
    assert setting("LOG_FORMAT") == "plain"
    assert setting("LOG_FORMAT", DATABASE_URL=sqlite) == "plain"
    assert setting("LOG_FORMAT", DATABASE_URL="postgres://u@127.0.0.1:1/db") == "json"
    assert setting("LOG_FORMAT", RABBITMQ_URL="amqp://guest:guest@127.0.0.1:1/%2F") == "json"
    assert setting("LOG_FORMAT", DATABASE_URL="postgres://u@127.0.0.1:1/db", LOG_FORMAT="plain") == "plain"


def test_an_unknown_log_format_fails_loudly():
    result = manage("check", SECRET_KEY="x" * 50, LOG_FORMAT="xml")
    assert result.returncode != 0
    assert "LOG_FORMAT has a bad value: 'xml'" in result.stderr


def test_the_embedded_default_logs_mails_instead_of_sending_them():
    assert setting("EMAIL_BACKEND") == "core.mail.ConsoleEmailBackend"
    assert (
        setting("EMAIL_BACKEND", EMAIL_URL="smtp://127.0.0.1:1025")
        == "django.core.mail.backends.smtp.EmailBackend"
    )


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
