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
    decode_update,
    encode_update,
)
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
