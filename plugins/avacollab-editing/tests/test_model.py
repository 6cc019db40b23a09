"""Document operations, their bad inputs, undo, change events, export and import."""

from __future__ import annotations

import gc

import pytest
from pycrdt import Doc, Map

from avacollab_editing import (
    Change,
    CycleError,
    Document,
    EditError,
    NodeChange,
    ValidationError,
)
from avacollab_editing.layout import MAX_DEPTH

from .helpers import shape, sync_pair


def _nested(depth: int) -> object:
    value: object = 1
    for _ in range(depth):
        value = [value]
    return value


@pytest.fixture
def doc() -> Document:
    d = Document()
    d.add("Frame", {"title": "Home"}, id="root")
    d.add("Button", {"label": "OK"}, parent="root", id="ok")
    d.add("Button", {"label": "Cancel"}, parent="root", id="cancel")
    return d


def test_add_builds_the_tree_in_order(doc: Document) -> None:
    doc.add("Text", parent="root", index=0, id="first")
    doc.add("Text", parent="root", index=2, id="middle")
    assert shape(doc.tree()) == [("root", ["first", "ok", "middle", "cancel"])]
    node = doc.node("middle")
    assert node is not None
    assert (node.type, node.parent, node.deleted, node.visible) == ("Text", "root", False, True)


def test_add_generates_unique_ids() -> None:
    d = Document()
    ids = {d.add("Text") for _ in range(20)}
    assert len(ids) == 20
    assert d.children(None) == sorted(d.children(None), key=d.children(None).index)


@pytest.mark.parametrize(
    ("kwargs", "error"),
    [
        ({"type": ""}, ValidationError),
        ({"type": "has space"}, ValidationError),
        ({"type": 3}, ValidationError),
        ({"type": "T", "id": "x" * 129}, ValidationError),
        ({"type": "T", "id": "bad/id"}, ValidationError),
        ({"type": "T", "id": "root"}, EditError),
        ({"type": "T", "parent": "nope"}, EditError),
        ({"type": "T", "parent": "bad parent"}, ValidationError),
        ({"type": "T", "parent": "root", "index": 3}, EditError),
        ({"type": "T", "parent": "root", "index": -1}, EditError),
        ({"type": "T", "index": "0"}, ValidationError),
        ({"type": "T", "props": {"": 1}}, ValidationError),
        ({"type": "T", "props": {"x": float("nan")}}, ValidationError),
        ({"type": "T", "props": {"x": object()}}, ValidationError),
    ],
)
def test_add_rejects_bad_input(doc: Document, kwargs: dict[str, object], error: type) -> None:
    before = doc.get_update()
    with pytest.raises(error):
        doc.add(**kwargs)  # type: ignore[arg-type]
    assert doc.get_update() == before


def test_add_under_deleted_parent_is_refused(doc: Document) -> None:
    doc.delete("root")
    with pytest.raises(EditError, match="not in the tree"):
        doc.add("Text", parent="root")


def test_set_and_remove_property(doc: Document) -> None:
    doc.set_prop("ok", "style", {"color": "red", "size": [1, 2.5]})
    doc.set_prop("ok", "label", "Yes")
    doc.remove_prop("root", "title")
    tree = doc.tree()
    assert tree[0].properties == {}
    assert tree[0].children[0].properties == {
        "label": "Yes",
        "style": {"color": "red", "size": [1, 2.5]},
    }


def test_integers_read_back_as_integers(doc: Document) -> None:
    doc.set_prop("ok", "n", 3)
    doc.set_prop("ok", "f", 2.5)
    doc.set_prop("ok", "big", 2**53 - 1)
    node = doc.node("ok")
    assert node is not None
    assert node.props["n"] == 3 and type(node.props["n"]) is int
    assert node.props["big"] == 2**53 - 1
    assert node.props["f"] == 2.5


@pytest.mark.parametrize(
    ("name", "value", "match"),
    [
        ("", 1, "property name"),
        ("x" * 257, 1, "property name"),
        (5, 1, "property name"),
        ("x", float("inf"), "finite"),
        ("x", 2**53, "2\\*\\*53"),
        ("x", {1: "a"}, "non-string key"),
        ("x", (1, 2), "not a JSON value"),
        ("x", b"bytes", "not a JSON value"),
        ("x", "y" * (64 * 1024 + 1), "bytes as JSON"),
        ("x", _nested(40), "nested"),
    ],
)
def test_set_prop_rejects_bad_values(
    doc: Document, name: object, value: object, match: str
) -> None:
    before = doc.get_update()
    with pytest.raises(ValidationError, match=match):
        doc.set_prop("ok", name, value)  # type: ignore[arg-type]
    assert doc.get_update() == before


def test_property_ops_on_unknown_or_deleted_nodes(doc: Document) -> None:
    with pytest.raises(EditError, match="no node"):
        doc.set_prop("ghost", "x", 1)
    with pytest.raises(EditError, match="has no property"):
        doc.remove_prop("ok", "missing")
    doc.delete("ok")
    with pytest.raises(EditError, match="deleted"):
        doc.set_prop("ok", "x", 1)
    with pytest.raises(EditError, match="deleted"):
        doc.remove_prop("ok", "label")


def test_delete_hides_the_subtree_and_restore_brings_it_back(doc: Document) -> None:
    doc.add("Icon", parent="ok", id="icon")
    doc.delete("ok")
    assert shape(doc.tree()) == [("root", ["cancel"])]
    icon = doc.node("icon")
    assert icon is not None and not icon.deleted and not icon.visible
    with pytest.raises(EditError, match="deleted"):
        doc.delete("ok")
    doc.restore("ok")
    assert shape(doc.tree()) == [("root", [("ok", ["icon"]), "cancel"])]
    with pytest.raises(EditError, match="not deleted"):
        doc.restore("ok")
    with pytest.raises(EditError, match="no node"):
        doc.restore("ghost")


def test_move_to_another_parent_and_position(doc: Document) -> None:
    doc.add("Frame", id="panel")
    doc.move("cancel", "panel")
    doc.move("ok", "panel", 0)
    assert shape(doc.tree()) == ["root", ("panel", ["ok", "cancel"])]
    doc.move("panel", "root", 0)
    assert shape(doc.tree()) == [("root", [("panel", ["ok", "cancel"])])]


def test_move_rejects_cycles_and_bad_targets(doc: Document) -> None:
    doc.add("Icon", parent="ok", id="icon")
    with pytest.raises(CycleError):
        doc.move("root", "icon")
    with pytest.raises(CycleError):
        doc.move("ok", "ok")
    with pytest.raises(EditError, match="not in the tree"):
        doc.move("ok", "ghost")
    with pytest.raises(EditError, match="out of range"):
        doc.move("ok", "root", 2)
    with pytest.raises(EditError, match="no node"):
        doc.move("ghost", None)
    doc.delete("cancel")
    with pytest.raises(EditError, match="deleted"):
        doc.move("cancel", None)
    with pytest.raises(EditError, match="not in the tree"):
        doc.move("ok", "cancel")


def test_edits_never_nest_the_tree_past_the_limit() -> None:
    d = Document()
    parent = None
    for i in range(MAX_DEPTH + 1):
        parent = d.add("Box", parent=parent, id=f"n{i}")
    with pytest.raises(EditError, match=f"adding under 'n{MAX_DEPTH}' would nest the tree more"):
        d.add("Box", parent=f"n{MAX_DEPTH}")
    d.add("Box", id="a")
    d.add("Box", parent="a", id="b")
    with pytest.raises(EditError, match=r"moving 'a' under .* more than 256 deep"):
        d.move("a", f"n{MAX_DEPTH - 1}")  # b would be at depth 257
    d.move("a", f"n{MAX_DEPTH - 2}")  # b at 256: fits exactly
    two_levels = {"id": "x", "type": "Box", "children": [{"id": "y", "type": "Box"}]}
    with pytest.raises(EditError, match="importing there would nest"):
        d.import_(two_levels, parent=f"n{MAX_DEPTH - 1}")
    d.import_(two_levels, parent=f"n{MAX_DEPTH - 2}")
    assert d.node("y") is not None and d.node("y").visible  # type: ignore[union-attr]
    # A deleted subtree counts: moved deep while hidden, it could not come back.
    d.add("Box", id="p")
    d.add("Box", parent="p", id="q")
    d.add("Box", parent="q", id="r")
    d.delete("q")
    with pytest.raises(EditError, match="moving 'p' under"):
        d.move("p", f"n{MAX_DEPTH - 1}")  # r would be at 258 once q is back
    d.move("p", f"n{MAX_DEPTH - 3}")  # r at 256 once back: fits
    d.restore("q")
    assert d.node("r").visible  # type: ignore[union-attr]
    # Restoring checks too: after a move written past the checks, q cannot come back.
    d.delete("q")
    p = d._nodes["p"]
    assert isinstance(p, Map)
    p["pos"] = {"parent": f"n{MAX_DEPTH - 1}", "order": "V"}
    with pytest.raises(EditError, match="restoring 'q' would nest the tree more than 256 deep"):
        d.restore("q")


def test_a_chain_written_deeper_than_the_limit_reads_within_it() -> None:
    # What a hostile peer can write past the checks: 2,000 nodes in a chain.
    # Reading it whole would pass Python's recursion limit.
    doc: Doc[Map[object]] = Doc()
    nodes = doc.get("nodes", type=Map)
    with doc.transaction():
        for i in range(2000):
            pos = {"parent": f"n{i - 1}" if i else None, "order": "V"}
            nodes[f"n{i}"] = Map({"type": "Box", "props": Map(), "pos": pos, "deleted": False})
    document = Document(doc)
    depth, component = 0, document.tree()[0]
    while component.children:
        depth, component = depth + 1, component.children[0]
    assert depth == MAX_DEPTH
    assert document.export()["components"]
    deepest = document.node(f"n{MAX_DEPTH + 1}")
    assert deepest is not None and not deepest.visible
    assert document.children(f"n{MAX_DEPTH}") == []
    document.close()


def test_reorder_among_siblings(doc: Document) -> None:
    doc.add("Button", parent="root", id="help")
    doc.reorder("help", 0)
    assert doc.children("root") == ["help", "ok", "cancel"]
    doc.reorder("help", 2)
    assert doc.children("root") == ["ok", "cancel", "help"]
    doc.reorder("ok", 1)
    assert doc.children("root") == ["cancel", "ok", "help"]
    with pytest.raises(EditError, match="out of range"):
        doc.reorder("ok", 3)
    doc.add("Icon", parent="ok", id="icon")
    doc.delete("ok")
    with pytest.raises(EditError, match="not in the tree"):
        doc.reorder("icon", 0)


def test_many_inserts_at_one_spot_keep_order() -> None:
    d = Document()
    d.add("F", id="a")
    d.add("F", id="z")
    for i in range(200):
        d.add("F", index=1, id=f"n{i:03}")
    assert d.children(None) == ["a", *[f"n{i:03}" for i in reversed(range(200))], "z"]


def test_undo_and_redo_each_operation(doc: Document) -> None:
    exported = [doc.export()]
    doc.set_prop("ok", "label", "Yes")
    exported.append(doc.export())
    doc.move("cancel", "root", 0)
    exported.append(doc.export())
    doc.delete("ok")
    exported.append(doc.export())
    for expected in reversed(exported[:-1]):
        assert doc.undo()
        assert doc.export() == expected
    for expected in exported[1:]:
        assert doc.redo()
        assert doc.export() == expected
    assert not doc.can_redo


def test_batch_is_one_undo_step(doc: Document) -> None:
    before = doc.export()
    with doc.batch():
        new = doc.add("Text", parent="root")
        doc.set_prop(new, "text", "hi")
        doc.move(new, "root", 0)
    assert doc.children("root")[0] == new
    assert doc.undo()
    assert doc.export() == before


def test_undo_touches_only_local_edits(doc: Document) -> None:
    other = Document()
    sync_pair(doc, other)
    doc.set_prop("ok", "label", "mine")
    other.set_prop("cancel", "label", "theirs")
    other.add("Text", parent="root", id="theirs")
    sync_pair(doc, other)
    assert doc.undo()
    sync_pair(doc, other)
    for replica in (doc, other):
        ok, cancel = replica.node("ok"), replica.node("cancel")
        assert ok is not None and cancel is not None
        assert ok.props["label"] == "OK"
        assert cancel.props["label"] == "theirs"
        assert "theirs" in replica.children("root")


def test_undoing_an_add_reaches_the_other_peers(doc: Document) -> None:
    other = Document()
    sync_pair(doc, other)
    doc.add("Text", parent="root", id="oops")
    sync_pair(doc, other)
    assert "oops" in other.children("root")
    assert doc.undo()
    sync_pair(doc, other)
    assert other.node("oops") is None
    assert other.export() == doc.export()


def test_undo_with_nothing_to_undo() -> None:
    d = Document()
    assert not d.can_undo and not d.undo()
    assert not d.can_redo and not d.redo()


def test_change_events_say_who_changed_what(doc: Document) -> None:
    other = Document()
    sync_pair(doc, other)
    seen: list[Change] = []
    unsubscribe = other.on_change(seen.append)
    mine: list[Change] = []
    other.on_change(mine.append)
    doc.set_prop("ok", "label", "Go")
    doc.move("cancel", "root", 0)
    doc.delete("ok")
    doc.restore("ok")
    doc.add("Text", id="t")
    other.apply_update(doc.get_update(other.state_vector()), "peer-1")
    assert len(seen) == 1
    assert seen[0].origin == "peer-1" and not seen[0].local
    assert set(seen[0].nodes) == {
        NodeChange("ok", "props", ("label",)),
        NodeChange("cancel", "moved"),
        NodeChange("ok", "restored"),
        NodeChange("t", "added"),
    }
    unsubscribe()
    other.delete("t")
    assert len(seen) == 1
    assert mine[-1] == Change(None, (NodeChange("t", "deleted"),))
    assert mine[-1].local


def test_a_whole_state_into_an_empty_document_reads_as_through_the_shadow() -> None:
    # An empty document takes a whole state in place and reads it once; a
    # document that is not ours to call empty (a Doc passed in) screens it in
    # the shadow first. Both must read the same, and report the same change.
    a, b = Document(), Document()
    a.add("Frame", {"title": "Home", "w": 3.0, "size": [1.0, 2.5]}, id="root")
    a.add("Panel", parent="root", id="p")
    a.add("Panel", parent="root", id="q")
    a.add("Button", {"label": "Go"}, parent="p", id="go")
    a.add("Text", id="gone")
    a.delete("gone")
    sync_pair(a, b)
    a.move("p", "q")  # concurrent moves that form a cycle: one loses
    b.move("q", "p")
    sync_pair(a, b)
    state = a.get_update()
    fast, slow = Document(), Document(Doc())
    seen: dict[str, list[Change]] = {"fast": [], "slow": []}
    fast.on_change(seen["fast"].append)
    slow.on_change(seen["slow"].append)
    fast.apply_update(state, "peer")
    slow.apply_update(state, "peer")
    assert fast.tree() == slow.tree() == a.tree()
    assert fast.export() == slow.export()
    for node_id in ("root", "p", "q", "go", "gone"):
        assert fast.node(node_id) == slow.node(node_id) == a.node(node_id)
    assert fast.node("root").props == {"title": "Home", "w": 3, "size": [1, 2.5]}  # type: ignore[union-attr]
    [fast_change], [slow_change] = seen["fast"], seen["slow"]
    assert fast_change.origin == slow_change.origin == "peer"
    assert set(fast_change.nodes) == set(slow_change.nodes)
    assert {n.kind for n in fast_change.nodes} == {"added"}
    # Editing goes on from there, and the next remote update merges.
    fast.set_prop("go", "label", "Stop")
    a.add("Text", parent="root", id="late")
    sync_pair(a, fast)
    assert fast.tree() == a.tree()


def test_an_empty_update_changes_nothing(doc: Document) -> None:
    seen: list[Change] = []
    doc.on_change(seen.append)
    before = doc.get_update()
    doc.apply_update(Document().get_update(), "peer")
    fresh = Document()
    fresh.on_change(seen.append)
    fresh.apply_update(Document().get_update(), "peer")
    assert seen == [] and doc.get_update() == before and fresh.tree() == ()


def test_a_failing_callback_does_not_break_the_document(doc: Document) -> None:
    def boom(change: Change) -> None:
        raise RuntimeError("boom")

    doc.on_change(boom)
    doc.on_update(lambda update: boom(Change(None)))
    doc.set_prop("ok", "label", "still works")
    node = doc.node("ok")
    assert node is not None and node.props["label"] == "still works"


def test_on_update_reports_local_edits_only(doc: Document) -> None:
    updates: list[bytes] = []
    doc.on_update(updates.append)
    doc.set_prop("ok", "x", 1)
    doc.undo()
    assert len(updates) == 2
    other = Document()
    other.add("Text", id="remote")
    doc.apply_update(other.get_update(), "peer")
    assert len(updates) == 2


def test_export_format_and_import_round_trip(doc: Document) -> None:
    doc.add("Icon", {"name": "check"}, parent="ok", id="icon")
    exported = doc.export()
    assert exported == {
        "format": "avacollab-editing",
        "version": 1,
        "components": [
            {
                "id": "root",
                "type": "Frame",
                "properties": {"title": "Home"},
                "children": [
                    {
                        "id": "ok",
                        "type": "Button",
                        "properties": {"label": "OK"},
                        "children": [
                            {
                                "id": "icon",
                                "type": "Icon",
                                "properties": {"name": "check"},
                                "children": [],
                            }
                        ],
                    },
                    {
                        "id": "cancel",
                        "type": "Button",
                        "properties": {"label": "Cancel"},
                        "children": [],
                    },
                ],
            }
        ],
    }
    copy = Document()
    assert copy.import_(exported) == ["root"]
    assert copy.export() == exported


def test_import_seed_component_and_lists() -> None:
    d = Document()
    d.import_(
        {"id": "app", "type": "App", "properties": {}, "children": [{"id": "b", "type": "Button"}]}
    )
    d.import_([{"id": "x", "type": "Text"}, {"id": "y", "type": "Text"}], parent="app")
    assert shape(d.tree()) == [("app", ["b", "x", "y"])]
    many = [{"id": f"c{i}", "type": "Text"} for i in range(500)]
    d.import_(many)
    assert d.children(None) == ["app", *[f"c{i}" for i in range(500)]]


def test_import_is_one_undo_step() -> None:
    d = Document()
    d.import_({"id": "app", "type": "App", "children": [{"id": "b", "type": "Button"}]})
    assert d.undo()
    assert d.tree() == ()


@pytest.mark.parametrize(
    ("data", "match"),
    [
        ("nope", "must be a list"),
        ({"components": "x"}, "must be a list"),
        ({"components": [], "extra": 1}, "unknown keys"),
        ({"format": "other", "components": []}, "format"),
        ({"version": 2, "components": []}, "version"),
        ([1], r"components\[0\] must be an object"),
        ({"id": "a"}, "type"),
        ({"id": "a b", "type": "T"}, "id"),
        ({"id": "a", "type": "T", "colour": 1}, "unknown keys"),
        ({"id": "a", "type": "T", "properties": []}, "properties must be an object"),
        ({"id": "a", "type": "T", "properties": {"x": float("nan")}}, "finite"),
        ({"id": "a", "type": "T", "children": {}}, "children must be a list"),
        ({"id": "a", "type": "T", "children": [{"id": "a", "type": "T"}]}, "duplicate id"),
        (
            {"components": [{"id": "a", "type": "T", "children": [{"id": "b", "type": 1}]}]},
            r"components\[0\]\.children\[0\]: type",
        ),
    ],
)
def test_import_rejects_bad_json(data: object, match: str) -> None:
    d = Document()
    with pytest.raises(ValidationError, match=match):
        d.import_(data)
    assert d.tree() == ()


def test_import_rejects_existing_ids_and_deep_trees(doc: Document) -> None:
    with pytest.raises(EditError, match="already exists"):
        doc.import_({"id": "new", "type": "T", "children": [{"id": "ok", "type": "T"}]})
    assert doc.node("new") is None
    deep: dict[str, object] = {"id": "d0", "type": "T"}
    for i in range(1, 300):
        deep = {"id": f"d{i}", "type": "T", "children": [deep]}
    with pytest.raises(ValidationError, match="nested more than"):
        doc.import_(deep)
    with pytest.raises(EditError, match="not in the tree"):
        doc.import_({"id": "z", "type": "T"}, parent="ghost")


def test_a_removal_racing_a_set_leaves_the_set() -> None:
    a, b = Document(), Document()
    a.add("T", {"x": 1}, id="n")
    sync_pair(a, b)
    a.remove_prop("n", "x")
    b.set_prop("n", "x", 2)
    sync_pair(a, b)
    for replica in (a, b):
        node = replica.node("n")
        assert node is not None and node.props == {"x": 2}


def test_edits_racing_a_delete_are_kept_in_the_tombstone() -> None:
    a, b = Document(), Document()
    a.add("T", id="n")
    sync_pair(a, b)
    a.delete("n")
    b.set_prop("n", "kept", True)
    sync_pair(a, b)
    assert b.tree() == ()
    assert a.undo()
    sync_pair(a, b)
    node = b.node("n")
    assert node is not None and node.visible and node.props == {"kept": True}


def test_reading_leaves_the_garbage_collector_as_it_was(doc: Document) -> None:
    doc.tree()
    assert gc.isenabled()
    gc.disable()
    try:
        other = Document()
        other.apply_update(doc.get_update(), "peer")
        other.tree()
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_reading_leaves_out_what_does_not_parse() -> None:
    # Only a Doc written past the guard can hold this; reading must stay total.
    raw: Doc[Map[object]] = Doc()
    nodes = raw.get("nodes", type=Map)
    nodes["good"] = Map(
        {"type": "T", "props": Map({"a": 1}), "pos": {"parent": None, "order": "V"}}
    )
    nodes["bad"] = Map({"type": "a b", "props": Map(), "pos": {"parent": None, "order": "W"}})
    nodes["plain"] = {"type": "T"}
    nodes["nested"] = Map({"type": "T", "props": Map({"m": Map()}), "pos": {"order": "X"}})
    doc = Document(raw)
    assert [c.id for c in doc.tree()] == ["good"]
    assert doc.node("bad") is None and doc.node("nested") is None
    with pytest.raises(EditError, match="does not parse"):
        doc.move("bad", None)
