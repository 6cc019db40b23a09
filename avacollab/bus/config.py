"""The bus's limits and timings (:class:`BusConfig`) and running totals (:class:`BusCounters`)."""

from __future__ import annotations

from dataclasses import dataclass, fields


@dataclass(frozen=True, slots=True)
class BusConfig:
    """Limits and timings; the defaults suit browsers and aiortc alike."""

    max_frame_size: int = 65_536
    """Largest frame sent.

    64 KiB is what a peer must accept when its SDP says nothing (RFC 8841);
    aiortc and current browsers announce 256 KiB or more. Larger frames
    would delay the other channel's frames longer: SCTP sends a frame's
    packets back to back, about 6 ms for 64 KiB at this machine's
    throughput. A 16 KiB payload plus its envelope fits in one frame, as
    it does for a raw data channel."""
    max_incoming_frame: int = 262_144
    """Frames larger than this from a peer are dropped unread."""
    max_message_size: int = 16 * 1024 * 1024
    """Largest message, encoded, that may be published or reassembled."""
    max_partial_messages: int = 8
    """Chunked messages in reassembly at once, per peer and channel."""
    partial_timeout: float = 30.0
    """An incomplete chunked message is given up after this many seconds."""
    reliable_queue_bytes: int = 16 * 1024 * 1024
    """Reliable bytes queued per peer before :class:`BusFull` (or waiting)."""
    unordered_queue_messages: int = 256
    """Topics queued per peer on the unordered channel before the oldest is dropped."""
    high_water: int = 262_144
    """Stop handing frames to a channel while its ``bufferedAmount`` is at least this."""
    low_water: int = 65_536
    """Resume below this (the channel's ``bufferedAmountLowThreshold``)."""
    ping_interval: float = 1.0
    """Seconds between liveness pings to a peer we have sent nothing else to meanwhile."""
    rtt_interval: float = 5.0
    """Seconds between pings to a peer that hears from us anyway, to keep its RTT fresh."""
    dead_after: float = 5.0
    """A peer not heard from for this many seconds is reported to ``on_peer_dead``."""

    def __post_init__(self) -> None:
        if self.max_frame_size < 64:
            raise ValueError("max_frame_size must be at least 64 bytes")
        if not 0 <= self.low_water < self.high_water:
            raise ValueError("low_water must be below high_water")
        if self.ping_interval <= 0 or self.dead_after <= 0 or self.rtt_interval <= 0:
            raise ValueError("ping_interval, rtt_interval and dead_after must be positive")


@dataclass(slots=True)
class BusCounters:
    """Running totals, for tests and the terminal."""

    frames_sent: int = 0
    frames_received: int = 0
    messages_sent: int = 0
    messages_received: int = 0
    bytes_sent: int = 0
    bytes_received: int = 0
    pings_sent: int = 0
    pongs_received: int = 0
    unknown_topics: int = 0
    malformed_frames: int = 0
    oversized_frames: int = 0
    partials_evicted: int = 0
    replaced: int = 0
    """Unordered messages superseded by a newer one of the same topic."""
    overflowed: int = 0
    """Unordered messages dropped because the queue was full."""
    handler_errors: int = 0
    send_errors: int = 0

    def as_dict(self) -> dict[str, int]:
        return {f.name: getattr(self, f.name) for f in fields(self)}
