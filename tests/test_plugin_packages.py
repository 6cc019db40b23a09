"""Each plugin and example is a complete package of its own.

A plugin is installed and tested on its own (``pip install -e 'plugins/X[test]'``,
then pytest in its directory), so its pyproject must say everything: a README
as its description, the range of core releases it was tested with, and a
``[test]`` extra holding every distribution its tests import or its pytest
settings need, beyond its own dependencies.
"""

from __future__ import annotations

import ast
import sys
import tomllib
from collections.abc import Mapping
from functools import cache
from importlib.metadata import packages_distributions, version
from pathlib import Path
from typing import Any

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = sorted(p.parent for p in ROOT.glob("plugins/*/pyproject.toml"))
PACKAGES += sorted(p.parent for p in ROOT.glob("examples/*/pyproject.toml"))
# pytest settings that only a pytest plugin understands.
SETTING_NEEDS = {"asyncio_mode": "pytest-asyncio", "timeout": "pytest-timeout"}


def project(package: Path) -> dict[str, Any]:
    with (package / "pyproject.toml").open("rb") as f:
        return tomllib.load(f)


def names(requirements: list[str]) -> dict[str, Requirement]:
    parsed = [Requirement(r) for r in requirements]
    return {canonicalize_name(r.name): r for r in parsed}


@cache
def _providers() -> Mapping[str, list[str]]:
    return packages_distributions()


def imported_distributions(package: Path) -> dict[str, set[str]]:
    """What ``package``'s tests import (distribution: the files importing it).

    The package's own modules and the test helpers are left out.
    """
    tests = package / "tests"
    local = {p.stem for p in tests.iterdir()} | {"tests"}
    local |= {p.name for p in package.iterdir() if (p / "__init__.py").is_file()}
    providers = _providers()
    found: dict[str, set[str]] = {}
    for path in sorted(tests.glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Import):
                modules = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                modules = [node.module]
            else:
                continue
            for module in modules:
                top = module.partition(".")[0]
                if top in sys.stdlib_module_names or top in local or top == "__future__":
                    continue
                for dist in providers.get(top, [f"<no distribution provides {top!r}>"]):
                    found.setdefault(canonicalize_name(dist), set()).add(path.name)
    return found


@pytest.mark.parametrize("package", PACKAGES, ids=lambda p: p.name)
def test_the_package_has_a_readme_as_its_description(package: Path) -> None:
    assert (package / "README.md").is_file()
    assert project(package)["project"].get("readme") == "README.md"


@pytest.mark.parametrize("package", PACKAGES, ids=lambda p: p.name)
def test_the_package_names_the_core_releases_it_was_tested_with(package: Path) -> None:
    core = names(project(package)["project"]["dependencies"]).get("avacollab")
    assert core is not None, "no dependency on avacollab"
    operators = {spec.operator for spec in core.specifier}
    assert {">=", "<"} <= operators, f"{core}: needs a lower and an upper bound"
    assert Version(version("avacollab")) in core.specifier


@pytest.mark.parametrize("package", PACKAGES, ids=lambda p: p.name)
def test_the_test_extra_holds_what_the_tests_need(package: Path) -> None:
    data = project(package)
    extras = data["project"].get("optional-dependencies", {})
    assert "test" in extras, "no [test] extra"
    declared = names(data["project"]["dependencies"]) | names(extras["test"])
    needed = imported_distributions(package)
    settings = data.get("tool", {}).get("pytest", {}).get("ini_options", {})
    for setting, plugin in SETTING_NEEDS.items():
        if setting in settings:
            needed.setdefault(plugin, set()).add(f"pyproject.toml ({setting})")
    missing = {dist: sorted(files) for dist, files in needed.items() if dist not in declared}
    assert not missing, f"imported or needed but not declared: {missing}"
