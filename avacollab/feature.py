"""What a plugin adds to each session: a :class:`Feature`, its :class:`Option` s and commands.

A plugin registers feature classes once per process (the hook
``avacollab_register_features`` in :mod:`avacollab.hookspecs`); every session
then makes one instance of each, so a feature keeps its per-session state in
plain attributes. The session hands it what it may use, described by
:class:`Session` (a protocol: plugins depend on what they may use and not on
the session's internals), and the feature's option values, parsed and checked
before the session even connects. docs/plugins.md shows every method in use.
"""

from __future__ import annotations

import math
import re
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar, Protocol

if TYPE_CHECKING:
    from .bus import Bus, Handler

__all__ = ["OPTION_TYPES", "Feature", "JoinCommand", "Option", "Session", "check_feature"]

OPTION_TYPES: tuple[type, ...] = (str, int, float, bool, Path)
"""The types an :class:`Option` may have."""

NAME_RE = re.compile(r"^[a-z][a-z0-9_-]*$")
"""Feature and option names: lowercase letters, digits, ``_`` and ``-``, a letter first."""
RESERVED = frozenset({"session"})
"""Feature names taken by the core: the session's own bus topics are ``session.*``."""

_TRUE = ("on", "true", "yes", "1")
_FALSE = ("off", "false", "no", "0")


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
        The terminal prints an event with an ``error`` field as an error, one
        with a ``note`` field (what another peer did, in a few words: ``bob
        started sharing x11``) as a status line, and one with a ``text`` field
        (with ``peer``) as chat; any other event goes to ``--events`` only.
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


@dataclass(frozen=True, slots=True)
class Option:
    """One option of a feature, set with ``join --set FEATURE.NAME=VALUE``."""

    name: str
    """The part after ``FEATURE.``; lowercase letters, digits, ``_`` and ``-``."""
    type: type = str
    """``str``, ``int``, ``float``, ``bool`` (on/off, true/false, yes/no, 1/0) or ``Path``."""
    default: Any = None
    """The value when the option is not set, or set to an empty string (``check``
    refines it too, unless it is ``None``)."""
    help: str = ""
    """One line for ``avacollab plugins --options``."""
    check: Callable[[Any], Any] | None = None
    """Called with the converted value (or the default); returns the value to use
    (the same or a refined one) or raises ``ValueError`` saying what is wrong."""

    def __post_init__(self) -> None:
        if not NAME_RE.match(self.name):
            raise ValueError(
                f"invalid option name {self.name!r} (lowercase letters, digits, _ and -)"
            )
        if self.type not in OPTION_TYPES:
            raise ValueError(f"option {self.name!r}: type must be str, int, float, bool or Path")

    def parse(self, text: str) -> Any:
        """The value of ``--set FEATURE.NAME=text`` (``""``: the default); ``ValueError``."""
        value = self._convert(text.strip()) if text.strip() else self.default
        return value if self.check is None or value is None else self.check(value)

    def _convert(self, text: str) -> Any:
        if self.type is bool:
            if text.lower() in _TRUE:
                return True
            if text.lower() in _FALSE:
                return False
            raise ValueError("expected on or off")
        if self.type is int:
            try:
                return int(text)
            except ValueError:
                raise ValueError("expected a whole number") from None
        if self.type is float:
            try:
                number = float(text)
            except ValueError:
                number = math.nan
            if not math.isfinite(number):
                raise ValueError("expected a number")
            return number
        if self.type is Path:
            return Path(text).expanduser()
        return text


class Feature:
    """One plugin feature in one session; subclass it and override what you need.

    The session makes one instance per session, calls :meth:`start`,
    subscribes :meth:`topics` and collects :meth:`commands`, then calls the
    event methods as peers come and go, and :meth:`close` when it leaves.
    Every method has a default that does nothing.
    """

    name: ClassVar[str]
    """The feature's name: the prefix of its options (``--set name.option``),
    of its bus topics and of its events; shown by ``avacollab plugins``."""
    options: ClassVar[Sequence[Option]] = ()
    """The options this feature takes; any other ``--set name.x`` is refused."""

    @classmethod
    def check_options(cls, config: Mapping[str, Any]) -> None:
        """Check options against each other (each alone is checked by its ``Option``).

        Called with every option's value before the session connects; raise
        ``ValueError`` saying what to change (``away_after must be longer than
        idle_after``), so a peer never joins only to fail in :meth:`start`.
        """

    def __init__(self, session: Session, config: Mapping[str, Any]) -> None:
        """Keep ``session`` and ``config`` (every option's value, by option name)."""
        self.session = session
        """The session this instance belongs to."""
        self.config = config
        """Every declared option's value, by option name: parsed and checked."""

    async def start(self) -> None:
        """Set up: open files, start tasks. The session has joined; no peer is connected yet.

        Raise ``ValueError`` with a message that says what to fix when the
        feature cannot work: the session then does not start
        (``PluginStartError``) and ``join`` exits with status 2. When this
        raises, :meth:`close` is not called.
        """

    def topics(self) -> Mapping[str, Handler]:
        """Bus topics this feature handles: ``{"name.event": handler}``.

        Asked once, right after :meth:`start`; every topic must start with
        the feature's name and a dot. A handler receives an
        :class:`avacollab.bus.Message` and may be ``async``.
        """
        return {}

    def commands(self) -> Sequence[JoinCommand]:
        """Interactive commands this feature adds to the ``join`` terminal.

        Asked once, right after :meth:`topics`. Names must be unique across
        every feature of the session.
        """
        return ()

    def peer_joined(self, peer_id: str, name: str) -> Awaitable[None] | None:
        """A peer with display ``name`` is in the room; the direct connection is not up yet.

        Called once per newcomer (and for each member already there when we
        join). Messages cannot reach ``peer_id`` until :meth:`peer_connected`.
        May return an awaitable.
        """
        return None

    def peer_connected(self, peer_id: str) -> Awaitable[None] | None:
        """The bus to ``peer_id`` is open: messages ``to=peer_id`` now arrive.

        This is where state is sent to a newcomer. Called again when a failed
        connection to the same peer was replaced by a new one. May return an
        awaitable.
        """
        return None

    def peer_left(self, peer_id: str, reason: str) -> Awaitable[None] | None:
        """``peer_id`` is gone (``reason``: ``left``, ``timeout`` or ``failed``).

        ``left`` is a clean goodbye; after ``timeout`` or ``failed`` the peer
        may come back (then :meth:`peer_connected` is called again). May
        return an awaitable.
        """
        return None

    def media_tracks(self, peer_id: str) -> Sequence[Any]:
        """aiortc ``MediaStreamTrack`` objects to send to ``peer_id``.

        Asked whenever a connection to ``peer_id`` is made or renegotiated;
        the session sends the union of every feature's tracks. To start or
        stop sending, change what this returns and call
        ``session.renegotiate(peer_id)``.
        """
        return ()

    def track_received(self, peer_id: str, track: Any) -> Awaitable[None] | None:
        """``peer_id`` sent us a media ``track`` (aiortc ``MediaStreamTrack``).

        Every feature sees every track: check ``track.kind`` (``audio`` or
        ``video``). May return an awaitable.
        """
        return None

    def status(self) -> Sequence[str]:
        """Short lines for the ``join`` status display (``/links``); keep it cheap."""
        return ()

    def peer_color(self, peer_id: str) -> str | None:
        """The ``#rrggbb`` colour people know ``peer_id`` by (this peer's own id too),
        or ``None`` when this feature gives none.

        The ``join`` terminal draws each person's name in it; the first
        feature (in load order) that answers wins, and an answer that is not
        ``#rrggbb`` is ignored. Asked for every line printed: keep it cheap.
        """
        return None

    async def close(self) -> None:
        """The session is leaving: save, say goodbye. The bus still works here.

        Called once, for a feature whose :meth:`start` returned; messages
        published now are flushed before the connections close.
        """


def check_feature(cls: object) -> type[Feature]:
    """``cls`` as a feature class; ``ValueError`` if it is none or its name or options are bad."""
    if not isinstance(cls, type) or not issubclass(cls, Feature):
        raise ValueError(f"{cls!r} is not a subclass of avacollab.feature.Feature")
    name = getattr(cls, "name", None)
    if not isinstance(name, str) or not NAME_RE.match(name):
        raise ValueError(
            f"{cls.__qualname__}.name must be a lowercase name (letters, digits, _ and -), "
            f"not {name!r}"
        )
    if name in RESERVED:
        raise ValueError(f"{cls.__qualname__}: the feature name {name!r} is reserved")
    seen: set[str] = set()
    for option in cls.options:
        if not isinstance(option, Option):
            raise ValueError(f"feature {name!r}: {option!r} is not an avacollab.feature.Option")
        if option.name in seen:
            raise ValueError(f"feature {name!r}: option {option.name!r} is declared twice")
        seen.add(option.name)
        try:
            option.parse("")
        except ValueError as exc:
            raise ValueError(
                f"feature {name!r}: option {option.name!r}: bad default: {exc}"
            ) from None
    return cls
