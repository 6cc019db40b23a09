"""Tasks started for callbacks: kept while they run, failures reported, cancellable at once.

The bus runs async handlers this way, a link its negotiation callback: a
task nobody holds may be garbage-collected mid-run, and one whose exception
nobody reads fails silently, so every such task goes into a :class:`TaskSet`.
"""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import Callable, Iterator
from typing import Any


class TaskSet:
    """The running tasks of one owner, with ``on_error(exc)`` called for each that fails."""

    __slots__ = ("_on_error", "_tasks")

    def __init__(self, on_error: Callable[[BaseException], None]) -> None:
        self._tasks: set[asyncio.Task[Any]] = set()
        self._on_error = on_error

    def spawn(self, result: object) -> asyncio.Task[Any] | None:
        """Run ``result`` as a task if it is awaitable (what an async callback returned).

        Anything else (a plain callback's ``None``) is ignored.
        """
        if not inspect.isawaitable(result):
            return None
        task = asyncio.ensure_future(result)
        self._tasks.add(task)
        task.add_done_callback(self._done)
        return task

    async def cancel(self) -> None:
        """Cancel every running task and wait until they have all ended."""
        tasks = list(self._tasks)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    def __iter__(self) -> Iterator[asyncio.Task[Any]]:
        return iter(list(self._tasks))

    def _done(self, task: asyncio.Task[Any]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and (exc := task.exception()) is not None:
            self._on_error(exc)
