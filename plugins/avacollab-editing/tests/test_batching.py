"""The fast paths: one transaction per event-loop turn, the patched view, the lazy guard."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from pycrdt import Doc, Map

from avacollab_editing import Change, Document, ValidationError
from avacollab_editing.guard import _MIRROR_BACKLOG
from avacollab_editing.schema import check_value

from .helpers import shape, sync_pair


class Turns:
    """A stand-in for ``loop.call_soon``: callbacks run when the test ends the turn."""

    def __init__(self) -> None:
        self.pending: list[Callable[[], None]] = []

    def __call__(self, callback: Callable[[], None]) -> None:
        self.pending.append(callback)

    def end(self) -> None:
        pending, self.pending = self.pending, []
        for callback in pending:
            callback()


def _rebuilt(doc: Document) -> Document:
    fresh = Document()
    fresh.apply_update(doc.get_update(), "copy")
    return fresh


def test_one_turn_of_edits_is_one_update_one_event_one_undo_step() -> None:
    turns = Turns()
    doc = Document(schedule=turns)
    updates: list[bytes] = []
    changes: list[Change] = []
    doc.on_update(updates.append)
    doc.on_change(changes.append)
    node = doc.add("Box", id="box")
    for i in range(50):
        doc.set_prop(node, f"p{i}", i)
    assert doc.node("box") is not None  # readable before the turn ends
    assert updates == [] and changes == []
    turns.end()
    assert len(updates) == 1 and len(changes) == 1
    peer = Document()
    peer.apply_update(updates[0], "a")
    state = peer.node("box")
    assert state is not None and state.props == {f"p{i}": i for i in range(50)}
    assert doc.undo()
    assert doc.tree() == ()
    assert not doc.can_undo


def test_a_remote_update_commits_the_pending_turn_first() -> None:
    turns = Turns()
    doc = Document(schedule=turns)
    other = Document()
    sync_pair(doc, other)
    other.add("Remote", id="r")
    local: list[bytes] = []
    origins: list[str | None] = []
    doc.on_update(local.append)
    doc.on_change(lambda change: origins.append(change.origin))
    doc.add("Local", id="l")
    doc.apply_update(other.get_update(doc.state_vector()), "peer")
    turns.end()  # the scheduled commit finds nothing left to do
    assert origins == [None, "peer"]
    assert len(local) == 1
    check = Document()
    check.apply_update(local[0], "a")
    assert shape(check.tree()) == ["l"]  # the remote node is not re-sent as ours
    assert doc.undo() and shape(doc.tree()) == ["r"]


def test_many_adds_in_a_batch_give_the_same_tree_as_a_rebuild() -> None:
    doc = Document()
    with doc.batch():
        root = doc.add("Frame", id="root")
        for i in range(300):
            doc.add("Item", {"n": i}, parent=root, index=i // 2, id=f"i{i:03}")
            doc.set_prop(f"i{i:03}", "m", i * 2)
        doc.remove_prop("i007", "n")
    assert doc.tree() == _rebuilt(doc).tree()
    assert len(doc.children("root")) == 300


def test_adding_the_missing_parent_of_a_waiting_node_shows_it() -> None:
    doc = Document()
    doc.add("Frame", id="top")
    # A foreign writer puts a node under "ghost", which does not exist yet.
    raw: Doc[Map[object]] = Doc()
    raw.apply_update(doc.get_update())
    before = raw.get_state()
    raw.get("nodes", type=Map)["child"] = Map(
        {"type": "T", "props": Map(), "pos": {"parent": "ghost", "order": "V"}, "deleted": False}
    )
    doc.apply_update(raw.get_update(before), "x")
    assert shape(doc.tree()) == ["top"]
    doc.add("Frame", id="ghost")
    assert shape(doc.tree()) == ["top", ("ghost", ["child"])]
    assert doc.tree() == _rebuilt(doc).tree()


def test_an_edit_after_a_remote_replacement_of_the_node_is_not_lost() -> None:
    a, b = Document(), Document()
    a.add("Box", id="box")
    sync_pair(a, b)
    a.set_prop("box", "x", 1)  # caches the props map of "box"
    b.delete("box")
    b.restore("box")
    b.set_prop("box", "y", 2)
    sync_pair(a, b)
    a.set_prop("box", "x", 3)
    sync_pair(a, b)
    for doc in (a, b):
        state = doc.node("box")
        assert state is not None and state.props == {"x": 3, "y": 2}


def test_the_guard_catches_up_with_a_long_run_of_local_edits() -> None:
    a, b = Document(), Document()
    a.add("Box", id="box")
    sync_pair(a, b)
    for i in range(_MIRROR_BACKLOG * 2 + 3):
        b.set_prop("box", "n", i)
    a.set_prop("box", "other", True)
    sync_pair(a, b)
    assert a.export() == b.export()
    state = b.node("box")
    assert state is not None and state.props == {"n": _MIRROR_BACKLOG * 2 + 2, "other": True}


@pytest.mark.parametrize(
    ("value", "where"),
    [
        ([1, [float("inf")]], r"p\[1\]\[0\] is not a finite number"),
        ({"a": {"b": object()}}, r"p\.a\.b is not a JSON value"),
        ({1: 2}, "p has a non-string key"),
        ([2**60], r"p\[0\] is an integer outside"),
        ("x" * 70_000, "more than"),
    ],
)
def test_check_value_still_says_where_a_value_is_bad(value: object, where: str) -> None:
    with pytest.raises(ValidationError, match=where):
        check_value(value, "p")


def test_check_value_copies_containers() -> None:
    value: list[object] = [1, {"a": [2.5, None, "s"]}]
    checked = check_value(value, "p")
    assert checked == value and checked is not value
