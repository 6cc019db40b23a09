"""Restarting from the saved CRDT state and the JSON file beside it (a crash included)."""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from itertools import pairwise
from pathlib import Path

import pytest
from pycrdt import Doc, Map

from avacollab_editing import Document, docfile, plugin
from avacollab_editing.docfile import DocFile, DocFileError
from avacollab_editing.session import EditingSession
from avacollab_editing.storage import (
    SavedState,
    StateFileError,
    append_state,
    decode_state,
    digest,
    encode_state,
    load_state,
    read_state,
    save_state,
    state_path,
    write_state,
)

from .helpers import sync_pair
from .room import Room, settle


class Peer:
    """A document with its file and state, as a session keeps them."""

    def __init__(self, path: Path, client_id: int | None = None) -> None:
        self.document = Document(None if client_id is None else Doc(client_id=client_id))
        self.local_updates: list[bytes] = []
        self.saved = load_state(state_path(path), self.document)
        self.document.on_update(self.local_updates.append)
        self.file = DocFile(path, self.document, state_path(path))
        self.skipped = self.file.open(self.saved)

    def props(self, node_id: str) -> dict[str, object]:
        node = self.document.node(node_id)
        assert node is not None
        return dict(node.props)


def started(path: Path, client_id: int | None = None) -> Peer:
    """A peer that made a small document and wrote it (file and state)."""
    peer = Peer(path, client_id)
    peer.document.add("App", {"title": "v1"}, id="app")
    peer.document.add("Button", {"label": "Buy"}, parent="app", id="buy")
    peer.file.sync()
    return peer


def edit_file(path: Path, change: str, value: object) -> None:
    data = json.loads(path.read_bytes())
    data["components"][0]["properties"][change] = value
    path.write_text(json.dumps(data))


def set_mtime(path: Path, relative_to: Path, seconds: float) -> None:
    when = relative_to.stat().st_mtime_ns + int(seconds * 1e9)
    os.utime(path, ns=(when, when))


# -- the state file format ---------------------------------------------------


def test_a_state_round_trips_and_a_bare_update_reads_as_a_state_without_file_facts() -> None:
    for state in [
        SavedState(b"\x00\x00", mirrors=digest(b"a"), replaces=digest(b"b")),
        SavedState(b"\x01\x02\x03", mirrors=digest(b"a")),
        SavedState(b"\x00\x00", base=b'{"components": []}'),
        SavedState(b""),
    ]:
        assert decode_state(encode_state(state)) == state
    assert decode_state(b"\x00\x00") == SavedState(b"\x00\x00")  # saved before the header


@pytest.mark.parametrize(
    ("mangle", "error"),
    [
        (lambda data: data[:-1], "checksum mismatch"),
        (lambda data: data[:-1] + bytes([data[-1] ^ 1]), "checksum mismatch"),
        (lambda data: data.replace(b"ystate 1 ", b"ystate 9 ", 1), "unknown version"),
        (lambda data: data.split(b"\n", 1)[0], "checksum mismatch"),
        (lambda data: data.replace(b"\n", b" extra\n", 1), "damaged header"),
        (lambda data: data.replace(b" - 0 ", b" - 999 ", 1), "damaged header"),
        (lambda data: data.replace(b" - 0 ", b" - x ", 1), "damaged header"),
        (lambda data: data.replace(b" - 0 ", b" zz 0 ", 1), "damaged header"),
        (lambda data: b"x" + data, "malformed update"),  # no header: read as a bare update
    ],
)
def test_a_damaged_state_file_is_a_clear_error_and_loads_nothing(
    tmp_path: Path, mangle: Callable[[bytes], bytes], error: str
) -> None:
    good = Document()
    good.add("App", id="app")
    data = encode_state(SavedState(good.get_update(), mirrors=digest(b"x")))
    path = tmp_path / "design.json.ystate"
    path.write_bytes(mangle(data))
    document = Document()
    with pytest.raises(StateFileError, match=rf"design\.json\.ystate: {error}"):
        load_state(path, document)
    assert document.tree() == ()


def test_a_state_that_decodes_but_breaks_the_schema_is_refused(tmp_path: Path) -> None:
    foreign: Doc[Map[int]] = Doc()
    foreign["other"] = Map({"x": 1})
    path = tmp_path / "s.ystate"
    write_state(path, SavedState(foreign.get_update()))
    with pytest.raises(StateFileError, match=r"s\.ystate: "):
        load_state(path, Document())
    assert read_state(tmp_path / "none.ystate") is None


def test_appended_records_merge_and_the_last_one_cut_short_is_dropped(tmp_path: Path) -> None:
    document = Document()
    document.add("App", {"title": "v1"}, id="app")
    path = tmp_path / "s.ystate"
    write_state(path, SavedState(document.get_update(), mirrors=digest(b"1")))
    vector = document.state_vector()
    document.set_prop("app", "title", "v2")
    append_state(path, SavedState(document.get_update(vector), digest(b"2"), digest(b"1")))
    whole = path.read_bytes()
    vector = document.state_vector()
    document.set_prop("app", "title", "v3")
    append_state(path, SavedState(document.get_update(vector), digest(b"3"), digest(b"2")))

    def loaded() -> tuple[SavedState, dict[str, object]]:
        restored = Document()
        state = load_state(path, restored)
        node = restored.node("app")
        assert state is not None and node is not None
        return state, dict(node.props)

    state, props = loaded()
    assert (state.mirrors, state.replaces, props) == (digest(b"3"), digest(b"2"), {"title": "v3"})
    last = path.read_bytes()[len(whole) :]
    for kept in (len(last) - 1, 40, 1, 0):  # into the body, the header, its first byte
        path.write_bytes(whole + last[:kept] + (b"\0" * 8 if kept == 40 else b""))
        state, props = loaded()
        assert (state.mirrors, props) == (digest(b"2"), {"title": "v2"})
    # A damaged record followed by another is damage, not a crash: refused.
    data = bytearray(whole + last)
    data[len(whole) - 1] ^= 1
    path.write_bytes(bytes(data))
    with pytest.raises(StateFileError, match="checksum mismatch"):
        load_state(path, Document())


# -- open(): what a restart takes from the state and from the file ------------


def test_file_equal_to_state_restores_the_state_alone(tmp_path: Path) -> None:
    path = tmp_path / "design.json"
    first = started(path)
    written = path.read_bytes()
    inode = path.stat().st_ino

    again = Peer(path)
    assert again.saved is not None and again.saved.mirrors == digest(written)
    assert again.local_updates == [], "the file was replayed as new writes"
    assert again.document.export() == first.document.export()
    assert path.stat().st_ino == inode  # not even rewritten


def test_file_edited_by_hand_while_down_becomes_operations(tmp_path: Path) -> None:
    path = tmp_path / "design.json"
    started(path)
    edit_file(path, "title", "by hand")
    set_mtime(path, state_path(path), 1)

    again = Peer(path)
    assert again.props("app") == {"title": "by hand"}
    assert again.props("buy") == {"label": "Buy"}
    assert len(again.local_updates) == 1  # only the edit, as one transaction
    # Both are written again: the state now mirrors the (reformatted) file.
    assert json.loads(path.read_bytes()) == again.document.export()
    saved = read_state(state_path(path))
    assert saved is not None and saved.mirrors == digest(path.read_bytes())


def test_state_newer_than_file_a_crash_between_the_two_writes(tmp_path: Path) -> None:
    path = tmp_path / "design.json"
    first = started(path)
    old = path.read_bytes()
    first.document.set_prop("app", "title", "v2")
    first.file.sync()  # state, then file
    path.write_bytes(old)  # as if killed between the two writes
    set_mtime(path, state_path(path), -1)

    again = Peer(path)
    assert again.local_updates == [], "the old file was taken for an edit"
    assert again.props("app") == {"title": "v2"}
    assert json.loads(path.read_bytes()) == again.document.export()  # caught up


def test_old_content_put_back_after_the_state_is_an_edit(tmp_path: Path) -> None:
    # The same bytes as in the crash window, but written later (say by
    # version control): the user means it.
    path = tmp_path / "design.json"
    first = started(path)
    old = path.read_bytes()
    first.document.set_prop("app", "title", "v2")
    first.file.sync()
    path.write_bytes(old)
    set_mtime(path, state_path(path), 1)

    again = Peer(path)
    assert again.props("app") == {"title": "v1"}
    assert again.local_updates


def test_file_newer_than_a_state_that_knows_no_file(tmp_path: Path) -> None:
    # A bare state (as saved before the header existed) is taken as what the
    # file held: the file's differences are its edits.
    path = tmp_path / "design.json"
    first = started(path)
    save_state(state_path(path), first.document)
    edit_file(path, "color", "red")

    again = Peer(path)
    assert again.saved == SavedState(first.document.get_update())
    assert again.props("app") == {"color": "red", "title": "v1"}


def test_state_saved_while_the_file_did_not_parse_diffs_from_the_last_good_file(
    tmp_path: Path,
) -> None:
    path = tmp_path / "design.json"
    peer, other = started(path), Document()
    sync_pair(peer.document, other)
    good = json.loads(path.read_bytes())
    path.write_text("{half an edit")
    other.set_prop("buy", "label", "remote")  # arrives while the file is broken
    sync_pair(peer.document, other)
    with pytest.raises(DocFileError):
        peer.file.sync()
    peer.file.save_unsynced()
    assert path.read_text() == "{half an edit"  # never overwritten
    saved = read_state(state_path(path))
    assert saved is not None and saved.mirrors is None and saved.base is not None

    with pytest.raises(DocFileError, match=r"design\.json"):
        Peer(path)  # still broken: refused at start, as a live broken file is reported
    good["components"][0]["properties"]["title"] = "fixed"
    path.write_text(json.dumps(good))
    again = Peer(path)
    assert again.props("app") == {"title": "fixed"}
    assert again.props("buy") == {"label": "remote"}  # not reverted by the stale file


def test_missing_file_is_written_from_the_state(tmp_path: Path) -> None:
    path = tmp_path / "design.json"
    first = started(path)
    path.unlink()
    again = Peer(path)
    assert again.local_updates == []
    assert json.loads(path.read_bytes()) == first.document.export()


def test_first_start_takes_the_file_and_saves_a_state_with_it(tmp_path: Path) -> None:
    path = tmp_path / "design.json"
    path.write_text(json.dumps({"id": "app", "type": "App", "properties": {"a": 1}}))
    peer = Peer(path)
    assert peer.saved is None and peer.props("app") == {"a": 1}
    saved = read_state(state_path(path))
    assert saved is not None and saved.mirrors == digest(path.read_bytes())


def test_a_change_the_file_does_not_show_is_still_saved(tmp_path: Path) -> None:
    path = tmp_path / "design.json"
    peer = started(path)
    peer.document.delete("buy")
    peer.file.sync()
    file_before = path.read_bytes()
    state_before = state_path(path).read_bytes()
    peer.document.restore("buy")
    peer.document.delete("buy")  # the export is the same again; the CRDT is not
    peer.file.sync()
    assert path.read_bytes() == file_before
    assert state_path(path).read_bytes() != state_before
    peer.file.sync()  # nothing new: nothing written
    assert state_path(path).read_bytes() != state_before


def test_saves_append_the_changes_and_rewrite_the_whole_state_now_and_then(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(docfile, "COMPACT_FROM", 4096)
    path = tmp_path / "design.json"
    peer = started(path)
    whole = state_path(path).stat().st_size
    sizes = []
    for i in range(60):
        peer.document.set_prop("app", "n", i)
        peer.file.sync()
        sizes.append(state_path(path).stat().st_size)
    assert whole < sizes[0] < whole + 1024  # one small record appended
    assert any(after < before for before, after in pairwise(sizes))
    assert max(sizes) < 3 * 4096
    again = Peer(path)
    assert again.local_updates == []
    assert again.document.export() == peer.document.export()
    # A state file removed meanwhile is written whole again, not as a lone change.
    state_path(path).unlink()
    peer.document.set_prop("app", "n", "last")
    peer.file.sync()
    assert Peer(tmp_path / "design.json").props("app") == {"n": "last", "title": "v1"}


# -- the bug: a restart must not overwrite what others wrote meanwhile ---------


@pytest.mark.parametrize("restarted_id", [1, 2**31])
def test_a_restart_loses_nothing_the_others_wrote_whatever_the_client_ids(
    tmp_path: Path, restarted_id: int
) -> None:
    # Yjs settles concurrent writes by client id, so the restarted replica
    # gets a lower and a higher id than its first run: replaying its file as
    # new writes would win against the other peer's edit in one of the two.
    path = tmp_path / "design.json"
    other = Document()
    first = started(path, client_id=2**20)
    sync_pair(first.document, other)
    other.set_prop("app", "title", "v2")  # while the first peer is down
    other.set_prop("app", "by", "other")

    again = Peer(path, client_id=restarted_id)
    sync_pair(again.document, other)
    assert again.props("app") == {"by": "other", "title": "v2"}
    assert again.document.export() == other.export()


# -- in a session: saved as it goes, not only on a clean exit ------------------


async def test_a_session_saves_the_state_with_every_file_write(tmp_path: Path) -> None:
    path = tmp_path / "design.json"
    room = Room(plugin)
    try:
        a = await room.join("a", options={"editing.doc": str(path)})
        b = await room.join("b")
        await room.connect(a, b)
        remote = b.features.get(EditingSession).document
        remote.add("App", {"title": "from b"}, id="app")

        def saved_with_remote_edit() -> bool:
            state = read_state(state_path(path))
            if state is None or state.mirrors is None or not path.exists():
                return False
            return state.mirrors == digest(path.read_bytes()) and "from b" in path.read_text()

        await settle(saved_with_remote_edit)  # no /save, no exit
        restarted = Document()
        load_state(state_path(path), restarted)
        assert restarted.export() == remote.export()
    finally:
        await room.close()
