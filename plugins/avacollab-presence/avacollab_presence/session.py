"""One session's presence: the awareness over the bus, options, events, cursor replay.

:class:`PresenceSession` is the ``presence`` feature: each session makes its
own (:mod:`.plugin` registers the class). Awareness updates travel on the bus
topic ``presence.update``: throttled cursor moves on the unordered channel, everything else on the
reliable one. The bus keeps only the newest unordered message per topic
queued, which suits cursors exactly.
"""

from __future__ import annotations

import asyncio
import logging
import sys
import time
from collections.abc import Callable, Mapping
from typing import Any, ClassVar, cast

from avacollab.bus import BusError, BusFull, Message
from avacollab.feature import Feature, JoinCommand, Option, Session

from . import commands
from .clock import Scheduler
from .config import PresenceConfig
from .events import PresenceChange
from .presence import Presence
from .replay import CursorStep, ReplayError, load_steps, replay, stream_steps
from .state import parse_status, parse_user

log = logging.getLogger(__name__)

TOPIC = "presence.update"
"""The bus topic of y-protocols awareness updates."""

_DEFAULTS = PresenceConfig("-")


def _name(name: str) -> str:
    parse_user({"name": name, "color": "#000000"})  # InvalidState is a ValueError
    return name


def _color(color: str) -> str:
    parse_user({"name": "-", "color": color})
    return color


def _seconds(value: float) -> float:
    if value <= 0:
        raise ValueError("must be a positive number of seconds")
    return value


def _replay_file(path: str) -> str:
    """A replay file that exists and parses, checked before the session connects."""
    if path != "-":
        try:
            load_steps(path)
        except OSError as exc:  # a ReplayError (a ValueError) says which lines are bad
            raise ValueError(f"cannot read {path}: {exc.strerror or exc}") from None
    return path


class PresenceSession(Feature):
    """The ``presence`` feature: the awareness of one running session."""

    name = "presence"
    options = (
        Option("name", str, None, "Name shown to others (default: join --name).", _name),
        Option("color", str, None, "A #rrggbb color (default: one from the palette).", _color),
        Option("status", str, "active", "Status at start: active, idle or away.", parse_status),
        Option(
            "cursor_interval",
            float,
            _DEFAULTS.cursor_interval,
            "Seconds between cursor updates.",
            _seconds,
        ),
        Option(
            "idle_after",
            float,
            _DEFAULTS.idle_after,
            "Seconds without input before idle.",
            _seconds,
        ),
        Option(
            "away_after",
            float,
            _DEFAULTS.away_after,
            "Seconds without input before away (more than idle_after).",
            _seconds,
        ),
        Option(
            "timeout",
            float,
            _DEFAULTS.timeout,
            "Seconds of silence before a peer is dropped.",
            _seconds,
        ),
        Option(
            "cursor_from",
            str,
            None,
            "A JSON-lines file of cursor steps to replay, or - for standard input.",
            _replay_file,
        ),
    )
    clock: ClassVar[tuple[Scheduler | None, Callable[[], float]]] = (None, time.time)
    """The scheduler (``None``: the running event loop) and wall clock; see :meth:`with_clock`."""

    @classmethod
    def with_clock(
        cls, scheduler: Scheduler, wall_clock: Callable[[], float]
    ) -> type[PresenceSession]:
        """A subclass whose sessions run on ``scheduler`` and ``wall_clock`` (tests, embedding)."""
        return cast(
            type[PresenceSession], type(cls.__name__, (cls,), {"clock": (scheduler, wall_clock)})
        )

    @classmethod
    def check_options(cls, config: Mapping[str, Any]) -> None:
        """``away_after`` after ``idle_after``, checked before the session connects."""
        if config["away_after"] <= config["idle_after"]:
            raise ValueError("away_after must be longer than idle_after")

    def __init__(self, session: Session, config: Mapping[str, Any]) -> None:
        super().__init__(session, config)
        self._wall_clock = self.clock[1]
        self._tasks: set[asyncio.Task[Any]] = set()

    # -- the feature --------------------------------------------------------

    async def start(self) -> None:
        """Publish our state; a bad timing or replay file fails the start (``ValueError``)."""
        config = self.config
        name = config["name"] or self.session.name or f"peer-{self.session.peer_id[:8]}"
        timings = {k: config[k] for k in ("cursor_interval", "idle_after", "away_after", "timeout")}
        presence_config = PresenceConfig(name, config["color"], **timings)
        # A bad replay file fails the start, before anything moves.
        cursor_from: str | None = config["cursor_from"]
        steps: list[CursorStep] | None = None
        if cursor_from not in (None, "-"):
            steps = load_steps(cursor_from)
        self.presence = Presence(
            self.session.peer_id,
            presence_config,
            self._send,
            scheduler=self.clock[0],
            wall_clock=self._wall_clock,
        )
        self.presence.subscribe(self._changed)
        self.presence.start()
        if config["status"] != "active":
            self.presence.set_status(config["status"])
        if cursor_from is not None:
            self._spawn(self._replay(steps))

    def topics(self) -> dict[str, Callable[[Message], None]]:
        """The bus subscriptions of this plugin."""
        return {TOPIC: self._receive}

    def peer_connected(self, peer_id: str) -> None:
        """Make sure the newcomer gets our state (with a clock it has not seen)."""
        self.presence.republish()

    def peer_left(self, peer_id: str, reason: str) -> None:
        """The session knows the peer is gone: drop it now, not after the timeout."""
        self.presence.forget_peer(peer_id)

    async def close(self) -> None:
        """Stop any replay and announce leaving (the bus flushes it before closing)."""
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        self.presence.leave()

    def status(self) -> list[str]:
        """One line for the status display: how many are here, by status."""
        states = [p.state.status for p in self.presence.states().values()]
        counts = [f"{states.count(s)} {s}" for s in ("active", "idle", "away") if s in states]
        return [f"presence: {len(states)} here ({', '.join(counts)})"]

    def commands(self) -> list[JoinCommand]:
        """``/presence`` (the table), ``/status``, ``/cursor``, ``/select``."""
        result = [
            JoinCommand(
                "presence",
                "who is here: name, color, status, cursor, selection, last seen (--json: as JSON)",
                self._table,
            )
        ]
        result.append(JoinCommand("status", commands.PRESENCE_COMMANDS["status"][1], self._status))
        # /cursor and /select name components: resolved through the editing document.
        result.append(JoinCommand("cursor", commands.PRESENCE_COMMANDS["cursor"][1], self._cursor))
        result.append(JoinCommand("select", commands.PRESENCE_COMMANDS["select"][1], self._select))
        return result

    def peer_color(self, peer_id: str) -> str | None:
        """The ``#rrggbb`` color ``peer_id`` shows in its presence (this peer's own too),
        so the terminal draws each person in the color others see on the canvas."""
        state = self.presence.state_of(peer_id)
        return None if state is None else state.user.color

    def _status(self, line: str) -> str:
        return commands.guarded(lambda: commands.status(self.presence, line))

    def _cursor(self, line: str) -> str:
        resolve = self._editing("resolve_component")
        return commands.guarded(lambda: commands.cursor(self.presence, line, resolve))

    def _select(self, line: str) -> str:
        resolve = self._editing("resolve_component")
        labels = self._editing("component_labels")
        with_ids = None if labels is None else (lambda ids: labels(ids, with_ids=True))
        return commands.guarded(lambda: commands.select(self.presence, line, resolve, with_ids))

    def _editing(self, method: str) -> Callable[..., Any] | None:
        """A running feature's ``method`` (editing's ``resolve_component`` and
        ``component_labels``), found through the session's features when it exposes
        them; without one, component ids go unchecked and show as short ids."""
        features = getattr(self.session, "features", None)
        for feature in getattr(features, "running", ()):
            found = getattr(feature, method, None)
            if callable(found):
                return cast(Callable[..., Any], found)
        return None

    # -- internals ----------------------------------------------------------

    def _table(self, line: str) -> str:
        now_ms = self._wall_clock() * 1000
        labels = self._editing("component_labels")
        return commands.guarded(
            lambda: commands.presence_table(self.presence, line, now_ms, labels)
        )

    def _send(self, data: bytes, reliable: bool) -> None:
        bus = self.session.bus
        try:
            bus.publish(TOPIC, data, reliable=reliable)
        except BusFull:
            # Rare (megabytes queued), but a leave must not be lost: wait for room.
            self._spawn(self._send_later(data))
        except BusError as exc:  # closed: nobody left to tell
            log.debug("presence: update not sent: %s", exc)

    async def _send_later(self, data: bytes) -> None:
        try:
            await self.session.bus.send(TOPIC, data)
        except BusError as exc:
            log.info("presence: update not sent: %s", exc)

    def _receive(self, message: Message) -> None:
        for rejection in self.presence.receive(message.sender, message.payload):
            log.warning("presence: refused a state from %s: %s", message.sender, rejection.reason)
            self.session.emit(
                "presence.rejected",
                peer=rejection.peer_id,
                client_id=rejection.client_id,
                reason=rejection.reason,
            )

    def _changed(self, change: PresenceChange) -> None:
        # Cursor moves make this the most frequent event there is: skip building
        # it when the session says nobody reads it.
        if not self.session.wants("presence.updated"):
            return
        peers = {}
        for peer_id in (*change.added, *change.updated):
            # One lookup per changed peer: states() would build every peer's entry.
            state = self.presence.state_of(peer_id)
            if state is not None:
                peers[peer_id] = state.to_json()
        self.session.emit(
            "presence.updated",
            origin=change.origin,
            added=list(change.added),
            updated=list(change.updated),
            removed=list(change.removed),
            peers=peers,
        )

    async def _replay(self, steps: list[CursorStep] | None) -> None:
        try:
            count = await replay(
                steps if steps is not None else stream_steps(sys.stdin.buffer), self.presence
            )
        except ReplayError as exc:
            log.warning("presence: cursor replay stopped: %s", exc)
            self.session.emit("presence.replay_error", error=str(exc))
            return
        self.session.emit("presence.replayed", moves=count)

    def _spawn(self, coroutine: Any) -> None:
        task = asyncio.ensure_future(coroutine)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
