"""The features of one session: their options, lifetimes, events and commands.

A :class:`FeatureSet` is what a session (the real one in
:mod:`avacollab.peer.session`, or the in-memory one of
:mod:`avacollab.memoryroom`) holds of its plugins. It parses every
``--set feature.option`` before the session connects, makes one instance of
each feature when the session has joined, calls their methods as peers come
and go, and closes them when the session leaves. One feature's exception is
reported (a ``plugin-error`` event) and never reaches the others or the
session, except in :meth:`FeatureSet.start`, where it stops the session: a
feature that cannot set itself up is a mistake the user has to fix.
"""

from __future__ import annotations

import asyncio
import difflib
import inspect
import logging
import re
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Any, TypeVar

from .feature import Feature, JoinCommand, Session, check_feature

__all__ = ["FeatureSet", "PluginStartError", "parse_options", "unknown_name"]

logger = logging.getLogger(__name__)

COMMAND_RE = re.compile(r"^[a-z0-9][a-z0-9-]*$")
"""Join command names: lowercase letters, digits and dashes."""
COLOR_RE = re.compile(r"^#[0-9a-fA-F]{6}$")
"""What :meth:`Feature.peer_color` may answer."""

F = TypeVar("F", bound=Feature)


class PluginStartError(Exception):
    """A feature's option is bad or its ``start`` raised, so the session did not start.

    It is a feature that cannot set itself up (a bad option, an unreadable
    file): carrying on without it would hide the mistake the user has to fix.
    """


def parse_options(
    classes: Sequence[type[Feature]], raw: Mapping[str, str]
) -> dict[str, dict[str, Any]]:
    """Every feature's option values by feature name: the defaults, overridden by ``raw``.

    ``raw`` maps ``feature.option`` to the text given with ``--set``. Raises
    ``ValueError`` naming the ``--set`` key for a value that does not parse
    or fails its check, an option the feature does not declare, or a
    feature that is not loaded.
    """
    declared = {cls.name: {o.name: o for o in cls.options} for cls in classes}
    values = {
        name: {o: opt.parse("") for o, opt in opts.items()} for name, opts in declared.items()
    }
    for key, text in raw.items():
        feature, _, name = key.partition(".")
        if feature not in declared:
            raise ValueError(f"--set {key}: {unknown_name('feature', feature, declared)}")
        option = declared[feature].get(name)
        if option is None:
            raise ValueError(f"--set {key}: {unknown_name('option', name, declared[feature])}")
        try:
            values[feature][name] = option.parse(text)
        except ValueError as exc:
            raise ValueError(f"--set {key}={text}: {exc}") from None
    for cls in classes:
        try:
            cls.check_options(values[cls.name])
        except ValueError as exc:
            raise ValueError(f"{cls.name}: {exc}") from None
    return values


def unknown_name(what: str, name: str, known: Mapping[str, Any]) -> str:
    """``unknown option 'x' (did you mean 'y'?); options: ...``, for a name not in ``known``."""
    message = f"unknown {what} {name!r}"
    close = difflib.get_close_matches(name, list(known), n=1)
    if close:
        message += f" (did you mean {close[0]!r}?)"
    return f"{message}; {what}s: {', '.join(sorted(known)) or 'none'}"


class FeatureSet:
    """One instance of each feature class for one session, and the session's commands."""

    def __init__(self, classes: Sequence[type[Feature]] = ()) -> None:
        """Check ``classes`` (``ValueError`` for a bad one or a name given twice)."""
        names: set[str] = set()
        for cls in classes:
            check_feature(cls)
            if cls.name in names:
                raise ValueError(f"two features are called {cls.name!r}")
            names.add(cls.name)
        self.classes: tuple[type[Feature], ...] = tuple(classes)
        self._values: dict[str, dict[str, Any]] | None = None
        self._running: list[Feature] = []
        self._unsubscribe: list[Callable[[], None]] = []
        self._session: Session | None = None
        self.commands: dict[str, JoinCommand] = {}
        """Every command of the session by name, ``help`` included (once started)."""

    def configure(self, options: Mapping[str, str]) -> None:
        """Parse ``options`` (``feature.option`` to text); :class:`PluginStartError` if bad."""
        try:
            self._values = parse_options(self.classes, options)
        except ValueError as exc:
            raise PluginStartError(str(exc)) from None

    @property
    def running(self) -> tuple[Feature, ...]:
        """The started instances, in the order of :attr:`classes`."""
        return tuple(self._running)

    def get(self, cls: type[F]) -> F:
        """The running instance of ``cls`` (or a subclass); ``KeyError`` if there is none."""
        for feature in self._running:
            if isinstance(feature, cls):
                return feature
        raise KeyError(f"no running {cls.__name__} feature")

    async def start(self, session: Session) -> None:
        """Make and start every feature, subscribe their topics, gather their commands.

        Raises :class:`PluginStartError` when one cannot start, after closing
        those that did.
        """
        if self._values is None:
            self.configure(session.options)
        assert self._values is not None
        self._session = session
        self.commands = {"help": JoinCommand("help", "List the commands.", self._help)}
        try:
            for cls in self.classes:
                try:
                    feature = cls(session, self._values[cls.name])
                    await feature.start()
                except Exception as exc:
                    raise PluginStartError(f"{cls.name}: {exc}") from exc
                self._running.append(feature)
            for feature in self._running:
                self._subscribe(session, feature)
            for feature in self._running:
                for command in feature.commands():
                    self.add_command(command, feature.name)
        except Exception as exc:
            await self.close()
            if isinstance(exc, ValueError):
                raise PluginStartError(str(exc)) from exc
            raise

    def _subscribe(self, session: Session, feature: Feature) -> None:
        for topic, handler in feature.topics().items():
            if not topic.startswith(feature.name + "."):
                raise ValueError(
                    f"{feature.name}: topic {topic!r} does not start with {feature.name + '.'!r}"
                )
            self._unsubscribe.append(session.bus.subscribe(topic, handler))

    def add_command(self, command: JoinCommand, owner: str = "join") -> None:
        """Add ``command``; ``ValueError`` for an invalid name or one already taken.

        A command that silently shadowed another would be a confusing bug.
        """
        if not COMMAND_RE.match(command.name):
            raise ValueError(
                f"{owner}: invalid command name {command.name!r} "
                "(lowercase letters, digits and dashes)"
            )
        if command.name in self.commands:
            raise ValueError(f"{owner}: command /{command.name} is already defined")
        self.commands[command.name] = command

    def _help(self, _: str) -> str:
        width = max(len(name) for name in self.commands)
        return "\n".join(
            f"/{name:<{width}}  {self.commands[name].help}" for name in sorted(self.commands)
        )

    async def execute(self, line: str) -> str | None:
        """Run one line typed in the terminal (``/name rest``); what to print, if anything.

        A command that raises is reported in the result: a feature's bug
        must not end the session.
        """
        line = line.strip()
        if not line:
            return None
        if not line.startswith("/"):
            return "commands start with /; try /help"
        name, _, rest = line[1:].partition(" ")
        command = self.commands.get(name)
        if command is None:
            close = difflib.get_close_matches(name, list(self.commands), n=1)
            hint = f" (did you mean /{close[0]}?)" if close else ""
            return f"unknown command /{name}{hint}; try /help"
        try:
            result = command.run(rest.strip())
            if inspect.isawaitable(result):
                result = await result
        except Exception as exc:
            return f"/{name} failed: {type(exc).__name__}: {exc}"
        return None if result is None else str(result)

    # -- events ---------------------------------------------------------------

    async def peer_joined(self, peer_id: str, name: str) -> None:
        """Tell every feature that ``peer_id`` is in the room."""
        await self._each("peer_joined", lambda f: f.peer_joined(peer_id, name))

    async def peer_connected(self, peer_id: str) -> None:
        """Tell every feature that the bus to ``peer_id`` is open."""
        await self._each("peer_connected", lambda f: f.peer_connected(peer_id))

    async def peer_left(self, peer_id: str, reason: str) -> None:
        """Tell every feature that ``peer_id`` is gone."""
        await self._each("peer_left", lambda f: f.peer_left(peer_id, reason))

    async def track_received(self, peer_id: str, track: Any) -> None:
        """Hand ``track`` from ``peer_id`` to every feature."""
        await self._each("track_received", lambda f: f.track_received(peer_id, track))

    def media_tracks(self, peer_id: str) -> list[Any]:
        """Every feature's tracks for ``peer_id`` (a feature that raises offers none)."""
        tracks: list[Any] = []
        for feature in self._running:
            try:
                tracks += feature.media_tracks(peer_id)
            except Exception as exc:
                self._failed(feature, "media_tracks", exc)
        return tracks

    def status(self) -> list[str]:
        """Every feature's status lines (a feature that raises shows none)."""
        lines: list[str] = []
        for feature in self._running:
            try:
                lines += feature.status()
            except Exception as exc:
                self._failed(feature, "status", exc)
        return lines

    def peer_color(self, peer_id: str) -> str | None:
        """The first ``#rrggbb`` colour a running feature gives ``peer_id``, if any
        (a feature that raises gives none and is reported)."""
        for feature in self._running:
            try:
                color = feature.peer_color(peer_id)
            except Exception as exc:
                self._failed(feature, "peer_color", exc)
                continue
            if isinstance(color, str) and COLOR_RE.match(color):
                return color
        return None

    async def close(self, deadline: float | None = None) -> None:
        """Close every running feature, then unsubscribe their topics.

        Every feature's close starts at once, the last started first, so that
        one waiting on something gone (a peer, a server) cannot keep the
        others from saving. At ``deadline`` (event-loop time; ``None``: no
        limit) the closes still running are cancelled, each reported as a
        ``plugin-error``.
        """
        running, self._running = self._running, []
        closing: dict[asyncio.Future[None], Feature] = {}
        for feature in reversed(running):
            try:
                closing[asyncio.ensure_future(feature.close())] = feature
            except Exception as exc:  # a close that is no coroutine function
                self._failed(feature, "close", exc)
        if closing:
            loop = asyncio.get_running_loop()
            timeout = None if deadline is None else max(0.0, deadline - loop.time())
            done, pending = await asyncio.wait(set(closing), timeout=timeout)
            for task in done:
                error = None if task.cancelled() else task.exception()
                if isinstance(error, Exception):
                    self._failed(closing[task], "close", error)
            for task in pending:
                task.cancel()
                late = f"not finished after {timeout:.2g} s: abandoned, to leave in time"
                self._failed(closing[task], "close", TimeoutError(late))
        for unsubscribe in self._unsubscribe:
            unsubscribe()
        self._unsubscribe.clear()

    async def _each(self, method: str, call: Callable[[Feature], Awaitable[None] | None]) -> None:
        for feature in self._running:
            try:
                result = call(feature)
                if inspect.isawaitable(result):
                    await result
            except Exception as exc:
                self._failed(feature, method, exc)

    def _failed(self, feature: Feature, method: str, exc: Exception) -> None:
        # The plugin-error event is the report people see (the session logs it too);
        # the traceback is for whoever debugs the plugin, so only at debug level.
        logger.debug("feature %s: %s failed", feature.name, method, exc_info=exc)
        if self._session is not None:
            self._session.emit(
                "plugin-error",
                feature=feature.name,
                method=method,
                error=f"{type(exc).__name__}: {exc}",
            )
