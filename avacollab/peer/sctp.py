"""SCTP acknowledgements as RFC 9260 section 6.2 has them: delayed, and carried by data.

aiortc acknowledges every packet of data the moment it arrives, with a SACK
packet of its own. Every packet costs DTLS encryption and a UDP send on one
side and the reverse on the other, and aiortc's CPU goes by the packet. When
data flows both ways (every peer moving its cursor in a mesh), half of all
packets are such SACKs.

:class:`DelayedAckTransport` acknowledges the way the RFC asks and browsers'
SCTP stacks do: a SACK is held back until the second packet of data, a
packet out of order or the delay running out, whichever comes first, and a
held SACK goes out in the same packet as the next data chunk sent to that
peer. Data in the other direction then carries nearly every SACK for free.

Loss recovery is unchanged: a gap or duplicate, the packet that may fill a
gap and a FORWARD TSN are acknowledged at once, and the delay is far below
aiortc's retransmission timeout (at least one second). A DATA chunk whose
sender asks for its SACK at once (the I bit of RFC 7053, which a sender such
as Chromium's SCTP may set when waiting for the SACK would stall it) is
acknowledged at once too.
:func:`delay_acks` switches an association's transport over; the class
changes only how SACKs are sent, never what they say.
"""

from __future__ import annotations

import asyncio
import contextlib
from struct import pack

from aiortc.rtcdtlstransport import RTCDtlsTransport

from ..internals import dependency_error, require_attributes, require_uses

try:
    from aiortc.rtcsctptransport import (
        SCTP_COMMON_HEADER_LENGTH,
        SCTP_MAX_PACKET_LENGTH,
        SCTP_TSN_MODULO,
        Chunk,
        DataChunk,
        ForwardTsnChunk,
        RTCSctpTransport,
        SackChunk,
        tsn_plus_one,
    )
except ImportError as exc:  # SCTP_MAX_PACKET_LENGTH came with aiortc 1.16
    raise dependency_error("avacollab", "aiortc", str(exc)) from None
from google_crc32c import value as crc32c

__all__ = ["ACK_DELAY", "SACK_IMMEDIATELY", "DelayedAckTransport", "check_aiortc", "delay_acks"]

ACK_DELAY = 0.2
"""Longest a SACK is held back, in seconds: RFC 9260's upper bound."""

SACK_IMMEDIATELY = 0x08
"""The I bit of a DATA chunk's flags (RFC 7053): acknowledge this packet at once."""

# What DelayedAckTransport relies on in aiortc's RTCSctpTransport, none of it
# public: the methods it overrides, with the aiortc methods that must still
# call them for the overrides to take effect, and the state it reads and
# writes, which aiortc sets up in __init__.
_OVERRIDES = {
    "_receive_data_chunk": "_receive_chunk",
    "_receive_forward_tsn_chunk": "_receive_chunk",
    "_send_sack": "_handle_data",
    "_send_chunk": "_transmit",
}
_STATE = (
    "_advertised_rwnd",
    "_association_state",
    "_last_received_tsn",
    "_local_port",
    "_remote_port",
    "_remote_verification_tag",
    "_sack_duplicates",
    "_sack_misordered",
    "_sack_needed",
    "_RTCSctpTransport__log_debug",
)


def check_aiortc() -> None:
    """Raise ``DependencyError`` unless aiortc has every private part this module uses.

    Run when the module is imported.
    """
    require_attributes("avacollab", "aiortc", RTCSctpTransport, ["State"], "RTCSctpTransport")
    for method, caller in _OVERRIDES.items():
        require_attributes("avacollab", "aiortc", RTCSctpTransport, [method], "RTCSctpTransport")
        require_uses("avacollab", "aiortc", RTCSctpTransport, caller, [method])
    require_uses("avacollab", "aiortc", RTCSctpTransport, "__init__", _STATE)
    require_attributes("avacollab", "aiortc", RTCDtlsTransport, ["_send_data"], "RTCDtlsTransport")


check_aiortc()


class DelayedAckTransport(RTCSctpTransport):
    """aiortc's SCTP transport with delayed SACKs bundled into outgoing data."""

    # Class attributes, so an instance of the base class can switch over.
    _ack_timer: asyncio.TimerHandle | None = None
    _ack_packets = 0  # packets with data received since the last SACK
    _ack_data_seen = False  # the packet being handled carried data
    _ack_now = False  # something received since the last SACK needs one at once
    _ack_task: asyncio.Future[None] | None = None  # a held SACK being sent

    async def _receive_data_chunk(self, chunk: DataChunk) -> None:
        self._ack_data_seen = True
        # A chunk that comes while a gap is open may fill it: the sender is
        # recovering from a loss and waits for this SACK (RFC 5681 4.2).
        self._ack_now = self._ack_now or bool(self._sack_misordered)
        # The sender asked for its SACK at once (the I bit, RFC 7053).
        self._ack_now = self._ack_now or bool(chunk.flags & SACK_IMMEDIATELY)
        await super()._receive_data_chunk(chunk)

    async def _receive_forward_tsn_chunk(self, chunk: ForwardTsnChunk) -> None:
        # FORWARD TSN only follows a loss, and its sender waits for the SACK.
        self._ack_now = True
        await super()._receive_forward_tsn_chunk(chunk)

    async def _send_sack(self) -> None:
        # aiortc calls this after each received packet that needs a SACK.
        if self._ack_data_seen:
            self._ack_data_seen = False
            self._ack_packets += 1
        if (
            self._ack_packets >= 2
            or self._ack_now
            or self._sack_misordered
            or self._sack_duplicates
        ):
            await self._send_chunk(self._take_sack())
        elif self._ack_timer is None:
            self._ack_timer = asyncio.get_running_loop().call_later(ACK_DELAY, self._ack_delay_over)

    def _ack_delay_over(self) -> None:
        self._ack_timer = None
        self._ack_task = asyncio.ensure_future(self._send_held_sack())

    async def _send_held_sack(self) -> None:
        if not self._sack_needed or self._association_state != self.State.ESTABLISHED:
            return  # sent with data meanwhile, or the association is gone
        # The DTLS transport may have closed under a still-established association.
        with contextlib.suppress(ConnectionError):
            await self._send_chunk(self._take_sack())

    async def _send_chunk(self, chunk: Chunk) -> None:
        # Replaces aiortc's, which sends every chunk in a packet of its own.
        # aiortc's own debug line for a sent chunk (its private, name-mangled logger).
        self._RTCSctpTransport__log_debug("> %s", chunk)  # type: ignore[attr-defined]
        if self._sack_needed and type(chunk) is DataChunk:
            sack, data = bytes(self._build_sack()), bytes(chunk)
            if SCTP_COMMON_HEADER_LENGTH + len(sack) + len(data) <= SCTP_MAX_PACKET_LENGTH:
                self._sack_sent()
                await self._send_packet(sack + data)  # control chunks go first
                return
        await self._send_packet(bytes(chunk))

    async def _send_packet(self, chunks: bytes) -> None:
        header = pack("!HHL", self._local_port, self._remote_port, self._remote_verification_tag)
        checksum = crc32c(header + b"\x00\x00\x00\x00" + chunks)
        await self.transport._send_data(header + pack("<L", checksum) + chunks)

    def _build_sack(self) -> SackChunk:
        """The SACK for what has been received so far (as aiortc builds it)."""
        last = self._last_received_tsn
        assert last is not None  # set when the association starts, before any data
        gaps: list[list[int]] = []
        gap_next = None
        for tsn in sorted(self._sack_misordered):
            pos = (tsn - last) % SCTP_TSN_MODULO
            if tsn == gap_next:
                gaps[-1][1] = pos
            else:
                gaps.append([pos, pos])
            gap_next = tsn_plus_one(tsn)
        sack = SackChunk()
        sack.cumulative_tsn = last
        sack.advertised_rwnd = max(0, self._advertised_rwnd)
        sack.duplicates = self._sack_duplicates[:]
        sack.gaps = [(start, end) for start, end in gaps]
        return sack

    def _take_sack(self) -> SackChunk:
        """The SACK to send now; nothing is held back any more."""
        sack = self._build_sack()
        self._sack_sent()
        return sack

    def _sack_sent(self) -> None:
        self._sack_duplicates.clear()
        self._sack_needed = False
        self._ack_packets = 0
        self._ack_data_seen = False
        self._ack_now = False
        if self._ack_timer is not None:
            self._ack_timer.cancel()
            self._ack_timer = None


def delay_acks(transport: RTCSctpTransport) -> None:
    """Switch ``transport`` (before it starts) to :class:`DelayedAckTransport`."""
    transport.__class__ = DelayedAckTransport
