"""y-protocols framing, DocSync between replicas, and persisted state."""

from __future__ import annotations

from pathlib import Path

import pytest
from pycrdt import Doc, Map, create_sync_message, create_update_message, handle_sync_message

from avacollab_editing import Document
from avacollab_editing.storage import (
    StateFileError,
    atomic_write,
    load_state,
    save_state,
    state_path,
)
from avacollab_editing.sync import DocSync, SyncError, SyncKind, decode, encode


class Net:
    """An in-memory full mesh: messages queue up until delivered."""

    def __init__(self) -> None:
        self.syncs: dict[str, DocSync] = {}
        self.queue: list[tuple[str, str, bytes]] = []

    def join(self, name: str, document: Document) -> DocSync:
        def send(peer: str | None, data: bytes) -> None:
            targets = [p for p in self.syncs if p != name] if peer is None else [peer]
            self.queue.extend((name, target, data) for target in targets)

        sync = DocSync(document, send)
        for other in self.syncs:
            self.syncs[other].peer_joined(name)
            sync.peer_joined(other)
        self.syncs[name] = sync
        return sync

    def leave(self, name: str) -> None:
        self.syncs.pop(name).close()
        self.queue = [m for m in self.queue if name not in m[:2]]

    def deliver(self) -> None:
        while self.queue:
            sender, target, data = self.queue.pop(0)
            if target in self.syncs:
                self.syncs[target].receive(sender, data)


def test_framing_matches_pycrdt() -> None:
    doc: Doc[Map[object]] = Doc()
    doc.get("nodes", type=Map)["k"] = 1
    assert encode(SyncKind.STEP1, doc.get_state()) == create_sync_message(doc)
    update = doc.get_update()
    assert encode(SyncKind.UPDATE, update) == create_update_message(update)
    assert decode(create_update_message(update)) == (SyncKind.UPDATE, update)
    reply = handle_sync_message(create_sync_message(Doc())[1:], doc)
    assert reply is not None
    kind, payload = decode(reply)
    assert kind is SyncKind.STEP2
    copy: Doc[Map[object]] = Doc()
    copy.apply_update(payload)
    assert copy.get("nodes", type=Map).to_py() == {"k": 1.0}
    big = b"x" * 300
    assert decode(encode(SyncKind.STEP2, big)) == (SyncKind.STEP2, big)


@pytest.mark.parametrize(
    ("data", "match"),
    [
        (b"", "truncated"),
        (b"\x00", "truncated"),
        (b"\x00\x02", "truncated"),
        (b"\x00\x02\x05abc", "header says 5"),
        (b"\x00\x02\x01ab", "header says 1"),
        (b"\x01\x00\x00", "not a sync message"),
        (b"\x00\x07\x00", "unknown sync message kind"),
        (b"\x00\x02" + b"\xff" * 12, "varint too long"),
    ],
)
def test_decode_rejects_malformed_frames(data: bytes, match: str) -> None:
    with pytest.raises(SyncError, match=match):
        decode(data)


def test_late_joiner_receives_everything() -> None:
    net = Net()
    a, b = Document(), Document()
    net.join("a", a)
    net.join("b", b)
    a.add("Frame", id="root")
    b.add("Button", parent=None, id="btn")
    net.deliver()
    for i in range(50):
        a.set_prop("root", f"p{i}", i)
    net.deliver()
    late = Document()
    net.join("late", late)
    net.deliver()
    assert late.export() == a.export() == b.export()
    assert late.node("root") is not None


def test_offline_edits_merge_on_return(tmp_path: Path) -> None:
    net = Net()
    a, b = Document(), Document()
    net.join("a", a)
    net.join("b", b)
    a.add("Frame", {"title": "v1"}, id="root")
    net.deliver()
    state = state_path(tmp_path / "design.json")
    save_state(state, b)
    net.leave("b")
    b.set_prop("root", "offline", True)
    b.add("Text", parent="root", id="written-offline")
    save_state(state, b)  # b stops here; a keeps editing meanwhile
    a.set_prop("root", "title", "v2")
    restarted = Document()
    assert load_state(state, restarted)
    net.join("b", restarted)
    net.deliver()
    assert restarted.export() == a.export()
    root = a.node("root")
    assert root is not None
    assert root.props == {"offline": True, "title": "v2"}
    assert a.children("root") == ["written-offline"]


def test_bad_messages_raise_and_leave_the_document_alone() -> None:
    net = Net()
    a = Document()
    a.add("Frame", id="root")
    sync = net.join("a", a)
    before = a.get_update()
    with pytest.raises(SyncError, match="rejected update"):
        sync.receive("evil", encode(SyncKind.UPDATE, b"\x01\x02\x03"))
    with pytest.raises(SyncError, match="rejected update"):
        sync.receive("evil", encode(SyncKind.STEP2, a.get_update()[:-3]))
    with pytest.raises(SyncError, match="malformed state vector"):
        sync.receive("evil", encode(SyncKind.STEP1, b"\xff\xff"))
    with pytest.raises(SyncError):
        sync.receive("evil", b"\x00")
    assert a.get_update() == before
    assert net.queue == []


def test_closed_sync_stops_broadcasting() -> None:
    sent: list[tuple[str | None, bytes]] = []
    a = Document()
    sync = DocSync(a, lambda peer, data: sent.append((peer, data)))
    a.add("Frame", id="one")
    assert len(sent) == 1 and sent[0][0] is None
    assert decode(sent[0][1])[0] is SyncKind.UPDATE
    sync.close()
    sync.close()
    a.add("Frame", id="two")
    assert len(sent) == 1


def test_remote_updates_are_not_echoed() -> None:
    sent: list[tuple[str | None, bytes]] = []
    a, b = Document(), Document()
    b.add("Frame", id="x")
    DocSync(a, lambda peer, data: sent.append((peer, data))).receive(
        "b", encode(SyncKind.UPDATE, b.get_update())
    )
    assert sent == []
    assert a.children(None) == ["x"]


def test_atomic_write_replaces_whole_files(tmp_path: Path) -> None:
    target = tmp_path / "f.bin"
    atomic_write(target, b"one")
    atomic_write(target, b"two")
    assert target.read_bytes() == b"two"
    assert [p.name for p in tmp_path.iterdir()] == ["f.bin"]
    with pytest.raises(FileNotFoundError):
        atomic_write(tmp_path / "missing" / "f.bin", b"x")


def test_load_state_missing_and_damaged(tmp_path: Path) -> None:
    doc = Document()
    assert not load_state(tmp_path / "none.ystate", doc)
    damaged = tmp_path / "d.ystate"
    good = Document()
    good.add("Frame", id="x")
    damaged.write_bytes(good.get_update()[:-4])
    with pytest.raises(StateFileError, match=r"d\.ystate: malformed update"):
        load_state(damaged, doc)
    assert doc.tree() == ()
    assert state_path(tmp_path / "design.json").name == "design.json.ystate"
