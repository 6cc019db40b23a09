"""Shared fixtures: a real signaling server on port 0 and raw WebSocket clients."""

from __future__ import annotations

import asyncio
import json
import os
import re
import sys
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from avacollab.settings import Settings
from avacollab.signaling.core import IceServers
from avacollab.signaling.server import SignalingServer

SECRET = b"test-resume-secret"


@pytest.fixture(autouse=True)
def _isolated_config(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """No test reads or writes the user's real config directory."""
    monkeypatch.setenv("AVACOLLAB_CONFIG_DIR", str(tmp_path_factory.mktemp("config")))
    for name in list(os.environ):
        if name.startswith("AVACOLLAB_") and name != "AVACOLLAB_CONFIG_DIR":
            monkeypatch.delenv(name)


ROOT = Path(__file__).resolve().parent.parent
CLI_TESTS = ("test_cli", "test_join_e2e", "test_turn_session", "test_netns")
"""Modules whose tests run the command line: they run in a temporary directory."""
LEFT_ALONE = frozenset({".hypothesis", ".pytest_cache", ".mypy_cache", ".ruff_cache"})
"""What tools keep in the checkout's root, and not the tests' business."""


def stray_entries(before: set[str], after: set[str]) -> list[str]:
    """Entries of the checkout's root that appeared during a test (tools' caches aside)."""
    return sorted(after - before - LEFT_ALONE)


@pytest.fixture(autouse=True)
def _outside_the_checkout(request: pytest.FixtureRequest) -> Iterator[None]:
    """CLI tests run in a temporary directory, and no test leaves files in the checkout.

    A file a command names by a relative path (``--set editing.doc=x.json``,
    ``/save x.json``, ``--events e.jsonl``) lands in the working directory; a
    property test once left files with random names in the repository root.
    Such a file fails the test that made it; it is left for a person to look at
    (a guard that deleted things in a checkout could delete the wrong ones).
    """
    before = set(os.listdir(ROOT))
    module = request.node.module.__name__.rpartition(".")[2]
    with pytest.MonkeyPatch.context() as patch:
        if module.startswith(CLI_TESTS):
            patch.chdir(request.getfixturevalue("tmp_path"))
        yield
    stray = stray_entries(before, set(os.listdir(ROOT)))
    if stray:
        pytest.fail(f"the test left {', '.join(stray)} in the checkout's root")


def settings_for_test(**overrides: Any) -> Settings:
    return replace(Settings(port=0, heartbeat=5.0, resume_grace=5.0), **overrides)


ServerFactory = Callable[..., Awaitable[SignalingServer]]


@pytest.fixture
async def make_server() -> AsyncIterator[ServerFactory]:
    servers: list[SignalingServer] = []

    async def factory(
        *,
        token_secret: str | None = None,
        secret: bytes = SECRET,
        ice_servers: IceServers | None = None,
        ice_refresh: float | None = None,
        **overrides: Any,
    ) -> SignalingServer:
        server = SignalingServer(
            settings_for_test(**overrides),
            resume_secret=secret,
            token_secret=token_secret,
            ice_servers=ice_servers,
            ice_refresh=ice_refresh,
        )
        await server.start()
        servers.append(server)
        return server

    yield factory
    for server in servers:
        await server.stop()


@pytest.fixture
async def server(make_server: ServerFactory) -> SignalingServer:
    return await make_server()


class Peer:
    """A raw protocol client: every frame is explicit, nothing is hidden."""

    def __init__(self, ws: aiohttp.ClientWebSocketResponse) -> None:
        self.ws = ws
        self.id = ""
        self.welcome: dict[str, Any] = {}

    async def send(self, message: dict[str, Any]) -> None:
        await self.ws.send_str(json.dumps(message))

    async def recv(self, timeout: float = 5.0) -> dict[str, Any]:
        async with asyncio.timeout(timeout):
            msg = await self.ws.receive()
        assert msg.type == aiohttp.WSMsgType.TEXT, f"expected a text frame, got {msg}"
        data: dict[str, Any] = json.loads(msg.data)
        return data

    async def expect(self, kind: str, timeout: float = 5.0) -> dict[str, Any]:
        message = await self.recv(timeout)
        assert message["type"] == kind, message
        return message

    async def join(self, room: str, **extra: Any) -> dict[str, Any]:
        await self.send({"type": "hello", "version": 1})
        await self.expect("hello")
        await self.send({"type": "join", "room": room, **extra})
        self.welcome = await self.expect("welcome")
        self.id = self.welcome["peer"]
        return self.welcome

    async def closed(self, timeout: float = 5.0) -> int | None:
        """Read until the server closes us; return the close code."""
        async with asyncio.timeout(timeout):
            while True:
                msg = await self.ws.receive()
                if msg.type == aiohttp.WSMsgType.CLOSE:
                    # The code the server sent; close_code may already say
                    # 1006 if the server dropped the socket right after.
                    return int(msg.data)
                if msg.type in (aiohttp.WSMsgType.CLOSED, aiohttp.WSMsgType.ERROR):
                    return self.ws.close_code

    async def silent(self, timeout: float = 0.2) -> None:
        """Assert nothing arrives for a little while (used sparingly)."""
        with pytest.raises(TimeoutError):
            await self.recv(timeout)


Connect = Callable[..., Awaitable[Peer]]


@pytest.fixture
async def connect() -> AsyncIterator[Connect]:
    session = aiohttp.ClientSession()

    async def factory(url: str, **kwargs: Any) -> Peer:
        ws = await session.ws_connect(url, **kwargs)
        return Peer(ws)

    yield factory
    await session.close()


Serve = Callable[..., Awaitable[tuple[asyncio.subprocess.Process, str]]]


@pytest.fixture
async def serve() -> AsyncIterator[Serve]:
    """Start `python -m avacollab serve --port 0 ...`; return it and its URL."""
    procs: list[asyncio.subprocess.Process] = []

    async def start(
        *args: str, lines: list[str] | None = None
    ) -> tuple[asyncio.subprocess.Process, str]:
        """``lines``, if given, receives what serve printed before it listened."""
        proc = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "avacollab", "serve", "--port", "0", *args,
            stderr=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.DEVNULL,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )  # fmt: skip
        procs.append(proc)
        assert proc.stderr is not None
        seen = [] if lines is None else lines
        async with asyncio.timeout(20):
            while line := (await proc.stderr.readline()).decode():
                seen.append(line)
                if match := re.search(r"signaling server on (ws://\S+)", line):
                    return proc, match.group(1)
        raise AssertionError("serve exited: " + "".join(seen))

    yield start
    for proc in procs:
        if proc.returncode is None:
            proc.kill()
        async with asyncio.timeout(10):
            await proc.wait()
