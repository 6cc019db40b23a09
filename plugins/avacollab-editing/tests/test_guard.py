"""Updates from peers that are malformed or break the schema never reach the document."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pycrdt import Array, Doc, Map, Text

from avacollab_editing import Document, RejectedUpdate
from avacollab_editing.guard import UpdateGuard


@pytest.fixture
def doc() -> Document:
    d = Document()
    d.add("Frame", {"title": "Home"}, id="root")
    d.add("Button", {"label": "OK"}, parent="root", id="ok")
    return d


def _foreign(doc: Document, edit: Callable[[Map[object]], object]) -> bytes:
    """An update made by a raw pycrdt writer that starts from ``doc``'s state."""
    raw: Doc[Map[object]] = Doc()
    raw.apply_update(doc.get_update())
    before = raw.get_state()
    with raw.transaction():
        edit(raw.get("nodes", type=Map))
    return raw.get_update(before)


def _node(nodes: Map[object], node_id: str) -> Map[object]:
    node = nodes[node_id]
    assert isinstance(node, Map)
    return node


def _props(nodes: Map[object], node_id: str) -> Map[object]:
    props = _node(nodes, node_id)["props"]
    assert isinstance(props, Map)
    return props


def _valid(pos: object = None, **extra: object) -> Map[object]:
    fields: dict[str, object] = {
        "type": "T",
        "props": Map(),
        "pos": pos if pos is not None else {"parent": None, "order": "V"},
        "deleted": False,
    }
    fields.update(extra)
    return Map({k: v for k, v in fields.items() if v is not _MISSING})


_MISSING = object()

HOSTILE: dict[str, Callable[[Map[object]], object]] = {
    "node without type": lambda n: n.__setitem__("x", _valid(type=_MISSING)),
    "numeric type": lambda n: n.__setitem__("x", _valid(type=7)),
    "type with spaces": lambda n: n.__setitem__("x", _valid(type="a b")),
    "node is plain json": lambda n: n.__setitem__("x", {"type": "T"}),
    "props not a map": lambda n: n.__setitem__("x", _valid(props={"a": 1})),
    "bad order key": lambda n: n.__setitem__("x", _valid(pos={"parent": None, "order": "a b"})),
    "order ends in zero": lambda n: n.__setitem__("x", _valid(pos={"parent": None, "order": "V0"})),
    "bad parent id": lambda n: n.__setitem__("x", _valid(pos={"parent": "../x", "order": "V"})),
    "bad prev": lambda n: n.__setitem__("x", _valid(pos={"parent": None, "order": "V", "prev": 1})),
    "position as shared map": lambda n: n.__setitem__(
        "x", _valid(pos=Map({"parent": None, "order": "V"}))
    ),
    "deleted not bool": lambda n: n.__setitem__("x", _valid(deleted="yes")),
    "no pos, deleted not bool": lambda n: n.__setitem__("x", _valid(pos=_MISSING, deleted=1)),
    "bad node id": lambda n: n.__setitem__("bad id", _valid()),
    "removing type": lambda n: _node(n, "ok").pop("type"),
    "props replaced by text": lambda n: _node(n, "ok").__setitem__("props", Text("x")),
    "shared type as property": lambda n: _props(n, "ok").__setitem__("x", Array([1])),
    "huge property": lambda n: _props(n, "ok").__setitem__("x", "y" * 70_000),
    "not a number": lambda n: _props(n, "ok").__setitem__("x", float("nan")),
    "empty property name": lambda n: _props(n, "ok").__setitem__("", 1),
}


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_schema_breaking_update_is_rejected(doc: Document, name: str) -> None:
    before = doc.get_update()
    exported = doc.export()
    update = _foreign(doc, HOSTILE[name])
    with pytest.raises(RejectedUpdate):
        doc.apply_update(update, "evil")
    assert doc.get_update() == before
    assert doc.export() == exported
    # The document keeps working, and a good update still applies afterwards.
    good = _foreign(doc, lambda n: _props(n, "ok").__setitem__("label", "fine"))
    doc.apply_update(good, "friend")
    node = doc.node("ok")
    assert node is not None and node.props["label"] == "fine"


def test_unknown_root_type_is_rejected(doc: Document) -> None:
    raw: Doc[Map[object]] = Doc()
    raw.get("other", type=Map)["k"] = 1
    with pytest.raises(RejectedUpdate, match="unknown root"):
        doc.apply_update(raw.get_update(), "evil")
    assert set(doc.ydoc.keys()) == {"nodes"}


def test_truncated_updates_are_rejected(doc: Document) -> None:
    other = Document()
    other.add("Text", {"text": "hello " * 20}, id="t")
    update = other.get_update()
    before = doc.get_update()
    for cut in range(1, len(update)):
        with pytest.raises(RejectedUpdate):
            doc.apply_update(update[:cut], "evil")
    assert doc.get_update() == before
    doc.apply_update(update, "friend")
    assert "t" in doc.children(None)


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=200))
def test_random_bytes_never_corrupt_the_document(data: bytes) -> None:
    doc = Document()
    doc.add("Frame", {"title": "Home"}, id="root")
    before = doc.get_update()
    try:
        doc.apply_update(data, "fuzz")
    except RejectedUpdate:
        assert doc.get_update() == before
    # Whatever happened (b"\x00\x00" is a valid empty update), the tree reads as before.
    assert [c.id for c in doc.tree()] == ["root"]
    assert doc.tree()[0].properties == {"title": "Home"}
    doc.set_prop("root", "title", "still editable")


def test_hard_removal_of_a_node_is_accepted_as_undo_of_add(doc: Document) -> None:
    update = _foreign(doc, lambda n: n.pop("ok"))
    doc.apply_update(update, "peer")
    assert doc.node("ok") is None


def test_node_without_position_is_accepted_and_shown_at_the_top_level(doc: Document) -> None:
    # What an undo racing a remote move can leave (see test_lost_position.py).
    update = _foreign(doc, lambda n: _node(n, "ok").pop("pos"))
    doc.apply_update(update, "peer")
    assert doc.children("root") == []
    assert doc.children(None) == ["root", "ok"]
    node = doc.node("ok")
    assert node is not None and (node.parent, node.visible) == (None, True)
    doc.move("ok", "root")
    assert doc.children("root") == ["ok"]


# -- a whole state arriving into an empty document (a late joiner's step 2) ----------
#
# An empty document takes such a state in place and checks the result, instead
# of checking it in the shadow first; a refused state must still leave nothing.

EMPTY = Document().get_update()


def _whole_state(doc: Document, edit: Callable[[Map[object]], object]) -> bytes:
    """The whole state of ``doc`` with a raw pycrdt edit on top: what a late joiner gets."""
    raw: Doc[Map[object]] = Doc()
    raw.apply_update(doc.get_update())
    with raw.transaction():
        edit(raw.get("nodes", type=Map))
    return raw.get_update()


def _assert_empty_and_usable(fresh: Document, client_id: int, good: bytes) -> None:
    assert fresh.get_update() == EMPTY
    assert fresh.tree() == ()
    assert set(fresh.ydoc.keys()) <= {"nodes"}
    assert fresh.ydoc.client_id == client_id
    # A good state still goes in, and local editing and undo work on top of it.
    fresh.apply_update(good, "friend")
    assert [c.id for c in fresh.tree()] == ["root"]
    fresh.add("Label", parent="root", id="mine")
    assert fresh.children("root") == ["ok", "mine"]
    assert fresh.undo()
    assert fresh.children("root") == ["ok"]


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_schema_breaking_state_into_an_empty_document_is_rejected(doc: Document, name: str) -> None:
    fresh = Document()
    client_id = fresh.ydoc.client_id
    changes: list[object] = []
    updates: list[bytes] = []
    fresh.on_change(changes.append)
    fresh.on_update(updates.append)
    with pytest.raises(RejectedUpdate):
        fresh.apply_update(_whole_state(doc, HOSTILE[name]), "evil")
    assert changes == []
    _assert_empty_and_usable(fresh, client_id, doc.get_update())
    assert len(changes) == 3  # the good state, the add and its undo: callbacks survive
    assert len(updates) == 2  # the add and the undo are still broadcast


def test_unknown_root_into_an_empty_document_is_rejected(doc: Document) -> None:
    raw: Doc[Map[object]] = Doc()
    raw.apply_update(doc.get_update())
    raw.get("other", type=Map)["k"] = 1
    fresh = Document()
    with pytest.raises(RejectedUpdate, match="unknown root"):
        fresh.apply_update(raw.get_update(), "evil")
    _assert_empty_and_usable(fresh, fresh.ydoc.client_id, doc.get_update())


def test_truncated_states_into_an_empty_document_are_rejected(doc: Document) -> None:
    update = doc.get_update()
    fresh = Document()
    for cut in range(1, len(update)):
        with pytest.raises(RejectedUpdate):
            fresh.apply_update(update[:cut], "evil")
        assert fresh.get_update() == EMPTY
    _assert_empty_and_usable(fresh, fresh.ydoc.client_id, update)


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=200))
def test_random_bytes_into_an_empty_document(data: bytes) -> None:
    fresh = Document()
    try:
        fresh.apply_update(data, "fuzz")
    except RejectedUpdate:
        assert fresh.get_update() == EMPTY
    assert fresh.tree() == ()  # nothing random reads as a node
    fresh.add("Frame", id="root")
    assert [c.id for c in fresh.tree()] == ["root"]


def test_updates_after_a_whole_state_are_still_checked(doc: Document) -> None:
    fresh = Document()
    fresh.apply_update(doc.get_update(), "friend")
    fresh.set_prop("ok", "local", 1)  # reaches the shadow before the next check
    before = fresh.get_update()
    with pytest.raises(RejectedUpdate):
        fresh.apply_update(_foreign(fresh, HOSTILE["shared type as property"]), "evil")
    assert fresh.get_update() == before
    fresh.apply_update(_foreign(fresh, lambda n: _props(n, "ok").__setitem__("x", 2)), "peer")
    node = fresh.node("ok")
    assert node is not None and node.props == {"label": "OK", "local": 1, "x": 2}


def _two_parts(base: bytes | None, change: Callable[[Map[object]], None]) -> tuple[bytes, bytes]:
    """Two updates on top of ``base``: the first adds node ``x``, the second
    ``change``s its properties and cannot apply without the first."""
    raw: Doc[Map[object]] = Doc()
    if base is not None:
        raw.apply_update(base)
    before = raw.get_state()
    raw.get("nodes", type=Map)["x"] = _valid()
    first = raw.get_update(before)
    middle = raw.get_state()
    change(_props(raw.get("nodes", type=Map), "x"))
    return first, raw.get_update(middle)


def test_a_held_back_hostile_part_is_caught_when_what_it_needs_arrives(doc: Document) -> None:
    # The second update needs the first: an empty document holds it back
    # (nothing to see, nothing to check yet), and it is checked once the first
    # arrives and lets it in.
    first, second = _two_parts(doc.get_update(), lambda props: props.__setitem__("bad", Array([1])))
    fresh = Document()
    fresh.apply_update(doc.get_update(), "friend")
    fresh.apply_update(second, "evil")  # held back: it changes nothing yet
    assert fresh.node("x") is None
    with pytest.raises(RejectedUpdate, match="shared type"):
        fresh.apply_update(first, "friend")
    assert fresh.node("x") is None


def test_a_held_back_update_is_not_taken_for_an_empty_document(doc: Document) -> None:
    # An update waiting for a missing part leaves the state vector empty, but
    # the document is not empty: a refused state must not take that update
    # with it when it is dropped.
    first, second = _two_parts(None, lambda props: props.__setitem__("good", 1))
    fresh = Document()
    fresh.apply_update(second, "friend")
    assert fresh.tree() == ()
    with pytest.raises(RejectedUpdate):
        fresh.apply_update(_whole_state(doc, HOSTILE["numeric type"]), "evil")
    fresh.apply_update(first, "friend")
    node = fresh.node("x")
    assert node is not None and node.props == {"good": 1}


def test_a_refused_update_does_not_let_a_held_back_one_through_unchecked(doc: Document) -> None:
    # The shadow spoiled by a refused update is rebuilt. Rebuilt from the real
    # document's state, it would miss the held-back part, which would then
    # reach the real document unchecked once what it needs arrives.
    first, second = _two_parts(doc.get_update(), lambda props: props.__setitem__("bad", Array([1])))
    doc.apply_update(second, "evil")  # held back
    with pytest.raises(RejectedUpdate):
        doc.apply_update(b"\x01", "evil")
    with pytest.raises(RejectedUpdate, match="shared type"):
        doc.apply_update(first, "evil")
    assert doc.node("x") is None


def test_updates_taken_in_whole_are_not_kept_but_held_back_ones_are(doc: Document) -> None:
    guard = UpdateGuard(doc.ydoc)
    raw: Doc[Map[object]] = Doc()
    raw.apply_update(doc.get_update())
    nodes = raw.get("nodes", type=Map)
    before = raw.get_state()
    nodes["x"] = _valid()
    first = raw.get_update(before)
    middle = raw.get_state()
    _props(nodes, "x")["bad"] = Array([1])
    second = raw.get_update(middle)
    guard.check(second)
    doc.ydoc.apply_update(second)  # held back by yrs: nothing to see yet
    friend: Doc[Map[object]] = Doc()
    friend.apply_update(doc.get_update())
    for i in range(1500):
        state = friend.get_state()
        _props(friend.get("nodes", type=Map), "ok")["n"] = i
        update = friend.get_update(state)
        guard.check(update)
        doc.ydoc.apply_update(update)
    assert guard.held <= 1025  # pruned, not 1501
    with pytest.raises(RejectedUpdate):
        guard.check(b"\x01")  # spoils the shadow: it is rebuilt
    with pytest.raises(RejectedUpdate, match="shared type"):
        guard.check(first)  # the held-back part came back with the rebuild
