"""The editing feature in in-memory sessions, over real buses in one process."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from avacollab.bus import Bus
from avacollab.bus.channels import channel_pair
from avacollab.featureset import PluginStartError
from pycrdt import Doc, Map

from avacollab_editing import Document, plugin
from avacollab_editing.docfile import DocFileError
from avacollab_editing.session import EditingSession
from avacollab_editing.storage import StateFileError, state_path
from avacollab_editing.sync import SyncKind, encode

from .room import FakeSession, Room, settle


@pytest.fixture
async def room() -> AsyncIterator[Room]:
    room = Room(plugin)
    yield room
    await room.close()


def doc(session: FakeSession) -> Document:
    return session.features.get(EditingSession).document


def same_tree(*sessions: FakeSession) -> bool:
    trees = [doc(s).export() for s in sessions]
    return all(tree == trees[0] for tree in trees)


def seed_file(path: Path) -> None:
    # The seed's ComponentNode shape, as an existing design file would hold it.
    path.write_text(
        json.dumps(
            {
                "id": "app",
                "type": "App",
                "properties": {"title": "Shop"},
                "children": [{"id": "buy", "type": "Button", "properties": {"label": "Buy"}}],
            }
        )
    )


async def test_the_feature_has_its_topic_and_each_session_its_own_document(room: Room) -> None:
    a = await room.join("a")
    b = await room.join("b")
    assert a.features.get(EditingSession).topics().keys() == {"editing.sync"}
    assert a.features.get(EditingSession) is not b.features.get(EditingSession)
    doc(a).add("App", id="only-a")
    assert doc(b).node("only-a") is None
    assert room.status(a) == ["editing: 1 component"]
    assert room.status(b) == ["editing: 0 components"]


async def test_concurrent_edits_on_three_replicas_converge(room: Room) -> None:
    a, b, c = [await room.join(p) for p in "abc"]
    await room.mesh(a, b, c)
    doc(a).add("App", id="app")
    await settle(lambda: same_tree(a, b, c))
    doc(a).add("Button", {"label": "A"}, parent="app", id="btn")
    await settle(lambda: same_tree(a, b, c) and doc(c).node("btn") is not None)
    # All three edit in the same loop turn, before anything is delivered.
    doc(a).set_prop("btn", "label", "from a")
    doc(b).set_prop("btn", "color", "red")
    doc(c).add("Panel", parent="app", id="panel")
    doc(c).move("btn", "panel")
    doc(b).set_prop("app", "title", "Shop")
    await settle(lambda: same_tree(a, b, c) and doc(a).node("panel") is not None)
    [app] = doc(a).tree()
    [panel] = app.children
    [button] = panel.children
    assert (panel.id, button.id) == ("panel", "btn")
    assert button.properties == {"color": "red", "label": "from a"}
    assert app.properties == {"title": "Shop"}
    assert same_tree(a, b, c)
    changed = a.named("editing.changed")
    assert any(e["origin"] == "c" and not e["local"] for e in changed)
    assert any(e["local"] and e["nodes"][0]["id"] == "btn" for e in changed)


async def test_late_joiner_receives_a_large_document(room: Room) -> None:
    a, b = await room.join("a"), await room.join("b")
    await room.connect(a, b)
    labels = [
        {"id": f"l{i}", "type": "Label", "properties": {"text": f"label {i}", "n": i}}
        for i in range(2000)  # well over one 16 KiB frame: the bus chunks step 2
    ]
    doc(a).import_({"id": "app", "type": "App", "children": labels})
    await settle(lambda: same_tree(a, b))
    late = await room.join("late")
    assert doc(late).tree() == ()
    await room.mesh(a, late)  # connected to one peer only: it still gets everything
    await settle(lambda: same_tree(a, late))
    assert len(doc(late).children("app")) == 2000
    assert a.bus.counters.frames_sent > 0 and late.bus.counters.frames_received > 1
    # Step 2 travelled deflated: a fraction of the state's size crossed the bus.
    assert late.bus.counters.bytes_received < len(doc(a).get_update()) / 3


async def test_offline_edits_merge_when_the_link_comes_back(room: Room) -> None:
    a, b = await room.join("a"), await room.join("b")
    await room.connect(a, b)
    doc(a).add("App", {"title": "v1"}, id="app")
    await settle(lambda: same_tree(a, b))
    await room.disconnect(a, b)
    doc(a).set_prop("app", "title", "offline a")
    doc(b).add("Button", parent="app", id="offline-b")
    doc(b).set_prop("app", "subtitle", "offline b")
    assert not same_tree(a, b)
    await room.connect(a, b)
    await settle(lambda: same_tree(a, b) and doc(a).node("offline-b") is not None)
    node = doc(b).node("app")
    assert node is not None and node.props == {"subtitle": "offline b", "title": "offline a"}


async def test_undo_only_touches_the_local_users_edits(room: Room) -> None:
    a, b = await room.join("a"), await room.join("b")
    await room.connect(a, b)
    doc(a).add("App", id="app")
    await settle(lambda: doc(b).node("app") is not None)
    doc(b).set_prop("app", "by", "b")
    await settle(lambda: same_tree(a, b) and "by" in doc(a).node("app").props)  # type: ignore[union-attr]
    doc(a).set_prop("app", "mine", 1)
    await settle(lambda: same_tree(a, b) and "mine" in doc(b).node("app").props)  # type: ignore[union-attr]
    assert await room.run(a, "/undo") == "undone"
    await settle(lambda: same_tree(a, b) and "mine" not in doc(b).node("app").props)  # type: ignore[union-attr]
    assert doc(b).node("app").props == {"by": "b"}  # type: ignore[union-attr]
    assert await room.run(b, "/undo") == "undone"
    await settle(lambda: doc(a).node("app").props == {})  # type: ignore[union-attr]
    assert await room.run(b, "/undo") == "nothing to undo"
    assert doc(a).node("app") is not None  # b never undoes a's add


async def test_hostile_sync_messages_are_rejected_and_change_nothing(room: Room) -> None:
    a = await room.join("a")
    doc(a).add("App", id="app")
    before = doc(a).export()
    # A raw bus plays a hostile peer: it speaks the topic but not the rules.
    evil = Bus()
    try:
        mine, theirs = channel_pair("bus")
        mine_u, theirs_u = channel_pair("bus-unordered")
        a.bus.add_peer("evil", mine, mine_u)
        evil.add_peer("a", theirs, theirs_u)
        bad_doc: Doc[Map[object]] = Doc()
        bad_doc.get("nodes", type=Map)["x"] = "not a node map"
        for payload in (
            b"",
            b"\x00\x02\x05abc",  # length says 5, 3 bytes follow
            b"\x01\x00\x00",  # an awareness message on the sync topic
            encode(SyncKind.UPDATE, b"\xff\xff\xff"),  # undecodable update
            encode(SyncKind.STEP1, b"\xff\xff\xff\xff"),  # malformed state vector
            encode(SyncKind.UPDATE, bad_doc.get_update()),  # breaks the schema
        ):
            evil.publish("editing.sync", payload)
        rejected = await a.wait_event("editing.rejected", 6)
    finally:
        await evil.close()
    assert {r["peer"] for r in rejected} == {"evil"}
    assert "schema" in rejected[-1]["reason"] or "x" in rejected[-1]["reason"]
    assert doc(a).export() == before


async def test_doc_file_loads_at_start_and_saves_with_state_on_close(
    room: Room, tmp_path: Path
) -> None:
    path = tmp_path / "design.json"
    seed_file(path)
    a = await room.join("a", options={"editing.doc": str(path)})
    assert [c.id for c in doc(a).tree()] == ["app"]
    assert a.named("editing.loaded") == [{"path": str(path), "state": False, "components": 2}]
    assert room.status(a) == ["editing: 2 components, file design.json"]
    assert await room.run(a, "/set buy label=Checkout width=120") == "set label, width on buy"
    await room.leave(a)
    saved = json.loads(path.read_text())
    button = saved["components"][0]["children"][0]
    assert button["properties"] == {"label": "Checkout", "width": 120}
    assert state_path(path).exists()
    assert a.named("editing.saved")[-1] == {"path": str(path)}

    # Edit the file while no peer runs, then restart: the state and the edit merge.
    saved["components"][0]["properties"]["title"] = "Offline shop"
    path.write_text(json.dumps(saved))
    again = await room.join("a2", options={"editing.doc": str(path)})
    assert again.named("editing.loaded")[0]["state"] is True
    app = doc(again).node("app")
    assert app is not None and app.props == {"title": "Offline shop"}
    assert doc(again).node("buy").props["label"] == "Checkout"  # type: ignore[union-attr]


async def test_doc_file_and_peers_stay_in_sync_both_ways(room: Room, tmp_path: Path) -> None:
    path = tmp_path / "design.json"
    seed_file(path)
    a = await room.join("a", options={"editing.doc": str(path), "editing.poll": "0.01"})
    b = await room.join("b")
    await room.connect(a, b)
    await settle(lambda: same_tree(a, b))

    # A remote edit is written to the file (atomically, so never half a file).
    doc(b).set_prop("buy", "label", "From b")
    await settle(lambda: "From b" in path.read_text())
    assert json.loads(path.read_text()) == doc(a).export()

    # An edit to the file becomes operations that reach the peer.
    data = json.loads(path.read_text())
    data["components"][0]["children"].append({"id": "new", "type": "Text"})
    data["components"][0]["properties"]["title"] = "Edited in the file"
    path.write_text(json.dumps(data))
    await settle(lambda: doc(b).node("new") is not None)
    await settle(lambda: same_tree(a, b))
    assert doc(b).node("app").props["title"] == "Edited in the file"  # type: ignore[union-attr]

    # A broken file is reported and left alone, even when remote edits arrive.
    path.write_text("{not json")
    await a.wait_event("editing.file_error")
    doc(b).set_prop("app", "title", "later")
    await settle(lambda: doc(a).node("app").props["title"] == "later")  # type: ignore[union-attr]
    assert room.status(a) == ["editing: 3 components, file design.json (file has errors)"]
    assert path.read_text() == "{not json"
    # Fixed again: the file's edit and the remote one both survive.
    data["components"][0]["properties"]["note"] = "fixed"
    path.write_text(json.dumps(data))
    await settle(lambda: "note" in doc(b).node("app").props)  # type: ignore[union-attr]
    assert room.status(a) == ["editing: 3 components, file design.json"]


async def test_bad_options_and_a_bad_file_fail_the_start_clearly(
    room: Room, tmp_path: Path
) -> None:
    doc_file = str(tmp_path / "d.json")
    missing = str(tmp_path / "missing" / "d.json")
    for options, message in [
        ({"editing.doc": doc_file, "editing.poll": "x"}, r"^--set editing\.poll=x: expected a"),
        ({"editing.poll": "0"}, r"^--set editing\.poll=0: must be seconds between 0 and 3600$"),
        ({"editing.poll": "3601"}, r"^--set editing\.poll=3601: must be seconds between"),
        ({"editing.doc": missing}, r"^--set editing\.doc=.*: directory '.*missing' does not exist"),
        ({"editing.dcc": doc_file}, r"unknown option 'dcc' \(did you mean 'doc'\?\)"),
    ]:
        with pytest.raises(PluginStartError, match=message):
            await room.join("a", options=options)
    broken = tmp_path / "broken.json"
    broken.write_text('{"id": "x"}')  # no type
    with pytest.raises(PluginStartError, match=r"^editing: .*broken\.json") as error:
        await room.join("a", options={"editing.doc": str(broken)})
    assert isinstance(error.value.__cause__, DocFileError)
    assert broken.read_text() == '{"id": "x"}'
    damaged = tmp_path / "damaged.json"
    state_path(damaged).write_bytes(b"\x01\x02garbage")
    with pytest.raises(PluginStartError, match=r"damaged\.json\.ystate") as error:
        await room.join("a", options={"editing.doc": str(damaged)})
    assert isinstance(error.value.__cause__, StateFileError)


async def test_join_commands(room: Room, tmp_path: Path) -> None:
    a, b = await room.join("a"), await room.join("b")
    await room.connect(a, b)
    assert set(room.commands(a)) == {
        "help",
        "tree",
        "add",
        "set",
        "unset",
        "move",
        "delete",
        "undo",
        "redo",
        "save",
    }
    assert await room.run(a, "/tree") == "(empty document)"
    added = await room.run(a, "/add - App title='My shop'")
    assert added is not None and added.startswith("added ")
    app = added.removeprefix("added ")
    panel = (await room.run(a, f"/add {app} Panel") or "").removeprefix("added ")
    button = (await room.run(a, f'/add {app} Button label="Buy now" size=[1,2]') or "")[6:]
    assert await room.run(a, f"/move {button} {panel} 0") == f"moved {button}"
    assert await room.run(a, f"/unset {app} title") == f"removed title from {app}"
    await settle(lambda: same_tree(a, b))
    assert await room.run(b, "/tree") == "\n".join(
        [
            f"{app[:8]} App {{}}",
            f"  {panel[:8]} Panel {{}}",
            f'    {button[:8]} Button {{"label": "Buy now", "size": [1, 2]}}',
        ]
    )
    # Any unique prefix names a component, as in git.
    assert await room.run(a, f"/set {button[:5]} label=Pay") == f"set label on {button}"
    assert await room.run(a, f"/delete {panel}") == f"deleted {panel}"
    assert (await room.run(a, "/tree") or "").count("\n") == 0
    assert await room.run(a, "/undo") == "undone"
    assert await room.run(a, "/redo") == "redone"
    assert await room.run(a, "/redo") == "nothing to redo"

    target = tmp_path / "out.json"
    assert await room.run(a, f"/save {target}") == f"saved {target}"
    assert json.loads(target.read_text()) == doc(a).export()

    for line, error in [
        ("/tree extra", "usage: /tree [--json]"),
        ("/add App", "usage: /add"),
        ("/add nowhere Button", "no component 'nowhere'; /tree lists them"),
        ("/add - Bad!Type", "type"),
        ("/set", "usage: /set"),
        (f"/set {app} novalue", "NAME=VALUE"),
        (f"/set {app} =3", "NAME=VALUE"),
        ("/set ghost a=1", "no component 'ghost'"),
        (f"/unset {app} absent", "no property"),
        (f"/move {app} {app}", "own subtree"),
        (f"/move {button} - first", "INDEX"),
        (f"/move {button} - 99", "out of range"),
        ("/move x", "usage: /move"),
        ("/delete", "usage: /delete"),
        (f"/delete {panel}", "is deleted"),
        ("/undo now", "takes no arguments"),
        ("/redo now", "takes no arguments"),
        ("/save", "no editing.doc file"),
        ("/save a b", "usage: /save"),
        (f"/save {tmp_path / 'missing' / 'x.json'}", "cannot write"),
        ("/add - App 'unclosed", "quotation"),
    ]:
        result = await room.run(a, line)
        assert result is not None and result.startswith("error:"), line
        assert error in result, (line, result)


async def test_save_command_with_a_doc_file(room: Room, tmp_path: Path) -> None:
    path = tmp_path / "design.json"
    a = await room.join("a", options={"editing.doc": str(path)})
    assert json.loads(path.read_text())["components"] == []  # created at start
    await room.run(a, "/add - App")
    assert await room.run(a, "/save") == f"saved {path}"
    assert len(json.loads(path.read_text())["components"]) == 1
    assert state_path(path).exists()


def test_short_ids_grow_until_unique() -> None:
    from avacollab.shortids import COMPONENT_SHORT, short_ids

    ids = ["6ff9a1b2c3", "6ff9a1b2d4", "0123456789abcdef"]
    assert short_ids(ids, COMPONENT_SHORT) == {"6ff9a1b2c3": "6ff9a1b2c", "6ff9a1b2d4": "6ff9a1b2d",
                              "0123456789abcdef": "01234567"}  # fmt: skip
