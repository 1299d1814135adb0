"""The in-process flake8 checker against the flake8 command on the same source."""

from __future__ import annotations

import subprocess
import sys

import pytest

from codecheck.checker import check_source
from tests.codecheck.sources import DIRTY, SYNTAX_ERROR

MIXED = (
    "import os, sys\n"
    "def long_function_name(var_one, var_two, var_three, var_four, var_five, var_six):\n"
    "  l = 1\n"
    "  if l == None :\n"
    "      return undefined_name\n"
    "  return sys.path  \n"
    "class A: pass\n"
)


# flake8's default extend-ignore list covers both sides of a line break at an operator
# (W503 before it, W504 after it: they contradict each other) and E226 (`a*2`).
BINARY_OPERATORS = (
    "a = 1\nb = 2\nx = a*2\nbefore = (a\n          + b)\nafter = (a +\n         b)\ny = undefined\n"
)


def flake8_command(source: str, tmp_path) -> list[tuple[int, int, str, str]]:
    """What a plain `flake8 FILE` prints for `source`: no options, flake8's own defaults.

    It runs in an empty directory, so no configuration file can be found.
    """
    path = tmp_path / "mod.py"
    path.write_text(source)
    out = subprocess.run(
        [sys.executable, "-m", "flake8", path.name], cwd=tmp_path, capture_output=True, text=True, check=False
    ).stdout
    issues = []
    for line in out.splitlines():
        _, row, column, rest = line.split(":", 3)
        code, message = rest.strip().split(" ", 1)
        issues.append((int(row), int(column), code, message))
    return sorted(issues)


@pytest.mark.parametrize(
    "source",
    [DIRTY, MIXED, SYNTAX_ERROR, "x = 1", BINARY_OPERATORS],
    ids=["dirty", "mixed", "syntax", "no-eol", "binary-operators"],
)
def test_issues_match_the_plain_flake8_command(source, tmp_path):
    expected = flake8_command(source, tmp_path)
    assert expected, "the sample must have issues for the comparison to mean anything"
    assert [(i.line, i.column, i.code, i.message) for i in check_source(source)] == expected


def test_flake8_default_extend_ignore_list_is_kept():
    assert [i.code for i in check_source("a = 1\nx = a*2\n")] == []
    assert [(i.line, i.code) for i in check_source(BINARY_OPERATORS)] == [(8, "F821")]


def test_syntax_error_is_an_e999_result():
    [issue] = check_source(SYNTAX_ERROR)
    assert issue.code == "E999"
    assert issue.line == 1
    assert issue.message.startswith("SyntaxError")
    assert issue.text == "def f(:"


def test_settings_choose_line_length_and_codes(settings):
    long_line = "x = '" + "a" * 90 + "'\n"
    assert [i.code for i in check_source(long_line)] == ["E501"]
    settings.CODECHECK_MAX_LINE_LENGTH = 120
    assert check_source(long_line) == []
    settings.CODECHECK_SELECT = ["F"]
    assert [i.code for i in check_source(DIRTY)] == ["F401"]
    assert [i.code for i in check_source(SYNTAX_ERROR)] == ["E999"]


def test_output_is_deterministic():
    assert check_source(MIXED) == check_source(MIXED)
    assert [i.as_dict() for i in check_source(DIRTY)] == [
        {"line": 1, "column": 1, "code": "F401", "message": "'os' imported but unused"},
        {"line": 2, "column": 2, "code": "E225", "message": "missing whitespace around operator"},
        {"line": 4, "column": 1, "code": "E302", "message": "expected 2 blank lines, found 1"},
    ]


def test_issue_text_follows_flake8_line_numbers_past_a_form_feed():
    # flake8 counts only real newlines; a form feed inside a line must not shift the text.
    issues = check_source("import os\n\x0c\nx=1\n")
    e225 = next(issue for issue in issues if issue.code == "E225")
    assert e225.line == 3
    assert e225.text == "x=1"


def test_repeated_checks_do_not_grow_flake8_statistics():
    from codecheck.checker import _style_guide

    check_source("x=1\n")
    guide, _ = _style_guide()
    before = len(guide._application.guide.stats._store)
    for _ in range(20):
        check_source("x=1\n")
    assert len(guide._application.guide.stats._store) == before


@pytest.mark.parametrize(
    "source",
    ["x = " + " + ".join(["a"] * 60_000) + "\n", "f = " + "lambda: " * 5_000 + "1\n"],
    ids=["long-expression", "deep-lambdas"],
)
def test_code_too_deep_for_the_parser_is_an_e999_result(source):
    [issue] = check_source(source)
    assert (issue.line, issue.code) == (1, "E999")
    assert "nested too deeply" in issue.message
    # The checker is left in working order for the next file of the same thread.
    assert [i.code for i in check_source(SYNTAX_ERROR)] == ["E999"]


def test_a_byte_order_mark_is_not_part_of_the_matched_line_text():
    with_bom, without = check_source("\ufeffimport os\n"), check_source("import os\n")
    assert [i.code for i in with_bom] == ["F401"]
    assert [i.text for i in with_bom] == [i.text for i in without] == ["import os"]


def test_complexity_is_checked_only_when_a_maximum_is_set(settings, tmp_path):
    branches = "".join(f"    if x == {n}:\n        return {n}\n" for n in range(12))
    source = f"def f(x):\n{branches}    return -1\n"
    assert check_source(source) == [] == flake8_command(source, tmp_path)
    settings.CODECHECK_MAX_COMPLEXITY = 10
    assert [i.code for i in check_source(source)] == ["C901"]
    settings.CODECHECK_MAX_COMPLEXITY = 20
    assert check_source(source) == []
