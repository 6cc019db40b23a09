"""Presence over the y-protocols awareness protocol, independent of transport.

:class:`Presence` keeps the local peer's state in a pycrdt ``Awareness`` (so
what it sends is what a Yjs client sends and reads), hands each encoded update
to a ``send(data, reliable)`` callable, and takes what other peers sent through
:meth:`Presence.receive`. Time comes from a :class:`Scheduler`; an asyncio
event loop is one, and tests pass a fake one to move time by hand.

Rules it enforces (docs/presence.md tells the whole story):

- Cursor moves are throttled: the first goes out at once, then at most one
  update per ``cursor_interval`` carrying the newest position, on the
  unreliable channel; once the cursor rests, the last update is sent again on
  the reliable channel so the final position cannot be lost.
- Every other change goes out at once on the reliable channel.
- Status follows input: ``idle`` after ``idle_after`` seconds without input,
  ``away`` after ``away_after``, ``active`` again on the next input.
- A remote peer owns the first awareness client id it sends and nothing else;
  an entry that claims another peer's client id or carries an invalid state is
  rejected on its own and changes nothing.
- A remote peer not heard from for ``timeout`` seconds is dropped; the local
  state is re-sent every ``timeout / 2`` so others do not drop this one.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from types import EllipsisType
from typing import Any, Final, Literal

import msgspec
from msgspec.structs import replace
from pycrdt import Doc

from .awareness import PresenceAwareness
from .clock import Cancellable, Scheduler, running_loop
from .colors import pick_color
from .config import PresenceConfig
from .events import Origin, PresenceChange, Rejection, Send
from .state import (
    Cursor,
    Decoded,
    InvalidState,
    PresenceState,
    Status,
    User,
    check_cursor,
    decode_state_object,
    parse_selection,
    parse_status,
    parse_user,
)
from .wire import Entry, WireError, decode_update

__all__ = ["MAX_RETIRED_CLIENTS", "PeerPresence", "Presence"]

logger = logging.getLogger(__name__)

MAX_RETIRED_CLIENTS = 1024
"""Client ids no peer owns any more whose clock the awareness keeps.

The clock keeps a late copy of a retired client's update from bringing its
state back. The awareness would keep it for every client id it ever saw, and
a hostile peer can name up to 64 new ones in each update: past this many,
the oldest retired clocks go."""


@dataclass(frozen=True, slots=True)
class PeerPresence:
    """A peer as the local view shows it.

    ``heard_at`` is the scheduler time of the last valid update from that
    peer (``None`` for the local peer).
    """

    peer_id: str
    client_id: int
    state: PresenceState
    local: bool
    heard_at: float | None


@dataclass(slots=True)
class _Remote:
    client_id: int
    decoded: Decoded
    heard_at: float

    @property
    def state(self) -> PresenceState:
        return self.decoded.state


class Presence:
    """The local peer's presence and its view of everyone else's.

    Nothing is sent before :meth:`start`; after :meth:`leave` the local
    setters raise ``RuntimeError`` and received updates are ignored.
    """

    def __init__(
        self,
        peer_id: str,
        config: PresenceConfig,
        send: Send,
        *,
        scheduler: Scheduler | None = None,
        wall_clock: Callable[[], float] = time.time,
        doc: Doc[Any] | None = None,
    ) -> None:
        self.peer_id = peer_id
        self.config = config
        self._send = send
        self._scheduler: Scheduler = scheduler or running_loop()
        self._wall_clock = wall_clock
        self._awareness = PresenceAwareness(
            doc or Doc(), outdated_timeout=round(config.timeout * 1000)
        )
        self._listeners: list[Callable[[PresenceChange], None]] = []
        self._remotes: dict[str, _Remote] = {}
        self._owners: dict[int, str] = {}
        self._retired: dict[int, None] = {}  # oldest first
        now = self._scheduler.time()
        self._last_input = now
        self._state = PresenceState(
            user=User(config.name, (config.color or pick_color(peer_id, ())).lower()),
            last_seen=self._wall_ms(),
        )
        self._phase: Literal["new", "running", "left"] = "new"
        self._published_at = -math.inf
        self._last_update = b""
        self._last_reliable = True
        self._cursor_dirty = False
        self._timers: dict[str, Cancellable] = {}

    # -- the local peer ------------------------------------------------------

    @property
    def client_id(self) -> int:
        """The awareness client id of the local peer."""
        return self._awareness.client_id

    @property
    def awareness(self) -> PresenceAwareness:
        """The underlying awareness; read it, but change state only through this class."""
        return self._awareness

    def start(self) -> None:
        """Publish the local state and start the timers."""
        if self._phase != "new":
            raise RuntimeError(f"presence already {self._phase}")
        self._phase = "running"
        if self.config.color is None:
            # Peers already known were here first: take a color none of them shows.
            taken = [remote.state.user.color for remote in self._remotes.values()]
            color = pick_color(self.peer_id, taken)
            self._state = replace(self._state, user=User(self._state.user.name, color))
        self._publish(reliable=True)
        self._arm("status", self._status_due(), self._on_status_timer)
        self._arm("housekeeping", self.config.timeout / 10, self._on_housekeeping)

    def set_cursor(self, x: float, y: float, component: str | None = None) -> None:
        """Move the local cursor (counts as input); sent throttled."""
        cursor = check_cursor(x, y, component)
        self._check_open()
        if self._input(cursor):
            self._publish(reliable=True)
        else:
            self._cursor_dirty = True
            self._flush_cursor()

    def clear_cursor(self) -> None:
        """Hide the local cursor (the pointer left the canvas)."""
        self._check_open()
        if self._state.cursor is not None:
            self._state = replace(self._state, cursor=None)
            self._publish(reliable=True)

    def set_selection(self, component_ids: list[str] | tuple[str, ...]) -> None:
        """Replace the local selection (counts as input); duplicates are dropped."""
        selection = tuple(dict.fromkeys(parse_selection(component_ids)))
        self._check_open()
        self._input()
        self._state = replace(self._state, selection=selection)
        self._publish(reliable=True)

    def set_status(self, status: Status) -> None:
        """Set the status by hand; ``active`` counts as input, the others last until input."""
        parse_status(status)
        self._check_open()
        if status == "active":
            self.touch()
        elif status != self._state.status:
            self._state = replace(self._state, status=status)
            self._publish(reliable=True)

    def set_name(self, name: str) -> None:
        """Change the display name."""
        user = parse_user({"name": name, "color": self._state.user.color})
        self._check_open()
        self._state = replace(self._state, user=user)
        self._publish(reliable=True)

    def touch(self) -> None:
        """Record input (a key press, a click); sends only if it ends idle or away."""
        self._check_open()
        if self._input():
            self._publish(reliable=True)

    def republish(self) -> None:
        """Send the local state again, reliably and with a new clock.

        For a peer that just connected: one that dropped this peer earlier
        (its link failed) still holds the old clock and would ignore a copy.
        """
        self._check_open()
        self._publish(reliable=True)

    def leave(self) -> None:
        """Send the explicit removal of the local state and stop; idempotent."""
        if self._phase == "left":
            return
        started = self._phase == "running"
        self._phase = "left"
        for timer in self._timers.values():
            timer.cancel()
        self._timers.clear()
        if started:
            self._awareness.set_local_state(None)
            self._send(self._awareness.encode_awareness_update([self.client_id]), True)
            self._emit(PresenceChange((), (), (self.peer_id,), "local"))

    # -- the view ------------------------------------------------------------

    def states(self) -> dict[str, PeerPresence]:
        """Every peer with a state, the local one included, by peer id."""
        view = {
            peer: PeerPresence(peer, remote.client_id, remote.state, False, remote.heard_at)
            for peer, remote in self._remotes.items()
        }
        if self._phase != "left":
            view[self.peer_id] = PeerPresence(self.peer_id, self.client_id, self._state, True, None)
        return view

    def state_of(self, peer_id: str) -> PresenceState | None:
        """One peer's state (the local one included), without building :meth:`states`."""
        remote = self._remotes.get(peer_id)
        if remote is not None:
            return remote.decoded.state
        if peer_id == self.peer_id and self._phase != "left":
            return self._state
        return None

    def subscribe(self, listener: Callable[[PresenceChange], None]) -> Callable[[], None]:
        """Call ``listener`` on every change; returns the function that unsubscribes."""
        self._listeners.append(listener)
        return lambda: self._listeners.remove(listener)

    # -- remote peers --------------------------------------------------------

    def receive(self, sender: str, data: bytes) -> list[Rejection]:
        """Apply an awareness update that ``sender`` sent; return what was refused.

        Each entry is judged on its own: a refused entry changes nothing, and
        the entries around it still apply.
        """
        if self._phase == "left":
            return []
        try:
            entries = decode_update(data)
        except WireError as exc:
            return [Rejection(sender, None, str(exc))]
        before = self._remotes.get(sender)
        before_state = None if before is None else before.decoded.state
        rejections = []
        for entry in entries:
            reason = self._apply(sender, entry)
            if reason is not None:
                rejections.append(Rejection(sender, entry.client_id, reason))
        after = self._remotes.get(sender)
        after_state = None if after is None else after.decoded.state
        # Identity first: a stale copy leaves the very same object in place.
        if before_state is not after_state and before_state != after_state:
            added = (sender,) if before_state is None else ()
            removed = (sender,) if after_state is None else ()
            updated = (sender,) if not (added or removed) else ()
            self._emit(PresenceChange(added, updated, removed, "remote"))
            if after_state is not None:
                self._resolve_color(sender, after_state)
        return rejections

    def forget_peer(self, peer_id: str) -> None:
        """Drop a peer at once, when the session knows it is gone."""
        self._drop([peer_id], "disconnect")

    # -- internals -----------------------------------------------------------

    def _apply(self, sender: str, entry: Entry) -> str | None:
        client_id = entry.client_id
        if client_id == self._awareness.client_id:
            return "claims the local peer's client id"
        owner = self._owners.get(client_id)
        if owner is not None and owner != sender:
            return f"client id {client_id} belongs to another peer"
        leaving = entry.state == "null"
        if leaving and owner is None:
            return "removes a client id this peer does not own"
        now = self._scheduler.time()
        if not self._awareness.is_newer(client_id, entry.clock, leaving):
            # Stale (a late unordered copy): nothing to apply or validate, but
            # the peer is evidently alive.
            if owner is not None:
                self._remotes[sender].heard_at = now
            return None
        current = self._remotes.get(sender)
        if current is not None and current.client_id != client_id:
            current = None  # the peer restarted its awareness with a new client id
        decoded = None
        if not leaving:
            try:
                decoded = decode_state_object(
                    entry.state, None if current is None else current.decoded
                )
            except InvalidState as exc:
                return str(exc)
        if current is None and sender in self._remotes:
            self._forget_client(self._remotes[sender].client_id, sender)
        # Checked above: the awareness takes the text as it is.
        self._awareness.apply_checked(
            client_id, entry.clock, None if leaving else entry.state, sender
        )
        if decoded is None:
            self._forget_client(client_id, sender)
        elif current is not None:
            current.decoded = decoded
            current.heard_at = now
        else:
            self._owners[client_id] = sender
            self._remotes[sender] = _Remote(client_id, decoded, now)
        return None

    def _forget_client(self, client_id: int, peer_id: str) -> None:
        self._awareness.remove_awareness_states([client_id], peer_id)
        del self._owners[client_id]
        self._remotes.pop(peer_id, None)
        retired = self._retired
        retired.pop(client_id, None)
        retired[client_id] = None
        if len(retired) > MAX_RETIRED_CLIENTS:
            oldest = next(iter(retired))
            del retired[oldest]
            if oldest not in self._owners:  # owned again since: its clock is in use
                self._awareness.forget_clock(oldest)

    def _drop(self, peer_ids: list[str], origin: Origin) -> None:
        gone = [peer for peer in peer_ids if peer in self._remotes]
        for peer in gone:
            self._forget_client(self._remotes[peer].client_id, peer)
        if gone:
            self._emit(PresenceChange((), (), tuple(gone), origin))

    def _resolve_color(self, sender: str, remote: PresenceState) -> None:
        # Two peers on one color: the smaller peer id keeps it, so the two
        # sides agree on who moves without talking about it.
        if self.config.color is not None or self._phase != "running":
            return
        mine = self._state.user.color
        if remote.user.color != mine or sender > self.peer_id:
            return
        taken = [r.state.user.color for r in self._remotes.values()]
        color = pick_color(self.peer_id, taken)
        if color != mine:
            self._state = replace(self._state, user=User(self._state.user.name, color))
            self._publish(reliable=True)

    def _input(self, cursor: Cursor | EllipsisType | None = ...) -> bool:
        """Record input; True when it woke the peer from idle or away.

        A move passes its new ``cursor`` here, so that it builds one new state
        rather than two (``...`` keeps the cursor as it is).
        """
        self._last_input = self._scheduler.time()
        s = self._state
        self._state = PresenceState(
            s.user,
            s.cursor if cursor is ... else cursor,
            s.selection,
            "active",
            self._wall_ms(),
        )
        if s.status == "active":
            return False
        if self._phase == "running":
            self._arm("status", self._status_due(), self._on_status_timer)
        return True

    def _publish(self, *, reliable: bool, slot: float | None = None) -> None:
        """Send the local state; ``slot`` is the throttle slot it fills (default: now)."""
        self._cursor_dirty = False
        if self._phase != "running":
            return
        state = self._state
        self._last_update = self._awareness.publish(_encode(state), state.to_json)
        self._last_reliable = reliable
        self._published_at = self._scheduler.time() if slot is None else slot
        self._send(self._last_update, reliable)
        self._emit(PresenceChange((), (self.peer_id,), (), "local"))
        if not reliable and "rest" not in self._timers:
            # One watch for the whole movement, not a timer per update: it
            # looks again when it fires (see _on_rest_timer).
            self._arm("rest", self._rest_due(), self._on_rest_timer)

    def _flush_cursor(self) -> None:
        if self._phase != "running":
            return
        if self._published_at + self.config.cursor_interval <= self._scheduler.time():
            # The slot is due: send now, in that slot (a timer still pending
            # for it is late, a busy loop; it has nothing left to do).
            self._cancel("cursor")
            self._publish(reliable=False, slot=self._slot())
        elif "cursor" not in self._timers:
            wait = self._published_at + self.config.cursor_interval - self._scheduler.time()
            self._arm("cursor", wait, self._on_cursor_timer)

    def _slot(self) -> float:
        """When the throttle slot being filled now began.

        It is the one due, not the moment the send runs: otherwise timer
        lateness and moves landing just after their slot add up, the slots
        drift behind moves that come at the cursor rate, and every position
        waits longer. A slot due a whole interval ago or more (the cursor
        rested, or the loop was blocked) is not filled: the send starts a
        new grid (a leading edge) rather than catch up with a burst.
        """
        due = self._published_at + self.config.cursor_interval
        now = self._scheduler.time()
        return due if now - due < self.config.cursor_interval else now

    def _on_cursor_timer(self) -> None:
        del self._timers["cursor"]
        if self._cursor_dirty:
            self._publish(reliable=False, slot=self._slot())

    def _rest_due(self) -> float:
        # Two intervals, not one: a pointer moving at about the throttle rate
        # often lands just after its slot, and must not cost a repeat every time.
        rest = self._published_at + 2 * self.config.cursor_interval
        return max(0.0, rest - self._scheduler.time())

    def _on_rest_timer(self) -> None:
        del self._timers["rest"]
        if self._last_reliable or self._phase != "running":
            return
        due = self._rest_due()
        if due > 0:
            self._arm("rest", due, self._on_rest_timer)  # it moved meanwhile
            return
        # The cursor rests: repeat the last update (same clock, so peers that
        # have it ignore it) where it cannot be lost.
        self._last_reliable = True
        self._send(self._last_update, True)

    def _status_due(self) -> float:
        after = self.config.idle_after if self._state.status == "active" else self.config.away_after
        return max(0.0, self._last_input + after - self._scheduler.time())

    def _on_status_timer(self) -> None:
        del self._timers["status"]
        idle_for = self._scheduler.time() - self._last_input
        status = self._state.status
        if idle_for >= self.config.away_after:
            status = "away"
        elif idle_for >= self.config.idle_after and status == "active":
            status = "idle"
        if status != self._state.status:
            self._state = replace(self._state, status=status)
            self._publish(reliable=True)
        if status != "away":
            self._arm("status", self._status_due(), self._on_status_timer)

    def _on_housekeeping(self) -> None:
        now = self._scheduler.time()
        silent = [
            peer
            for peer, remote in self._remotes.items()
            if now - remote.heard_at >= self.config.timeout
        ]
        self._drop(silent, "timeout")
        if now - self._published_at >= self.config.timeout / 2:
            self._publish(reliable=True)
        self._arm("housekeeping", self.config.timeout / 10, self._on_housekeeping)

    def _arm(self, name: str, delay: float, callback: Callable[[], None]) -> None:
        self._cancel(name)
        self._timers[name] = self._scheduler.call_later(delay, callback)

    def _cancel(self, name: str) -> bool:
        """Cancel a timer; True if it was pending."""
        timer = self._timers.pop(name, None)
        if timer is None:
            return False
        timer.cancel()
        return True

    def _check_open(self) -> None:
        if self._phase == "left":
            raise RuntimeError("presence has left")

    def _wall_ms(self) -> int:
        return round(self._wall_clock() * 1000)

    def _emit(self, change: PresenceChange) -> None:
        for listener in list(self._listeners):
            try:
                listener(change)
            except Exception:
                # A broken listener must not stop presence or the other listeners.
                logger.exception("presence listener failed on %r", change)


# Compact JSON straight from the typed state, in one compiled call.
_encode: Final = msgspec.json.Encoder().encode
