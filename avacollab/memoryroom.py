"""An in-memory room for testing plugins: real buses, in-memory channels, real features.

No WebRTC, no server: each :class:`FakeSession` has a real
:class:`~avacollab.bus.Bus`, and :class:`Room` links them pairwise with
:func:`~avacollab.bus.channels.channel_pair`. Each session runs its features
in a :class:`~avacollab.featureset.FeatureSet`, as ``avacollab join`` does:
started (topics subscribed, commands gathered), peer connected on both sides
when a link comes up, peer left when one goes, closed before it leaves.
Tests run in milliseconds; use the ``avacollab_sessions`` fixture
(avacollab.testing) for real connections.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from .bus import Bus
from .bus.channels import channel_pair
from .feature import JoinCommand
from .featureset import FeatureSet
from .plugins import PluginManager, features

WAIT = 5.0  # upper bound for every wait; the tests normally take milliseconds


@dataclass(eq=False)
class FakeSession:
    """What a plugin may use of a session (the ``Session`` protocol), and no more."""

    room: str
    peer_id: str
    name: str
    bus: Bus
    options: dict[str, str]
    peers: dict[str, str] = field(default_factory=dict)
    events: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    renegotiations: list[str] = field(default_factory=list)
    features: FeatureSet = field(default_factory=FeatureSet)
    """The session's running features (set by :meth:`Room.join`)."""
    _changed: asyncio.Event = field(default_factory=asyncio.Event)

    def emit(self, event: str, **fields: Any) -> None:
        self.events.append((event, fields))
        self._changed.set()

    def wants(self, event: str) -> bool:
        return True  # every event is recorded, for the test to read

    def renegotiate(self, peer_id: str) -> None:
        # No media here: record the request so a test can assert on it.
        self.renegotiations.append(peer_id)

    def named(self, event: str) -> list[dict[str, Any]]:
        return [fields for name, fields in self.events if name == event]

    async def wait_event(self, event: str, count: int = 1) -> list[dict[str, Any]]:
        """Wait until ``event`` was emitted ``count`` times in all."""
        async with asyncio.timeout(WAIT):
            while len(self.named(event)) < count:
                self._changed.clear()
                await self._changed.wait()
        return self.named(event)


async def settle(condition: Callable[[], bool]) -> None:
    """Let the loop run until ``condition`` holds (bounded)."""
    async with asyncio.timeout(WAIT):
        # Conditions span several replicas and files, so poll them briefly
        # rather than wire an event to each.
        while not condition():  # noqa: ASYNC110
            await asyncio.sleep(0.001)


class Room:
    """Sessions of one room in one process, linked pairwise like a full mesh.

    ``plugins`` are plugin modules (or objects) with hook implementations, or
    feature classes; no other plugin (not even the built-in one) runs.
    """

    def __init__(self, *plugins: object) -> None:
        self.classes = features(PluginManager(), plugins)
        self.sessions: dict[str, FakeSession] = {}

    async def join(
        self, peer_id: str, name: str = "", options: Mapping[str, str] | None = None
    ) -> FakeSession:
        """A new session with the room's features started (``PluginStartError`` if one fails)."""
        session = FakeSession("room", peer_id, name, Bus(), dict(options or {}))
        session.features = FeatureSet(self.classes)
        try:
            await session.features.start(session)
        except BaseException:
            await session.bus.close()
            raise
        self.sessions[peer_id] = session
        return session

    async def connect(self, a: FakeSession, b: FakeSession) -> None:
        reliable_a, reliable_b = channel_pair("bus")
        unordered_a, unordered_b = channel_pair("bus-unordered")
        a.bus.add_peer(b.peer_id, reliable_a, unordered_a)
        b.bus.add_peer(a.peer_id, reliable_b, unordered_b)
        a.peers[b.peer_id] = b.name
        b.peers[a.peer_id] = a.name
        await a.features.peer_connected(b.peer_id)
        await b.features.peer_connected(a.peer_id)

    async def mesh(self, *sessions: FakeSession) -> None:
        for i, a in enumerate(sessions):
            for b in sessions[i + 1 :]:
                await self.connect(a, b)

    async def disconnect(self, a: FakeSession, b: FakeSession, reason: str = "left") -> None:
        """Cut the link between two sessions, telling both."""
        for one, other in ((a, b), (b, a)):
            one.bus.remove_peer(other.peer_id)
            one.peers.pop(other.peer_id, None)
            await one.features.peer_left(other.peer_id, reason)

    async def leave(self, session: FakeSession) -> None:
        """Leave as ``join`` does: close the features, flush, then the others see it go."""
        await session.features.close()
        async with asyncio.timeout(WAIT):
            await session.bus.drain()
        # Let what was flushed reach the others before the links go.
        await settle(lambda: all(session.bus.queued(p) == 0 for p in session.bus.peers))
        for _ in range(5):
            await asyncio.sleep(0)
        for other in list(self.sessions.values()):
            if other is not session and other.peer_id in session.peers:
                other.bus.remove_peer(session.peer_id)
                other.peers.pop(session.peer_id, None)
                await other.features.peer_left(session.peer_id, "left")
        self.sessions.pop(session.peer_id, None)
        await session.bus.close()

    async def close(self) -> None:
        for session in list(self.sessions.values()):
            await self.leave(session)

    def commands(self, session: FakeSession) -> dict[str, JoinCommand]:
        """Every command of ``session`` by name (``help`` included)."""
        return session.features.commands

    async def run(self, session: FakeSession, line: str) -> str | None:
        """Type ``/name rest`` in a session's terminal."""
        return await session.features.execute(line)

    def status(self, session: FakeSession) -> list[str]:
        """The status lines of ``session``'s features."""
        return session.features.status()
