"""The ``avacollab`` command line."""

from __future__ import annotations

import asyncio
import gc
import importlib.util
import signal
import sys
import time
from collections.abc import Coroutine
from pathlib import Path
from typing import Annotated, Any

import typer

from .. import __version__, featureoptions, logs
from ..secretfile import SecretFileError, load_or_create, read_secret, warn_on_stderr
from ..settings import (
    SETTINGS,
    Loaded,
    Settings,
    SettingsError,
    config_dir,
    config_path,
    load,
    parse_duration,
    render_template,
)
from ..signaling.core import IceServers
from . import join as join_cli
from . import plugins as plugins_cli
from . import turn as turn_cli
from .errors import fail, in_flag_terms
from .helptext import Command, Group

app = typer.Typer(
    name="avacollab",
    help="Peer-to-peer collaboration over WebRTC: a signaling server, peers and plugins.",
    no_args_is_help=True,
    rich_markup_mode=None,
    pretty_exceptions_enable=False,
    cls=Group,
    context_settings={"help_option_names": ["-h", "--help"]},
)
config_app = typer.Typer(
    help="Inspect and create the config file.",
    no_args_is_help=True,
    rich_markup_mode=None,
    cls=Group,
)
app.add_typer(config_app, name="config")
turn_cli.register(app)
join_cli.register(app)
plugins_cli.register(app)
plugins_cli.add_plugin_commands(app)


def run_async(coro: Coroutine[Any, Any, Any]) -> Any:
    """Run on uvloop where it is installed: it roughly doubles aiortc's throughput."""
    try:
        import uvloop
    except ImportError:  # pragma: no cover - uvloop is a dependency on Linux
        return asyncio.run(coro)
    return uvloop.run(coro)


def _help(name: str, flag: str | None = None) -> str:
    meta = SETTINGS[name].metadata
    env = "AVACOLLAB_" + name.upper()
    flag = flag or f"--{name.replace('_', '-')}"
    if isinstance(SETTINGS[name].default, bool):  # a flag: it takes no value
        return f"{meta['help']} Example: {flag} (env {env}={meta['example']})"
    return f"{meta['help']} Example: {flag} {meta['example']} (env {env})"


def _settings(flags: dict[str, Any]) -> Loaded:
    try:
        return load(flags)
    except SettingsError as exc:
        fail(in_flag_terms(str(exc), flags))


def _version(value: bool) -> None:
    if value:
        typer.echo(f"avacollab {__version__}")
        raise typer.Exit()


@app.callback()
def main_options(
    version: Annotated[
        bool,
        typer.Option(
            "--version", callback=_version, is_eager=True, help="Print the version and exit."
        ),
    ] = False,
) -> None:
    """Peer-to-peer collaboration over WebRTC.

    Start a signaling server with 'avacollab serve', then join a room from
    each machine with 'avacollab join ROOM --server ws://HOST:PORT/ws'.
    Settings come from defaults < config file < AVACOLLAB_* variables < flags;
    see 'avacollab config show'.
    """


def _opt(name: str, *flags: str) -> Any:
    flags = flags or (f"--{name.replace('_', '-')}",)
    return typer.Option(*flags, help=_help(name, flags[0]))


@app.command(cls=Command)
def serve(
    host: Annotated[str | None, _opt("host")] = None,
    port: Annotated[int | None, _opt("port")] = None,
    max_frame_bytes: Annotated[int | None, _opt("max_frame_bytes")] = None,
    rate: Annotated[float | None, _opt("rate")] = None,
    burst: Annotated[int | None, _opt("burst")] = None,
    max_room_size: Annotated[int | None, _opt("max_room_size")] = None,
    max_rooms: Annotated[int | None, _opt("max_rooms")] = None,
    heartbeat: Annotated[float | None, _opt("heartbeat")] = None,
    resume_grace: Annotated[float | None, _opt("resume_grace")] = None,
    send_queue_bytes: Annotated[int | None, _opt("send_queue_bytes")] = None,
    max_queued_bytes: Annotated[int | None, _opt("max_queued_bytes")] = None,
    hello_timeout: Annotated[float | None, _opt("hello_timeout")] = None,
    max_connections_per_address: Annotated[int | None, _opt("max_connections_per_address")] = None,
    allowed_origin: Annotated[list[str] | None, _opt("allowed_origins", "--allowed-origin")] = None,
    allowed_host: Annotated[list[str] | None, _opt("allowed_hosts", "--allowed-host")] = None,
    token_secret_file: Annotated[str | None, _opt("token_secret_file")] = None,
    secret_file: Annotated[str | None, _opt("secret_file")] = None,
    allow_open_secret_files: Annotated[bool | None, _opt("allow_open_secret_files")] = None,
    log_format: Annotated[str | None, _opt("log_format")] = None,
    log_level: Annotated[str | None, _opt("log_level")] = None,
    turn_url: Annotated[list[str] | None, _opt("turn_urls", "--turn-url")] = None,
    turn_secret_file: Annotated[str | None, _opt("turn_secret_file")] = None,
    turn_ttl: Annotated[str | None, _opt("turn_ttl")] = None,
    redis: Annotated[str | None, _opt("redis")] = None,
    redis_ttl: Annotated[float | None, _opt("redis_ttl")] = None,
    workers: Annotated[int | None, _opt("workers")] = None,
    reuse_port: Annotated[bool | None, _opt("reuse_port")] = None,
) -> None:
    """Run the signaling server.

    Peers meet here: it gives each a random peer id, tells the room who
    joined and left, and relays offers, answers and ICE candidates between
    members of the same room. Nothing else passes through it.

    Example: avacollab serve --host 0.0.0.0 --port 8765 --allowed-origin https://editor.example.com
    """
    flags = {k: v for k, v in locals().items() if v is not None}
    if "allowed_origin" in flags:
        flags["allowed_origins"] = flags.pop("allowed_origin")
    if "allowed_host" in flags:
        flags["allowed_hosts"] = flags.pop("allowed_host")
    if "turn_url" in flags:
        flags["turn_urls"] = flags.pop("turn_url")
    if "turn_ttl" in flags:
        try:
            flags["turn_ttl"] = parse_duration(flags["turn_ttl"])
        except SettingsError as exc:
            fail(f"--turn-ttl: {exc}")
    settings = _settings(flags).settings
    logs.setup(settings.log_format, settings.log_level)
    if settings.redis and importlib.util.find_spec("redis") is None:
        fail("--redis needs the redis extra: pip install 'avacollab[redis]'")
    if settings.workers > 1:
        from .workers import run_workers

        raise typer.Exit(run_workers(settings, sys.argv[1:]))
    allow_open = settings.allow_open_secret_files
    try:
        resume_secret = load_or_create(
            Path(settings.secret_file) if settings.secret_file else config_dir() / "server-secret",
            allow_open=allow_open,
        )
        token_secret = (
            read_secret(Path(settings.token_secret_file), allow_open=allow_open)
            if settings.token_secret_file
            else None
        )
    except SecretFileError as exc:
        fail(str(exc))
    run_async(_serve(settings, resume_secret.encode(), token_secret, _ice_servers(settings)))


def _ice_servers(settings: Settings) -> IceServers | None:
    """The per-peer TURN credential provider, when TURN URLs are configured."""
    if not settings.turn_urls:
        return None
    from ..turn import credentials as turn

    try:
        allow_open = settings.allow_open_secret_files
        if settings.turn_secret_file:
            secret = turn.read_secret(Path(settings.turn_secret_file), allow_open=allow_open)
        else:
            secret, _ = turn.load_or_create_secret(allow_open=allow_open)
        return turn.ice_servers_provider(settings.turn_urls, secret, settings.turn_ttl)
    except turn.TurnError as exc:
        fail(str(exc))


async def _serve(
    settings: Settings,
    resume_secret: bytes,
    token_secret: str | None,
    ice_servers: IceServers | None = None,
) -> None:
    from ..signaling.server import SignalingServer

    server_class = SignalingServer
    cluster_errors: tuple[type[Exception], ...] = ()
    if settings.redis:
        from ..signaling.cluster import ClusterError, ClusterServer

        server_class, cluster_errors = ClusterServer, (ClusterError,)
    server = server_class(
        settings,
        resume_secret=resume_secret,
        token_secret=token_secret,
        ice_servers=ice_servers,
        # Fresh credentials at half their lifetime: a long session can still
        # open new connections (a reconnect, a newcomer) with valid ones.
        ice_refresh=settings.turn_ttl / 2,
    )
    try:
        await server.start()
    except OSError as exc:
        fail(f"cannot listen on {settings.host}:{settings.port}: {exc.strerror or exc}")
    except cluster_errors as exc:
        fail(str(exc))
    # Everything made so far (modules, the app) lives as long as the process:
    # out of the collector's sight, a full collection walks only the
    # connections' objects and no longer stalls every client for tens of
    # milliseconds (join p99, docs/benchmarks.md).
    gc.freeze()
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    http = server.url.replace("ws://", "http://").removesuffix("/ws")
    typer.echo(
        f"avacollab {__version__} signaling server on {server.url}\n"
        f"  join a room:  avacollab join ROOM --server {server.url}\n"
        f"  health:       {http}/healthz   metrics: {http}/metrics\n"
        "  stop:         Ctrl-C",
        err=True,
    )
    await stop.wait()
    await server.stop()


@app.command(cls=Command)
def token(
    room: Annotated[
        str,
        typer.Argument(metavar="ROOM", help="Room the token admits to. Example: design-review"),
    ],
    identity: Annotated[
        str, typer.Option(help="Who the token is for; peers see it. Example: --identity alice")
    ],
    ttl: Annotated[
        str, typer.Option(help="How long the token is valid: 90, 45s, 30m, 1h, 2d. Example: 8h")
    ] = "1h",
    permission: Annotated[
        list[str] | None,
        typer.Option(
            "--permission",
            help="A permission peers can check (repeatable). Example: --permission edit",
        ),
    ] = None,
    secret_file: Annotated[
        str | None,
        typer.Option(
            help="The join-token secret file the server uses (created with mode 0600 if "
            "missing). Defaults to the token_secret_file setting. "
            "Example: --secret-file join.secret"
        ),
    ] = None,
    allow_open_secret_files: Annotated[bool | None, _opt("allow_open_secret_files")] = None,
) -> None:
    """Print a signed join token for ROOM.

    A server started with --token-secret-file refuses joins without a valid,
    unexpired token for the room. Give the token to the person joining:

    Example: avacollab token design-review --identity alice --ttl 8h --secret-file join.secret
    """
    from ..signaling.protocol import ROOM_RE
    from ..signaling.tokens import issue_join_token

    if not ROOM_RE.match(room):
        fail(f"{room!r} is not a valid room name (letters, digits and . _ : -, at most 128)")
    settings = _settings({"allow_open_secret_files": allow_open_secret_files}).settings
    path = secret_file or settings.token_secret_file
    if not path:
        fail("no secret: pass --secret-file FILE or set token_secret_file in the config")
    try:
        seconds = parse_duration(ttl)
        secret = load_or_create(
            Path(path), allow_open=settings.allow_open_secret_files, warn=warn_on_stderr
        )
    except (SettingsError, SecretFileError) as exc:
        fail(str(exc))
    typer.echo(
        issue_join_token(secret, room, identity, seconds, time.time(), tuple(permission or ()))
    )


@config_app.command("path", cls=Command)
def config_path_command() -> None:
    """Print where the config file is read from (AVACOLLAB_CONFIG overrides it)."""
    typer.echo(str(config_path()))


@config_app.command("show", cls=Command)
def config_show() -> None:
    """Print every effective setting and where its value came from.

    Example: AVACOLLAB_PORT=9000 avacollab config show
    """
    loaded = _settings({})
    rows = [(name, getattr(loaded.settings, name), loaded.sources[name]) for name in SETTINGS]
    try:
        # The loaded plugins' options: [FEATURE] tables, AVACOLLAB_FEATURE_OPTION.
        features = join_cli.load_plugins([])
        options = featureoptions.resolve(features, {})
    except ValueError as exc:
        fail(str(exc))
    rows += [(key, value, options.sources[key]) for key, value in options.values.items()]
    width = max(len(name) for name, _, _ in rows)
    for name, value, source in rows:
        typer.echo(f"{name:<{width}}  {value!r:<28}  {source}")


@config_app.command("init", cls=Command)
def config_init(
    force: Annotated[bool, typer.Option(help="Overwrite an existing file.")] = False,
) -> None:
    """Write a commented config file with every setting at its default.

    Example: avacollab config init && $EDITOR "$(avacollab config path)"
    """
    path = config_path()
    if path.exists() and not force:
        fail(f"{path} already exists; pass --force to overwrite it")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(render_template(), encoding="utf-8")
    typer.echo(f"wrote {path}")


def main() -> None:
    """Console-script entry point."""
    try:
        app()
    except KeyboardInterrupt:  # pragma: no cover - Ctrl-C outside the event loop
        sys.exit(130)
