"""The ``editing`` entry point of the ``avacollab`` plugin group: the session hooks.

Plugins are modules shared by every session of a process, so the state of
each session lives in an :class:`~.session.EditingSession` kept in a weak
mapping keyed by the session object. docs/editing.md lists the topics,
options, commands and events.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from weakref import WeakKeyDictionary

from avacollab.bus import Handler
from avacollab.hookspecs import JoinCommand, Session, hookimpl

from .session import EditingSession

_sessions: WeakKeyDictionary[Any, EditingSession] = WeakKeyDictionary()


def editing_for(session: Session) -> EditingSession:
    """The editing state of a started session (``KeyError`` if it has none)."""
    return _sessions[session]


@hookimpl
def avacollab_session_started(session: Session) -> None:
    """Create the room's document; load ``editing.doc`` and its saved state if set."""
    _sessions[session] = EditingSession(session)


@hookimpl
def avacollab_bus_topics(session: Session) -> Mapping[str, Handler] | None:
    """``editing.sync``: y-protocols sync messages."""
    editing = _sessions.get(session)
    return None if editing is None else editing.topics()


@hookimpl
def avacollab_peer_connected(session: Session, peer_id: str) -> None:
    """Start syncing with the newcomer (sync step 1 both ways)."""
    editing = _sessions.get(session)
    if editing is not None:
        editing.peer_connected(peer_id)


@hookimpl
async def avacollab_session_closing(session: Session) -> None:
    """Save the ``editing.doc`` file and the CRDT state beside it."""
    editing = _sessions.pop(session, None)
    if editing is not None:
        await editing.close()


@hookimpl
def avacollab_join_commands(session: Session) -> list[JoinCommand] | None:
    """``/tree``, ``/add``, ``/set``, ``/unset``, ``/move``, ``/delete``, ``/undo``,
    ``/redo`` and ``/save``."""
    editing = _sessions.get(session)
    return None if editing is None else editing.commands()


@hookimpl
def avacollab_status(session: Session) -> list[str] | None:
    """``editing: 42 components, file design.json``."""
    editing = _sessions.get(session)
    return None if editing is None else [editing.status()]
