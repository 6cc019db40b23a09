"""The bus conformance vectors (conformance/bus_frames.json) against avacollab.bus.

The same file is checked against the JavaScript client by js/test/wire.test.js,
so the two implementations agree on every byte listed there. Refused inputs
carry the JavaScript ``FrameError.code``; REASONS says which wire.py message
each one stands for.
"""

from __future__ import annotations

import asyncio
import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from avacollab.bus import Bus, BusConfig
from avacollab.bus.channels import channel_pair
from avacollab.bus.chunks import Reassembler, chunk_frames
from avacollab.bus.wire import (
    Batch,
    Chunk,
    FrameError,
    Ping,
    Pong,
    check_topic,
    decode_frame,
    encode_entry,
    encode_varuint,
    inflate,
    ping_frame,
    pong_frame,
    read_varuint,
)

VECTORS = json.loads(
    (Path(__file__).resolve().parents[1] / "conformance" / "bus_frames.json").read_text("utf-8")
)

# The JavaScript FrameError code, and the words of wire.py's FrameError for it.
REASONS = {
    "short-header": "shorter than the header",
    "version": "unsupported frame version",
    "kind": "unknown frame kind",
    "empty-batch": "holds no message",
    "truncated-header": "truncated message header",
    "truncated-topic": "truncated topic",
    "topic-utf8": "is not UTF-8",
    "missing-topic": "empty topic",
    "truncated-varint": "truncated varint",
    "overlong-varint": "overlong varint",
    "varint-too-long": "longer than 5 bytes",
    "varint-too-large": "exceeds 4294967295",
    "payload-overrun": "past the frame end",
    "ping-size": "ping/pong frame must be",
    "chunk-no-data": "carries no data",
    "chunk-index": "out of range for count",
    "chunk-total": "cannot span",
    "message-too-large": "exceeds the limit",
    "chunk-mismatch": "contradicts earlier chunks",
    "chunk-duplicate": "duplicate chunk",
    "chunk-overflow": "exceed its stated size",
    "reassembly-full": "reassembly buffer full",
    "chunk-short": "shorter than its stated size",
    "entry-count": "holds 2 entries",
    "deflate-too-large": "inflates past",
    "deflate-invalid": "not raw DEFLATE",
    # JavaScript tells these apart where the platform does (browsers do).
    "deflate-incomplete": "truncated or followed by extra bytes",
}


def _ids(cases: list[dict[str, Any]]) -> list[str]:
    return [case["name"] for case in cases]


def _entry(entry: Any) -> dict[str, Any]:
    return {"topic": entry.topic, "flags": entry.flags, "payload": entry.payload.hex()}


def _describe(frame: object) -> dict[str, Any]:
    if isinstance(frame, Batch):
        return {"kind": "batch", "entries": [_entry(e) for e in frame.entries]}
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


def test_every_reason_is_known() -> None:
    used = {case["reason"] for case in VECTORS["refused"]}
    used |= {s["reason"] for c in VECTORS["reassembly"] for s in c["steps"] if "reason" in s}
    used |= {case["reason"] for case in VECTORS["inflate"] if "reason" in case}
    assert used <= REASONS.keys()
    # Every reason is exercised by some vector, so REASONS holds no dead entry.
    assert REASONS.keys() <= used


@pytest.mark.parametrize("case", VECTORS["varuints"], ids=lambda c: str(c["value"]))
def test_varuint(case: dict[str, Any]) -> None:
    data = bytes.fromhex(case["hex"])
    assert encode_varuint(case["value"]) == data
    assert read_varuint(data, 0) == (case["value"], len(data))


@pytest.mark.parametrize("case", VECTORS["frames"], ids=_ids(VECTORS["frames"]))
def test_frame_decodes(case: dict[str, Any]) -> None:
    data = bytes.fromhex(case["hex"])
    expected = case["frame"]
    assert _describe(decode_frame(data)) == expected
    # Frames with one encoding are also built byte for byte.
    if expected["kind"] == "ping":
        assert ping_frame(expected["token"]) == data
    elif expected["kind"] == "pong":
        assert pong_frame(expected["token"]) == data


@pytest.mark.parametrize("case", VECTORS["refused"], ids=_ids(VECTORS["refused"]))
def test_frame_refused(case: dict[str, Any]) -> None:
    with pytest.raises(FrameError, match=re.escape(REASONS[case["reason"]])):
        decode_frame(bytes.fromhex(case["hex"]))


@pytest.mark.parametrize("case", VECTORS["batches"], ids=_ids(VECTORS["batches"]))
async def test_bus_sends_these_frames(case: dict[str, Any]) -> None:
    """What a real Bus writes on the reliable channel for one turn's messages."""
    ours, theirs = channel_pair("bus")
    unordered, _ = channel_pair("bus-unordered")
    received: list[bytes] = []
    done = asyncio.Event()
    expected = [bytes.fromhex(frame) for frame in case["frames"]]

    def on_frame(data: bytes) -> None:
        received.append(data)
        if len(received) == len(expected):
            done.set()

    theirs.on("message", on_frame)
    async with Bus(BusConfig(max_frame_size=case["maxFrameSize"])) as bus:
        bus.add_peer("them", ours, unordered)
        for message in case["messages"]:
            bus.publish(message["topic"], bytes.fromhex(message["payload"]), flags=message["flags"])
        async with asyncio.timeout(5):
            await done.wait()
    assert received == expected


def test_chunk_frames_match_the_vectors() -> None:
    """The frame-level helper agrees with the Bus on how a message is cut."""
    case = next(c for c in VECTORS["batches"] if c["name"].startswith("one byte more"))
    message = case["messages"][0]
    entry = encode_entry(message["topic"], bytes.fromhex(message["payload"]), message["flags"])
    frames = chunk_frames(entry, 0, case["maxFrameSize"])
    assert [f.hex() for f in frames] == case["frames"]


@pytest.mark.parametrize("case", VECTORS["reassembly"], ids=_ids(VECTORS["reassembly"]))
def test_reassembly(case: dict[str, Any]) -> None:
    limits = case["limits"]
    reassembler = Reassembler(
        max_message_size=limits["maxMessageSize"],
        max_partial=limits["maxPartial"],
        max_buffered=limits["maxBuffered"],
    )
    for step in case["steps"]:
        chunk = decode_frame(bytes.fromhex(step["chunk"]))
        assert isinstance(chunk, Chunk)
        if "reason" in step:
            with pytest.raises(FrameError, match=re.escape(REASONS[step["reason"]])):
                reassembler.add(chunk)
            continue
        entry = reassembler.add(chunk)
        assert (None if entry is None else _entry(entry)) == step["entry"]
    assert reassembler.evicted == case["evicted"]
    assert len(reassembler) == case["pending"]
    assert reassembler.buffered == case["buffered"]


@pytest.mark.parametrize("case", VECTORS["inflate"], ids=_ids(VECTORS["inflate"]))
def test_inflate(case: dict[str, Any]) -> None:
    data = bytes.fromhex(case["hex"])
    if "reason" in case:
        with pytest.raises(FrameError, match=re.escape(REASONS[case["reason"]])):
            inflate(data, case["limit"])
    else:
        assert inflate(data, case["limit"]).hex() == case["payload"]


def test_topics() -> None:
    for topic in VECTORS["topics"]["accepted"]:
        check_topic(topic)
    for topic in VECTORS["topics"]["refused"]:
        with pytest.raises(ValueError, match="topic"):
            check_topic(topic)


def test_vectors_are_what_the_generator_writes() -> None:
    """A case added to conformance/generate.py reaches the files both suites read."""
    generator = Path(__file__).resolve().parents[1] / "conformance" / "generate.py"
    result = subprocess.run(
        [sys.executable, str(generator), "--check"], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stdout + result.stderr
