"""Settings: one typed table, four layers.

Each setting is read from, lowest first: its default, the config file
(TOML, ``[server]`` and ``[join]`` tables), an ``AVACOLLAB_<NAME>``
environment variable, and a command-line flag. :func:`load` records where
every value came from, so ``avacollab config show`` can tell a user why a
setting has the value it has.
"""

from __future__ import annotations

import ipaddress
import os
import re
import tomllib
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

import platformdirs
import tomli_w

APP = "avacollab"
ENV_PREFIX = "AVACOLLAB_"
_HOST_NAME = re.compile(r"[A-Za-z0-9_]([A-Za-z0-9_.-]*[A-Za-z0-9_.])?")  # allowed_hosts


def config_dir() -> Path:
    """Where avacollab keeps its config file and secrets.

    ``AVACOLLAB_CONFIG_DIR`` overrides the platform's user config directory
    (tests and containers use it).
    """
    override = os.environ.get("AVACOLLAB_CONFIG_DIR")
    return Path(override) if override else platformdirs.user_config_path(APP)


def config_path() -> Path:
    override = os.environ.get("AVACOLLAB_CONFIG")
    return Path(override) if override else config_dir() / "config.toml"


def _opt(section: str, default: Any, help: str, example: str) -> Any:
    return field(default=default, metadata={"section": section, "help": help, "example": example})


def _list_opt(section: str, help: str, example: str) -> Any:
    meta = {"section": section, "help": help, "example": example}
    return field(default_factory=list, metadata=meta)


@dataclass(frozen=True)
class Settings:
    """Every setting, with its default. Names are the TOML keys."""

    # [server]
    host: str = _opt("server", "127.0.0.1", "Address the signaling server listens on.", "0.0.0.0")
    port: int = _opt(
        "server", 8765, "TCP port of the signaling server (0 picks a free one).", "9000"
    )
    max_frame_bytes: int = _opt(
        "server", 65536, "Largest signaling frame accepted, in bytes.", "131072"
    )
    rate: float = _opt(
        "server", 50.0, "Messages a second one connection may send on average.", "100"
    )
    burst: int = _opt(
        "server", 200, "Messages one connection may send at once above the rate.", "400"
    )
    max_room_size: int = _opt("server", 32, "Most peers in one room.", "8")
    max_rooms: int = _opt("server", 10000, "Most rooms on one server.", "500")
    heartbeat: float = _opt(
        "server", 10.0, "Seconds between WebSocket pings; silent for 1.5x this is a drop.", "5"
    )
    resume_grace: float = _opt(
        "server",
        30.0,
        "Seconds a dropped peer keeps its id and room before peers hear it left.",
        "60",
    )
    send_queue_bytes: int = _opt(
        "server",
        1 << 20,
        "Bytes of frames queued for one client that reads too slowly before it is "
        "disconnected (close code 4008); also the most kept for a reconnecting peer. "
        "At least twice max_frame_bytes.",
        "4194304",
    )
    max_queued_bytes: int = _opt(
        "server",
        64 << 20,
        "Bytes of frames queued for all clients together; past it the client with the "
        "most queued is disconnected (4008). Messages kept for reconnecting peers have "
        "a bound of the same size.",
        "268435456",
    )
    hello_timeout: float = _opt(
        "server",
        10.0,
        "Seconds a new connection has to send hello before it is closed (1008).",
        "30",
    )
    max_connections_per_address: int = _opt(
        "server",
        64,
        "Most open WebSocket connections from one client IP address; more are refused "
        "with HTTP 429. 0: no limit (behind a reverse proxy every client has its address).",
        "256",
    )
    allowed_origins: list[str] = _list_opt(  # noqa: RUF009 (it returns a field())
        "server",
        "Browser origins allowed to connect, e.g. https://app.example; '*' allows any. "
        "Empty: same origin and loopback only. Clients that send no Origin are always allowed.",
        "https://editor.example.com",
    )
    allowed_hosts: list[str] = _list_opt(  # noqa: RUF009 (it returns a field())
        "server",
        "Host names the server answers to (the HTTP Host header) besides localhost, IP "
        "addresses and its own host setting; other names get 403, which stops DNS rebinding. "
        "'*' turns the check off.",
        "signal.example.com",
    )
    token_secret_file: str = _opt(
        "server",
        "",
        "File with the join-token secret; when set, joins need a valid token.",
        "/etc/avacollab/join.secret",
    )
    secret_file: str = _opt(
        "server",
        "",
        "File with the server secret that signs resume tokens (default: server-secret in the "
        "config directory, created on first use).",
        "/var/lib/avacollab/server.secret",
    )
    allow_open_secret_files: bool = _opt(
        "server",
        False,
        "Use a secret file that its group or other users can access, with a warning, "
        "instead of refusing it as ssh refuses such a key (serve, token and turn-config).",
        "true",
    )
    redis: str = _opt(
        "server",
        "",
        "Redis URL of the room state shared by several server processes (docs/scaling.md); "
        "empty: this process alone holds its rooms. Needs the redis extra.",
        "redis://127.0.0.1:6379/0",
    )
    redis_ttl: float = _opt(
        "server",
        10.0,
        "Seconds a server process's heartbeat lives in Redis: the peers of a process that "
        "stops answering are announced left within 4/3 of this.",
        "5",
    )
    workers: int = _opt(
        "server",
        1,
        "Server processes to start on this machine sharing the port (SO_REUSEPORT); "
        "more than 1 needs redis.",
        "4",
    )
    reuse_port: bool = _opt(
        "server",
        False,
        "Listen with SO_REUSEPORT, so that several processes share the port (workers sets it).",
        "true",
    )
    log_format: str = _opt("server", "text", "Log line format: text or json.", "json")
    log_level: str = _opt("server", "info", "Log level: debug, info, warning or error.", "debug")

    # [join]
    server_url: str = _opt(
        "join",
        "ws://127.0.0.1:8765/ws",
        "Signaling server that 'avacollab join' connects to.",
        "wss://signal.example.com/ws",
    )
    ice_addresses: list[str] = _list_opt(  # noqa: RUF009 (it returns a field())
        "join",
        "IP addresses 'join' gathers ICE host candidates on. Empty: every interface but "
        "loopback (aioice's choice); 127.0.0.1 keeps peers on this machine.",
        "192.168.1.20",
    )
    connect_timeout: float = _opt(
        "join",
        15.0,
        "Seconds a peer connection may take to open before it is abandoned and retried.",
        "20",
    )
    leave_timeout: float = _opt(
        "join",
        1.5,
        "Seconds 'join' may take to leave on /quit, Ctrl-C or SIGTERM, plugins' saving "
        "included; network steps still unfinished then (an unreachable TURN or signaling "
        "server) are abandoned.",
        "5",
    )

    # [turn]
    turn_urls: list[str] = _list_opt(  # noqa: RUF009 (it returns a field())
        "turn",
        "TURN server URLs put in every welcome with per-peer credentials, "
        "e.g. turn:relay.your-domain.test:3478 (repeat for turns:...:5349). Empty: no ICE servers.",
        "turn:relay.your-domain.test:3478",
    )
    turn_secret_file: str = _opt(
        "turn",
        "",
        "File with coturn's static-auth-secret (default: turn-secret in the config directory, "
        "created on first use; 'avacollab turn-config' writes the same one into turnserver.conf).",
        "/etc/avacollab/turn.secret",
    )
    turn_ttl: float = _opt(
        "turn",
        3600.0,
        "How long TURN credentials stay valid, in seconds (flags and environment also take "
        "30m, 1h, 2d); peers get fresh ones at half that.",
        "1h",
    )

    def __post_init__(self) -> None:
        if self.log_format not in ("text", "json"):
            raise SettingsError(f"log_format must be 'text' or 'json', not {self.log_format!r}")
        if self.log_level not in ("debug", "info", "warning", "error"):
            raise SettingsError("log_level must be debug, info, warning or error")
        for name in ("max_frame_bytes", "burst", "max_room_size", "max_rooms"):
            if getattr(self, name) < 1:
                raise SettingsError(f"{name} must be at least 1")
        for name in ("rate", "heartbeat", "connect_timeout", "leave_timeout", "hello_timeout"):
            if getattr(self, name) <= 0:
                raise SettingsError(f"{name} must be positive")
        # A relayed frame is a little larger than the frame it came in; with
        # a queue bound below two of them, one offer could cut off its reader.
        if self.send_queue_bytes < 2 * self.max_frame_bytes:
            raise SettingsError("send_queue_bytes must be at least twice max_frame_bytes")
        if self.max_queued_bytes < self.send_queue_bytes:
            raise SettingsError("max_queued_bytes must be at least send_queue_bytes")
        if self.max_connections_per_address < 0:
            raise SettingsError("max_connections_per_address must not be negative")
        if self.turn_ttl < 60:
            raise SettingsError("turn_ttl must be at least 60 seconds")
        for address in self.ice_addresses:
            try:
                ipaddress.ip_address(address)
            except ValueError:
                raise SettingsError(f"ice_addresses: {address!r} is not an IP address") from None
        for name in self.allowed_hosts:
            if name != "*" and not _HOST_NAME.fullmatch(name):
                raise SettingsError(
                    f"allowed_hosts: {name!r} is not a host name like signal.example.com "
                    "(no scheme, port or path)"
                )
        if not self.server_url.startswith(("ws://", "wss://")):
            raise SettingsError(f"server_url must start with ws:// or wss://: {self.server_url!r}")
        if self.redis_ttl < 1:
            raise SettingsError("redis_ttl must be at least 1 second")
        if self.workers < 1:
            raise SettingsError("workers must be at least 1")
        if self.workers > 1 and not self.redis:
            raise SettingsError(
                "workers above 1 need redis: the processes share their rooms through it"
            )
        if self.redis and not self.redis.startswith(("redis://", "rediss://", "unix://")):
            raise SettingsError(
                f"redis must be a redis://, rediss:// or unix:// URL, not {self.redis!r}"
            )
        if self.resume_grace < 0:
            raise SettingsError("resume_grace must not be negative")
        if not 0 <= self.port <= 65535:
            raise SettingsError("port must be between 0 and 65535")


def parse_duration(text: str) -> float:
    """Seconds from ``90``, ``45s``, ``30m``, ``1h`` or ``2d``."""
    units = {"s": 1, "m": 60, "h": 3600, "d": 86400}
    text = text.strip().lower()
    try:
        unit = units.get(text[-1:], 0)
        value = float(text[:-1]) * unit if unit else float(text)
    except ValueError:
        raise SettingsError(
            f"{text!r} is not a duration; use e.g. 90, 45s, 30m, 1h or 2d"
        ) from None
    if value <= 0:
        raise SettingsError(f"duration {text!r} must be positive")
    return value


class SettingsError(ValueError):
    """A setting has a value it cannot take; the message says which and why."""


SETTINGS = {f.name: f for f in fields(Settings)}
DEFAULTS = Settings()
DURATIONS = frozenset({"turn_ttl"})
"""Settings that also take a duration like ``30m`` or ``1h``."""


@dataclass(frozen=True)
class Loaded:
    settings: Settings
    sources: dict[str, str]  # setting name -> "default" | "file PATH" | "env NAME" | "flag"


def load(flags: dict[str, Any] | None = None, path: Path | None = None) -> Loaded:
    """Resolve every setting from defaults < file < environment < flags."""
    values: dict[str, Any] = {}
    sources = {name: "default" for name in SETTINGS}
    path = path or config_path()
    for name, value in _from_file(path).items():
        values[name] = value
        sources[name] = f"file {path}"
    for name in SETTINGS:
        env = ENV_PREFIX + name.upper()
        if env in os.environ:
            values[name] = _coerce(name, os.environ[env], env)
            sources[name] = f"env {env}"
    for name, value in (flags or {}).items():
        if value is not None:
            if name not in SETTINGS:
                raise SettingsError(f"unknown setting {name!r}")
            values[name] = value
            sources[name] = "flag"
    return Loaded(replace(Settings(), **values), sources)


SECTIONS = frozenset(spec.metadata["section"] for spec in SETTINGS.values())
"""The core's tables; any other table of the file holds a feature's options
(``[voice]``), which :mod:`avacollab.featureoptions` reads and checks."""


def read_tables(path: Path) -> dict[str, dict[str, Any]]:
    """The config file's tables (none if it does not exist); ``SettingsError`` if unreadable."""
    if not path.exists():
        return {}
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise SettingsError(f"cannot read config file {path}: {exc}") from None
    for section, table in data.items():
        if not isinstance(table, dict):
            raise SettingsError(f"{path}: top-level {section!r} must be a table like [server]")
    return data


def _from_file(path: Path) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for section, table in read_tables(path).items():
        if section not in SECTIONS:
            continue  # a feature's options
        for name, value in table.items():
            spec = SETTINGS.get(name)
            if spec is None or spec.metadata["section"] != section:
                raise SettingsError(f"{path}: unknown setting {section}.{name}")
            values[name] = _check_type(name, value, f"{path}: {section}.{name}")
    return values


def _check_type(name: str, value: Any, where: str) -> Any:
    default = getattr(DEFAULTS, name)
    if isinstance(default, list):
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise SettingsError(f"{where} must be a list of strings")
        return value
    if name in DURATIONS and isinstance(value, str):
        try:
            return parse_duration(value)
        except SettingsError as exc:
            raise SettingsError(f"{where}: {exc}") from None
    if isinstance(default, float) and type(value) is int:
        return float(value)
    if type(value) is not type(default):
        raise SettingsError(f"{where} must be of type {type(default).__name__}")
    return value


def _coerce(name: str, raw: str, where: str) -> Any:
    default = getattr(DEFAULTS, name)
    try:
        if isinstance(default, list):
            return [item.strip() for item in raw.split(",") if item.strip()]
        if isinstance(default, bool):
            return raw.lower() in ("1", "true", "yes", "on")
        if isinstance(default, int):
            return int(raw)
        if name in DURATIONS:
            return parse_duration(raw)
        if isinstance(default, float):
            return float(raw)
    except ValueError:
        raise SettingsError(f"{where}={raw!r} is not a valid {type(default).__name__}") from None
    return raw


def render_template() -> str:
    """A commented config file with every setting at its default."""
    lines = [
        "# avacollab configuration.",
        "# Precedence: defaults < this file < AVACOLLAB_<NAME> environment variables < flags.",
        "# Uncomment a line to change a setting.",
    ]
    section = None
    defaults = DEFAULTS
    for name, spec in SETTINGS.items():
        if spec.metadata["section"] != section:
            section = spec.metadata["section"]
            lines += ["", f"[{section}]"]
        lines.append(f"# {spec.metadata['help']}")
        rendered = tomli_w.dumps({name: getattr(defaults, name)}).strip()
        lines.append(f"# {rendered}")
    return "\n".join(lines) + "\n"
