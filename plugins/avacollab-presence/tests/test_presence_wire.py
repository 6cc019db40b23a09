"""The strict awareness-update decoder against pycrdt's encoder and hostile bytes."""

from __future__ import annotations

import re

import pytest
from avacollab_presence.wire import (
    MAX_ENTRIES,
    MAX_UINT,
    MAX_UPDATE_BYTES,
    Entry,
    WireError,
    _decode_any,
    decode_update,
    encode_update,
)
from hypothesis import given, settings
from hypothesis import strategies as st
from pycrdt import Awareness, Doc


def test_reads_what_pycrdt_writes() -> None:
    awareness = Awareness(Doc())
    awareness.set_local_state({"user": {"name": "Zoë", "color": "#c32222"}})
    entries = decode_update(awareness.encode_awareness_update([awareness.client_id]))
    assert entries == [
        Entry(awareness.client_id, 1, '{"user":{"name":"Zo\\u00eb","color":"#c32222"}}')
    ]


def test_pycrdt_reads_what_it_writes() -> None:
    update = encode_update([Entry(7, 3, '{"a":"ü"}'), Entry(MAX_UINT, 0, "null")])
    awareness = Awareness(Doc())
    awareness.apply_awareness_update(update, "test")
    assert awareness.states[7] == {"a": "ü"}
    assert awareness.meta[7]["clock"] == 3
    assert decode_update(update) == [Entry(7, 3, '{"a":"ü"}'), Entry(MAX_UINT, 0, "null")]


def test_multi_byte_integers_round_trip() -> None:
    for value in (0, 127, 128, 300, 2**32, MAX_UINT):
        assert decode_update(encode_update([Entry(value, value, "")])) == [Entry(value, value, "")]


def test_encoder_refuses_integers_lib0_cannot_carry() -> None:
    with pytest.raises(ValueError, match="outside"):
        encode_update([Entry(MAX_UINT + 1, 0, "null")])
    with pytest.raises(ValueError, match="outside"):
        encode_update([Entry(1, -1, "null")])


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"", "integer runs past the end"),
        (b"\x01\x05", "integer runs past the end"),
        (b"\x01\x05\x01", "integer runs past the end"),
        (b"\x01\x05\x01\x10ab", "string of 16 bytes runs past the end"),
        (b"\x01\x05\x01\x02{}extra", "5 trailing bytes"),
        (b"\x01\x05\x01\x02\xff\xfe", "not valid UTF-8"),
        (bytes([MAX_ENTRIES + 1]), f"more than {MAX_ENTRIES}"),
        (b"\x01" + b"\xff" * 7 + b"\x7f", "larger than 2**53-1"),
        (b"\x01" + b"\x80" * 9 + b"\x00", "more than eight bytes"),
        (b"\x00" * (MAX_UPDATE_BYTES + 1), f"exceeds {MAX_UPDATE_BYTES}"),
    ],
)
def test_malformed_updates_are_refused(data: bytes, reason: str) -> None:
    with pytest.raises(WireError, match=re.escape(reason)):
        decode_update(data)


def _outcome(decode: object, data: bytes) -> object:
    try:
        return decode(data)  # type: ignore[operator]
    except WireError as exc:
        return str(exc)


def _varint(value: int, padding: int) -> bytes:
    # Any value, and overlong forms (``padding`` extra bytes): unlike
    # encode_uint, these are what the decoders must refuse or read alike.
    out = bytearray()
    while value > 0x7F:
        out.append(0x80 | (value & 0x7F))
        value >>= 7
    if padding:
        return bytes([*out, 0x80 | value, *[0x80] * (padding - 1), 0])
    return bytes([*out, value])


_EDGES = [0, 127, 128, 2**32 - 1, MAX_UINT, MAX_UINT + 1, 2**56 - 1, 2**56, 2**64]
_VARINTS = st.builds(
    _varint,
    st.one_of(st.sampled_from(_EDGES), st.integers(0, 2**60)),
    st.sampled_from([0, 0, 0, 1, 2, 7, 8]),
)


@st.composite
def _one_entry_like(draw: st.DrawFn) -> bytes:
    """Updates of one entry, near well-formed: off lengths, bad UTF-8, cut short."""
    text = draw(st.one_of(st.text(max_size=20).map(str.encode), st.binary(max_size=20)))
    length = max(0, len(text) + draw(st.sampled_from([0, 0, 0, 1, -1, 5])))
    padding = draw(st.sampled_from([0, 0, 0, 1]))
    data = b"\x01" + draw(_VARINTS) + draw(_VARINTS) + _varint(length, padding) + text
    cut = draw(st.one_of(st.none(), st.integers(0, len(data))))
    return data if cut is None else data[:cut]


@settings(max_examples=3000, deadline=None)
@given(st.one_of(_one_entry_like(), st.binary(max_size=30)))
def test_the_one_entry_shortcut_agrees_with_the_general_decoder(data: bytes) -> None:
    # The same entries, or the same refusal in the same words, for any bytes.
    assert _outcome(decode_update, data) == _outcome(_decode_any, data)


def test_the_one_entry_shortcut_reads_long_integers() -> None:
    text = '{"a":1}'
    for value in (0, 127, 128, 2**32 - 1, MAX_UINT):
        update = encode_update([Entry(value, value, text)])
        assert decode_update(update) == [Entry(value, value, text)]
