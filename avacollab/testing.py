"""pytest fixtures for plugin authors (a ``pytest11`` plugin, enabled by installing avacollab).

* ``avacollab_server``: a real signaling server on 127.0.0.1, port 0.
* ``avacollab_sessions``: ``await avacollab_sessions(n, plugins=[...])`` joins
  ``n`` real sessions to one room on that server, waits until every pair is
  connected, and closes them after the test. ``plugins`` holds plugin modules
  (or objects) with hook implementations, or feature classes. Each session
  gathers ICE candidates on loopback only and records its events
  (:class:`RecordedSession`), so a test can wait for ``myplugin.something``,
  and ``await session.features.execute("/cmd args")`` types a command.

Nothing is mocked: the peers are aiortc peer connections over loopback.
"""

# Fixtures for tests take explicit timeouts on purpose: every wait in a test is bounded.
# ruff: noqa: ASYNC109

from __future__ import annotations

import asyncio
import itertools
import secrets
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import replace
from typing import Any, Protocol

import pytest

from .peer.ice import LOOPBACK
from .peer.session import Session, SessionConfig
from .plugins import features, load
from .settings import Settings
from .signaling.server import SignalingServer

__all__ = [
    "EventLog",
    "RecordedSession",
    "SessionFactory",
    "avacollab_server",
    "avacollab_sessions",
    "start_sessions",
]

TIMEOUT = 20.0
"""Default bound, in seconds, on every wait of these helpers."""


class EventLog:
    """Every event a session emitted, with a bounded wait for the one a test expects."""

    def __init__(self) -> None:
        self.items: list[dict[str, Any]] = []
        self._changed = asyncio.Event()

    def __call__(self, event: dict[str, Any]) -> None:
        self.items.append(event)
        self._changed.set()

    def named(self, name: str) -> list[dict[str, Any]]:
        """Events called ``name``, oldest first."""
        return [e for e in self.items if e["event"] == name]

    async def wait(self, condition: Callable[[], bool], *, timeout: float = TIMEOUT) -> None:
        """Return once ``condition()`` is true, checking after each event; ``TimeoutError``."""
        async with asyncio.timeout(timeout):
            while not condition():
                self._changed.clear()
                await self._changed.wait()

    async def wait_for(
        self, name: str, *, timeout: float = TIMEOUT, **fields: Any
    ) -> dict[str, Any]:
        """The first event ``name`` whose fields include ``fields``; ``TimeoutError`` if none."""

        def match() -> dict[str, Any] | None:
            for event in self.named(name):
                if all(event.get(k) == v for k, v in fields.items()):
                    return event
            return None

        await self.wait(lambda: match() is not None, timeout=timeout)
        found = match()
        assert found is not None
        return found


class RecordedSession(Session):
    """A :class:`~avacollab.peer.session.Session` that keeps its events in :attr:`events`."""

    def __init__(self, config: SessionConfig, plugins: Sequence[object] = ()) -> None:
        # The real loader with an empty selection: the built-in feature, then
        # exactly the plugins (or feature classes) the test names, and no
        # installed ones.
        classes = features(load(""), plugins)
        self.events = EventLog()
        """Every event this session emitted."""
        super().__init__(config, features=classes, events=self.events)


class SessionFactory(Protocol):
    """The type of the ``avacollab_sessions`` fixture."""

    async def __call__(
        self,
        n: int,
        *,
        plugins: Sequence[object] = (),
        room: str | None = None,
        timeout: float = TIMEOUT,
        **config: Any,
    ) -> list[RecordedSession]: ...


async def start_sessions(
    server_url: str,
    n: int,
    *,
    room: str,
    plugins: Sequence[object] = (),
    timeout: float = TIMEOUT,
    **config: Any,
) -> list[RecordedSession]:
    """Join ``n`` sessions to ``room`` and wait until all are connected to each other.

    ``config`` overrides :class:`~avacollab.peer.session.SessionConfig` fields
    (``name`` may be a callable of the index). On failure every session
    already started is closed before the error propagates.
    """
    if n < 1:
        raise ValueError("n must be at least 1")
    sessions: list[RecordedSession] = []
    name: Callable[[int], str] | str = config.pop("name", lambda i: f"peer{i}")
    base = SessionConfig(
        server_url, room, ice_addresses=LOOPBACK, connect_timeout=timeout, **config
    )
    try:
        async with asyncio.timeout(timeout):
            for i in range(n):
                label = name(i) if callable(name) else name
                session = RecordedSession(replace(base, name=label), plugins)
                sessions.append(session)
                await session.start()
            for session in sessions:
                others = {s.peer_id for s in sessions if s is not session}
                await session.events.wait(
                    lambda s=session, o=others: o <= set(s.connected),  # type: ignore[misc]
                    timeout=timeout,
                )
    except BaseException:
        await asyncio.gather(*(s.close() for s in sessions), return_exceptions=True)
        raise
    return sessions


@pytest.fixture
async def avacollab_server() -> AsyncIterator[SignalingServer]:
    """A signaling server on 127.0.0.1, port 0; its ``url`` is the WebSocket URL to join."""
    settings = replace(Settings(), host="127.0.0.1", port=0, heartbeat=5.0, resume_grace=5.0)
    server = SignalingServer(settings, resume_secret=secrets.token_bytes(32))
    await server.start()
    try:
        yield server
    finally:
        await server.stop()


_rooms = itertools.count()


@pytest.fixture
async def avacollab_sessions(
    avacollab_server: SignalingServer,
) -> AsyncIterator[SessionFactory]:
    """A factory: ``await avacollab_sessions(n, plugins=[...])`` gives ``n`` connected sessions.

    Each call joins a new room. Every session is closed after the test.
    """
    started: list[RecordedSession] = []

    async def factory(
        n: int,
        *,
        plugins: Sequence[object] = (),
        room: str | None = None,
        timeout: float = TIMEOUT,
        **config: Any,
    ) -> list[RecordedSession]:
        sessions = await start_sessions(
            avacollab_server.url,
            n,
            room=room or f"test-{next(_rooms)}",
            plugins=plugins,
            timeout=timeout,
            **config,
        )
        started.extend(sessions)
        return sessions

    yield factory
    await asyncio.gather(*(s.close() for s in started), return_exceptions=True)
