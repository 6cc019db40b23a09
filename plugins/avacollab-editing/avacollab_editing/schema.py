"""What a valid node looks like: ids, types, property names and JSON values.

Pure checks with no pycrdt, shared by the local API, the import format and the
guard that screens updates from peers. Every failure is a ``ValidationError``
whose message says which value is wrong and why.
"""

from __future__ import annotations

import json
import math
import re
from typing import TypeAlias

from .fractional import is_key
from .layout import UNPLACED, Entry, Place

JSON: TypeAlias = bool | int | float | str | list["JSON"] | dict[str, "JSON"] | None

MAX_ID_LENGTH = 128
MAX_PROP_NAME_LENGTH = 256
MAX_VALUE_BYTES = 64 * 1024
MAX_VALUE_DEPTH = 32
# Yjs stores numbers as doubles: larger integers would come back rounded (or as
# a BigInt that JSON cannot hold), so they are refused up front.
MAX_SAFE_INTEGER = 2**53 - 1

_NAME = re.compile(rf"[A-Za-z0-9_.:\-]{{1,{MAX_ID_LENGTH}}}")


class ValidationError(ValueError):
    """A value does not fit the document schema."""


def check_id(value: object, what: str = "id") -> str:
    """Return ``value`` if it is a valid node id, else raise ``ValidationError``.

    Ids are 1 to 128 characters from ``A-Z a-z 0-9 _ . : -``.
    """
    if not isinstance(value, str) or not _NAME.fullmatch(value):
        raise ValidationError(
            f"{what} must be 1 to {MAX_ID_LENGTH} characters from A-Z a-z 0-9 _ . : -,"
            f" got {value!r:.80}"
        )
    return value


def check_type(value: object) -> str:
    """Return ``value`` if it is a valid component type (same rules as ids)."""
    return check_id(value, "type")


def check_prop_name(value: object) -> str:
    """Return ``value`` if it is a valid property name: a non-empty string up to 256 chars."""
    if not isinstance(value, str) or not 0 < len(value) <= MAX_PROP_NAME_LENGTH:
        raise ValidationError(
            f"property name must be a string of 1 to {MAX_PROP_NAME_LENGTH} characters,"
            f" got {value!r:.80}"
        )
    return value


def check_value(value: object, where: str = "value") -> JSON:
    """Return a JSON copy of ``value`` or raise ``ValidationError``.

    Accepted: None, bool, str, integers within +-(2**53 - 1), finite floats,
    lists and dicts with string keys, nested at most 32 deep and at most 64 KiB
    once encoded as JSON.
    """
    if isinstance(value, str) and len(value) * 6 + 2 <= MAX_VALUE_BYTES:
        return value  # the common case: a short string (6 bytes a character at most)
    try:
        checked = _copy(value, 0)
    except _Invalid:
        checked = _check(value, where, 0)  # the same rules again, to say where
    if _surely_small(checked):
        return checked
    size = len(_ENCODE(checked).encode())
    if size > MAX_VALUE_BYTES:
        raise ValidationError(f"{where} is {size} bytes as JSON, more than {MAX_VALUE_BYTES}")
    return checked


_ENCODE = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode


class _Invalid(Exception):
    pass


def _copy(value: object, depth: int) -> JSON:
    """``_check`` without building a location string for every item (edits are hot)."""
    if depth > MAX_VALUE_DEPTH:
        raise _Invalid
    if value is None or isinstance(value, bool | str):
        return value
    if isinstance(value, int):
        if abs(value) > MAX_SAFE_INTEGER:
            raise _Invalid
        return value
    if isinstance(value, float):
        if not math.isfinite(value):
            raise _Invalid
        return value
    if isinstance(value, list):
        return [_copy(item, depth + 1) for item in value]
    if isinstance(value, dict):
        out: dict[str, JSON] = {}
        for key, item in value.items():
            if not isinstance(key, str):
                raise _Invalid
            out[key] = _copy(item, depth + 1)
        return out
    raise _Invalid


def _surely_small(value: JSON) -> bool:
    # Encoding every value to measure it was a fifth of the cost of an edit;
    # a scalar or a short string cannot reach the limit (6 bytes a character
    # at most, as a JSON escape).
    if isinstance(value, str):
        return len(value) * 6 + 2 <= MAX_VALUE_BYTES
    return not isinstance(value, list | dict)


def _check(value: object, where: str, depth: int) -> JSON:
    if depth > MAX_VALUE_DEPTH:
        raise ValidationError(f"{where} is nested more than {MAX_VALUE_DEPTH} deep")
    if value is None or isinstance(value, bool | str):
        return value
    if isinstance(value, int):
        if abs(value) > MAX_SAFE_INTEGER:
            raise ValidationError(f"{where} is an integer outside +-(2**53 - 1)")
        return value
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ValidationError(f"{where} is not a finite number")
        return value
    if isinstance(value, list):
        return [_check(item, f"{where}[{i}]", depth + 1) for i, item in enumerate(value)]
    if isinstance(value, dict):
        out: dict[str, JSON] = {}
        for key, item in value.items():
            if not isinstance(key, str):
                raise ValidationError(f"{where} has a non-string key {key!r:.80}")
            out[key] = _check(item, f"{where}.{key}", depth + 1)
        return out
    raise ValidationError(f"{where} is not a JSON value: {type(value).__name__}")


def normalize(value: JSON) -> JSON:
    """Read a value back from the document the way it was written.

    Yjs keeps every number as a double, so an integer written as ``3`` reads
    back as ``3.0``; integral floats in the safe range become ints again so an
    export round-trips and equals what a JavaScript peer sees.
    """
    if isinstance(value, float) and value.is_integer() and abs(value) <= MAX_SAFE_INTEGER:
        return int(value)
    if isinstance(value, list):
        return [normalize(item) for item in value]
    if isinstance(value, dict):
        return {key: normalize(item) for key, item in value.items()}
    return value


def parse_place(raw: object, where: str = "pos") -> Place:
    """Read a stored position ``{"parent": id | None, "order": key}``."""
    if not isinstance(raw, dict):
        raise ValidationError(f"{where} must be an object")
    parent = raw.get("parent")
    if parent is not None:
        check_id(parent, f"{where}.parent")
    order = raw.get("order")
    if not is_key(order):
        raise ValidationError(f"{where}.order is not a valid order key: {order!r:.80}")
    assert isinstance(order, str)
    return Place(parent, order)


def parse_entry(raw: object) -> Entry:
    """Read the position part of a stored node (``pos``, ``prev``, ``deleted``).

    A missing ``pos`` reads as ``UNPLACED`` (the reason is given there).
    """
    if not isinstance(raw, dict):
        raise ValidationError("node must be an object")
    pos = raw.get("pos")
    if pos is None:
        place, prev = UNPLACED, None
    else:
        place = parse_place(pos)
        assert isinstance(pos, dict)
        prev_raw = pos.get("prev")
        prev = None if prev_raw is None else parse_place(prev_raw, "pos.prev")
    deleted = raw.get("deleted", False)
    if not isinstance(deleted, bool):
        raise ValidationError("deleted must be a boolean")
    return Entry(place, deleted, prev)
