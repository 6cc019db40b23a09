"""Helpers for tests of single peer links: channel inboxes and the SCTP packets a link sends."""

from __future__ import annotations

import asyncio
from typing import Any

from aiortc.rtcsctptransport import RTCSctpTransport

DATA, SACK, FORWARD_TSN = 0, 3, 192  # SCTP chunk types


class Inbox:
    """Messages arriving on a data channel, awaited by count within ``wait`` seconds."""

    def __init__(self, channel: Any, wait: float) -> None:
        self.items: list[bytes] = []
        self.wait = wait
        self._changed = asyncio.Event()
        channel.on("message", self._add)

    def _add(self, data: bytes) -> None:
        self.items.append(data)
        self._changed.set()

    async def count(self, n: int) -> list[bytes]:
        async with asyncio.timeout(self.wait):
            while len(self.items) < n:
                self._changed.clear()
                await self._changed.wait()
        return self.items


def chunk_types(packet: bytes) -> tuple[int, ...]:
    """The types of the chunks in an SCTP packet, in order."""
    types, at = [], 12  # after the common header
    while at < len(packet):
        types.append(packet[at])
        at += (int.from_bytes(packet[at + 2 : at + 4], "big") + 3) & ~3
    return tuple(types)


def watch_packets(transport: RTCSctpTransport, drop: frozenset[int] = frozenset()) -> list[bytes]:
    """Record every SCTP packet ``transport`` sends from now on.

    Packets with data are numbered from 0 as they go; those numbered in
    ``drop`` are recorded but lost, never reaching the network.
    """
    dtls = transport.transport
    send = dtls._send_data
    sent: list[bytes] = []
    data_packets = 0

    async def watched(packet: bytes) -> None:
        nonlocal data_packets
        sent.append(packet)
        if DATA in chunk_types(packet):
            data_packets += 1
            if data_packets - 1 in drop:
                return
        await send(packet)

    dtls._send_data = watched  # type: ignore[method-assign,assignment]
    return sent
