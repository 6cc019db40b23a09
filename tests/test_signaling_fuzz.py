"""Hostile text against the signaling parser and core: lone surrogates,
non-BMP characters, huge numbers, deep nesting, and hypothesis fuzzing.

No sockets (see tests/corekit.py): thousands of inputs cost seconds. A
fuzzing client against a real server is in test_server_hostile.py.
"""

from __future__ import annotations

import dataclasses
import json
from typing import Any

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from avacollab.signaling import protocol as p
from avacollab.signaling.core import Close, Send
from avacollab.signaling.protocol import ProtocolError

from .corekit import Driver

MAX_FRAME = 64 * 1024


# -- lone surrogates ------------------------------------------------------------


LONE_SURROGATES = [
    # Escaped, as JSON.stringify writes a string cut in the middle of a pair.
    '{"type": "join", "room": "r", "name": "cut \\ud83d", "id": "j1"}',
    '{"type": "offer", "to": "x", "sdp": "v=0 \\udfff", "id": "j1"}',
    '{"type": "candidate", "to": "x", "candidate": {"candidate": "c", "sdpMid": "\\ud800"}}',
    '{"type": "ping", "\\udc00": 1, "id": "j1"}',  # in a key the server ignores
    '["\\ud800"]',
    '{"type": "ping", "id": "\\ud800"}',  # the id itself cannot be echoed
    # A second high surrogate is not the low half of a pair.
    '{"type": "ping", "x": "\\ud83d\\ud83d"}',
    # Unescaped: not from a WebSocket, which only delivers UTF-8, but parse
    # is the contract for whatever feeds the core.
    '{"type": "join", "room": "r", "name": "raw \ud800"}',
]


@pytest.mark.parametrize("frame", LONE_SURROGATES)
def test_lone_surrogates_are_refused_with_bad_unicode(frame: str) -> None:
    with pytest.raises(ProtocolError) as info:
        p.parse(frame, MAX_FRAME)
    assert str(info.value.code) == "bad-unicode"
    # The id comes back when it is a good one, so the client knows which request.
    assert info.value.request_id == ("j1" if '"id": "j1"' in frame else None)


def test_surrogate_pairs_and_escaped_backslashes_are_fine() -> None:
    join = p.parse('{"type": "join", "room": "r", "name": "\\ud83d\\ude00 \U0001f600"}', MAX_FRAME)
    assert isinstance(join, p.Join) and join.name == "\U0001f600 \U0001f600"
    # "\\ud800" is a backslash followed by "ud800": six harmless characters.
    offer = p.parse('{"type": "offer", "to": "x", "sdp": "\\\\ud800"}', MAX_FRAME)
    assert isinstance(offer, p.Relay) and offer.body == {"sdp": "\\ud800"}


def test_encode_utf8_escapes_what_utf8_cannot_hold() -> None:
    # Text the parser never lets in but a signed join token can carry.
    message = {"type": "peer-joined", "peer": "p", "identity": "x\ud800y", "name": "\u00e9"}
    data = p.encode_utf8(message)
    assert json.loads(data) == message
    assert p.encode_utf8({"name": "\u00e9"}) == '{"name":"\u00e9"}'.encode()  # no escaping needed


# -- fuzzing: no input raises anything but ProtocolError, every output encodes ----


# Surrogates, non-BMP characters and everything else, each often enough to matter.
CHARS = st.one_of(
    st.characters(exclude_categories=()),
    st.characters(min_codepoint=0xD800, max_codepoint=0xDFFF),
    st.characters(min_codepoint=0x10000),
    st.sampled_from('"\\{}[],:'),
)
TEXT = st.text(CHARS, max_size=40)
# Text sure to hold a lone surrogate or a non-BMP character somewhere.
ODD_TEXT = st.builds(
    lambda head, odd, tail: head + odd + tail,
    TEXT,
    st.characters(min_codepoint=0xD800, max_codepoint=0xDFFF)
    | st.characters(min_codepoint=0x10000),
    TEXT,
)
SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.integers(min_value=-(10**80), max_value=10**80),
    st.floats(),
    TEXT,
)
JSON_VALUES = st.recursive(
    SCALARS,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(TEXT, inner, max_size=4),
    max_leaves=20,
)
PEER = "@peer"  # replaced by a real member's id, so relays reach the core's rules
VALID: list[dict[str, Any]] = [
    {"type": "hello", "version": 1},
    {"type": "join", "room": "room", "name": "n", "token": "t", "resume": "r1.x"},
    {"type": "offer", "to": PEER, "sdp": "v=0"},
    {"type": "answer", "to": PEER, "sdp": "v=0"},
    {
        "type": "candidate",
        "to": PEER,
        "candidate": {"candidate": "c", "sdpMid": "0", "sdpMLineIndex": 0},
    },
    {"type": "candidate", "to": PEER, "candidate": None},
    {"type": "leave"},
    {"type": "ping", "id": 1},
]
FIELDS = st.sampled_from(
    [
        *("type", "id", "version", "room", "name", "token", "resume", "to", "sdp"),
        *("candidate", "candidate.candidate", "candidate.sdpMid", "candidate.sdpMLineIndex"),
        *("from", "extra"),
    ]
)


def mutate(message: dict[str, Any], changes: list[tuple[str, Any]]) -> dict[str, Any]:
    """A valid request with some fields set to something else."""
    out: dict[str, Any] = json.loads(json.dumps(message))
    for path, value in changes:
        target, _, key = path.rpartition(".")
        if not target:
            out[key] = value
        elif isinstance(out.get(target), dict):
            out[target][key] = value
    return out


def own_fields(message: dict[str, Any]) -> list[str]:
    """The fields a valid ``message`` has, but its type, nested ones dotted."""
    paths = [key for key in message if key != "type"]
    if isinstance(message.get("candidate"), dict):
        paths += [f"candidate.{key}" for key in message["candidate"]]
    return paths


# Valid requests with a field or three changed, most often one of their own
# and most often to text: they get past the first checks, so the rules
# behind them (and what is relayed to others) are fuzzed too.
NEAR_VALID = st.sampled_from(VALID).flatmap(
    lambda message: st.builds(
        mutate,
        st.just(message),
        st.lists(
            st.tuples(
                st.sampled_from(own_fields(message) or ["id"]) | FIELDS,
                st.one_of(ODD_TEXT, TEXT, JSON_VALUES),
            ),
            min_size=1,
            max_size=3,
        ),
    )
)


# Known poison, always tried first: text cut inside a surrogate pair, relayed
# to a member, or in a name every member is told.
POISON_RELAY = [json.dumps({"type": "offer", "to": PEER, "sdp": "v=0 \ud83d"})]
POISON_NAME = [
    json.dumps({"type": "leave"}),
    json.dumps({"type": "join", "room": "room", "name": "\udc00"}),
]


def deep(depth: int, kind: str) -> str:
    return "[" * depth + "]" * depth if kind == "list" else '{"a":' * depth + "1" + "}" * depth


FRAMES = st.one_of(
    TEXT,
    st.builds(json.dumps, JSON_VALUES),
    st.builds(lambda v: json.dumps(v, ensure_ascii=False), JSON_VALUES),
    st.builds(json.dumps, NEAR_VALID),
    st.builds(json.dumps, NEAR_VALID),
    st.builds(lambda v: json.dumps(v, ensure_ascii=False), NEAR_VALID),
    st.builds(deep, st.integers(1, 30_000), st.sampled_from(["list", "dict"])),
    st.builds(lambda n: "1" * n, st.integers(1, 10_000)),  # past int's 4,300 digits
    st.binary(max_size=40),
)


@settings(max_examples=500, deadline=None)
@given(FRAMES)
@example(POISON_RELAY[0])
@example(POISON_NAME[1])
def test_parse_refuses_with_protocol_error_and_nothing_else(frame: str | bytes) -> None:
    try:
        request = p.parse(frame, MAX_FRAME)
    except ProtocolError as exc:
        assert exc.code in p.ErrorCode
        p.encode(exc.to_message()).encode("utf-8")  # strict: no escape hatch
        return
    # What parse accepts holds only text UTF-8 can carry.
    p.encode(dataclasses.asdict(request)).encode("utf-8")


@settings(max_examples=300, deadline=None)
@given(st.lists(FRAMES, min_size=1, max_size=8))
@example(POISON_RELAY)
@example(POISON_NAME)
def test_core_fuzzing_touches_nobody_but_the_sender(frames: list[str | bytes]) -> None:
    d = Driver()
    alice, bob, fuzzer = d.member(name="alice"), d.member(name="bob"), d.member(name="fuzzer")
    for frame in frames:
        if isinstance(frame, str):
            frame = frame.replace(PEER, bob.id)
        actions = d.core.receive(fuzzer.conn, frame, d.now)
        for action in actions:
            if isinstance(action, Close):
                assert action.conn is fuzzer.conn  # nobody else is ever cut off
            else:
                assert isinstance(action, Send), action
                # Strict UTF-8, no escape hatch: the parser let nothing in
                # that another member's frame could not carry.
                p.encode(action.message).encode("utf-8")
        d.route(actions)
    # The honest members still relay to each other.
    alice.take()
    bob.take()
    alice.say({"type": "offer", "to": bob.id, "sdp": "v=0"})
    assert bob.take() == [{"type": "offer", "from": alice.id, "sdp": "v=0"}]
