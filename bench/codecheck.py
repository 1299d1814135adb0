"""Code checks: files per second for a sweep of generated .py files (clean and dirty, 50 to 500
lines), beside the flake8 command run once per file (naive) and `flake8 -j2` over the same
files in one run (the limit), in the same run.

The project's figure is one sweep (the scheduled one's code: a `code_check` task per file)
and a worker of two single-threaded processes, as many cores as `-j2` uses, running the
tasks: checking, writing a check row and mailing the report for each file.
"""

from __future__ import annotations

import os
import random
import shutil
import subprocess
import sys
import time
from pathlib import Path

from bench.common import ARTIFACTS, Row, bench_user, start_worker
from tests.helpers import wait_for

COUNT = int(os.environ.get("BENCH_CODECHECK_FILES", "1000"))
# The naive way costs a process start per file: a sample of the same files gives its rate.
NAIVE_SAMPLE = int(os.environ.get("BENCH_CODECHECK_NAIVE", "150"))
WORKER_PROCESSES = 2

CLEAN_BLOCK = '''

def function_{n}(first, second):
    """Add two numbers, number {n}."""
    total = first + second
    if total > {n}:
        return total - {n}
    return total
'''
DIRTY_BLOCKS = [
    "\ndef function_{n}( first,second ):\n    total=first+second\n    return total\n",
    "\n\ndef function_{n}(first, second):\n    unused = {n}\n    return first  \n",
    "\n\ndef function_{n}(first, second):\n    return first + second + "
    "function_with_a_name_that_is_far_too_long_for_one_line_{n}(first)\n",
    "\n\ndef function_{n}(first, second):\n    if first == None:\n        return second\n    return first\n",
]


def generate(seed: int) -> str:
    """A module of 50 to 500 lines; about half the modules carry style problems."""
    rng = random.Random(seed)
    dirty = seed % 2 == 1
    lines = ['"""Generated module."""', "", "import os", ""] if dirty else ['"""Generated module."""']
    target = rng.randint(50, 500)
    n = 0
    while len(lines) < target:
        block = rng.choice(DIRTY_BLOCKS) if dirty and rng.random() < 0.3 else CLEAN_BLOCK
        lines.extend(block.format(n=n).splitlines())
        n += 1
    return "\n".join(lines) + "\n"


def _write_sources(directory: Path) -> list[Path]:
    shutil.rmtree(directory, ignore_errors=True)
    directory.mkdir(parents=True)
    paths = []
    for seed in range(COUNT):
        path = directory / f"module_{seed:04d}.py"
        path.write_text(generate(seed))
        paths.append(path)
    return paths


# Plain flake8 with its own defaults: the sweep must find the same issues (see the row note).
FLAKE8 = [sys.executable, "-m", "flake8", "--isolated"]  # --isolated: no config file either


def _project(paths: list[Path]) -> tuple[float, int]:
    from django.utils import timezone

    from codecheck.models import Check, CodeFile
    from codecheck.services import codecheck_sweep

    user = bench_user()
    CodeFile.objects.filter(owner=user).delete()
    now = timezone.now()
    CodeFile.objects.bulk_create(
        CodeFile(
            owner=user, name=path.name, content=(text := path.read_text()), size=len(text), updated_at=now
        )
        for path in paths
    )
    checks = Check.objects.filter(file__owner=user)
    worker = start_worker(name="bench-codecheck-worker", processes=WORKER_PROCESSES, threads=1)
    try:
        start = time.perf_counter()
        if codecheck_sweep() != len(paths):
            raise RuntimeError("the sweep did not give every file a check task")
        wait_for(lambda: checks.count() >= len(paths), timeout=1800, what="every file's check")
        elapsed = time.perf_counter() - start
    finally:
        worker.stop()
    if checks.count() != len(paths):
        raise RuntimeError(f"the tasks wrote {checks.count()} checks for {len(paths)} files")
    issues = sum(checks.values_list("issue_count", flat=True))
    CodeFile.objects.filter(owner=user).delete()
    return len(paths) / elapsed, issues


def _naive(paths: list[Path]) -> float:
    sample = paths[:NAIVE_SAMPLE]
    start = time.perf_counter()
    for path in sample:
        subprocess.run([*FLAKE8, str(path)], stdout=subprocess.DEVNULL, check=False)
    return len(sample) / (time.perf_counter() - start)


def _limit(paths: list[Path]) -> tuple[float, int]:
    start = time.perf_counter()
    out = subprocess.run(
        [*FLAKE8, "-j2", *map(str, paths)], capture_output=True, text=True, check=False
    ).stdout
    return len(paths) / (time.perf_counter() - start), len(out.splitlines())


def run() -> list[Row]:
    paths = _write_sources(ARTIFACTS / "codecheck-sources")
    project, project_issues = _project(paths)
    limit, limit_issues = _limit(paths)
    naive = _naive(paths)
    issues = f"issues found: sweep {project_issues}, flake8 {limit_issues}"
    return [
        Row(
            "codecheck",
            "sweep throughput",
            project,
            naive,
            "flake8 command per file (naive)",
            "files/s",
            True,
            f"{COUNT} files, a worker of {WORKER_PROCESSES} processes; naive timed on {min(NAIVE_SAMPLE, COUNT)} of them",
        ),
        Row(
            "codecheck",
            "sweep throughput",
            project,
            limit,
            "flake8 -j2, one run (limit)",
            "files/s",
            True,
            f"{COUNT} files; {issues}",
            goal="≥ 0.8x",
        ),
    ]
