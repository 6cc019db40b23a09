"""The data-channel bus: topics, batching, chunking, backpressure, liveness.

Each peer contributes two channels: a reliable ordered one and an unordered
one without retransmits. Messages published in one event-loop turn leave in
one frame per peer and channel: aiortc pays a fixed CPU cost per frame and
then per SCTP packet, so both frames and bytes are the budget. The wire
format lives in :mod:`avacollab.bus.wire`; this module only moves frames.

Queue policy, per peer:

* reliable channel: a queue bounded in bytes, kept as the frames that will
  be sent (a :class:`~avacollab.bus.wire.BatchWriter` writes each message
  into its frame when it is published). :meth:`Bus.publish` raises
  :class:`BusFull` rather than drop anything; :meth:`Bus.send` waits for room.
* unordered channel: one queued message per topic (a newer one replaces the
  older, newest wins) and at most ``unordered_queue_messages`` topics; when
  full, the oldest queued message is dropped.

Frames go to a channel only while its ``bufferedAmount`` is under
``high_water``; the ``bufferedamountlow`` event (threshold ``low_water``)
resumes sending.
"""

from __future__ import annotations

import asyncio
import functools
import itertools
import json
import logging
import math
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, fields
from typing import Any, NamedTuple

from ..tasks import TaskSet
from .channels import Channel
from .clock import Clock, MonotonicClock
from .wire import (
    BATCH_HEADER,
    FLAG_DEFLATE,
    FLAG_JSON,
    HEADER_SIZE,
    Batch,
    BatchWriter,
    Chunk,
    Entry,
    FrameError,
    MessageTooLarge,
    Ping,
    Pong,
    Reassembler,
    check_topic,
    chunk_frames,
    decode_batch,
    decode_frame,
    deflate,
    encode_entry,
    encode_json,
    encode_varuint,
    entry_prefix,
    inflate,
    ping_frame,
    pong_frame,
)

__all__ = [
    "Bus",
    "BusClosed",
    "BusConfig",
    "BusCounters",
    "BusError",
    "BusFull",
    "Message",
    "MessageTooLarge",
    "UnknownPeer",
]

logger = logging.getLogger(__name__)


class BusError(Exception):
    """Base class of the errors the bus raises on publish."""


class BusFull(BusError):
    """A peer's reliable queue has no room; nothing was queued for anyone."""


class UnknownPeer(BusError, KeyError):
    """A message addressed to a peer the bus does not know (or no longer knows)."""


class BusClosed(BusError):
    """The bus was closed."""


class Message(NamedTuple):
    """A message as a subscriber receives it (immutable, shared by all handlers)."""

    topic: str
    payload: bytes
    sender: str
    reliable: bool
    flags: int = 0

    def json(self) -> Any:
        """Decode a JSON payload (raises ``ValueError`` when it is not JSON)."""
        return json.loads(self.payload)


Handler = Callable[[Message], Awaitable[None] | None]
PeerCallback = Callable[[str], Awaitable[None] | None]


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


def _compressed(payload: bytes, flags: int, compress: bool) -> tuple[bytes, int]:
    """The payload and flags to publish: deflated and flagged if ``compress``.

    Raises ``ValueError`` for flags that already claim compression.
    """
    if flags & FLAG_DEFLATE:
        raise ValueError("set compress=True instead of FLAG_DEFLATE")
    if compress:
        return deflate(payload), flags | FLAG_DEFLATE
    return payload, flags


class _Item(NamedTuple):
    """A message queued on the unordered channel: one entry, or ready chunk frames."""

    topic: str
    entry: bytes
    frames: tuple[bytes, ...] | None
    size: int


class _Outbox:
    """What is queued for one channel of one peer."""

    def __init__(self, bus: Bus, peer: _Peer, channel: Channel) -> None:
        self.bus = bus
        self.peer = peer
        self.channel = channel

    def flush(self) -> None:
        """Hand frames to the channel until the queue is empty or the channel is full."""
        raise NotImplementedError

    def clear(self) -> None:
        raise NotImplementedError

    def _send(self, frame: bytes) -> None:
        self.channel.send(frame)
        self.peer.last_sent = self.bus.now()
        counters = self.bus.counters
        counters.frames_sent += 1
        counters.bytes_sent += len(frame)


class _ReliableOutbox(_Outbox):
    """The reliable channel's queue: frames written as messages are published."""

    def __init__(self, bus: Bus, peer: _Peer, channel: Channel) -> None:
        super().__init__(bus, peer, channel)
        self.writer = BatchWriter(bus.config.max_frame_size)

    def flush(self) -> None:
        channel = self.channel
        if channel.readyState != "open":
            return  # the "open" event flushes again
        high_water = self.bus.config.high_water
        counters = self.bus.counters
        pop = self.writer.pop
        while channel.bufferedAmount < high_water:
            ready = pop()
            if ready is None:
                return
            frame, messages = ready
            counters.messages_sent += messages
            self._send(frame)
        # the "bufferedamountlow" event flushes again

    def clear(self) -> None:
        self.writer.clear()


class _LatestOutbox(_Outbox):
    """The unordered channel's queue: the newest message of each topic, oldest first."""

    def __init__(self, bus: Bus, peer: _Peer, channel: Channel) -> None:
        super().__init__(bus, peer, channel)
        self.latest: dict[str, _Item] = {}
        self.pending: deque[bytes] = deque()  # chunk frames of a message being sent
        self.queued = 0  # bytes not yet handed to the channel

    def put(self, item: _Item) -> None:
        counters = self.bus.counters
        old = self.latest.pop(item.topic, None)
        if old is not None:
            self.queued -= old.size
            counters.replaced += 1
        self.latest[item.topic] = item
        if len(self.latest) > self.bus.config.unordered_queue_messages:
            self.queued -= self.latest.pop(next(iter(self.latest))).size
            counters.overflowed += 1
        self.queued += item.size

    def flush(self) -> None:
        channel = self.channel
        if channel.readyState != "open":
            return  # the "open" event flushes again
        config = self.bus.config
        counters = self.bus.counters
        latest, pending = self.latest, self.pending
        while channel.bufferedAmount < config.high_water:
            if pending:
                frame = pending.popleft()
                self.queued -= len(frame)
                self._send(frame)
                continue
            if not latest:
                return
            topic, item = next(iter(latest.items()))
            if item.frames is not None:
                # Its frames count down as they are sent, not here.
                del latest[topic]
                pending.extend(item.frames)
                counters.messages_sent += 1
                continue
            # One message per topic, so no topic repeats in the batch.
            batch, size = [BATCH_HEADER], HEADER_SIZE
            while item.frames is None and size + item.size <= config.max_frame_size:
                del latest[topic]
                batch.append(item.entry)
                size += item.size
                if not latest:
                    break
                topic, item = next(iter(latest.items()))
            self.queued -= size - HEADER_SIZE
            counters.messages_sent += len(batch) - 1
            self._send(b"".join(batch))
        # the "bufferedamountlow" event flushes again

    def clear(self) -> None:
        self.latest.clear()
        self.pending.clear()
        self.queued = 0


class _Peer:
    def __init__(self, bus: Bus, peer_id: str, reliable: Channel, unordered: Channel) -> None:
        config = bus.config
        self.id = peer_id
        self.reliable = _ReliableOutbox(bus, self, reliable)
        self.unordered = _LatestOutbox(bus, self, unordered)
        self.outboxes: tuple[_Outbox, _Outbox] = (self.reliable, self.unordered)
        self.reassemblers = tuple(
            Reassembler(
                max_message_size=config.max_message_size,
                max_partial=config.max_partial_messages,
                timeout=config.partial_timeout,
                clock=bus.now,
            )
            for _ in range(2)
        )
        self.last_heard = self.last_sent = bus.now()
        self.last_ping = 0.0
        self.dead = False
        self.rtt: float | None = None
        self.listeners: list[tuple[Channel, str, Callable[..., None]]] = []


class Bus:
    """Topic-addressed messaging with every connected peer.

    ``on_peer_dead(peer_id)`` (sync or async) is called when a peer has not
    been heard from for ``config.dead_after`` seconds (called again only after
    the peer was heard in between), and when one of its channels closes or
    fails (the bus then forgets the peer). Use the bus from one event loop.

    ``clock`` is the time liveness and reassembly run on: real time unless a
    test passes a :class:`~avacollab.bus.clock.ManualClock`.
    """

    def __init__(
        self,
        config: BusConfig | None = None,
        *,
        on_peer_dead: PeerCallback | None = None,
        clock: Clock | None = None,
    ) -> None:
        self.config = config or BusConfig()
        self.clock = clock or MonotonicClock()
        # Bound once: read for every frame sent and received.
        self.now = self.clock.now
        self.counters = BusCounters()
        self.on_peer_dead = on_peer_dead
        self._peers: dict[str, _Peer] = {}
        # Every peer's outbox of each kind, for broadcasts; rebuilt when peers change.
        self._reliable: tuple[_ReliableOutbox, ...] = ()
        self._unordered: tuple[_LatestOutbox, ...] = ()
        # Tuples, replaced on (un)subscribe: delivery needs no copy to be safe
        # against a handler that unsubscribes.
        self._subscribers: dict[str, tuple[Handler, ...]] = {}
        # A payload up to this size, entry included, goes into one batch frame.
        self._small_entry = min(
            self.config.max_frame_size - HEADER_SIZE, self.config.max_message_size
        )
        self._dirty: set[_Outbox] = set()
        self._flush_handle: asyncio.Handle | None = None
        self._progress = asyncio.Event()
        self._tasks = TaskSet(self._handler_failed)
        self._ticker: asyncio.Task[None] | None = None
        self._message_ids = itertools.count()
        self._closed = False

    # -- peers ------------------------------------------------------------

    @property
    def peers(self) -> tuple[str, ...]:
        """Ids of the peers currently on the bus."""
        return tuple(self._peers)

    def add_peer(self, peer_id: str, reliable_channel: Channel, unordered_channel: Channel) -> None:
        """Put a peer on the bus (replacing an earlier registration of the same id).

        Call it as soon as the channels exist, before they open, so that no
        frame the other side sends the moment its end opens is missed. The
        liveness clock starts when the channels are open; frames queued before
        a channel opens go out on its ``open`` event.
        """
        if self._closed:
            raise BusClosed("the bus is closed")
        self.remove_peer(peer_id)
        peer = _Peer(self, peer_id, reliable_channel, unordered_channel)
        self._peers[peer_id] = peer
        self._peers_changed()
        for index, outbox in enumerate(peer.outboxes):
            channel = outbox.channel
            channel.bufferedAmountLowThreshold = self.config.low_water
            self._listen(peer, channel, "message", self._receiver(peer, index))
            self._listen(peer, channel, "bufferedamountlow", self._waker(outbox))
            self._listen(peer, channel, "open", self._waker(outbox))
            self._listen(peer, channel, "close", self._closer(peer))
        if self._ticker is None:
            self._ticker = asyncio.get_running_loop().create_task(self._tick())

    def remove_peer(self, peer_id: str) -> None:
        """Take a peer off the bus, discarding what is queued for it. Idempotent."""
        peer = self._peers.pop(peer_id, None)
        if peer is None:
            return
        self._peers_changed()
        for channel, event, handler in peer.listeners:
            channel.remove_listener(event, handler)
        for outbox in peer.outboxes:
            outbox.clear()
            self._dirty.discard(outbox)
        self._wake()

    def _peers_changed(self) -> None:
        self._reliable = tuple(peer.reliable for peer in self._peers.values())
        self._unordered = tuple(peer.unordered for peer in self._peers.values())

    def rtt(self, peer_id: str) -> float | None:
        """Smoothed round-trip time to a peer in seconds (``None`` before the first pong)."""
        return self._known(peer_id).rtt

    def silence(self, peer_id: str) -> float:
        """Seconds since anything was last received from a peer."""
        return self.now() - self._known(peer_id).last_heard

    def queued(self, peer_id: str, *, reliable: bool = True) -> int:
        """Bytes queued for a peer's channel and not yet handed to it."""
        peer = self._known(peer_id)
        return peer.reliable.writer.size if reliable else peer.unordered.queued

    # -- subscribing ------------------------------------------------------

    def subscribe(self, topic: str, handler: Handler) -> Callable[[], None]:
        """Call ``handler(message)`` for every message on ``topic``.

        The handler may be a plain function or a coroutine function; coroutines
        run as tasks, started in arrival order. Returns a function that
        unsubscribes (calling it twice is harmless).
        """
        check_topic(topic)
        subscribers = self._subscribers
        subscribers[topic] = (*subscribers.get(topic, ()), handler)
        subscribed = True

        def unsubscribe() -> None:
            nonlocal subscribed
            if not subscribed:
                return
            subscribed = False
            handlers = list(subscribers[topic])
            handlers.remove(handler)
            if handlers:
                subscribers[topic] = tuple(handlers)
            else:
                del subscribers[topic]

        return unsubscribe

    # -- publishing -------------------------------------------------------

    def publish(
        self,
        topic: str,
        payload: bytes,
        *,
        to: str | None = None,
        reliable: bool = True,
        flags: int = 0,
        compress: bool = False,
    ) -> int:
        """Queue a message for every peer (or only ``to``); return how many peers.

        It leaves at the end of the current loop turn, batched with the other
        messages of the turn. ``compress`` deflates the payload on the wire
        (subscribers get it back as it was): worth it for large, repetitive
        payloads such as document states, not for small ones. Raises
        :class:`BusFull` (reliable, nothing queued), :class:`UnknownPeer`,
        :class:`MessageTooLarge` or ``ValueError`` for a bad topic or flags.
        """
        payload, flags = _compressed(payload, flags, compress)
        if not reliable:
            return self._publish_unordered(topic, payload, to, flags)
        return self._publish_reliable(topic, payload, to, flags)

    def publish_json(
        self, topic: str, value: Any, *, to: str | None = None, reliable: bool = True
    ) -> int:
        """:meth:`publish` a JSON value (flagged as JSON on the wire)."""
        return self.publish(topic, encode_json(value), to=to, reliable=reliable, flags=FLAG_JSON)

    async def send(
        self,
        topic: str,
        payload: bytes,
        *,
        to: str | None = None,
        flags: int = 0,
        compress: bool = False,
    ) -> int:
        """Reliable :meth:`publish` that waits for queue room instead of raising ``BusFull``."""
        payload, flags = _compressed(payload, flags, compress)
        while True:
            try:
                return self._publish_reliable(topic, payload, to, flags)
            except BusFull:
                await self._wait_progress()

    async def send_json(self, topic: str, value: Any, *, to: str | None = None) -> int:
        """:meth:`send` a JSON value."""
        return await self.send(topic, encode_json(value), to=to, flags=FLAG_JSON)

    async def drain(self, to: str | None = None) -> None:
        """Wait until the reliable queues (all, or ``to``'s) are handed to their channels."""
        while True:
            outboxes = self._reliable_outboxes(to)
            if all(o.writer.size == 0 for o in outboxes):
                return
            await self._wait_progress()

    async def close(self) -> None:
        """Forget every peer, stop the liveness check, and cancel running handlers."""
        self._closed = True
        for peer_id in list(self._peers):
            self.remove_peer(peer_id)
        if self._flush_handle is not None:
            self._flush_handle.cancel()
            self._flush_handle = None
        ticker, self._ticker = self._ticker, None
        if ticker is not None:
            ticker.cancel()
            await asyncio.gather(ticker, return_exceptions=True)
        await self._tasks.cancel()

    async def __aenter__(self) -> Bus:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    def _publish_reliable(self, topic: str, payload: bytes, to: str | None, flags: int) -> int:
        """Queue a message on the reliable channel(s) and return to how many peers.

        Raises :class:`BusFull`, queueing nothing, when a queue has no room.
        """
        # Once a message, so the common case (a payload that fits a batch
        # frame) is written straight into each peer's frame being built.
        prefix = entry_prefix(topic, flags)
        outboxes = self._reliable_outboxes(to)
        n = len(payload)
        size = len(prefix) + n + (1 if n < 128 else len(encode_varuint(n)))
        if size > self._small_entry:
            return self._publish_chunked(outboxes, topic, payload, flags)
        limit = self.config.reliable_queue_bytes
        for outbox in outboxes:
            queued = outbox.writer.size
            if queued and queued + size > limit:
                self._full(outboxes, size)
        dirty = self._dirty
        for outbox in outboxes:
            outbox.writer.add(prefix, payload)
            dirty.add(outbox)
        if self._flush_handle is None and dirty:
            self._flush_handle = asyncio.get_running_loop().call_soon(self._flush)
        return len(outboxes)

    def _publish_chunked(
        self, outboxes: tuple[_ReliableOutbox, ...], topic: str, payload: bytes, flags: int
    ) -> int:
        frames = self._chunks(encode_entry(topic, payload, flags))
        size = sum(map(len, frames))
        self._full(outboxes, size)
        for outbox in outboxes:
            outbox.writer.add_frames(frames)
            self._dirty.add(outbox)
        self._schedule_flush()
        return len(outboxes)

    def _publish_unordered(self, topic: str, payload: bytes, to: str | None, flags: int) -> int:
        entry = encode_entry(topic, payload, flags)
        if self._closed:
            raise BusClosed("the bus is closed")
        outboxes = self._unordered if to is None else (self._known(to).unordered,)
        if len(entry) <= self._small_entry:
            # Once a message: tuple.__new__ skips NamedTuple's Python-level __new__.
            item = tuple.__new__(_Item, (topic, entry, None, len(entry)))
        else:
            frames = self._chunks(entry)
            item = _Item(topic, b"", frames, sum(map(len, frames)))
        for outbox in outboxes:
            outbox.put(item)
            self._dirty.add(outbox)
        self._schedule_flush()
        return len(outboxes)

    def _full(self, outboxes: tuple[_ReliableOutbox, ...], size: int) -> None:
        """Raise :class:`BusFull` unless every outbox takes ``size`` more bytes.

        An empty queue takes any message, so that a large one is not refused for good.
        """
        limit = self.config.reliable_queue_bytes
        full = [o.peer.id for o in outboxes if o.writer.size and o.writer.size + size > limit]
        if full:
            raise BusFull(f"reliable queue full for {', '.join(full)}")

    def _chunks(self, entry: bytes) -> tuple[bytes, ...]:
        if len(entry) > self.config.max_message_size:
            raise MessageTooLarge(
                f"message of {len(entry)} bytes exceeds {self.config.max_message_size}"
            )
        message_id = next(self._message_ids) & 0xFFFFFFFF
        return tuple(chunk_frames(entry, message_id, self.config.max_frame_size))

    def _reliable_outboxes(self, to: str | None) -> tuple[_ReliableOutbox, ...]:
        if self._closed:
            raise BusClosed("the bus is closed")
        return self._reliable if to is None else (self._known(to).reliable,)

    def _known(self, peer_id: str) -> _Peer:
        peer = self._peers.get(peer_id)
        if peer is None:
            raise UnknownPeer(peer_id)
        return peer

    def _schedule_flush(self) -> None:
        if self._flush_handle is None and self._dirty:
            self._flush_handle = asyncio.get_running_loop().call_soon(self._flush)

    def _flush(self) -> None:
        self._flush_handle = None
        dirty, self._dirty = self._dirty, set()
        for outbox in dirty:
            try:
                outbox.flush()
            except Exception as exc:  # a channel refusing a send is a broken link
                self.counters.send_errors += 1
                logger.warning("bus: sending to %s failed: %s", outbox.peer.id, exc)
                self._lose(outbox.peer, f"send failed: {exc}")
        self._wake()

    def _wake(self) -> None:
        self._progress.set()
        self._progress = asyncio.Event()

    async def _wait_progress(self) -> None:
        event = self._progress
        await event.wait()
        if self._closed:
            raise BusClosed("the bus is closed")

    # -- receiving --------------------------------------------------------

    def _listen(self, peer: _Peer, channel: Channel, event: str, f: Callable[..., None]) -> None:
        channel.on(event, f)
        peer.listeners.append((channel, event, f))

    def _waker(self, outbox: _Outbox) -> Callable[[], None]:
        def wake() -> None:
            self._dirty.add(outbox)
            self._schedule_flush()

        return wake

    def _closer(self, peer: _Peer) -> Callable[[], None]:
        def closed() -> None:
            self._lose(peer, "channel closed")

        return closed

    def _receiver(self, peer: _Peer, index: int) -> Callable[[bytes | str], None]:
        # A partial, not a closure: one Python call less for every frame.
        return functools.partial(self._receive, peer, index)

    def _receive(self, peer: _Peer, index: int, data: bytes | str) -> None:
        peer.last_heard = self.now()
        peer.dead = False
        counters = self.counters
        if isinstance(data, str):
            self._reject(peer, "text frame", malformed=True)
            return
        if len(data) > self.config.max_incoming_frame:
            self._reject(peer, f"frame of {len(data)} bytes", malformed=False)
            return
        try:
            if data.startswith(BATCH_HEADER):
                entries = decode_batch(data)
                counters.frames_received += 1
                counters.bytes_received += len(data)
            else:
                entries = self._receive_other(peer, index, data)
        except FrameError as exc:
            self._reject(peer, str(exc), malformed=True)
            return
        self._deliver(peer, index == 0, entries)

    def _receive_other(self, peer: _Peer, index: int, data: bytes) -> list[Entry]:
        """Chunk, ping and pong frames: the messages they complete (if any)."""
        counters = self.counters
        frame = decode_frame(data)
        if isinstance(frame, Ping):
            self._send_control(peer.outboxes[index].channel, pong_frame(frame.token))
            return []
        if isinstance(frame, Pong):
            self._pong(peer, frame.token)
            return []
        counters.frames_received += 1
        counters.bytes_received += len(data)
        if isinstance(frame, Batch):
            return frame.entries
        assert isinstance(frame, Chunk)
        reassembler = peer.reassemblers[index]
        evicted = reassembler.evicted
        try:
            entry = reassembler.add(frame)
        finally:
            counters.partials_evicted += reassembler.evicted - evicted
        return [] if entry is None else [entry]

    def _deliver(self, peer: _Peer, reliable: bool, entries: list[Entry]) -> None:
        counters = self.counters
        counters.messages_received += len(entries)
        subscribers = self._subscribers
        sender = peer.id
        # Once a message: tuple.__new__ skips NamedTuple's Python-level __new__,
        # and a plain handler is called here, not through _call.
        new = tuple.__new__
        for topic, payload, flags in entries:
            handlers = subscribers.get(topic)
            if handlers is None:
                counters.unknown_topics += 1
                continue
            if flags & FLAG_DEFLATE:
                try:
                    payload = inflate(payload, self.config.max_message_size)
                except FrameError as exc:
                    self._reject(peer, f"{topic}: {exc}", malformed=True)
                    continue
                flags &= ~FLAG_DEFLATE
            message = new(Message, (topic, payload, sender, reliable, flags))
            for handler in handlers:
                try:
                    result = handler(message)
                except Exception:
                    self.counters.handler_errors += 1
                    logger.exception("bus: handler %r failed", handler)
                    continue
                if result is not None:
                    self._tasks.spawn(result)

    def _call(self, handler: Callable[[Any], Awaitable[None] | None], arg: Any) -> None:
        try:
            result = handler(arg)
        except Exception:
            self.counters.handler_errors += 1
            logger.exception("bus: handler %r failed", handler)
            return
        self._tasks.spawn(result)

    def _handler_failed(self, exc: BaseException) -> None:
        self.counters.handler_errors += 1
        logger.error("bus: handler failed", exc_info=exc)

    def _reject(self, peer: _Peer, reason: str, *, malformed: bool) -> None:
        counters = self.counters
        if malformed:
            counters.malformed_frames += 1
        else:
            counters.oversized_frames += 1
        # The first bad frame is worth a warning; a flood of them is not worth a log flood.
        level = (
            logging.WARNING
            if counters.malformed_frames + counters.oversized_frames == 1
            else (logging.DEBUG)
        )
        logger.log(level, "bus: dropped a bad frame from %s: %s", peer.id, reason)

    # -- liveness ---------------------------------------------------------

    def _pong(self, peer: _Peer, token: float) -> None:
        self.counters.pongs_received += 1
        sample = self.now() - token
        # The token is our own clock echoed back; a peer could send anything.
        if not math.isfinite(sample) or not 0 <= sample < 600:
            return
        peer.rtt = sample if peer.rtt is None else 0.875 * peer.rtt + 0.125 * sample

    def _send_control(self, channel: Channel, frame: bytes) -> bool:
        # Control frames skip the queues: they are tiny and only meaningful now.
        if channel.readyState != "open" or channel.bufferedAmount >= self.config.high_water:
            return False
        try:
            channel.send(frame)
        except Exception as exc:
            logger.debug("bus: control frame not sent: %s", exc)
            return False
        return True

    async def _tick(self) -> None:
        config = self.config
        while True:
            await self.clock.sleep(config.ping_interval)
            now = self.now()
            for peer in list(self._peers.values()):
                for reassembler in peer.reassemblers:
                    self.counters.partials_evicted += reassembler.expire()
                unordered = peer.outboxes[1].channel
                if unordered.readyState != "open":
                    # Still connecting (the session added it early so that no
                    # first frame is missed): silence only counts once open.
                    peer.last_heard = now
                    continue
                # A peer we sent frames to lately has heard from us: a ping
                # would only cost a frame each way (a tenth of the frames of
                # eight peers moving cursors at 20 Hz), so it waits for the RTT.
                if (
                    now - peer.last_sent >= config.ping_interval
                    or now - peer.last_ping >= config.rtt_interval
                ) and self._send_control(unordered, ping_frame(now)):
                    peer.last_ping = now
                    self.counters.pings_sent += 1
                if not peer.dead and now - peer.last_heard > config.dead_after:
                    peer.dead = True
                    logger.info("bus: nothing heard from %s for %.1f s", peer.id, config.dead_after)
                    self._notify_dead(peer.id)

    def _lose(self, peer: _Peer, reason: str) -> None:
        if self._peers.get(peer.id) is not peer:
            return  # already replaced or removed
        logger.info("bus: lost %s (%s)", peer.id, reason)
        self.remove_peer(peer.id)
        self._notify_dead(peer.id)

    def _notify_dead(self, peer_id: str) -> None:
        if self.on_peer_dead is not None:
            self._call(self.on_peer_dead, peer_id)
