"""One session's shared document: sync over the bus, the ``editing.doc`` file, events.

:class:`EditingSession` is the ``editing`` feature: each session makes its
own (:mod:`.plugin` registers the class). It ties the pure pieces together:
a :class:`~.model.Document`, a :class:`~.sync.DocSync` whose messages travel on the bus topic
``editing.sync`` (reliable channel), and, when the option ``editing.doc``
names a file, a :class:`~.docfile.DocFile` plus the CRDT state saved beside it.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any

from avacollab import shortids
from avacollab.bus import BusError, BusFull, Message, UnknownPeer
from avacollab.feature import Feature, JoinCommand, Option, Session

from . import commands
from .changes import Change
from .components import walk
from .docfile import DocFile, DocFileError
from .guard import RejectedUpdate
from .model import Document
from .storage import atomic_write, load_state, state_path
from .sync import DocSync, SyncError

log = logging.getLogger(__name__)

TOPIC = "editing.sync"
"""The bus topic of y-protocols sync messages (step 1, step 2, update)."""

DEFAULT_POLL = 1.0
"""Seconds between checks of the ``editing.doc`` file for edits made outside the session."""
MAX_POLL = 3600.0
WRITE_DELAY = 0.1
"""Changes reach the file this long after the first of them, so a burst is one write."""
COMPRESS_FROM = 4096
"""Sync messages of at least this many bytes are deflated on the wire.

A whole document state shrinks about sevenfold in a few milliseconds, and
every frame costs the sending and the receiving process CPU; an everyday
update of a few dozen bytes would gain less than deflating it costs.
"""


def _existing_parent(path: Path) -> Path:
    if not path.parent.is_dir():
        raise ValueError(f"directory {str(path.parent)!r} does not exist")
    return path


def _poll_interval(seconds: float) -> float:
    if not 0 < seconds <= MAX_POLL:
        raise ValueError(f"must be seconds between 0 and {MAX_POLL:g}")
    return seconds


class EditingSession(Feature):
    """The ``editing`` feature: the shared document of one running session."""

    name = "editing"
    options = (
        Option(
            "doc",
            Path,
            None,
            "A JSON file kept in sync with the document; created if missing.",
            _existing_parent,
        ),
        Option(
            "poll",
            float,
            DEFAULT_POLL,
            "Seconds between checks of the doc file for outside edits (0 to 3600).",
            _poll_interval,
        ),
    )

    def __init__(self, session: Session, config: Mapping[str, Any]) -> None:
        super().__init__(session, config)
        # One transaction per event-loop turn: one update and one event per burst of edits.
        self.document = Document(schedule=asyncio.get_running_loop().call_soon)
        self.docfile: DocFile | None = None
        self._tasks: set[asyncio.Task[Any]] = set()
        self._write_handle: asyncio.TimerHandle | None = None
        self._file_stat: tuple[int, int, int] | None = None
        self._file_error: str | None = None
        self._closed = False

    # -- the feature --------------------------------------------------------

    async def start(self) -> None:
        """Load ``editing.doc`` and the state saved beside it, then sync and report changes.

        A file or state that cannot be read raises (``DocFileError``,
        ``StateFileError``), so the session does not start.
        """
        path: Path | None = self.config["doc"]
        if path is not None:
            try:
                self._open_file(path)
            except BaseException:
                # close() is not called when start() fails.
                if self.docfile is not None:
                    self.docfile.close()
                self.document.close()
                raise
        self.sync = DocSync(self.document, self._send)
        self._unsubscribe = self.document.on_change(self._changed)
        if self.docfile is not None:
            self._spawn(self._poll(self.config["poll"]))

    def topics(self) -> dict[str, Callable[[Message], None]]:
        """The bus subscriptions of this plugin."""
        return {TOPIC: self._receive}

    def peer_connected(self, peer_id: str) -> None:
        """Send our state vector (sync step 1); the peer answers with what we lack."""
        self.sync.peer_joined(peer_id)

    async def close(self) -> None:
        """Save the ``editing.doc`` file and its CRDT state, then stop."""
        if self._closed:
            return
        self._closed = True
        if self._write_handle is not None:
            self._write_handle.cancel()
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        if self.docfile is not None:
            self.save()
        self._unsubscribe()
        if self.docfile is not None:
            self.docfile.close()
        self.sync.close()
        self.document.close()

    def resolve_component(self, word: str) -> str:
        """The id of the visible component ``word`` names (its id or a unique prefix);
        ``ValueError`` saying why not. Other features (presence's ``/select``) use it."""
        return commands.resolve(self.document, word)

    def component_labels(self, ids: Iterable[str], *, with_ids: bool = False) -> dict[str, str]:
        """How a person reads each of ``ids``: the component's ``name`` or ``label``
        property (followed by its short id with ``with_ids``: ``Buy (6ff9a1b2)``),
        else its short id (an id not in the tree: its short id among the tree's).
        Other features (presence's table and ``/select``) show components with it."""
        components = {component.id: component for component in walk(self.document.tree())}
        wanted = list(ids)
        shown = shortids.short_ids([*components, *wanted], shortids.COMPONENT_SHORT)
        named = {}
        for i in wanted:
            text = (
                commands.component_label(components[i], shown[i]) if i in components else shown[i]
            )
            named[i] = shortids.label(shown[i], text) if with_ids and text != shown[i] else text
        return named

    def status(self) -> list[str]:
        """One line for the status display."""
        count = sum(1 for _ in walk(self.document.tree()))
        line = f"editing: {count} component{'' if count == 1 else 's'}"
        if self.docfile is not None:
            line += f", file {self.docfile.path.name}"
        if self._file_error is not None:
            line += " (file has errors)"
        return [line]

    def commands(self) -> list[JoinCommand]:
        """The ``join`` commands: the document commands and ``/save``."""
        result = [
            JoinCommand(name, help_line, _bind(function, self.document))
            for name, (function, help_line) in commands.DOCUMENT_COMMANDS.items()
        ]
        result.append(
            JoinCommand("save", "/save [FILE]: save the document (to FILE as JSON)", self._save)
        )
        return result

    # -- the file -----------------------------------------------------------

    def save(self) -> Path:
        """Merge the file's edits, write it, and persist the CRDT state beside it."""
        assert self.docfile is not None
        self._sync_file()
        self.session.emit("editing.saved", path=str(self.docfile.path))
        return self.docfile.path

    def _save(self, line: str) -> str:
        def run() -> str:
            words = commands.split(line)
            if len(words) > 1:
                raise commands.UsageError("usage: /save [FILE]")
            if words:
                target = Path(words[0])
                data = json.dumps(self.document.export(), indent=2, ensure_ascii=False) + "\n"
                try:
                    atomic_write(target, data.encode())
                except OSError as exc:
                    return f"error: cannot write {target}: {exc.strerror or exc}"
                self.session.emit("editing.saved", path=str(target))
                return f"saved {target}"
            if self.docfile is None:
                raise commands.UsageError("no editing.doc file: give /save a FILE")
            return f"saved {self.save()}"

        return commands.guarded(run)

    def _open_file(self, path: Path) -> None:
        state = state_path(path)
        loaded = load_state(state, self.document)  # offline edits come back here
        self.docfile = DocFile(path, self.document, state)
        skipped = self.docfile.open(loaded)
        self._file_stat = _stat(path)
        self.session.emit(
            "editing.loaded",
            path=str(path),
            state=loaded is not None,
            components=sum(1 for _ in walk(self.document.tree())),
        )
        self._report_skipped(skipped)

    def _sync_file(self) -> None:
        """Two-way merge with the file; a broken file is reported, never overwritten."""
        assert self.docfile is not None
        try:
            skipped = self.docfile.sync()
        except (DocFileError, OSError) as exc:
            # The file is left as it is; the state still keeps every change.
            self._save_unsynced()
            reason = str(exc)
            if reason != self._file_error:
                log.warning("editing: %s", reason)
                self.session.emit("editing.file_error", path=str(self.docfile.path), error=reason)
            self._file_error = reason
        else:
            self._file_error = None
            self._report_skipped(skipped)
        self._file_stat = _stat(self.docfile.path)

    def _save_unsynced(self) -> None:
        assert self.docfile is not None
        try:
            self.docfile.save_unsynced()
        except OSError as exc:
            log.warning("editing: cannot save the state: %s", exc)

    def _report_skipped(self, skipped: list[Any]) -> None:
        if skipped:
            self.session.emit(
                "editing.file_skipped", reasons=[f"{s.op}: {s.reason}" for s in skipped]
            )

    async def _poll(self, interval: float) -> None:
        assert self.docfile is not None
        while True:
            await asyncio.sleep(interval)
            if _stat(self.docfile.path) != self._file_stat:
                self._sync_file()

    def _schedule_write(self) -> None:
        if self.docfile is None or self._write_handle is not None or self._closed:
            return

        def write() -> None:
            self._write_handle = None
            self._sync_file()

        self._write_handle = asyncio.get_running_loop().call_later(WRITE_DELAY, write)

    # -- the bus ------------------------------------------------------------

    def _send(self, peer: str | None, data: bytes) -> None:
        bus = self.session.bus
        try:
            bus.publish(TOPIC, data, to=peer, compress=len(data) >= COMPRESS_FROM)
        except UnknownPeer:
            pass  # it left; it gets everything by step 2 when it comes back
        except BusFull:
            # Never drop an update: wait for room. Order does not matter to
            # the CRDT, which holds an update back until what it needs arrives.
            self._spawn(self._send_later(peer, data))
        except BusError as exc:  # closed: the state is saved, peers resync on their side
            log.debug("editing: update not sent: %s", exc)

    async def _send_later(self, peer: str | None, data: bytes) -> None:
        try:
            await self.session.bus.send(TOPIC, data, to=peer, compress=len(data) >= COMPRESS_FROM)
        except BusError as exc:
            log.info("editing: update not sent to %s: %s", peer or "peers", exc)

    def _receive(self, message: Message) -> None:
        if self._closed:
            return
        try:
            self.sync.receive(message.sender, message.payload)
        except (SyncError, RejectedUpdate) as exc:
            log.warning("editing: refused a sync message from %s: %s", message.sender, exc)
            self.session.emit("editing.rejected", peer=message.sender, reason=str(exc))

    def _changed(self, change: Change) -> None:
        note = {}
        if not change.local and change.origin is not None:  # another peer's edit
            who = shortids.peer_label(self.session, change.origin)
            count = len({node.id for node in change.nodes})
            note = {"note": f"{who} edited {count} component{'' if count == 1 else 's'}"}
        self.session.emit(
            "editing.changed",
            **note,
            origin=change.origin,
            local=change.local,
            nodes=[
                {"id": node.id, "kind": node.kind, "keys": list(node.keys)} for node in change.nodes
            ],
        )
        self._schedule_write()

    def _spawn(self, coroutine: Any) -> None:
        task = asyncio.ensure_future(coroutine)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)


def _stat(path: Path) -> tuple[int, int, int] | None:
    # The inode too: file times are coarse, but a save by rename always shows.
    try:
        info = path.stat()
    except FileNotFoundError:
        return None
    return info.st_ino, info.st_mtime_ns, info.st_size


def _bind(function: Callable[[Document, str], str], document: Document) -> Callable[[str], str]:
    return lambda line: commands.guarded(lambda: function(document, line))
