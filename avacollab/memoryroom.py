"""An in-memory room for testing plugins: real sessions, in-memory signaling and links.

No WebRTC, no server: each :class:`FakeSession` is a real
:class:`~avacollab.peer.session.Session` over an
:class:`~avacollab.peer.memory.MemoryNetwork` (signaling and links in memory,
the bus over in-memory channels), so it runs its features exactly as
``avacollab join`` does: started (topics subscribed, commands gathered and
checked), ``peer_joined`` as members arrive, ``peer_connected`` on both
sides when a link opens, ``peer_left`` when one goes, closed before it
leaves. The room holds each pair's link until the test connects it
(:meth:`Room.connect`). Tests run in milliseconds; use the
``avacollab_sessions`` fixture (avacollab.testing) for real connections.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping
from typing import Any

from .feature import Feature, JoinCommand
from .featureset import FeatureSet
from .peer.config import SessionConfig
from .peer.memory import MemoryNetwork
from .peer.session import Session
from .peer.signaling_client import Backoff, Handler
from .plugins import PluginManager, features

WAIT = 5.0  # upper bound for every wait; the tests normally take milliseconds

ROOM_CONFIG = SessionConfig(
    server="memory:",
    room="room",
    # The room decides when links open: a held link never times out, and a
    # cut one is offered again at once.
    connect_timeout=3600.0,
    max_retries=1_000_000,
    retry_backoff=Backoff(initial=0.001, maximum=0.01),
)


class _Features(FeatureSet):
    """A session's features, telling the room when a peer hook has run."""

    def __init__(self, classes: Any) -> None:
        super().__init__(classes)
        self.connected: set[str] = set()
        self.changed = asyncio.Event()

    async def peer_connected(self, peer_id: str) -> None:
        await super().peer_connected(peer_id)
        self.connected.add(peer_id)
        self.changed.set()

    async def peer_left(self, peer_id: str, reason: str) -> None:
        self.connected.discard(peer_id)
        await super().peer_left(peer_id, reason)
        self.changed.set()


class FakeSession(Session):
    """A real :class:`Session` of a :class:`Room` that records what it emits
    in :attr:`events` and its ``renegotiate`` calls in :attr:`renegotiations`."""

    def __init__(
        self, net: MemoryNetwork, config: SessionConfig, classes: list[type[Feature]], peer_id: str
    ) -> None:
        self.events: list[tuple[str, dict[str, Any]]] = []
        self.renegotiations: list[str] = []
        self.wanted: set[str] | None = None
        """The events the sink records (``None``: all); see :meth:`Session.wants`."""
        self._changed = asyncio.Event()
        self._hooks = _Features(classes)

        def signaling(config: SessionConfig, on_message: Handler) -> Any:
            return net.signaling(config, on_message, peer_id)

        super().__init__(
            config,
            features=self._hooks,
            events=self._record,
            signaling=signaling,
            link_factory=net.link,
        )

    def _record(self, event: dict[str, Any]) -> None:
        fields = {k: v for k, v in event.items() if k not in ("event", "ts")}
        self.events.append((str(event["event"]), fields))
        self._changed.set()

    def wants(self, event: str) -> bool:
        return self.wanted is None or event in self.wanted

    def renegotiate(self, peer_id: str) -> None:
        self.renegotiations.append(peer_id)  # for a test to assert on
        super().renegotiate(peer_id)

    def named(self, event: str) -> list[dict[str, Any]]:
        return [fields for name, fields in self.events if name == event]

    async def wait_event(self, event: str, count: int = 1) -> list[dict[str, Any]]:
        """Wait until ``event`` was emitted ``count`` times in all."""
        async with asyncio.timeout(WAIT):
            while len(self.named(event)) < count:
                self._changed.clear()
                await self._changed.wait()
        return self.named(event)

    async def _wait_left(self, peer_id: str) -> None:
        await self._wait_hooks(lambda: peer_id not in self._hooks.connected)

    async def _wait_hooks(self, condition: Callable[[], bool]) -> None:
        async with asyncio.timeout(WAIT):
            while not condition():
                self._hooks.changed.clear()
                await self._hooks.changed.wait()


async def settle(condition: Callable[[], bool]) -> None:
    """Let the loop run until ``condition`` holds (bounded)."""
    async with asyncio.timeout(WAIT):
        # Conditions span several replicas and files, so poll them briefly
        # rather than wire an event to each.
        while not condition():  # noqa: ASYNC110
            await asyncio.sleep(0.001)


class Room:
    """Sessions of one room in one process; the test says which pairs connect.

    ``plugins`` are plugin modules (or objects) with hook implementations, or
    feature classes; no other plugin (not even the built-in one) runs.
    """

    def __init__(self, *plugins: object) -> None:
        self.classes = features(PluginManager(), plugins)
        self.sessions: dict[str, FakeSession] = {}
        self.net = MemoryNetwork(hold=True)

    async def join(
        self, peer_id: str, name: str = "", options: Mapping[str, str] | None = None
    ) -> FakeSession:
        """A new session with the room's features started (``PluginStartError`` if one fails)."""
        config = SessionConfig(
            **{**_fields(ROOM_CONFIG), "name": name, "options": dict(options or {})}
        )
        session = FakeSession(self.net, config, self.classes, peer_id)
        await session.start()
        self.sessions[peer_id] = session
        return session

    async def connect(self, a: FakeSession, b: FakeSession) -> None:
        """Open the link between two sessions; return once both features heard of it."""
        self.net.allow(a.peer_id, b.peer_id)
        await a._wait_hooks(lambda: b.peer_id in a._hooks.connected)
        await b._wait_hooks(lambda: a.peer_id in b._hooks.connected)

    async def mesh(self, *sessions: FakeSession) -> None:
        for i, a in enumerate(sessions):
            for b in sessions[i + 1 :]:
                await self.connect(a, b)

    async def disconnect(self, a: FakeSession, b: FakeSession, reason: str = "failed") -> None:
        """Cut the link between two sessions: both see the peer leave with ``reason``
        ``failed`` (its channels closed, as the session reports it); :meth:`connect`
        opens the link the offerer makes next."""
        if reason != "failed":
            raise ValueError(f"an in-memory link fails with reason 'failed', not {reason!r}")
        self.net.cut(a.peer_id, b.peer_id)
        await a._wait_left(b.peer_id)
        await b._wait_left(a.peer_id)

    async def leave(self, session: FakeSession) -> None:
        """Leave as ``join`` does: close the features, say goodbye, go."""
        others = [s for s in self.sessions.values() if s is not session]
        await session.close()
        self.sessions.pop(session.peer_id, None)
        for other in others:
            await other._wait_left(session.peer_id)

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


def _fields(config: SessionConfig) -> dict[str, Any]:
    return {f: getattr(config, f) for f in config.__dataclass_fields__}
