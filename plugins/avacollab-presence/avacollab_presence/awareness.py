"""pycrdt's ``Awareness`` with shortcuts for states this plugin has checked itself.

``Awareness.apply_awareness_update`` parses every state's JSON, and
:class:`~.presence.Presence` has already checked it: a second parse was a
fifth of the cost of a received cursor move. ``Awareness.set_local_state``
deep-copies the previous local state to compare it with the new one, which
costs more than encoding the update. And most of the time nobody reads a
state as a JSON object at all: cursor moves arrive 20 times a second from
every peer, and the plugin works from its own typed view of each state.

So this subclass keeps each state as it came (the received JSON text, or the
local state's typed value) and builds the JSON object the first time anything
reads it, through ``states`` or any of pycrdt's own methods (they all read
``_states``, which is a property here). With observers attached the objects
are built at once, since the change events compare old and new states.

The subclass keeps pycrdt's bookkeeping exactly (``states``, ``meta`` with
``clock`` and ``lastUpdated``, ``change`` and ``update`` events to observers),
so code that reads or observes the awareness sees what pycrdt would show.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any

from pycrdt import Awareness, Doc

from avacollab.internals import require_attributes, require_uses

from .state import json_object
from .wire import encode_uint

State = dict[str, Any]


def check_pycrdt() -> None:
    """Raise ``DependencyError`` unless pycrdt's ``Awareness`` has the private parts used here.

    Run when the module is imported. The subclass replaces the ``_states``
    dict that pycrdt's ``__init__`` assigns and its ``states`` reads (were
    they renamed, the replacement would be bypassed without a sound), and
    keeps pycrdt's ``_meta``, ``_subscriptions``, ``_emit`` and ``_get_time``.
    """
    names = ["_states", "_meta", "_subscriptions"]
    require_uses("avacollab-presence", "pycrdt", Awareness, "__init__", names)
    require_uses("avacollab-presence", "pycrdt", Awareness, "states", ["_states"])
    methods = ["_emit", "_get_time"]
    require_attributes("avacollab-presence", "pycrdt", Awareness, methods, "Awareness")


check_pycrdt()


class PresenceAwareness(Awareness):
    """An ``Awareness`` that takes states already checked, and parses them when read."""

    def __init__(self, ydoc: Doc[Any], *, outdated_timeout: int = 30000) -> None:
        # Before pycrdt's __init__, which assigns _states and publishes {}.
        self._built: dict[int, State] = {}
        self._unbuilt: dict[int, Callable[[], State]] = {}
        super().__init__(ydoc, outdated_timeout=outdated_timeout)
        # The start of every update of the local state: one entry, our client id.
        self._header = encode_uint(1) + encode_uint(self.client_id)

    @property
    def _states(self) -> dict[int, State]:
        """Every state as a JSON object, built now for those not read before."""
        unbuilt = self._unbuilt
        if unbuilt:
            built = self._built
            for client_id, build in unbuilt.items():
                built[client_id] = build()
            unbuilt.clear()
        return self._built

    @_states.setter
    def _states(self, states: dict[int, State]) -> None:
        self._built = states
        self._unbuilt.clear()

    def publish(self, encoded: bytes, build: Callable[[], State]) -> bytes:
        """Make a new local state with the next clock; return its encoded update.

        ``encoded`` is the state as UTF-8 JSON, ``build`` returns it as a JSON
        object when something reads it (a new object each call). The update's
        bytes are those ``encode_awareness_update([client_id])`` returns for it.
        """
        client_id = self.client_id
        meta = self._meta.get(client_id)
        clock = 0 if meta is None else meta["clock"] + 1
        self._meta[client_id] = {"clock": clock, "lastUpdated": self._get_time()}
        self._store(client_id, build, "local", new=meta is None)
        return b"".join((self._header, encode_uint(clock), encode_uint(len(encoded)), encoded))

    def is_newer(self, client_id: int, clock: int, removal: bool) -> bool:
        """Whether ``apply_awareness_update`` would apply this entry (y-protocols' clock rule)."""
        meta = self._meta.get(client_id)
        if meta is None:
            return True
        known: int = meta["clock"]
        return known < clock or (
            known == clock and removal and (client_id in self._built or client_id in self._unbuilt)
        )

    def forget_clock(self, client_id: int) -> None:
        """Drop what is known of a remote client id that has no state any more."""
        if client_id == self.client_id or client_id in self._built or client_id in self._unbuilt:
            raise ValueError("forget_clock takes remote client ids without a state only")
        self._meta.pop(client_id, None)

    def apply_checked(self, client_id: int, clock: int, text: str | None, origin: Any) -> None:
        """Record a remote entry the caller has checked and found newer.

        ``text`` is the state's JSON text, ``None`` a removal: the same change
        ``apply_awareness_update`` makes for such an entry, the JSON parsed only
        when read. The caller has applied the clock rule (:meth:`is_newer`); an
        entry for the local client id is not accepted here.
        """
        if client_id == self.client_id:
            raise ValueError("apply_checked takes remote client ids only")
        known = client_id in self._meta
        self._meta[client_id] = {"clock": clock, "lastUpdated": self._get_time()}
        if text is not None:
            self._store(client_id, partial(json_object, text), origin, new=not known)
            return
        self._built.pop(client_id, None)
        self._unbuilt.pop(client_id, None)
        if known and self._subscriptions:
            self._emit("change", [], [], [client_id], origin)
            self._emit("update", [], [], [client_id], origin)

    def _store(self, client_id: int, build: Callable[[], State], origin: Any, *, new: bool) -> None:
        if not self._subscriptions:  # nobody compares states: build one only if read
            self._built.pop(client_id, None)
            self._unbuilt[client_id] = build
            return
        # Observers compare the old state with the new: build both now.
        previous = self._states.get(client_id)
        state = build()
        self._built[client_id] = state
        # pycrdt's rule: "added" for a client id never seen, else "updated" if it differs.
        if new:
            self._emit("change", [client_id], [], [], origin)
            self._emit("update", [client_id], [], [], origin)
        else:
            if state != previous:
                self._emit("change", [], [client_id], [], origin)
            self._emit("update", [], [client_id], [], origin)
