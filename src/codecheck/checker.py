"""flake8 through its Python API, in this process: one source text in, its issues out.

flake8's API checks paths, so the source goes to a private temporary file that is removed
at once. Each thread keeps its own style guide (building one finds plugins and parses
options: about a sixth of a small file's check), so worker threads never share a report.
The configuration is the project's (settings), never a config file lying around.
"""

from __future__ import annotations

import io
import tempfile
import threading
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from flake8.api import legacy
from flake8.formatting.base import BaseFormatter
from flake8.main import application as app
from flake8.options.parse_args import parse_args
from flake8.violation import Violation


@dataclass(frozen=True)
class Issue:
    line: int
    column: int
    code: str
    message: str
    text: str  # the stripped source line, the key for matching issues across versions

    def as_dict(self) -> dict[str, int | str]:
        return {"line": self.line, "column": self.column, "code": self.code, "message": self.message}


class _Collector(BaseFormatter):
    """A flake8 report that hands violations to `sink` instead of printing them."""

    sink: list[Violation]

    def start(self) -> None:
        """Nothing to open: the violations stay in memory."""

    def stop(self) -> None:
        """Nothing to close."""

    def handle(self, error: Violation) -> None:
        self.sink.append(error)


def flake8_command_options() -> list[str]:
    """The options every check runs with, as `flake8` command-line arguments.

    The in-process checker is built from these same arguments (see _style_guide). Left at
    their defaults, the settings add nothing to flake8's own defaults, so a check reports
    exactly what a plain `flake8 FILE` does (tests and the benchmark compare against it).
    An explicit `--select` would switch off flake8's default extend-ignore list (E226, W503,
    W504, ...), so it is passed only when CODECHECK_SELECT is set.
    """
    options = [
        "--isolated",  # the project's settings, never a config file lying around
        # A file that does not parse never passes, whatever codes are selected.
        "--extend-select=E999",
        f"--max-line-length={settings.CODECHECK_MAX_LINE_LENGTH}",
    ]
    if settings.CODECHECK_SELECT:
        options.append(f"--select={','.join(settings.CODECHECK_SELECT)}")
    if settings.CODECHECK_MAX_COMPLEXITY is not None:
        options.append(f"--max-complexity={settings.CODECHECK_MAX_COMPLEXITY}")
    return options


_local = threading.local()


def _style_guide() -> tuple[legacy.StyleGuide, list[Violation]]:
    """This thread's style guide for the current options, and the list its report fills.

    Built the way `legacy.get_style_guide` does it, but from command-line arguments: its
    keyword options are set after the plugins have read theirs, so mccabe would never see
    --max-complexity.
    """
    options = flake8_command_options()
    cached = getattr(_local, "guide", None)
    if cached is None or cached[0] != options:
        application = app.Application()
        application.plugins, application.options = parse_args(options)
        application.make_formatter()
        application.make_guide()
        application.make_file_checker_manager([])
        guide = legacy.StyleGuide(application)
        sink: list[Violation] = []
        guide.init_report(type("Collector", (_Collector,), {"sink": sink}))
        cached = _local.guide = (options, guide, sink)
    return cached[1], cached[2]


def _source_path() -> Path:
    if getattr(_local, "directory", None) is None:
        _local.directory = Path(tempfile.mkdtemp(prefix="codecheck-"))
    return _local.directory / "source.py"


def _matching_text(lines: list[str], number: int) -> str:
    """The text of line `number` that issues are matched by: stripped, without a BOM."""
    text = lines[number - 1] if 0 < number <= len(lines) else ""
    return text.lstrip("\ufeff").strip()


def check_source(source: str) -> list[Issue]:
    """Run flake8 on `source`; the issues come sorted by line, column and code."""
    guide, violations = _style_guide()
    violations.clear()
    # One path per thread: flake8 keeps statistics per file name for the guide's life, so a
    # fresh name per check would grow the worker's memory without end.
    path = _source_path()
    path.write_text(source, encoding="utf-8", newline="")
    # Lines as flake8 counts them (universal newlines only; str.splitlines would also split
    # on form feeds and other separators and shift the text matched to an issue).
    lines = io.StringIO(source, newline=None).read().split("\n")
    try:
        guide.check_files([str(path)])
    except (RecursionError, MemoryError) as exc:
        # Python's own parser gives up on code nested this deeply (`a + a + ...` a hundred
        # thousand times): the file cannot run, so it fails like any other syntax error.
        # The guide may be left half-way through a file: the next check builds a new one.
        _local.guide = None
        message = f"{type(exc).__name__}: the code is nested too deeply for Python to parse"
        return [Issue(line=1, column=1, code="E999", message=message, text=_matching_text(lines, 1))]
    finally:
        path.unlink()
    issues = [
        Issue(
            line=v.line_number,
            column=v.column_number,
            code=v.code,
            message=v.text,
            text=_matching_text(lines, v.line_number),
        )
        for v in violations
    ]
    return sorted(issues, key=lambda i: (i.line, i.column, i.code, i.message))
