"""pyproject.toml declares what the code uses, and the lock files pin all of it.

`make run` installs the runtime set only, from requirements.txt: a module that src/ imports
but that is not declared works here only because something else pulled it in, and breaks
the day that something drops it.
"""

from __future__ import annotations

import ast
import importlib.metadata
import re
import sys
import tomllib
from functools import cache

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from tests.conftest import ROOT

SRC = ROOT / "src"
FIRST_PARTY = {path.name for path in SRC.iterdir() if (path / "__init__.py").exists()}
# Used by name in a setting, never imported by our code.
USED_WITHOUT_IMPORT = {"psycopg2-binary": "Django's PostgreSQL backend imports psycopg2"}
DOTTED = re.compile(r"[A-Za-z_]\w*(\.\w+)*")
PIN = re.compile(r"^([A-Za-z0-9._-]+)==(\S+)")


@cache
def project() -> dict:
    return tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]


def declared(requirements: list[str]) -> dict[str, Requirement]:
    return {canonicalize_name(req.name): req for req in map(Requirement, requirements)}


def runtime() -> dict[str, Requirement]:
    return declared(project()["dependencies"])


def dev() -> dict[str, Requirement]:
    return declared(project()["optional-dependencies"]["dev"])


@cache
def src_references() -> tuple[frozenset[str], frozenset[str]]:
    """Top-level modules that src/ imports, and those named in dotted strings (settings)."""
    imported, named = set(), set()
    for path in SRC.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
            if isinstance(node, ast.Import):
                imported.update(alias.name.partition(".")[0] for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                imported.add(node.module.partition(".")[0])
            elif (
                isinstance(node, ast.Constant)
                and isinstance(node.value, str)
                and DOTTED.fullmatch(node.value)
            ):
                named.add(node.value.partition(".")[0])
    third_party = imported - FIRST_PARTY - set(sys.stdlib_module_names) - {"__future__"}
    return frozenset(third_party), frozenset(named)


@cache
def installed() -> dict[str, set[str]]:
    """Each importable top-level module and the installed distributions that provide it."""
    return {
        module: {canonicalize_name(name) for name in names}
        for module, names in importlib.metadata.packages_distributions().items()
    }


def distributions_of(module: str) -> set[str]:
    return installed().get(module, set())


def modules_of(distribution: str) -> set[str]:
    return {module for module, names in installed().items() if distribution in names}


def pins(lock: str) -> dict[str, str]:
    text = (ROOT / lock).read_text()
    return {canonicalize_name(m[1]): m[2] for m in map(PIN.match, text.splitlines()) if m}


def test_every_third_party_module_that_src_imports_is_a_declared_runtime_dependency():
    imported, _ = src_references()
    undeclared = {
        module: sorted(distributions_of(module))
        for module in imported
        if not distributions_of(module) & runtime().keys()
    }
    assert not undeclared, f"imported by src/ but not in [project].dependencies: {undeclared}"


def test_every_runtime_dependency_is_used_by_src():
    imported, named = src_references()
    unused = [
        name
        for name in runtime()
        if name not in USED_WITHOUT_IMPORT and not modules_of(name) & (imported | named)
    ]
    assert not unused, f"in [project].dependencies but not used by src/ (dev only? move it to dev): {unused}"


def test_the_locks_pin_every_declared_dependency_within_its_range():
    for lock, requirements in (("requirements.txt", runtime()), ("requirements-dev.txt", runtime() | dev())):
        locked = pins(lock)
        for name, requirement in requirements.items():
            assert name in locked, f"{name} is not in {lock}: run make lock"
            assert requirement.specifier.contains(locked[name], prereleases=True), (
                f"{lock} pins {name}=={locked[name]}, outside {requirement.specifier}: run make lock"
            )


def test_the_dev_lock_pins_the_runtime_set_at_the_same_versions():
    runtime_pins, dev_pins = pins("requirements.txt"), pins("requirements-dev.txt")
    assert {name: dev_pins.get(name) for name in runtime_pins} == runtime_pins
