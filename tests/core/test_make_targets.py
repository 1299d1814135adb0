"""`make` targets a newcomer runs, run as a script or CI would: no terminal, only the environment."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import yaml

from tests.conftest import ROOT

MAKE = shutil.which("make")
VENV = Path(sys.prefix)  # the venv running these tests: already installed, not reinstalled


def make(target: str, *, path: str | None = None, **env: str) -> subprocess.CompletedProcess:
    base = {k: v for k, v in os.environ.items() if not k.startswith("DJANGO_SUPERUSER_")}
    return subprocess.run(
        # -o: take the install step and .env as made (a test must not reinstall or write .env).
        [MAKE, "--no-print-directory", f"VENV={VENV}", "-o", f"{VENV}/.runtime", "-o", ".env", target],
        cwd=ROOT,
        env={**base, "ENV_FILE": os.devnull, **({"PATH": path} if path else {}), **env},
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=180,
    )


def test_superuser_without_a_terminal_takes_the_account_from_the_environment(tmp_path):
    database = {"DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}"}
    made = make(
        "superuser",
        DJANGO_SUPERUSER_EMAIL="admin@example.com",
        DJANGO_SUPERUSER_PASSWORD="a-Strong-passw0rd!",
        **database,
    )
    assert made.returncode == 0, made.stderr
    check = "from core.models import User; u = User.objects.get(); print(u.email, u.is_superuser, u.check_password('a-Strong-passw0rd!'))"
    result = subprocess.run(
        [sys.executable, "manage.py", "shell", "-v0", "-c", check],
        cwd=ROOT,
        env={**os.environ, "ENV_FILE": os.devnull, **database},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.stdout.split() == ["admin@example.com", "True", "True"], result.stderr


def test_superuser_without_a_terminal_or_the_environment_says_what_to_set(tmp_path):
    made = make("superuser", DATABASE_URL=f"sqlite:///{tmp_path / 'db.sqlite3'}")
    assert made.returncode != 0
    assert "Set DJANGO_SUPERUSER_EMAIL and DJANGO_SUPERUSER_PASSWORD" in made.stderr


def test_docker_config_without_any_compose_says_what_is_missing_and_how_to_get_it(tmp_path):
    made = make("docker-config", path=str(tmp_path))  # no docker, no docker-compose on the PATH
    assert made.returncode != 0
    assert "neither the docker compose plugin nor the" in made.stderr
    assert "apt-get install docker-compose" in made.stderr
    assert "command not found" not in made.stderr and "unknown flag" not in made.stderr


def test_the_pre_commit_hooks_run_what_make_lint_runs():
    dry_run = subprocess.run(
        [MAKE, "--no-print-directory", "-n", "VENV=.venv", "-o", ".venv/.installed", "lint"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    lint = {line.removeprefix("DEBUG=1 ").removesuffix(" .") for line in dry_run.stdout.splitlines()}
    config = yaml.safe_load((ROOT / ".pre-commit-config.yaml").read_text())
    hooks = {
        hook["entry"].removeprefix("env DEBUG=1 ").replace(" --force-exclude", "")
        for repo in config["repos"]
        for hook in repo["hooks"]
    }
    assert lint and lint == hooks
