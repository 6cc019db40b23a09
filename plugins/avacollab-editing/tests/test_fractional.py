"""Order keys: always strictly between their bounds, distinct across replicas."""

from __future__ import annotations

import itertools
from typing import cast

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pycrdt import Doc, Map

from avacollab_editing.fractional import (
    MAX_KEY_LENGTH,
    OrderKeyError,
    is_key,
    key_between,
    keys_between,
    salt_for,
)
from avacollab_editing.model import Document

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


CLIENT_IDS = [0, 42, 2**31 - 1, 2**53 - 1]


@pytest.mark.parametrize("client_id", CLIENT_IDS)
@pytest.mark.parametrize("end", ["append", "prepend"])
def test_twenty_thousand_appends_or_prepends_stay_short(client_id: int, end: str) -> None:
    # Adding children one at a time at an end is the common case (a list, a
    # table, an import). Keys used to grow by a digit or more every sixty
    # inserts, past the 256 allowed after 15,343 appends (1,036 for a salt of
    # high digits); they now grow with the logarithm of the count.
    salt = salt_for(client_id)
    key: str | None = None
    worst = 0
    for _ in range(20_000):
        new = key_between(key, None, salt) if end == "append" else key_between(None, key, salt)
        assert key is None or (key < new if end == "append" else new < key)
        assert is_key(new) and new.endswith(salt)
        worst = max(worst, len(new))
        key = new
    assert worst <= 16


@pytest.mark.parametrize("client_id", CLIENT_IDS)
def test_appending_after_and_prepending_before_old_long_keys(client_id: int) -> None:
    # Keys the old rule wrote (a run of "z" or "0" and a salt) stay valid bounds.
    salt = salt_for(client_id)
    for old in ["z" * 16 + "1000h", "zzzz", "0" * 20 + "1", "z" * 200 + "zxx9"]:
        low = high = old
        for _ in range(1_000):
            low = key_between(low, None, salt)
            high = key_between(None, high, salt)
        assert old < low and high < old
        assert is_key(low) and is_key(high)


@pytest.mark.parametrize("client_id", [42, 2**31 - 1])
def test_a_document_takes_thousands_of_children_added_in_order(client_id: int) -> None:
    # A list or a table filled one row at a time: Document.add used to fail
    # after 785 appends for some client ids. Rows go at the end, and a few at
    # the start (index 0), which takes the prepend path.
    ydoc: Doc[Map[object]] = Doc(client_id=client_id)
    document = Document(ydoc)
    table = document.add("Table")
    rows = [document.add("Row", parent=table) for _ in range(5_000)]
    rows[:0] = [document.add("Row", parent=table, index=0) for _ in range(1_000)][::-1]
    assert document.children(table) == rows
    nodes = ydoc.get("nodes", type=Map)
    positions = [cast("Map[object]", nodes[row])["pos"] for row in rows]
    orders = [cast("dict[str, str]", pos)["order"] for pos in positions]
    assert max(map(len, orders)) <= 12
    document.close()


@pytest.mark.parametrize("client_id", CLIENT_IDS)
@pytest.mark.parametrize(("where", "count"), [("middle", 400), ("after the first", 5_000)])
def test_inserting_again_and_again_in_the_middle(client_id: int, where: str, count: int) -> None:
    # Between two keys there is no open end to count up from: "middle" (always
    # at len // 2, so each insert lands beside the previous one, alternating
    # sides) halves the gap each time, about one digit every six inserts at
    # best; "after the first" always bounds below by the same key. Both must
    # keep every key valid for these counts.
    salt = salt_for(client_id)
    keys: list[str] = []
    for _ in range(count):
        index = len(keys) // 2 if where == "middle" else min(1, len(keys))
        low = keys[index - 1] if index else None
        high = keys[index] if index < len(keys) else None
        keys.insert(index, key_between(low, high, salt))
    assert all(a < b for a, b in itertools.pairwise(keys))
    assert max(map(len, keys)) <= MAX_KEY_LENGTH
