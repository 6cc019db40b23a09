"""The bus wire format: encoding, decoding, chunking and reassembly limits."""

from __future__ import annotations

import contextlib
import struct

import pytest
from hypothesis import given
from hypothesis import strategies as st

from avacollab.bus.chunks import Reassembler, chunk_frames
from avacollab.bus.wire import (
    CHUNK_HEADER_SIZE,
    FLAG_JSON,
    HEADER_SIZE,
    MAX_PAYLOAD_LEN,
    Batch,
    BatchWriter,
    Chunk,
    Entry,
    FrameError,
    Ping,
    Pong,
    batch_frame,
    check_topic,
    decode_entry,
    decode_frame,
    deflate,
    encode_entry,
    encode_json,
    encode_varuint,
    entry_prefix,
    inflate,
    ping_frame,
    pong_frame,
    read_varuint,
)


def test_batch_round_trip() -> None:
    entries = [
        encode_entry("doc.update", b"\x00\x01\xff"),
        encode_entry("presence.cursor", b"", FLAG_JSON),
        encode_entry("chat.say", "héllo ✓".encode()),
        encode_entry("écho.ünicode", b"x"),
    ]
    frame = decode_frame(batch_frame(entries))
    assert frame == Batch(
        [
            Entry("doc.update", b"\x00\x01\xff", 0),
            Entry("presence.cursor", b"", FLAG_JSON),
            Entry("chat.say", "héllo ✓".encode(), 0),
            Entry("écho.ünicode", b"x", 0),
        ]
    )


def test_a_repeated_topic_is_left_out() -> None:
    # docs/protocol.md: topic_len 0 means the previous entry's topic. The
    # sender leaves it out only when the flags repeat too.
    frame = batch_frame(
        [
            encode_entry("a.b", b"1"),
            encode_entry("a.b", b"2"),
            encode_entry("a.b", b"3", FLAG_JSON),
            encode_entry("c.d", b"4"),
        ]
    )
    assert frame == (
        b"\x01\x01"
        + b"\x00\x03a.b\x011"
        + b"\x00\x00\x012"
        + b"\x01\x03a.b\x013"
        + b"\x00\x03c.d\x014"
    )
    # A receiver takes each entry's own flags with the previous topic.
    mixed = b"\x01\x01" + b"\x00\x03a.b\x00" + b"\x01\x00\x02{}"
    assert decode_frame(mixed) == Batch([Entry("a.b", b"", 0), Entry("a.b", b"{}", FLAG_JSON)])


def test_a_batch_cannot_start_without_a_topic() -> None:
    with pytest.raises(FrameError, match="empty topic"):
        decode_frame(b"\x01\x01" + b"\x00\x00\x01x")


def test_deflate_round_trip_and_hostile_input() -> None:
    state = b"node-1234 button primary " * 1000
    packed = deflate(state)
    assert len(packed) < len(state) // 20
    assert inflate(packed, len(state)) == state
    with pytest.raises(FrameError, match="past"):
        inflate(packed, len(state) - 1)  # a bomb stops at the limit, not after
    with pytest.raises(FrameError, match="not raw DEFLATE"):
        inflate(b"\xff\xff definitely not deflate", 10**6)
    with pytest.raises(FrameError, match="truncated"):
        inflate(packed[: len(packed) // 2], 10**6)
    with pytest.raises(FrameError, match="extra bytes"):
        inflate(packed + b"tail", 10**6)
    with pytest.raises(ValueError):
        inflate(packed, 0)


def test_layout_is_as_documented() -> None:
    # The layout docs/protocol.md (part 2) promises to other implementations, byte for byte.
    frame = batch_frame([encode_entry("a.b", b"hi", FLAG_JSON)])
    assert frame == b"\x01\x01" + b"\x01\x03a.b" + b"\x02hi"
    # payload_len is a varuint: 300 = 0b10_0101100 -> 0xAC 0x02.
    assert encode_entry("a.b", b"x" * 300) == b"\x00\x03a.b\xac\x02" + b"x" * 300
    assert ping_frame(1.5) == b"\x01\x03" + struct.pack(">d", 1.5)
    (chunk,) = chunk_frames(b"abc", 7, 64)
    assert chunk == b"\x01\x02" + struct.pack(">IIII", 7, 0, 1, 3) + b"abc"


def test_ping_pong_round_trip() -> None:
    assert decode_frame(ping_frame(12.25)) == Ping(12.25)
    assert decode_frame(pong_frame(-3.0)) == Pong(-3.0)


def test_json_encoding_is_compact_utf8() -> None:
    assert encode_json({"a": [1, 2], "t": "é"}) == '{"a":[1,2],"t":"é"}'.encode()


@pytest.mark.parametrize("topic", ["a.b", "plugin.event", "editor.node.moved", "ü.x", "a-b_c.d9"])
def test_valid_topics(topic: str) -> None:
    assert check_topic(topic) == topic.encode()


@pytest.mark.parametrize(
    "topic",
    ["", "nodot", ".a", "a.", "a..b", "a b.c", "a.b\n", "a.\x00", "tab\t.x", "a." + "x" * 254],
)
def test_invalid_topics(topic: str) -> None:
    with pytest.raises(ValueError):
        check_topic(topic)


def test_topic_limit_counts_utf8_bytes() -> None:
    check_topic("a." + "x" * 253)  # 255 bytes
    with pytest.raises(ValueError, match="255"):
        check_topic("a." + "é" * 127)  # 256 bytes


def test_flags_must_fit_a_byte() -> None:
    with pytest.raises(ValueError):
        encode_entry("a.b", b"", 256)


def _entry_bytes(topic_len: int, topic: bytes, size: int, payload: bytes = b"") -> bytes:
    return bytes((0, topic_len)) + topic + encode_varuint(size) + payload


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"", "shorter than the header"),
        (b"\x01", "shorter than the header"),
        (b"\x02\x01" + _entry_bytes(3, b"a.b", 0), "unsupported frame version 2"),
        (b"\x01\x09", "unknown frame kind 9"),
        (b"\x01\x01", "holds no message"),
        (b"\x01\x01\x00\x03", "truncated message header"),
        (b"\x01\x01\x00\x03a.", "truncated topic"),
        (b"\x01\x01\x00\x03a.b", "truncated topic"),  # no byte left for the length
        (b"\x01\x01" + _entry_bytes(0, b"", 0), "empty topic"),
        (b"\x01\x01" + bytes((0, 200)) + b"a.b\x00\x00\x00\x00", "truncated topic"),
        (b"\x01\x01" + _entry_bytes(2, b"\xff\xfe", 0), "not UTF-8"),
        (b"\x01\x01" + _entry_bytes(3, b"a.b", 5, b"abc"), "past the frame end"),
        (b"\x01\x01" + _entry_bytes(3, b"a.b", 300, b"abc"), "claims 300 bytes past"),
        (b"\x01\x01" + _entry_bytes(3, b"a.b", 0) + b"\x00", "truncated message header"),
        (b"\x01\x01\x00\x03a.b\x80", "truncated varint at byte 7"),
        (b"\x01\x01\x00\x03a.b\xff\xff", "truncated varint"),
        (b"\x01\x01\x00\x03a.b\x80\x00", "overlong varint at byte 7"),
        (b"\x01\x01\x00\x03a.b\x81\x80\x00x", "overlong varint"),
        (b"\x01\x01\x00\x03a.b" + b"\x80" * 5 + b"\x01", "longer than 5 bytes"),
        (b"\x01\x01\x00\x03a.b\xff\xff\xff\xff\x1f", "exceeds 4294967295"),
        (b"\x01\x01" + _entry_bytes(3, b"a.b", 1, b"x") + b"\x00\x00\x85", "truncated varint"),
        (b"\x01\x03\x00", "ping/pong frame must be"),
        (b"\x01\x04" + b"\x00" * 9, "ping/pong frame must be"),
        (b"\x01\x02" + struct.pack(">IIII", 1, 0, 2, 10), "carries no data"),
        (b"\x01\x02" + struct.pack(">IIII", 1, 2, 2, 10) + b"x", "out of range"),
        (b"\x01\x02" + struct.pack(">IIII", 1, 0, 0, 10) + b"x", "out of range"),
        (b"\x01\x02" + struct.pack(">IIII", 1, 0, 3, 2) + b"x", "cannot span"),
        (b"\x01\x02\x00\x00", "carries no data"),
    ],
)
def test_malformed_frames_raise_frame_error(data: bytes, reason: str) -> None:
    with pytest.raises(FrameError, match=reason):
        decode_frame(data)


@given(st.binary(max_size=300))
def test_garbage_raises_only_frame_error(data: bytes) -> None:
    with contextlib.suppress(FrameError):
        decode_frame(data)


@given(st.binary(max_size=64))
def test_garbage_after_a_valid_header_raises_only_frame_error(tail: bytes) -> None:
    for kind in (1, 2, 3, 4):
        with contextlib.suppress(FrameError):
            decode_frame(bytes((1, kind)) + tail)


@given(
    st.lists(
        st.tuples(
            st.from_regex(r"[a-z]{1,10}\.[a-zé]{1,10}", fullmatch=True),
            st.binary(max_size=100),
            st.integers(0, 255),
        ),
        min_size=1,
        max_size=20,
    )
)
def test_any_batch_round_trips(messages: list[tuple[str, bytes, int]]) -> None:
    frame = batch_frame(encode_entry(t, p, f) for t, p, f in messages)
    assert decode_frame(frame) == Batch([Entry(t, p, f) for t, p, f in messages])


@given(
    st.lists(
        st.tuples(
            st.sampled_from(["a.b", "a.c", "é.ü"]), st.binary(max_size=20), st.integers(0, 3)
        ),
        min_size=1,
        max_size=30,
    )
)
def test_batches_with_repeated_topics_round_trip(messages: list[tuple[str, bytes, int]]) -> None:
    frame = batch_frame(encode_entry(t, p, f) for t, p, f in messages)
    assert decode_frame(frame) == Batch([Entry(t, p, f) for t, p, f in messages])


def test_chunks_share_the_bytes_evenly() -> None:
    entry = encode_entry("file.data", b"x" * 16_384)  # just over one 16 KiB frame
    frames = chunk_frames(entry, 1, 16_384)
    sizes = [len(f) - CHUNK_HEADER_SIZE for f in frames]
    assert sizes == [-(-len(entry) // 2), len(entry) // 2]
    assert decode_entry(b"".join(f[CHUNK_HEADER_SIZE:] for f in frames)).payload == b"x" * 16_384
    uneven = chunk_frames(b"y" * 250, 2, CHUNK_HEADER_SIZE + 100)  # 3 chunks: 84, 84, 82
    assert [len(f) - CHUNK_HEADER_SIZE for f in uneven] == [84, 84, 82]


def _chunks(entry: bytes, message_id: int, max_frame: int) -> list[Chunk]:
    chunks = []
    for frame in chunk_frames(entry, message_id, max_frame):
        assert len(frame) <= max_frame
        decoded = decode_frame(frame)
        assert isinstance(decoded, Chunk)
        chunks.append(decoded)
    return chunks


def test_chunking_round_trips_one_megabyte() -> None:
    payload = bytes(range(256)) * 4096
    chunks = _chunks(encode_entry("file.data", payload), 42, 16_384)
    assert len(chunks) == 65
    reassembler = Reassembler(max_message_size=2_000_000)
    results = [reassembler.add(c) for c in chunks]
    assert results[:-1] == [None] * 64
    assert results[-1] == Entry("file.data", payload)
    assert reassembler.buffered == 0 and len(reassembler) == 0


def test_chunks_reassemble_in_any_order() -> None:
    payload = bytes(range(256)) * 10
    reassembler = Reassembler(max_message_size=10_000)
    chunks = _chunks(encode_entry("a.b", payload), 1, 200)
    for chunk in reversed(chunks[1:]):
        assert reassembler.add(chunk) is None
    assert reassembler.add(chunks[0]) == Entry("a.b", payload)


def test_interleaved_messages_reassemble() -> None:
    reassembler = Reassembler(max_message_size=10_000)
    first = _chunks(encode_entry("a.b", b"1" * 500), 1, 100)
    second = _chunks(encode_entry("a.c", b"2" * 500), 2, 100)
    done = [
        e for pair in zip(first, second, strict=True) for c in pair if (e := reassembler.add(c))
    ]
    assert done == [Entry("a.b", b"1" * 500), Entry("a.c", b"2" * 500)]


def test_chunk_frame_size_must_leave_room() -> None:
    with pytest.raises(ValueError):
        chunk_frames(b"abc", 1, CHUNK_HEADER_SIZE)


def _chunk(mid: int, index: int, count: int, total: int, data: bytes) -> Chunk:
    return Chunk(mid, index, count, total, data)


def test_reassembly_refuses_messages_over_the_limit() -> None:
    reassembler = Reassembler(max_message_size=1000)
    with pytest.raises(FrameError, match="exceeds the limit"):
        reassembler.add(_chunk(1, 0, 2, 1001, b"x"))
    assert reassembler.buffered == 0


def test_too_many_partial_messages_evict_the_oldest() -> None:
    reassembler = Reassembler(max_message_size=1000, max_partial=3)
    messages = [_chunks(encode_entry("a.b", bytes([mid]) * 40), mid, 50) for mid in range(10)]
    assert all(len(chunks) == 2 for chunks in messages)
    for chunks in messages:
        assert reassembler.add(chunks[0]) is None
    assert len(reassembler) == 3
    assert reassembler.evicted == 7
    assert reassembler.buffered == 3 * len(messages[0][0].data)
    # The newest three survive and still complete; an evicted one starts over.
    assert reassembler.add(messages[9][1]) == Entry("a.b", bytes([9]) * 40)
    assert reassembler.add(messages[0][1]) is None
    assert len(reassembler) == 3


def test_reassembly_buffer_is_bounded_over_all_messages() -> None:
    reassembler = Reassembler(max_message_size=1000, max_partial=100, max_buffered=250)
    for mid in range(2):
        reassembler.add(_chunk(mid, 0, 10, 1000, b"x" * 100))
    with pytest.raises(FrameError, match="buffer full"):
        reassembler.add(_chunk(2, 0, 10, 1000, b"x" * 100))
    assert reassembler.buffered == 200


def test_incomplete_messages_expire() -> None:
    now = [0.0]
    reassembler = Reassembler(max_message_size=1000, timeout=5.0, clock=lambda: now[0])
    reassembler.add(_chunk(1, 0, 2, 20, b"x" * 10))
    now[0] = 4.0
    assert reassembler.expire() == 0
    now[0] = 5.5
    assert reassembler.expire() == 1
    assert len(reassembler) == 0 and reassembler.buffered == 0 and reassembler.evicted == 1


@pytest.mark.parametrize(
    ("first", "second", "error"),
    [
        ((1, 0, 3, 30), (1, 1, 4, 30), "contradicts"),
        ((1, 0, 3, 30), (1, 0, 3, 30), "duplicate"),
        ((1, 0, 2, 15), (1, 1, 2, 15), "exceed its stated size"),
        ((1, 0, 2, 30), (1, 1, 2, 30), "shorter than its stated size"),
    ],
    ids=["contradicting", "duplicate", "longer-than-stated", "shorter-than-stated"],
)
def test_a_chunk_that_breaks_its_message_drops_it(
    first: tuple[int, int, int, int], second: tuple[int, int, int, int], error: str
) -> None:
    # (message id, index, count, total) of two chunks of 10 bytes each.
    reassembler = Reassembler(max_message_size=1000)
    reassembler.add(_chunk(*first, b"x" * 10))
    with pytest.raises(FrameError, match=error):
        reassembler.add(_chunk(*second, b"x" * 10))
    assert len(reassembler) == 0 and reassembler.buffered == 0


def test_reassembled_bytes_must_be_exactly_one_entry() -> None:
    two = encode_entry("a.b", b"1") + encode_entry("a.b", b"2")
    with pytest.raises(FrameError, match="2 entries"):
        decode_entry(two)
    reassembler = Reassembler(max_message_size=1000)
    half = len(two) // 2
    reassembler.add(_chunk(1, 0, 2, len(two), two[:half]))
    with pytest.raises(FrameError):
        reassembler.add(_chunk(1, 1, 2, len(two), two[half:]))


@pytest.mark.parametrize(
    ("value", "encoded"),
    [
        (0, b"\x00"),
        (1, b"\x01"),
        (127, b"\x7f"),
        (128, b"\x80\x01"),
        (300, b"\xac\x02"),
        (16_383, b"\xff\x7f"),
        (16_384, b"\x80\x80\x01"),
        (MAX_PAYLOAD_LEN, b"\xff\xff\xff\xff\x0f"),
    ],
)
def test_varuint_is_lib0s_encoding(value: int, encoded: bytes) -> None:
    # lib0's writeVarUint (Yjs), LEB128 in the shortest form: what a browser
    # client that already carries Yjs reads with readVarUint.
    assert encode_varuint(value) == encoded
    assert read_varuint(b"?" + encoded + b"!", 1) == (value, 1 + len(encoded))


def test_varuint_refuses_negative_values() -> None:
    with pytest.raises(ValueError):
        encode_varuint(-1)


@given(st.integers(0, MAX_PAYLOAD_LEN))
def test_any_varuint_round_trips(value: int) -> None:
    encoded = encode_varuint(value)
    assert read_varuint(encoded, 0) == (value, len(encoded))
    assert encoded[-1] != 0 or len(encoded) == 1  # the shortest form


@given(st.binary(min_size=1, max_size=7))
def test_garbage_varints_raise_only_frame_error(data: bytes) -> None:
    try:
        value, end = read_varuint(data, 0)
    except FrameError:
        return
    assert encode_varuint(value) == data[:end]  # whatever is accepted is canonical


def test_writer_packs_entries_into_frames_as_they_come() -> None:
    writer = BatchWriter(64)
    a, b = entry_prefix("a.b"), entry_prefix("c.d", FLAG_JSON)
    writer.add(a, b"1")
    writer.add(a, b"2")
    writer.add(b, b"{}")
    writer.add(a, b"3")
    assert writer.size == HEADER_SIZE + 7 + 4 + 8 + 7
    assert writer.pop() == (
        b"\x01\x01" + b"\x00\x03a.b\x011" + b"\x00\x00\x012" + b"\x01\x03c.d\x02{}\x00\x03a.b\x013",
        4,
    )
    assert writer.size == 0 and writer.pop() is None


def test_writer_restates_the_topic_in_each_frame() -> None:
    writer = BatchWriter(HEADER_SIZE + 6 + 20 + 3 + 20)  # two 20-byte messages a frame
    prefix = entry_prefix("a.b")
    for n in range(5):
        writer.add(prefix, bytes([n]) * 20)
    frames = []
    while (ready := writer.pop()) is not None:
        frames.append(ready)
    assert [count for _, count in frames] == [2, 2, 1]
    assert all(len(frame) <= writer.max_frame_size for frame, _ in frames)
    decoded = [decode_frame(frame) for frame, _ in frames]
    assert [e for batch in decoded for e in batch.entries] == [  # type: ignore[union-attr]
        Entry("a.b", bytes([n]) * 20) for n in range(5)
    ]
    assert all(frame[2:7] == b"\x00\x03a.b" for frame, _ in frames)


def test_writer_leaves_out_topics_of_long_payloads_too() -> None:
    writer = BatchWriter(65_536)
    prefix = entry_prefix("doc.update")
    writer.add(prefix, b"x" * 200)
    writer.add(prefix, b"y" * 200)
    ready = writer.pop()
    assert ready is not None
    frame, count = ready
    assert count == 2
    assert frame[2 + 12 + 2 + 200 :][:4] == b"\x00\x00\xc8\x01"  # flags, 0, varuint 200
    assert decode_frame(frame) == Batch(
        [Entry("doc.update", b"x" * 200), Entry("doc.update", b"y" * 200)]
    )


def test_writer_keeps_ready_frames_in_order() -> None:
    writer = BatchWriter(1000)
    prefix = entry_prefix("a.b")
    writer.add(prefix, b"before")
    added = writer.add_frames([b"chunk-1", b"chunk-2"])
    writer.add(prefix, b"after")
    assert added == 14
    assert writer.size == (HEADER_SIZE + 12) + 14 + (HEADER_SIZE + 11)
    popped = [writer.pop() for _ in range(4)]
    assert popped[1:3] == [(b"chunk-1", 0), (b"chunk-2", 1)]  # one message, counted once
    assert popped[0] is not None and popped[3] is not None
    assert popped[0][1] == popped[3][1] == 1
    assert decode_frame(popped[3][0]) == Batch([Entry("a.b", b"after")])  # names its topic
    assert writer.pop() is None and writer.size == 0
    with pytest.raises(ValueError):
        writer.add_frames([])


def test_writer_refuses_an_entry_larger_than_a_frame() -> None:
    writer = BatchWriter(20)
    with pytest.raises(ValueError, match="does not fit"):
        writer.add(entry_prefix("a.b"), b"x" * 13)  # 2 + 5 + 1 + 13 = 21 bytes
    writer.add(entry_prefix("a.b"), b"x" * 12)
    assert writer.size == 20


def test_writer_clear_drops_everything() -> None:
    writer = BatchWriter(100)
    writer.add(entry_prefix("a.b"), b"1")
    writer.add_frames([b"chunk"])
    writer.add(entry_prefix("a.b"), b"2")
    writer.clear()
    assert writer.size == 0 and writer.pop() is None
    writer.add(entry_prefix("a.b"), b"3")  # starts over with the topic named
    assert writer.pop() == (b"\x01\x01\x00\x03a.b\x013", 1)


@given(
    st.integers(40, 400),
    st.lists(
        st.one_of(
            st.tuples(
                st.sampled_from(["a.b", "a.c", "é.ü"]),
                st.integers(0, 3),
                st.binary(max_size=200),
            ),
            st.just(None),  # a chunked message in between
        ),
        max_size=40,
    ),
)
def test_any_writer_sequence_round_trips_within_the_frame_limit(
    limit: int, items: list[tuple[str, int, bytes] | None]
) -> None:
    writer = BatchWriter(limit)
    sent: list[Entry | bytes] = []
    for item in items:
        if item is None:
            writer.add_frames([b"chunk"])
            sent.append(b"chunk")
            continue
        topic, flags, payload = item
        prefix = entry_prefix(topic, flags)
        payload = payload[: max(0, limit - HEADER_SIZE - len(prefix) - 2)]  # fits a frame
        writer.add(prefix, payload)
        sent.append(Entry(topic, payload, flags))
    held = writer.size
    received: list[Entry | bytes] = []
    messages = total = 0
    while (ready := writer.pop()) is not None:
        frame, count = ready
        total += len(frame)
        messages += count
        if frame == b"chunk":
            received.append(frame)
            continue
        assert len(frame) <= limit
        decoded = decode_frame(frame)
        assert isinstance(decoded, Batch) and len(decoded.entries) == count
        received.extend(decoded.entries)
    assert received == sent
    assert (messages, total, writer.size) == (len(sent), held, 0)
