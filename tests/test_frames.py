"""The WebSocket frame codec (avacollab/signaling/frames.py), with no I/O.

Client frames are built here by an encoder of the test's own, written from
RFC 6455 section 5.2 (not a copy of frames.py), and the server's frames are
read back by a reference decoder of the test's own. Known answers come from
the RFC's examples (sections 1.3 and 5.7).
"""

from __future__ import annotations

import base64
import itertools
import operator
import random

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from avacollab.signaling import frames
from avacollab.signaling.frames import (
    OP_BINARY,
    OP_CLOSE,
    OP_CONTINUATION,
    OP_PING,
    OP_PONG,
    OP_TEXT,
    Event,
    FrameError,
    FrameReader,
    accept_key,
    close_code,
    close_frame,
    frame,
    text_frame,
    valid_key,
)

RFC_MASK = bytes((0x37, 0xFA, 0x21, 0x3D))  # the masking key of RFC 6455's examples


# -- an independent client encoder and server decoder --------------------------------


def client_frame(
    opcode: int,
    payload: bytes,
    *,
    fin: bool = True,
    mask: bytes | None = RFC_MASK,
    rsv: int = 0,
    length: int | None = None,
) -> bytes:
    """One frame as a client sends it: masked with ``mask`` (None: unmasked,
    which is a protocol error from a client). ``length`` announces another
    length than the payload's, to send a header without its payload."""
    first = (0x80 if fin else 0) | (rsv << 4) | opcode
    size = len(payload) if length is None else length
    mask_bit = 0 if mask is None else 0x80
    if size <= 125:
        head = bytes((first, mask_bit | size))
    elif size <= 0xFFFF:
        head = bytes((first, mask_bit | 126)) + size.to_bytes(2, "big")
    else:
        head = bytes((first, mask_bit | 127)) + size.to_bytes(8, "big")
    if mask is None:
        return head + payload
    return head + mask + bytes(map(operator.xor, payload, itertools.cycle(mask)))


def decode_server_frame(data: bytes) -> tuple[int, bytes]:
    """Exactly one server frame: FIN set, no reserved bits, unmasked, the
    shortest length encoding. Returns its opcode and payload."""
    assert len(data) >= 2
    first, second = data[0], data[1]
    assert first & 0x80, "a server frame is never fragmented"
    assert not first & 0x70, "no reserved bits without an extension"
    assert not second & 0x80, "a server's frames are not masked"
    size, start = second & 0x7F, 2
    if size == 126:
        size, start = int.from_bytes(data[2:4], "big"), 4
        assert size >= 126, "not the shortest length encoding"
    elif size == 127:
        size, start = int.from_bytes(data[2:10], "big"), 10
        assert 0xFFFF < size < 1 << 63, "not the shortest length encoding"
    assert len(data) == start + size, "the frame's length is not its payload's"
    return first & 0x0F, data[start:]


def feed_all(reader: FrameReader, chunks: list[bytes]) -> list[Event]:
    events: list[Event] = []
    for chunk in chunks:
        events += reader.feed(chunk)
    return events


def test_the_test_encoder_matches_the_rfc_example() -> None:
    # RFC 6455 5.7: a single-frame masked text message containing "Hello".
    hello = bytes((0x81, 0x85, 0x37, 0xFA, 0x21, 0x3D, 0x7F, 0x9F, 0x4D, 0x51, 0x58))
    assert client_frame(OP_TEXT, b"Hello") == hello
    assert FrameReader(1024).feed(hello) == [(OP_TEXT, "Hello")]


# -- property: any stream of client frames, cut anywhere -----------------------------

BOUNDARY_SIZES = (0, 1, 124, 125, 126, 127, 65535, 65536, 65537)
FRAGMENT_SIZES = st.one_of(st.integers(0, 300), st.sampled_from(BOUNDARY_SIZES))
CONTROL = st.tuples(
    st.sampled_from((OP_PING, OP_PONG)),
    st.one_of(st.binary(max_size=16), st.binary(min_size=124, max_size=125)),
)
TEXT = st.text(alphabet=st.characters(codec="utf-8"), max_size=40)
VALID_CLOSE_CODES = (1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 1014, 3000, 4000, 4999)
PROPERTY_MAX = 1 << 20
ERROR_MAX = 1024  # max_message of the readers that test limits and errors


def text_of(prefix: str, size: int) -> str:
    """Text of exactly ``size`` UTF-8 bytes starting with (as much as fits of) ``prefix``."""
    head = prefix.encode()[:size].decode("utf-8", "ignore")
    return head + "a" * (size - len(head.encode()))


@st.composite
def streams(draw: st.DrawFn) -> tuple[list[bytes], list[Event]]:
    """Random messages, each in random fragments with random masks and
    control frames in between; the frames and the events they make."""
    wire: list[bytes] = []
    events: list[Event] = []

    def controls() -> None:
        for opcode, payload in draw(st.lists(CONTROL, max_size=2)):
            wire.append(client_frame(opcode, payload, mask=draw(st.binary(min_size=4, max_size=4))))
            events.append((opcode, payload))

    for _ in range(draw(st.integers(0, 4))):
        controls()
        sizes = draw(st.lists(FRAGMENT_SIZES, min_size=1, max_size=4))
        total = sum(sizes)
        if draw(st.booleans()):
            text = text_of(draw(TEXT), total)
            data = text.encode()
            event: Event = (OP_TEXT, text)
        else:
            head = draw(st.binary(max_size=min(total, 32)))
            seed = draw(st.integers(0, 2**32 - 1))
            data = head + random.Random(seed).randbytes(total - len(head))
            event = (OP_BINARY, data)
        opcode = event[0]
        offset = 0
        for n, size in enumerate(sizes):
            if n:
                controls()  # between fragments: a fragment may end mid-character
            last = n == len(sizes) - 1
            mask = draw(st.binary(min_size=4, max_size=4))
            piece = data[offset : offset + size]
            offset += size
            wire.append(client_frame(OP_CONTINUATION if n else opcode, piece, fin=last, mask=mask))
        events.append(event)
    controls()
    if draw(st.booleans()):
        code = draw(st.sampled_from(VALID_CLOSE_CODES))
        payload = code.to_bytes(2, "big") + text_of(draw(TEXT), draw(st.integers(0, 20))).encode()
        wire.append(client_frame(OP_CLOSE, payload, mask=draw(st.binary(min_size=4, max_size=4))))
        events.append((OP_CLOSE, payload))
    return wire, events


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(streams(), st.data())
def test_any_stream_cut_anywhere_gives_the_messages_in_order(
    stream: tuple[list[bytes], list[Event]], data: st.DataObject
) -> None:
    frame_list, expected = stream
    wire = b"".join(frame_list)
    cuts = data.draw(st.lists(st.integers(0, len(wire)), max_size=40), label="cuts")
    if data.draw(st.booleans(), label="also at frame boundaries"):
        # Frames that come one per read, as they mostly do, take feed's short path.
        cuts += itertools.accumulate(len(f) for f in frame_list)
    bounds = [0, *sorted(set(cuts)), len(wire)]
    chunks = [wire[a:b] for a, b in itertools.pairwise(bounds)]
    reader = FrameReader(PROPERTY_MAX)
    assert feed_all(reader, chunks) == expected
    assert reader.error is None
    assert reader.buffered == 0


# -- one whole text frame per read (feed's short path) ----------------------------------


@pytest.mark.parametrize("size", [0, 1, 125, 126, 127, 1000, 65535, 65536])
def test_a_whole_text_frame_in_one_read(size: int) -> None:
    text = text_of("\u00e9t\u00e9 \U0001f600 ", size)
    reader = FrameReader(PROPERTY_MAX)
    assert reader.feed(client_frame(OP_TEXT, text.encode(), mask=b"\x9a\x00\x11\xfe")) == [
        (OP_TEXT, text)
    ]
    assert reader.error is None and reader.buffered == 0


@pytest.mark.parametrize("size", [0, 5, 125, 126, 127])
def test_a_16_bit_length_for_a_short_text_is_read_too(size: int) -> None:
    # Not the shortest encoding, which RFC 6455 asks of senders; read all the same.
    payload = b"x" * size
    masked = bytes(map(operator.xor, payload, itertools.cycle(RFC_MASK)))
    wire = b"\x81\xfe" + size.to_bytes(2, "big") + RFC_MASK + masked
    assert FrameReader(ERROR_MAX).feed(wire) == [(OP_TEXT, "x" * size)]


def test_a_whole_text_frame_during_a_fragmented_message_is_refused() -> None:
    reader = FrameReader(ERROR_MAX)
    assert reader.feed(client_frame(OP_TEXT, b"part", fin=False)) == []
    assert reader.feed(client_frame(OP_TEXT, b"whole")) == []
    assert reader.error is not None and reader.error.code == 1002


def test_the_rest_of_a_frame_that_looks_like_a_text_frame_is_the_rest() -> None:
    # A binary frame whose payload (mask zero) is itself a whole masked text
    # frame, sent as header, then payload: the second read is no new frame.
    inner = client_frame(OP_TEXT, b"not a frame")
    outer = client_frame(OP_BINARY, inner, mask=bytes(4))
    split = len(outer) - len(inner)
    reader = FrameReader(ERROR_MAX)
    assert reader.feed(outer[:split]) == []
    assert reader.feed(outer[split:]) == [(OP_BINARY, inner)]
    assert reader.error is None and reader.buffered == 0


@pytest.mark.parametrize(
    ("wire", "events", "code"),
    [
        (client_frame(OP_TEXT, b"a" * ERROR_MAX), [(OP_TEXT, "a" * ERROR_MAX)], None),
        (client_frame(OP_TEXT, b"a" * (ERROR_MAX + 1)), [], 1009),
        (client_frame(OP_TEXT, b"caf\xc3"), [], 1007),
        (client_frame(OP_TEXT, b"a", mask=None), [], 1002),
        # Followed by a byte of the next frame: not one whole frame.
        (client_frame(OP_TEXT, b"ok") + b"\x81", [(OP_TEXT, "ok")], None),
        # Short by a byte: not whole yet.
        (client_frame(OP_TEXT, b"ok")[:-1], [], None),
    ],
    ids=["at-max", "over-max", "bad-utf8", "unmasked", "with-more", "short"],
)
def test_one_text_frame_per_read_keeps_every_rule(
    wire: bytes, events: list[Event], code: int | None
) -> None:
    reader = FrameReader(ERROR_MAX)
    assert reader.feed(wire) == events
    assert (reader.error and reader.error.code) == code


def test_a_stream_trickled_byte_by_byte_yields_each_event_on_its_last_byte() -> None:
    big = bytes(range(256)) * 300  # 76800 bytes: the 8-byte length
    parts = [
        (client_frame(OP_TEXT, "h\u00e9".encode(), fin=False), None),
        (client_frame(OP_PING, b"are you there"), (OP_PING, b"are you there")),
        # The last fragment starts in the middle of the euro sign.
        (client_frame(OP_CONTINUATION, b"llo \xe2\x82", fin=False), None),
        (client_frame(OP_CONTINUATION, b"\xac"), (OP_TEXT, "h\u00e9llo \u20ac")),
        (client_frame(OP_BINARY, b"\x00" * 300), (OP_BINARY, b"\x00" * 300)),
        (client_frame(OP_BINARY, big, mask=b"\xff\x00\xaa\x55"), (OP_BINARY, big)),
        (client_frame(OP_PONG, b""), (OP_PONG, b"")),
        (client_frame(OP_CLOSE, b"\x03\xe8bye"), (OP_CLOSE, b"\x03\xe8bye")),
    ]
    reader = FrameReader(PROPERTY_MAX)
    for wire, event in parts:
        for byte in wire[:-1]:
            assert reader.feed(bytes((byte,))) == []
        assert reader.feed(wire[-1:]) == ([] if event is None else [event])
    assert reader.error is None and reader.buffered == 0


def test_a_large_frame_fed_byte_by_byte_is_parsed_a_bounded_number_of_times(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    payload = random.Random(7).randbytes(200 * 1024)
    wire = client_frame(OP_BINARY, payload, mask=b"\x01\x02\x03\x04")
    calls = 0
    parse = FrameReader._parse

    def counting(self: FrameReader, data: bytes, events: list[Event]) -> int:
        nonlocal calls
        calls += 1
        return parse(self, data, events)

    monkeypatch.setattr(FrameReader, "_parse", counting)
    reader = FrameReader(PROPERTY_MAX)
    events: list[Event] = []
    for n in range(len(wire)):
        events += reader.feed(wire[n : n + 1])
        if n == len(wire) // 2:
            assert reader.buffered == n + 1  # all held, nothing lost or copied twice
    assert events == [(OP_BINARY, payload)]
    # Once per header stage (2 bytes, the 8-byte length) and once when the
    # payload is whole: re-parsing on every byte would be quadratic.
    assert calls <= 5, calls


# -- the server's frames ---------------------------------------------------------------


def test_server_frames_match_the_rfc_examples() -> None:
    # RFC 6455 5.7: unmasked "Hello", an unmasked ping, 256 and 65536 bytes of binary.
    assert text_frame(b"Hello") == b"\x81\x05Hello"
    assert frame(OP_PING, b"Hello") == b"\x89\x05Hello"
    assert frame(OP_BINARY, bytes(256))[:4] == b"\x82\x7e\x01\x00"
    assert frame(OP_BINARY, bytes(65536))[:10] == b"\x82\x7f\x00\x00\x00\x00\x00\x01\x00\x00"


@pytest.mark.parametrize("size", [0, 1, 125, 126, 127, 1000, 65535, 65536, 70000])
@pytest.mark.parametrize("opcode", [OP_TEXT, OP_BINARY])
def test_frame_encodings_decode_with_the_reference_decoder(size: int, opcode: int) -> None:
    payload = random.Random(size).randbytes(size)
    header_size = 2 if size < 126 else 4 if size < 65536 else 10
    encoded = frame(opcode, payload)
    assert len(encoded) == header_size + size
    assert decode_server_frame(encoded) == (opcode, payload)
    if opcode == OP_TEXT:
        assert text_frame(payload) == encoded


@pytest.mark.parametrize("opcode", [OP_PING, OP_PONG, OP_CLOSE])
def test_control_frames_encode_like_data_frames(opcode: int) -> None:
    for payload in (b"", b"x", bytes(125)):
        assert decode_server_frame(frame(opcode, payload)) == (opcode, payload)


def test_close_frame_carries_code_and_reason() -> None:
    assert decode_server_frame(close_frame(1000, "bye")) == (OP_CLOSE, b"\x03\xe8bye")
    assert decode_server_frame(close_frame(4008)) == (OP_CLOSE, b"\x0f\xa8")
    # No status: an empty close, as the answer to an empty one.
    assert close_frame(frames.NO_STATUS) == close_frame(0) == b"\x88\x00"


def longest_fitting_prefix(reason: str, limit: int = 123) -> bytes:
    """Reference: whole characters of ``reason`` while they fit in ``limit`` bytes."""
    out = b""
    for char in reason:
        encoded = char.encode()
        if len(out) + len(encoded) > limit:
            break
        out += encoded
    return out


@given(
    st.sampled_from(VALID_CLOSE_CODES),
    st.one_of(
        st.text(alphabet=st.characters(codec="utf-8"), max_size=200),
        st.builds(operator.mul, st.sampled_from(["a", "\u00e9", "\u20ac", "\U0001f600"]),
                  st.integers(0, 130)),
    ),
)  # fmt: skip
@example(code=1000, reason="a" * 200)
@example(code=1000, reason="a" + "\u00e9" * 100)  # the cut falls inside a character
@example(code=1000, reason="\U0001f600" * 40)
def test_close_reason_is_cut_to_fit_125_bytes_on_a_character_boundary(
    code: int, reason: str
) -> None:
    opcode, payload = decode_server_frame(close_frame(code, reason))
    assert opcode == OP_CLOSE
    assert len(payload) <= 125
    assert close_code(payload) == code
    assert payload[2:] == longest_fitting_prefix(reason)
    # A client reads it back as a valid close (after masking it as a client would).
    assert FrameReader(1024).feed(client_frame(OP_CLOSE, payload)) == [(OP_CLOSE, payload)]


# -- the handshake ---------------------------------------------------------------------


def test_accept_key_matches_the_rfc_example() -> None:
    # RFC 6455 1.3 (and SHA-1 of the key and the GUID, base64: checked by hand).
    assert accept_key("dGhlIHNhbXBsZSBub25jZQ==") == "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="


@given(st.binary(min_size=16, max_size=16))
def test_valid_key_accepts_any_16_bytes_in_base64(raw: bytes) -> None:
    assert valid_key(base64.b64encode(raw).decode())


@given(st.binary(max_size=40).filter(lambda b: len(b) != 16))
def test_valid_key_refuses_other_lengths(raw: bytes) -> None:
    assert not valid_key(base64.b64encode(raw).decode())


@pytest.mark.parametrize(
    "key",
    [
        "",
        "dGhlIHNhbXBsZSBub25jZQ",  # padding missing
        "dGhlIHNhbXBsZSBub25jZQ==x",
        "dGhlIHNhbXBsZSBub25j ZQ==",
        "dGhlIHNhbXBsZSBub25jZQ!!",
        "not base64 at all",
        "\u00e9" * 24,
    ],
)
def test_valid_key_refuses_what_is_not_base64_of_16_bytes(key: str) -> None:
    assert not valid_key(key)


# -- every way a client can break the protocol -----------------------------------------


def _close(code: int, reason: bytes = b"") -> bytes:
    return client_frame(OP_CLOSE, code.to_bytes(2, "big") + reason)


ERRORS: list[tuple[str, bytes, int]] = [
    ("unmasked", client_frame(OP_TEXT, b"hi", mask=None), 1002),
    ("unmasked-ping", client_frame(OP_PING, b"", mask=None), 1002),
    ("rsv1", client_frame(OP_TEXT, b"hi", rsv=4), 1002),
    ("rsv2", client_frame(OP_TEXT, b"hi", rsv=2), 1002),
    ("rsv3", client_frame(OP_BINARY, b"hi", rsv=1), 1002),
    ("rsv-on-control", client_frame(OP_PING, b"", rsv=4), 1002),
    *[(f"opcode-{op:#x}", client_frame(op, b"x"), 1002) for op in (3, 4, 5, 6, 7)],
    *[(f"opcode-{op:#x}", client_frame(op, b"x"), 1002) for op in range(0xB, 0x10)],
    ("ping-126-bytes", client_frame(OP_PING, bytes(126)), 1002),
    ("pong-126-bytes", client_frame(OP_PONG, bytes(126)), 1002),
    ("close-126-bytes", client_frame(OP_CLOSE, b"\x03\xe8" + b"a" * 124), 1002),
    ("ping-fragmented", client_frame(OP_PING, b"x", fin=False), 1002),
    ("close-fragmented", client_frame(OP_CLOSE, b"\x03\xe8", fin=False), 1002),
    ("continuation-alone", client_frame(OP_CONTINUATION, b"x"), 1002),
    ("continuation-alone-unfinished", client_frame(OP_CONTINUATION, b"x", fin=False), 1002),
    (
        "text-during-a-fragmented-message",
        client_frame(OP_TEXT, b"a", fin=False) + client_frame(OP_TEXT, b"b"),
        1002,
    ),
    (
        "binary-during-a-fragmented-message",
        client_frame(OP_BINARY, b"a", fin=False) + client_frame(OP_BINARY, b"b", fin=False),
        1002,
    ),
    ("too-big-one-frame", client_frame(OP_BINARY, bytes(ERROR_MAX + 1)), 1009),
    ("too-big-text", client_frame(OP_TEXT, b"a" * (ERROR_MAX + 1)), 1009),
    (
        "too-big-across-fragments",
        client_frame(OP_TEXT, b"a" * 600, fin=False) + client_frame(OP_CONTINUATION, b"a" * 425),
        1009,
    ),
    (
        "too-big-across-empty-and-full-fragments",
        client_frame(OP_BINARY, b"", fin=False)
        + client_frame(OP_CONTINUATION, bytes(ERROR_MAX), fin=False)
        + client_frame(OP_CONTINUATION, b"x"),
        1009,
    ),
    ("invalid-utf8", client_frame(OP_TEXT, b"\xff"), 1007),
    ("truncated-utf8", client_frame(OP_TEXT, b"ok \xe2\x82"), 1007),
    ("utf8-encoded-surrogate", client_frame(OP_TEXT, b"\xed\xa0\x80"), 1007),
    ("overlong-utf8", client_frame(OP_TEXT, b"\xc0\xaf"), 1007),
    (
        "invalid-utf8-across-fragments",
        client_frame(OP_TEXT, b"\xe2\x82", fin=False) + client_frame(OP_CONTINUATION, b"("),
        1007,
    ),
    ("close-one-byte", client_frame(OP_CLOSE, b"\x03"), 1002),
    *[(f"close-code-{code}", _close(code), 1002) for code in (0, 999, 1004, 1005, 1006)],
    *[(f"close-code-{code}", _close(code), 1002) for code in (1015, 1016, 2999, 5000, 65535)],
    ("close-reason-invalid-utf8", _close(1000, b"bye \xff"), 1007),
    ("close-reason-truncated-utf8", _close(4000, b"\xf0\x9f\x98"), 1007),
]


@pytest.mark.parametrize(("wire", "code"), [pytest.param(w, c, id=name) for name, w, c in ERRORS])
def test_protocol_errors_carry_their_close_code(wire: bytes, code: int) -> None:
    reader = FrameReader(ERROR_MAX)
    assert reader.feed(wire) == []
    assert reader.error is not None
    assert isinstance(reader.error, FrameError)
    assert reader.error.code == code
    assert reader.error.reason and str(reader.error) == reader.error.reason
    # Nothing is read after an error, not even a good frame.
    error = reader.error
    assert reader.feed(client_frame(OP_TEXT, b"fine")) == []
    assert reader.feed(client_frame(OP_PING, b"")) == []
    assert reader.error is error


@pytest.mark.parametrize(("name", "wire", "code"), ERRORS, ids=[e[0] for e in ERRORS])
def test_events_before_an_error_in_the_same_read_are_kept(
    name: str, wire: bytes, code: int
) -> None:
    reader = FrameReader(ERROR_MAX)
    before = client_frame(OP_TEXT, b"first") + client_frame(OP_PING, b"p")
    assert reader.feed(before + wire + client_frame(OP_TEXT, b"after")) == [
        (OP_TEXT, "first"),
        (OP_PING, b"p"),
    ]
    assert reader.error is not None and reader.error.code == code
    assert reader.feed(client_frame(OP_TEXT, b"later")) == []


@pytest.mark.parametrize(("name", "wire", "code"), ERRORS, ids=[e[0] for e in ERRORS])
def test_errors_are_found_when_trickled_in_too(name: str, wire: bytes, code: int) -> None:
    reader = FrameReader(ERROR_MAX)
    events = feed_all(reader, [wire[n : n + 1] for n in range(len(wire))])
    assert events == []
    assert reader.error is not None and reader.error.code == code


@pytest.mark.parametrize(
    "header",
    [
        pytest.param(client_frame(OP_BINARY, b"", length=ERROR_MAX + 1)[:4], id="16-bit"),
        pytest.param(client_frame(OP_TEXT, b"", length=10 * 2**30)[:10], id="64-bit"),
        pytest.param(client_frame(OP_TEXT, b"", length=2**63 + 5)[:10], id="64-bit-top-bit"),
        pytest.param(
            client_frame(OP_TEXT, b"a" * 1000, fin=False)
            + client_frame(OP_CONTINUATION, b"", length=ERROR_MAX - 999)[:2],
            id="fragment",
        ),
    ],
)
def test_a_too_big_message_is_refused_from_its_header_alone(header: bytes) -> None:
    # The header only, not even the mask: the payload is never waited for.
    reader = FrameReader(ERROR_MAX)
    assert reader.feed(header) == []
    assert reader.error is not None and reader.error.code == 1009


def test_a_continuation_after_the_message_ended_is_refused() -> None:
    reader = FrameReader(ERROR_MAX)
    wire = (
        client_frame(OP_TEXT, b"a", fin=False)
        + client_frame(OP_CONTINUATION, b"b")
        + client_frame(OP_CONTINUATION, b"c")
    )
    assert reader.feed(wire) == [(OP_TEXT, "ab")]
    assert reader.error is not None and reader.error.code == 1002


def test_nothing_is_buffered_after_an_error() -> None:
    reader = FrameReader(ERROR_MAX)
    assert reader.feed(client_frame(OP_BINARY, bytes(1000), fin=False)) == []
    assert reader.feed(client_frame(OP_TEXT, b"new message")) == []
    assert reader.error is not None and reader.error.code == 1002
    assert reader.buffered == 0


def test_an_oversized_control_frame_is_refused_from_its_header_alone() -> None:
    reader = FrameReader(ERROR_MAX)
    assert reader.feed(client_frame(OP_PING, b"", length=126)[:4]) == []
    assert reader.error is not None and reader.error.code == 1002


def test_a_header_needing_more_bytes_is_no_error_yet() -> None:
    reader = FrameReader(ERROR_MAX)
    assert reader.feed(b"\x82\xfe") == []  # a 16-bit length still to come
    assert reader.feed(b"\x00") == []
    assert reader.error is None
    # Three payload bytes, masked: zeros on the wire are the mask's own bytes.
    assert reader.feed(b"\x03" + RFC_MASK + b"\x00\x00") == []
    assert reader.feed(b"\x00") == [(OP_BINARY, RFC_MASK[:3])]
    assert reader.error is None


@pytest.mark.parametrize(
    "chunks",
    [
        [client_frame(OP_BINARY, bytes(ERROR_MAX))],
        [client_frame(OP_TEXT, b"a" * ERROR_MAX)],
        [
            client_frame(OP_BINARY, bytes(512), fin=False),
            client_frame(OP_PING, bytes(125)),  # control frames count for nothing
            client_frame(OP_CONTINUATION, bytes(511), fin=False),
            client_frame(OP_CONTINUATION, bytes(1)),
        ],
    ],
)
def test_a_message_of_exactly_max_message_is_accepted(chunks: list[bytes]) -> None:
    reader = FrameReader(ERROR_MAX)
    events = feed_all(reader, chunks)
    assert reader.error is None
    assert len(events[-1][1]) == ERROR_MAX
    # And the limit is per message: the next one starts from nothing.
    assert reader.feed(client_frame(OP_BINARY, bytes(ERROR_MAX))) == [(OP_BINARY, bytes(ERROR_MAX))]


def test_buffered_counts_the_fragments_held() -> None:
    reader = FrameReader(ERROR_MAX)
    assert reader.feed(client_frame(OP_BINARY, bytes(100), fin=False)) == []
    assert reader.buffered == 100
    assert reader.feed(client_frame(OP_CONTINUATION, bytes(50), fin=False)[:10]) == []
    assert reader.buffered == 110
    assert reader.feed(client_frame(OP_CONTINUATION, bytes(50), fin=False)[10:]) == []
    assert reader.buffered == 150
    assert reader.feed(client_frame(OP_CONTINUATION, b"")) == [(OP_BINARY, bytes(150))]
    assert reader.buffered == 0


@pytest.mark.parametrize("code", [1000, 1001, 1003, 1007, 1011, 1012, 1014, 3000, 4000, 4999])
def test_valid_close_codes_are_accepted(code: int) -> None:
    reader = FrameReader(ERROR_MAX)
    payload = code.to_bytes(2, "big") + "au revoir \u00e0 bient\u00f4t".encode()
    assert reader.feed(_close(code, payload[2:])) == [(OP_CLOSE, payload)]
    assert reader.error is None
    assert close_code(payload) == code


def test_an_empty_close_has_no_code() -> None:
    reader = FrameReader(ERROR_MAX)
    assert reader.feed(client_frame(OP_CLOSE, b"")) == [(OP_CLOSE, b"")]
    assert close_code(b"") == 0
    assert reader.error is None


def test_empty_data_frames_and_controls_are_fine() -> None:
    reader = FrameReader(ERROR_MAX)
    wire = (
        client_frame(OP_TEXT, b"")
        + client_frame(OP_BINARY, b"")
        + client_frame(OP_PING, b"")
        + client_frame(OP_TEXT, b"", fin=False)
        + client_frame(OP_CONTINUATION, b"")
    )
    assert reader.feed(wire) == [(OP_TEXT, ""), (OP_BINARY, b""), (OP_PING, b""), (OP_TEXT, "")]
    assert reader.error is None
