"""The lowest dependency versions the pyproject files allow install together and work.

pip installs the newest versions, so the tests never see a lower bound: a
bound below what the code needs (``aiortc>=1.9`` for code that needs 1.16)
goes unnoticed. This test copies avacollab, every plugin and every example
into a scratch directory, installs them into a throwaway venv with the
lowest version of each direct dependency their pyproject files allow (uv's
``--resolution lowest-direct``; pip cannot resolve to lowest), and then

* checks that every dependency declares a lower bound and that the bound is
  the version that got installed: a bound below what another dependency
  needs is one nobody can install, and would hide an untested range;
* runs ``tests/lowest_smoke.py`` in that venv (start-up checks of every
  module that uses private parts, real sessions with every plugin).

It needs uv (in the test extra) and the package index; without them it is
skipped locally, and fails under CI=true. Downloads land in uv's cache, so a
run after the first takes some seconds.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path
from typing import Any

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

ROOT = Path(__file__).resolve().parent.parent
PROJECTS = [ROOT, *sorted(p.parent for p in ROOT.glob("plugins/*/pyproject.toml"))]
PROJECTS += sorted(p.parent for p in ROOT.glob("examples/*/pyproject.toml"))
# Which uv and the index cannot be reached: nothing to say about the pins.
OFFLINE = ("error sending request", "dns error", "failed to connect", "connection refused")


def uv() -> str | None:
    beside = Path(sys.executable).with_name("uv")
    return str(beside) if beside.exists() else shutil.which("uv")


def unavailable(reason: str) -> None:
    if os.environ.get("CI") == "true":
        pytest.fail(f"CI must run the lowest-versions test: {reason}")
    pytest.skip(reason)


def pyproject(project: Path) -> dict[str, Any]:
    with (project / "pyproject.toml").open("rb") as f:
        return tomllib.load(f)


def copy_sources(project: Path, target: Path) -> Path:
    """What a build of ``project`` needs, so the build writes nothing into the checkout."""
    if project == ROOT:
        target.mkdir(parents=True)
        for name in ("pyproject.toml", "README.md"):
            shutil.copy(ROOT / name, target / name)
        shutil.copytree(ROOT / "avacollab", target / "avacollab", ignore=_ignored)
    else:
        shutil.copytree(project, target, ignore=_ignored)
    return target


_ignored = shutil.ignore_patterns(
    "build", "*.egg-info", "tests", "node_modules", "__pycache__", ".*_cache"
)


def run(args: list[str], timeout: float) -> subprocess.CompletedProcess[str]:
    return subprocess.run(args, capture_output=True, text=True, timeout=timeout, check=False)


def lower_bound(requirement: Requirement) -> Version | None:
    bounds = [Version(s.version) for s in requirement.specifier if s.operator in (">=", "==")]
    return max(bounds) if bounds else None


@pytest.mark.timeout(900)  # the first run downloads every wheel; later ones take seconds
def test_the_lowest_allowed_versions_install_and_work(tmp_path: Path) -> None:
    tool = uv()
    if tool is None:
        unavailable("uv is not installed (pip install -e '.[test]')")
        return
    venv = tmp_path / "venv"
    python = venv / "bin" / "python"
    made = run([tool, "venv", "--quiet", "--python", sys.executable, str(venv)], timeout=120)
    assert made.returncode == 0, made.stderr
    sources = [copy_sources(p, tmp_path / "src" / p.name) for p in PROJECTS]
    install = [tool, "pip", "install", "--quiet", "--python", str(python)]
    install += ["--resolution", "lowest-direct", *map(str, sources)]
    installed = run(install, timeout=840)
    if installed.returncode != 0 and any(s in installed.stderr.lower() for s in OFFLINE):
        unavailable(f"cannot reach the package index: {installed.stderr.strip()[-300:]}")
    assert installed.returncode == 0, installed.stderr

    listing = run([str(python), "-c", LIST_VERSIONS], timeout=60)
    assert listing.returncode == 0, listing.stderr
    versions = {canonicalize_name(k): v for k, v in json.loads(listing.stdout).items()}
    problems: list[str] = []
    plugins: list[str] = []
    for project in PROJECTS:
        data = pyproject(project)["project"]
        plugins += data.get("entry-points", {}).get("avacollab", {})
        for line in data.get("dependencies", []):
            requirement = Requirement(line)
            if requirement.marker is not None and not requirement.marker.evaluate():
                continue
            where = f"{data['name']} declares {line!r}"
            bound = lower_bound(requirement)
            got = versions.get(canonicalize_name(requirement.name))
            if bound is None:
                problems.append(f"{where}: no lower bound")
            elif got is None or Version(got) != bound:
                problems.append(f"{where}, but the lowest install got {got}")
    smoke = run([str(python), str(ROOT / "tests" / "lowest_smoke.py"), *plugins], timeout=120)
    if smoke.returncode != 0 or "smoke passed" not in smoke.stdout:
        problems.append(f"the smoke run failed:\n{smoke.stdout}{smoke.stderr}")
    assert not problems, "\n".join(problems)


LIST_VERSIONS = """
import json, importlib.metadata as m
print(json.dumps({d.metadata["Name"]: d.version for d in m.distributions()}))
"""
