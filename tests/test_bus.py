"""The bus over in-memory channels: batching, chunking, queues, bad input, liveness."""

from __future__ import annotations

import asyncio
import struct
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

import pytest

from avacollab.bus import (
    CLOSED,
    SEND_FAILED,
    SILENT,
    Bus,
    BusClosed,
    BusConfig,
    BusFull,
    Message,
    MessageTooLarge,
    PeerLost,
    UnknownPeer,
)
from avacollab.bus.channels import MemoryChannel, channel_pair
from avacollab.bus.chunks import chunk_frames
from avacollab.bus.clock import ManualClock
from avacollab.bus.wire import (
    FLAG_DEFLATE,
    FLAG_JSON,
    batch_frame,
    deflate,
    encode_entry,
    pong_frame,
)

from .buskit import Inbox


class Deaths(list[str]):
    """The peers a bus reported dead, in order; ``why`` has the reasons given."""

    def __init__(self) -> None:
        super().__init__()
        self.why: list[PeerLost] = []

    def __call__(self, peer: str, why: PeerLost) -> None:
        self.append(peer)
        self.why.append(why)


WAIT = 5.0  # upper bound for every wait; the tests normally take milliseconds


@dataclass
class Wire:
    """The channels between two buses; ``*_a`` ends belong to the first bus."""

    reliable_a: MemoryChannel
    reliable_b: MemoryChannel
    unordered_a: MemoryChannel
    unordered_b: MemoryChannel
    sizes: list[int] = field(default_factory=list)  # frames arriving at b, reliable


def connect(a: Bus, a_id: str, b: Bus, b_id: str) -> Wire:
    reliable_a, reliable_b = channel_pair("bus")
    unordered_a, unordered_b = channel_pair("bus-unordered")
    wire = Wire(reliable_a, reliable_b, unordered_a, unordered_b)
    reliable_b.on("message", lambda data: wire.sizes.append(len(data)))
    a.add_peer(b_id, reliable_a, unordered_a)
    b.add_peer(a_id, reliable_b, unordered_b)
    return wire


async def settle() -> None:
    """Let in-memory delivery run: a few loop turns."""
    for _ in range(5):
        await asyncio.sleep(0)


@pytest.fixture
async def buses() -> AsyncIterator[tuple[Bus, Bus]]:
    a, b = Bus(), Bus()
    yield a, b
    await a.close()
    await b.close()


async def test_messages_of_one_turn_travel_in_one_frame(buses: tuple[Bus, Bus]) -> None:
    a, b = buses
    wire = connect(a, "a", b, "b")
    inbox = Inbox(b, "t.msg")
    for i in range(100):
        a.publish("t.msg", b"%d" % i)
    await inbox.wait(100)
    assert inbox.payloads == [b"%d" % i for i in range(100)]
    assert wire.sizes and len(wire.sizes) == 1
    assert (a.counters.frames_sent, b.counters.frames_received) == (1, 1)
    assert (a.counters.messages_sent, b.counters.messages_received) == (100, 100)
    assert all(m.sender == "a" and m.reliable for m in inbox.messages)

    a.publish("t.msg", b"next turn")
    await inbox.wait(101)
    assert a.counters.frames_sent == 2


async def test_frames_stay_under_the_size_cap() -> None:
    config = BusConfig(max_frame_size=1024)
    async with Bus(config) as a, Bus(config) as b:
        wire = connect(a, "a", b, "b")
        inbox = Inbox(b, "t.msg")
        for i in range(200):
            a.publish("t.msg", bytes([i]) * 90)
        await inbox.wait(200)
        assert inbox.payloads == [bytes([i]) * 90 for i in range(200)]
        assert max(wire.sizes) <= 1024
        # Packed greedily; in each frame the first entry names the topic (101
        # bytes) and the others leave it out (96 bytes).
        per_frame = 1 + (1022 - 101) // 96
        assert len(wire.sizes) == -(-200 // per_frame)


async def test_a_small_message_on_a_repeated_topic_costs_three_bytes_and_its_payload(
    buses: tuple[Bus, Bus],
) -> None:
    # docs/protocol.md part 2: flags, topic_len 0, a one-byte varuint length.
    a, b = buses
    wire = connect(a, "a", b, "b")
    inbox = Inbox(b, "t.msg")
    for _ in range(100):
        a.publish("t.msg", b"s" * 30)
    await inbox.wait(100)
    assert wire.sizes == [2 + (2 + 5 + 1 + 30) + 99 * (3 + 30)]
    assert a.counters.bytes_sent == wire.sizes[0]


async def test_payload_lengths_across_varint_boundaries_arrive_intact(
    buses: tuple[Bus, Bus],
) -> None:
    a, b = buses
    connect(a, "a", b, "b")
    inbox = Inbox(b, "t.msg")
    sizes = [0, 1, 127, 128, 300, 16_383, 16_384, 65_000, 2, 200_000, 127]
    payloads = [bytes([n % 251]) * n for n in sizes]
    for payload in payloads:  # one turn: batches, with chunked messages between them
        a.publish("t.msg", payload)
    await inbox.wait(len(payloads))
    assert inbox.payloads == payloads
    assert b.counters.malformed_frames == 0
    # A chunked message counts once, when its last chunk is handed over.
    assert a.counters.messages_sent == b.counters.messages_received == len(payloads)
    assert a.queued("b") == 0


async def test_handlers_unsubscribed_during_delivery(buses: tuple[Bus, Bus]) -> None:
    a, b = buses
    connect(a, "a", b, "b")
    seen: list[str] = []

    def first(message: Message) -> None:
        seen.append("first " + message.payload.decode())
        stop_second()

    def second(message: Message) -> None:
        seen.append("second " + message.payload.decode())

    b.subscribe("t.msg", first)
    stop_second = b.subscribe("t.msg", second)
    inbox = Inbox(b, "t.msg")
    for n in (b"1", b"2", b"3"):  # one frame
        a.publish("t.msg", n)
    await inbox.wait(3)
    # The message being delivered still reaches every handler it started with.
    assert seen == ["first 1", "second 1", "first 2", "first 3"]


async def test_each_unsubscribe_removes_one_registration_once(
    buses: tuple[Bus, Bus],
) -> None:
    a, b = buses
    connect(a, "a", b, "b")
    seen: list[bytes] = []

    def handler(message: Message) -> None:
        seen.append(message.payload)

    unsubscribe_first = b.subscribe("t.msg", handler)
    b.subscribe("t.msg", handler)
    inbox = Inbox(b, "t.msg")
    a.publish("t.msg", b"1")
    await inbox.wait(1)
    assert seen == [b"1", b"1"]
    unsubscribe_first()
    unsubscribe_first()  # harmless: the second registration stays
    a.publish("t.msg", b"2")
    await inbox.wait(2)
    assert seen == [b"1", b"1", b"2"]


async def test_one_megabyte_payload_is_chunked_and_reassembled(buses: tuple[Bus, Bus]) -> None:
    a, b = buses
    wire = connect(a, "a", b, "b")
    inbox = Inbox(b, "file.data")
    small = Inbox(b, "t.small")
    payload = bytes(range(256)) * 4096
    a.publish("t.small", b"before")
    a.publish("file.data", payload)
    a.publish("t.small", b"after")
    (message,) = await inbox.wait(1)
    assert message.payload == payload
    assert (await small.wait(2))[1].payload == b"after"
    frame = a.config.max_frame_size
    assert max(wire.sizes) <= frame
    assert len(wire.sizes) >= 2 + len(payload) // frame


async def test_large_unordered_payload_is_chunked_too(buses: tuple[Bus, Bus]) -> None:
    a, b = buses
    connect(a, "a", b, "b")
    inbox = Inbox(b, "file.data")
    payload = b"\x07" * 100_000
    a.publish("file.data", payload, reliable=False)
    (message,) = await inbox.wait(1)
    assert message.payload == payload and not message.reliable


async def test_publish_to_one_peer() -> None:
    async with Bus() as a, Bus() as b, Bus() as c:
        connect(a, "a", b, "b")
        connect(a, "a", c, "c")
        at_b, at_c = Inbox(b, "t.msg"), Inbox(c, "t.msg")
        assert a.publish("t.msg", b"all") == 2
        assert a.publish("t.msg", b"only c", to="c") == 1
        assert [m.payload for m in await at_c.wait(2)] == [b"all", b"only c"]
        assert await at_b.wait(1)
        await settle()
        assert at_b.payloads == [b"all"]
        assert sorted(a.peers) == ["b", "c"]


async def test_json_helpers(buses: tuple[Bus, Bus]) -> None:
    a, b = buses
    connect(a, "a", b, "b")
    inbox = Inbox(b, "t.json")
    a.publish_json("t.json", {"x": 1, "name": "é"})
    await a.send_json("t.json", [1, 2])
    messages = await inbox.wait(2)
    assert [m.json() for m in messages] == [{"x": 1, "name": "é"}, [1, 2]]
    assert all(m.flags == FLAG_JSON for m in messages)


async def test_sync_and_async_handlers_and_unsubscribe(buses: tuple[Bus, Bus]) -> None:
    a, b = buses
    connect(a, "a", b, "b")
    seen: list[str] = []
    done = asyncio.Event()

    async def slow(message: Message) -> None:
        await asyncio.sleep(0)
        seen.append("async " + message.payload.decode())
        done.set()

    unsubscribe = b.subscribe("t.msg", lambda m: seen.append("sync " + m.payload.decode()))
    b.subscribe("t.msg", slow)
    a.publish("t.msg", b"1")
    async with asyncio.timeout(WAIT):
        await done.wait()
    assert seen == ["sync 1", "async 1"]
    unsubscribe()
    unsubscribe()  # harmless
    done.clear()
    a.publish("t.msg", b"2")
    async with asyncio.timeout(WAIT):
        await done.wait()
    assert seen == ["sync 1", "async 1", "async 2"]


async def test_failing_handlers_are_counted_and_do_not_stop_delivery(
    buses: tuple[Bus, Bus],
) -> None:
    a, b = buses
    connect(a, "a", b, "b")

    def broken(message: Message) -> None:
        raise RuntimeError("handler bug")

    async def broken_async(message: Message) -> None:
        raise RuntimeError("async handler bug")

    b.subscribe("t.msg", broken)
    b.subscribe("t.msg", broken_async)
    inbox = Inbox(b, "t.msg")
    a.publish("t.msg", b"1")
    a.publish("t.msg", b"2")
    await inbox.wait(2)
    await settle()
    assert b.counters.handler_errors == 4


async def test_unordered_newest_wins_per_topic(buses: tuple[Bus, Bus]) -> None:
    a, b = buses
    connect(a, "a", b, "b")
    cursor, other = Inbox(b, "presence.cursor"), Inbox(b, "presence.status")
    for x in range(5):
        a.publish("presence.cursor", b"%d" % x, reliable=False)
    a.publish("presence.status", b"busy", reliable=False)
    await other.wait(1)
    await settle()
    assert cursor.payloads == [b"4"]
    assert a.counters.replaced == 4
    assert not cursor.messages[0].reliable


async def test_unordered_queue_drops_oldest_when_full() -> None:
    async with Bus(BusConfig(unordered_queue_messages=3)) as a, Bus() as b:
        connect(a, "a", b, "b")
        inboxes = [Inbox(b, f"t.m{i}") for i in range(5)]
        for i in range(5):
            a.publish(f"t.m{i}", b"x", reliable=False)
        await inboxes[4].wait(1)
        await settle()
        assert [len(inbox.messages) for inbox in inboxes] == [0, 0, 1, 1, 1]
        assert a.counters.overflowed == 2


async def test_unordered_queue_holds_newest_while_channel_is_full() -> None:
    config = BusConfig(high_water=200, low_water=100)
    async with Bus(config) as a, Bus() as b:
        wire = connect(a, "a", b, "b")
        inbox = Inbox(b, "presence.cursor")
        wire.unordered_a.pause()
        a.publish("presence.cursor", b"0" * 300, reliable=False)  # fills the channel
        await settle()
        for x in range(1, 50):
            a.publish("presence.cursor", b"%d" % x, reliable=False)
        await settle()
        # One message queued, not 49.
        assert a.queued("b", reliable=False) == len(encode_entry("presence.cursor", b"49"))
        wire.unordered_a.resume()
        await inbox.wait(2)
        assert inbox.payloads == [b"0" * 300, b"49"]


async def test_reliable_backpressure_never_drops() -> None:
    config = BusConfig(high_water=4096, low_water=1024, reliable_queue_bytes=8192)
    async with Bus(config) as a, Bus() as b:
        wire = connect(a, "a", b, "b")
        inbox = Inbox(b, "t.msg")
        wire.reliable_a.pause()
        sent = 0
        with pytest.raises(BusFull):
            while True:
                a.publish("t.msg", b"%06d" % sent + b"x" * 94)
                sent += 1
                await asyncio.sleep(0)  # let flushes run, one turn per message
        # The channel took frames up to the high-water mark, the queue the rest.
        assert 4096 <= wire.reliable_a.bufferedAmount < 4096 + config.max_frame_size
        assert a.queued("b") > 8192 - 120
        waiting = asyncio.ensure_future(a.send("t.msg", b"%06d" % sent + b"x" * 94))
        await settle()
        assert not waiting.done()
        wire.reliable_a.resume()
        async with asyncio.timeout(WAIT):
            await waiting
            await a.drain()
        messages = await inbox.wait(sent + 1)
        assert [m.payload[:6] for m in messages] == [b"%06d" % i for i in range(sent + 1)]
        assert a.queued("b") == 0


async def test_bus_full_queues_for_nobody() -> None:
    config = BusConfig(high_water=1000, low_water=100, reliable_queue_bytes=2000)
    async with Bus(config) as a, Bus() as b, Bus() as c:
        to_b = connect(a, "a", b, "b")
        connect(a, "a", c, "c")
        at_c = Inbox(c, "t.msg")
        to_b.reliable_a.pause()
        a.publish("t.msg", b"x" * 1500)
        await settle()
        a.publish("t.msg", b"y" * 1500, to="b")
        with pytest.raises(BusFull, match="b"):
            a.publish("t.msg", b"z" * 1500)
        await at_c.wait(1)
        await settle()
        assert at_c.payloads == [b"x" * 1500]


async def test_a_message_larger_than_the_queue_limit_still_goes_alone() -> None:
    config = BusConfig(reliable_queue_bytes=1000, max_frame_size=512)
    async with Bus(config) as a, Bus() as b:
        connect(a, "a", b, "b")
        inbox = Inbox(b, "t.big")
        a.publish("t.big", b"x" * 5000)
        with pytest.raises(BusFull):
            a.publish("t.big", b"y")
        await a.send("t.big", b"y")
        assert (await inbox.wait(2))[0].payload == b"x" * 5000


async def test_messages_wait_for_a_channel_to_open(buses: tuple[Bus, Bus]) -> None:
    a, b = buses
    reliable_a, reliable_b = channel_pair()
    unordered_a, unordered_b = channel_pair()
    reliable_a.readyState = "connecting"
    a.add_peer("b", reliable_a, unordered_a)
    b.add_peer("a", reliable_b, unordered_b)
    inbox = Inbox(b, "t.msg")
    a.publish("t.msg", b"early")
    await settle()
    assert inbox.messages == [] and a.queued("b") > 0
    reliable_a.readyState = "open"
    reliable_a.emit("open")
    assert (await inbox.wait(1))[0].payload == b"early"


async def test_garbage_oversized_and_unknown_topics_are_survived() -> None:
    async with Bus() as a, Bus(BusConfig(max_incoming_frame=1000)) as b:
        wire = connect(a, "a", b, "b")
        inbox = Inbox(b, "t.msg")
        wire.reliable_a.send(b"\xde\xad\xbe\xef garbage")
        wire.reliable_a.send("a text frame")
        wire.unordered_a.send(b"\x01\x01\x00\x03a.b\xff\xff\xff\xff")
        wire.reliable_a.send(batch_frame([encode_entry("t.msg", b"x" * 1000)]))
        wire.reliable_a.send(batch_frame([encode_entry("nobody.listens", b"?")]))
        wire.unordered_a.send(pong_frame(float("nan")))
        a.publish("t.msg", b"still fine")
        assert [m.payload for m in await inbox.wait(1)] == [b"still fine"]
        counters = b.counters
        assert (counters.malformed_frames, counters.oversized_frames) == (3, 1)
        assert counters.unknown_topics == 1
        assert b.rtt("a") is None
        assert b.peers == ("a",)


async def test_hostile_chunks_are_bounded(buses: tuple[Bus, Bus]) -> None:
    a, b = buses
    wire = connect(a, "a", b, "b")
    inbox = Inbox(b, "t.msg")
    limit = b.config.max_message_size
    # Claims a message over the limit.
    wire.reliable_a.send(b"\x01\x02" + struct.pack(">IIII", 1, 0, 1000, limit + 1) + b"x")
    # Starts far more messages than may be in reassembly at once.
    for mid in range(100):
        wire.reliable_a.send(b"\x01\x02" + struct.pack(">IIII", mid, 0, 1000, 10**6) + b"x" * 100)
    a.publish("t.msg", b"still fine")
    await inbox.wait(1)
    assert b.counters.malformed_frames == 1
    assert b.counters.partials_evicted == 100 - b.config.max_partial_messages


async def test_a_chunk_frame_from_a_peer_reassembles(buses: tuple[Bus, Bus]) -> None:
    a, b = buses
    wire = connect(a, "a", b, "b")
    inbox = Inbox(b, "t.msg")
    for frame in reversed(chunk_frames(encode_entry("t.msg", b"z" * 1000), 5, 100)):
        wire.unordered_a.send(frame)
    assert (await inbox.wait(1))[0].payload == b"z" * 1000


async def test_bad_publishes_raise(buses: tuple[Bus, Bus]) -> None:
    a, _ = buses
    with pytest.raises(ValueError):
        a.publish("no-dot", b"")
    with pytest.raises(ValueError):
        a.subscribe("bad topic.x", lambda m: None)
    with pytest.raises(UnknownPeer):
        a.publish("t.msg", b"", to="nobody")
    with pytest.raises(UnknownPeer):
        a.rtt("nobody")
    assert a.publish("t.msg", b"") == 0  # nobody connected yet
    small = Bus(BusConfig(max_message_size=100))
    with pytest.raises(MessageTooLarge):
        small.publish("t.msg", b"x" * 100)
    await small.close()


async def test_compressed_messages_arrive_as_sent_in_fewer_bytes(
    buses: tuple[Bus, Bus],
) -> None:
    a, b = buses
    connect(a, "a", b, "b")
    inbox = Inbox(b, "doc.state")
    state = b"component:button;" * 20_000
    assert a.publish("doc.state", state, compress=True) == 1
    await a.send("doc.state", b"small", compress=True)
    a.publish_json("doc.state", {"plain": True})
    first, second, third = await inbox.wait(3)
    assert (first.payload, second.payload) == (state, b"small")
    assert first.flags == second.flags == 0  # the deflate flag is the bus's business
    assert third.json() == {"plain": True} and third.flags == FLAG_JSON
    assert a.counters.bytes_sent < len(state) // 50
    with pytest.raises(ValueError, match="compress=True"):
        a.publish("doc.state", b"x", flags=FLAG_DEFLATE)


async def test_hostile_compressed_payloads_are_dropped_alone() -> None:
    config = BusConfig(max_message_size=1000)
    async with Bus() as a, Bus(config) as b:
        wire = connect(a, "a", b, "b")
        inbox = Inbox(b, "t.msg")
        bomb = deflate(b"\x00" * 10_000)  # 10 kB from a few bytes, past b's 1,000
        wire.reliable_a.send(
            batch_frame(
                [
                    encode_entry("t.msg", b"before"),
                    encode_entry("t.msg", bomb, FLAG_DEFLATE),
                    encode_entry("t.msg", b"not deflate", FLAG_DEFLATE),
                    encode_entry("t.msg", deflate(b"ok"), FLAG_DEFLATE),
                    encode_entry("t.msg", b"after"),
                ]
            )
        )
        messages = await inbox.wait(3)
        assert [m.payload for m in messages] == [b"before", b"ok", b"after"]
        assert b.counters.malformed_frames == 2
        assert b.peers == ("a",)


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


async def test_pings_go_to_a_peer_only_when_it_has_not_heard_from_us(
    clock: ManualClock,
) -> None:
    config = BusConfig(ping_interval=1.0, rtt_interval=4.0, dead_after=60)
    async with Bus(config, clock=clock) as a, Bus(config, clock=clock) as b:
        connect(a, "a", b, "b")
        inbox = Inbox(b, "t.msg")
        # Nothing sent yet: each side pings on its first check, a second in.
        await clock.advance(1.0)
        assert (a.counters.pings_sent, b.counters.pings_sent) == (1, 1)
        assert (a.counters.pongs_received, b.counters.pongs_received) == (1, 1)
        # a now sends data every half second for 9 s, so b hears from it
        # anyway: a pings only every rtt_interval (4 s), to keep the RTT fresh.
        for i in range(18):
            a.publish("t.msg", b"%d" % i)
            await clock.advance(0.5)
        await inbox.wait(18)
        assert a.counters.pings_sent == 3  # at 1, 5 and 9 s
        # b sent no data: it pinged on every check.
        assert b.counters.pings_sent == 10
        # Once a has sent nothing for a full interval, it pings again.
        a.publish("t.msg", b"last")
        await clock.advance(1.0)
        assert a.counters.pings_sent == 4
        assert a.peers == ("b",) and b.peers == ("a",)


async def test_rtt_is_measured_and_a_silent_peer_reported_once(clock: ManualClock) -> None:
    config = BusConfig(ping_interval=1.0, dead_after=5.0)
    dead = Deaths()
    async with (
        Bus(config, clock=clock, on_peer_dead=dead) as a,
        Bus(config, clock=clock) as b,
    ):
        wire = connect(a, "a", b, "b")
        assert a.rtt("b") is None
        await clock.advance(1.0)
        assert a.rtt("b") == 0.0  # the pong came back within the same instant
        # b's frames (its pong among them) held up for 0.25 s: one sample of
        # 0.25 s, smoothed in at 1/8.
        wire.unordered_b.pause()
        await clock.advance(1.25)
        wire.unordered_b.resume()
        await clock.advance(0)
        assert a.rtt("b") == 0.25 / 8
        # b heard last at the check of 3 s; then nothing more from it.
        await clock.advance(0.75)
        assert a.silence("b") == 0.0
        wire.unordered_b.pause()
        wire.reliable_b.pause()
        await clock.advance(5.0)
        assert dead == [] and a.silence("b") == 5.0  # dead_after, not more
        await clock.advance(1.0)
        assert dead == ["b"] and dead.why == [PeerLost(SILENT, "silent for 5 s")]
        await clock.advance(10)
        assert dead == ["b"]  # once, until b is heard again
        assert a.peers == ("b",)  # reported, not removed: the session decides
        wire.unordered_b.resume()
        await clock.advance(6.0)
        assert dead == ["b"]
        wire.unordered_b.pause()
        await clock.advance(6.0)
        assert dead == ["b", "b"]


async def test_silence_counts_only_once_the_channels_are_open(clock: ManualClock) -> None:
    config = BusConfig(ping_interval=1.0, dead_after=2.0)
    dead = Deaths()
    async with (
        Bus(config, clock=clock, on_peer_dead=dead) as a,
        Bus(config, clock=clock) as b,
    ):
        reliable_a, reliable_b = channel_pair()
        unordered_a, unordered_b = channel_pair()
        unordered_a.readyState = "connecting"
        a.add_peer("b", reliable_a, unordered_a)
        b.add_peer("a", reliable_b, unordered_b)
        await clock.advance(10.0)
        assert dead == [] and a.counters.pings_sent == 0
        # Open at 10 s, with b's frames held: silence counts from there.
        unordered_b.pause()
        reliable_b.pause()
        unordered_a.readyState = "open"
        unordered_a.emit("open")
        await clock.advance(2.0)
        assert a.counters.pings_sent == 2 and dead == []
        await clock.advance(1.0)
        assert dead == ["b"]


async def test_an_incomplete_chunked_message_is_given_up_after_the_timeout(
    clock: ManualClock,
) -> None:
    config = BusConfig(ping_interval=1.0, partial_timeout=10.0)
    async with Bus(config, clock=clock) as a, Bus(config, clock=clock) as b:
        wire = connect(a, "a", b, "b")
        first, _ = chunk_frames(encode_entry("t.msg", b"z" * 200), 7, 128)
        wire.reliable_a.send(first)
        await clock.advance(10.0)
        assert b.counters.partials_evicted == 0
        await clock.advance(1.0)
        assert b.counters.partials_evicted == 1
        assert b.counters.malformed_frames == 0


async def test_a_manual_clock_wakes_each_sleeper_at_its_own_time() -> None:
    clock = ManualClock(start=10.0)
    woke: list[tuple[str, float]] = []

    async def sleeper(name: str, seconds: float) -> None:
        await clock.sleep(seconds)
        woke.append((name, clock.now()))

    tasks = [asyncio.ensure_future(sleeper(n, s)) for n, s in (("b", 3), ("a", 1), ("c", 9))]
    cancelled = asyncio.ensure_future(sleeper("x", 2))
    await clock.advance(0)
    cancelled.cancel()
    await clock.advance(5)
    assert woke == [("a", 11.0), ("b", 13.0)] and clock.now() == 15.0
    await clock.advance(5)
    assert woke[2:] == [("c", 19.0)]
    await asyncio.gather(*tasks)
    with pytest.raises(ValueError):
        await clock.advance(-1)


async def test_liveness_on_real_time_measures_rtt_and_reports_a_dead_peer() -> None:
    # A smoke test of the default clock: real timers, short intervals.
    config = BusConfig(ping_interval=0.02, dead_after=0.2)
    dead: asyncio.Queue[str] = asyncio.Queue()
    async with (
        Bus(config, on_peer_dead=lambda peer, _: dead.put_nowait(peer)) as a,
        Bus(config) as b,
    ):
        wire = connect(a, "a", b, "b")

        heard = asyncio.Event()
        wire.unordered_a.on("message", lambda _: heard.set())  # after the bus's listener
        async with asyncio.timeout(WAIT):
            while a.rtt("b") is None:
                heard.clear()
                await heard.wait()
        rtt = a.rtt("b")
        assert rtt is not None and 0 <= rtt < 1
        assert a.counters.pings_sent > 0 and a.counters.pongs_received > 0
        assert dead.empty()

        wire.unordered_b.pause()  # b's pings and pongs no longer arrive
        wire.reliable_b.pause()
        async with asyncio.timeout(WAIT):
            assert await dead.get() == "b"
        assert a.silence("b") >= 0.2


async def test_async_dead_callback_and_channel_close() -> None:
    seen: list[tuple[str, PeerLost]] = []
    closed = asyncio.Event()

    async def on_dead(peer: str, why: PeerLost) -> None:
        seen.append((peer, why))
        closed.set()

    async with Bus(on_peer_dead=on_dead) as a, Bus() as b:
        wire = connect(a, "a", b, "b")
        wire.reliable_a.close()
        async with asyncio.timeout(WAIT):
            await closed.wait()
        assert seen == [("b", PeerLost(CLOSED, "data channel closed"))]
        assert a.peers == () and b.peers == ()
        with pytest.raises(UnknownPeer):
            a.publish("t.msg", b"", to="b")


async def test_a_failing_send_loses_the_peer() -> None:
    lost = asyncio.Event()
    why: list[PeerLost] = []
    config = BusConfig(max_frame_size=100_000)

    def on_dead(peer: str, reason: PeerLost) -> None:
        why.append(reason)
        lost.set()

    async with Bus(config, on_peer_dead=on_dead) as a, Bus() as b:
        reliable_a, reliable_b = channel_pair(max_message_size=1000)  # smaller than our frames
        unordered_a, unordered_b = channel_pair()
        a.add_peer("b", reliable_a, unordered_a)
        b.add_peer("a", reliable_b, unordered_b)
        a.publish("t.msg", b"x" * 5000)
        async with asyncio.timeout(WAIT):
            await lost.wait()
        assert a.counters.send_errors == 1 and a.peers == ()
        assert [w.cause for w in why] == [SEND_FAILED]
        assert why[0].detail.startswith("send failed: ")


async def test_re_adding_a_peer_replaces_it(buses: tuple[Bus, Bus]) -> None:
    a, b = buses
    old = connect(a, "a", b, "b")
    inbox = Inbox(b, "t.msg")
    connect(a, "a", b, "b")  # a reconnected link
    old.reliable_a.close()  # the old link's close must not drop the new one
    a.publish("t.msg", b"via new link")
    assert (await inbox.wait(1))[0].payload == b"via new link"
    assert a.peers == ("b",)


async def test_removing_a_peer_fails_its_waiting_senders() -> None:
    config = BusConfig(high_water=100, low_water=10, reliable_queue_bytes=200)
    async with Bus(config) as a, Bus() as b:
        wire = connect(a, "a", b, "b")
        wire.reliable_a.pause()
        a.publish("t.msg", b"x" * 150)
        await settle()
        a.publish("t.msg", b"x" * 150)
        waiting = asyncio.ensure_future(a.send("t.msg", b"y" * 150, to="b"))
        draining = asyncio.ensure_future(a.drain("b"))
        await settle()
        a.remove_peer("b")
        a.remove_peer("b")  # idempotent
        with pytest.raises(UnknownPeer):
            await asyncio.wait_for(waiting, WAIT)
        with pytest.raises(UnknownPeer):
            await asyncio.wait_for(draining, WAIT)


async def test_closing_the_bus_fails_waiting_senders() -> None:
    config = BusConfig(high_water=100, low_water=10, reliable_queue_bytes=200)
    a, b = Bus(config), Bus()
    wire = connect(a, "a", b, "b")
    wire.reliable_a.pause()
    a.publish("t.msg", b"x" * 150)
    await settle()
    a.publish("t.msg", b"x" * 150)
    waiting = asyncio.ensure_future(a.send("t.msg", b"y" * 150))
    await settle()
    await a.close()
    await b.close()
    with pytest.raises(BusClosed):
        await asyncio.wait_for(waiting, WAIT)
    with pytest.raises(BusClosed):
        a.publish("t.msg", b"")
    with pytest.raises(BusClosed):
        a.add_peer("c", *channel_pair())


def test_config_is_validated() -> None:
    with pytest.raises(ValueError):
        BusConfig(max_frame_size=10)
    with pytest.raises(ValueError):
        BusConfig(low_water=10, high_water=10)
    with pytest.raises(ValueError):
        BusConfig(dead_after=0)
    with pytest.raises(ValueError):
        BusConfig(rtt_interval=0)
