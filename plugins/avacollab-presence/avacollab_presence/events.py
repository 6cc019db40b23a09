"""What ``Presence`` sends and reports: the send callable, change events, rejections."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

import msgspec

__all__ = ["Origin", "PresenceChange", "Rejection", "Send"]

Send = Callable[[bytes, bool], None]
"""``send(data, reliable)``: broadcast an encoded awareness update to every peer."""

Origin = Literal["local", "remote", "timeout", "disconnect"]


class PresenceChange(msgspec.Struct, frozen=True, gc=False):
    """Peers whose published state appeared, changed or went away, and why."""

    # A struct, not a frozen dataclass: one is made per update sent or
    # received, and a frozen dataclass takes six times as long to build.
    added: tuple[str, ...]
    updated: tuple[str, ...]
    removed: tuple[str, ...]
    origin: Origin


@dataclass(frozen=True, slots=True)
class Rejection:
    """Why (part of) an update from ``peer_id`` was not applied."""

    peer_id: str
    client_id: int | None
    reason: str
