"""The hooks every avacollab feature is built on (pluggy, project name ``avacollab``).

A plugin is a module (or object) with functions marked ``@hookimpl`` whose
names match the specs below; it is found through the ``avacollab`` entry-point
group. Every argument is optional in an implementation: declare only the ones
you use. Hooks that say *may return an awaitable* are awaited by the session
when the implementation is a coroutine function, so plugins can do I/O there.

The session object handed to the hooks is described by :class:`Session`, a
protocol, so plugins depend on what they may use and not on the session's
internals. See docs/plugins.md for examples of every hook.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

import pluggy

if TYPE_CHECKING:
    import typer

    from .bus.core import Bus, Handler

PROJECT = "avacollab"
"""The pluggy project name and the entry-point group plugins register under."""

hookspec = pluggy.HookspecMarker(PROJECT)
hookimpl = pluggy.HookimplMarker(PROJECT)


class Session(Protocol):
    """What a plugin may use of a running ``avacollab join`` session."""

    @property
    def room(self) -> str:
        """The room joined."""
        ...

    @property
    def peer_id(self) -> str:
        """This peer's id, assigned by the signaling server."""
        ...

    @property
    def name(self) -> str:
        """This peer's display name (may be empty)."""
        ...

    @property
    def bus(self) -> Bus:
        """The data-channel bus shared with every connected peer."""
        ...

    @property
    def peers(self) -> Mapping[str, str]:
        """Members of the room other than us: peer id to display name."""
        ...

    @property
    def options(self) -> Mapping[str, str]:
        """Plugin options from ``join --set NAME=VALUE`` and the config file,
        keyed ``plugin.option`` (for example ``editing.doc``)."""
        ...

    def emit(self, event: str, **fields: Any) -> None:
        """Report an event: one line in ``--events jsonl``, and the log.

        Plugin events should be named ``plugin.event`` (``editing.saved``).
        """
        ...

    def wants(self, event: str) -> bool:
        """Whether an ``event`` without a ``text`` or ``error`` field would reach anyone.

        False when nothing records events (``join`` without ``--events``):
        a plugin may then skip building a frequent event such as
        ``presence.updated``. The terminal prints events with a ``text`` or
        ``error`` field whatever this says, so emit those regardless.
        """
        ...

    def renegotiate(self, peer_id: str) -> None:
        """Ask for a new offer/answer with ``peer_id`` (after tracks changed).

        Safe on either side of a pair: the answering side asks the offering
        side over the bus, because aiortc cannot roll back a crossed offer.
        """
        ...


@dataclass(frozen=True, slots=True)
class JoinCommand:
    """An interactive command typed in a ``join`` terminal, like ``/who``."""

    name: str
    """Typed as ``/name``; lowercase letters, digits and dashes."""
    help: str
    """One line shown by ``/help``."""
    run: Callable[[str], Awaitable[str | None] | str | None]
    """Called with the rest of the line; what it returns is printed."""


class AvacollabSpec:
    """The hook specifications (documentation lives here and in docs/plugins.md).

    None of them is ``firstresult``: every hook gathers a contribution from
    each plugin (commands, topics, tracks, status lines), or notifies every
    plugin, so one plugin must never silence another. None is ``historic``
    either: plugins are all registered before the CLI or a session calls a
    hook, so there is no late registration to replay calls to.
    """

    @hookspec
    def avacollab_add_commands(self, app: typer.Typer) -> None:
        """Add top-level CLI commands to ``app``: ``app.command()(my_function)``.

        Called once when the ``avacollab`` CLI starts, for every loaded plugin,
        before the command line is parsed. Neither firstresult nor historic.
        """

    @hookspec
    def avacollab_session_started(self, session: Session) -> Awaitable[None] | None:
        """The session has joined its room and the bus exists (no peers yet).

        Set up per-session plugin state here. Called once per session, before
        any other session hook. May return an awaitable, which is awaited
        before the session goes on. Raise (``ValueError`` with a message that
        says what to fix) when the plugin cannot work, e.g. a bad option: the
        session then does not start (:class:`avacollab.peer.session.PluginStartError`)
        and ``join`` exits with status 2. Neither firstresult nor historic.
        """

    @hookspec
    def avacollab_bus_topics(self, session: Session) -> Mapping[str, Handler] | None:
        """Bus topics this plugin handles: ``{"plugin.event": handler}``.

        Called once, right after :meth:`avacollab_session_started`; the
        session subscribes each handler (sync or async, receiving a
        :class:`avacollab.bus.Message`). Messages on topics nobody registered
        are dropped quietly, so peers running other plugins do not disturb us.
        Neither firstresult nor historic: every plugin's topics are subscribed.
        """

    @hookspec
    def avacollab_peer_joined(
        self, session: Session, peer_id: str, name: str
    ) -> Awaitable[None] | None:
        """A peer with display ``name`` is in the room; the direct connection is not up yet.

        Called once per newcomer (and for each member already there when we
        join). Messages cannot reach ``peer_id`` yet: wait for
        :meth:`avacollab_peer_connected`. May return an awaitable. Neither
        firstresult nor historic.
        """

    @hookspec
    def avacollab_peer_connected(self, session: Session, peer_id: str) -> Awaitable[None] | None:
        """The bus to ``peer_id`` is open: messages ``to=peer_id`` now arrive.

        This is where state is sent to a newcomer (a document, our presence).
        Also called again when a failed connection to the same peer was
        replaced by a new one. May return an awaitable. Neither firstresult
        nor historic.
        """

    @hookspec
    def avacollab_peer_left(
        self, session: Session, peer_id: str, reason: str
    ) -> Awaitable[None] | None:
        """``peer_id`` is gone (``reason``: ``left``, ``timeout`` or ``failed``).

        ``left`` is a clean goodbye; ``timeout`` and ``failed`` mean the link
        died, and the peer may come back (then :meth:`avacollab_peer_connected`
        is called again). May return an awaitable. Neither firstresult nor
        historic.
        """

    @hookspec
    def avacollab_session_closing(self, session: Session) -> Awaitable[None] | None:
        """The session is about to leave (Ctrl-C, ``/quit``): save, say goodbye.

        The bus still works here; messages published now are flushed before the
        connections close. May return an awaitable. Neither firstresult nor
        historic.
        """

    @hookspec
    def avacollab_media_tracks(self, session: Session, peer_id: str) -> Sequence[Any] | None:
        """aiortc ``MediaStreamTrack`` objects to send to ``peer_id``.

        Asked whenever a connection to ``peer_id`` is made or renegotiated; the
        session sends the union of every plugin's tracks. To start or stop
        sending later, change what this returns and call
        :meth:`Session.renegotiate`. Neither firstresult nor historic.
        """

    @hookspec
    def avacollab_track_received(
        self, session: Session, peer_id: str, track: Any
    ) -> Awaitable[None] | None:
        """``peer_id`` sent us a media ``track`` (aiortc ``MediaStreamTrack``).

        Every plugin sees every track; check ``track.kind`` (``audio`` or
        ``video``). May return an awaitable. Neither firstresult nor historic.
        """

    @hookspec
    def avacollab_join_commands(self, session: Session) -> Sequence[JoinCommand] | None:
        """Interactive commands this plugin adds to the ``join`` terminal.

        Asked once the session has started. Command names must be unique
        across plugins (see :func:`avacollab.plugins.join_commands`). Neither
        firstresult nor historic.
        """

    @hookspec
    def avacollab_status(self, session: Session) -> Sequence[str] | None:
        """Short lines for the ``join`` status display (``"editing: 42 components"``).

        Asked each time ``join`` shows the status (``/links``), so keep it
        cheap. Neither firstresult nor historic.
        """


__all__ = ["PROJECT", "AvacollabSpec", "JoinCommand", "Session", "hookimpl", "hookspec"]
