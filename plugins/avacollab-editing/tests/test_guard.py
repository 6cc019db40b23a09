"""Updates from peers that are malformed or break the schema never reach the document."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pycrdt import Array, Doc, Map, Text

from avacollab_editing import Document, EditError, RejectedUpdate


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


def test_node_without_position_is_accepted_but_hidden(doc: Document) -> None:
    # A move's removal of the old position can arrive before the new one.
    update = _foreign(doc, lambda n: _node(n, "ok").pop("pos"))
    doc.apply_update(update, "peer")
    assert doc.children("root") == []
    assert doc.node("ok") is None
    with pytest.raises(EditError, match="no position yet"):
        doc.move("ok", None)
