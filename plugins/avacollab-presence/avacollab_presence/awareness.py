"""pycrdt's ``Awareness`` with two shortcuts for states this plugin has checked itself.

``Awareness.apply_awareness_update`` parses every state's JSON, and
:class:`~.presence.Presence` has already parsed it once to validate it: a
second parse was a fifth of the cost of a received cursor move. And
``Awareness.set_local_state`` deep-copies the previous local state to compare
it with the new one, which costs more than encoding the update. Presence
never changes a state dict once it is handed over (it builds a new one for
each update), so neither the copy nor the second parse buys anything here.

The subclass keeps pycrdt's bookkeeping exactly (``states``, ``meta`` with
``clock`` and ``lastUpdated``, ``change`` and ``update`` events to observers),
so code that reads or observes the awareness sees what pycrdt would show.
"""

from __future__ import annotations

import json
from typing import Any, Final

from pycrdt import Awareness, Doc

from .wire import encode_uint

State = dict[str, Any]

# The separators pycrdt and Yjs use, so the bytes are theirs too; one encoder
# for every update (json.dumps builds a new one per call for these options).
_ENCODE: Final = json.JSONEncoder(separators=(",", ":")).encode


class PresenceAwareness(Awareness):
    """An ``Awareness`` that takes states already parsed and checked."""

    def __init__(self, ydoc: Doc[Any], *, outdated_timeout: int = 30000) -> None:
        super().__init__(ydoc, outdated_timeout=outdated_timeout)
        # The start of every update of the local state: one entry, our client id.
        self._header = encode_uint(1) + encode_uint(self.client_id)

    def publish(self, state: State) -> bytes:
        """Make ``state`` the local state with the next clock; return its encoded update.

        ``state`` must not be changed afterwards: the awareness keeps it as it is.
        The bytes are those ``encode_awareness_update([client_id])`` returns.
        """
        client_id = self.client_id
        meta = self._meta.get(client_id)
        clock = 0 if meta is None else meta["clock"] + 1
        previous = self._states.get(client_id)
        self._states[client_id] = state
        self._meta[client_id] = {"clock": clock, "lastUpdated": self._get_time()}
        if self._subscriptions:
            if previous is None:
                self._emit("change", [client_id], [], [], "local")
                self._emit("update", [client_id], [], [], "local")
            else:
                if previous != state:
                    self._emit("change", [], [client_id], [], "local")
                self._emit("update", [], [client_id], [], "local")
        raw = _ENCODE(state).encode()
        return b"".join((self._header, encode_uint(clock), encode_uint(len(raw)), raw))

    def is_newer(self, client_id: int, clock: int, removal: bool) -> bool:
        """Whether ``apply_awareness_update`` would apply this entry (y-protocols' clock rule)."""
        meta = self._meta.get(client_id)
        if meta is None:
            return True
        known: int = meta["clock"]
        return known < clock or (known == clock and removal and client_id in self._states)

    def apply_checked(self, client_id: int, clock: int, state: State | None, origin: Any) -> None:
        """Record a remote entry the caller has parsed, checked and found newer.

        The same change ``apply_awareness_update`` makes for such an entry
        (``None`` is a removal), without parsing its JSON again. The caller
        has applied the clock rule (:meth:`is_newer`); an entry for the local
        client id is not accepted here.
        """
        if client_id == self.client_id:
            raise ValueError("apply_checked takes remote client ids only")
        known = client_id in self._meta
        previous = self._states.get(client_id)
        if state is None:
            self._states.pop(client_id, None)
        else:
            self._states[client_id] = state
        self._meta[client_id] = {"clock": clock, "lastUpdated": self._get_time()}
        if not self._subscriptions:
            return
        if state is None:
            if known:
                self._emit("change", [], [], [client_id], origin)
                self._emit("update", [], [], [client_id], origin)
        elif not known:
            self._emit("change", [client_id], [], [], origin)
            self._emit("update", [client_id], [], [], origin)
        else:
            if state != previous:
                self._emit("change", [], [client_id], [], origin)
            self._emit("update", [], [client_id], [], origin)
