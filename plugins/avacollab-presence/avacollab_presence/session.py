"""One session's presence: the awareness over the bus, options, events, cursor replay.

:class:`PresenceSession` is what the hooks in :mod:`.plugin` create per
session. Awareness updates travel on the bus topic ``presence.update``:
throttled cursor moves on the unordered channel, everything else on the
reliable one. The bus keeps only the newest unordered message per topic
queued, which suits cursors exactly.
"""

from __future__ import annotations

import asyncio
import logging
import sys
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from avacollab.bus import BusError, BusFull, Message
from avacollab.hookspecs import JoinCommand, Session

from . import commands
from .presence import Presence, PresenceChange, PresenceConfig, Scheduler
from .replay import CursorStep, ReplayError, load_steps, replay, stream_steps
from .state import InvalidState, Status, parse_status

log = logging.getLogger(__name__)

TOPIC = "presence.update"
"""The bus topic of y-protocols awareness updates."""

_SECONDS = ("cursor_interval", "idle_after", "away_after", "timeout")


@dataclass(frozen=True, slots=True)
class Options:
    """The ``presence.*`` options of a session, checked."""

    config: PresenceConfig
    status: Status = "active"
    cursor_from: str | None = None
    """A JSON-lines file of cursor steps to replay, or ``-`` for standard input."""


def parse_options(options: Mapping[str, str], peer_id: str, session_name: str) -> Options:
    """Read ``presence.name``, ``.color``, ``.status``, ``.cursor_from`` and the timings.

    Raises ``ValueError`` naming the option for a bad value.
    """
    name = options.get("presence.name") or session_name or f"peer-{peer_id[:8]}"
    seconds: dict[str, float] = {}
    for field in _SECONDS:
        raw = options.get(f"presence.{field}")
        if raw is not None:
            try:
                seconds[field] = float(raw)
            except ValueError:
                raise ValueError(f"presence.{field} must be a number of seconds") from None
    try:
        config = PresenceConfig(name, options.get("presence.color") or None, **seconds)
    except (InvalidState, ValueError) as exc:
        raise ValueError(f"presence options: {exc}") from None
    try:
        status = parse_status(options.get("presence.status", "active"))
    except InvalidState as exc:
        raise ValueError(f"presence.status: {exc}") from None
    return Options(config, status, options.get("presence.cursor_from") or None)


class PresenceSession:
    """The presence state of one running session."""

    def __init__(
        self,
        session: Session,
        *,
        scheduler: Scheduler | None = None,
        wall_clock: Callable[[], float] = time.time,
    ) -> None:
        self.session = session
        options = parse_options(session.options, session.peer_id, session.name)
        # A bad replay file fails the start, before anything moves.
        steps: list[CursorStep] | None = None
        if options.cursor_from not in (None, "-"):
            steps = load_steps(options.cursor_from)
        self._wall_clock = wall_clock
        self._tasks: set[asyncio.Task[Any]] = set()
        self.presence = Presence(
            session.peer_id, options.config, self._send, scheduler=scheduler, wall_clock=wall_clock
        )
        self.presence.subscribe(self._changed)
        self.presence.start()
        if options.status != "active":
            self.presence.set_status(options.status)
        if options.cursor_from is not None:
            self._spawn(self._replay(steps))

    # -- hooks --------------------------------------------------------------

    def topics(self) -> dict[str, Callable[[Message], None]]:
        """The bus subscriptions of this plugin."""
        return {TOPIC: self._receive}

    def peer_connected(self, peer_id: str) -> None:
        """Make sure the newcomer gets our state (with a clock it has not seen)."""
        self.presence.republish()

    def peer_left(self, peer_id: str) -> None:
        """The session knows the peer is gone: drop it now, not after the timeout."""
        self.presence.forget_peer(peer_id)

    async def close(self) -> None:
        """Stop any replay and announce leaving (the bus flushes it before closing)."""
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        self.presence.leave()

    def status(self) -> str:
        """One line for the status display: how many are here, by status."""
        states = [p.state.status for p in self.presence.states().values()]
        counts = [f"{states.count(s)} {s}" for s in ("active", "idle", "away") if s in states]
        return f"presence: {len(states)} here ({', '.join(counts)})"

    def commands(self) -> list[JoinCommand]:
        """``/presence`` (the table), ``/status``, ``/cursor``, ``/select``."""
        result = [
            JoinCommand(
                "presence",
                "who is here: name, color, status, cursor, selection, last seen",
                self._table,
            )
        ]
        result.extend(
            JoinCommand(name, help_line, _bind(function, self.presence))
            for name, (function, help_line) in commands.PRESENCE_COMMANDS.items()
        )
        return result

    # -- internals ----------------------------------------------------------

    def _table(self, line: str) -> str:
        if line.strip():
            return "error: /presence takes no arguments"
        return commands.table(self.presence, self._wall_clock() * 1000)

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


def _bind(function: Callable[[Presence, str], str], presence: Presence) -> Callable[[str], str]:
    return lambda line: commands.guarded(lambda: function(presence, line))
