"""A node whose position an undo or redo could not bring back stays in the tree (issue 5).

Undo of a map write deletes the write and restores the value it replaced,
unless a write from another replica came after that value: then Yjs (and
yrs) restore nothing. When that other write was itself replaced (by the move
being undone), nothing is left under ``pos``. These are the sequences the
convergence property test found; every replica must still show the node.
"""

from __future__ import annotations

from pycrdt import Doc, Map

from avacollab_editing import Document
from avacollab_editing.layout import UNPLACED

from .helpers import shape, sync_pair


def _stored_pos(doc: Document, node_id: str) -> object:
    node = doc.ydoc.get("nodes", type=Map)[node_id]
    assert isinstance(node, Map)
    return node.get("pos")


def _replicas() -> tuple[Document, Document]:
    # Client ids decide which of two concurrent writes wins: here b's.
    a, b = Document(Doc(client_id=1)), Document(Doc(client_id=2))
    b.add("Frame", id="p")
    b.add("Frame", id="q")
    b.add("Text", {"label": "hi"}, id="n")
    b.add("Text", parent="n", id="child")
    sync_pair(a, b)
    return a, b


def test_undoing_a_move_that_won_over_a_concurrent_move_keeps_the_node() -> None:
    a, b = _replicas()
    a.move("n", "p")
    b.move("n", "q")
    sync_pair(a, b)
    assert shape(b.tree()) == ["p", ("q", [("n", ["child"])])]  # b's move won

    assert b.undo()
    sync_pair(a, b)

    # Both writes are gone from ``pos``; the node is shown at the top level.
    assert _stored_pos(b, "n") is None
    for doc in (a, b):
        assert shape(doc.tree()) == ["p", "q", ("n", ["child"])]
        state = doc.node("n")
        assert state is not None
        assert (state.parent, state.visible, state.props) == (None, True, {"label": "hi"})
    assert a.export() == b.export()

    # Still editable: a move writes a whole position again.
    a.move("n", "p", 0)
    a.set_prop("n", "label", "moved")
    sync_pair(a, b)
    assert shape(b.tree()) == [("p", [("n", ["child"])]), "q"]
    pos = _stored_pos(b, "n")
    assert isinstance(pos, dict)
    assert (pos["parent"], pos["prev"]) == ("p", {"parent": None, "order": UNPLACED.order})
    state = b.node("n")
    assert state is not None and state.props == {"label": "moved"}


def test_redoing_an_add_after_a_remote_move_of_the_node_keeps_the_node() -> None:
    # The shrunk example of the convergence test: replica 1 adds and moves a
    # node, replica 2 moves it too, replica 1 undoes both its steps, receives
    # replica 2's move (into the removed node) and redoes the add.
    r1, r2 = Document(Doc(client_id=2)), Document(Doc(client_id=3))
    r1.add("Text", {"a": "r1-1"}, id="n0")
    sync_pair(r1, r2)
    r1.move("n0", None, 0)
    r2.move("n0", None, 0)
    assert r1.undo()  # the move
    assert r1.undo()  # the add
    assert r1.node("n0") is None
    r1.apply_update(r2.get_update(r1.state_vector()), "r2")

    assert r1.redo()
    sync_pair(r1, r2)

    assert _stored_pos(r1, "n0") is None  # the redone node has no position
    for doc in (r1, r2):
        assert [c.id for c in doc.tree()] == ["n0"]
        state = doc.node("n0")
        assert state is not None
        assert (state.parent, state.visible, state.props) == (None, True, {"a": "r1-1"})
    assert r1.export() == r2.export()


def test_unplaced_nodes_sort_by_id_among_the_top_level() -> None:
    a, b = _replicas()
    b.add("Text", id="m")
    a.add("Text", id="last")
    sync_pair(a, b)
    for node_id in ("n", "m"):
        a.move(node_id, "p")
        b.move(node_id, "q")
        sync_pair(a, b)
        b.undo()
        sync_pair(a, b)
    for doc in (a, b):
        assert doc.children(None) == ["p", "q", "last", "m", "n"]
