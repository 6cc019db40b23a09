"""The editing plugin end to end with every peer its own ``avacollab join`` process.

A signaling server runs in the test process on port 0; each peer is
``avacollab join ROOM --events jsonl`` (editing plugin only, ICE on
127.0.0.1), typed at through stdin and read through its events, its command
replies and its ``/save FILE`` exports (see ``procs.py``). Every check
compares the exported trees of all peers.
"""

from __future__ import annotations

import asyncio
import json
import random
import secrets
import signal
import sys
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from avacollab.peer.session import Session, SessionConfig
from avacollab.settings import Settings
from avacollab.signaling.server import SignalingServer
from avacollab.testing import EventLog
from pycrdt import Doc, Map

from avacollab_editing.sync import SyncKind, encode

from .crafted import DEEP, HOSTILE_STATE_VECTOR, HOSTILE_UPDATES, node_update
from .memory import MIB, peak, reset_peak, rss
from .procs import (
    EOF,
    WAIT,
    FileWatch,
    Room,
    Tree,
    child_ids,
    find,
    frozen,
    reads_as,
    write_json,
    write_text,
)

pytestmark = pytest.mark.timeout(60)

EDITS = 20
"""Property edits each peer makes in one burst of concurrent edits."""
BURSTS = 5
"""Bursts tried until one has crossed edits (the first nearly always has)."""

StartServer = Callable[[], Awaitable[SignalingServer]]


@pytest.fixture
async def start_server() -> AsyncIterator[StartServer]:
    """Start signaling servers on 127.0.0.1, port 0; all are stopped after the test."""
    servers: list[SignalingServer] = []

    async def start() -> SignalingServer:
        settings = replace(Settings(), host="127.0.0.1", port=0, heartbeat=5.0, resume_grace=5.0)
        server = SignalingServer(settings, resume_secret=secrets.token_bytes(32))
        servers.append(server)
        await server.start()
        return server

    try:
        yield start
    finally:
        for server in servers:
            await server.stop()


@pytest.fixture
async def server(start_server: StartServer) -> SignalingServer:
    """The signaling server the room's peers join first."""
    return await start_server()


@pytest.fixture
async def room(server: SignalingServer, tmp_path: Path) -> AsyncIterator[Room]:
    """The test's ``join`` processes; each is killed and reaped after the test."""
    room = Room(server.url, tmp_path)
    try:
        yield room
    finally:
        await room.close()


def props(tree: Tree, node_id: str) -> dict[str, Any] | None:
    component = find(tree, node_id)
    return None if component is None else dict(component["properties"])


def all_ids(tree: Tree) -> list[str]:
    ids: list[str] = []
    stack = list(tree["components"])
    while stack:
        component = stack.pop()
        ids.append(component["id"])
        stack.extend(component["children"])
    return ids


def envelope(*components: dict[str, Any]) -> Tree:
    return {"format": "avacollab-editing", "version": 1, "components": list(components)}


def component(
    node_id: str, node_type: str, children: list[dict[str, Any]] | None = None, **properties: Any
) -> dict[str, Any]:
    return {"id": node_id, "type": node_type, "properties": properties, "children": children or []}


def crossed(ann_log: list[dict[str, Any]], bob_log: list[dict[str, Any]]) -> bool:
    """Whether some edit of each peer was made before the other's reached it.

    Each log holds one peer's ``editing.changed`` events of a burst, local
    and remote (one per transaction of the other peer, in order: the channel
    is ordered). Ann's k-th edit and bob's m-th edit are concurrent when ann
    made hers having received fewer than m of bob's, and bob made his having
    received fewer than k of ann's.
    """

    def seen_before(log: list[dict[str, Any]]) -> list[int]:
        # For each local edit: how many of the other peer's it had received.
        counts, received = [], 0
        for event in log:
            if event["local"]:
                counts.append(received)
            else:
                received += 1
        return counts

    ann_seen, bob_seen = seen_before(ann_log), seen_before(bob_log)
    return any(
        a < m and b < k for k, a in enumerate(ann_seen, 1) for m, b in enumerate(bob_seen, 1)
    )


async def test_two_peers_edit_the_same_component_concurrently_and_converge(room: Room) -> None:
    ann, bob = await room.join("ann"), await room.join("bob")
    await asyncio.gather(ann.connected(bob), bob.connected(ann))
    card = await ann.add("-", "Card", "title=draft")
    text = await ann.add(card, "Text")
    await room.settle([ann, bob], lambda t: find(t, text) is not None)
    added: list[str] = []

    async def burst(n: int) -> bool:
        """Both peers type a burst at once: the same property, different properties,
        a new child each and the same node moved to two places. True if the edits
        crossed (see :func:`crossed`)."""
        ann_lines = [f"/set {card} title=ann{n}.{i} color=red{n}.{i}" for i in range(EDITS)]
        bob_lines = [f"/set {card} title=bob{n}.{i} size={n * 100 + i}" for i in range(EDITS)]
        ann_lines += [f"/add {card} Image", f"/move {text} -"]
        bob_lines += [f"/add {card} Button", f"/move {text} {card} 0"]
        seen = {p.name: len(p.events.named("editing.changed")) for p in (ann, bob)}
        with frozen(ann, bob):  # so that neither starts long before the other
            starts = [await ann.type(*ann_lines), await bob.type(*bob_lines)]
        replies = await asyncio.gather(
            ann.replies(starts[0], len(ann_lines)), bob.replies(starts[1], len(bob_lines))
        )
        assert not [r for r in replies[0] + replies[1] if r.startswith("error")], replies
        added.extend(r[EDITS].removeprefix("added ") for r in replies)

        def merged(tree: Tree) -> bool:
            card_props = props(tree, card) or {}
            last = f"{n}.{EDITS - 1}"
            return (
                card_props.get("color") == f"red{last}"
                and card_props.get("size") == n * 100 + EDITS - 1
                and card_props.get("title") in (f"ann{last}", f"bob{last}")
                and set(added) <= set(child_ids(tree, card))
            )

        tree = await room.settle([ann, bob], merged)
        assert sorted(all_ids(tree)) == sorted({card, text, *added}), "a node lost or doubled"
        ann_log, bob_log = (p.events.named("editing.changed")[seen[p.name] :] for p in (ann, bob))
        return crossed(ann_log, bob_log)

    # Now and then one process gets the CPU so late that the other's whole
    # burst reached it first: try again.
    results = [await burst(0)]
    while not results[-1] and len(results) < BURSTS:
        results.append(await burst(len(results)))
    assert results[-1], f"the edits never crossed in {BURSTS} bursts"
    for peer, other in ((ann, bob), (bob, ann)):
        assert any(c["origin"] == other.id for c in peer.events.named("editing.changed"))


async def test_a_third_peer_joins_late_and_receives_everything(room: Room) -> None:
    ann, bob = await room.join("ann"), await room.join("bob")
    await asyncio.gather(ann.connected(bob), bob.connected(ann))
    app = await ann.add("-", "App", "title=Shop", '\'theme={"dark": true, "accent": [1, 2]}\'')
    await room.settle([ann, bob], lambda t: find(t, app) is not None)
    nav = await bob.add("-", "Nav")  # after app: bob has it
    await room.settle([ann, bob], lambda t: {app, nav} <= set(all_ids(t)))
    # A nested tree, a deleted node, a moved node and edits by both peers.
    header = await ann.add(app, "Header", "text=Welcome")
    gone = await bob.add(app, "Banner", "text=ad")
    buy = await bob.add(nav, "Button", "label=Buy", "width=120")
    await room.settle([ann, bob], lambda t: {header, gone, buy} <= set(all_ids(t)))
    await ann.do(f"/move {buy} {header}", f'/set {buy} label="Buy now"')
    await bob.do(f"/delete {gone}", f"/unset {buy} width")

    def final(tree: Tree) -> bool:
        return (
            child_ids(tree, header) == [buy]
            and gone not in all_ids(tree)
            and props(tree, buy) == {"label": "Buy now"}
        )

    expected = await room.settle([ann, bob], final)

    cat = await room.join("cat")
    await cat.connected(ann, bob)
    assert await room.settle([ann, bob, cat], lambda t: t == expected) == expected
    received = cat.events.named("editing.changed")
    assert received and all(e["origin"] in (ann.id, bob.id) for e in received)
    # The late joiner is a full peer: its own edit reaches the others.
    await cat.do(f"/set {app} by=cat")
    tree = await room.settle([ann, bob, cat], lambda t: props(t, app) == {
        "by": "cat", "theme": {"accent": [1, 2], "dark": True}, "title": "Shop"})  # fmt: skip
    assert [c["id"] for c in tree["components"]] == [app, nav]


async def test_a_peer_edits_offline_restarts_rejoins_and_the_others_get_its_edits(
    room: Room, server: SignalingServer, start_server: StartServer, tmp_path: Path
) -> None:
    ann_file, bob_file = tmp_path / "ann.json", tmp_path / "bob.json"
    ann = await room.join("ann", doc=ann_file)
    bob = await room.join("bob", doc=bob_file)
    await asyncio.gather(ann.connected(bob), bob.connected(ann))
    app = await ann.add("-", "App", "title=v1")
    await room.settle([ann, bob], lambda t: find(t, app) is not None)
    note = await bob.add(app, "Note", 'text="from bob"')
    await room.settle([ann, bob], lambda t: note in child_ids(t, app))

    # Bob leaves (SIGTERM, a clean exit too); then the server goes down: ann is on her own.
    bob.proc.send_signal(signal.SIGTERM)
    assert await bob.exited() == 0
    await ann.events.wait_for("peer-left", peer=bob.id, reason="left")
    await server.stop()
    offline = [f"/set {app} title=offline", f"/delete {note}"]
    await ann.do(*offline)
    card = await ann.add(app, "Card", 'text="written offline"')
    alone = await ann.export()
    assert await ann.quit() == 0  # a clean exit with no server: it saves and leaves
    assert ann.events.named("editing.saved")[-1]["path"] == str(ann_file)
    assert json.loads(ann_file.read_text()) == alone
    # While no peer runs, someone edits ann's file by hand.
    by_hand = json.loads(ann_file.read_text())
    by_hand["components"][0]["properties"]["hand"] = True
    write_json(ann_file, by_hand)

    # A new server; bob comes back first and edits while ann is still away.
    room.server_url = (await start_server()).url
    bob = await room.join("bob", doc=bob_file)
    assert (await bob.events.wait_for("editing.loaded"))["state"] is True
    await bob.do(f"/set {app} color=blue")
    ann = await room.join("ann", doc=ann_file)
    loaded = await ann.events.wait_for("editing.loaded")
    assert loaded["state"] is True and loaded["components"] == 2
    await asyncio.gather(ann.connected(bob), bob.connected(ann))

    def merged(tree: Tree) -> bool:
        return props(tree, app) == {"color": "blue", "hand": True, "title": "offline"}

    tree = await room.settle([ann, bob], merged)
    assert child_ids(tree, app) == [card] and note not in all_ids(tree)
    assert props(tree, card) == {"text": "written offline"}
    assert any(e["origin"] == ann.id for e in bob.events.named("editing.changed"))
    assert list(await asyncio.gather(ann.quit(), bob.quit())) == [0, 0]
    assert json.loads(ann_file.read_text()) == json.loads(bob_file.read_text()) == tree


@pytest.mark.skipif(sys.platform != "linux", reason="waits for file writes with inotify")
async def test_a_peer_killed_hard_comes_back_with_its_state_and_loses_nothing(
    room: Room, tmp_path: Path
) -> None:
    path = tmp_path / "design.json"
    watch = FileWatch(tmp_path)
    try:
        ann = await room.join("ann", doc=path)
        bob = await room.join("bob")
        await asyncio.gather(ann.connected(bob), bob.connected(ann))
        app = await ann.add("-", "App", "title=v1")
        written = await room.settle([ann, bob], lambda t: find(t, app) is not None)
        await watch.until(reads_as(path, written))
        ann.proc.send_signal(signal.SIGKILL)
        await ann.exited()
        await bob.do(f"/set {app} by=bob", f"/set {app} title=v2")

        ann = await room.join("ann", doc=path)
        assert (await ann.events.wait_for("editing.loaded"))["state"] is True
        await ann.connected(bob)
        await room.settle([ann, bob], lambda t: props(t, app) == {"by": "bob", "title": "v2"})
    finally:
        watch.close()


@pytest.mark.skipif(sys.platform != "linux", reason="waits for file writes with inotify")
async def test_doc_file_round_trip_both_ways(room: Room, tmp_path: Path) -> None:
    path = tmp_path / "design.json"
    seed = envelope(
        component("app", "App", [
            component("header", "Header", text="Hi"),
            component("buy", "Button", label="Buy"),
            component("ad", "Banner"),
        ], title="Shop"),
    )  # fmt: skip
    write_json(path, seed)
    watch = FileWatch(tmp_path)
    try:
        ann = await room.join("ann", doc=path, poll=0.05)
        assert (await ann.events.wait_for("editing.loaded"))["components"] == 4
        bob = await room.join("bob")
        await asyncio.gather(ann.connected(bob), bob.connected(ann))
        # File -> peers: the file's content reaches a peer with no file.
        await room.settle([ann, bob], lambda t: t == seed)

        # File -> peers again: an edit by hand while the session runs.
        edited = envelope(
            component("app", "App", [
                component("buy", "Button", label="Buy now", color="green"),
                component("header", "Header", [component("logo", "Image", src="logo.png")]),
            ], title="Shop"),
        )  # fmt: skip
        write_json(path, edited)
        await room.settle([ann, bob], lambda t: t == edited)
        assert any(e["origin"] == ann.id for e in bob.events.named("editing.changed"))

        # Peers -> file: a remote peer's edits are written into the file.
        await bob.do("/set app title=Store", "/delete logo", "/move buy header")
        footer = await bob.add("app", "Footer", "text=(c)")
        expected = envelope(
            component("app", "App", [
                component("header", "Header", [
                    component("buy", "Button", label="Buy now", color="green"),
                ]),
                component(footer, "Footer", text="(c)"),
            ], title="Store"),
        )  # fmt: skip
        await room.settle([ann, bob], lambda t: t == expected)
        await watch.until(reads_as(path, expected))
        assert await ann.quit() == 0
        assert json.loads(path.read_text()) == expected
        assert path.with_name("design.json.ystate").read_bytes()  # the CRDT state beside it
    finally:
        watch.close()


async def test_undo_touches_only_the_local_users_edits(room: Room) -> None:
    ann, bob = await room.join("ann"), await room.join("bob")
    await asyncio.gather(ann.connected(bob), bob.connected(ann))
    app = await bob.add("-", "App")
    await room.settle([ann, bob], lambda t: find(t, app) is not None)

    # Interleaved edits, each seen by the other peer before the next.
    async def edit(peer_lines: Awaitable[object], check: Callable[[Tree], bool]) -> None:
        await peer_lines
        await room.settle([ann, bob], check)

    await edit(ann.do(f"/set {app} title=ann"), lambda t: props(t, app) == {"title": "ann"})
    await edit(bob.do(f"/set {app} title=bob color=blue"),
               lambda t: props(t, app) == {"title": "bob", "color": "blue"})  # fmt: skip
    text = await ann.add(app, "Text")
    await room.settle([ann, bob], lambda t: child_ids(t, app) == [text])
    button = await bob.add(app, "Button")
    await room.settle([ann, bob], lambda t: child_ids(t, app) == [text, button])
    await edit(ann.do(f"/set {app} size=1"), lambda t: (props(t, app) or {}).get("size") == 1)

    bobs = {"title": "bob", "color": "blue"}
    assert await ann.ask("/undo", "/undo") == ["undone", "undone"]  # size, then the Text
    await room.settle([ann, bob], lambda t: props(t, app) == bobs and child_ids(t, app) == [button])
    assert await ann.ask("/redo") == ["redone"]
    await room.settle([ann, bob], lambda t: child_ids(t, app) == [text, button])
    # Ann's title was overwritten by bob: undoing it must not touch bob's value.
    # Undo skips a step that would change nothing, so the second undo finds none left.
    assert await ann.ask("/undo", "/undo") == ["undone", "nothing to undo"]
    tree = await room.settle(
        [ann, bob], lambda t: props(t, app) == bobs and child_ids(t, app) == [button]
    )
    assert [c["id"] for c in tree["components"]] == [app]
    # Bob's history is his own: his undo takes back his last edit only.
    assert await bob.ask("/undo") == ["undone"]
    await room.settle([ann, bob], lambda t: child_ids(t, app) == [] and props(t, app) == bobs)


async def test_bad_commands_and_a_broken_file_change_nothing(room: Room, tmp_path: Path) -> None:
    path = tmp_path / "design.json"
    write_json(path, envelope(component("app", "App", title="Shop")))
    ann = await room.join("ann", doc=path, poll=0.05)
    bob = await room.join("bob")
    await asyncio.gather(ann.connected(bob), bob.connected(ann))
    await room.settle([ann, bob], lambda t: find(t, "app") is not None)
    before = await ann.export()
    mistakes = [
        "/set nosuch x=1",  # unknown node
        "/add nosuch Button",  # unknown parent
        "/add - bad!type",  # invalid type
        "/set app =1",  # no property name
        "/set app 'unterminated",  # broken quoting
        "/move app app",  # a cycle
        "/move app - x",  # index not a number
        "/delete",  # missing id
        "/unset app nosuch extra",  # too many words
        "/save /nonexistent-dir/x.json",  # a directory that does not exist
        "/nosuch",
    ]
    changes = {p.name: len(p.events.named("editing.changed")) for p in (ann, bob)}
    replies = await ann.ask(*mistakes)
    assert all(r.startswith(("error: ", "unknown command")) for r in replies), replies
    # The next real edit is the first change either peer sees after the mistakes.
    await ann.do("/set app ok=true")
    tree = await room.settle([ann, bob], lambda t: props(t, "app") == {"ok": True, "title": "Shop"})
    for peer in (ann, bob):
        after = peer.events.named("editing.changed")[changes[peer.name] :]
        assert [n for e in after for n in e["nodes"]] == [
            {"id": "app", "kind": "props", "keys": ["ok"]}]  # fmt: skip
    assert tree["components"][0]["children"] == before["components"][0]["children"] == []

    # A file that does not parse is reported and never overwritten, even by a save.
    write_text(path, "{not json")
    error = await ann.events.wait_for("editing.file_error", path=str(path))
    assert "design.json" in error["error"]
    await bob.do("/set app by=bob")
    await room.settle([ann, bob], lambda t: (props(t, "app") or {}).get("by") == "bob")
    await ann.do("/save")
    assert path.read_text() == "{not json"
    # Once it parses again, its edits and the peers' edits are merged.
    fixed = envelope(component("app", "App", title="Fixed", ok=True))
    write_json(path, fixed)
    await room.settle(
        [ann, bob], lambda t: props(t, "app") == {"by": "bob", "ok": True, "title": "Fixed"}
    )


@pytest.mark.parametrize(
    ("option", "message"),
    [
        ("editing.doc={tmp}/missing-dir/design.json", "does not exist"),
        ("editing.poll=0", "editing.poll"),
        ("editing.doc={tmp}/broken.json", "broken.json"),
    ],
)
async def test_a_bad_option_or_unreadable_file_ends_join_with_status_2(
    room: Room, tmp_path: Path, option: str, message: str
) -> None:
    write_text(tmp_path / "broken.json", "{not json")
    peer = await room.start("ann", "--set", option.format(tmp=tmp_path))
    await peer.events.wait(
        lambda: bool(peer.events.named(EOF) or peer.events.named("plugin-error"))
    )
    assert peer.events.named(EOF), f"join runs on: {peer.events.named('plugin-error')}"
    assert await peer.exited() == 2
    assert any(message in line for line in peer.lines)


ATTACK_BUDGET = 64 * MIB
"""How far above its resident memory before the attack an honest peer may go, at its
peak during the attack and after it. Before the updates were screened, one
500-byte update took each peer 512 MiB higher, and one nested past the
native stack killed it."""


async def test_a_hostile_peer_streaming_bad_updates_costs_the_others_no_memory_and_no_edits(
    room: Room, server: SignalingServer
) -> None:
    ann, bob = await room.join("ann"), await room.join("bob")
    await asyncio.gather(ann.connected(bob), bob.connected(ann))
    app = await ann.add("-", "App", "title=Shop")
    await room.settle([ann, bob], lambda t: find(t, app) is not None)

    # Mallory: a session of her own with no plugin, writing raw sync messages.
    events = EventLog()
    config = SessionConfig(server.url, room.room, name="mallory", ice_addresses=["127.0.0.1"])
    mallory = Session(config, events=events)
    await mallory.start()
    try:
        await events.wait(
            lambda: {ann.id, bob.id} <= {e["peer"] for e in events.named("peer-connected")},
            timeout=WAIT,
        )
        rng = random.Random(8)
        bad = [encode(SyncKind.UPDATE, rng.randbytes(rng.randint(1, 1000))) for _ in range(300)]
        bad += [encode(SyncKind.UPDATE, data) for data, _ in HOSTILE_UPDATES.values()]
        bad += [encode(SyncKind.UPDATE, DEEP), encode(SyncKind.STEP1, HOSTILE_STATE_VECTOR)]
        rng.shuffle(bad)
        writer: Doc[Map[object]] = Doc()
        good = [encode(SyncKind.UPDATE, node_update(f"m{i}", writer)) for i in range(3)]
        stream = bad[:100] + good[:1] + bad[100:200] + good[1:2] + bad[200:] + good[2:]
        start = {p.name: rss(p.proc.pid) for p in (ann, bob)}
        for peer in (ann, bob):
            reset_peak(peer.proc.pid)

        def within_budget() -> None:
            for peer in (ann, bob):
                high, now = peak(peer.proc.pid), rss(peer.proc.pid)
                assert high - start[peer.name] < ATTACK_BUDGET, (
                    f"{peer.name}: peak {high // MIB} MiB, {start[peer.name] // MIB} MiB before"
                )
                assert now - start[peer.name] < ATTACK_BUDGET

        async def attack() -> None:
            for message in stream:
                await mallory.bus.send("editing.sync", message)

        # The honest peers keep editing, and seeing each other's edits, meanwhile.
        attacking = asyncio.create_task(attack())
        try:
            for i in range(8):
                await ann.do(f"/set {app} ann={i}")
                await bob.do(f"/set {app} bob={i}")
                await room.settle(
                    [ann, bob],
                    lambda t, i=i: (
                        (props(t, app) or {}).get("ann") == i  # type: ignore[misc]
                        and (props(t, app) or {}).get("bob") == i
                    ),
                )
                within_budget()
            await asyncio.wait_for(attacking, WAIT)
        finally:
            attacking.cancel()
        # Every bad message is refused, with its reason, by each honest peer...
        for peer in (ann, bob):
            await peer.events.wait(
                lambda p=peer: len(p.events.named("editing.rejected")) >= len(bad),  # type: ignore[misc]
                timeout=WAIT,
            )
            rejected = peer.events.named("editing.rejected")
            assert len(rejected) == len(bad)
            assert {r["peer"] for r in rejected} == {mallory.peer_id}
            assert sum("claimed" in r["reason"] for r in rejected) >= len(HOSTILE_UPDATES) - 2
        # ... and the valid updates among them are not lost.
        tree = await room.settle(
            [ann, bob], lambda t: all(find(t, f"m{i}") is not None for i in range(3))
        )
        assert props(tree, app) == {"title": "Shop", "ann": 7, "bob": 7}
        within_budget()
    finally:
        await mallory.close()
    assert ann.proc.returncode is None and bob.proc.returncode is None
