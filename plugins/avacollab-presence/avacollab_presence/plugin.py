"""The ``presence`` entry point of the ``avacollab`` plugin group: the session hooks.

The hooks are methods of :class:`PresencePlugin`, whose instance holds the
state of each session in a weak mapping keyed by the session object (several
sessions may run in one process). This module is the entry point, so it
exposes the hooks of a default instance as module functions; a test or an
embedding program may register its own instance instead, with a hand-driven
clock. docs/presence.md lists the topic, options, commands and events.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from typing import Any
from weakref import WeakKeyDictionary

from avacollab.bus import Handler
from avacollab.hookspecs import JoinCommand, Session, hookimpl

from .presence import Scheduler
from .session import PresenceSession


class PresencePlugin:
    """The presence hooks; ``scheduler`` defaults to the running event loop."""

    def __init__(
        self, *, scheduler: Scheduler | None = None, wall_clock: Callable[[], float] = time.time
    ) -> None:
        self.scheduler = scheduler
        self.wall_clock = wall_clock
        self._sessions: WeakKeyDictionary[Any, PresenceSession] = WeakKeyDictionary()

    def presence_for(self, session: Session) -> PresenceSession:
        """The presence state of a started session (``KeyError`` if it has none)."""
        return self._sessions[session]

    @hookimpl
    def avacollab_session_started(self, session: Session) -> None:
        """Publish our state; read the ``presence.*`` options."""
        self._sessions[session] = PresenceSession(
            session, scheduler=self.scheduler, wall_clock=self.wall_clock
        )

    @hookimpl
    def avacollab_bus_topics(self, session: Session) -> Mapping[str, Handler] | None:
        """``presence.update``: awareness updates."""
        presence = self._sessions.get(session)
        return None if presence is None else presence.topics()

    @hookimpl
    def avacollab_peer_connected(self, session: Session, peer_id: str) -> None:
        """Send our state, so the newcomer sees us at once."""
        presence = self._sessions.get(session)
        if presence is not None:
            presence.peer_connected(peer_id)

    @hookimpl
    def avacollab_peer_left(self, session: Session, peer_id: str) -> None:
        """Drop the peer at once, whatever the reason."""
        presence = self._sessions.get(session)
        if presence is not None:
            presence.peer_left(peer_id)

    @hookimpl
    async def avacollab_session_closing(self, session: Session) -> None:
        """Announce leaving (an explicit removal, sent reliably)."""
        presence = self._sessions.pop(session, None)
        if presence is not None:
            await presence.close()

    @hookimpl
    def avacollab_join_commands(self, session: Session) -> list[JoinCommand] | None:
        """``/presence``, ``/status``, ``/cursor`` and ``/select``."""
        presence = self._sessions.get(session)
        return None if presence is None else presence.commands()

    @hookimpl
    def avacollab_status(self, session: Session) -> list[str] | None:
        """``presence: 3 here (2 active, 1 idle)``."""
        presence = self._sessions.get(session)
        return None if presence is None else [presence.status()]


default = PresencePlugin()
"""The instance behind the module-level hooks that the entry point loads."""

presence_for = default.presence_for
avacollab_session_started = default.avacollab_session_started
avacollab_bus_topics = default.avacollab_bus_topics
avacollab_peer_connected = default.avacollab_peer_connected
avacollab_peer_left = default.avacollab_peer_left
avacollab_session_closing = default.avacollab_session_closing
avacollab_join_commands = default.avacollab_join_commands
avacollab_status = default.avacollab_status
