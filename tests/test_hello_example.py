"""The hello-plugin example works after ``pip install examples/hello-plugin``.

The example is installed into a temporary directory (not the virtualenv), and
its own test suite is then run, in a separate process, against that installed
copy: the entry point is found, the chat works between real sessions, and the
pytest fixtures come from avacollab's ``pytest11`` entry point.
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from avacollab.signaling.server import SignalingServer
from avacollab.testing import EventLog

from .sessionkit import WAIT

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "examples" / "hello-plugin"


def run(*args: str, cwd: Path, site: Path, timeout: float) -> subprocess.CompletedProcess[str]:
    path = os.pathsep.join(filter(None, [str(site), os.environ.get("PYTHONPATH")]))
    env = {**os.environ, "PYTHONPATH": path}
    return subprocess.run(
        [sys.executable, *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The example installed (no dependencies, no network) into a fresh directory."""
    work = tmp_path_factory.mktemp("hello")
    # A copy, so the build leaves no build/ or egg-info in the checkout.
    source = work / "source"
    shutil.copytree(EXAMPLE, source, ignore=shutil.ignore_patterns("build", "*.egg-info"))
    target = work / "site"
    done = run(
        "-m", "pip", "install", "--quiet", "--no-deps", "--no-index", "--no-build-isolation",
        "--target", str(target), str(source),
        cwd=work, site=target, timeout=120,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    return target


def test_the_installed_plugin_is_found_by_its_entry_point(site: Path, tmp_path: Path) -> None:
    code = (
        "import dataclasses, json\n"
        "from avacollab.plugins import describe, load\n"
        "print(json.dumps([dataclasses.asdict(i) for i in describe(load('hello'))]))\n"
    )
    done = run("-c", code, cwd=tmp_path, site=site, timeout=60)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)[-1] == {
        "name": "hello",
        "distribution": "avacollab-hello",
        "version": "0.1.0",
        "hooks": ["avacollab_register_features"],
        "features": [{"name": "hello", "options": []}],
    }


def test_the_examples_own_tests_pass_against_the_installed_copy(site: Path, tmp_path: Path) -> None:
    # Only the tests and their config are copied: avacollab_hello must come from site.
    shutil.copytree(EXAMPLE / "tests", tmp_path / "tests")
    shutil.copy(EXAMPLE / "pyproject.toml", tmp_path / "pyproject.toml")
    shim = _pytest11_shim(site)
    try:
        done = run(
            "-m", "pytest", "-q", "-p", "no:cacheprovider", cwd=tmp_path, site=site, timeout=300
        )
    finally:
        if shim is not None:
            shutil.rmtree(shim)
    assert done.returncode == 0, done.stdout + done.stderr
    assert " passed" in done.stdout and "failed" not in done.stdout
    imported = run("-c", "import avacollab_hello; print(avacollab_hello.__file__)", cwd=tmp_path,
                   site=site, timeout=60)  # fmt: skip
    assert imported.stdout.startswith(str(site))


def test_avacollab_declares_its_pytest_plugin() -> None:
    """Plugin authors get the fixtures just by installing avacollab."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    assert project.get("entry-points", {}).get("pytest11") == {"avacollab": "avacollab.testing"}


def _pytest11_shim(site: Path) -> Path | None:
    """Until avacollab is reinstalled with its pytest11 entry point, declare it beside the
    example (test_avacollab_declares_its_pytest_plugin checks the real declaration)."""
    from importlib.metadata import entry_points

    if any(ep.name == "avacollab" for ep in entry_points(group="pytest11")):
        return None
    shim = site / "avacollab_pytest_shim-0.dist-info"
    shim.mkdir()
    (shim / "METADATA").write_text(
        "Metadata-Version: 2.1\nName: avacollab-pytest-shim\nVersion: 0\n", encoding="utf-8"
    )
    (shim / "entry_points.txt").write_text(
        "[pytest11]\navacollab = avacollab.testing\n", encoding="utf-8"
    )
    return shim


async def test_say_between_two_join_processes(
    site: Path, server: SignalingServer, tmp_path: Path
) -> None:
    """The installed plugin found by its entry point in real ``avacollab join`` processes."""
    path = os.pathsep.join(filter(None, [str(site), os.environ.get("PYTHONPATH")]))
    env = {**os.environ, "PYTHONPATH": path, "AVACOLLAB_PLUGINS": "hello"}
    procs: list[asyncio.subprocess.Process] = []
    logs: list[EventLog] = []
    readers: list[asyncio.Task[None]] = []

    async def read(proc: asyncio.subprocess.Process, events: EventLog) -> None:
        assert proc.stdout is not None
        async for line in proc.stdout:
            events(json.loads(line))

    try:
        for name in ("alice", "bob"):
            proc = await asyncio.create_subprocess_exec(
                sys.executable, "-m", "avacollab.cli.join", "hello-room",
                "--server", server.url, "--name", name, "--ice-address", "127.0.0.1",
                "--events", "-", "--connect-timeout", "10",
                cwd=tmp_path, env=env, stdin=asyncio.subprocess.PIPE,
                stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.DEVNULL,
            )  # fmt: skip
            procs.append(proc)
            logs.append(EventLog())
            readers.append(asyncio.create_task(read(proc, logs[-1])))
        alice, bob = procs
        await logs[0].wait_for("peer-connected")
        await logs[1].wait_for("peer-connected")
        assert alice.stdin is not None
        alice.stdin.write(b"/say hi from alice\n/quit\n")
        await alice.stdin.drain()
        event = await logs[1].wait_for("hello.message", text="hi from alice")
        assert event["name"] == "alice"
        assert event["peer"] == logs[0].named("joined")[0]["peer"]
        assert bob.stdin is not None
        bob.stdin.write(b"/quit\n")
        await bob.stdin.drain()
        async with asyncio.timeout(WAIT):
            codes = [await p.wait() for p in procs]
        assert codes == [0, 0]
    finally:
        for proc in procs:
            if proc.returncode is None:
                proc.kill()
                await proc.wait()
        for reader in readers:
            reader.cancel()
        await asyncio.gather(*readers, return_exceptions=True)
