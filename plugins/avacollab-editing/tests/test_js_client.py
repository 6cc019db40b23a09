"""The browser client's editing layer (js/src/editing) syncs with this plugin on real bytes.

js/scripts/editing-peer.mjs runs the client's ``Editing`` over a recording
bus; its sync messages go into a ``DocSync`` here and this side's go back, so
both ends of ``editing.sync`` are exercised: step 1 and 2 both ways, updates,
and the same refusals on both sides. Needs Node and ``npm ci`` in js/; skipped without them, except
under CI=true.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import pytest
from pycrdt import Doc, Map

from avacollab_editing import Document
from avacollab_editing.sync import DocSync, SyncError, SyncKind, decode, encode

from .helpers import node_or_skip

CLIENT = Path(__file__).resolve().parents[3] / "js"
PEER = CLIENT / "scripts" / "editing-peer.mjs"


def _run_js(node: str, steps: list[dict[str, Any]], state: str | None = None) -> dict[str, Any]:
    result = subprocess.run(
        [node, str(PEER)],
        input=json.dumps({"state": state, "steps": steps}),
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    out: dict[str, Any] = json.loads(result.stdout)
    return out


class _Python:
    """A Python peer: a Document and its DocSync, recording what it sends."""

    def __init__(self) -> None:
        self.document = Document()
        self.sent: list[tuple[str | None, bytes]] = []
        self.sync = DocSync(self.document, lambda peer, data: self.sent.append((peer, data)))

    def take(self) -> list[tuple[str | None, bytes]]:
        sent, self.sent = self.sent, []
        return sent


def test_a_js_peer_and_a_python_peer_sync_both_ways() -> None:
    node = node_or_skip(CLIENT, "yjs")
    py = _Python()
    py.document.add("Panel", {"title": "T"}, id="p")
    py.document.add("Button", {"label": "OK", "n": 3}, parent="p", id="ok")
    py.take()  # the updates of those edits: nobody was connected yet
    py.sync.peer_joined("js")
    [(to, step1)] = py.take()
    assert to == "js" and decode(step1)[0] is SyncKind.STEP1

    # The JS peer edits offline, then meets the Python one.
    first = _run_js(
        node,
        [
            {"op": "add", "type": "Text", "id": "js-1", "props": {"text": "hi", "list": [1, None]}},
            {"op": "join", "peer": "py"},
            {"op": "receive", "peer": "py", "data": step1.hex()},
        ],
    )
    assert first["refused"] == []
    kinds = [(m["to"], decode(bytes.fromhex(m["data"]))[0]) for m in first["sent"]]
    assert kinds == [(None, SyncKind.UPDATE), ("py", SyncKind.STEP1), ("py", SyncKind.STEP2)]
    for message in first["sent"]:
        py.sync.receive("js", bytes.fromhex(message["data"]))  # raises SyncError if refused
    assert py.document.node("js-1") is not None
    [(to, step2)] = py.take()  # the answer to the JS step 1: what the JS peer lacks
    assert to == "js" and decode(step2)[0] is SyncKind.STEP2

    # The JS peer takes Python's step 2, then edits Python's nodes.
    second = _run_js(
        node,
        [
            {"op": "receive", "peer": "py", "data": step2.hex()},
            {"op": "move", "id": "js-1", "parent": "p", "index": 0},
            {"op": "set", "id": "ok", "name": "label", "value": "from js"},
        ],
        first["state"],
    )
    assert second["refused"] == []
    assert [m["to"] for m in second["sent"]] == [None, None]
    for message in second["sent"]:
        py.sync.receive("js", bytes.fromhex(message["data"]))
    assert py.document.export() == second["export"]
    assert [c["id"] for c in second["export"]["components"][0]["children"]] == ["js-1", "ok"]

    # A Python edit reaches the JS peer as an update.
    py.document.delete("js-1")
    [(to, update)] = py.take()
    assert to is None
    third = _run_js(node, [{"op": "receive", "peer": "py", "data": update.hex()}], second["state"])
    assert third["export"] == py.document.export()
    assert [c["id"] for c in third["export"]["components"][0]["children"]] == ["ok"]


def test_the_js_peer_refuses_what_python_refuses_and_keeps_going() -> None:
    node = node_or_skip(CLIENT, "yjs")
    py = _Python()
    py.document.add("Panel", id="p")
    [(_, message)] = py.take()
    update = decode(message)[1]
    foreign: Doc[Map[object]] = Doc()
    foreign.apply_update(py.document.get_update())
    before = foreign.get_state()
    panel = foreign.get("nodes", type=Map)["p"]
    assert isinstance(panel, Map)
    panel["type"] = "not a type"  # past the checks, as a foreign writer could
    bad = [
        encode(SyncKind.UPDATE, foreign.get_update(before)),  # breaks the schema
        encode(SyncKind.UPDATE, update[:-2]),  # cut short
        message + b"x",  # longer than its header says
        b"\x01" + message[1:],  # an awareness message on the sync topic
        encode(SyncKind.UPDATE, message),  # framed twice
    ]
    for data in bad:  # this plugin refuses every one of them too
        receiver = _Python()
        receiver.sync.receive("py", message)
        with pytest.raises(SyncError):
            receiver.sync.receive("py", data)
    steps = [{"op": "receive", "peer": "py", "data": m.hex()} for m in [message, *bad]]
    out = _run_js(node, steps)
    assert len(out["refused"]) == len(bad), out["refused"]
    assert [(c["id"], c["type"]) for c in out["export"]["components"]] == [("p", "Panel")]
