"""Document sync with the y-protocols framing, over any message transport.

A sync message is ``varuint(0)`` (SYNC) ``varuint(kind)`` ``varuint(len)``
``payload``, where kind 0 is *step 1* (payload: the sender's state vector), 1 is
*step 2* (payload: the update the other side lacks) and 2 is an *update*. It is
byte-compatible with y-websocket and pycrdt's ``create_sync_message``.

The framing functions are pure; ``DocSync`` is the small state machine that a
transport (the bus, a test's in-memory queue) drives.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from enum import IntEnum

from pycrdt import YMessageType, YSyncMessageType, write_var_uint

from .guard import RejectedUpdate
from .model import Document

log = logging.getLogger(__name__)

Send = Callable[[str | None, bytes], None]
"""``send(peer, data)``: deliver ``data`` to ``peer``, or to every peer if ``None``."""


class SyncKind(IntEnum):
    """The three y-protocols sync message kinds."""

    STEP1 = YSyncMessageType.SYNC_STEP1
    STEP2 = YSyncMessageType.SYNC_STEP2
    UPDATE = YSyncMessageType.SYNC_UPDATE


class SyncError(ValueError):
    """A sync message is malformed, or carries an update the document rejected."""


def encode(kind: SyncKind, payload: bytes) -> bytes:
    """Frame ``payload`` as a sync message of ``kind``."""
    return (
        write_var_uint(YMessageType.SYNC)
        + write_var_uint(kind)
        + write_var_uint(len(payload))
        + payload
    )


def decode(data: bytes) -> tuple[SyncKind, bytes]:
    """Split a sync message into its kind and payload.

    Strict: the declared length must match the bytes that follow exactly.
    Raises ``SyncError`` for anything else, including awareness messages
    (presence travels on its own topic).
    """
    pos = 0
    values = []
    for _ in range(3):
        value, pos = _read_var_uint(data, pos)
        values.append(value)
    message_type, kind, length = values
    if message_type != YMessageType.SYNC:
        raise SyncError(f"not a sync message (message type {message_type})")
    if kind not in SyncKind._value2member_map_:
        raise SyncError(f"unknown sync message kind {kind}")
    if len(data) - pos != length:
        raise SyncError(f"payload is {len(data) - pos} bytes, header says {length}")
    return SyncKind(kind), bytes(data[pos:])


def _read_var_uint(data: bytes, pos: int) -> tuple[int, int]:
    value = 0
    shift = 0
    while True:
        if pos >= len(data):
            raise SyncError("truncated sync message")
        if shift > 56:
            raise SyncError("varint too long")
        byte = data[pos]
        pos += 1
        value |= (byte & 0x7F) << shift
        shift += 7
        if byte < 0x80:
            return value, pos


class DocSync:
    """Keeps one ``Document`` in sync with the peers reachable through ``send``.

    - ``peer_joined(peer)`` sends our state vector (step 1); the peer answers
      with what we lack (step 2) and does the same the other way, so a late
      joiner and a peer back from offline both end up with everything.
    - Every local transaction is broadcast as an update.
    - ``receive`` handles the three kinds; a bad message raises ``SyncError``
      and leaves the document untouched.
    """

    def __init__(self, document: Document, send: Send) -> None:
        self._document = document
        self._send = send
        self._unsubscribe: Callable[[], None] | None = document.on_update(self._broadcast)

    def peer_joined(self, peer: str) -> None:
        """Start syncing with a newly connected ``peer``."""
        self._send(peer, encode(SyncKind.STEP1, self._document.state_vector()))

    def receive(self, peer: str, data: bytes) -> None:
        """Handle one sync message from ``peer``."""
        kind, payload = decode(data)
        if kind is SyncKind.STEP1:
            try:
                reply = self._document.get_update(payload)
            except Exception as exc:  # pycrdt raises ValueError on a bad state vector
                raise SyncError(f"malformed state vector from {peer!r}: {exc}") from None
            self._send(peer, encode(SyncKind.STEP2, reply))
            return
        try:
            self._document.apply_update(payload, peer)
        except RejectedUpdate as exc:
            raise SyncError(f"rejected update from {peer!r}: {exc}") from None

    def close(self) -> None:
        """Stop broadcasting local changes."""
        if self._unsubscribe is not None:
            self._unsubscribe()
            self._unsubscribe = None

    def _broadcast(self, update: bytes) -> None:
        self._send(None, encode(SyncKind.UPDATE, update))
