"""The --doc JSON file: diffs into operations, and sync both ways."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from avacollab_editing import Component, Document
from avacollab_editing.components import parse_export
from avacollab_editing.docfile import (
    Add,
    Delete,
    DocFile,
    DocFileError,
    Move,
    RemoveProp,
    SetProp,
    apply_ops,
    diff,
)

from .helpers import shape, sync_pair


def C(node_id: str, *children: Component, **props: object) -> Component:
    return Component(node_id, "T", dict(props), children)  # type: ignore[arg-type]


def test_diff_finds_each_kind_of_operation() -> None:
    old = [C("root", C("a", x=1), C("b"), C("c", C("c1"))), C("gone", C("g1"))]
    new = [C("root", C("b"), C("a", y=2), C("new", z=3), C("c1")), C("c")]
    assert diff(old, new) == [
        Move("c", None, "root"),
        Move("b", "root", None),
        Add("new", "T", {"z": 3}, "root", "a"),
        Move("c1", "root", "new"),
        SetProp("a", "y", 2),
        RemoveProp("a", "x"),
        Delete("gone"),
    ]


def test_diff_of_equal_trees_is_empty_and_type_changes_are_refused() -> None:
    tree = [C("root", C("a", x=[1, {"b": True}]))]
    assert diff(tree, tree) == []
    with pytest.raises(DocFileError, match="changed type"):
        diff(tree, [Component("root", "Other", {}, (C("a", x=[1, {"b": True}]),))])
    assert diff([C("a", v=1)], [C("a", v=True)]) == [SetProp("a", "v", True)]


def test_applying_a_diff_reproduces_the_new_tree() -> None:
    doc = Document()
    old = [C("root", *(C(f"n{i}", i=i) for i in range(6)))]
    doc.import_([c.to_json() for c in old])
    new = [C("root", C("n5"), C("n1", i=10), C("n0", i=0), C("box", C("n3", i=3))), C("n2", i=2)]
    assert apply_ops(doc, diff(old, new)) == []
    assert list(doc.tree()) == new
    assert doc.undo()  # the whole file edit is one step
    assert list(doc.tree()) == old


def test_file_edits_merge_with_concurrent_remote_edits() -> None:
    mine, theirs = Document(), Document()
    base = [C("root", C("a", x=1), C("b"))]
    mine.import_([c.to_json() for c in base])
    sync_pair(mine, theirs)
    theirs.set_prop("a", "x", 99)
    theirs.add("T", parent="root", id="remote")
    theirs.delete("b")
    sync_pair(mine, theirs)
    edited = [C("root", C("b", note="edited"), C("a", x=1, y=2))]
    skipped = apply_ops(mine, diff(base, edited))
    assert [s.op for s in skipped] == [Move("b", "root", None), SetProp("b", "note", "edited")]
    assert all("deleted" in s.reason for s in skipped)
    a = mine.node("a")
    assert a is not None and a.props == {"x": 99, "y": 2}
    assert shape(mine.tree()) == [("root", ["a", "remote"])]


def test_docfile_round_trip_both_ways(tmp_path: Path) -> None:
    path = tmp_path / "design.json"
    path.write_text(
        json.dumps({"id": "app", "type": "App", "children": [{"id": "b", "type": "Button"}]})
    )
    doc = Document()
    docfile = DocFile(path, doc)
    assert docfile.open() == []
    assert shape(doc.tree()) == [("app", ["b"])]
    written = json.loads(path.read_text())
    assert written["format"] == "avacollab-editing"
    # A remote change reaches the file.
    remote = Document()
    sync_pair(doc, remote)
    remote.set_prop("b", "label", "Buy")
    sync_pair(doc, remote)
    assert docfile.sync() == []
    assert parse_export(json.loads(path.read_text())) == list(doc.tree())
    # A local edit of the file reaches the document (and from there the peers).
    data = json.loads(path.read_text())
    data["components"][0]["children"].insert(
        0, {"id": "t", "type": "Text", "properties": {"s": "hi"}}
    )
    data["components"][0]["properties"]["title"] = "Shop"
    path.write_text(json.dumps(data))
    assert docfile.sync() == []
    sync_pair(doc, remote)
    assert shape(remote.tree()) == [("app", ["t", "b"])]
    app = remote.node("app")
    assert app is not None and app.props == {"title": "Shop"}
    # Nothing changed: nothing is written.
    mtime = path.stat().st_mtime_ns
    assert docfile.sync() == []
    assert path.stat().st_mtime_ns == mtime


def test_docfile_open_merges_edits_made_while_offline(tmp_path: Path) -> None:
    path = tmp_path / "design.json"
    doc = Document()
    doc.add("App", id="app")
    DocFile(path, doc).open()
    data = json.loads(path.read_text())
    data["components"].append({"id": "later", "type": "Text"})
    path.write_text(json.dumps(data))
    restarted = Document()
    restarted.apply_update(doc.get_update(), "storage")
    DocFile(path, restarted).open()
    assert restarted.children(None) == ["app", "later"]


def test_docfile_creates_a_missing_file_and_rejects_bad_json(tmp_path: Path) -> None:
    path = tmp_path / "new.json"
    doc = Document()
    docfile = DocFile(path, doc)
    docfile.open()
    assert json.loads(path.read_text())["components"] == []
    path.write_text("{not json")
    with pytest.raises(DocFileError, match=r"new\.json"):
        docfile.sync()
    path.write_text(json.dumps({"id": "a b", "type": "T"}))
    with pytest.raises(DocFileError, match="id"):
        docfile.sync()
    assert doc.tree() == ()


def test_re_adding_a_deleted_id_restores_it(tmp_path: Path) -> None:
    doc = Document()
    old = [C("a", x=1), C("b")]
    doc.import_([c.to_json() for c in old])
    doc.delete("a")
    assert apply_ops(doc, diff([C("b")], [C("b"), C("a", y=2)])) == []
    assert list(doc.tree()) == [C("b"), C("a", y=2)]
