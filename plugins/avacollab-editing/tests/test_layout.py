"""The pure layout: ordering, hiding and deterministic cycle repair."""

from __future__ import annotations

import random

from hypothesis import given
from hypothesis import strategies as st

from avacollab_editing.layout import MAX_DEPTH, Entry, Place, compute_layout


def _e(
    parent: str | None, order: str = "V", prev: Place | None = None, deleted: bool = False
) -> Entry:
    return Entry(Place(parent, order), deleted, prev)


def test_siblings_sort_by_order_then_id() -> None:
    layout = compute_layout({"b": _e(None, "V"), "a": _e(None, "V"), "c": _e(None, "U")})
    assert layout.kids(None) == ["c", "a", "b"]


def test_two_node_cycle_loser_goes_back_to_where_it_was() -> None:
    entries = {
        "box": _e(None, "V"),
        "x": _e("y", "V", prev=Place("box", "V")),
        "y": _e("x", "V", prev=Place("box", "W")),
    }
    layout = compute_layout(entries)
    assert layout.kids("box") == ["x"]
    assert layout.kids("x") == ["y"]
    assert layout.visible == {"box", "x", "y"}


def test_cycle_without_prev_or_looping_prev_goes_to_top_level() -> None:
    layout = compute_layout({"a": _e("b"), "b": _e("a")})
    assert layout.kids(None) == ["a"] and layout.kids("a") == ["b"]
    looping = {"a": _e("b", prev=Place("b", "V")), "b": _e("a")}
    assert compute_layout(looping).kids(None) == ["a"]


def test_deleted_and_missing_parents_hide_subtrees() -> None:
    layout = compute_layout(
        {
            "gone": _e(None, deleted=True),
            "child": _e("gone"),
            "grandchild": _e("child"),
            "orphan": _e("not-arrived-yet"),
            "ok": _e(None),
        }
    )
    assert layout.visible == {"ok"}
    assert layout.is_deleted("gone") and not layout.is_deleted("child")


def test_nodes_past_max_depth_are_hidden_with_their_subtree() -> None:
    chain = {"n0": _e(None)} | {f"n{i}": _e(f"n{i - 1}") for i in range(1, MAX_DEPTH + 50)}
    chain["branch"] = _e(f"n{MAX_DEPTH + 10}")
    chain["shallow"] = _e("n3")
    # Whichever node the walk starts from: deepest first or top first.
    for entries in (chain, dict(reversed(chain.items()))):
        layout = compute_layout(entries)
        assert layout.visible == {f"n{i}" for i in range(MAX_DEPTH + 1)} | {"shallow"}
        assert layout.depth[f"n{MAX_DEPTH}"] == MAX_DEPTH and layout.depth["shallow"] == 4
        assert layout.kids(f"n{MAX_DEPTH}") == []
        # Hidden levels count: showing them again would pass the bound.
        assert layout.height("n0") == MAX_DEPTH + 49 and layout.height("shallow") == 0


entries_strategy = st.dictionaries(
    st.sampled_from([f"n{i}" for i in range(8)]),
    st.builds(
        _e,
        st.one_of(st.none(), st.sampled_from([f"n{i}" for i in range(9)])),
        st.sampled_from(["U", "V", "W"]),
        st.one_of(
            st.none(),
            st.builds(
                Place,
                st.one_of(st.none(), st.sampled_from([f"n{i}" for i in range(8)])),
                st.just("V"),
            ),
        ),
        st.booleans(),
    ),
)


@given(entries_strategy, st.randoms())
def test_layout_is_a_forest_and_independent_of_input_order(
    entries: dict[str, Entry], rnd: random.Random
) -> None:
    layout = compute_layout(entries)
    items = list(entries.items())
    rnd.shuffle(items)
    again = compute_layout(dict(items))
    assert again.children == layout.children
    assert again.place == layout.place
    listed = [n for kids in layout.children.values() for n in kids]
    assert sorted(listed) == sorted(layout.visible)
    for node in layout.visible:
        depth, current = 0, layout.place[node].parent
        while current is not None:
            assert current in layout.visible
            current = layout.place[current].parent
            depth += 1
            assert depth <= len(entries)
