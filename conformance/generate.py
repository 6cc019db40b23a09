"""Write the conformance vectors that the Python and the JavaScript tests share.

    .venv/bin/python conformance/generate.py          # rewrite the JSON files
    .venv/bin/python conformance/generate.py --check  # exit 1 if a file is stale

The cases are chosen here; every expected value (bytes, keys, colors,
verdicts) is computed by the Python implementation, so the files say what
avacollab does today. Both test suites then check every vector: the Python
ones against the code (so a change of behaviour shows up as a failing test,
not as a silently regenerated file), the JavaScript ones against the client
in js/. Refused inputs carry a ``reason``: the stable code of the JavaScript
``FrameError``, which the Python tests map to wire.py's messages.
"""

from __future__ import annotations

import json
import sys
import zlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

from avacollab_editing import fractional, schema
from avacollab_presence import colors

from avacollab.bus.chunks import Reassembler, chunk_frames
from avacollab.bus.wire import (
    HEADER_SIZE,
    BatchWriter,
    Chunk,
    FrameError,
    check_topic,
    decode_frame,
    deflate,
    encode_entry,
    encode_varuint,
    entry_prefix,
    inflate,
    ping_frame,
    pong_frame,
)

HERE = Path(__file__).resolve().parent


def _entry(topic: str, payload: bytes, flags: int = 0) -> dict[str, Any]:
    return {"topic": topic, "flags": flags, "payload": payload.hex()}


def _h(*parts: str | bytes) -> str:
    """Hex of parts given as hex strings (spaces allowed) or raw bytes."""
    return "".join(p.hex() if isinstance(p, bytes) else p.replace(" ", "") for p in parts)


def send(messages: list[tuple[str, bytes, int]], max_frame_size: int) -> list[str]:
    """The frames a Bus sends for messages published in one turn to one peer.

    What avacollab.bus.core does on the reliable channel: an entry (topic
    named) larger than ``max_frame_size - HEADER_SIZE`` is chunked, with
    message ids counting from 0; the rest are packed greedily.
    """
    writer = BatchWriter(max_frame_size)
    message_id = 0
    for topic, payload, flags in messages:
        entry = encode_entry(topic, payload, flags)
        if len(entry) > max_frame_size - HEADER_SIZE:
            writer.add_frames(chunk_frames(entry, message_id, max_frame_size))
            message_id += 1
        else:
            writer.add(entry_prefix(topic, flags), payload)
    frames = []
    while (popped := writer.pop()) is not None:
        frames.append(popped[0].hex())
    return frames


def bus_frames() -> dict[str, Any]:
    ab = b"a.b"
    frames: list[dict[str, Any]] = [
        {
            "name": "docs example: three messages, the third leaves its topic out",
            "hex": _h("0101", "01 03", ab, "01", b"7", "00 03", b"c.d", "00", "00 00 01", b"!"),
        },
        {"name": "one message, empty payload", "hex": _h("0101 00 03", ab, "00")},
        {
            "name": "reserved flag bits are delivered as sent",
            "hex": _h("0101 fd 03", ab, "01 78"),
        },
        {
            "name": "a sender may always name the topic",
            "hex": _h("0101 00 03", ab, "01 31 00 03", ab, "01 32"),
        },
        {
            "name": "an elided topic carries its own flags",
            "hex": _h("0101 01 03", ab, "01 31 00 00 01 32"),
        },
        {
            "name": "a 200-byte payload: two-byte length",
            "hex": _h("0101 00 03", ab, "c8 01", bytes(range(200))),
        },
        {
            "name": "UTF-8 topic",
            "hex": _h("0101 00", bytes([len("é.ü".encode())]), "é.ü".encode(), "00"),
        },
        {
            "name": "chunk frame",
            "hex": _h("0102 0000002a 00000001 00000003 0000000a", b"xyz"),
        },
        {"name": "ping", "hex": ping_frame(1.5).hex()},
        {"name": "pong", "hex": pong_frame(1234.5678).hex()},
        {"name": "ping, negative token", "hex": ping_frame(-0.25).hex()},
    ]
    for case in frames:
        case["frame"] = _describe(decode_frame(bytes.fromhex(case["hex"])))
    t = _h("00 03", ab)  # an entry head: flags 0, topic a.b
    refused = [
        ("empty frame", "", "short-header"),
        ("one byte", "01", "short-header"),
        ("version 2", _h("0201", t, "00"), "version"),
        ("kind 5", "0105", "kind"),
        ("kind 0", "0100", "kind"),
        ("batch with no message", "0101", "empty-batch"),
        ("entry header cut after the flags", "010100", "truncated-header"),
        ("entry header cut after the topic length", "01010003", "truncated-header"),
        ("topic reaches the frame end: no length", _h("0101", t), "truncated-topic"),
        ("topic runs past the frame end", _h("0101 00 05", ab), "truncated-topic"),
        ("topic is not UTF-8", _h("0101 00 03 61 2e ff 00"), "topic-utf8"),
        ("topic is an encoded surrogate", _h("0101 00 05 61 2e eda080 00"), "topic-utf8"),
        ("first entry leaves its topic out", "0101 00 00 00".replace(" ", ""), "missing-topic"),
        ("varuint cut short", _h("0101", t, "80"), "truncated-varint"),
        ("varuint not in shortest form", _h("0101", t, "80 00"), "overlong-varint"),
        ("five-byte varuint not in shortest form", _h("0101", t, "80808080 00"), "overlong-varint"),
        ("varuint of six bytes", _h("0101", t, "8080808080 00"), "varint-too-long"),
        ("varuint of 2^32", _h("0101", t, "8080808010"), "varint-too-large"),
        ("varuint of 2^35-1", _h("0101", t, "ffffffff7f"), "varint-too-large"),
        ("payload runs past the frame end", _h("0101", t, "05 6162"), "payload-overrun"),
        ("second entry cut short", _h("0101", t, "00 00"), "truncated-header"),
        ("ping of 9 bytes", "0103" + "00" * 7, "ping-size"),
        ("pong of 11 bytes", "0104" + "00" * 9, "ping-size"),
        ("chunk header only", "0102" + "00" * 16, "chunk-no-data"),
        ("chunk count 0", _h("0102 00000001 00000000 00000000 00000005 aa"), "chunk-index"),
        ("chunk index = count", _h("0102 00000001 00000002 00000002 00000005 aa"), "chunk-index"),
        (
            "chunk total below count",
            _h("0102 00000001 00000000 00000003 00000002 aa"),
            "chunk-total",
        ),
    ]
    for _, data, _ in refused:
        try:
            decode_frame(bytes.fromhex(data))
        except FrameError:
            continue
        raise AssertionError(f"wire.py accepts {data}")

    varuints = [0, 1, 127, 128, 300, 16_383, 16_384, 2_097_151, 2_097_152, 2**28 - 1, 2**28]
    varuints += [2**32 - 1]

    long_payload = bytes(range(256)) * 2
    batches = [
        (
            "a repeated topic is left out",
            64,
            [("a.b", b"1", 0), ("a.b", b"22", 0), ("a.b", b"", 0)],
        ),
        ("new flags name the topic again", 64, [("a.b", b"1", 1), ("a.b", b"2", 0)]),
        (
            "a topic comes back: named again",
            64,
            [("a.b", b"1", 0), ("c.d", b"2", 0), ("a.b", b"3", 0)],
        ),
        ("greedy packing: two messages a frame", 64, [("a.b", b"x" * 20, 0)] * 5),
        ("an entry that exactly fills the frame", 64, [("a.b", b"x" * 56, 0), ("a.b", b"y", 0)]),
        (
            "a chunked message closes the batch; chunks share the bytes evenly",
            64,
            [("a.b", b"s", 0), ("a.b", long_payload[:100], 0), ("a.b", b"t", 0)],
        ),
        (
            "two chunked messages: ids count up",
            64,
            [("c.d", long_payload, 1), ("c.d", long_payload, 0)],
        ),
        ("one byte more than a frame holds is chunked", 64, [("a.b", b"x" * 57, 0)]),
    ]

    reassembly = [
        _reassembly("in order", {}, _split(b"hello reassembly", 3)),
        _reassembly("reversed", {}, list(reversed(_split(b"hello reassembly", 3)))),
        _reassembly("one chunk", {}, _split(b"solo", 1)),
        _reassembly(
            "a duplicate chunk drops the message",
            {},
            [_split(b"duplicated", 2)[0], _split(b"duplicated", 2)[0], _split(b"duplicated", 2)[1]],
        ),
        _reassembly(
            "a chunk that contradicts the count drops the message",
            {},
            [_chunk(1, 0, 2, 20, b"a" * 10), _chunk(1, 1, 3, 20, b"b" * 10)],
        ),
        _reassembly(
            "total over the message size limit",
            {"maxMessageSize": 32},
            [_chunk(1, 0, 2, 33, b"a" * 17)],
        ),
        _reassembly(
            "pieces longer than total",
            {},
            [_chunk(1, 0, 2, 10, b"a" * 6), _chunk(1, 1, 2, 10, b"b" * 6)],
        ),
        _reassembly(
            "pieces shorter than total",
            {},
            [_chunk(1, 0, 2, 10, b"a" * 4), _chunk(1, 1, 2, 10, b"b" * 4)],
        ),
        _reassembly(
            "a third message evicts the oldest of two",
            {"maxPartial": 2},
            [
                _chunk(1, 0, 2, 20, b"a" * 10),
                _chunk(2, 0, 2, 20, b"b" * 10),
                _chunk(3, 0, 2, 20, b"c" * 10),
                _chunk(1, 1, 2, 20, b"a" * 10),
            ],
        ),
        _reassembly(
            "the buffer bound drops the message that overflows it",
            {"maxBuffered": 25},
            [
                _chunk(1, 0, 2, 20, b"a" * 10),
                _chunk(2, 0, 2, 20, b"b" * 10),
                _chunk(3, 0, 2, 20, b"c" * 10),
            ],
        ),
        _reassembly(
            "a reassembled message holding two entries",
            {},
            _split(encode_entry("a.b", b"1") + encode_entry("a.b", b"2"), 2, raw=True),
        ),
        _reassembly(
            "a reassembled message that leaves its topic out",
            {},
            _split(bytes.fromhex("0000") + b"\x03abc", 2, raw=True),
        ),
    ]

    state = b'{"nodes":' + b'{"id":"button","props":{"label":"OK"}},' * 200 + b"}"
    packed = deflate(state)
    zeros = bytes(1 << 20)
    inflate_cases: list[dict[str, Any]] = [
        {"name": "a document state", "hex": packed.hex(), "limit": len(state)},
        {"name": "one byte over the limit", "hex": packed.hex(), "limit": len(state) - 1},
        {"name": "1 MiB of zeros, limit 64 KiB", "hex": deflate(zeros).hex(), "limit": 65_536},
        {"name": "empty input", "hex": "", "limit": 100},
        {"name": "truncated", "hex": packed[:-4].hex(), "limit": len(state)},
        {"name": "bytes after the end", "hex": (packed + b"\x00\x01").hex(), "limit": len(state)},
        {"name": "not DEFLATE", "hex": "ffffffff", "limit": 100},
        {
            "name": "stored block (zlib level 0)",
            "hex": _raw_deflate(b"stored", 0).hex(),
            "limit": 100,
        },
    ]
    for case in inflate_cases:
        try:
            case["payload"] = inflate(bytes.fromhex(case["hex"]), case["limit"]).hex()
        except FrameError as exc:
            case["reason"] = _inflate_reason(str(exc))

    topics_ok = [
        "a.b",
        "chat.say",
        "editor.node.moved",
        "é.ü",
        "a.\ufeff",
        "x" * 126 + "." + "y" * 128,
    ]
    topics_bad = ["", "a", "a.", ".a", "a..b", "a b.c", "a.b\n", "a.\x7f", "a.\x85", "a.\u00a0"]
    topics_bad += ["a.\u2028", "a.\u3000", "x" * 127 + "." + "y" * 128, "é" * 64 + ".b" * 64]
    for topic in topics_ok:
        check_topic(topic)
    for topic in topics_bad:
        try:
            check_topic(topic)
        except ValueError:
            continue
        raise AssertionError(f"wire.py accepts the topic {topic!r}")

    return {
        "about": "Bus frames (docs/protocol.md part 2). Generated by conformance/generate.py.",
        "varuints": [{"value": v, "hex": encode_varuint(v).hex()} for v in varuints],
        "frames": frames,
        "refused": [{"name": n, "hex": d, "reason": r} for n, d, r in refused],
        "batches": [
            {
                "name": name,
                "maxFrameSize": max_frame,
                "messages": [_entry(*m) for m in messages],
                "frames": send(messages, max_frame),
            }
            for name, max_frame, messages in batches
        ],
        "reassembly": reassembly,
        "inflate": inflate_cases,
        "topics": {"accepted": topics_ok, "refused": topics_bad},
    }


def _raw_deflate(data: bytes, level: int) -> bytes:
    compressor = zlib.compressobj(level, zlib.DEFLATED, -15)
    return compressor.compress(data) + compressor.flush()


def _inflate_reason(message: str) -> str:
    if "inflates past" in message:
        return "deflate-too-large"
    if "not raw DEFLATE" in message:
        return "deflate-invalid"
    assert "truncated or followed" in message, message
    return "deflate-incomplete"


def _describe(frame: object) -> dict[str, Any]:
    from avacollab.bus.wire import Batch, Ping, Pong

    if isinstance(frame, Batch):
        return {
            "kind": "batch",
            "entries": [_entry(e.topic, e.payload, e.flags) for e in frame.entries],
        }
    if isinstance(frame, Chunk):
        return {
            "kind": "chunk",
            "messageId": frame.message_id,
            "index": frame.index,
            "count": frame.count,
            "total": frame.total,
            "data": frame.data.hex(),
        }
    assert isinstance(frame, Ping | Pong)
    return {"kind": "ping" if isinstance(frame, Ping) else "pong", "token": frame.token}


def _chunk(message_id: int, index: int, count: int, total: int, data: bytes) -> str:
    header = bytes.fromhex("0102") + b"".join(
        n.to_bytes(4, "big") for n in (message_id, index, count, total)
    )
    return (header + data).hex()


def _split(data: bytes, count: int, *, raw: bool = False) -> list[str]:
    """Chunk frames of message 7 carrying ``data`` (an entry of topic a.b unless raw)."""
    entry = data if raw else encode_entry("a.b", data)
    step = -(-len(entry) // count)
    return [_chunk(7, i, count, len(entry), entry[i * step : (i + 1) * step]) for i in range(count)]


def _reassembly(name: str, limits: dict[str, int], chunks: list[str]) -> dict[str, Any]:
    options = {"maxMessageSize": 1024, "maxPartial": 8, **limits}
    options.setdefault("maxBuffered", 2 * options["maxMessageSize"])
    reassembler = Reassembler(
        max_message_size=options["maxMessageSize"],
        max_partial=options["maxPartial"],
        max_buffered=options["maxBuffered"],
    )
    steps: list[dict[str, Any]] = []
    for data in chunks:
        frame = decode_frame(bytes.fromhex(data))
        assert isinstance(frame, Chunk)
        try:
            entry = reassembler.add(frame)
        except FrameError as exc:
            steps.append({"chunk": data, "reason": _reassembly_reason(str(exc))})
            continue
        steps.append({"chunk": data, "entry": None if entry is None else _entry(*entry)})
    return {
        "name": name,
        "limits": options,
        "steps": steps,
        "evicted": reassembler.evicted,
        "pending": len(reassembler),
        "buffered": reassembler.buffered,
    }


_REASSEMBLY_REASONS = {
    "exceeds the limit": "message-too-large",
    "contradicts": "chunk-mismatch",
    "duplicate chunk": "chunk-duplicate",
    "exceed its stated size": "chunk-overflow",
    "buffer full": "reassembly-full",
    "shorter than its stated size": "chunk-short",
    "holds 2 entries": "entry-count",
    "empty topic": "missing-topic",
}


def _reassembly_reason(message: str) -> str:
    for text, reason in _REASSEMBLY_REASONS.items():
        if text in message:
            return reason
    raise AssertionError(f"no reason for {message!r}")


def order_keys() -> dict[str, Any]:
    salts = [0, 1, 60, 61, 62, 3_720, 123_456_789, 2**31 - 1, 2**32 - 1, 2**53 - 1]
    bounds: list[tuple[str | None, str | None]] = [
        (None, None),
        ("V", None),
        (None, "V"),
        ("V", "W"),
        ("V", "V1"),
        ("V0001", "V0002"),
        ("Vz", "W"),
        ("zz", None),
        (None, "01"),
        ("a", "a0001"),
        ("Azzzz", "B"),
        ("V1abc", "V1abd"),
        ("zzzzzzzzzzzzzzzz1000h", None),
        (None, "0000000000000000z000h"),
        ("yzzzzzz", None),
        (None, "1"),
        ("z" * 251, None),
        (None, "0" * 251 + "1"),
    ]
    salt = fractional.salt_for(42)
    between = []
    for low, high in bounds:
        between.append(
            {"low": low, "high": high, "salt": salt, "key": fractional.key_between(low, high, salt)}
        )
    refused: list[dict[str, Any]] = []
    for low, high, bad_salt in [
        ("W", "V", salt),
        ("V", "V", salt),
        ("V0", None, salt),
        ("V!", None, salt),
        ("", None, salt),
        (None, "x" * 257, salt),
        ("V", None, ""),
        ("V", None, "a0"),
        ("z" * 252, None, salt),
        (None, "0" * 252 + "1", salt),
    ]:
        try:
            fractional.key_between(low, high, bad_salt)
        except fractional.OrderKeyError:
            refused.append({"low": low, "high": high, "salt": bad_salt})
            continue
        raise AssertionError((low, high, bad_salt))

    # Sequences: each insert goes where an editor puts it, the key kept.
    sequences = []
    for name, where in [("append", "end"), ("prepend", "start"), ("same index", "second")]:
        keys: list[str] = []
        for i in range(120):
            s = fractional.salt_for(i % 3)
            if where == "end":
                low, high = (keys[-1] if keys else None), None
                keys.append(fractional.key_between(low, high, s))
            elif where == "start":
                keys.insert(0, fractional.key_between(None, keys[0] if keys else None, s))
            else:
                low = keys[0] if keys else None
                high = keys[1] if len(keys) > 1 else None
                keys.insert(1 if keys else 0, fractional.key_between(low, high, s))
        assert keys == sorted(keys) and len(set(keys)) == len(keys)
        sequences.append({"name": name, "keys": keys})

    # Long runs at one end: only the last key and the longest one are kept.
    runs = []
    for end in ("append", "prepend"):
        for client_id in (0, 42, 2**31 - 1, 2**53 - 1):
            for count in (1_000, 20_000):
                s = fractional.salt_for(client_id)
                key: str | None = None
                longest = 0
                for _ in range(count):
                    if end == "append":
                        key = fractional.key_between(key, None, s)
                    else:
                        key = fractional.key_between(None, key, s)
                    longest = max(longest, len(key))
                runs.append(
                    {"end": end, "salt": s, "count": count, "last": key, "longest": longest}
                )

    bulk = []
    for low, high, count in [
        (None, None, 5),
        ("V", "W", 61),
        ("V", None, 62),
        (None, "1", 3),
        ("a", "b", 0),
    ]:
        bulk.append(
            {
                "low": low,
                "high": high,
                "count": count,
                "salt": salt,
                "keys": fractional.keys_between(low, high, count, salt),
            }
        )

    candidates = ["V", "a1", "0", "V0", "", "x" * 256, "x" * 257, "V!", "é", "Zz9", " V", 1]
    return {
        "about": "Fractional order keys (plugins/avacollab-editing fractional.py). "
        "Generated by conformance/generate.py.",
        "digits": fractional.DIGITS,
        "salts": [{"clientId": c, "salt": fractional.salt_for(c)} for c in salts],
        "isKey": [{"key": k, "valid": fractional.is_key(k)} for k in candidates],
        "between": between,
        "refused": refused,
        "sequences": sequences,
        "runs": runs,
        "bulk": bulk,
    }


def presence_colors() -> dict[str, Any]:
    ids = ["a9Qe7Xk2mPq4Rt1Z", "Jx3kL0pQw8Yz2Nv5", "peer-1", "peer-2", "", "é", "x" * 64]
    ids += [f"p{i:02d}" for i in range(12)]
    picks = []
    for peer in ids[:6]:
        for taken in ([], [colors.PALETTE[colors.preferred_slot(peer)]], list(colors.PALETTE[:6])):
            picks.append({"peer": peer, "taken": taken, "color": colors.pick_color(peer, taken)})
    picks.append(
        {
            "peer": "peer-1",
            "taken": list(colors.PALETTE),
            "color": colors.pick_color("peer-1", colors.PALETTE),
        }
    )
    upper = [c.upper() for c in colors.PALETTE[:3]] + ["#123456", "not a color"]
    picks.append({"peer": "peer-2", "taken": upper, "color": colors.pick_color("peer-2", upper)})
    # A room filling up: each newcomer picks with everyone before it present.
    room: list[str] = []
    for i in range(14):
        room.append(colors.pick_color(f"p{i:02d}", room))
    return {
        "about": "Presence colors (plugins/avacollab-presence colors.py). "
        "Generated by conformance/generate.py.",
        "palette": list(colors.PALETTE),
        "preferred": [{"peer": p, "slot": colors.preferred_slot(p)} for p in ids],
        "pick": picks,
        "room": {"peers": [f"p{i:02d}" for i in range(14)], "colors": room},
    }


def node_records() -> dict[str, Any]:
    def verdicts(check: Callable[[object], object], values: list[Any]) -> list[dict[str, Any]]:
        out = []
        for value in values:
            try:
                check(expand(value))
            except schema.ValidationError:
                out.append({"value": value, "valid": False})
            else:
                out.append({"value": value, "valid": True})
        return out

    # Large values are written compactly: {"$repeat": [text, n]} stands for
    # text repeated n times and {"$nest": [n, leaf]} for leaf inside n lists.
    big = {"$repeat": ["x", schema.MAX_VALUE_BYTES - 2]}  # 64 KiB exactly, quotes included
    values = [
        None,
        True,
        0,
        -1,
        1.5,
        "text",
        "",
        [],
        {},
        [1, "a", None],
        {"a": {"b": [1, 2]}},
        2**53 - 1,
        -(2**53 - 1),
        1e300,
        {"$nest": [schema.MAX_VALUE_DEPTH, "leaf"]},
        {"$nest": [schema.MAX_VALUE_DEPTH + 1, "leaf"]},
        big,
        {"$repeat": ["x", schema.MAX_VALUE_BYTES - 1]},
        {"k": big},
        [{"$repeat": ["\u00e9", 10_000]}],
        {"$repeat": ["\u00e9", 40_000]},
    ]
    ids = ["a", "Button_1", "a.b:c-d", "x" * 128, "", "x" * 129, "a b", "a/b", "é", 1, None]
    names = ["label", "x" * 256, "", "x" * 257, "with space", 3]
    order = fractional.key_between(None, None, fractional.salt_for(7))
    nodes = [
        {"pos": {"parent": None, "order": order}},
        {"pos": {"parent": "root", "order": order}, "deleted": True},
        {"pos": {"parent": "root", "order": order, "prev": {"parent": None, "order": order}}},
        {},
        {"deleted": False},
        {"pos": {"parent": "a b", "order": order}},
        {"pos": {"parent": None, "order": "V0"}},
        {"pos": {"parent": None}},
        {"pos": "root"},
        {"pos": {"parent": None, "order": order}, "deleted": "yes"},
        {"pos": {"parent": None, "order": order, "prev": {"parent": 5, "order": order}}},
        [],
    ]
    # Python tells integers from floats, JavaScript does not: a JS number is
    # a double, stored as one by Yjs, so only Python refuses these.
    python_ints = [2**53, -(2**53), 2**60]
    return {
        "about": "Node records (plugins/avacollab-editing schema.py). "
        "Generated by conformance/generate.py.",
        "limits": {
            "maxIdLength": schema.MAX_ID_LENGTH,
            "maxPropNameLength": schema.MAX_PROP_NAME_LENGTH,
            "maxValueBytes": schema.MAX_VALUE_BYTES,
            "maxValueDepth": schema.MAX_VALUE_DEPTH,
        },
        "ids": verdicts(schema.check_id, ids),
        "propNames": verdicts(schema.check_prop_name, names),
        "values": verdicts(schema.check_value, values),
        "pythonIntegers": verdicts(schema.check_value, python_ints),
        "entries": verdicts(schema.parse_entry, nodes),
    }


def tree_cases() -> dict[str, Any]:
    """Node maps written straight into a Y document, and the tree model.py reads from them.

    Each case is a list of raw node records ``{id, type, props, pos?, deleted?}``
    (written as they are, past the checks, the way a foreign writer or two
    concurrent moves can leave them; ``write_records`` shows how) and what
    the Python model shows: the rendered tree and every node's state. No
    update bytes: yrs writes a JSON object's keys in hash order, which
    changes from run to run.
    """
    from avacollab_editing.model import Document

    def node(
        node_id: str,
        parent: str | None = None,
        order: str = "V",
        *,
        prev: tuple[str | None, str] | None = None,
        deleted: object = False,
        type: object = "Box",
        props: dict[str, Any] | None = None,
        pos: object = ...,
    ) -> dict[str, Any]:
        record: dict[str, Any] = {"id": node_id, "type": type, "props": props or {}}
        if pos is ...:
            place: dict[str, object] = {"parent": parent, "order": order}
            if prev is not None:
                place["prev"] = {"parent": prev[0], "order": prev[1]}
            pos = place
        if pos is not None:
            record["pos"] = pos
        if deleted is not ...:
            record["deleted"] = deleted
        return record

    cases: list[tuple[str, list[dict[str, Any]]]] = [
        ("empty", []),
        (
            "siblings by order key",
            [node("c", order="X"), node("a", order="Z"), node("b", order="W")],
        ),
        ("ties on order go by id", [node("b"), node("a"), node("C"), node("a1")]),
        (
            "nested, with properties sorted by name",
            [
                node("root", props={"title": "T", "a": 1, "n": [1, {"x": None}]}),
                node("kid2", "root", "W"),
                node("kid1", "root", "V"),
                node("grand", "kid1", "V", props={"label": "OK"}),
            ],
        ),
        (
            "a deleted node hides its subtree",
            [node("r"), node("d", "r", deleted=True), node("under", "d"), node("keep", "r", "W")],
        ),
        (
            "a missing parent hides the node and its subtree",
            [node("a"), node("o", "ghost"), node("p", "o")],
        ),
        (
            "two concurrent moves: the smaller id goes back to prev",
            [node("a", "b", "V", prev=(None, "V")), node("b", "a", "V", prev=(None, "W"))],
        ),
        (
            "a cycle with no prev: the smallest id goes to the top level",
            [node("x", "y", "Q"), node("y", "z"), node("z", "x")],
        ),
        (
            "prev loops too: second failure goes to the top level with prev's order",
            [node("a", "b", "V", prev=("b", "X")), node("b", "a", "W", prev=(None, "Y"))],
        ),
        ("a node that is its own parent", [node("self", "self", "V", prev=("self", "W"))]),
        (
            "going back to prev lands in another loop",
            [
                node("a", "b", "V", prev=("c", "V")),
                node("b", "a", "V"),
                node("c", "d", "V"),
                node("d", "c", "V", prev=(None, "V")),
            ],
        ),
        (
            "a node with no position is at the top level, order z",
            [
                node("y", order="y1"),
                node("nopos", pos=None),
                node("zz", order="zz"),
                node("z", order="z"),
            ],
        ),
        (
            "nodes that do not parse are left out",
            [
                node("ok"),
                node("badtype", type="a b"),
                node("badorder", order="V0"),
                node("badparent", pos={"parent": 5, "order": "V"}),
                node("nulldeleted", deleted=None),
                node("no-deleted-flag", deleted=...),
                node("under-bad", "badtype"),
            ],
        ),
        (
            "a node more than 256 levels deep is hidden with its subtree",
            [
                node("d0"),
                *(node(f"d{i}", f"d{i - 1}") for i in range(1, 260)),
                node("side", "d258"),
            ],
        ),
        (
            "a restored subtree under a moved node",
            [
                node("p1"),
                node("p2", order="W"),
                node("m", "p2", "V", prev=("p1", "V")),
                node("m-kid", "m"),
                node("gone", "m", "W", deleted=True),
            ],
        ),
    ]
    out = []
    for name, records in cases:
        document = Document(write_records(records))
        states = {}
        for record in records:
            state = document.node(record["id"])
            states[record["id"]] = (
                None
                if state is None
                else {"parent": state.parent, "deleted": state.deleted, "visible": state.visible}
            )
        tree = [component.to_json() for component in document.tree()]
        out.append({"name": name, "records": records, "tree": tree, "nodes": states})
        document.close()
    return {
        "about": "Tree rendering (plugins/avacollab-editing layout.py and model.py). "
        "Generated by conformance/generate.py.",
        "cases": out,
    }


def write_records(records: list[dict[str, Any]]) -> Any:
    """A pycrdt ``Doc`` whose ``nodes`` map holds ``records`` exactly as given."""
    from pycrdt import Doc, Map

    doc: Doc[Map[object]] = Doc()
    nodes = doc.get("nodes", type=Map)
    with doc.transaction():
        for record in records:
            fields: dict[str, object] = {"type": record["type"], "props": Map(record["props"])}
            for key in ("pos", "deleted"):
                if key in record:
                    fields[key] = record[key]
            nodes[record["id"]] = Map(fields)
    return doc


def expand(value: Any) -> Any:
    """A vector's value with its ``$repeat`` and ``$nest`` markers written out."""
    if isinstance(value, dict):
        if set(value) == {"$repeat"}:
            text, times = value["$repeat"]
            return text * times
        if set(value) == {"$nest"}:
            depth, leaf = value["$nest"]
            out = expand(leaf)
            for _ in range(depth):
                out = [out]
            return out
        return {key: expand(item) for key, item in value.items()}
    if isinstance(value, list):
        return [expand(item) for item in value]
    return value


FILES: dict[str, Callable[[], dict[str, Any]]] = {
    "bus_frames.json": bus_frames,
    "order_keys.json": order_keys,
    "presence_colors.json": presence_colors,
    "node_records.json": node_records,
    "tree_cases.json": tree_cases,
}


def render(build: Callable[[], dict[str, Any]]) -> str:
    data = build()
    # A case's tree goes on one line: indented, the 257 levels of the deepest
    # case would take half a megabyte of spaces.
    trees = {}
    for index, case in enumerate(data.get("cases", ())):
        if "tree" in case:
            marker = f"@tree{index}@"
            trees[json.dumps(marker)] = json.dumps(case["tree"], ensure_ascii=False)
            case["tree"] = marker
    text = json.dumps(data, indent=1, ensure_ascii=False)
    for marker, tree in trees.items():
        text = text.replace(marker, tree)
    return text + "\n"


def main(argv: list[str]) -> int:
    stale = []
    for name, build in FILES.items():
        path = HERE / name
        text = render(build)
        if "--check" in argv:
            if not path.exists() or path.read_text(encoding="utf-8") != text:
                stale.append(name)
        else:
            path.write_text(text, encoding="utf-8")
    if stale:
        print("stale conformance vectors (run conformance/generate.py):", *stale)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
