"""Scripted cursor positions from JSON lines (``join --cursor-from FILE|-``).

Each non-blank line is one JSON object::

    {"x": 120, "y": 48}
    {"x": 130, "y": 52, "component": "btn-1", "delay_ms": 50}

``x`` and ``y`` follow the cursor rules of the presence state, ``component``
is an optional component id, and ``delay_ms`` (default 0) is how long to wait
before moving there. Any other key is an error, so a typo such as ``delay``
is caught rather than ignored. A bad line raises :class:`ReplayError` naming
its line number: :func:`load_steps` reports every bad line of a file before
anything moves, :func:`stream_steps` (for a pipe, where lines arrive while
the cursor moves) stops at the first one.
"""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import AsyncIterable, AsyncIterator, Awaitable, Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, Final, Protocol

from .state import InvalidState, parse_cursor

MAX_LINE_BYTES: Final = 4096
MAX_DELAY_MS: Final = 3_600_000
_KEYS: Final = frozenset({"x", "y", "component", "delay_ms"})


class ReplayError(ValueError):
    """One or more bad lines; ``problems`` holds ``(line number, reason)`` pairs."""

    def __init__(self, problems: list[tuple[int, str]]) -> None:
        self.problems = problems
        super().__init__("\n".join(f"line {number}: {reason}" for number, reason in problems))


@dataclass(frozen=True, slots=True)
class CursorStep:
    """Wait ``delay`` seconds, then move the cursor to ``(x, y)`` over ``component``."""

    x: float
    y: float
    component: str | None = None
    delay: float = 0.0


class CursorTarget(Protocol):
    """What a replay moves; :class:`~avacollab_presence.Presence` is one."""

    def set_cursor(self, x: float, y: float, component: str | None = None) -> None: ...


def parse_step(line: bytes | str, number: int) -> CursorStep | None:
    """Parse one line (``None`` when blank); raise :class:`ReplayError` if it is bad."""
    try:
        return _parse(line)
    except ValueError as exc:
        raise ReplayError([(number, str(exc))]) from None


def parse_steps(lines: Iterable[bytes | str]) -> list[CursorStep]:
    """Parse every line, reporting all bad lines at once."""
    steps: list[CursorStep] = []
    problems: list[tuple[int, str]] = []
    for number, line in enumerate(lines, start=1):
        try:
            step = _parse(line)
        except ValueError as exc:
            problems.append((number, str(exc)))
            continue
        if step is not None:
            steps.append(step)
    if problems:
        raise ReplayError(problems)
    return steps


def load_steps(path: str | Path) -> list[CursorStep]:
    """Read and check a whole file before anything moves."""
    return parse_steps(Path(path).read_bytes().splitlines())


async def stream_steps(stream: BinaryIO) -> AsyncIterator[CursorStep]:
    """Steps from a byte stream (standard input's ``buffer``), read as they arrive."""
    number = 0
    async for line in _lines(stream):
        number += 1
        step = parse_step(line, number)
        if step is not None:
            yield step


async def replay(
    steps: Iterable[CursorStep] | AsyncIterable[CursorStep],
    target: CursorTarget,
    *,
    sleep: Callable[[float], Awaitable[object]] = asyncio.sleep,
) -> int:
    """Move ``target``'s cursor through ``steps``, honouring delays; return the count."""
    count = 0

    async def move(step: CursorStep) -> None:
        nonlocal count
        if step.delay > 0:
            await sleep(step.delay)
        target.set_cursor(step.x, step.y, step.component)
        count += 1

    if isinstance(steps, AsyncIterable):
        async for step in steps:
            await move(step)
    else:
        for step in steps:
            await move(step)
    return count


def _parse(line: bytes | str) -> CursorStep | None:
    if isinstance(line, bytes):
        if len(line) > MAX_LINE_BYTES:
            raise ValueError(f"longer than {MAX_LINE_BYTES} bytes")
        try:
            line = line.decode()
        except UnicodeDecodeError:
            raise ValueError("not valid UTF-8") from None
    if not line.strip():
        return None
    try:
        obj = json.loads(line, parse_constant=_reject_constant)
    except (ValueError, RecursionError) as exc:
        raise ValueError(f"not JSON ({exc})") from None
    if not isinstance(obj, dict):
        raise ValueError("must be a JSON object")
    unknown = sorted(set(obj) - _KEYS)
    if unknown:
        raise ValueError(f"unknown key {unknown[0]!r} (allowed: component, delay_ms, x, y)")
    if "x" not in obj or "y" not in obj:
        raise ValueError("needs both x and y")
    try:
        cursor = parse_cursor(obj)
    except InvalidState as exc:
        raise ValueError(str(exc).removeprefix("cursor.")) from None
    assert cursor is not None  # only null parses to no cursor, and obj is an object
    delay_ms = obj.get("delay_ms", 0)
    if (
        isinstance(delay_ms, bool)
        or not isinstance(delay_ms, int | float)
        or not 0 <= delay_ms <= MAX_DELAY_MS
    ):
        raise ValueError(f"delay_ms must be a number from 0 to {MAX_DELAY_MS}")
    return CursorStep(cursor.x, cursor.y, cursor.component, delay_ms / 1000)


def _reject_constant(name: str) -> object:
    raise ValueError(f"{name} is not JSON")


async def _lines(stream: BinaryIO) -> AsyncIterator[bytes]:
    # A daemon thread reads, so a read blocked on a terminal or an idle pipe
    # never holds up the event loop or the exit of the program. The semaphore
    # keeps it a few lines ahead of the consumer at most.
    loop = asyncio.get_running_loop()
    queue: asyncio.Queue[bytes | BaseException] = asyncio.Queue()
    credits = threading.Semaphore(16)
    stop = threading.Event()

    def pump() -> None:
        while True:
            credits.acquire()
            if stop.is_set():
                return
            try:
                item: bytes | BaseException = stream.readline(MAX_LINE_BYTES + 1)
            except Exception as exc:
                item = exc
            try:
                loop.call_soon_threadsafe(queue.put_nowait, item)
            except RuntimeError:  # the loop is closed: nobody is listening
                return
            if not isinstance(item, bytes) or not item:
                return

    threading.Thread(target=pump, name="cursor-replay-reader", daemon=True).start()
    try:
        while True:
            item = await queue.get()
            credits.release()
            if isinstance(item, BaseException):
                raise item
            if not item:
                return
            # An over-long line arrives cut at the limit plus one byte, so the
            # parser still sees that it is too long.
            yield item.rstrip(b"\r\n")
    finally:
        stop.set()
        credits.release()
