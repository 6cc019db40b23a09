"""``avacollab join`` peers as separate processes, driven through stdin and observed.

Each :class:`JoinPeer` is one ``python -m avacollab join`` process with the
editing plugin only, gathering ICE candidates on 127.0.0.1. Its ``--events
jsonl`` lines (stdout) land in an :class:`~avacollab.testing.EventLog`; its
terminal lines (stderr: status, command replies, logs) are kept too, so a
command's reply can be awaited. Exported trees come from ``/save FILE``.

A :class:`Room` starts the peers of one test and always kills and reaps them.
Every wait is bounded; nothing sleeps.
"""

# Test helpers take explicit timeouts on purpose: every wait is bounded.
# ruff: noqa: ASYNC109

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import itertools
import json
import os
import re
import signal
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from avacollab.testing import EventLog

WAIT = 20.0
"""Bound, in seconds, on every wait of these helpers."""

EOF = "test.eof"
"""The event :class:`JoinPeer` adds to its log when the process's stdout ends."""

Tree = dict[str, Any]
"""An exported document: ``{"format", "version", "components"}``."""

# The first line each editing command (and an unknown one) answers with.
_REPLY = re.compile(
    r"^(added |set |removed |moved |deleted |saved |undone$|redone$|nothing to |error: "
    r"|unknown command |/\w+ failed: )"
)


class JoinPeer:
    """One ``avacollab join`` process: its events, its terminal lines, its commands."""

    def __init__(
        self, proc: asyncio.subprocess.Process, name: str, workdir: Path, room_log: EventLog
    ) -> None:
        self.proc = proc
        self.name = name
        self.events = EventLog()
        """Every ``--events`` line of this process."""
        self.lines: list[str] = []
        """Every stderr line: status, command replies, logs."""
        self._replies = EventLog()
        self._typed = 0  # commands typed so far: the n-th command gets the n-th reply
        self._workdir = workdir
        self._room_log = room_log
        self._saves = itertools.count()
        self._readers = [
            asyncio.create_task(self._read_events()),
            asyncio.create_task(self._read_lines()),
        ]

    @property
    def id(self) -> str:
        """The peer id the server gave this process (empty before ``joined``)."""
        joined = self.events.named("joined")
        return str(joined[0]["peer"]) if joined else ""

    async def _read_events(self) -> None:
        assert self.proc.stdout is not None
        async for raw in self.proc.stdout:
            event = json.loads(raw)
            self.events(event)
            self._room_log({**event, "who": self.name})
        self.events({"event": EOF})

    async def _read_lines(self) -> None:
        assert self.proc.stderr is not None
        async for raw in self.proc.stderr:
            line = raw.decode(errors="replace").rstrip("\n")
            self.lines.append(line)
            if _REPLY.match(line):
                self._replies({"event": "reply", "text": line})

    async def type(self, *commands: str) -> int:
        """Write ``commands`` to stdin; return the index of the first one's reply.

        Each command must answer with exactly one reply line (every editing
        command but ``/tree`` does).
        """
        start = self._typed
        self._typed += len(commands)
        assert self.proc.stdin is not None
        self.proc.stdin.write("".join(f"{c}\n" for c in commands).encode())
        await self.proc.stdin.drain()
        return start

    async def replies(self, start: int, count: int, timeout: float = WAIT) -> list[str]:
        """The ``count`` reply lines from index ``start`` on, once they are all in."""
        end = start + count
        await self._replies.wait(lambda: len(self._replies.items) >= end, timeout=timeout)
        return [r["text"] for r in self._replies.items[start:end]]

    async def ask(self, *commands: str, timeout: float = WAIT) -> list[str]:
        """Send ``commands`` at once; return the reply line of each, in order."""
        start = await self.type(*commands)
        return await self.replies(start, len(commands), timeout)

    async def do(self, *commands: str) -> list[str]:
        """Like :meth:`ask`, and every command must have succeeded."""
        replies = await self.ask(*commands)
        failed = [(c, r) for c, r in zip(commands, replies, strict=True) if not _ok(r)]
        assert not failed, f"{self.name}: {failed}"
        return replies

    async def add(self, parent: str, node_type: str, *assignments: str) -> str:
        """``/add``; return the new component's id."""
        [reply] = await self.do(" ".join(["/add", parent, node_type, *assignments]))
        return reply.removeprefix("added ")

    async def export(self) -> Tree:
        """The document as this peer exports it (``/save FILE``, then read FILE)."""
        path = self._workdir / f"export-{self.name}-{next(self._saves)}.json"
        await self.do(f"/save {path}")
        tree: Tree = json.loads(path.read_text())
        return tree

    async def connected(self, *others: JoinPeer, timeout: float = WAIT) -> None:
        """Wait until this peer's links to ``others`` are open."""
        ids = {o.id for o in others}
        await self.events.wait(
            lambda: ids <= {e["peer"] for e in self.events.named("peer-connected")},
            timeout=timeout,
        )

    async def quit(self, timeout: float = WAIT) -> int:
        """``/quit``; return the exit status once the process is gone."""
        assert self.proc.stdin is not None
        self.proc.stdin.write(b"/quit\n")
        await self.proc.stdin.drain()
        return await self.exited(timeout)

    async def exited(self, timeout: float = WAIT) -> int:
        """The exit status, once the process has exited and its output is read."""
        async with asyncio.timeout(timeout):
            code = await self.proc.wait()
            await asyncio.gather(*self._readers)
        return code

    async def reap(self) -> None:
        """Kill the process if it still runs and wait for it; never raises."""
        if self.proc.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                self.proc.kill()
        await self.proc.wait()
        for reader in self._readers:
            reader.cancel()
        await asyncio.gather(*self._readers, return_exceptions=True)


@contextlib.contextmanager
def frozen(*peers: JoinPeer) -> Iterator[None]:
    """Stop the processes (SIGSTOP) for the block and let them all go on together after it.

    Commands typed meanwhile wait in the pipes, so the peers start on them at
    about the same moment rather than one pipe write apart.
    """
    for peer in peers:
        peer.proc.send_signal(signal.SIGSTOP)
    try:
        yield
    finally:
        for peer in peers:
            with contextlib.suppress(ProcessLookupError):
                peer.proc.send_signal(signal.SIGCONT)


def _ok(reply: str) -> bool:
    return not reply.startswith(("error:", "unknown command", "/"))


class Room:
    """The ``join`` processes of one test, all in one room of one signaling server."""

    def __init__(self, server_url: str, workdir: Path, room: str = "e2e") -> None:
        self.server_url = server_url
        """Where processes started from now on join; a test may point it at a new server."""
        self.workdir = workdir
        self.room = room
        self.log = EventLog()
        """The events of every peer, each with ``who`` (the peer's name)."""
        self.peers: list[JoinPeer] = []

    async def join(
        self, name: str, *options: str, doc: Path | None = None, poll: float | None = None
    ) -> JoinPeer:
        """Start ``avacollab join`` as ``name``; return once it has joined the room.

        ``doc`` is the ``editing.doc`` file, ``poll`` the ``editing.poll`` interval;
        ``options`` are more command-line options.
        """
        peer = await self.start(name, *options, doc=doc, poll=poll)
        await peer.events.wait_for("joined", timeout=WAIT)
        return peer

    async def start(
        self, name: str, *options: str, doc: Path | None = None, poll: float | None = None
    ) -> JoinPeer:
        """Like :meth:`join`, without waiting for anything."""
        if doc is not None:
            options += ("--set", f"editing.doc={doc}")
        if poll is not None:
            options += ("--set", f"editing.poll={poll}")
        config = self.workdir / "config"
        config.mkdir(exist_ok=True)
        env = {k: v for k, v in os.environ.items() if not k.startswith("AVACOLLAB_")}
        # Only the editing plugin, and no user config file.
        env |= {"AVACOLLAB_PLUGINS": "editing", "AVACOLLAB_CONFIG_DIR": str(config)}
        proc = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "avacollab", "join", self.room,
            "--server", self.server_url, "--name", name, "--ice-address", "127.0.0.1",
            "--events", "jsonl", "--connect-timeout", "10", *options,
            cwd=self.workdir, env=env, limit=1 << 22,
            stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )  # fmt: skip
        peer = JoinPeer(proc, name, self.workdir, self.log)
        self.peers.append(peer)
        return peer

    async def settle(
        self,
        peers: list[JoinPeer],
        predicate: Callable[[Tree], bool] = lambda _: True,
        timeout: float = WAIT,
    ) -> Tree:
        """Wait until every peer exports the same tree and it satisfies ``predicate``.

        Exports are taken again only after some peer reported a change, so
        this waits on events; a change that lands during an export is seen by
        the next round. Returns the common tree.
        """
        trees: list[Tree] = []
        try:
            async with asyncio.timeout(timeout):
                while True:
                    seen = len(self.log.named("editing.changed"))
                    trees = list(await asyncio.gather(*(p.export() for p in peers)))
                    if all(t == trees[0] for t in trees) and predicate(trees[0]):
                        return trees[0]
                    await self.log.wait(
                        lambda n=seen: len(self.log.named("editing.changed")) > n,  # type: ignore[misc]
                        timeout=timeout,
                    )
        except TimeoutError:
            shown = "\n".join(
                f"{p.name}: {json.dumps(t)}" for p, t in zip(peers, trees, strict=False)
            )
            raise AssertionError(f"not settled in {timeout} s; last exports:\n{shown}") from None

    async def close(self) -> None:
        """Kill and reap every process; print their terminals (shown when a test fails)."""
        await asyncio.gather(*(p.reap() for p in self.peers))
        for peer in self.peers:
            lines = [line for line in peer.lines if "/export-" not in line]  # settle's saves
            print(f"--- {peer.name} ({peer.id}) exit {peer.proc.returncode}")
            print("\n".join(lines[-40:]))


def components(tree: Tree) -> list[dict[str, Any]]:
    """The top level of an exported tree."""
    top: list[dict[str, Any]] = tree["components"]
    return top


def find(tree: Tree, node_id: str) -> dict[str, Any] | None:
    """The exported component ``node_id`` anywhere in ``tree``, or ``None``."""
    stack = list(components(tree))
    while stack:
        component = stack.pop()
        if component["id"] == node_id:
            return component
        stack.extend(component["children"])
    return None


def child_ids(tree: Tree, node_id: str) -> list[str]:
    """The ids of a component's children, in order (``[]`` if it is not shown)."""
    component = find(tree, node_id)
    return [] if component is None else [c["id"] for c in component["children"]]


def write_json(path: Path, data: object) -> None:
    """Write ``data`` as JSON the way an editor saves (see :func:`write_text`)."""
    write_text(path, json.dumps(data, indent=2))


def write_text(path: Path, text: str) -> None:
    """Write to a temporary file, then rename: a poll never reads half of it."""
    tmp = path.with_name(path.name + ".tmp-edit")
    tmp.write_text(text)
    os.replace(tmp, path)


class FileWatch:
    """Wakes a waiter whenever a file in a directory is written or renamed into it.

    Linux inotify through libc: the session writes its ``editing.doc`` file
    with no event of its own, and this lets a test wait for that write
    without polling.
    """

    _CLOSE_WRITE = 0x008
    _MOVED_TO = 0x080

    def __init__(self, directory: Path) -> None:
        libc = ctypes.CDLL(None, use_errno=True)
        self._fd = libc.inotify_init1(os.O_NONBLOCK | os.O_CLOEXEC)
        if self._fd < 0:
            raise OSError(ctypes.get_errno(), "inotify_init1")
        mask = self._CLOSE_WRITE | self._MOVED_TO
        if libc.inotify_add_watch(self._fd, os.fsencode(directory), mask) < 0:
            errno = ctypes.get_errno()
            os.close(self._fd)
            raise OSError(errno, "inotify_add_watch", str(directory))
        self._changed = asyncio.Event()
        self._loop = asyncio.get_running_loop()
        self._loop.add_reader(self._fd, self._drain)

    def _drain(self) -> None:
        with contextlib.suppress(BlockingIOError):
            while os.read(self._fd, 65536):
                pass
        self._changed.set()

    async def until(self, condition: Callable[[], bool], timeout: float = WAIT) -> None:
        """Return once ``condition()`` holds, checking it after every write in the directory."""
        async with asyncio.timeout(timeout):
            while True:
                self._changed.clear()
                if condition():
                    return
                await self._changed.wait()

    def close(self) -> None:
        """Stop watching."""
        self._loop.remove_reader(self._fd)
        os.close(self._fd)


def reads_as(path: Path, tree: Tree) -> Callable[[], bool]:
    """A condition: ``path`` holds ``tree`` as JSON."""

    def check() -> bool:
        try:
            return bool(json.loads(path.read_text()) == tree)
        except (FileNotFoundError, ValueError):
            return False

    return check
