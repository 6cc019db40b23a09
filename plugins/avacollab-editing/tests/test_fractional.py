"""Order keys: always strictly between their bounds, distinct across replicas."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from avacollab_editing.fractional import (
    OrderKeyError,
    is_key,
    key_between,
    keys_between,
    salt_for,
)

salts = st.integers(0, 2**53).map(salt_for)


@st.composite
def bounds(draw: st.DrawFn) -> tuple[str | None, str | None]:
    """Two keys in order, either possibly open, built by inserting like a user would."""
    keys: list[str] = []
    for _ in range(draw(st.integers(0, 12))):
        index = draw(st.integers(0, len(keys)))
        low = keys[index - 1] if index else None
        high = keys[index] if index < len(keys) else None
        keys.insert(index, key_between(low, high, draw(salts)))
    keys = [None, *keys, None]  # type: ignore[list-item]
    i = draw(st.integers(0, len(keys) - 2))
    return keys[i], keys[i + 1]


@given(bounds(), salts, salts)
def test_key_between_is_strictly_between_and_salted(
    pair: tuple[str | None, str | None], salt: str, other_salt: str
) -> None:
    low, high = pair
    key = key_between(low, high, salt)
    assert is_key(key)
    assert low is None or low < key
    assert high is None or key < high
    assert key == key_between(low, high, salt)
    if other_salt != salt:
        assert key_between(low, high, other_salt) != key


@given(bounds(), st.integers(0, 5000), salts)
def test_keys_between_are_increasing(
    pair: tuple[str | None, str | None], count: int, salt: str
) -> None:
    low, high = pair
    keys = keys_between(low, high, count, salt)
    assert len(keys) == count
    assert keys == sorted(set(keys))
    assert all(is_key(k) for k in keys)
    if keys:
        assert low is None or low < keys[0]
        assert high is None or keys[-1] < high


def test_appending_keeps_keys_short() -> None:
    key = None
    salt = salt_for(1)
    for _ in range(1000):
        key = key_between(key, None, salt)
    assert key is not None and len(key) < 40


@pytest.mark.parametrize(
    ("low", "high", "salt"),
    [
        ("b", "a", "1"),
        ("a", "a", "1"),
        ("a0", None, "1"),
        ("", None, "1"),
        ("a b", None, "1"),
        (None, None, ""),
        (None, None, "10"),
        ("x" * 257, None, "1"),
    ],
)
def test_bad_bounds_and_salts(low: str | None, high: str | None, salt: str) -> None:
    with pytest.raises(OrderKeyError):
        key_between(low, high, salt)


def test_keys_between_rejects_negative_count() -> None:
    with pytest.raises(ValueError, match="negative"):
        keys_between(None, None, -1, "1")
    assert keys_between(None, None, 0, "1") == []


@pytest.mark.parametrize("salt", ["zxx9", "zzzz", "h3bp", salt_for(1)])
def test_inserting_again_and_again_at_one_spot_keeps_keys_valid(salt: str) -> None:
    # Each insert lands between the previous insert and its neighbour. With a
    # salt of high digits, going above the lower key every time grew keys by
    # two digits an insert, past the 256 allowed after about 130 inserts.
    keys: list[str] = []
    for i in range(300):
        index = i // 2
        low = keys[index - 1] if index else None
        high = keys[index] if index < len(keys) else None
        keys.insert(index, key_between(low, high, salt))
    assert keys == sorted(set(keys))
    assert all(is_key(k) for k in keys)
    assert max(map(len, keys)) <= 128
