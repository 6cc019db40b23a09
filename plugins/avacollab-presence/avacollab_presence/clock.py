"""Where ``Presence`` takes its time from: a clock with timers (an asyncio loop is one)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Protocol

__all__ = ["Cancellable", "Scheduler", "running_loop"]


class Cancellable(Protocol):
    """A scheduled call that can be called off (an ``asyncio.TimerHandle`` is one)."""

    def cancel(self) -> None: ...


class Scheduler(Protocol):
    """A clock with timers; an ``asyncio`` event loop is one as it is."""

    def time(self) -> float:
        """Monotonic time in seconds."""
        ...

    def call_later(self, delay: float, callback: Callable[[], object], /) -> Cancellable:
        """Call ``callback`` once, ``delay`` seconds from now."""
        ...


def running_loop() -> asyncio.AbstractEventLoop:
    return asyncio.get_running_loop()
