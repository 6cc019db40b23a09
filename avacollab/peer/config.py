"""How a session joins: :class:`SessionConfig`, and the ICE servers a welcome offers."""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from aiortc import RTCIceServer

from .. import logs
from ..bus import BusConfig
from .negotiation import RENEGOTIATION_BACKOFF
from .signaling_client import Backoff

__all__ = ["RETRY_BACKOFF", "SessionConfig", "ice_servers_from_welcome"]

RETRY_BACKOFF = Backoff(initial=0.5, maximum=8.0)


@dataclass(frozen=True, slots=True)
class SessionConfig:
    """Where and how a session joins."""

    server: str
    """Signaling WebSocket URL, e.g. ``ws://127.0.0.1:8765/ws``."""
    room: str
    name: str = ""
    token: str | None = None
    ice_addresses: Sequence[str] | None = None
    """Gather ICE host candidates only on these IP addresses (``None``: aioice's choice,
    every interface but loopback; ``[]``: none, TURN relays only)."""
    relay_only: bool = False
    """Connect only through TURN relays."""
    connect_timeout: float = 15.0
    """Seconds a peer connection may take to open before it is abandoned."""
    max_retries: int = 5
    """Consecutive failed attempts to (re)connect to one peer before giving up."""
    retry_backoff: Backoff = RETRY_BACKOFF
    renegotiation_timeout: float | None = None
    """Seconds the peer has to answer a media renegotiation (``None``: ``connect_timeout``)."""
    renegotiation_backoff: Backoff = RENEGOTIATION_BACKOFF
    """How long a media renegotiation the peer left unanswered (within
    ``connect_timeout``) waits before it is tried again: about 15 s, doubling
    up to 300 s, starting over once the peer answers. The link stays up."""
    leave_timeout: float = 1.5
    """Seconds :meth:`Session.close` may take, the features' saving included; what
    the network has not done by then (a TURN or signaling server gone) is abandoned."""
    options: Mapping[str, str] = field(default_factory=dict)
    """Feature options, keyed ``feature.option`` (``--set``); checked by :meth:`Session.start`."""
    bus: BusConfig = field(default_factory=BusConfig)

    def __post_init__(self) -> None:
        if self.connect_timeout <= 0:
            raise ValueError("connect_timeout must be positive")
        if self.max_retries < 0:
            raise ValueError("max_retries must not be negative")
        if self.leave_timeout <= 0:
            raise ValueError("leave_timeout must be positive")
        if self.renegotiation_timeout is not None and self.renegotiation_timeout <= 0:
            raise ValueError("renegotiation_timeout must be positive")
        backoff = self.renegotiation_backoff
        if not 0 < backoff.initial <= backoff.maximum or backoff.factor < 1:
            raise ValueError(
                "renegotiation_backoff needs 0 < initial <= maximum and a factor of at least 1"
            )


def ice_servers_from_welcome(entries: object) -> list[RTCIceServer]:
    """Turn a welcome's ``iceServers`` (browser ``RTCIceServer`` dicts) into aiortc's.

    Entries that are not well formed are skipped with a warning: a server's
    typo should cost a relay, not the session.
    """
    servers: list[RTCIceServer] = []
    for entry in entries if isinstance(entries, list) else []:
        urls = entry.get("urls") if isinstance(entry, dict) else None
        if isinstance(urls, str):
            urls = [urls]
        if not isinstance(urls, list) or not urls or not all(isinstance(u, str) for u in urls):
            logs.event("ice-server-skipped", logging.WARNING, entry=str(entry)[:200])
            continue
        assert isinstance(entry, dict)
        username, credential = entry.get("username"), entry.get("credential")
        servers.append(
            RTCIceServer(
                urls=list(urls),
                username=username if isinstance(username, str) else None,
                credential=credential if isinstance(credential, str) else None,
            )
        )
    return servers
