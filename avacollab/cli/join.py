"""``avacollab join``: a peer in a room, with a line-oriented terminal.

The terminal prints one line per change (who joined, connected, left, which
link failed) and reads commands line by line: ``/quit`` and ``/links`` from
here, ``/help`` from the session, ``/who`` from the built-in feature, and
whatever the other features add (``Feature.commands``). When stdin is a pipe
the same commands drive the session from a script or a test. What the
lines say, and how they look on a terminal, is :mod:`.terminal`'s.

``register(app)`` adds the command to a Typer app; ``python -m
avacollab.cli.join ROOM ...`` runs it on its own.
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib
import ipaddress
import logging
import signal
import socket
import sys
import threading
import urllib.parse
from collections.abc import Awaitable, Callable, Coroutine, Sequence
from pathlib import Path
from typing import IO, Annotated, Any, TypeVar

import typer

from .. import featureoptions, logs, shortids
from .. import plugins as plugin_loader
from ..feature import Feature, JoinCommand
from ..peer.session import PluginStartError, Session, SessionConfig
from ..peer.signaling_client import SignalingError
from ..settings import SettingsError, load
from ..signaling.protocol import MAX_NAME, ROOM_RE, UNSAFE_IN_NAME
from ..signaling.server import WS_PATH
from . import plugins as plugins_cli
from .errors import in_flag_terms
from .helptext import Command, Group
from .terminal import Terminal, Who, describe, links

__all__ = ["Terminal", "describe", "join", "main", "register"]

T = TypeVar("T")

LOG_LEVELS = ("debug", "info", "warning", "error")
WEBRTC_LOGGERS = ("aiortc", "aioice")
JOIN_SETTINGS = ("server_url", "ice_addresses", "connect_timeout")

EXAMPLE = (
    "avacollab join design-review --server ws://127.0.0.1:8765/ws --name ada "
    "--ice-address 127.0.0.1 --events - --set editing.doc=home.json"
)


def register(app: typer.Typer) -> None:
    """Add the ``join`` command to ``app``."""
    app.command("join", help=_HELP, cls=JoinHelp)(join)


class JoinHelp(Command):
    """``join``, whose help ends with the installed plugins' options.

    They are read from the plugins' declared :class:`~avacollab.feature.Option` s
    when the help is shown, so the list is always the installed one (and a
    command that is not asked for help loads nothing for it)."""

    def format_epilog(self, ctx: Any, formatter: Any) -> None:
        super().format_epilog(ctx, formatter)
        try:
            rows = plugins_cli.option_rows()
        except plugin_loader.PluginError as exc:
            formatter.write_paragraph()
            formatter.write_text(f"Plugin options: not listed, a plugin did not load: {exc}")
            return
        with formatter.section(
            "Plugin options (--set, a [FEATURE] table or AVACOLLAB_FEATURE_OPTION)"
        ):
            if rows:
                formatter.write_dl(rows)
            else:
                formatter.write_text("none: no loaded plugin declares options")


_HELP = f"""Join ROOM and connect directly to every other peer in it.

Each line of input is a command: /help lists them, /who shows who is in the
room, /links shows each peer's link state and round-trip time, /quit leaves.
Plugins add more (AVACOLLAB_PLUGINS chooses which plugins load). Ctrl-C or
SIGTERM leave cleanly too (exit status 0). When stdin is not a terminal,
commands are read from it line by line, and its end does not leave.

Example: {EXAMPLE}
"""


def join(
    room: Annotated[
        str, typer.Argument(metavar="ROOM", help="The room to join, e.g. design-review.")
    ],
    server: Annotated[
        str | None,
        typer.Option(
            "--server",
            metavar="URL",
            help="Signaling server WebSocket URL (default: the server_url setting, "
            "ws://127.0.0.1:8765/ws). Example: --server ws://127.0.0.1:8765/ws",
        ),
    ] = None,
    name: Annotated[
        str,
        typer.Option(
            "--name", metavar="NAME", help="Display name shown to others. Example: --name ada"
        ),
    ] = "",
    token: Annotated[
        str | None,
        typer.Option(
            "--token",
            metavar="TOKEN",
            help="Join token, when the server requires one. Example: --token eyJhbGciOi...",
        ),
    ] = None,
    ice_address: Annotated[
        list[str] | None,
        typer.Option(
            "--ice-address",
            metavar="ADDR",
            help="Gather ICE host candidates only on this IP address (repeatable; default: "
            "the ice_addresses setting). Without any, every interface but loopback is used; "
            "127.0.0.1 keeps a peer on this machine. Example: --ice-address 192.168.1.20",
        ),
    ] = None,
    relay_only: Annotated[
        bool,
        typer.Option("--relay-only", help="Connect only through the server's TURN relays."),
    ] = False,
    connect_timeout: Annotated[
        float | None,
        typer.Option(
            "--connect-timeout",
            metavar="SECONDS",
            help="Seconds a peer connection may take to open before it is abandoned and "
            "retried (default: the connect_timeout setting, 15). Example: --connect-timeout 15",
        ),
    ] = None,
    leave_timeout: Annotated[
        float | None,
        typer.Option(
            "--leave-timeout",
            metavar="SECONDS",
            help="Seconds leaving may take on /quit, Ctrl-C or SIGTERM, plugins' saving "
            "included, before unfinished network steps are abandoned (default: the "
            "leave_timeout setting, 1.5). Example: --leave-timeout 5",
        ),
    ] = None,
    events: Annotated[
        str | None,
        typer.Option(
            "--events",
            metavar="DEST",
            help="Write one JSON event per line: 'jsonl' or '-' for stdout (the status "
            "lines then go to stderr), or a file path. Example: --events events.jsonl",
        ),
    ] = None,
    set_: Annotated[
        list[str] | None,
        typer.Option(
            "--set",
            metavar="KEY=VALUE",
            help="A feature option, feature.option=value (repeatable; `avacollab plugins "
            "--options` lists them). Example: --set editing.doc=home.json",
        ),
    ] = None,
    plugin: Annotated[
        list[str] | None,
        typer.Option(
            "--plugin",
            metavar="MODULE",
            help="Also load this importable module as a plugin (repeatable), for "
            "plugins under development. Example: --plugin my_plugin",
        ),
    ] = None,
    log_level: Annotated[
        str,
        typer.Option(
            "--log-level",
            metavar="LEVEL",
            help=f"Log level on stderr: {', '.join(LOG_LEVELS)}; debug adds the WebRTC "
            "libraries' own logs. Example: --log-level info",
        ),
    ] = "warning",
) -> None:
    """Join ROOM and connect directly to every other peer in it."""
    if log_level.lower() not in LOG_LEVELS:
        typer.echo(f"error: --log-level {log_level!r}: expected {', '.join(LOG_LEVELS)}", err=True)
        raise typer.Exit(2)
    try:
        _check_identity(room, name)
        flags = {
            "server_url": server,
            "ice_addresses": [_address(a) for a in ice_address] if ice_address else None,
            "connect_timeout": connect_timeout,
            "leave_timeout": leave_timeout,
        }
        try:
            # Flags win over AVACOLLAB_* variables, which win over the config file.
            loaded = load(flags)
        except SettingsError as exc:
            raise ValueError(in_flag_terms(str(exc), flags)) from None
        settings = loaded.settings
        for address in settings.ice_addresses:
            _local_address(address, "--ice-address" if ice_address else "ice_addresses")
        features = load_plugins(plugin or [])
        # Every feature option is checked here, before anything connects.
        options = featureoptions.resolve(features, parse_options(set_ or [])).given
        config = SessionConfig(
            server_url(settings.server_url),
            room,
            name=name,
            token=token,
            ice_addresses=settings.ice_addresses or None,
            relay_only=relay_only,
            connect_timeout=settings.connect_timeout,
            leave_timeout=settings.leave_timeout,
            options=options,
        )
    except ValueError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from None
    _setup_logs(log_level.lower())
    for key in JOIN_SETTINGS:  # why this peer connects where it does, for a bug report
        logs.event(
            "setting",
            logging.DEBUG,
            key=key,
            value=getattr(settings, key),
            source=loaded.sources[key],
        )
    to_stdout = events in ("-", "jsonl")
    sink: IO[str] | None = None
    if events is not None and not to_stdout:
        try:
            sink = Path(events).open("a", encoding="utf-8", buffering=1)  # noqa: SIM115
        except OSError as exc:
            typer.echo(f"error: --events {events}: {exc.strerror or exc}", err=True)
            raise typer.Exit(2) from None
    terminal = Terminal(
        sys.stderr if to_stdout else sys.stdout,
        sys.stdout if to_stdout else sink,
    )
    try:
        code = _run_loop(run(config, features, terminal))
    finally:
        if sink is not None:
            sink.close()
    raise typer.Exit(code)


def _setup_logs(level: str) -> None:
    """avacollab's events at ``level``; at debug the WebRTC libraries' too, since
    a connection that will not open is usually explained only there."""
    logs.setup("text", level)
    for name in WEBRTC_LOGGERS:
        library = logging.getLogger(name)
        if level == "debug":
            library.handlers[:] = logs.LOGGER.handlers
            library.setLevel(logging.DEBUG)
            library.propagate = False


def parse_options(items: list[str]) -> dict[str, str]:
    """``["editing.doc=a.json"]`` to ``{"editing.doc": "a.json"}``; ``ValueError`` if malformed.

    Only the form is checked here; the session checks names and values
    against the features' declared options before it connects."""
    options: dict[str, str] = {}
    for item in items:
        key, sep, value = item.partition("=")
        plugin, dot, option = key.strip().partition(".")
        if not sep or not dot or not plugin or not option:
            raise ValueError(f"--set {item!r}: expected feature.option=value")
        options[key.strip()] = value
    return options


def server_url(url: str) -> str:
    """``url`` with the server's WebSocket path when it has none: people copy the
    address the server prints, or type the host and port they know."""
    parts = urllib.parse.urlsplit(url)
    if parts.path in ("", "/"):
        return urllib.parse.urlunsplit(parts._replace(path=WS_PATH))
    return url


def _local_address(address: str, flag: str) -> None:
    """``ValueError`` unless ``address`` belongs to this machine: ICE would otherwise
    gather nothing there and every connection would time out, with no reason given."""
    family = socket.AF_INET6 if ":" in address else socket.AF_INET
    with socket.socket(family, socket.SOCK_DGRAM) as probe:
        try:
            probe.bind((address, 0))
        except OSError as exc:
            raise ValueError(
                f"{flag} {address}: not an address of this machine ({exc.strerror or exc})"
            ) from None


def _check_identity(room: str, name: str) -> None:
    """The server's rules for ROOM and --name, checked here so a mistake is status 2
    before connecting rather than a refusal after."""
    if not ROOM_RE.match(room):
        raise ValueError(
            f"{room!r} is not a valid room name (letters, digits and . _ : -, at most 128)"
        )
    if len(name) > MAX_NAME or UNSAFE_IN_NAME.search(name):
        raise ValueError(
            f"--name: at most {MAX_NAME} characters, "
            "no control or bidirectional-override characters"
        )


def _base(url: str) -> str:
    return urllib.parse.urlunsplit(urllib.parse.urlsplit(url)._replace(path="", query=""))


def _address(text: str) -> str:
    try:
        return str(ipaddress.ip_address(text))
    except ValueError:
        raise ValueError(f"--ice-address {text!r} is not an IP address") from None


def load_plugins(modules: list[str]) -> list[type[Feature]]:
    """The features of the built-in and selected plugins (``AVACOLLAB_PLUGINS``) and ``modules``.

    Raises ``ValueError`` with the loader's message when a plugin cannot load.
    """
    try:
        manager = plugin_loader.load()
        extra = []
        for name in modules:
            try:
                module = importlib.import_module(name)
            except ImportError as exc:
                raise ValueError(f"--plugin {name}: cannot import it ({exc})") from None
            if manager.get_plugin(name) is None:
                extra.append(module)
        return plugin_loader.features(manager, extra)
    except plugin_loader.PluginError as exc:
        raise ValueError(str(exc)) from None


async def run(config: SessionConfig, features: Sequence[type[Feature]], terminal: Terminal) -> int:
    """Join, run commands until /quit or a signal, leave; return the exit status."""
    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    session = Session(config, features=features, events=terminal)
    terminal.attach(session)  # lines name peers by their short ids in this room
    # A lost signaling connection is one line and one event (links to peers stay up).
    session.signaling.on_lost = lambda code: session.emit("signaling-lost", code=code)
    try:
        with terminal.connecting(config.server):
            started, _ = await _unless_stopped(session.start(), stop)
        if not started:
            return 0  # a signal while joining (a server that does not answer, say)
    except SignalingError as exc:
        hint = ""
        if urllib.parse.urlsplit(config.server).path != WS_PATH:
            hint = f"; did you mean {server_url(_base(config.server))}?"
        terminal.say(f"error: {exc}{hint}")
        return 1
    except PluginStartError as exc:
        terminal.say(f"error: {exc}")
        return 2
    try:
        try:
            add_core_commands(session, stop, terminal.who)
        except ValueError as exc:  # a feature took /quit or /links
            terminal.say(f"error: {exc}")
            return 2
        lines = _stdin_lines(loop)
        while not stop.is_set():
            line = await _next_line(lines, stop)
            if line is None:
                if sys.stdin.isatty():
                    break  # Ctrl-D at a terminal leaves
                await stop.wait()  # a script's stdin ended: keep running
                break
            output = await session.features.execute(line)
            if output:
                terminal.say(output)
            if terminal.events is not None and line.strip():
                # A script reads what a command answered (/tree --json) from the events.
                terminal.events_only({"event": "reply", "command": line.strip(), "output": output})
    finally:
        await session.close()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.remove_signal_handler(sig)
    return 0


def add_core_commands(session: Session, stop: asyncio.Event, who: Who) -> None:
    """``/quit`` and ``/links`` in the session's command table, so ``/help`` lists them;
    ``/who`` too when no feature provides it (``AVACOLLAB_PLUGINS=-builtin``)."""

    def quit_(_: str) -> str:
        stop.set()
        return "leaving"

    def links_and_status(line: str) -> str:
        if not line.strip():
            return "\n".join([links(session, who), *session.features.status()])
        try:  # one peer, by id, unique prefix or display name
            return links(session, who, shortids.resolve_peer(session, line))
        except shortids.IdError as exc:
            return f"error: {exc}"

    commands = session.features
    commands.add_command(JoinCommand("quit", "Leave the room.", quit_))
    commands.add_command(
        JoinCommand(
            "links",
            "/links [PEER]: each peer's (or one peer's: id, unique prefix or name) "
            "link state and round-trip time.",
            links_and_status,
        )
    )
    if "who" not in commands.commands:
        commands.add_command(JoinCommand("who", "Same as /links.", links_and_status))


async def _unless_stopped(awaitable: Awaitable[T], stop: asyncio.Event) -> tuple[bool, T | None]:
    """Await ``awaitable`` unless ``stop`` is set first, which cancels it.

    Returns whether it finished, and its result.
    """
    task = asyncio.ensure_future(awaitable)
    stopper = asyncio.ensure_future(stop.wait())
    try:
        await asyncio.wait({task, stopper}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        stopper.cancel()
        stopped = not task.done()
        if stopped:
            task.cancel()
    if stopped:
        with contextlib.suppress(asyncio.CancelledError):
            await task
        return False, None
    return True, task.result()


def _stdin_lines(loop: asyncio.AbstractEventLoop) -> asyncio.Queue[str | None]:
    """Lines of stdin, read by a daemon thread so a blocked read never delays exit."""
    queue: asyncio.Queue[str | None] = asyncio.Queue()

    def read() -> None:
        with contextlib.suppress(ValueError, OSError, RuntimeError):
            for line in sys.stdin:
                loop.call_soon_threadsafe(queue.put_nowait, line)
        with contextlib.suppress(RuntimeError):  # the loop may be gone already
            loop.call_soon_threadsafe(queue.put_nowait, None)

    threading.Thread(target=read, name="join-stdin", daemon=True).start()
    return queue


async def _next_line(lines: asyncio.Queue[str | None], stop: asyncio.Event) -> str | None:
    read, line = await _unless_stopped(lines.get(), stop)
    return line if read and not stop.is_set() else ""


def _run_loop(coro: Coroutine[Any, Any, int]) -> int:
    """Run on uvloop where it is installed: it roughly doubles aiortc's throughput."""
    runner: Callable[[Coroutine[Any, Any, int]], int]
    try:
        import uvloop
    except ImportError:  # pragma: no cover - uvloop is a dependency on Linux
        runner = asyncio.run
    else:
        runner = uvloop.run
    return runner(coro)


def main() -> None:
    """Run ``join`` as the only command (``python -m avacollab.cli.join``)."""
    app = typer.Typer(
        add_completion=False,
        rich_markup_mode=None,
        pretty_exceptions_enable=False,
        context_settings={"help_option_names": ["-h", "--help"]},
        cls=Group,
    )
    register(app)
    app()


if __name__ == "__main__":
    main()
