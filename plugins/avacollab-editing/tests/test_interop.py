"""A Yjs (JavaScript) peer reads the Python document and its edits apply in Python.

Needs Node and ``npm ci`` in tests/js; skipped without them, except under CI=true.
"""

from __future__ import annotations

import base64
import json
import subprocess
from pathlib import Path

from pycrdt import Doc

from avacollab_editing import Change, Document
from avacollab_editing.wireformat import check_state_vector, check_update

from .helpers import node_or_skip, sync_pair

JS_DIR = Path(__file__).parent / "js"


def test_yjs_reads_the_tree_and_its_edits_apply_in_python() -> None:
    node = node_or_skip(JS_DIR, "yjs")
    doc = Document(Doc(client_id=2))  # fixed ids: doc's move below wins over other's
    doc.import_(
        {
            "id": "app",
            "type": "App",
            "properties": {"title": "Shop", "size": [800, 600.5], "dark": False},
            "children": [
                {"id": "b", "type": "Button", "properties": {"label": "Buy"}},
                {"id": "t", "type": "Text", "properties": {"style": {"bold": True, "x": None}}},
            ],
        }
    )
    doc.add("Icon", parent="app", index=0, id="first")
    doc.add("Icon", parent="b", id="icon")
    doc.add("Frame", id="trash")
    doc.delete("trash")
    # Undoing a move that won over a concurrent one leaves "lost" with no pos.
    doc.add("Frame", id="lost")
    other = Document(Doc(client_id=1))
    sync_pair(doc, other)
    doc.move("lost", "app")
    other.move("lost", "b")
    sync_pair(doc, other)
    assert doc.undo()
    assert [c.id for c in doc.tree()] == ["app", "lost"]
    doc.move("t", "app", 1)
    request = {
        "update": base64.b64encode(doc.get_update()).decode(),
        "edit": {"set": "b", "parent": "app", "delete": "t"},
    }
    result = subprocess.run(
        [node, str(JS_DIR / "interop.mjs")],
        input=json.dumps(request),
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    answer = json.loads(result.stdout)
    assert answer["export"] == doc.export()

    seen: list[Change] = []
    doc.on_change(seen.append)
    doc.apply_update(base64.b64decode(answer["update"]), "yjs-peer")
    assert [c.origin for c in seen] == ["yjs-peer"]
    assert doc.children("app") == ["first", "b", "js-1"]
    b, added, deleted = doc.node("b"), doc.node("js-1"), doc.node("t")
    assert b is not None and b.props["label"] == "from yjs"
    assert added is not None and added.type == "Text"
    assert added.props == {"n": 42, "nested": {"a": [1, True, None]}}
    assert deleted is not None and deleted.deleted
    assert doc.undo()  # our own last step (the move of t) still undoes


def test_every_kind_of_update_yjs_writes_passes_the_bounded_reading() -> None:
    node = node_or_skip(JS_DIR, "yjs")
    result = subprocess.run(
        [node, str(JS_DIR / "updates.mjs")], capture_output=True, text=True, timeout=60, check=True
    )
    answer = json.loads(result.stdout)
    assert len(answer["updates"]) > 5
    for encoded in answer["updates"]:
        update = base64.b64decode(encoded)
        check_update(update)
        Doc().apply_update(update)  # and pycrdt reads it too: the walk followed real data
    for encoded in answer["stateVectors"]:
        check_state_vector(base64.b64decode(encoded))
