"""What bench/web_bus.py and bench/web_editing.py share: a page and a Python peer side by side.

:func:`rig` starts, in this process, a signaling server on a free port of
127.0.0.1 and two *hub* sessions (``avacollab.peer.session.Session`` with the
editing plugin, ICE on 127.0.0.1), each in a room of its own, and pairs each
with one far end:

* **page**: headless Chromium (Debian's ``chromium`` driven by Playwright; no
  browser is downloaded) opens a page of the server's origin, adds
  ``bench/chromium/web_peer.js`` and joins with the shipped bundle
  (``/client/avacollab.js``): its ``Session``, and a ``Document`` kept in sync
  by ``Editing``.
* **python**: this file run as a child process (``--child``), an
  ``avacollab`` session with the editing plugin, as ``avacollab join`` runs
  one (on uvloop).

Both far ends are driven through the same :class:`Remote` interface (the page
through Playwright, the child through its stdin and stdout, one JSON object a
line), so the benchmarks measure the two pairs with the same code. Each pair
is alone in its room: the page never talks to the child.

Clocks: the far ends report times in milliseconds since the epoch, the page
as ``performance.timeOrigin + performance.now()``, the child as
``time.time()``. :func:`calibrate` reads a far end's clock repeatedly and
keeps the sample with the shortest round trip: its offset from ours is known
within half that round trip.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gc
import json
import os
import secrets
import sys
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Protocol

from avacollab_editing import Change
from avacollab_editing import plugin as editing_plugin
from avacollab_editing.model import Document
from avacollab_editing.session import EditingSession

from avacollab.bus import Message
from avacollab.peer.ice import LOOPBACK
from avacollab.peer.session import SessionConfig
from avacollab.testing import RecordedSession

sys.path.insert(0, str(Path(__file__).resolve().parent))

import bus_chromium
from machine_info import busy_seconds, machine, memory_gib, write_json

PAGE_SCRIPT = Path(__file__).resolve().parent / "chromium" / "web_peer.js"
TOPIC = "bench.data"
WAIT = 120.0
"""Bound on every wait, in seconds: a run that stalls fails instead of hanging."""


def now_ms() -> float:
    return time.time() * 1000


def progress(what: str) -> None:
    print(f"bench: {what}", file=sys.stderr, flush=True)


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1)))]


def run(coro: Any, uvloop: bool) -> Any:
    """Run ``coro`` on uvloop (as ``avacollab join`` does) unless told not to."""
    if not uvloop:
        return asyncio.run(coro)
    import uvloop as loops

    return loops.run(coro)


class Conditions:
    """The machine, and how busy it was while a benchmark ran (no host name, no paths)."""

    def __init__(self) -> None:
        self.load_before = os.getloadavg()
        self.busy_before, self.started = busy_seconds(), time.monotonic()

    def report(self, chromium: str) -> dict[str, Any]:
        wall = time.monotonic() - self.started
        return {
            "machine": {
                **machine("aiortc", "aioice", "pycrdt"),
                "memory_gib": round(memory_gib(), 1),
                "chromium": chromium,
            },
            "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
            "load_average": {"before": self.load_before, "after": os.getloadavg()},
            # Cores' worth of CPU the whole machine used over the run, ours included.
            "busy_cores": round((busy_seconds() - self.busy_before) / wall, 2),
            "seconds": round(wall, 1),
        }


def main(
    parser: argparse.ArgumentParser,
    measure: Callable[[argparse.Namespace], Awaitable[dict[str, Any]]],
    report: Callable[[dict[str, Any]], str],
) -> None:
    """Parse the arguments (plus ``--no-uvloop`` and ``--json``), measure, print the
    figures as JSON and the report."""
    parser.add_argument("--no-uvloop", action="store_true", help="plain asyncio event loops")
    parser.add_argument("--json", type=Path, help="also write the figures to this file")
    args = parser.parse_args()
    result = run(measure(args), uvloop=not args.no_uvloop)
    text = json.dumps(result, indent=2)
    if args.json is not None:
        write_json(args.json, result)
    print(text)
    print(report(result))


# -- the far ends -------------------------------------------------------------


class Remote(Protocol):
    """A far end: the page or the child process. Times are its own, in ms."""

    name: str
    peer_id: str

    async def clock(self) -> float: ...
    async def arm(self, count: int) -> None: ...
    async def received(self) -> float: ...
    async def flood(self, to: str, count: int, size: int) -> None: ...
    async def edits(self, count: int, rate: float, keys: int) -> str: ...


class PageRemote:
    """The page, through Playwright; its calls go to ``window.bench`` (web_peer.js)."""

    name = "page"

    def __init__(self, page: Any, peer_id: str) -> None:
        self.page, self.peer_id = page, peer_id

    async def _call(self, function: str, *args: Any) -> Any:
        async with asyncio.timeout(WAIT):
            return await self.page.evaluate(f"(a) => bench.{function}(...a)", list(args))

    async def clock(self) -> float:
        return float(await self._call("now"))

    async def arm(self, count: int) -> None:
        await self._call("arm", count)

    async def received(self) -> float:
        return float(await self._call("received"))

    async def flood(self, to: str, count: int, size: int) -> None:
        await self._call("flood", to, count, size)

    async def edits(self, count: int, rate: float, keys: int) -> str:
        return str(await self._call("edits", count, rate, keys))

    async def sent(self) -> list[float]:
        """When the page handed each frame of the last ``edits`` to the channel."""
        return [float(t) for t in await self._call("sent")]


class ChildRemote:
    """The child process (:func:`child`), through its stdin and stdout."""

    name = "python"

    def __init__(self, process: asyncio.subprocess.Process, peer_id: str) -> None:
        self.process, self.peer_id = process, peer_id

    async def _call(self, op: str, **fields: Any) -> dict[str, Any]:
        assert self.process.stdin is not None and self.process.stdout is not None
        self.process.stdin.write(json.dumps({"op": op, **fields}).encode() + b"\n")
        async with asyncio.timeout(WAIT):
            await self.process.stdin.drain()
            line = await self.process.stdout.readline()
        if not line:
            raise EOFError("the child process went away")
        answer: dict[str, Any] = json.loads(line)
        return answer

    async def clock(self) -> float:
        return float((await self._call("clock"))["now"])

    async def arm(self, count: int) -> None:
        await self._call("arm", count=count)

    async def received(self) -> float:
        return float((await self._call("received"))["last"])

    async def flood(self, to: str, count: int, size: int) -> None:
        await self._call("flood", to=to, count=count, size=size)

    async def edits(self, count: int, rate: float, keys: int) -> str:
        return str((await self._call("edits", count=count, rate=rate, keys=keys))["id"])


@dataclass(frozen=True)
class Clock:
    """A far end's clock: its reading minus ours (ms), known within ``error`` (ms)."""

    offset: float
    error: float


async def calibrate(remote: Remote, samples: int = 30) -> Clock:
    best: tuple[float, float] | None = None
    for _ in range(samples):
        before = now_ms()
        theirs = await remote.clock()
        after = now_ms()
        sample = (after - before, theirs - (before + after) / 2)
        if best is None or sample < best:
            best = sample
    assert best is not None
    return Clock(offset=best[1], error=best[0] / 2)


# -- what the hub sessions observe -------------------------------------------


class Arrivals:
    """Counts ``bench.data`` messages reaching a hub; ``last`` is the time of the ``count``-th."""

    def __init__(self) -> None:
        self.seen = self.expect = 0
        self.last = 0.0
        self.done = asyncio.Event()

    def arm(self, count: int) -> None:
        self.seen, self.expect = 0, count
        self.done.clear()

    def __call__(self, message: Message) -> None:
        self.seen += 1
        if self.seen == self.expect:
            self.last = now_ms()
            self.done.set()


class EditArrivals:
    """When each remote edit ``[seq, stamp]`` of a run shows in a hub's document.

    The time is read in the change callback, as the update is applied; the
    values are read just after, once the transaction is over. An edit whose
    property was set again before it was read is missed (counted, not timed).
    """

    def __init__(self, document: Document) -> None:
        self.document = document
        self.arrivals: dict[int, tuple[float, float]] = {}  # seq: (arrival, stamp)
        self.last_seq = -1
        self.done = asyncio.Event()
        document.on_change(self._changed)

    def arm(self, count: int) -> None:
        self.arrivals, self.last_seq = {}, count - 1
        self.done.clear()

    def _changed(self, change: Change) -> None:
        if not change.local:
            asyncio.get_running_loop().call_soon(self._read, change, now_ms())

    def _read(self, change: Change, arrival: float) -> None:
        for node in change.nodes:
            state = self.document.node(node.id)
            if node.kind != "props" or state is None:
                continue
            for key in node.keys:
                value = state.props.get(key)
                if not (isinstance(value, list) and len(value) == 2):
                    continue
                seq, stamp = value
                if isinstance(seq, int) and isinstance(stamp, int | float):
                    self.arrivals.setdefault(seq, (arrival, float(stamp)))
                    if seq == self.last_seq:
                        self.done.set()


class Stalls:
    """When this process's event loop did not run for ``threshold`` ms or more.

    A task sleeps ``tick`` ms at a time and notes each wake-up that came
    late; a late wake-up with little CPU used meanwhile means the process was
    not given a core (other work on the machine), one with the CPU used
    means something ran that long (``gc`` counts the collector's pauses).
    """

    def __init__(self, tick: float = 2.0, threshold: float = 10.0) -> None:
        self.tick, self.threshold = tick, threshold
        self.intervals: list[tuple[float, float, float]] = []  # (start, end, CPU ms)
        self.gc_ms = 0.0
        self._gc_start = 0.0
        self._task: asyncio.Task[None] | None = None

    async def __aenter__(self) -> Stalls:
        self._task = asyncio.create_task(self._watch())
        gc.callbacks.append(self._gc)
        return self

    async def __aexit__(self, *exc: object) -> None:
        gc.callbacks.remove(self._gc)
        assert self._task is not None
        self._task.cancel()
        await asyncio.gather(self._task, return_exceptions=True)

    def during(self, start: float, end: float) -> bool:
        """Whether a stall overlapped the interval from ``start`` to ``end`` (ms)."""
        return any(a < end and b > start for a, b, _ in self.intervals)

    def _gc(self, phase: str, info: dict[str, Any]) -> None:
        if phase == "start":
            self._gc_start = time.perf_counter()
        else:
            self.gc_ms += (time.perf_counter() - self._gc_start) * 1000

    async def _watch(self) -> None:
        while True:
            before, cpu = now_ms(), time.thread_time()
            await asyncio.sleep(self.tick / 1000)
            after = now_ms()
            if after - before - self.tick >= self.threshold:
                self.intervals.append((before, after, (time.thread_time() - cpu) * 1000))


@dataclass
class Pair:
    """A hub session and the far end it is alone with in a room."""

    hub: RecordedSession
    remote: Remote
    arrivals: Arrivals
    edits: EditArrivals

    @property
    def name(self) -> str:
        return self.remote.name


def _hub_config(url: str, room: str) -> SessionConfig:
    return SessionConfig(url, room, name="hub", ice_addresses=LOOPBACK, connect_timeout=30)


async def _hub(url: str, room: str) -> tuple[RecordedSession, Arrivals, EditArrivals]:
    hub = RecordedSession(_hub_config(url, room), plugins=[editing_plugin])
    await hub.start()
    arrivals = Arrivals()
    hub.bus.subscribe(TOPIC, arrivals)
    return hub, arrivals, EditArrivals(hub.features.get(EditingSession).document)


async def _connected(hub: RecordedSession, peer: str) -> None:
    await hub.events.wait(lambda: peer in hub.connected, timeout=WAIT)


@contextlib.asynccontextmanager
async def rig(uvloop: bool) -> AsyncIterator[tuple[Pair, Pair, str]]:
    """The page's pair, the child's pair, and the Chromium version; everything
    is stopped on the way out."""
    from playwright.async_api import async_playwright

    from avacollab.settings import Settings
    from avacollab.signaling.bundle import CLIENT_PATH
    from avacollab.signaling.server import SignalingServer

    chromium = bus_chromium.chromium_path()
    if chromium is None:
        raise RuntimeError("needs Debian's chromium package and playwright")
    server = SignalingServer(
        replace(Settings(), host="127.0.0.1", port=0), resume_secret=os.urandom(32)
    )
    await server.start()
    room = f"bench-{secrets.token_hex(4)}"
    hubs: list[RecordedSession] = []
    process: asyncio.subprocess.Process | None = None
    try:
        web_hub, web_arrivals, web_edits = await _hub(server.url, f"{room}-web")
        hubs.append(web_hub)
        py_hub, py_arrivals, py_edits = await _hub(server.url, f"{room}-py")
        hubs.append(py_hub)
        command = [sys.executable, __file__, "--child", server.url, f"{room}-py"]
        process = await asyncio.create_subprocess_exec(
            *command, *([] if uvloop else ["--no-uvloop"]),
            stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE,
        )  # fmt: skip
        child = ChildRemote(process, "")
        child.peer_id = str((await child._call("join"))["id"])
        await _connected(py_hub, child.peer_id)
        async with async_playwright() as pw:
            browser = await pw.chromium.launch(executable_path=chromium, args=bus_chromium.FLAGS)
            try:
                page = await browser.new_page()
                errors: list[str] = []
                page.on("pageerror", lambda error: errors.append(str(error)))
                origin = f"http://127.0.0.1:{server.port}"
                # A page of the server's origin whose policy allows an inline
                # script: not "/" (the editor's pages allow none).
                await page.goto(origin + "/healthz")
                await page.add_script_tag(content=PAGE_SCRIPT.read_text())
                async with asyncio.timeout(WAIT):
                    joined = await page.evaluate(
                        "(a) => bench.join(...a)", [origin + CLIENT_PATH, server.url, f"{room}-web"]
                    )
                await _connected(web_hub, joined["id"])
                yield (
                    Pair(web_hub, PageRemote(page, joined["id"]), web_arrivals, web_edits),
                    Pair(py_hub, child, py_arrivals, py_edits),
                    str(browser.version),
                )
                if errors:
                    raise RuntimeError(f"the page failed: {errors[:3]}")
                await page.evaluate("bench.leave()")
            finally:
                await browser.close()
        assert process.stdin is not None
        process.stdin.write(b'{"op": "quit"}\n')  # no answer: the child closes and exits
        async with asyncio.timeout(WAIT):
            await process.wait()
    finally:
        if process is not None and process.returncode is None:
            process.kill()
            await process.wait()
        await asyncio.gather(*(hub.close() for hub in hubs), return_exceptions=True)
        await server.stop()


# -- the child process ----------------------------------------------------------


async def paced_edits(
    document: Document, count: int, rate: float, keys: int, clock: Callable[[], float]
) -> str:
    """Add a node, then ``count`` edits ``p<i % keys> = [i, clock()]`` at ``rate`` a second
    (what web_peer.js's ``edits`` does in the page)."""
    node = document.add("Box", {"label": "bench"})
    start = clock() + 1000 / rate
    for i in range(count):
        wait = start + i * 1000 / rate - clock()
        if wait > 0:
            await asyncio.sleep(wait / 1000)
        document.set_prop(node, f"p{i % keys}", [i, clock()])
    return node


async def child(url: str, room: str) -> None:
    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader()
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
    session = RecordedSession(
        replace(_hub_config(url, room), name="bench-python"), plugins=[editing_plugin]
    )
    arrivals = Arrivals()
    session.bus.subscribe(TOPIC, arrivals)
    document: Document | None = None  # the editing feature exists once the session starts
    out = sys.stdout

    def reply(**value: Any) -> None:
        out.write(json.dumps(value) + "\n")
        out.flush()

    try:
        while line := await reader.readline():
            command = json.loads(line)
            op = command["op"]
            if op == "join":
                await session.start()
                document = session.features.get(EditingSession).document
                reply(id=session.peer_id)
            elif op == "clock":
                reply(now=now_ms())
            elif op == "arm":
                arrivals.arm(command["count"])
                reply()
            elif op == "received":
                async with asyncio.timeout(WAIT):
                    await arrivals.done.wait()
                reply(last=arrivals.last)
            elif op == "flood":
                payload = b"s" * command["size"]
                for _ in range(command["count"]):
                    await session.bus.send(TOPIC, payload, to=command["to"])
                reply()
            elif op == "edits":
                assert document is not None
                node = await paced_edits(
                    document, command["count"], command["rate"], command["keys"], now_ms
                )
                reply(id=node)
            elif op == "quit":
                break
    finally:
        await session.close()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description="the Python far end of bench/web_rig.py")
    parser.add_argument("--child", nargs=2, metavar=("URL", "ROOM"), required=True)
    parser.add_argument("--no-uvloop", action="store_true")
    args = parser.parse_args()
    run(child(*args.child), uvloop=not args.no_uvloop)
