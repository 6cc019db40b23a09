"""The time the bus runs on: a monotonic clock and sleeping on it.

The bus reads the time for liveness (silence, RTT, ping pacing) and for
giving up incomplete chunked messages, and sleeps between liveness checks.
Both go through a :class:`Clock`, so a test can hand the bus a
:class:`ManualClock` and move time itself: a peer that falls silent for
five seconds is then reported without the test waiting five seconds.
"""

from __future__ import annotations

import asyncio
import heapq
import itertools
import time
from typing import Protocol


class Clock(Protocol):
    """What the bus needs from time."""

    def now(self) -> float:
        """Seconds on a monotonic clock (the origin means nothing)."""
        ...

    async def sleep(self, seconds: float) -> None:
        """Return once ``now()`` has moved on by ``seconds``."""
        ...


class MonotonicClock:
    """Real time: ``time.monotonic`` and ``asyncio.sleep`` (the bus's default)."""

    # The C function itself, not a method calling it: the bus reads the
    # time for every frame it sends and receives.
    now = staticmethod(time.monotonic)

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(seconds)


class ManualClock:
    """Time that moves only when :meth:`advance` says so, for tests.

    Sleepers wake in deadline order, each at its own deadline: advancing by
    ten seconds runs a once-a-second loop ten times, seeing the time it would
    have seen in real life, and lets the event loop run a few turns after
    each wake so that what the sleeper set off (a frame over an in-memory
    channel, its answer) has happened before the next one wakes.
    """

    def __init__(self, start: float = 1000.0, *, turns: int = 8) -> None:
        self._now = start
        self._turns = turns
        self._order = itertools.count()  # ties wake in the order they slept
        self._sleepers: list[tuple[float, int, asyncio.Future[None]]] = []

    def now(self) -> float:
        return self._now

    async def sleep(self, seconds: float) -> None:
        future = asyncio.get_running_loop().create_future()
        deadline = self._now + max(0.0, seconds)
        heapq.heappush(self._sleepers, (deadline, next(self._order), future))
        await future

    async def advance(self, seconds: float) -> None:
        """Move time on by ``seconds``, waking every sleeper whose deadline passes."""
        if seconds < 0:
            raise ValueError("time does not run backwards")
        target = self._now + seconds
        await self._run_turns()  # let sleepers that are about to sleep do so
        sleepers = self._sleepers
        while sleepers and sleepers[0][0] <= target:
            deadline, _, future = heapq.heappop(sleepers)
            if future.done():  # its sleeper was cancelled
                continue
            self._now = max(self._now, deadline)
            future.set_result(None)
            await self._run_turns()
        self._now = target
        await self._run_turns()

    async def _run_turns(self) -> None:
        for _ in range(self._turns):
            await asyncio.sleep(0)
