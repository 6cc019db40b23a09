"""TURN credentials and ICE server entries, and the secret they are made with.

Credentials follow the TURN REST API scheme that coturn implements with
``use-auth-secret``: the username is ``<expiry>:<peer id>`` and the password
is base64(HMAC-SHA1(secret, username)). The signaling server and coturn share
only the secret, so no password is ever stored or written into a client, and
a leaked credential stops working at its expiry.

Pure but for the secret file at the end.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import ipaddress
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

from .. import secretfile
from ..secretfile import SecretFileError
from ..settings import config_dir

DEFAULT_TTL = 3600
"""Seconds a credential stays valid."""

SECRET_FILE_NAME = "turn-secret"
MIN_SECRET_LENGTH = 16

SAFE_VALUE = re.compile(r"[!$-~]+")
"""Printable ASCII with no space, '"' or '#': what coturn reads unquoted from its config."""


class TurnError(ValueError):
    """Bad TURN input (a URL, an option, a secret): the message says what to fix."""


# --- credentials -----------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class TurnCredentials:
    """One peer's TURN username and password, valid until ``expires`` (Unix time)."""

    username: str
    password: str
    expires: int


def turn_credentials(
    secret: str, peer_id: str, now: float, ttl: float = DEFAULT_TTL
) -> TurnCredentials:
    """Credentials for ``peer_id`` that coturn accepts until ``now + ttl``."""
    if not secret:
        raise TurnError("the TURN secret is empty")
    # coturn splits the username at the first ':' to find the expiry.
    if not peer_id or ":" in peer_id:
        raise TurnError(f"a TURN peer id must be non-empty and contain no ':': {peer_id!r}")
    if ttl <= 0:
        raise TurnError(f"the credential lifetime must be positive, not {ttl}")
    expires = int(now + ttl)
    username = f"{expires}:{peer_id}"
    digest = hmac.new(secret.encode(), username.encode(), hashlib.sha1).digest()
    return TurnCredentials(username, base64.b64encode(digest).decode("ascii"), expires)


@dataclass(frozen=True, slots=True)
class TurnUrl:
    """A parsed ``turn:``/``turns:`` URL (RFC 7065)."""

    scheme: str
    host: str
    port: int
    transport: str | None

    @property
    def stun_url(self) -> str | None:
        """The STUN URL of the same server, which answers Binding on its plain port."""
        if self.scheme != "turn":
            return None
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"stun:{host}:{self.port}"


_DEFAULT_PORTS = {"turn": 3478, "turns": 5349}
_URL = re.compile(
    r"^(?P<scheme>turns?):(?P<host>\[[^\]]+\]|[^:?\[\]]+)(?::(?P<port>\d+))?"
    r"(?:\?(?P<query>.*))?$"
)
_HOSTNAME = re.compile(r"^(?=.{1,253}$)[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?$")


def parse_turn_url(url: str) -> TurnUrl:
    """Parse and check a TURN URL such as ``turn:turn.example.org:3478?transport=udp``."""
    match = _URL.match(url.strip())
    if match is None:
        raise TurnError(f"not a TURN URL: {url!r} (expected turn:HOST[:PORT] or turns:HOST[:PORT])")
    scheme, host = match["scheme"], match["host"]
    if host.startswith("["):
        host = host[1:-1]
        try:
            ipaddress.IPv6Address(host)
        except ValueError:
            raise TurnError(f"bad IPv6 address in TURN URL {url!r}") from None
    elif not _HOSTNAME.fullmatch(host):
        raise TurnError(f"bad host in TURN URL {url!r}")
    port = int(match["port"]) if match["port"] else _DEFAULT_PORTS[scheme]
    if not 1 <= port <= 65535:
        raise TurnError(f"bad port in TURN URL {url!r}")
    transport = None
    if match["query"] is not None:
        query = parse_qs(match["query"], keep_blank_values=True)
        values = query.pop("transport", [])
        if query or len(values) != 1 or values[0] not in ("udp", "tcp"):
            raise TurnError(f"bad query in TURN URL {url!r} (only transport=udp|tcp)")
        transport = values[0]
    return TurnUrl(scheme, host, port, transport)


def ice_servers(
    turn_urls: Sequence[str], secret: str, peer_id: str, now: float, ttl: float = DEFAULT_TTL
) -> list[dict[str, Any]]:
    """The ``iceServers`` for one peer: a STUN entry and a TURN entry with its credentials.

    The entries use the browser's ``RTCIceServer`` shape (``urls``, ``username``,
    ``credential``), which aiortc's ``RTCIceServer`` takes as keyword arguments.
    """
    if not turn_urls:
        return []
    parsed = [parse_turn_url(url) for url in turn_urls]
    creds = turn_credentials(secret, peer_id, now, ttl)
    stun = list(dict.fromkeys(u.stun_url for u in parsed if u.stun_url is not None))
    servers: list[dict[str, Any]] = [{"urls": stun}] if stun else []
    servers.append(
        {
            "urls": [url.strip() for url in turn_urls],
            "username": creds.username,
            "credential": creds.password,
        }
    )
    return servers


def ice_servers_provider(
    turn_urls: Sequence[str], secret: str, ttl: float = DEFAULT_TTL
) -> Callable[[str, float], list[dict[str, Any]]]:
    """A ``(peer_id, now) -> iceServers`` function for the signaling server.

    The URLs and secret are checked here, once, so a bad ``--turn-url`` fails at
    start-up rather than at the first join.
    """
    urls = tuple(turn_urls)
    for url in urls:
        parse_turn_url(url)
    turn_credentials(secret, "check", 0.0, ttl)
    return lambda peer_id, now: ice_servers(urls, secret, peer_id, now, ttl)


# --- the secret file ------------------------------------------------------------


def default_secret_dir() -> Path:
    """Where the TURN secret lives by default: the user config directory."""
    return config_dir()


def read_secret(
    path: Path, *, allow_open: bool = False, warn: secretfile.Warn = secretfile.log_warning
) -> str:
    """The TURN secret stored in ``path`` (surrounding whitespace ignored).

    On top of :func:`avacollab.secretfile.read_secret` (which also refuses a
    file others can access, unless ``allow_open``), the secret must be long
    enough and one word of printable ASCII, because coturn reads it unquoted
    from its config file.
    """
    try:
        secret = secretfile.read_secret(path, allow_open=allow_open, warn=warn)
    except SecretFileError as exc:
        if "is empty" not in str(exc):
            raise TurnError(f"TURN {exc}") from None
        secret = ""
    if len(secret) < MIN_SECRET_LENGTH:
        raise TurnError(f"TURN secret file {path} holds fewer than {MIN_SECRET_LENGTH} characters")
    if not SAFE_VALUE.fullmatch(secret):
        raise TurnError(
            f"TURN secret file {path} must hold one word of printable ASCII "
            "(no spaces, '\"' or '#')"
        )
    return secret


def load_or_create_secret(
    directory: Path | None = None,
    *,
    allow_open: bool = False,
    warn: secretfile.Warn = secretfile.log_warning,
) -> tuple[str, Path]:
    """The secret in ``directory/turn-secret``, created (mode 0600) on first use."""
    directory = default_secret_dir() if directory is None else directory
    path = directory / SECRET_FILE_NAME
    try:
        # Only creates it: the read below checks it (and warns) once.
        secretfile.load_or_create(path, allow_open=allow_open, warn=lambda _: None)
    except SecretFileError as exc:
        raise TurnError(str(exc)) from None
    return read_secret(path, allow_open=allow_open, warn=warn), path
